"""Custom ops and Python calls (docs/CONTRACT.md "Op libraries"): the library build, the manifest
field, the golden's answer without the library against TensorFlow's own, the Python client's and
the bundled server's loading, the harness's process split, and the bundled server refusing Python
calls exactly as the C API does."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorflow_serving.apis import predict_pb2

from tfinterop.golden.cases import manifest
from tfinterop.golden.cases.manifest import Case, CaseSet
from tfinterop.harness import run_clients
from tfinterop.harness.server_process import bundled_server
from tfinterop.judge import command, compare
from tfinterop.models import ops
from tfinterop.serving import model_config
from tfinterop.serving.errors import ToolError

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
LIBRARY = BUILD / "ops" / "libtfi_ops.so"
CUSTOM_OP = BUILD / "models" / "custom_op"
SEED_PYFUNC = BUILD / "models" / "seed_pyfunc"
PYTHON_CLIENT = Path(sys.executable).parent / "tfinterop-python"
NOT_REGISTERED = "Op type not registered 'TfiAffine'"
NO_KERNEL = "No OpKernel was registered to support Op"


def _need_export() -> None:
    if not (BUILD / "cases" / "custom_op" / "manifest.json").exists() or not LIBRARY.exists():
        pytest.fail("run `make export` first: build/cases/custom_op or build/ops is missing")


def _run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _python(code: str) -> Any:
    """Run `code` in a fresh interpreter (nothing loaded yet); its last stdout line as JSON."""
    r = _run([sys.executable, "-c", textwrap.dedent(code)])
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# -- the build -----------------------------------------------------------------------------


def test_library_builds_when_missing_and_again_only_when_its_source_is_newer(
    tmp_path: Path,
) -> None:
    source = tmp_path / "tfi_affine.cc"
    shutil.copy(ops.SOURCE, source)
    lib = ops.build(tmp_path / "ops", source)
    built = lib.stat().st_mtime_ns
    assert ops.build(tmp_path / "ops", source).stat().st_mtime_ns == built  # fresh: untouched
    later = built + 5 * 10**9
    os.utime(source, ns=(later, later))
    assert ops.stale(lib, source)
    assert ops.build(tmp_path / "ops", source).stat().st_mtime_ns != built
    assert sorted(p.name for p in (tmp_path / "ops").iterdir()) == [ops.LIBRARY]


def test_a_kernel_that_does_not_compile_names_the_compilers_complaint(tmp_path: Path) -> None:
    source = tmp_path / "broken.cc"
    source.write_text('#error "the kernel is broken"\n')
    with pytest.raises(ToolError, match="the kernel is broken"):
        ops.build(tmp_path / "ops", source)
    assert not list((tmp_path / "ops").iterdir())  # no half-written library left behind


def test_the_built_library_registers_tfi_affine_and_loads_once() -> None:
    _need_export()
    got = _python(
        f"""
        import json
        from pathlib import Path
        from tfinterop.serving import op_libraries
        first = op_libraries.load(Path({str(LIBRARY)!r}))
        again = op_libraries.load(Path({str(LIBRARY.parent / "." / LIBRARY.name)!r}))
        missing = op_libraries.load_all([Path("/nonexistent/libnope.so")])
        err = next(iter(missing.values()))
        print(json.dumps([sorted(first.ops), again.path == first.path,
                          err.code.name, err.message]))
        """
    )
    assert got[:3] == [["TfiAffine"], True, "NOT_FOUND"]
    assert "libnope.so" in got[3]


# -- the case format -------------------------------------------------------------------------


def test_manifest_writes_and_reads_op_libraries_and_error_message(tmp_path: Path) -> None:
    folder = tmp_path / "cases" / "m"
    case = Case(
        "load",
        "predict",
        predict_pb2.PredictRequest(),
        error="NOT_FOUND",
        transports=("inproc",),
        error_message=NOT_REGISTERED,
    )
    libs = ("../../ops/libx.so", "/opt/ops/liby.so")
    manifest.write(folder, CaseSet("m", "../../models/models.config", {}, [case], libs))
    data = json.loads((folder / "manifest.json").read_text())
    assert data["model"]["op_libraries"] == list(libs)
    m = manifest.read(folder)
    assert [os.path.normpath(p) for p in m.op_libraries] == [
        str(tmp_path.resolve() / "ops" / "libx.so"),
        "/opt/ops/liby.so",
    ]
    assert m.cases[0].error_message == NOT_REGISTERED
    # A set without libraries writes no key; a malformed list is refused on reading.
    manifest.write(folder, CaseSet("m", "../../models/models.config", {}, [case]))
    assert "op_libraries" not in json.loads((folder / "manifest.json").read_text())["model"]
    data["model"]["op_libraries"] = "../../ops/libx.so"
    (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ToolError, match="op_libraries must be a list"):
        manifest.read(folder)


def test_error_message_without_an_error_is_refused() -> None:
    with pytest.raises(ValueError, match="error_message without an error"):
        Case(
            "x",
            "predict",
            predict_pb2.PredictRequest(),
            response=predict_pb2.PredictResponse(),
            error_message="y",
        )


def test_judge_holds_an_error_case_to_its_message(tmp_path: Path) -> None:
    folder = tmp_path / "cases" / "m"
    case = Case(
        "load",
        "predict",
        predict_pb2.PredictRequest(),
        error="NOT_FOUND",
        transports=("inproc",),
        error_message=NOT_REGISTERED,
    )
    manifest.write(folder, CaseSet("m", "../../models/models.config", {}, [case]))
    (read,) = manifest.read(folder).cases
    results = tmp_path / "results"
    results.mkdir()

    def judged(message: str) -> compare.Outcome:
        body = {"code": "NOT_FOUND", "message": message}
        (results / "load.error.json").write_text(json.dumps(body))
        return compare.compare(read, results, "inproc", exact=True)

    assert judged(f"loading /m/1: {NOT_REGISTERED} in binary running on vm.").status == "pass"
    wrong = judged("SavedModel folder /m/1 does not exist")
    assert wrong.status == "fail" and NOT_REGISTERED in wrong.detail


def test_export_lists_the_library_for_custom_op_and_states_the_unloaded_answer() -> None:
    _need_export()
    sets = {n: manifest.read(BUILD / "cases" / n) for n in ("custom_op", "custom_op_unloaded")}
    assert [os.path.normpath(p) for p in sets["custom_op"].op_libraries] == [str(LIBRARY)]
    assert sets["custom_op"].data["model"]["op_libraries"] == ["../../ops/libtfi_ops.so"]
    assert sets["custom_op_unloaded"].op_libraries == []
    for c in sets["custom_op_unloaded"].cases:
        assert (c.transports, c.error, c.error_message) == (["inproc"], "NOT_FOUND", NOT_REGISTERED)
    entries = {e.name: e for e in model_config.parse_config(BUILD / "models" / "models.config")}
    assert entries["custom_op_unloaded"].base_path == entries["custom_op"].base_path
    assert manifest.read(BUILD / "cases" / "seed_pyfunc").op_libraries == []


def test_the_golden_without_the_library_is_what_tensorflow_answers() -> None:
    """The golden reference runs in a process where the library is loaded; for a case set
    without it, it answers as a runtime lacking the op. TensorFlow itself, in a process that
    never loaded the library, must agree: the rule is checked against the real thing."""
    _need_export()
    got = _python(
        f"""
        import json
        from pathlib import Path
        import tensorflow as tf
        out = {{}}
        try:
            tf.saved_model.load({str(CUSTOM_OP / "1")!r})
        except RuntimeError as e:
            out["object_loader"] = str(e)
        g = tf.Graph()
        with g.as_default():
            try:
                tf.compat.v1.saved_model.loader.load(
                    tf.compat.v1.Session(graph=g), ["serve"], {str(CUSTOM_OP / "1")!r})
            except tf.errors.OpError as e:
                out["session_loader"] = [e.error_code, e.message]
        from tfinterop.golden import Reference
        from tfinterop.serving.errors import ServingError
        from tensorflow_serving.apis import predict_pb2
        config = Path({str(BUILD / "models" / "models.config")!r})
        req = predict_pb2.PredictRequest()
        req.model_spec.name = "custom_op_unloaded"
        req.inputs["x"].CopyFrom(tf.make_tensor_proto([[1.0, 2.0, 3.0]], tf.float32))
        with_lib = Reference(config, [Path({str(LIBRARY)!r})])
        without = Reference(config)
        out["without"] = without.answer("predict", req, transports=("inproc",)).error.message
        answer = with_lib.answer("predict", req, transports=("inproc",))
        out["with"] = tf.make_ndarray(answer.response.outputs["y"]).tolist()
        print(json.dumps(out))
        """
    )
    assert got["object_loader"].startswith(NOT_REGISTERED)
    code, message = got["session_loader"]
    assert code == 5 and message.startswith(NOT_REGISTERED)  # NOT_FOUND
    # The golden's message is TensorFlow's, word for word, after the path it names.
    assert got["without"].endswith(message)
    assert got["with"] == [[3.5, 6.5, 9.5]]  # y = 3x + 0.5


# -- the Python client -----------------------------------------------------------------------


def _case_copy(tmp_path: Path, libraries: list[str] | None) -> Path:
    """build/cases/custom_op copied, its config absolute, its op_libraries replaced."""
    folder = tmp_path / "cases" / "custom_op"
    shutil.copytree(BUILD / "cases" / "custom_op", folder)
    data = json.loads((folder / "manifest.json").read_text())
    data["model"]["config"] = str(BUILD / "models" / "models.config")
    if libraries is None:
        del data["model"]["op_libraries"]
    else:
        data["model"]["op_libraries"] = libraries
    (folder / "manifest.json").write_text(json.dumps(data))
    return folder


def _judge(cases: Path, results: Path) -> tuple[int, str]:
    """The judge's exit status and printout for python/inproc, run in this process: it reads
    results and runs no model, so it needs no library, and this process has TensorFlow
    loaded already (a `tfinterop judge` subprocess would load it again, 5-8 s)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = command.main([cases], results, ["python"], ["inproc"], [], None)
    return code, out.getvalue()


