"""Open Inference Protocol (v2) tensors: the datatype table and the proto tensor codec.

TensorFlow dtypes map to v2 datatypes as docs/CONTRACT.md "v2 transports" states
(DT_STRING is BYTES; complex and the other dtypes have none). A tensor travels in
the typed `contents` field of its datatype or as `raw_*_contents` bytes
(little-endian; BYTES as a 4-byte little-endian length before each element);
FP16 and BF16 have no typed field, so a message with one puts every tensor in raw
form (the protocol allows all or none). Decoding checks what Triton checks: a known
datatype, a shape without negative dimensions, exactly as many elements as the
shape holds (no padding, unlike Tensor::FromProto), data in one form only.

This is a codec, not request validation: the golden writes the cases' v2 messages
with it, the bundled server and the judge read them. tests/v2 holds it to
tritonclient's own encoders (tritonclient.utils) and runs tritonclient's clients
against the server, so a codec error cannot hide behind the sharing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import invalid_argument

DATATYPES: dict[int, str] = {
    types_pb2.DT_BOOL: "BOOL",
    types_pb2.DT_UINT8: "UINT8",
    types_pb2.DT_UINT16: "UINT16",
    types_pb2.DT_UINT32: "UINT32",
    types_pb2.DT_UINT64: "UINT64",
    types_pb2.DT_INT8: "INT8",
    types_pb2.DT_INT16: "INT16",
    types_pb2.DT_INT32: "INT32",
    types_pb2.DT_INT64: "INT64",
    types_pb2.DT_HALF: "FP16",
    types_pb2.DT_BFLOAT16: "BF16",
    types_pb2.DT_FLOAT: "FP32",
    types_pb2.DT_DOUBLE: "FP64",
    types_pb2.DT_STRING: "BYTES",
}
TF_DTYPES: dict[str, int] = {name: enum for enum, name in DATATYPES.items()}

# InferTensorContents' field per datatype; FP16 and BF16 have none (raw only).
CONTENTS_FIELDS: dict[str, str | None] = {
    "BOOL": "bool_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "FP16": None,
    "BF16": None,
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
_LENGTH = struct.Struct("<I")


def _as_bytes(value: object) -> bytes:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise invalid_argument(f"BYTES element {value!r} is not bytes")


def datatype_of(dtype: int) -> str | None:
    """The v2 datatype of a TensorFlow dtype (a *_REF dtype as its value), None when v2 has none."""
    return DATATYPES.get(dtype - 100 if dtype > 100 else dtype)


def tf_dtype(datatype: str, tensor: str) -> int:
    """The TensorFlow dtype of a v2 datatype; INVALID_ARGUMENT naming the tensor otherwise."""
    enum = TF_DTYPES.get(datatype)
    if enum is None:
        raise invalid_argument(
            f"tensor '{tensor}': datatype '{datatype}' is not one of {', '.join(TF_DTYPES)}"
        )
    return enum


def needs_raw(datatypes: Iterable[str]) -> bool:
    """Whether a message holding these datatypes must carry every tensor as raw bytes."""
    return any(CONTENTS_FIELDS.get(d, "") is None for d in datatypes)


def numpy_dtype(datatype: str) -> np.dtype:
    """The numpy dtype of a known v2 datatype (object for BYTES)."""
    return tensor_codec.DTYPES[TF_DTYPES[datatype]].numpy


def element_count(shape: Sequence[int], tensor: str) -> int:
    """Elements a shape holds; INVALID_ARGUMENT for a negative or oversized one."""
    count = 1
    for d in shape:
        if d < 0:
            raise invalid_argument(f"tensor '{tensor}': shape {list(shape)} has a negative size")
        count *= int(d)
        if count > tensor_codec.MAX_ELEMENTS:
            raise invalid_argument(f"tensor '{tensor}': shape {list(shape)} is too large")
    return count


def put_contents(arr: np.ndarray, datatype: str, contents: Any) -> None:
    """Fill an InferTensorContents with `arr` (row-major) in the datatype's typed field."""
    field = CONTENTS_FIELDS[datatype]
    if field is None:
        raise ValueError(f"{datatype} has no typed contents field; use raw contents")
    flat = arr.reshape(-1)
    if datatype == "BYTES":
        getattr(contents, field).extend(_as_bytes(v) for v in flat)
    else:
        getattr(contents, field).extend(flat.astype(numpy_dtype(datatype)).tolist())


def raw_bytes(arr: np.ndarray, datatype: str) -> bytes:
    """`arr` as raw contents: little-endian elements, BYTES length-prefixed."""
    flat = arr.reshape(-1)
    if datatype == "BYTES":
        parts = []
        for v in flat:
            data = _as_bytes(v)
            parts += [_LENGTH.pack(len(data)), data]
        return b"".join(parts)
    return np.ascontiguousarray(flat, dtype=numpy_dtype(datatype).newbyteorder("<")).tobytes()


