"""Synthesized inputs for a signature: small, deterministic, plausible for each dtype.

Shapes come from the signature's TensorInfo: fixed dimensions as declared, the
dynamic first (batch) dimension and the other dynamic dimensions at sizes the
caller picks, so a recorder can probe a signature at several batch sizes and a
second size of its other dynamic dimensions.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.serving import tensor_codec

SEED = 1234
BATCH = 2  # dynamic batch dimension
INNER = 3  # other dynamic dimensions


def batch_is_dynamic(info: meta_graph_pb2.TensorInfo) -> bool:
    """Whether the input has a first dimension of any size (unknown rank counts: it is
    synthesized as a vector)."""
    dims = info.tensor_shape.dim
    return info.tensor_shape.unknown_rank or (len(dims) > 0 and dims[0].size < 0)


def inner_is_dynamic(info: meta_graph_pb2.TensorInfo) -> bool:
    """Whether a dimension after the first has any size."""
    return any(d.size < 0 for d in info.tensor_shape.dim[1:])


def shape_for(
    info: meta_graph_pb2.TensorInfo, batch: int = BATCH, inner: int = INNER
) -> tuple[int, ...]:
    """Concrete shape: a dynamic first dimension becomes `batch`, other dynamic ones `inner`;
    an unknown rank, a vector of `batch`."""
    if info.tensor_shape.unknown_rank:
        return (batch,)
    return tuple(
        d.size if d.size >= 0 else (batch if i == 0 else inner)
        for i, d in enumerate(info.tensor_shape.dim)
    )


def synthesize(
    info: meta_graph_pb2.TensorInfo, rng: np.random.Generator, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Values for one input; raises ValueError for a dtype it cannot invent."""
    shape = shape if shape is not None else shape_for(info)
    dt = info.dtype
    if dt in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        return rng.uniform(-1.0, 1.0, size=shape).astype(tensor_codec.dtype_info(dt).numpy)
    if dt in (
        types_pb2.DT_INT8,
        types_pb2.DT_INT16,
        types_pb2.DT_INT32,
        types_pb2.DT_INT64,
        types_pb2.DT_UINT8,
        types_pb2.DT_UINT16,
        types_pb2.DT_UINT32,
        types_pb2.DT_UINT64,
    ):
        return rng.integers(0, 10, size=shape).astype(tensor_codec.dtype_info(dt).numpy)
    if dt == types_pb2.DT_BOOL:
        return cast(np.ndarray, (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape))
    if dt == types_pb2.DT_STRING:
        n = int(np.prod(shape))
        words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"]
        arr = np.empty(n, dtype=object)
        arr[:] = [
            f"{words[i % len(words)]} {words[(i * 3 + 1) % len(words)]}".encode() for i in range(n)
        ]
        return arr.reshape(shape)
    raise ValueError(f"cannot synthesize {tensor_codec.dtype_name(dt)} inputs")


def batch_consistent(
    sig: meta_graph_pb2.SignatureDef,
    rng: np.random.Generator,
    batch: int = BATCH,
    inner: int = INNER,
) -> dict[str, np.ndarray]:
    """Inputs for every alias of `sig`, sharing one batch size (no tf.Example awareness:
    tfinterop.byo.inputs.synthesized adds it)."""
    return {
        alias: synthesize(info, rng, shape_for(info, batch, inner))
        for alias, info in sorted(sig.inputs.items())
    }