def test_python_client_loads_the_manifests_library_before_the_model(tmp_path: Path) -> None:
    _need_export()
    cases = BUILD / "cases" / "custom_op"
    r = _run(
        [
            str(PYTHON_CLIENT),
            "run",
            "--mode",
            "inproc",
            "--cases",
            str(cases),
            "--out",
            str(tmp_path),
        ]
    )
    assert r.returncode == 0, r.stderr[-2000:]
    code, printed = _judge(cases, tmp_path)
    assert code == 0, printed


def test_op_library_flag_gives_the_library_to_a_case_set_that_lists_none(tmp_path: Path) -> None:
    _need_export()
    cases = _case_copy(tmp_path, None)
    out = tmp_path / "results"
    base = [str(PYTHON_CLIENT), "run", "--mode", "inproc", "--cases", str(cases), "--out", str(out)]
    r = _run(base)
    assert r.returncode == 0, r.stderr[-2000:]
    error = json.loads((out / "python" / "inproc" / "custom_op" / "predict.error.json").read_text())
    assert error["code"] == "NOT_FOUND" and NOT_REGISTERED in error["message"]
    r = _run([*base, "--op-library", os.path.relpath(LIBRARY, ROOT)])
    assert r.returncode == 0, r.stderr[-2000:]
    code, printed = _judge(cases, out)
    assert code == 0, printed


