"""The server's REST JSON codec follows TF Serving's json_tensor.cc."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from tfinterop.client.transports import rest_json
from tfinterop.server import json_tensor
from tfinterop.serving.errors import Code, ServingError

F32 = types_pb2.DT_FLOAT


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (16777217.0, "16777216.0"),
        (1e-45, "1.4013e-45"),
        (3.4028235e38, "3.40282347e+38"),
        (1.0, "1.0"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_float32_written_shortest_that_round_trips(value: float, text: str) -> None:
    v = float(np.float32(value))
    assert json_tensor.format_float(v, double=False) == text
    if np.isfinite(v):
        assert np.float32(float(text)) == np.float32(v)


def test_float_probes_round_trip_bit_exact_through_json() -> None:
    probes = np.array(
        [0.1, 16777217, 1e-45, 3.4028235e38, -0.0, np.nan, np.inf, -np.inf], np.float32
    )
    body = json_tensor.tensors_json({"y": (probes, F32)}, json_tensor.COLUMNAR)
    back = rest_json.to_array(rest_json.loads(body)["outputs"], F32)
    assert back.tobytes() == probes.tobytes()


def test_int64_above_2_pow_53_survives() -> None:
    big = np.array([2**53 + 1, -(2**63)], np.int64)
    body = json_tensor.tensors_json({"y": (big, types_pb2.DT_INT64)}, json_tensor.COLUMNAR)
    assert (
        rest_json.to_array(rest_json.loads(body)["outputs"], types_pb2.DT_INT64).tolist()
        == big.tolist()
    )


def test_row_and_columnar_requests() -> None:
    doc = json_tensor.parse(b'{"instances": [[1.0, 2.0], [3.0, NaN]]}')
    arrays, fmt = json_tensor.predict_inputs(doc, {"x": F32})
    assert fmt == "row" and arrays["x"].shape == (2, 2) and np.isnan(arrays["x"][1, 1])
    doc = json_tensor.parse(b'{"inputs": {"a": [1, 2], "b": [[true]]}}')
    arrays, fmt = json_tensor.predict_inputs(doc, {"a": types_pb2.DT_INT64, "b": types_pb2.DT_BOOL})
    assert fmt == "columnar" and arrays["a"].tolist() == [1, 2] and arrays["b"].tolist() == [[True]]


def test_b64_strings_and_bytes_outputs() -> None:
    doc = json_tensor.parse(b'{"inputs": [{"b64": "/w=="}, "caf\\u00e9"]}')
    arrays, _ = json_tensor.predict_inputs(doc, {"s": types_pb2.DT_STRING})
    assert list(arrays["s"]) == [b"\xff", "café".encode()]
    body = json_tensor.tensors_json(
        {"out_bytes": (arrays["s"], types_pb2.DT_STRING)}, json_tensor.COLUMNAR
    )
    assert json.loads(body)["outputs"] == [{"b64": "/w=="}, {"b64": "Y2Fmw6k="}]


@pytest.mark.parametrize(
    ("body", "dtypes", "code"),
    [
        (b"", {"x": F32}, Code.INVALID_ARGUMENT),
        (b"{not json", {"x": F32}, Code.INVALID_ARGUMENT),
        (b"[1]", {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"instances": [1], "inputs": [1]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"signature_name": 3, "inputs": [1]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1.5]}', {"x": types_pb2.DT_INT32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [16777217]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1e39]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [[1, 2], [3]]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [true]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": ["a"]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1]}', {"x": types_pb2.DT_HALF}, Code.UNIMPLEMENTED),
        (b'{"instances": []}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b"[" * 100000 + b"]" * 100000, {"x": F32}, Code.INVALID_ARGUMENT),
        (
            b'{"inputs": ' + b"[" * 3000 + b"1" + b"]" * 3000 + b"}",
            {"x": F32},
            Code.INVALID_ARGUMENT,
        ),
    ],
    ids=[
        "empty",
        "malformed",
        "not-object",
        "both-keys",
        "signature-not-string",
        "decimal-to-int",
        "lossy-int-to-float",
        "float-out-of-range",
        "ragged",
        "bool-to-float",
        "string-to-float",
        "half-unimplemented",
        "no-instances",
        "deep-nesting",
        "deep-list",
    ],
)
def test_bad_request_gets_tf_serving_code(body: bytes, dtypes: dict[str, int], code: Code) -> None:
    with pytest.raises(ServingError) as e:
        doc = json_tensor.parse(body)
        json_tensor.signature_name(doc)
        json_tensor.predict_inputs(doc, dtypes)
    assert e.value.code == code


def test_row_output_with_several_tensors_is_objects() -> None:
    body = json_tensor.tensors_json(
        {
            "a": (np.array([[1.0], [2.0]], np.float32), F32),
            "b": (np.array([7, 8], np.int64), types_pb2.DT_INT64),
        },
        json_tensor.ROW,
    )
    assert json.loads(body) == {"predictions": [{"a": [1.0], "b": 7}, {"a": [2.0], "b": 8}]}


def test_non_utf8_string_output_passes_through_byte_for_byte() -> None:
    s = np.array([b"\xff\x00ok"], object)
    body = json_tensor.tensors_json({"s": (s, types_pb2.DT_STRING)}, json_tensor.COLUMNAR)
    assert b'"\xff\\u0000ok"' in body
    assert rest_json.to_array(rest_json.loads(body)["outputs"], types_pb2.DT_STRING).tolist() == [
        b"\xff\x00ok"
    ]
