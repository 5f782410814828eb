"""TensorProto <-> numpy, with the checks TF's Tensor::FromProto makes.

Fast path for the hot loop of the server and the in-process client; tests hold
it to tf.make_ndarray / tf.make_tensor_proto. Accepts tensor_content and the
typed *_val fields (a short typed list is padded with its last value, as TF
does); writes typed fields like TF Serving's Tensor::AsProtoField.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from tfinterop.serving.errors import invalid_argument

# Refuse absurd allocations before numpy tries them (a hostile shape can claim 10^12).
MAX_ELEMENTS = 1 << 31


@dataclass(frozen=True)
class DType:
    enum: int
    name: str  # TF's short name, as in "Expects arg[0] to be float"
    numpy: np.dtype
    field: str  # TensorProto typed field


def _d(enum: int, name: str, np_type: object, field: str) -> DType:
    return DType(enum, name, np.dtype(np_type), field)  # type: ignore[call-overload]


DTYPES: dict[int, DType] = {
    d.enum: d
    for d in (
        _d(types_pb2.DT_FLOAT, "float", np.float32, "float_val"),
        _d(types_pb2.DT_DOUBLE, "double", np.float64, "double_val"),
        _d(types_pb2.DT_HALF, "half", np.float16, "half_val"),
        _d(types_pb2.DT_BFLOAT16, "bfloat16", ml_dtypes.bfloat16, "half_val"),
        _d(types_pb2.DT_INT8, "int8", np.int8, "int_val"),
        _d(types_pb2.DT_INT16, "int16", np.int16, "int_val"),
        _d(types_pb2.DT_INT32, "int32", np.int32, "int_val"),
        _d(types_pb2.DT_INT64, "int64", np.int64, "int64_val"),
        _d(types_pb2.DT_UINT8, "uint8", np.uint8, "int_val"),
        _d(types_pb2.DT_UINT16, "uint16", np.uint16, "int_val"),
        _d(types_pb2.DT_UINT32, "uint32", np.uint32, "uint32_val"),
        _d(types_pb2.DT_UINT64, "uint64", np.uint64, "uint64_val"),
        _d(types_pb2.DT_BOOL, "bool", np.bool_, "bool_val"),
        _d(types_pb2.DT_STRING, "string", np.object_, "string_val"),
        _d(types_pb2.DT_COMPLEX64, "complex64", np.complex64, "scomplex_val"),
        _d(types_pb2.DT_COMPLEX128, "complex128", np.complex128, "dcomplex_val"),
    )
}

_BY_NUMPY: dict[np.dtype, DType] = {
    d.numpy: d for d in DTYPES.values() if d.enum != types_pb2.DT_STRING
}


def dtype_info(enum: int) -> DType:
    """DType for a DataType enum; INVALID_ARGUMENT if it is not a serving dtype."""
    info = DTYPES.get(enum)
    if info is None:
        name = types_pb2.DataType.Name(enum) if enum in types_pb2.DataType.values() else enum
        raise invalid_argument(f"unsupported tensor dtype {name}")
    return info


def dtype_name(enum: int) -> str:
    info = DTYPES.get(enum)
    return info.name if info else str(enum)


def shape_of(proto: tensor_pb2.TensorProto) -> tuple[int, ...]:
    """The proto's shape, checked: no unknown rank, no negative size, bounded count."""
    if proto.tensor_shape.unknown_rank:
        raise invalid_argument("tensor shape has unknown rank")
    dims = tuple(int(d.size) for d in proto.tensor_shape.dim)
    count = 1
    for d in dims:
        if d < 0:
            raise invalid_argument(f"tensor shape has a negative dimension: {list(dims)}")
        count *= d
        if count > MAX_ELEMENTS:
            raise invalid_argument(f"tensor shape {list(dims)} has too many elements")
    return dims


def to_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Decode a TensorProto; INVALID_ARGUMENT when content and shape disagree."""
    info = dtype_info(proto.dtype)
    shape = shape_of(proto)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if info.enum == types_pb2.DT_STRING:
        values = list(proto.string_val)
        return _fill(np.array(values, dtype=object), count, shape, info)
    if proto.tensor_content:
        itemsize = info.numpy.itemsize
        if len(proto.tensor_content) != count * itemsize:
            raise invalid_argument(
                f"tensor_content holds {len(proto.tensor_content)} bytes but "
                f"{info.name}{list(shape)} needs {count * itemsize}"
            )
        return np.frombuffer(proto.tensor_content, dtype=info.numpy).reshape(shape).copy()
    raw = getattr(proto, info.field)
    if info.enum in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        bits = np.array(raw, dtype=np.int64).astype(np.uint16)
        flat = bits.view(info.numpy)
    elif info.enum in (types_pb2.DT_COMPLEX64, types_pb2.DT_COMPLEX128):
        pairs = np.array(
            raw, dtype=np.float64 if info.enum == types_pb2.DT_COMPLEX128 else np.float32
        )
        if pairs.size % 2:
            raise invalid_argument("complex tensor has an odd number of components")
        flat = pairs.view(info.numpy)
    else:
        flat = np.array(raw, dtype=info.numpy)
    return _fill(flat, count, shape, info)


def _fill(flat: np.ndarray, count: int, shape: tuple[int, ...], info: DType) -> np.ndarray:
    n = flat.size
    if n == count:
        return flat.reshape(shape)
    # Tensor::FromProto keeps the first `count` values of a longer typed list (no error:
    # TF Serving serves such a request) and pads a short one with its last value (zero,
    # or the empty string, when the list is empty).
    if n > count:
        return flat[:count].reshape(shape)
    if info.enum == types_pb2.DT_STRING:
        out = np.empty(count, dtype=object)
        out[:] = flat[-1] if n else b""
        out[:n] = flat
        return out.reshape(shape)
    out = np.full(count, flat[-1] if n else 0, dtype=info.numpy)
    out[:n] = flat
    return out.reshape(shape)


def from_ndarray(
    array: np.ndarray, dtype: int | None = None, content: bool = False
) -> tensor_pb2.TensorProto:
    """Encode an array; typed fields as TF Serving writes them, or tensor_content."""
    info = dtype_info(dtype) if dtype is not None else _infer(array)
    proto = tensor_pb2.TensorProto(dtype=info.enum)
    proto.tensor_shape.CopyFrom(make_shape(array.shape))
    if info.enum == types_pb2.DT_STRING:
        proto.string_val.extend(_as_bytes(v) for v in array.reshape(-1))
        return proto
    arr = np.ascontiguousarray(array, dtype=info.numpy)
    if content:
        proto.tensor_content = arr.tobytes()
        return proto
    flat = arr.reshape(-1)
    if info.enum in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        proto.half_val.extend(flat.view(np.uint16).astype(np.int32).tolist())
    elif info.enum in (types_pb2.DT_COMPLEX64, types_pb2.DT_COMPLEX128):
        getattr(proto, info.field).extend(
            flat.view(np.float32 if info.enum == types_pb2.DT_COMPLEX64 else np.float64).tolist()
        )
    else:
        getattr(proto, info.field).extend(flat.tolist())
    return proto


def make_shape(shape: tuple[int, ...]) -> tensor_shape_pb2.TensorShapeProto:
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in shape]
    )


def _infer(array: np.ndarray) -> DType:
    if array.dtype.kind in ("O", "S", "U"):
        return DTYPES[types_pb2.DT_STRING]
    info = _BY_NUMPY.get(array.dtype)
    if info is None:
        raise invalid_argument(f"numpy dtype {array.dtype} has no TensorFlow equivalent")
    return info


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    raise invalid_argument(f"string tensor element {value!r} is not bytes")
