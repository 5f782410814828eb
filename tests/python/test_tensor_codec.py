"""The fast TensorProto codec agrees with tf.make_ndarray / tf.make_tensor_proto."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError

EDGE = {
    types_pb2.DT_FLOAT: np.array(
        [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, 3.4028235e38, 0.1], np.float32
    ),
    types_pb2.DT_DOUBLE: np.array(
        [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]
    ),
    types_pb2.DT_HALF: np.array([0.0, -0.0, np.nan, np.inf, 65504, 6e-8], np.float16),
    types_pb2.DT_BFLOAT16: np.array([0.0, -1.5, np.inf, 3.0e38], ml_dtypes.bfloat16),
    types_pb2.DT_INT8: np.array([-128, 0, 127], np.int8),
    types_pb2.DT_INT16: np.array([-32768, 32767], np.int16),
    types_pb2.DT_INT32: np.array([-(2**31), 2**31 - 1], np.int32),
    types_pb2.DT_INT64: np.array([-(2**63), 2**63 - 1, 2**53 + 1], np.int64),
    types_pb2.DT_UINT8: np.array([0, 255], np.uint8),
    types_pb2.DT_UINT16: np.array([0, 65535], np.uint16),
    types_pb2.DT_UINT32: np.array([0, 2**32 - 1], np.uint32),
    types_pb2.DT_UINT64: np.array([0, 2**64 - 1], np.uint64),
    types_pb2.DT_BOOL: np.array([True, False]),
    types_pb2.DT_STRING: np.array(
        [b"", b"\xff\xfe not utf-8", "héllo".encode(), b"a\x00b"], object
    ),
}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object:
        return a.shape == b.shape and list(a.reshape(-1)) == list(b.reshape(-1))
    return a.shape == b.shape and a.tobytes() == b.tobytes()


# Strings have no tensor_content form.
ROUND_TRIPS = [
    (d, c) for d in sorted(EDGE) for c in (False, True) if not (c and d == types_pb2.DT_STRING)
]


@pytest.mark.parametrize(
    ("dtype", "content"),
    ROUND_TRIPS,
    ids=[f"{types_pb2.DataType.Name(d)}-{'content' if c else 'typed'}" for d, c in ROUND_TRIPS],
)
def test_round_trip_keeps_every_bit(dtype: int, content: bool) -> None:
    arr = EDGE[dtype].reshape(1, -1)
    proto = tensor_codec.from_ndarray(arr, dtype, content=content)
    assert _same(tensor_codec.to_ndarray(proto), arr)


@pytest.mark.parametrize("dtype", sorted(EDGE), ids=lambda d: types_pb2.DataType.Name(d))
def test_decoding_matches_tf_make_ndarray(dtype: int) -> None:
    arr = EDGE[dtype].reshape(1, -1)
    proto = tensor_codec.from_ndarray(arr, dtype)
    want = tf.make_ndarray(proto)
    got = tensor_codec.to_ndarray(proto)
    if dtype == types_pb2.DT_STRING:
        assert list(got.reshape(-1)) == list(want.reshape(-1))
    else:
        assert got.tobytes() == want.tobytes()


def test_encoding_of_tf_make_tensor_proto_decodes() -> None:
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert _same(tensor_codec.to_ndarray(tf.make_tensor_proto(arr)), arr)


def test_short_typed_list_is_padded_with_last_value_like_tensorflow() -> None:
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    proto.tensor_shape.dim.add(size=4)
    proto.float_val.extend([1.0, 2.5])
    assert (
        tensor_codec.to_ndarray(proto).tolist()
        == tf.make_ndarray(proto).tolist()
        == [1.0, 2.5, 2.5, 2.5]
    )


@pytest.mark.parametrize(
    ("dtype", "field", "values"),
    [
        (types_pb2.DT_FLOAT, "float_val", [1.0, 2.0, 3.0, 4.0, 5.0]),
        (types_pb2.DT_INT64, "int64_val", [5, 6, 7]),
        (types_pb2.DT_STRING, "string_val", [b"a", b"b", b"\xff"]),
    ],
)
def test_long_typed_list_keeps_its_first_values_like_tensor_from_proto(
    dtype: int, field: str, values: list[object]
) -> None:
    # tf.io.parse_tensor runs Tensor::FromProto, the decoder TF Serving's Predict uses.
    proto = tensor_pb2.TensorProto(dtype=dtype)
    proto.tensor_shape.dim.add(size=2)
    getattr(proto, field).extend(values)
    want = tf.io.parse_tensor(proto.SerializeToString(), tf.dtypes.as_dtype(dtype)).numpy()
    assert tensor_codec.to_ndarray(proto).tolist() == want.tolist() == values[:2]


def test_empty_typed_list_means_zeros() -> None:
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32)
    proto.tensor_shape.dim.add(size=3)
    assert tensor_codec.to_ndarray(proto).tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: setattr(p, "tensor_content", b"\x00" * 7),
        lambda p: p.tensor_shape.dim.add(size=-1),
        lambda p: p.tensor_shape.dim.extend([p.tensor_shape.Dim(size=10**6)] * 2),
        lambda p: setattr(p, "dtype", 12345),
    ],
    ids=["content-length", "negative-dim", "huge-shape", "unknown-dtype"],
)
def test_bad_tensor_is_invalid_argument(mutate) -> None:  # type: ignore[no-untyped-def]
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    proto.tensor_shape.dim.add(size=2)
    mutate(proto)
    with pytest.raises(ServingError) as e:
        tensor_codec.to_ndarray(proto)
    assert e.value.code == Code.INVALID_ARGUMENT
