"""Client-side REST JSON: tensors to request bodies, response bodies back to protos.

The counterpart of server/json_tensor.py as a TF Serving REST client needs it
(CONTRACT.md "rest"): floats written so they parse back to the same bits, NaN
and Infinity as bare tokens, strings as JSON strings when UTF-8 else
{"b64": ...}; responses typed by the signature from the metadata endpoint.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError


def _value(v: Any, dtype: int) -> Any:
    if dtype in (types_pb2.DT_COMPLEX64, types_pb2.DT_COMPLEX128):
        # JSON has no complex numbers and TF Serving's codec no form for them: the request
        # cannot be written, which is the client's UNIMPLEMENTED, not a crash.
        raise ServingError(Code.UNIMPLEMENTED, "TF Serving's JSON has no complex numbers")
    if dtype == types_pb2.DT_STRING:
        data = bytes(v)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(data).decode("ascii")}
    if dtype == types_pb2.DT_BOOL:
        return bool(v)
    if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        # float(float32) is exact, and repr() of a double round-trips, so the
        # server's float32 cast gets the original bits back.
        return float(v)
    return int(v)


def nested(arr: np.ndarray, dtype: int) -> Any:
    """Nested lists of JSON-ready leaves (tolist() keeps float32 values exact)."""

    def walk(v: Any) -> Any:
        return [walk(x) for x in v] if isinstance(v, list) else _value(v, dtype)

    if not isinstance(arr, np.ndarray):  # one element of an object (string) array
        return _value(arr, dtype)
    return walk(arr.tolist())


def predict_body(request: Any, rest_format: str) -> bytes:
    """JSON body for a PredictRequest: columnar "inputs" or row "instances"."""
    arrays = {k: (tensor_codec.to_ndarray(t), t.dtype) for k, t in request.inputs.items()}
    body: dict[str, Any] = {}
    if request.model_spec.signature_name:
        body["signature_name"] = request.model_spec.signature_name
    if rest_format == "row" and arrays:
        scalars = sorted(k for k, (a, _) in arrays.items() if a.ndim == 0)
        if scalars:
            raise ServingError(
                Code.INVALID_ARGUMENT,
                f"input {scalars[0]} is a scalar; the row format needs a batch dimension",
            )
        if len(arrays) == 1:
            ((arr, dt),) = arrays.values()
            body["instances"] = [nested(row, dt) for row in arr]
        else:
            rows = sorted({a.shape[0] for a, _ in arrays.values()})
            if len(rows) > 1:
                raise ServingError(
                    Code.INVALID_ARGUMENT,
                    f"inputs disagree on the batch size ({rows[0]} and {rows[1]}); "
                    "the row format needs one",
                )
            n = rows[0]
            body["instances"] = [
                {k: nested(a[i], dt) for k, (a, dt) in arrays.items()} for i in range(n)
            ]
    else:
        body["inputs"] = {k: nested(a, dt) for k, (a, dt) in arrays.items()}
    return json.dumps(body, allow_nan=True).encode("utf-8")


def loads(data: bytes) -> Any:
    """Parse a response body; bytes that are not UTF-8 survive as surrogate escapes.

    A body that is not JSON is INTERNAL: the server answered something no client can read."""
    try:
        return json.loads(data.decode("utf-8", errors="surrogateescape"))
    except ValueError as e:
        raise ServingError(Code.INTERNAL, f"REST response is not JSON: {e}") from None


def _bad(v: Any, dtype: int, why: str = "") -> ServingError:
    name = tensor_codec.dtype_name(dtype)
    return ServingError(
        Code.INTERNAL, f"REST response holds {v!r} for a {name} output{': ' + why if why else ''}"
    )


def _leaf(v: Any, dtype: int) -> Any:
    """One element, checked against the output's dtype (TF Serving writes nothing else)."""
    if dtype == types_pb2.DT_STRING:
        if isinstance(v, dict) and set(v) == {"b64"} and isinstance(v["b64"], str):
            try:
                return base64.b64decode(v["b64"], validate=True)
            except ValueError:
                raise _bad(v, dtype, "not base64") from None
        if isinstance(v, str):
            return v.encode("utf-8", errors="surrogateescape")
        raise _bad(v, dtype)
    if dtype == types_pb2.DT_BOOL:
        if isinstance(v, bool):
            return v
        raise _bad(v, dtype)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _bad(v, dtype)
    info = tensor_codec.dtype_info(dtype)
    if info.numpy.kind in "iu":
        if not isinstance(v, int):
            raise _bad(v, dtype, "not an integer")
        limits = np.iinfo(info.numpy)
        if not limits.min <= v <= limits.max:
            raise _bad(v, dtype, "out of range")
    return v


