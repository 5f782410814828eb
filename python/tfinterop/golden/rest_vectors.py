"""REST JSON <-> TensorProto vectors: one table every client's REST codec test iterates.

`make export` writes build/vectors/rest_json.json from this table. Each vector
states the request a client is given, or the response body TF Serving sends,
beside what must come out; the Go, Java, C++ and Python codec tests read the
same file instead of each keeping its own hand-written cases.

- `encode`: a PredictRequest (or Classification/RegressionRequest) and the REST
  format; a client writes a body equal to `body` (docs/CONTRACT.md "rest"), or
  refuses with `error`. Bodies are compared as JSON trees, not as text: object
  keys in any order; a number without '.', 'e' or 'E' is an integer and must
  equal exactly (int64 above 2^53 included); any other number, NaN, Infinity
  and -Infinity is a double and must be bit-identical (-0.0 is not 0.0; NaN
  equals NaN). So `1.6777216e+07` and `16777216.0` are the same float, and `2`
  is not `2.0` (a tf.Example feature written `2` becomes an int64 feature).
- `decode`: a response body as TF Serving's MakeJsonFromTensors writes it (six
  significant digits where they round-trip, NaN and Infinity bare, strings raw
  or b64 for outputs named `*_bytes`) and the signature's output dtypes; a
  client reads `expect` (TensorProtos: dtype, shape, and values bit-exact, NaN
  equal to NaN), or fails with `error` (INTERNAL: a response the client cannot
  type is the server's fault, as gRPC calls an unparsable response).

The expected tensors are numpy arrays made into TensorProtos by TensorFlow's
tf.make_tensor_proto; the bodies are written here by hand from TF Serving's
rules, never produced by a client. tests/python/test_rest_vectors.py checks
the table against the bundled server's codec as well (its reader reads every
encode body back to the request's tensors, its writer writes every decode body
token for token).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfinterop.util import atomic

FORMAT_VERSION = 1
F32 = np.float32


@dataclass(frozen=True)
class Encode:
    """A request a client turns into a REST body."""

    id: str
    why: str
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # predict inputs, by alias
    rest_format: str = "columnar"
    body: Any = None  # the expected body (a JSON tree, written with NaN/Infinity tokens)
    error: str | None = None  # the canonical code a client refuses with instead
    signature_name: str = ""
    api: str = "predict"
    examples: list[dict[str, Any]] = field(default_factory=list)  # classify/regress
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class Decode:
    """A response body a client turns back into typed outputs."""

    id: str
    why: str
    outputs: dict[str, str]  # the signature's outputs: name -> DT_* name
    body: bytes
    rest_format: str = "columnar"
    expect: dict[str, np.ndarray] | None = None
    error: str | None = None


def _strings(*values: bytes) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


NAN = float("nan")
INF = float("inf")

ENCODE: tuple[Encode, ...] = (
    Encode(
        "float-special-values",
        "float32 as the shortest form of its exact double; NaN/Infinity bare; -0.0 keeps its sign",
        {"x": np.array([0.1, NAN, INF, -INF, -0.0, 16777217, 1e-45, 1.0], F32)},
        body={
            "inputs": {
                "x": [
                    0.10000000149011612,
                    NAN,
                    INF,
                    -INF,
                    -0.0,
                    16777216.0,
                    1.401298464324817e-45,
                    1.0,
                ]
            }
        },
    ),
    Encode(
        "double-values",
        "float64 round-trips through its shortest form, subnormals included",
        {"x": np.array([0.1, 1e308, 5e-324, -0.0, NAN, 2.0], np.float64)},
        body={"inputs": {"x": [0.1, 1e308, 5e-324, -0.0, NAN, 2.0]}},
    ),
    Encode(
        "half-values",
        "float16 is written as floats (TF Serving then refuses a half input: UNIMPLEMENTED)",
        {"x": np.array([0.5, 65504, -0.0, 0.1], np.float16)},
        body={"inputs": {"x": [0.5, 65504.0, -0.0, 0.0999755859375]}},
    ),
    Encode(
        "int64-beyond-double",
        "int64 above 2^53 and at its limits is written exactly, as a bare integer",
        {"x": np.array([2**53 + 1, -(2**63), 2**63 - 1, 0], np.int64)},
        body={"inputs": {"x": [2**53 + 1, -(2**63), 2**63 - 1, 0]}},
    ),
    Encode(
        "unsigned-limits",
        "uint8/uint32/uint64 at their maximum",
        {
            "a": np.array([255, 0], np.uint8),
            "b": np.array([4294967295], np.uint32),
            "c": np.array([2**64 - 1], np.uint64),
        },
        body={"inputs": {"a": [255, 0], "b": [4294967295], "c": [2**64 - 1]}},
    ),
    Encode(
        "signed-limits",
        "int8/int16/int32 at both limits",
        {
            "a": np.array([-128, 127], np.int8),
            "b": np.array([-32768, 32767], np.int16),
            "c": np.array([-(2**31), 2**31 - 1], np.int32),
        },
        body={"inputs": {"a": [-128, 127], "b": [-32768, 32767], "c": [-(2**31), 2**31 - 1]}},
    ),
    Encode(
        "bool-values",
        "bools are JSON true/false, never 0/1",
        {"x": np.array([[True, False], [False, True]])},
        body={"inputs": {"x": [[True, False], [False, True]]}},
    ),
    Encode(
        "strings-utf8-and-b64",
        "UTF-8 bytes as JSON strings (escapes, NUL included); other bytes as {'b64': ...}",
        {"x": _strings(b"", 'é"\\'.encode(), b"a\x00b", b"\xff\x00", b"\xc3")},
        body={"inputs": {"x": ["", 'é"\\', "a\x00b", {"b64": "/wA="}, {"b64": "ww=="}]}},
    ),
    Encode(
        "scalar-columnar",
        "a rank-0 input is a bare value",
        {"x": np.array(1.5, F32)},
        body={"inputs": {"x": 1.5}},
    ),
    Encode(
        "rank3-nesting",
        "the shape is the JSON nesting",
        {"x": np.arange(12, dtype=np.int32).reshape(2, 3, 2)},
        body={"inputs": {"x": np.arange(12).reshape(2, 3, 2).tolist()}},
    ),
    Encode(
        "zero-sized",
        "zero-sized tensors are empty lists (dimensions after a zero are lost, as in TF Serving)",
        {"a": np.zeros((0,), F32), "b": np.zeros((2, 0), np.int64)},
        body={"inputs": {"a": [], "b": [[], []]}},
    ),
    Encode(
        "signature-name",
        "signature_name is written when the request names one",
        {"x": np.array([1], np.int32)},
        signature_name="scores",
        body={"signature_name": "scores", "inputs": {"x": [1]}},
    ),
    Encode(
        "row-one-input",
        "row format with one input: a list of per-example values",
        {"x": np.array([[1, 2], [3, 4]], F32)},
        rest_format="row",
        body={"instances": [[1.0, 2.0], [3.0, 4.0]]},
    ),
    Encode(
        "row-several-inputs",
        "row format with several inputs: one object per example",
        {"k": _strings(b"a", b"\xff"), "x": np.array([[1, 2], [3, 4]], F32)},
        rest_format="row",
        signature_name="sig",
        body={
            "signature_name": "sig",
            "instances": [{"k": "a", "x": [1.0, 2.0]}, {"k": {"b64": "/w=="}, "x": [3.0, 4.0]}],
        },
    ),
    Encode(
        "row-vector-input",
        "row format of a rank-1 input: each example is a bare value",
        {"x": np.array([7, 8, 9], np.int64)},
        rest_format="row",
        body={"instances": [7, 8, 9]},
    ),
    Encode(
        "row-batch-mismatch",
        "row format needs one batch size across inputs",
        {"a": np.zeros((2, 3), F32), "b": np.zeros((3,), np.int32)},
        rest_format="row",
        error="INVALID_ARGUMENT",
    ),
    Encode(
        "row-scalar",
        "a scalar has no batch dimension to write as rows",
        {"x": np.array(2.0, F32)},
        rest_format="row",
        error="INVALID_ARGUMENT",
    ),
    Encode(
        "complex-unwritable",
        "JSON has no complex numbers and TF Serving's codec no form for them",
        {"z": np.array([1 + 2j], np.complex64)},
        error="UNIMPLEMENTED",
    ),
    Encode(
        "classify-features",
        "float features keep a decimal point, int64 features are exact, bytes as strings or b64",
        api="classify",
        signature_name="classify_x",
        examples=[
            {
                "f": ("float", [2.0, 0.5, -0.0]),
                "i": ("int64", [2**53 + 1, -1]),
                "s": ("bytes", [b"a", b"\xff"]),
            },
            {"f": ("float", [0.1])},
        ],
        body={
            "signature_name": "classify_x",
            "examples": [
                {"f": [2.0, 0.5, -0.0], "i": [2**53 + 1, -1], "s": ["a", {"b64": "/w=="}]},
                {"f": [0.10000000149011612]},
            ],
        },
    ),
    Encode(
        "regress-with-context",
        "example_list_with_context writes a context object beside the examples",
        api="regress",
        context={"c": ("int64", [7])},
        examples=[{"f": ("float", [1.0])}],
        body={"context": {"c": [7]}, "examples": [{"f": [1.0]}]},
    ),
)

DECODE: tuple[Decode, ...] = (
    Decode(
        "float-tf-serving-digits",
        "six significant digits where they round-trip to the float, else nine; NaN/Infinity bare",
        {"y": "DT_FLOAT"},
        b'{"outputs": [0.1, NaN, Infinity, -Infinity, -0.0, 9e+06, 0.333333343, 1.00000012]}',
        expect={
            "y": np.array(
                [0.1, NAN, INF, -INF, -0.0, 9e6, 1 / 3, np.nextafter(F32(1), F32(2))], F32
            )
        },
    ),
    Decode(
        "double-digits",
        "doubles with up to seventeen digits, subnormals included",
        {"y": "DT_DOUBLE"},
        b'{"outputs": [0.1, 1e+308, 4.94066e-324, 0.33333333333333331]}',
        expect={"y": np.array([0.1, 1e308, 5e-324, 1 / 3], np.float64)},
    ),
    Decode(
        "integers-at-limits",
        "int64 above 2^53 and uint64's maximum are exact",
        {"a": "DT_INT64", "b": "DT_UINT64", "c": "DT_INT8", "d": "DT_UINT8"},
        b'{"outputs": {"a": [9007199254740993, -9223372036854775808], "b": [18446744073709551615],'
        b' "c": [-128, 127], "d": [255]}}',
        expect={
            "a": np.array([2**53 + 1, -(2**63)], np.int64),
            "b": np.array([2**64 - 1], np.uint64),
            "c": np.array([-128, 127], np.int8),
            "d": np.array([255], np.uint8),
        },
    ),
    Decode(
        "bool-and-int32",
        "bools and 32-bit integers",
        {"b": "DT_BOOL", "i": "DT_INT32"},
        b'{"outputs": {"b": [[true, false]], "i": [[-2147483648, 2147483647]]}}',
        expect={
            "b": np.array([[True, False]]),
            "i": np.array([[-(2**31), 2**31 - 1]], np.int32),
        },
    ),
    Decode(
        "row-single-output",
        "row answers drop the output name when the signature has one output",
        {"probs": "DT_FLOAT"},
        b'{"predictions": [[0.25, 1.0], [0.5, 0.75]]}',
        rest_format="row",
        expect={"probs": np.array([[0.25, 1.0], [0.5, 0.75]], F32)},
    ),
    Decode(
        "row-several-outputs",
        "row answers with several outputs: one object per example, batch first",
        {"ids_bytes": "DT_STRING", "n": "DT_INT64", "probs": "DT_FLOAT"},
        b'{"predictions": [{"ids_bytes": {"b64": "YQ=="}, "n": 2, "probs": [1.0]},'
        b' {"ids_bytes": {"b64": "/w=="}, "n": 3, "probs": [2.0]}]}',
        rest_format="row",
        expect={
            "ids_bytes": _strings(b"a", b"\xff"),
            "n": np.array([2, 3], np.int64),
            "probs": np.array([[1.0], [2.0]], F32),
        },
    ),
    Decode(
        "columnar-several-outputs",
        "columnar answers with several outputs: an object by output name",
        {"ids_bytes": "DT_STRING", "n": "DT_INT64", "probs": "DT_FLOAT"},
        b'{"outputs": {"ids_bytes": [{"b64": "/w=="}], "n": [9007199254740993], "probs": [1.0]}}',
        expect={
            "ids_bytes": _strings(b"\xff"),
            "n": np.array([2**53 + 1], np.int64),
            "probs": np.array([1.0], F32),
        },
    ),
    Decode(
        "strings-raw-bytes",
        "a string output not named *_bytes arrives as the raw bytes, even when not UTF-8",
        {"s": "DT_STRING"},
        b'{"outputs": ["caf\xc3\xa9", "\xff\xfe", "tab\\t", "", "\xff\\u0000ok"]}',
        expect={"s": _strings("café".encode(), b"\xff\xfe", b"tab\t", b"", b"\xff\x00ok")},
    ),
    Decode(
        "scalar-output",
        "a rank-0 output is a bare value",
        {"n": "DT_INT32"},
        b'{"outputs": 7}',
        expect={"n": np.array(7, np.int32)},
    ),
    Decode(
        "empty-output",
        "an empty list is a zero-sized rank-1 tensor",
        {"y": "DT_FLOAT"},
        b'{"outputs": []}',
        expect={"y": np.zeros((0,), F32)},
    ),
    Decode(
        "row-empty-batch",
        "a row answer with no examples",
        {"y": "DT_FLOAT"},
        b'{"predictions": []}',
        rest_format="row",
        expect={"y": np.zeros((0,), F32)},
    ),
    Decode(
        "rank3-output",
        "shape from the nesting",
        {"y": "DT_INT64"},
        b'{"outputs": [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]]}',
        expect={"y": np.array([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]], np.int64)},
    ),
    Decode(
        "ragged",
        "rows of different lengths",
        {"y": "DT_FLOAT"},
        b'{"outputs": [[1.0, 2.0], [3.0]]}',
        error="INTERNAL",
    ),
    Decode(
        "mixed-nesting",
        "a list beside a number",
        {"y": "DT_FLOAT"},
        b'{"outputs": [[1.0], 3.0]}',
        error="INTERNAL",
    ),
    Decode(
        "fraction-for-int",
        "1.5 for an int32 output",
        {"y": "DT_INT32"},
        b'{"outputs": [1.5]}',
        error="INTERNAL",
    ),
    Decode(
        "int8-overflow",
        "128 for an int8 output",
        {"y": "DT_INT8"},
        b'{"outputs": [128]}',
        error="INTERNAL",
    ),
    Decode(
        "uint8-negative",
        "-1 for a uint8 output",
        {"y": "DT_UINT8"},
        b'{"outputs": [-1]}',
        error="INTERNAL",
    ),
    Decode(
        "int64-overflow",
        "2^63 for an int64 output",
        {"y": "DT_INT64"},
        b'{"outputs": [9223372036854775808]}',
        error="INTERNAL",
    ),
    Decode(
        "string-for-float",
        "a string for a float output",
        {"y": "DT_FLOAT"},
        b'{"outputs": ["1"]}',
        error="INTERNAL",
    ),
    Decode(
        "number-for-bool",
        "1 for a bool output",
        {"y": "DT_BOOL"},
        b'{"outputs": [1]}',
        error="INTERNAL",
    ),
    Decode(
        "null-value",
        "null for a float output",
        {"y": "DT_FLOAT"},
        b'{"outputs": [null]}',
        error="INTERNAL",
    ),
    Decode(
        "bad-b64",
        "a b64 value that is not base64",
        {"y_bytes": "DT_STRING"},
        b'{"outputs": [{"b64": "!!"}]}',
        error="INTERNAL",
    ),
    Decode(
        "no-outputs-key",
        "neither 'outputs' nor 'predictions'",
        {"y": "DT_FLOAT"},
        b'{"result": [1.0]}',
        error="INTERNAL",
    ),
    Decode(
        "not-json",
        "a body that is not JSON",
        {"y": "DT_FLOAT"},
        b'{"outputs": [1.0,]}',
        error="INTERNAL",
    ),
)


# -- writing the file ------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _tensor(arr: np.ndarray) -> str:
    import tensorflow as tf

    proto = tf.make_tensor_proto(arr)
    return _b64(proto.SerializeToString(deterministic=True))


def _feature(kind: str, values: list[Any]) -> Any:
    from tensorflow.core.example import feature_pb2

    f = feature_pb2.Feature()
    if kind == "float":
        f.float_list.value.extend(values)
    elif kind == "int64":
        f.int64_list.value.extend(values)
    else:
        f.bytes_list.value.extend(values)
    return f


def _example(features: dict[str, Any]) -> Any:
    from tensorflow.core.example import example_pb2

    ex = example_pb2.Example()
    for name, (kind, values) in features.items():
        ex.features.feature[name].CopyFrom(_feature(kind, values))
    return ex


def request(v: Encode) -> Any:
    """The request proto an encode vector gives a client."""
    import tensorflow as tf
    from tensorflow_serving.apis import classification_pb2, predict_pb2, regression_pb2

    if v.api == "predict":
        req: Any = predict_pb2.PredictRequest()
        for alias, arr in v.inputs.items():
            req.inputs[alias].CopyFrom(tf.make_tensor_proto(arr))
    else:
        req = (
            classification_pb2.ClassificationRequest
            if v.api == "classify"
            else regression_pb2.RegressionRequest
        )()
        if v.context is not None:
            ctx = req.input.example_list_with_context
            ctx.context.CopyFrom(_example(v.context))
            ctx.examples.extend(_example(e) for e in v.examples)
        else:
            req.input.example_list.examples.extend(_example(e) for e in v.examples)
    req.model_spec.name = "m"
    if v.signature_name:
        req.model_spec.signature_name = v.signature_name
    return req


def _json_text(tree: Any) -> str:
    return json.dumps(tree, allow_nan=True, ensure_ascii=False)


def document() -> dict[str, Any]:
    """The vector file's content."""
    encode = []
    for e in ENCODE:
        row: dict[str, Any] = {
            "id": e.id,
            "why": e.why,
            "api": e.api,
            "rest_format": e.rest_format,
            "request": _b64(request(e).SerializeToString(deterministic=True)),
        }
        if e.error:
            row["error"] = e.error
        else:
            row["body"] = _json_text(e.body)
        encode.append(row)
    decode = []
    for d in DECODE:
        row = {"id": d.id, "why": d.why, "rest_format": d.rest_format, "outputs": d.outputs}
        try:
            row["body"] = d.body.decode("utf-8")
        except UnicodeDecodeError:
            row["body_b64"] = _b64(d.body)
        if d.error:
            row["error"] = d.error
        else:
            assert d.expect is not None
            row["expect"] = {name: _tensor(arr) for name, arr in d.expect.items()}
        decode.append(row)
    return {
        "version": FORMAT_VERSION,
        "about": "REST JSON <-> TensorProto vectors; rules in python/tfinterop/golden/rest_vectors.py "
        "and docs/CONTRACT.md 'Codec vectors'",
        "encode": encode,
        "decode": decode,
    }


def write(path: Path) -> int:
    """Write the vector file atomically; returns how many vectors it holds."""
    doc = document()
    atomic.write_text(path, json.dumps(doc, indent=1, ensure_ascii=True) + "\n")
    return len(doc["encode"]) + len(doc["decode"])
