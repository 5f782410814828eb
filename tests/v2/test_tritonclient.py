"""tritonclient's HTTP and gRPC clients, independent v2 clients, against the bundled server:
health, server and model metadata, infer with the goldens' inputs (FP32, FP64, FP16, INT32,
INT64, UINT8, BOOL, BYTES), requested outputs, errors.

The inputs are read from each case's v2 request and the answers compared with its golden
v2 response, both decoded here with numpy and tritonclient.utils only (not serving.v2, the
codec the server shares with the golden): bit for bit, since the server runs the golden's
TensorFlow build.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2
from tritonclient.utils import (
    InferenceServerException,
    deserialize_bytes_tensor,
    triton_to_np_dtype,
)

from tfinterop.golden.cases import manifest
from tfinterop.harness.server_process import RunningServer

_FIELDS = {
    "BOOL": "bool_contents",
    "UINT8": "uint_contents",
    "INT8": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def _array(datatype: str, shape: list[int], contents: Any, raw: bytes | None) -> np.ndarray:
    if raw is not None:
        if datatype == "BYTES":
            return deserialize_bytes_tensor(raw).reshape(shape)
        return np.frombuffer(raw, dtype=triton_to_np_dtype(datatype)).reshape(shape)
    values = list(getattr(contents, _FIELDS[datatype]))
    if datatype == "BYTES":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return np.array(values, dtype=triton_to_np_dtype(datatype)).reshape(shape)


def _tensors(message: Any, tensors: Any, raw: Any) -> dict[str, tuple[str, np.ndarray]]:
    raws = list(raw)
    return {
        t.name: (
            t.datatype,
            _array(t.datatype, list(t.shape), t.contents, raws[i] if raws else None),
        )
        for i, t in enumerate(tensors)
    }


def _golden(case: manifest.ManifestCase) -> tuple[Any, dict[str, tuple[str, np.ndarray]], Any]:
    request = service_pb2.ModelInferRequest.FromString(case.request_bytes("v2grpc"))
    response = service_pb2.ModelInferResponse.FromString(case.response_bytes("v2grpc"))
    inputs = _tensors(request, request.inputs, request.raw_input_contents)
    return request, inputs, response


def _same(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    if want.dtype == object:
        # tritonclient's HTTP client gives JSON BYTES back as str
        as_bytes = [x.encode() if isinstance(x, str) else bytes(x) for x in got.reshape(-1)]
        assert as_bytes == list(want.reshape(-1)), name
    else:
        assert got.dtype == want.dtype, f"{name}: {got.dtype} != {want.dtype}"
        assert got.tobytes() == want.tobytes() or (
            want.dtype.kind == "f" and np.array_equal(got, want, equal_nan=True)
        ), f"{name}: {got} != {want}"


def _ok_cases(cases: dict[str, manifest.Manifest]) -> list[tuple[str, str]]:
    return [
        (model, c.id)
        for model, m in sorted(cases.items())
        for c in m.cases
        if c.v2 is not None and "response" in c.v2
    ]


CASE_IDS = [
    ("mnist", "v1-test-0000"),
    ("mnist", "v2-batch32"),
    ("mnist", "latest-zeros"),
    ("multi_io", "all-dtypes"),
    ("multi_io", "probe-columnar"),
    ("multi_io", "probe-nan-inf"),
    ("multi_io", "float32-max"),
    ("multi_io", "uneven-typed-lists"),
    ("text", "utf8"),
    ("text", "nul-bytes"),
    ("text", "invalid-utf8"),
    ("text", "batch"),
]


def test_the_cases_exist(cases: dict[str, manifest.Manifest]) -> None:
    """The cases this file infers on are goldens with a v2 response."""
    assert set(CASE_IDS) <= set(_ok_cases(cases))


def _case(cases: dict[str, manifest.Manifest], model: str, case_id: str) -> manifest.ManifestCase:
    return next(c for c in cases[model].cases if c.id == case_id)


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Any:
    client = httpclient.InferenceServerClient(server.rest_url.removeprefix("http://"))
    yield client
    client.close()


@pytest.fixture(scope="module")
def grpc(server: RunningServer) -> Any:
    client = grpcclient.InferenceServerClient(server.target)
    yield client
    client.close()


def test_health_over_both_clients(http: Any, grpc: Any) -> None:
    for client in (http, grpc):
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("mnist") and client.is_model_ready("mnist", "1")
        assert not client.is_model_ready("mnist", "99")
        assert not client.is_model_ready("no_such_model")


def test_server_metadata(http: Any, grpc: Any) -> None:
    meta = http.get_server_metadata()
    assert meta["name"] == "tfinterop" and "binary_tensor_data" in meta["extensions"]
    assert grpc.get_server_metadata(as_json=True)["name"] == "tfinterop"


def test_model_metadata_is_the_serving_default_signature(http: Any, grpc: Any) -> None:
    want = {
        "name": "mnist",
        "versions": ["1", "2"],
        "platform": "tensorflow_savedmodel",
        "inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 28, 28]}],
        "outputs": [{"name": "output_0", "datatype": "FP32", "shape": [-1, 10]}],
    }
    assert http.get_model_metadata("mnist") == want
    got = grpc.get_model_metadata("mnist", as_json=True)
    # protobuf's JSON writes int64 shapes as strings
    for t in got["inputs"] + got["outputs"]:
        t["shape"] = [int(d) for d in t["shape"]]
    assert got == want
    multi = http.get_model_metadata("multi_io")
    assert {t["name"]: t["datatype"] for t in multi["inputs"]} == {
        "f16": "FP16",
        "f64": "FP64",
        "flag": "BOOL",
        "i32": "INT32",
        "i64": "INT64",
        "scale": "FP32",
        "u8": "UINT8",
    }


@pytest.mark.parametrize(("model", "case_id"), CASE_IDS, ids=[f"{m}/{c}" for m, c in CASE_IDS])
def test_grpc_infer_answers_the_golden(
    grpc: Any, cases: dict[str, manifest.Manifest], model: str, case_id: str
) -> None:
    request, inputs, want = _golden(_case(cases, model, case_id))
    tensors = []
    for name, (datatype, arr) in inputs.items():
        t = grpcclient.InferInput(name, list(arr.shape), datatype)
        t.set_data_from_numpy(arr)
        tensors.append(t)
    sig = request.parameters.get("signature_name")
    result = grpc.infer(
        request.model_name,
        tensors,
        model_version=request.model_version,
        parameters={"signature_name": sig.string_param} if sig else None,
    )
    got = result.get_response()
    assert (got.model_name, got.model_version) == (want.model_name, want.model_version)
    golden = _tensors(want, want.outputs, want.raw_output_contents)
    assert sorted(o.name for o in got.outputs) == sorted(golden)
    for name, (datatype, arr) in golden.items():
        assert result.get_output(name).datatype == datatype
        _same(result.as_numpy(name), arr, name)


@pytest.mark.parametrize("binary", [True, False], ids=["binary data", "JSON"])
@pytest.mark.parametrize(("model", "case_id"), CASE_IDS, ids=[f"{m}/{c}" for m, c in CASE_IDS])
def test_http_infer_answers_the_golden(
    http: Any, cases: dict[str, manifest.Manifest], model: str, case_id: str, binary: bool
) -> None:
    case = _case(cases, model, case_id)
    if not binary and "v2rest" not in case.transports:
        pytest.skip("its strings are not UTF-8: JSON cannot carry them, binary data can")
    request, inputs, want = _golden(case)
    tensors = []
    for name, (datatype, arr) in inputs.items():
        t = httpclient.InferInput(name, list(arr.shape), datatype)
        t.set_data_from_numpy(arr, binary_data=binary)
        tensors.append(t)
    golden = _tensors(want, want.outputs, want.raw_output_contents)
    outputs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in golden]
    sig = request.parameters.get("signature_name")
    result = http.infer(
        request.model_name,
        tensors,
        model_version=request.model_version,
        outputs=outputs,
        parameters={"signature_name": sig.string_param} if sig else None,
    )
    got = result.get_response()
    assert (got["model_name"], got["model_version"]) == (want.model_name, want.model_version)
    for name, (datatype, arr) in golden.items():
        assert result.get_output(name)["datatype"] == datatype
        _same(result.as_numpy(name), arr, name)


def test_requested_outputs_only(http: Any, grpc: Any, cases: dict[str, manifest.Manifest]) -> None:
    _, inputs, want = _golden(_case(cases, "multi_io", "all-dtypes"))
    golden = _tensors(want, want.outputs, want.raw_output_contents)
    g_inputs, h_inputs = [], []
    for name, (datatype, arr) in inputs.items():
        g_inputs.append(grpcclient.InferInput(name, list(arr.shape), datatype))
        g_inputs[-1].set_data_from_numpy(arr)
        h_inputs.append(httpclient.InferInput(name, list(arr.shape), datatype))
        h_inputs[-1].set_data_from_numpy(arr)
    g = grpc.infer("multi_io", g_inputs, outputs=[grpcclient.InferRequestedOutput("total")])
    assert [o.name for o in g.get_response().outputs] == ["total"]
    _same(g.as_numpy("total"), golden["total"][1], "total")
    h = http.infer(
        "multi_io",
        h_inputs,
        outputs=[httpclient.InferRequestedOutput(n) for n in ("weighted", "half")],
    )
    assert [o["name"] for o in h.get_response()["outputs"]] == ["weighted", "half"]
    _same(h.as_numpy("half"), golden["half"][1], "half")


def _image(datatype: str = "FP32", shape: tuple[int, ...] = (1, 28, 28), name: str = "image"):  # type: ignore[no-untyped-def]
    arr = np.zeros(shape, triton_to_np_dtype(datatype))
    return [(name, datatype, arr)]


# (id, model, inputs, requested output, gRPC code, HTTP status): Predict's codes, docs/SERVER.md
ERRORS = [
    ("unknown model", "no_such_model", _image(), None, "NOT_FOUND", 404),
    ("wrong datatype", "mnist", _image("INT32"), None, "INVALID_ARGUMENT", 400),
    ("unknown input", "mnist", _image(name="pixels"), None, "INVALID_ARGUMENT", 400),
    ("wrong shape", "mnist", _image(shape=(1, 28, 27)), None, "INVALID_ARGUMENT", 400),
    ("missing input", "mnist", [], None, "INVALID_ARGUMENT", 400),
    ("unknown output", "mnist", _image(), "no_such_output", "INVALID_ARGUMENT", 400),
]


@pytest.mark.parametrize(
    ("model", "inputs", "output", "code", "status"),
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_errors_carry_predicts_codes(
    http: Any,
    grpc: Any,
    model: str,
    inputs: list[tuple[str, str, np.ndarray]],
    output: str | None,
    code: str,
    status: int,
) -> None:
    for client, lib in ((grpc, grpcclient), (http, httpclient)):
        tensors = []
        for name, datatype, arr in inputs:
            tensors.append(lib.InferInput(name, list(arr.shape), datatype))
            tensors[-1].set_data_from_numpy(arr)
        outputs = [lib.InferRequestedOutput(output)] if output else None
        with pytest.raises(InferenceServerException) as e:
            client.infer(model, tensors, outputs=outputs)
        want = f"StatusCode.{code}" if lib is grpcclient else str(status)
        assert e.value.status() == want, e.value


def test_metadata_of_an_unknown_model_is_not_found(http: Any, grpc: Any) -> None:
    with pytest.raises(InferenceServerException) as e:
        grpc.get_model_metadata("no_such_model")
    assert e.value.status() == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as e:
        http.get_model_metadata("no_such_model")
    assert e.value.status() == "404"