def test_a_library_that_does_not_load_is_each_inproc_cases_result(tmp_path: Path) -> None:
    _need_export()
    cases = _case_copy(tmp_path, ["/nonexistent/libnope.so"])
    out = tmp_path / "results"
    r = _run(
        [str(PYTHON_CLIENT), "run", "--mode", "inproc", "--cases", str(cases), "--out", str(out)]
    )
    assert r.returncode == 0, r.stderr[-2000:]  # the run goes on: each case records the error
    folder = out / "python" / "inproc" / "custom_op"
    ids = [c.id for c in manifest.read(cases).cases]
    for case_id in ids:
        error = json.loads((folder / f"{case_id}.error.json").read_text())
        assert error["code"] == "NOT_FOUND", case_id
        assert "libnope.so: cannot open shared object file" in error["message"], case_id


# -- the harness -----------------------------------------------------------------------------


def test_case_sets_needing_other_libraries_run_in_other_client_processes() -> None:
    _need_export()
    sets = [
        manifest.read(BUILD / "cases" / n)
        for n in ("text", "custom_op", "custom_op_unloaded", "seed_pyfunc")
    ]
    groups = run_clients.library_groups(sets)
    # seed_pyfunc calls Python: a process of its own (TensorFlow's abort after it, in CI).
    assert [[p.name for p in g] for g in groups] == [
        ["text", "custom_op_unloaded"],
        ["custom_op"],
        ["seed_pyfunc"],
    ]