def from_contents(datatype: str, shape: Sequence[int], contents: Any, tensor: str) -> np.ndarray:
    """A tensor from its typed contents; INVALID_ARGUMENT when the data does not fit.

    Only the datatype's own field may hold values: data in another field (INT64 sent as
    int_contents) is refused, as Triton refuses it."""
    tf_dtype(datatype, tensor)
    count = element_count(shape, tensor)
    field = CONTENTS_FIELDS[datatype]
    others = [f.name for f, _ in contents.ListFields() if f.name != field]
    if field is None or others:
        where = ", ".join(others) if others else "typed contents"
        raise invalid_argument(
            f"tensor '{tensor}': {datatype} data cannot be in {where}"
            + ("" if field is None else f" (expected {field})")
        )
    values = getattr(contents, field)
    if len(values) != count:
        raise invalid_argument(
            f"tensor '{tensor}': {len(values)} values in {field}, shape {list(shape)} holds {count}"
        )
    if datatype == "BYTES":
        arr = np.empty(count, dtype=object)
        arr[:] = list(values)
        return arr.reshape(tuple(shape))
    info = numpy_dtype(datatype)
    if info.kind in "iu":
        limits = np.iinfo(info)
        if any(not limits.min <= v <= limits.max for v in values):
            raise invalid_argument(f"tensor '{tensor}': a value is out of range for {datatype}")
    return np.array(values, dtype=info).reshape(tuple(shape))


def from_raw(datatype: str, shape: Sequence[int], data: bytes, tensor: str) -> np.ndarray:
    """A tensor from its raw contents; INVALID_ARGUMENT when the bytes do not fit the shape."""
    tf_dtype(datatype, tensor)
    count = element_count(shape, tensor)
    if datatype == "BYTES":
        out = np.empty(count, dtype=object)
        pos = 0
        for i in range(count):
            if pos + 4 > len(data):
                raise invalid_argument(f"tensor '{tensor}': raw BYTES end before element {i}")
            (n,) = _LENGTH.unpack_from(data, pos)
            pos += 4
            if pos + n > len(data):
                raise invalid_argument(f"tensor '{tensor}': raw BYTES element {i} is cut short")
            out[i] = bytes(data[pos : pos + n])
            pos += n
        if pos != len(data):
            raise invalid_argument(
                f"tensor '{tensor}': {len(data) - pos} raw bytes beyond its {count} elements"
            )
        return out.reshape(tuple(shape))
    info = numpy_dtype(datatype)
    if len(data) != count * info.itemsize:
        raise invalid_argument(
            f"tensor '{tensor}': {len(data)} raw bytes, {datatype}{list(shape)} needs "
            f"{count * info.itemsize}"
        )
    little = np.frombuffer(data, dtype=info.newbyteorder("<"))
    return little.astype(info).reshape(tuple(shape))


def infer_outputs(
    response: Any, outputs: Sequence[tuple[str, np.ndarray, int]], raw: bool = False
) -> None:
    """Append (name, array, TensorFlow dtype) outputs to a ModelInferResponse: typed contents,
    or all of them raw when `raw` is set or a datatype has no typed field."""
    datatypes = []
    for name, _, dtype in outputs:
        dt = datatype_of(dtype)
        if dt is None:
            raise invalid_argument(
                f"output '{name}' is {tensor_codec.dtype_name(dtype)}, which has no v2 datatype"
            )
        datatypes.append(dt)
    raw = raw or needs_raw(datatypes)
    for (name, arr, _), dt in zip(outputs, datatypes, strict=True):
        out = response.outputs.add(name=name, datatype=dt, shape=list(arr.shape))
        if raw:
            response.raw_output_contents.append(raw_bytes(arr, dt))
        else:
            put_contents(arr, dt, out.contents)


def output_arrays(response: Any) -> dict[str, tuple[str, np.ndarray]]:
    """A ModelInferResponse's outputs by name as (datatype, array), typed or raw contents;
    INVALID_ARGUMENT when they do not decode (raw for some outputs only, a bad size)."""
    raw = list(response.raw_output_contents)
    if raw and len(raw) != len(response.outputs):
        raise invalid_argument(
            f"{len(raw)} raw_output_contents for {len(response.outputs)} outputs"
        )
    out: dict[str, tuple[str, np.ndarray]] = {}
    for i, t in enumerate(response.outputs):
        if raw:
            if t.HasField("contents") and t.contents.ListFields():
                raise invalid_argument(f"output '{t.name}' has both contents and raw contents")
            arr = from_raw(t.datatype, list(t.shape), raw[i], t.name)
        else:
            arr = from_contents(t.datatype, list(t.shape), t.contents, t.name)
        if t.name in out:
            raise invalid_argument(f"output '{t.name}' appears twice")
        out[t.name] = (t.datatype, arr)
    return out
