"""What tritonclient never sends: the v2 REST and gRPC rules of the bundled server at their
edges (nested data, bodies and requests that do not parse, routes, parameters, versions)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import numpy as np
import pytest
import requests
from tritonclient.grpc import service_pb2, service_pb2_grpc

from tfinterop.harness.server_process import RunningServer

ZEROS = [0.0] * 784


def _post(server: RunningServer, path: str, body: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(server.rest_url + path, data=data, timeout=30)


def _image(data: Any, shape: list[int] | None = None, datatype: str = "FP32") -> dict[str, Any]:
    return {
        "inputs": [
            {"name": "image", "shape": shape or [1, 28, 28], "datatype": datatype, "data": data}
        ]
    }


def test_nested_data_is_read_row_major_like_flat_data(server: RunningServer) -> None:
    image = np.arange(784, dtype=np.float32).reshape(1, 28, 28) / 784
    flat = _post(server, "/v2/models/mnist/infer", _image(image.reshape(-1).tolist()))
    nested = _post(server, "/v2/models/mnist/infer", _image(image.tolist()))
    assert flat.status_code == nested.status_code == 200
    assert flat.json() == nested.json()
    assert flat.json()["model_version"] == "2"  # the version policy's latest


def test_infer_by_version_and_request_id(server: RunningServer) -> None:
    body = {"id": "req-7", **_image(ZEROS)}
    r = _post(server, "/v2/models/mnist/versions/1/infer", body)
    assert r.status_code == 200
    doc = r.json()
    assert (doc["model_name"], doc["model_version"], doc["id"]) == ("mnist", "1", "req-7")
    assert [o["name"] for o in doc["outputs"]] == ["output_0"]
    assert doc["outputs"][0]["shape"] == [1, 10] and len(doc["outputs"][0]["data"]) == 10


# (id, path, body, status, error substring)
REST_ERRORS = [
    ("not JSON", "/v2/models/mnist/infer", b"{", 400, "failed to parse the request JSON"),
    ("no inputs list", "/v2/models/mnist/infer", {"outputs": []}, 400, "no 'inputs' list"),
    ("too few values", "/v2/models/mnist/infer", _image([0.0]), 400, "1 values in 'data'"),
    ("a string for FP32", "/v2/models/mnist/infer", _image(["x"] * 784), 400, "not a FP32"),
    ("unknown datatype", "/v2/models/mnist/infer", _image(ZEROS, datatype="F32"), 400, "'F32'"),
    ("unknown version", "/v2/models/mnist/versions/9/infer", _image(ZEROS), 404, "mnist, 9"),
    (
        "unknown signature",
        "/v2/models/mnist/infer",
        {"parameters": {"signature_name": "nope"}, **_image(ZEROS)},
        400,
        'Serving signature key "nope" not found.',
    ),
    (
        "signature_name not a string",
        "/v2/models/mnist/infer",
        {"parameters": {"signature_name": 3}, **_image(ZEROS)},
        400,
        "must be a string",
    ),
    ("unknown endpoint", "/v2/models/mnist/stats", {}, 404, "no v2 endpoint"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [e[1:] for e in REST_ERRORS],
    ids=[e[0] for e in REST_ERRORS],
)
def test_rest_errors(
    server: RunningServer, path: str, body: Any, status: int, message: str
) -> None:
    r = (
        requests.get(server.rest_url + path, timeout=30)
        if path.endswith("stats")
        else _post(server, path, body)
    )
    assert r.status_code == status, r.content
    assert message in r.json()["error"]


def test_infer_answers_post_only(server: RunningServer) -> None:
    r = requests.get(server.rest_url + "/v2/models/mnist/infer", timeout=30)
    assert r.status_code == 501 and "answers POST" in r.json()["error"]


def _binary_text(server: RunningServer, binary_output: bool) -> requests.Response:
    """text's input b"\xff" as binary data; its normalized_bytes output echoes it."""
    blob = b"\x01\x00\x00\x00\xff"
    header = {
        "inputs": [
            {
                "name": "sentences",
                "shape": [1],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": len(blob)},
            }
        ],
        "outputs": [
            {"name": "normalized_bytes", "parameters": {"binary_data": binary_output}},
            {"name": "score"},
        ],
    }
    text = json.dumps(header).encode()
    return requests.post(
        server.rest_url + "/v2/models/text/infer",
        data=text + blob,
        headers={"Inference-Header-Content-Length": str(len(text))},
        timeout=30,
    )


def test_bytes_that_are_not_utf8_travel_as_binary_data(server: RunningServer) -> None:
    refused = _binary_text(server, binary_output=False)
    assert refused.status_code == 400 and "not UTF-8" in refused.json()["error"]
    r = _binary_text(server, binary_output=True)
    assert r.status_code == 200
    n = int(r.headers["Inference-Header-Content-Length"])
    doc = json.loads(r.content[:n])
    out = {o["name"]: o for o in doc["outputs"]}
    assert out["normalized_bytes"]["parameters"] == {"binary_data_size": 5}
    assert r.content[n:] == b"\x01\x00\x00\x00\xff"
    assert out["score"]["data"] == [0.0]


@pytest.fixture(scope="module")
def stub(server: RunningServer) -> Any:
    with grpc.insecure_channel(server.target) as channel:
        yield service_pb2_grpc.GRPCInferenceServiceStub(channel)


def _request(**kw: Any) -> service_pb2.ModelInferRequest:
    req = service_pb2.ModelInferRequest(model_name="mnist", **kw)
    t = req.inputs.add(name="image", datatype="FP32", shape=[1, 28, 28])
    t.contents.fp32_contents.extend(ZEROS)
    return req


def test_grpc_answers_raw_contents_in_the_order_asked(stub: Any) -> None:
    req = _request(model_version="1")
    req.outputs.add(name="output_0")
    resp = stub.ModelInfer(req, timeout=30)
    assert (resp.model_name, resp.model_version) == ("mnist", "1")
    assert [o.name for o in resp.outputs] == ["output_0"]
    assert len(resp.raw_output_contents) == 1 and len(resp.raw_output_contents[0]) == 40


# (id, change to the request, code)
GRPC_ERRORS = [
    ("version that is not a number", {"model_version": "latest"}, grpc.StatusCode.INVALID_ARGUMENT),
    ("empty model name", {"model_name": ""}, grpc.StatusCode.INVALID_ARGUMENT),
    ("raw contents for some inputs", {"raw": True}, grpc.StatusCode.INVALID_ARGUMENT),
    ("duplicate output", {"outputs": 2}, grpc.StatusCode.INVALID_ARGUMENT),
]


@pytest.mark.parametrize(
    ("change", "code"), [e[1:] for e in GRPC_ERRORS], ids=[e[0] for e in GRPC_ERRORS]
)
def test_grpc_errors(stub: Any, change: dict[str, Any], code: grpc.StatusCode) -> None:
    req = _request()
    if "model_version" in change:
        req.model_version = change["model_version"]
    if "model_name" in change:
        req.model_name = change["model_name"]
    if change.get("raw"):
        req.inputs.add(name="other", datatype="FP32", shape=[1])
        req.raw_input_contents.append(b"\0\0\0\0")
    for _ in range(change.get("outputs", 0)):
        req.outputs.add(name="output_0")
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req, timeout=30)
    assert e.value.code() == code, e.value.details()


def test_methods_without_an_extension_are_unimplemented(stub: Any) -> None:
    with pytest.raises(grpc.RpcError) as e:
        stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(), timeout=30)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