# -- the bundled server ----------------------------------------------------------------------


def _config(tmp_path: Path) -> Path:
    entries = [
        model_config.ModelEntry(name="custom_op", base_path=CUSTOM_OP),
        model_config.ModelEntry(name="seed_pyfunc", base_path=SEED_PYFUNC),
    ]
    path = tmp_path / "models.config"
    path.write_text(model_config.render_config(entries))
    return path


def _predict(target: str, model: str, name: str, values: np.ndarray) -> Any:
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from tfinterop.serving import tensor_codec

    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    req.inputs[name].CopyFrom(tensor_codec.from_ndarray(values))
    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            return stub.Predict(req, timeout=30)
        except grpc.RpcError as e:
            return e


def test_bundled_server_loads_op_library_and_refuses_python_as_tf_serving(tmp_path: Path) -> None:
    _need_export()
    from tfinterop.serving import tensor_codec

    config = _config(tmp_path)
    log = tmp_path / "server.log"
    with bundled_server(
        config, ["custom_op", "seed_pyfunc"], log, [f"--op_library={LIBRARY}"]
    ) as s:
        ok = _predict(s.target, "custom_op", "x", np.array([[1.0, -2.0, 0.5]], np.float32))
        assert tensor_codec.to_ndarray(ok.outputs["y"]).tolist() == [[3.5, -5.5, 2.0]]
        refused = _predict(s.target, "seed_pyfunc", "features", np.zeros((1, 3), np.float32))
        assert refused.code().name == "INVALID_ARGUMENT"
        assert (
            f"{NO_KERNEL} 'EagerPyFunc' used by {{{{node StatefulPartitionedCall/EagerPyFunc}}}}"
            in (refused.details())
        )
    assert "loaded op library" in log.read_text()


def test_without_op_library_the_version_fails_to_load_as_tf_servings_does(tmp_path: Path) -> None:
    _need_export()
    import grpc
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    with bundled_server(_config(tmp_path), ["custom_op"], tmp_path / "server.log") as s:
        req = get_model_status_pb2.GetModelStatusRequest()
        req.model_spec.name = "custom_op"
        with grpc.insecure_channel(s.target) as channel:
            status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
                req, timeout=30
            )
        (version,) = status.model_version_status
        assert version.state == 50  # END
        assert NOT_REGISTERED in version.status.error_message
        refused = _predict(s.target, "custom_op", "x", np.zeros((1, 3), np.float32))
        assert refused.code().name == "NOT_FOUND"
        assert "Servable not found" in refused.details()


def test_bundled_server_stops_at_start_on_a_library_that_does_not_load(tmp_path: Path) -> None:
    _need_export()
    r = _run(
        [
            sys.executable,
            "-m",
            "tfinterop",
            "serve",
            "--port=0",
            f"--model_config_file={_config(tmp_path)}",
            "--op_library=/nonexistent/libnope.so",
        ]
    )
    assert r.returncode == 1
    assert "--op_library /nonexistent/libnope.so" in r.stderr
    assert "cannot open shared object file" in r.stderr


