"""doctor on the bring-your-own kinds: no false alarms, the right problem, warnings and notes
once, --inputs, and --fix on the Keras 3 seed export. Doctor runs in-process (one TensorFlow
import for the file); the CLI itself is exercised by tests/python/test_quiet.py and test_byo."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from tests.byo.models import CLIENTS, KINDS, ROOT, built
from tfinterop.byo import capi, doctor, fix, limits
from tfinterop.serving import signature, tensor_codec
from tfinterop.serving.errors import ToolError

CAPI_OK = "C API (TF_LoadSessionFromSavedModel + TF_SessionRun): ok"
PYTHON_OK = "Python (tf.saved_model.load): ok"


@pytest.fixture(scope="module")
def folders() -> dict[str, Path]:
    return built()


def _doctor(
    saved_model: Path, inputs: Path | None = None, out: Path | None = None
) -> tuple[int, str]:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        status = doctor.main(saved_model, inputs, out)
    return status, text.getvalue()


@pytest.fixture(scope="module")
def reports(folders: dict[str, Path]) -> dict[str, tuple[int, str]]:
    return {name: _doctor(folder) for name, folder in folders.items()}


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def _run_lines(text: str) -> list[str]:
    runs = text.split("Runs (", 1)[1].splitlines()[1:]
    return [ln for ln in runs if ln.startswith("  ") and "(tf." not in ln and "(TF_" not in ln]


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        st = p.stat()
        h.update(f"{p.relative_to(folder)} {st.st_mode} {st.st_mtime_ns}\n".encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("name", [k for k, kind in KINDS.items() if kind.healthy])
def test_healthy_kind_has_no_problem_and_runs_every_signature_in_both_runtimes(
    reports: dict[str, tuple[int, str]], name: str
) -> None:
    status, text = reports[name]
    assert status == 0, text
    assert not _lines(text, "PROBLEM"), text
    assert PYTHON_OK in text and CAPI_OK in text, text
    runs = _run_lines(text)
    assert runs, text
    assert all("Python ok; C API ok" in ln for ln in runs), text
    assert "No blocking problem found" in text


def test_string_and_example_inputs_run_through_the_c_api_as_in_python(
    reports: dict[str, tuple[int, str]],
) -> None:
    # The old false alarm: "Must specify at least one target to fetch or execute".
    for name in ("string_asset", "string_lookup", "tf1_examples"):
        _, text = reports[name]
        assert "at least one target" not in text
        assert all("C API ok, outputs equal to Python's" in ln for ln in _run_lines(text)), text
    _, tf1 = reports["tf1_examples"]
    assert "'regress': Python ok; C API ok, outputs equal to Python's (tf.Examples" in tf1


@pytest.mark.parametrize("name", [k for k, kind in KINDS.items() if not kind.healthy])
def test_unhealthy_kind_names_its_problem_and_the_fix(
    reports: dict[str, tuple[int, str]], name: str
) -> None:
    status, text = reports[name]
    assert status == 1
    problems = "\n".join(_lines(text, "PROBLEM"))
    assert KINDS[name].problem in problems
    assert "model.export" in problems and "--fix OUT" in problems
    assert "C API (TF_LoadSessionFromSavedModel + TF_SessionRun): FAILED" in text


@pytest.mark.parametrize("name", sorted(KINDS))
def test_warnings_name_exactly_the_clients_and_modes_that_cannot_carry_the_model(
    reports: dict[str, tuple[int, str]], name: str
) -> None:
    status, text = reports[name]
    kind = KINDS[name]
    want = {f"{client}/{mode}" for client, mode in kind.limits}
    want |= {f"{mode} (every client)" for mode in kind.serving_refuses}
    got = {w.removeprefix("WARNING: ").split(" cannot carry")[0] for w in _lines(text, "WARNING")}
    assert got == want, text
    assert status == (0 if KINDS[name].healthy else 1)  # a warning is not a problem


def test_java_int8_warning_gives_an_expect_entry_that_states_the_java_answer(
    reports: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    from tfinterop.judge import expected

    _, text = reports["quantized_dtypes"]
    (warning,) = [w for w in _lines(text, "WARNING: java/inproc")]
    assert warning.startswith(
        "WARNING: java/inproc cannot carry signature 'serving_default' input 'activations' (int8)"
    )
    assert "output 'requantized' (int8)" in warning
    entry_text = re.search(r"\(line: (.*)\)$", warning)
    assert entry_text, warning
    path = tmp_path / "accepted.txt"
    path.write_text(entry_text.group(1) + "\n")
    (entry,) = expected.load_user(path, list(CLIENTS))
    assert (entry.client, entry.pattern) == ("java", "inproc/quantized_dtypes/@runs")
    assert (entry.outcome, entry.substring) == ("UNIMPLEMENTED", "no tensor type for int8")
    # The substring is the one TF Java's refusal carries (TfTensors.unsupported).
    java = ROOT / "clients/java/src/main/java/dev/tfinterop/TfTensors.java"
    assert '": TF Java 1.1.0 has no tensor type for "' in java.read_text()


def test_rest_limit_is_what_the_json_codec_lacks() -> None:
    from tfinterop.golden.rest import JSON_DTYPES

    rest = [lim for lim in limits.LIMITS if lim.mode == "rest"]
    assert {lim.direction for lim in rest} == {"input", "output"}
    for lim in rest:
        assert lim.dtypes == set(tensor_codec.DTYPES) - JSON_DTYPES
        assert lim.recorded


def test_identical_signatures_are_reported_together_and_noted_once(
    reports: dict[str, tuple[int, str]],
) -> None:
    _, text = reports["string_lookup"]
    assert "signatures 'serve', 'serving_default' (the same)" in text
    assert "signature 'serve'" not in text and "signature 'serving_default'" not in text
    notes = _lines(text, "NOTE")
    assert len([n for n in notes if "'color' is a string" in n]) == 1, notes
    _, tf1 = reports["tf1_examples"]
    assert "signatures 'classify', 'serving_default' (the same), classify" in tf1
    assert len(_lines(tf1, "NOTE: signatures 'classify', 'serving_default'")) == 1


def test_signature_groups_follow_the_computation_not_the_key(folders: dict[str, Path]) -> None:
    def groups_of(name: str) -> list[list[str]]:
        meta = signature.read_meta_graph(folders[name] / "1")
        for internal in [k for k in meta.signature_def if k.startswith("__")]:
            del meta.signature_def[internal]
        return doctor.groups(meta)

    assert groups_of("tf1_examples") == [
        ["classify", "serving_default"],
        ["predict"],
        ["predict_x"],
        ["regress"],
    ]
    assert groups_of("module_scorer") == [["score_again", "serving_default"]]
    assert groups_of("two_signatures") == [["embed"], ["serving_default"]]


def test_model_kind_is_read_from_the_object_graph(folders: dict[str, Path]) -> None:
    want = {
        "two_tower": "keras_export",
        "archive_topk": "keras_archive",
        "seed_keras_save": "keras_save",
        "tf1_examples": "tf1",
        "module_scorer": "module",
    }
    for name, kind in want.items():
        model_dir = folders[name] / "1"
        assert doctor.model_kind(signature.read_meta_graph(model_dir), model_dir).name == kind


def test_naming_advice_fits_the_kind_and_skips_classify(
    reports: dict[str, tuple[int, str]],
) -> None:
    _, seed = reports["seed_keras_save"]
    (naming,) = [n for n in _lines(seed, "NOTE") if "takes inputs named ['inputs']" in n]
    assert "keras.Input(name=...)" in naming
    _, tf1 = reports["tf1_examples"]
    # classify/regress take `inputs` because the API says so: no naming advice for them.
    assert "takes inputs named" not in tf1 and "keras.Input" not in tf1


def test_inputs_with_a_misspelt_signature_are_refused_with_the_list(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "inputs.npz"
    np.savez(path, **{"serving_defualt/x": np.zeros((2, 3), np.float32)})
    with pytest.raises(ToolError, match="serving_defualt") as e:
        _doctor(folders["two_signatures"], path)
    assert "serving_default/x" in str(e.value) and "embed/tokens" in str(e.value)


def test_inputs_from_a_rest_instances_body_are_run(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"instances": [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]}))
    status, text = _doctor(folders["two_signatures"], path)
    assert status == 0, text
    assert "signature 'serving_default': Python ok; C API ok" in text
    (line,) = [ln for ln in _run_lines(text) if "'serving_default'" in ln]
    assert line.endswith("(your inputs)"), line
    (other,) = [ln for ln in _run_lines(text) if "'embed'" in ln]
    assert other.endswith("(synthesized)"), other


def test_fix_repairs_the_seed_export_and_leaves_the_original_untouched(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    seed = folders["seed_keras_save"]
    before = _tree_digest(seed)
    out = tmp_path / "repaired"
    status, text = _doctor(seed, out=out)
    assert status == 0, text
    assert "'serving_default': the copy answers as the original in Python (output_0 max" in text
    assert "runs through the C API" in text
    assert f"Next: tfinterop verify --saved-model {out}" in text
    assert [p.name for p in out.iterdir()] == ["1"]  # no temporary folder left behind
    assert _tree_digest(seed) == before
    status, again = _doctor(out)
    assert status == 0, again
    assert CAPI_OK in again and not _lines(again, "PROBLEM")


def test_fix_on_a_model_without_the_keras_save_failure_writes_nothing(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "repaired"
    status, text = _doctor(folders["two_tower"], out=out)
    assert status == 0
    assert "Nothing to repair" in text
    assert not out.exists()


def test_fix_refuses_a_folder_inside_the_model_or_one_that_is_not_empty(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    seed = folders["seed_keras_save"]
    inside = seed / "repaired"
    with pytest.raises(ToolError, match="inside the model folder"):
        fix.check_out(inside, seed)
    with pytest.raises(ToolError, match="inside the model folder"):
        fix.check_out(seed, seed)
    assert not inside.exists()
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(ToolError, match="not an empty folder"):
        _doctor(seed, out=full)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]


def test_capi_carries_strings_both_ways_as_python_does(folders: dict[str, Path]) -> None:
    from tfinterop.client.object_servable import ObjectServable

    model_dir = folders["string_asset"] / "1"
    sig = signature.read_meta_graph(model_dir).signature_def["serving_default"]
    assert sig.inputs["fruit"].dtype == types_pb2.DT_STRING
    # Empty, non-UTF-8, and longer than TF_TString's 22-byte inline form.
    fruit = np.array([b"apple", b"", b"\xff\xfe raw", b"cherry" * 20], dtype=object)
    want = ObjectServable("t", 1, model_dir).run("serving_default", {"fruit": fruit}, ["upper"])
    with capi.Session(model_dir) as session:
        got = session.run({sig.inputs["fruit"].name: fruit}, [sig.outputs["upper"].name])
        assert list(got[sig.outputs["upper"].name]) == list(want["upper"])
        assert want["upper"][2] == b"\xff\xfe RAW"
        with pytest.raises(ValueError, match="nothing to fetch"):
            session.run({}, [])


def test_inputs_both_runtimes_refuse_are_a_note_until_the_user_gives_ones_that_fit(
    tmp_path: Path,
) -> None:
    import tensorflow as tf

    class Picky(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="kelvin")])
        def serve(self, kelvin):  # type: ignore[no-untyped-def]
            check = tf.debugging.assert_greater(kelvin, 100.0, message="too cold")
            with tf.control_dependencies([check]):
                return {"celsius": kelvin - 273.15}

    m = Picky()
    tf.saved_model.save(m, str(tmp_path / "picky" / "1"), signatures={"serving_default": m.serve})
    status, text = _doctor(tmp_path / "picky")
    assert status == 0, text  # synthesized values in [-1, 1) are doctor's fault, not the model's
    assert not _lines(text, "PROBLEM")
    (note,) = [n for n in _lines(text, "NOTE") if "refused doctor's inputs" in n]
    assert "too cold" in note and "--inputs FILE" in note
    good = tmp_path / "warm.json"
    good.write_text(json.dumps({"inputs": {"kelvin": [300.0, 373.15]}}))
    status, text = _doctor(tmp_path / "picky", good)
    assert status == 0 and "Python ok; C API ok" in text, text
    bad = tmp_path / "cold.json"
    bad.write_text(json.dumps({"inputs": {"kelvin": [3.0]}}))
    status, text = _doctor(tmp_path / "picky", bad)
    assert status == 1
    assert "fails with your inputs in Python and the C API" in "\n".join(_lines(text, "PROBLEM"))


def test_a_classify_signature_tf_serving_would_refuse_is_a_problem(tmp_path: Path) -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        spec = {"x": tf.io.FixedLenFeature([1], tf.float32, default_value=[0.0])}
        x = tf.io.parse_example(serialized, spec)["x"]
        scores = tf.concat([x, -x], axis=1)
        # Keyed "examples", not "inputs": TF Serving's Classify cannot find its input.
        sig = v1.saved_model.build_signature_def(
            inputs={"examples": v1.saved_model.build_tensor_info(serialized)},
            outputs={"scores": v1.saved_model.build_tensor_info(scores)},
            method_name=signature.CLASSIFY_METHOD,
        )
        with v1.Session(graph=graph) as sess:
            builder = v1.saved_model.Builder(str(tmp_path / "misnamed" / "1"))
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig}
            )
            builder.save()
    status, text = _doctor(tmp_path / "misnamed")
    assert status == 1
    (problem,) = _lines(text, "PROBLEM")
    assert "No classification inputs found in SignatureDef" in problem
    assert "keyed 'inputs'" in problem
