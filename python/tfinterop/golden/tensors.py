"""Request tensors decoded by TensorFlow's own Tensor::FromProto; outputs written as AsProtoField.

Decoding goes through TF's ParseTensor kernel, which is Tensor::FromProto: a
short typed list is padded with its last value, a long one is cut to the
shape, a tensor_content of the wrong size is refused. That is exactly what TF
Serving's predict_util.cc accepts ("tensor parsing error: <alias>" otherwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tensorflow.core.framework import tensor_pb2, types_pb2

from tfinterop.golden.savedmodel import GoldenError
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import ServingError, invalid_argument

# The golden never allocates what no case needs; TF Serving would try (and likely fail).
MAX_ELEMENTS = 1 << 31


def decode(proto: tensor_pb2.TensorProto, alias: str) -> Any:
    """A tf.Tensor of the proto's own dtype; INVALID_ARGUMENT when FromProto refuses it."""
    import tensorflow as tf

    refused = invalid_argument(f"tensor parsing error: {alias}")
    if proto.dtype == types_pb2.DT_INVALID or proto.dtype >= 100:  # invalid or a _REF type
        raise refused
    try:
        dtype = tf.dtypes.as_dtype(proto.dtype)
    except TypeError:
        raise refused from None
    count = 1
    for dim in proto.tensor_shape.dim:
        count *= max(dim.size, 0)
        if count > MAX_ELEMENTS:
            raise GoldenError(f"input {alias}: shape {proto.tensor_shape} is too large")
    try:
        return tf.io.parse_tensor(proto.SerializeToString(), out_type=dtype)
    except tf.errors.OpError:
        raise refused from None


def to_numpy(tensor: Any) -> np.ndarray:
    """The tensor's values; strings stay bytes objects (numpy's 'S' type drops trailing NULs)."""
    value = tensor.numpy()
    if tensor.dtype.as_datatype_enum == types_pb2.DT_STRING and not isinstance(value, np.ndarray):
        arr = np.empty((), dtype=object)
        arr[()] = value
        return arr
    return np.asarray(value)


def encode(tensor: Any, alias: str) -> tensor_pb2.TensorProto:
    """Tensor::AsProtoField: typed value fields of the tensor's own dtype."""
    try:
        return tensor_codec.from_ndarray(to_numpy(tensor), tensor.dtype.as_datatype_enum)
    except ServingError as e:
        raise GoldenError(f"output {alias}: {e.message}") from None


def dtype_enum(tensor: Any) -> int:
    return int(tensor.dtype.as_datatype_enum)