# Loads SavedModels through the wheel's C API in a process that never imports TensorFlow's
# Python package (so Python's kernels for the script ops are absent, as in TF Serving).
_CAPI = r"""
import ctypes, importlib.util, json, sys
site = importlib.util.find_spec("tensorflow").submodule_search_locations[0]
ctypes.CDLL(site + "/libtensorflow_framework.so.2", mode=ctypes.RTLD_GLOBAL)
lib = ctypes.CDLL(site + "/libtensorflow_cc.so.2")
vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
class Out(ctypes.Structure):
    _fields_ = [("oper", vp), ("index", i)]
for name, (args, res) in {
    "TF_NewStatus": ([], vp), "TF_NewGraph": ([], vp), "TF_NewSessionOptions": ([], vp),
    "TF_LoadSessionFromSavedModel": ([vp, vp, cp, ctypes.POINTER(cp), i, vp, vp, vp], vp),
    "TF_GetCode": ([vp], i), "TF_Message": ([vp], cp),
    "TF_GraphOperationByName": ([vp, cp], vp),
    "TF_AllocateTensor": ([i, ctypes.POINTER(ctypes.c_int64), i, ctypes.c_size_t], vp),
    "TF_SessionRun": ([vp, vp, ctypes.POINTER(Out), ctypes.POINTER(vp), i, ctypes.POINTER(Out),
                       ctypes.POINTER(vp), i, vp, i, vp, vp], None),
}.items():
    fn = getattr(lib, name)
    fn.argtypes, fn.restype = args, res
path, feed, fetch, cols = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
st, graph = lib.TF_NewStatus(), lib.TF_NewGraph()
tags = (cp * 1)(b"serve")
session = lib.TF_LoadSessionFromSavedModel(
    lib.TF_NewSessionOptions(), None, path.encode(), tags, 1, graph, None, st)
out = {"load": [lib.TF_GetCode(st), lib.TF_Message(st).decode()]}
if out["load"][0] == 0:
    dims = (ctypes.c_int64 * 2)(1, cols)
    tensor = lib.TF_AllocateTensor(1, dims, 2, 4 * cols)
    ins = (Out * 1)(Out(lib.TF_GraphOperationByName(graph, feed.encode()), 0))
    outs = (Out * 1)(Out(lib.TF_GraphOperationByName(graph, fetch.encode()), 0))
    values = (vp * 1)()
    lib.TF_SessionRun(session, None, ins, (vp * 1)(tensor), 1, outs, values, 1, None, 0, None, st)
    out["run"] = [lib.TF_GetCode(st), lib.TF_Message(st).decode()]
print(json.dumps(out))
"""


def _tf1_pyfunc_model(path: Path) -> None:
    code = f"""
    import tensorflow as tf
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(v1.py_func(lambda t: t * 2, [x], tf.float32, name="pyf"), name="y")
        info = v1.saved_model.utils.build_tensor_info
        sig = v1.saved_model.signature_def_utils.build_signature_def(
            {{"x": info(x)}}, {{"y": info(y)}}, "tensorflow/serving/predict")
        b = v1.saved_model.Builder({str(path)!r})
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={{"serving_default": sig}})
        b.save()
    print("{{}}")
    """
    _python(code)


def _no_kernel_part(message: str) -> str:
    """TensorFlow's sentence up to the node it names (the attrs' order is a hash map's)."""
    start = message.index(NO_KERNEL)
    return message[start : message.index("}}", start) + 2]


def test_python_calls_are_refused_as_the_c_api_refuses_them(tmp_path: Path) -> None:
    _need_export()
    from tfinterop.server import session_servable
    from tfinterop.serving.errors import ServingError

    tf1 = tmp_path / "tf1_pyfunc" / "1"
    _tf1_pyfunc_model(tf1)
    capi_tf1 = _python_capi(tf1, "x", "y", 2)
    capi_tf2 = _python_capi(
        SEED_PYFUNC / "1", "serving_default_features", "StatefulPartitionedCall", 3
    )
    # TF1: PyFunc in the main graph fails the load; TF2: EagerPyFunc in a function, each run.
    assert capi_tf1["load"][0] == 3 and "run" not in capi_tf1
    assert capi_tf2["load"][0] == 0 and capi_tf2["run"][0] == 3
    with pytest.raises(ServingError) as load_refused:
        session_servable.load("tf1", 1, tf1)
    assert load_refused.value.code.name == "INVALID_ARGUMENT"
    assert _no_kernel_part(load_refused.value.message) == _no_kernel_part(capi_tf1["load"][1])
    served = session_servable.load("seed_pyfunc", 1, SEED_PYFUNC / "1")
    with pytest.raises(ServingError) as run_refused:
        served.run("serving_default", {"features": np.zeros((1, 3), np.float32)}, ["score"])
    assert run_refused.value.code.name == "INVALID_ARGUMENT"
    assert _no_kernel_part(run_refused.value.message) == _no_kernel_part(capi_tf2["run"][1])


def _python_capi(model: Path, feed: str, fetch: str, cols: int) -> Any:
    r = _run([sys.executable, "-c", _CAPI, str(model), feed, fetch, str(cols)])
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])
