"""Synthesized inputs for a signature: small, deterministic, plausible for each dtype."""

from __future__ import annotations

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop import tensor_codec

SEED = 1234
BATCH = 2  # dynamic batch dimension
INNER = 3  # other dynamic dimensions


def shape_for(info: meta_graph_pb2.TensorInfo) -> tuple[int, ...] | None:
    """Concrete shape: -1 becomes 2 in the batch position, 3 elsewhere; None for unknown rank."""
    if info.tensor_shape.unknown_rank:
        return None
    dims = []
    for i, d in enumerate(info.tensor_shape.dim):
        dims.append(d.size if d.size >= 0 else (BATCH if i == 0 else INNER))
    return tuple(dims)


def synthesize(
    info: meta_graph_pb2.TensorInfo, rng: np.random.Generator, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Values for one input; raises ValueError for a dtype it cannot invent."""
    shape = shape if shape is not None else shape_for(info)
    if shape is None:
        shape = (BATCH,)
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
        return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)
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
    sig: meta_graph_pb2.SignatureDef, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Inputs for every alias of `sig`, sharing one batch size."""
    return {alias: synthesize(info, rng) for alias, info in sorted(sig.inputs.items())}
