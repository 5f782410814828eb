"""tensorflow_serving/model_servers/http_rest_api_handler_test.cc, over HTTP.

TF Serving's test calls HttpRestApiHandler::ProcessRequest on a ServerCore that
serves TensorFlow's half_plus_two as `saved_model_half_plus_two_2_versions`
(version 123 only, label `Version_Label`, given by a config reload). Here the
same requests go to the server under test, and what the test asserts on the
returned Status is asserted on the HTTP answer: the status code (http_server.cc
ToHTTPStatusCode), the {"error": ...} body, the Content-Type header.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.conformance.conftest import MODELS, Target
from tests.conformance.models import dtype_models as dm

TEST = "tensorflow_serving/model_servers/http_rest_api_handler_test.cc"
HTTP_SERVER = "tensorflow_serving/model_servers/http_server.cc"
NAME = dm.HALF_PLUS_TWO
VERSION = dm.HALF_PLUS_TWO_VERSION
LABEL = dm.HALF_PLUS_TWO_LABEL


@pytest.fixture(scope="module")
def http(target: Target) -> Any:
    dm.ensure_labels(target.grpc, target.rest, MODELS / "models.config")
    with requests.Session() as s:
        yield s


def call(http: Any, target: Target, method: str, path: str, body: bytes = b"") -> Any:
    return http.request(method, target.rest + path, data=body, timeout=30)


def ok(r: Any) -> Any:
    assert r.status_code == 200, (r.status_code, r.content)
    assert r.headers["Content-Type"] == "application/json"
    return json.loads(r.content)


def error(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.content)
    assert r.headers["Content-Type"] == "application/json"
    return json.loads(r.content)["error"]


@pytest.mark.tfserving(TEST, "kPathRegex")
def test_path_regex(http: Any, target: Target) -> None:
    # /v1/models reaches the handler (which wants a model name) ...
    r = call(http, target, "GET", "/v1/models")
    assert error(r, 400) == "Missing model name in request."
    # ... paths outside (?i)/v1/.* are not dispatched to it: libevent's own 404 page.
    for path in ("/statuspage", "/index"):
        r = call(http, target, "GET", path)
        assert r.status_code == 404, (path, r.status_code, r.content)
        assert r.headers["Content-Type"].startswith("text/html")


MALFORMED = [
    ("GET", "/v1/foo"),
    ("POST", "/v1/foo"),
    ("GET", "/v1/models/debug/model_name"),
    ("POST", "/v1/models"),
    ("GET", "/v1/models/foo:predict"),
    ("GET", "/v1/models/foo/version/50:predict"),
    ("POST", "/v1/models/foo/version/50:regress"),
    ("POST", "/v1/models/foo/versions/HELLO:regress"),
    ("POST", "/v1/models/foo/metadata"),
    ("POST", "/v1/models/foo/label/some_label:regress"),
    ("POST", "/v1/models/foo/versions/50/labels/some_label:regress"),
    ("POST", "/v1/models/foo/versions/some_label:regress"),
]


@pytest.mark.tfserving(TEST, "UnsupportedApiCalls")
@pytest.mark.parametrize(("method", "path"), MALFORMED, ids=[f"{m} {p}" for m, p in MALFORMED])
def test_unsupported_api_call_is_malformed_request(
    http: Any, target: Target, method: str, path: str
) -> None:
    r = call(http, target, method, path)
    assert error(r, 400) == f"Malformed request: {method} {path}"


@pytest.mark.tfserving(TEST, "UnsupportedApiCalls")
def test_unsupported_api_call_missing_model_name(http: Any, target: Target) -> None:
    assert "Missing model name" in error(call(http, target, "GET", "/v1/models"), 400)


@pytest.mark.tfserving(TEST, "UnsupportedApiCalls")
def test_version_beyond_int64_fails_to_convert(http: Any, target: Target) -> None:
    # The Status says "Failed to convert version: ..."; ProcessRequest returns it from
    # ParseModelInfo before MakeJsonFromStatus, so the HTTP answer carries no body.
    r = call(http, target, "POST", f"/v1/models/foo/versions/{2**64 - 1}:regress")
    assert r.status_code == 400, (r.status_code, r.content)
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == b""


@pytest.mark.tfserving(TEST, "PredictModelNameVersionErrors")
@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/foo:predict",
        "/v1/models/foo/versions/50:predict",
        f"/v1/models/{NAME}99:predict",
    ],
    ids=["unknown-model", "unknown-model-version", "unknown-model-name-suffix"],
)
def test_predict_model_name_version_errors(http: Any, target: Target, path: str) -> None:
    error(call(http, target, "POST", path, b'{ "instances": [1] }'), 404)


PREDICT = f"/v1/models/{NAME}:predict"


@pytest.mark.tfserving(TEST, "PredictRequestErrors")
@pytest.mark.parametrize(
    ("path", "body", "part"),
    [
        (PREDICT, b"", "JSON Parse error: The document is empty"),
        (PREDICT, b"instances = [1, 2]", "JSON Parse error: Invalid value"),
        (PREDICT, b'{ "instances": ["x", "y"] }', "not of expected type: float"),
        (
            f"/v1/models/{NAME}/labels/Version_Nonexistent:predict",
            b'{ "instances": ["x", "y"] }',
            "Unrecognized servable version label",
        ),
        (PREDICT, b'{ "signature_name": 100 }', "'signature_name' key must be a string value."),
    ],
    ids=["empty", "bad-json", "type", "unknown-label", "signature-name-type"],
)
def test_predict_request_errors(
    http: Any, target: Target, path: str, body: bytes, part: str
) -> None:
    assert part in error(call(http, target, "POST", path, body), 400)


@pytest.mark.tfserving(TEST, "Predict")
@pytest.mark.parametrize(
    ("path", "body", "answer"),
    [
        (
            PREDICT,
            b'{"instances": [[1.0, 2.0], [3.0, 4.0]]}',
            {"predictions": [[2.5, 3.0], [3.5, 4.0]]},
        ),
        (
            f"/v1/models/{NAME}/versions/{VERSION}:predict",
            b'{"instances": [1.0, 2.0]}',
            {"predictions": [2.5, 3.0]},
        ),
        (
            f"/v1/models/{NAME}/labels/{LABEL}:predict",
            b'{"instances": [1.0, 2.0]}',
            {"predictions": [2.5, 3.0]},
        ),
        (
            f"/v1/models/{NAME}/versions/{VERSION}:predict",
            b'{"signature_name": "serving_default", "instances": [3.0, 4.0]}',
            {"predictions": [3.5, 4.0]},
        ),
        (
            f"/v1/models/{NAME}/versions/{VERSION}:predict",
            b'{"signature_name": "serving_default", "inputs": [3.0, 4.0]}',
            {"outputs": [3.5, 4.0]},
        ),
    ],
    ids=["latest", "version", "label", "signature-name", "columnar"],
)
def test_predict(http: Any, target: Target, path: str, body: bytes, answer: Any) -> None:
    assert ok(call(http, target, "POST", path, body)) == answer


@pytest.mark.tfserving(TEST, "Regress")
@pytest.mark.parametrize(
    "path",
    [
        f"/v1/models/{NAME}:regress",
        f"/v1/models/{NAME}/versions/{VERSION}:regress",
        f"/v1/models/{NAME}/labels/{LABEL}:regress",
    ],
    ids=["latest", "version", "label"],
)
def test_regress(http: Any, target: Target, path: str) -> None:
    body = b'{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }'
    assert ok(call(http, target, "POST", path, body)) == {"results": [42]}


@pytest.mark.tfserving(TEST, "Classify")
@pytest.mark.parametrize(
    ("path", "x", "score"),
    [
        (f"/v1/models/{NAME}:classify", 20.0, 12),
        (f"/v1/models/{NAME}/labels/{LABEL}:classify", 10.0, 7),
    ],
    ids=["latest", "label"],
)
def test_classify(http: Any, target: Target, path: str, x: float, score: float) -> None:
    body = json.dumps({"signature_name": "classify_x_to_y", "examples": [{"x": x}]}).encode()
    assert ok(call(http, target, "POST", path, body)) == {"results": [[["", score]]]}


STATUS = {
    "model_version_status": [
        {
            "version": str(VERSION),
            "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""},
        }
    ]
}


@pytest.mark.tfserving(TEST, "GetStatus")
@pytest.mark.parametrize(
    "path",
    [
        f"/v1/models/{NAME}",
        f"/v1/models/{NAME}/versions/{VERSION}",
        f"/v1/models/{NAME}/labels/{LABEL}",
    ],
    ids=["all-versions", "version", "label"],
)
def test_get_status(http: Any, target: Target, path: str) -> None:
    assert ok(call(http, target, "GET", path)) == STATUS


def _tensor(name: str, dtype: str, dims: list[int] | None) -> dict[str, Any]:
    """A TensorInfo as C++ protobuf prints it with always_print_primitive_fields."""
    if dims is None:
        shape: dict[str, Any] = {"dim": [], "unknown_rank": True}
    else:
        shape = {"dim": [{"size": str(d), "name": ""} for d in dims], "unknown_rank": False}
    return {"dtype": dtype, "tensor_shape": shape, "name": name}


def _signature(method: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "inputs": inputs,
        "outputs": outputs,
        "method_name": f"tensorflow/serving/{method}",
        "defaults": {},
    }


def _expected_metadata() -> dict[str, Any]:
    """servables/tensorflow/testdata/saved_model_half_plus_two_2_versions_metadata.json."""
    batch = [-1, 1]
    x, y = _tensor("x:0", "DT_FLOAT", batch), _tensor("y:0", "DT_FLOAT", batch)
    x2, y2 = _tensor("x2:0", "DT_FLOAT", batch), _tensor("y2:0", "DT_FLOAT", batch)
    y3 = _tensor("y3:0", "DT_FLOAT", batch)
    example = _tensor("tf_example:0", "DT_STRING", None)
    sigs = {
        "regress_x2_to_y3": _signature("regress", {"inputs": x2}, {"outputs": y3}),
        "serving_default": _signature("predict", {"x": x}, {"y": y}),
        "classify_x_to_y": _signature("classify", {"inputs": example}, {"scores": y}),
        "classify_x2_to_y3": _signature("classify", {"inputs": x2}, {"scores": y3}),
        "regress_x_to_y2": _signature("regress", {"inputs": example}, {"outputs": y2}),
        "regress_x_to_y": _signature("regress", {"inputs": example}, {"outputs": y}),
    }
    return {
        "model_spec": {"name": NAME, "signature_name": "", "version": str(VERSION)},
        "metadata": {"signature_def": {"signature_def": sigs}},
    }


@pytest.mark.tfserving(TEST, "GetModelMetadata")
def test_get_model_metadata(http: Any, target: Target) -> None:
    assert ok(call(http, target, "GET", f"/v1/models/{NAME}/metadata")) == _expected_metadata()


@pytest.mark.tfserving(HTTP_SERVER, "ToHTTPStatusCode")
def test_errors_keep_their_http_status_and_json_body(http: Any, target: Target) -> None:
    # NOT_FOUND 404, FAILED_PRECONDITION and INVALID_ARGUMENT 400, each with {"error"}.
    r = call(http, target, "GET", "/v1/models/no_such_model")
    assert error(r, 404)
    r = call(http, target, "POST", PREDICT, b'{"signature_name": "nope", "instances": [1.0]}')
    assert error(r, 400) == 'Serving signature name: "nope" not found in signature def'
