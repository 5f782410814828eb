"""tensorflow_serving/model_servers/http_rest_api_util_test.cc, over HTTP.

TF Serving's test calls ParseModelInfo and checks the model name, version, label
and sub-resource it parsed. From outside, a parse shows in what the server does
with it, so the names and labels of the test are served (tests/conformance/models/
dtype_models.py: `modelname` and `modelname!#$%&'()*+,/:;=?@[]`, version 99, labels
`latest` and `latest!#$%&'()*+,/:;=?@[]`): a request reaches the model the path
names once percent-decoded, and the metadata answer names the model and version
it resolved. A path that does not parse is 400 "Malformed request".
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
import requests

from tests.conformance.conftest import MODELS, Target
from tests.conformance.models import dtype_models as dm

TEST = "tensorflow_serving/model_servers/http_rest_api_util_test.cc"
ENCODED = "%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D"  # the test's own
VERSION = dm.RESERVED_VERSION


@pytest.fixture(scope="module")
def http(target: Target) -> Any:
    assert urllib.parse.unquote(ENCODED) == dm.RESERVED
    dm.ensure_labels(target.grpc, target.rest, MODELS / "models.config")
    with requests.Session() as s:
        yield s


def call(http: Any, target: Target, method: str, path: str, body: bytes = b"") -> Any:
    return http.request(method, target.rest + path, data=body, timeout=30)


def ok(r: Any) -> Any:
    assert r.status_code == 200, (r.status_code, r.content)
    return json.loads(r.content)


def status_of(version: int) -> dict[str, Any]:
    return {
        "model_version_status": [
            {
                "version": str(version),
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


@pytest.mark.tfserving(TEST, "TestParseModelInfoForGet")
@pytest.mark.parametrize(
    "path",
    [
        f"/v1/models/modelname{ENCODED}",
        "/v1/models/modelname/versions/99",
        "/v1/models/modelname/labels/latest",
        f"/v1/models/modelname/labels/latest{ENCODED}",
    ],
    ids=["reserved-name", "version", "label", "reserved-label"],
)
def test_get_status_path(http: Any, target: Target, path: str) -> None:
    assert ok(call(http, target, "GET", path)) == status_of(VERSION)


@pytest.mark.tfserving(TEST, "TestParseModelInfoForGet")
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/models/modelname/labels/latest/metadata", dm.PLAIN_NAME),
        (f"/v1/models/modelname{ENCODED}/labels/latest{ENCODED}/metadata", dm.RESERVED_NAME),
    ],
    ids=["label-metadata", "reserved-name-and-label-metadata"],
)
def test_get_metadata_path(http: Any, target: Target, path: str, name: str) -> None:
    spec = ok(call(http, target, "GET", path))["model_spec"]
    assert (spec["name"], spec["version"]) == (name, str(VERSION))


@pytest.mark.tfserving(TEST, "TestParseModelInfoForGet")
@pytest.mark.parametrize(
    "path",
    ["/v1/foo", "/v1/models/foo:predict", "/v1/models/foo/version/50:predict"],
    ids=["foo", "predict-verb", "version-singular"],
)
def test_get_path_that_does_not_parse(http: Any, target: Target, path: str) -> None:
    r = call(http, target, "GET", path)
    assert r.status_code == 400, (r.status_code, r.content)
    assert json.loads(r.content)["error"] == f"Malformed request: GET {path}"


@pytest.mark.tfserving(TEST, "TestParseModelInfoForPost")
@pytest.mark.parametrize(
    "path",
    [
        f"/v1/models/modelname{ENCODED}:predict",
        "/v1/models/modelname/versions/99:predict",
        "/v1/models/modelname/labels/latest:predict",
        f"/v1/models/modelname/labels/latest{ENCODED}:predict",
        f"/v1/models/modelname{ENCODED}/labels/latest{ENCODED}:predict",
    ],
    ids=["reserved-name", "version", "label", "reserved-label", "reserved-name-and-label"],
)
def test_post_predict_path(http: Any, target: Target, path: str) -> None:
    assert ok(call(http, target, "POST", path, b'{"instances": [1.5]}')) == {"predictions": [1.5]}


@pytest.mark.tfserving(TEST, "TestParseModelInfoForPost")
@pytest.mark.parametrize(
    "path",
    [
        "/v1/foo",
        "/v1/models",
        "/v1/models/foo/version/50:predict",
        "/v1/models/foo/versions/string:predict",
        "/v1/models/foo/metadata",
        "/v1/models/foo/versions/50/labels/some_label:regress",
    ],
    ids=[
        "foo",
        "models",
        "version-singular",
        "version-not-number",
        "metadata",
        "version-and-label",
    ],
)
def test_post_path_that_does_not_parse(http: Any, target: Target, path: str) -> None:
    r = call(http, target, "POST", path, b'{"instances": [1.5]}')
    assert r.status_code == 400, (r.status_code, r.content)
    assert json.loads(r.content)["error"] == f"Malformed request: POST {path}"


@pytest.mark.tfserving(TEST, "TestParseModelInfoForPost")
def test_post_version_beyond_int64(http: Any, target: Target) -> None:
    # ParseModelInfo's "Failed to convert version" status leaves the body empty.
    r = call(http, target, "POST", f"/v1/models/foo/versions/{2**64 - 1}:predict", b"{}")
    assert (r.status_code, r.content) == (400, b"")
