"""Every RPC and endpoint of the bundled server, with TF Serving's shapes and codes."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import numpy as np
import pytest
import requests
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from tfinterop.golden.cases import manifest
from tfinterop.harness.server_process import RunningServer
from tfinterop.serving import tensor_codec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stub(server: RunningServer) -> prediction_service_pb2_grpc.PredictionServiceStub:
    return prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(server.target))


def _golden(case_id: str) -> tuple[predict_pb2.PredictRequest, predict_pb2.PredictResponse]:
    m = manifest.read(ROOT / "build" / "cases" / "mnist")
    case = next(c for c in m.cases if c.id == case_id)
    return (
        predict_pb2.PredictRequest.FromString(case.read("request")),
        predict_pb2.PredictResponse.FromString(case.read("response")),
    )


def _x(rows: list[list[float]]) -> list[example_pb2.Example]:
    out = []
    for r in rows:
        e = example_pb2.Example()
        e.features.feature["x"].float_list.value.extend(r)
        out.append(e)
    return out


def test_grpc_predict_is_bit_identical_to_golden(stub) -> None:  # type: ignore[no-untyped-def]
    request, want = _golden("v1-test-0003")
    got = stub.Predict(request, timeout=10)
    assert got.model_spec == want.model_spec
    assert (
        tensor_codec.to_ndarray(got.outputs["output_0"]).tobytes()
        == tensor_codec.to_ndarray(want.outputs["output_0"]).tobytes()
    )


def test_rest_predict_row_and_columnar_agree_with_grpc(server: RunningServer) -> None:
    request, want = _golden("v2-test-0001")
    image = tensor_codec.to_ndarray(request.inputs["image"]).tolist()
    url = f"{server.rest_url}/v1/models/mnist/versions/2:predict"
    row = requests.post(url, json={"instances": image}, timeout=10).json()["predictions"]
    col = requests.post(url, json={"inputs": {"image": image}}, timeout=10).json()["outputs"]
    expected = tensor_codec.to_ndarray(want.outputs["output_0"])
    assert np.array(row, np.float32).tobytes() == expected.tobytes()
    assert np.array(col, np.float32).tobytes() == expected.tobytes()


def test_rest_status_json_matches_tf_serving(server: RunningServer) -> None:
    doc = requests.get(f"{server.rest_url}/v1/models/mnist", timeout=10).json()
    assert doc == {
        "model_version_status": [
            {
                "version": "2",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            },
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            },
        ]
    }
    one = requests.get(f"{server.rest_url}/v1/models/mnist/labels/stable", timeout=10).json()
    assert [s["version"] for s in one["model_version_status"]] == ["1"]


def test_rest_metadata_nests_signature_def_twice(server: RunningServer) -> None:
    doc = requests.get(f"{server.rest_url}/v1/models/mnist/versions/1/metadata", timeout=10).json()
    assert doc["model_spec"]["version"] == "1"
    sig = doc["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["inputs"]["image"]["dtype"] == "DT_FLOAT"
    assert sig["method_name"] == "tensorflow/serving/predict"


def test_grpc_metadata_and_status(server: RunningServer, stub) -> None:  # type: ignore[no-untyped-def]
    req = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    req.model_spec.name = "mnist"
    resp = stub.GetModelMetadata(req, timeout=10)
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    resp.metadata["signature_def"].Unpack(sig_map)
    assert "serving_default" in sig_map.signature_def and resp.model_spec.version.value == 2
    status_stub = model_service_pb2_grpc.ModelServiceStub(grpc.insecure_channel(server.target))
    sreq = get_model_status_pb2.GetModelStatusRequest()
    sreq.model_spec.name = "examples"
    states = [s.state for s in status_stub.GetModelStatus(sreq, timeout=10).model_version_status]
    assert states == [30]


def test_classify_regress_and_multi_inference_over_grpc(stub) -> None:  # type: ignore[no-untyped-def]
    creq = classification_pb2.ClassificationRequest()
    creq.model_spec.name = "examples"
    creq.input.example_list.examples.extend(_x([[1.0, 2.0], [0.0, 0.0]]))
    cls = stub.Classify(creq, timeout=10).result.classifications
    assert [c.label for c in cls[0].classes] == ["neg", "pos"]
    assert abs(sum(c.score for c in cls[1].classes) - 1.0) < 1e-6
    rreq = regression_pb2.RegressionRequest()
    rreq.model_spec.name = "examples"
    rreq.model_spec.signature_name = "regress"
    rreq.input.example_list.examples.extend(_x([[1.0, 2.0]]))
    assert stub.Regress(rreq, timeout=10).result.regressions[0].value == pytest.approx(7.0)
    mreq = inference_pb2.MultiInferenceRequest()
    for sig, method in (
        ("classify", "tensorflow/serving/classify"),
        ("regress", "tensorflow/serving/regress"),
    ):
        t = mreq.tasks.add(method_name=method)
        t.model_spec.name = "examples"
        t.model_spec.signature_name = sig
    mreq.input.example_list.examples.extend(_x([[1.0, 2.0]]))
    results = stub.MultiInference(mreq, timeout=10).results
    assert results[1].regression_result.regressions[0].value == pytest.approx(7.0)


def test_missing_feature_takes_its_default(stub) -> None:  # type: ignore[no-untyped-def]
    rreq = regression_pb2.RegressionRequest()
    rreq.model_spec.name = "examples"
    rreq.model_spec.signature_name = "regress"
    rreq.input.example_list.examples.add()
    assert stub.Regress(rreq, timeout=10).result.regressions[0].value == pytest.approx(1.0)


def test_rest_classify_and_regress(server: RunningServer) -> None:
    url = f"{server.rest_url}/v1/models/examples"
    doc = requests.post(
        f"{url}:classify", json={"examples": [{"x": [1.0, 2.0]}]}, timeout=10
    ).json()
    assert [pair[0] for pair in doc["results"][0]] == ["neg", "pos"]
    doc = requests.post(
        f"{url}:regress",
        json={"signature_name": "regress", "examples": [{"x": [1.0, 2.0]}]},
        timeout=10,
    ).json()
    assert doc["results"] == [pytest.approx(7.0)]


def test_classify_on_predict_signature_is_invalid_argument(stub, server: RunningServer) -> None:  # type: ignore[no-untyped-def]
    creq = classification_pb2.ClassificationRequest()
    creq.model_spec.name = "mnist"
    creq.input.example_list.examples.extend(_x([[1.0, 2.0]]))
    with pytest.raises(grpc.RpcError) as e:
        stub.Classify(creq, timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    r = requests.post(
        f"{server.rest_url}/v1/models/mnist:classify", json={"examples": [{"x": 1.0}]}, timeout=10
    )
    assert r.status_code == 400 and "error" in r.json()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/models/mnist:predict", b"{not json", 400),
        (
            "POST",
            "/v1/models/mnist:predict",
            b'{"inputs": {"image": [[1.5]]}, "instances": []}',
            400,
        ),
        ("POST", "/v1/models/mnist:predict", b"[" * 100000, 400),
        ("POST", "/v1/models/mnist:predict", b'{"inputs": [[1e400]]}', 400),
        ("POST", "/v1/models/mnist:explode", b"{}", 400),
        ("GET", "/v1/models/mnist/versions/x", b"", 400),
        ("GET", "/v1/nothing/here", b"", 400),
        ("DELETE", "/v1/models/mnist", b"", 400),
        ("POST", "/v1/models/..%2F..%2Fetc:predict", b'{"inputs": [1.0]}', 404),
        ("POST", "/v1/models/no_such_model:predict", b'{"inputs": [1.0]}', 404),
        ("POST", "/v1/models/mnist/versions/9:predict", b'{"inputs": [1.0]}', 404),
        ("POST", "/v1/models/mnist/labels/nope:predict", b'{"inputs": [1.0]}', 400),
        ("GET", "/v1/models/mnist%00", b"", 404),
    ],
    ids=[
        "malformed-json",
        "both-keys",
        "deep-nesting",
        "number-out-of-range",
        "unknown-verb",
        "bad-version",
        "unknown-path",
        "wrong-method",
        "path-traversal-name",
        "unknown-model",
        "unknown-version",
        "unknown-label",
        "nul-in-name",
    ],
)
def test_bad_rest_request_gets_its_status_and_server_stays_healthy(
    server: RunningServer, method: str, path: str, body: bytes, status: int
) -> None:
    r = requests.request(
        method,
        server.rest_url + path,
        data=body,
        timeout=10,
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == status, r.text
    assert "error" in r.json()
    ok = requests.get(f"{server.rest_url}/v1/models/mnist", timeout=10)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"\x0a\xff\xff", b"\x00" * 64, bytes(range(256)) * 4],
    ids=["truncated", "zeros", "random-ish"],
)
def test_garbage_grpc_body_is_an_error_and_server_stays_healthy(
    server: RunningServer, body: bytes
) -> None:
    channel = grpc.insecure_channel(server.target)
    raw = channel.unary_unary(
        "/tensorflow.serving.PredictionService/Predict",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )
    with pytest.raises(grpc.RpcError) as e:
        raw(body, timeout=10)
    assert e.value.code() in (
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
    )
    assert requests.get(f"{server.rest_url}/v1/models/mnist", timeout=10).status_code == 200


def test_prometheus_metrics_are_served(server: RunningServer, stub) -> None:  # type: ignore[no-untyped-def]
    request, _ = _golden("v1-test-0000")
    stub.Predict(request, timeout=10)
    text = requests.get(f"{server.rest_url}/monitoring/prometheus/metrics", timeout=10).text
    assert ':tensorflow:serving:request_count{model_name="mnist",status="OK"}' in text
    assert "# TYPE :tensorflow:serving:request_latency histogram" in text
    assert json.dumps("x")  # the endpoint is text, not JSON
