"""The shared REST codec vectors (golden/rest_vectors.py), read by the Python client's codec
and checked against the bundled server's codec.

The Go, Java and C++ codec tests iterate over the same file, build/vectors/rest_json.json;
here the table is also held to TF Serving's side of the wire: the server's reader must
read every encode body back to the request's tensors, and its writer must write every
decode body token for token.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import classification_pb2

from tfinterop.client.transports import rest_json
from tfinterop.golden import rest_vectors as rv
from tfinterop.golden.rest import JSON_DTYPES
from tfinterop.server import json_tensor
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import ServingError

VECTORS = Path(__file__).resolve().parents[2] / "build" / "vectors" / "rest_json.json"


class _Float(float):
    """A JSON number written with '.', 'e' or a NaN/Infinity token: a double."""


def _tree(text: str | bytes) -> Any:
    """A body as a JSON tree whose numbers keep their kind (int, or _Float)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="surrogateescape")
    return json.loads(
        text, parse_float=lambda s: _Float(float(s)), parse_constant=lambda s: _Float(float(s))
    )


def same_body(got: Any, want: Any, where: str = "$") -> None:
    """The vector rule: key order free, integers exact, doubles bit-identical, NaN == NaN."""
    assert type(got) is type(want), f"{where}: {got!r} is not of the kind of {want!r}"
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), f"{where}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            same_body(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{where}: {len(got)} elements, want {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same_body(g, w, f"{where}[{i}]")
    elif isinstance(want, _Float):
        if math.isnan(want):
            assert math.isnan(got), f"{where}: {got!r}, want NaN"
        else:
            assert struct.pack("<d", got) == struct.pack("<d", want), (
                f"{where}: {got!r} != {want!r}"
            )
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def same_array(got: np.ndarray, want: np.ndarray, where: str) -> None:
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype}, want {want.dtype}"
    assert got.shape == want.shape, f"{where}: shape {got.shape}, want {want.shape}"
    if want.dtype.kind == "f":
        nan = np.isnan(want)
        assert (np.isnan(got) == nan).all(), f"{where}: NaNs at {np.isnan(got)}, want {nan}"
        assert got[~nan].tobytes() == want[~nan].tobytes(), f"{where}: {got} != {want}"
    else:
        assert got.tolist() == want.tolist(), f"{where}: {got} != {want}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The file `make export` wrote (the table itself when it has not run)."""
    if VECTORS.exists():
        return json.loads(VECTORS.read_text())
    return rv.document()


def test_the_file_export_wrote_is_the_table(document: dict[str, Any]) -> None:
    assert document == rv.document()
    assert len(document["encode"]) == len(rv.ENCODE) and len(document["decode"]) == len(rv.DECODE)


def _request(row: dict[str, Any]) -> Any:
    from tensorflow_serving.apis import predict_pb2, regression_pb2

    kind = {
        "predict": predict_pb2.PredictRequest,
        "classify": classification_pb2.ClassificationRequest,
        "regress": regression_pb2.RegressionRequest,
    }[row["api"]]
    return kind.FromString(base64.b64decode(row["request"]))


def _encode(row: dict[str, Any]) -> bytes:
    req = _request(row)
    if row["api"] == "predict":
        return rest_json.predict_body(req, row["rest_format"])
    return rest_json.examples_body(req)


@pytest.mark.parametrize("vector", rv.ENCODE, ids=lambda v: v.id)
def test_python_client_writes_each_encode_body(vector: rv.Encode, document: dict[str, Any]) -> None:
    (row,) = [r for r in document["encode"] if r["id"] == vector.id]
    if "error" in row:
        with pytest.raises(ServingError) as e:
            _encode(row)
        assert e.value.code.name == row["error"]
    else:
        same_body(_tree(_encode(row)), _tree(row["body"]))


def _signature(outputs: dict[str, str]) -> meta_graph_pb2.SignatureDef:
    sig = meta_graph_pb2.SignatureDef()
    for name, dtype in outputs.items():
        sig.outputs[name].dtype = types_pb2.DataType.Value(dtype)
    return sig


def _body(row: dict[str, Any]) -> bytes:
    return base64.b64decode(row["body_b64"]) if "body_b64" in row else row["body"].encode("utf-8")


@pytest.mark.parametrize("vector", rv.DECODE, ids=lambda v: v.id)
def test_python_client_reads_each_decode_body(vector: rv.Decode, document: dict[str, Any]) -> None:
    (row,) = [r for r in document["decode"] if r["id"] == vector.id]

    def decode() -> dict[str, tuple[np.ndarray, int]]:
        return rest_json.read_outputs(_body(row), _signature(row["outputs"]))

    if "error" in row:
        with pytest.raises(ServingError) as e:
            decode()
        assert e.value.code.name == row["error"]
        return
    got = decode()
    assert sorted(got) == sorted(row["expect"])
    for name, b64 in row["expect"].items():
        want = tensor_codec.to_ndarray(tensor_pb2.TensorProto.FromString(base64.b64decode(b64)))
        same_array(got[name][0], want, f"{vector.id}.{name}")


# -- the table against TF Serving's side of the wire (the bundled server's codec) ---------------
@pytest.mark.parametrize(
    "vector",
    [
        v
        for v in rv.ENCODE
        if v.error is None
        and v.api == "predict"
        and all(tensor_codec.from_ndarray(a).dtype in JSON_DTYPES for a in v.inputs.values())
    ],
    ids=lambda v: v.id,
)
def test_server_reads_each_predict_body_back_to_the_request(vector: rv.Encode) -> None:
    doc = json_tensor.parse(json.dumps(vector.body, allow_nan=True).encode("utf-8"))
    dtypes = {k: tensor_codec.from_ndarray(a).dtype for k, a in vector.inputs.items()}
    arrays, fmt = json_tensor.predict_inputs(doc, dtypes)
    assert fmt == vector.rest_format
    assert json_tensor.signature_name(doc) == vector.signature_name
    for alias, want in vector.inputs.items():
        same_array(arrays[alias], want, f"{vector.id}.{alias}")


@pytest.mark.parametrize("vector", [v for v in rv.ENCODE if v.api != "predict"], ids=lambda v: v.id)
def test_server_reads_each_examples_body_back_to_the_request(vector: rv.Encode) -> None:
    doc = json_tensor.parse(json.dumps(vector.body, allow_nan=True).encode("utf-8"))
    got = classification_pb2.ClassificationRequest()
    json_tensor.examples_input(doc, got.input)
    assert got.input == rv.request(vector).input


@pytest.mark.parametrize("vector", [v for v in rv.DECODE if v.error is None], ids=lambda v: v.id)
def test_server_writes_each_decode_body_token_for_token(vector: rv.Decode) -> None:
    assert vector.expect is not None
    outputs = {
        name: (arr, types_pb2.DataType.Value(vector.outputs[name]))
        for name, arr in vector.expect.items()
    }
    written = json_tensor.tensors_json(outputs, vector.rest_format)

    def tokens(body: bytes) -> Any:
        return json.loads(
            body.decode("utf-8", errors="surrogateescape"),
            parse_float=str,
            parse_int=str,
            parse_constant=str,
        )

    assert tokens(written) == tokens(vector.body)