def _shape(value: Any) -> tuple[int, ...]:
    shape: list[int] = []
    v = value
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return tuple(shape)


def to_array(value: Any, dtype: int) -> np.ndarray:
    """A nested JSON value as an array of `dtype`: rectangular, every leaf of the dtype's kind."""
    info = tensor_codec.dtype_info(dtype)
    shape = _shape(value)
    flat: list[Any] = []

    def walk(v: Any, depth: int) -> None:
        if depth == len(shape):
            if isinstance(v, list):
                raise _bad(v, dtype, "nested deeper than its first element")
            flat.append(_leaf(v, dtype))
            return
        if not isinstance(v, list) or len(v) != shape[depth]:
            raise _bad(v, dtype, f"not a list of {shape[depth]} at depth {depth} (ragged)")
        for x in v:
            walk(x, depth + 1)

    walk(value, 0)
    if dtype == types_pb2.DT_STRING:
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        return arr.reshape(shape)
    return np.array(flat, dtype=info.numpy).reshape(shape)


def outputs_from_json(
    doc: Any, sig: meta_graph_pb2.SignatureDef
) -> dict[str, tuple[np.ndarray, int]]:
    """Arrays and dtypes of a predict response ("outputs" or "predictions")."""
    names = sorted(sig.outputs)
    if not isinstance(doc, dict):
        raise ServingError(Code.INTERNAL, "REST response is not a JSON object")
    if "outputs" in doc:
        value = doc["outputs"]
        if len(names) == 1:
            columns = {names[0]: value}
        elif isinstance(value, dict):
            columns = {n: value[n] for n in names if n in value}
        else:
            raise ServingError(Code.INTERNAL, "REST 'outputs' of several outputs is not an object")
    elif "predictions" in doc:
        rows = doc["predictions"]
        if not isinstance(rows, list):
            raise ServingError(Code.INTERNAL, "REST 'predictions' is not a list")
        if len(names) == 1:
            columns = {names[0]: rows}
        elif all(isinstance(r, dict) and set(r) == set(rows[0]) for r in rows):
            columns = {n: [r[n] for r in rows] for n in names if rows and n in rows[0]}
        else:
            raise ServingError(Code.INTERNAL, "REST 'predictions' rows are not objects alike")
    else:
        raise ServingError(Code.INTERNAL, "REST response has neither 'outputs' nor 'predictions'")
    return {
        n: (to_array(v, sig.outputs[n].dtype), sig.outputs[n].dtype) for n, v in columns.items()
    }


def read_outputs(
    body: bytes, sig: meta_graph_pb2.SignatureDef
) -> dict[str, tuple[np.ndarray, int]]:
    """A predict response body as typed outputs; INTERNAL for anything TF Serving never writes."""
    return outputs_from_json(loads(body), sig)


def _feature_values(feature: Any) -> list[Any]:
    kind = feature.WhichOneof("kind")
    if kind == "float_list":
        # json.dumps writes 1.0 as "1.0": the decimal point keeps it a float feature.
        return [float(v) for v in feature.float_list.value]
    if kind == "int64_list":
        return [int(v) for v in feature.int64_list.value]
    if kind == "bytes_list":
        return [_value(v, types_pb2.DT_STRING) for v in feature.bytes_list.value]
    return []


def example_json(example: Any) -> dict[str, Any]:
    return {name: _feature_values(f) for name, f in sorted(example.features.feature.items())}


def examples_body(request: Any) -> bytes:
    """{"signature_name", "context"?, "examples"} for a Classification/RegressionRequest."""
    body: dict[str, Any] = {}
    if request.model_spec.signature_name:
        body["signature_name"] = request.model_spec.signature_name
    kind = request.input.WhichOneof("kind")
    if kind == "example_list_with_context":
        body["context"] = example_json(request.input.example_list_with_context.context)
        body["examples"] = [
            example_json(e) for e in request.input.example_list_with_context.examples
        ]
    elif kind == "example_list":
        body["examples"] = [example_json(e) for e in request.input.example_list.examples]
    else:
        body["examples"] = []
    return json.dumps(body, allow_nan=True).encode("utf-8")
