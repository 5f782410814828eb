"""A loaded SavedModel version, behind one interface for every Python runtime path.

`ObjectServable` is how Python users run a SavedModel (tf.saved_model.load and
its signatures); the bundled server uses `server.session_servable` (TF1 session
callables, like TF Serving's SavedModelBundle). Both expose the MetaGraphDef
so validation is identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.errors import Code, ServingError
from tfinterop.signature import read_meta_graph


class Servable(Protocol):
    """One model version: its MetaGraphDef and a way to run a signature."""

    name: str
    version: int
    meta_graph: meta_graph_pb2.MetaGraphDef

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        """Run `signature` on validated inputs; ServingError with TF's code on failure.

        `timeout_ms` > 0 bounds the run (DEADLINE_EXCEEDED) where the runtime can.
        """
        ...


def error_from_tf(e: BaseException, what: str) -> ServingError:
    """Map a TensorFlow exception to a ServingError with its canonical code."""
    import tensorflow as tf

    if isinstance(e, tf.errors.OpError):
        return ServingError(Code(e.error_code), f"{what}: {_condense(e.message)}")
    if isinstance(e, (ValueError, TypeError)):
        return ServingError(Code.INVALID_ARGUMENT, f"{what}: {str(e).splitlines()[0]}")
    return ServingError(Code.INTERNAL, f"{what}: {type(e).__name__}: {e}")


def _condense(message: str, limit: int = 1000) -> str:
    """TF's multi-line messages ("Graph execution error:" then the cause) on one line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("File ", "Detected at node"))]
    text = " ".join(lines)
    return text if len(text) <= limit else text[:limit] + "..."


class ObjectServable:
    """A version loaded with tf.saved_model.load; signatures called as concrete functions."""

    def __init__(self, name: str, version: int, path: Path) -> None:
        import tensorflow as tf

        self.name = name
        self.version = version
        self.meta_graph = read_meta_graph(path)
        try:
            self._loaded = tf.saved_model.load(str(path), tags=["serve"])
        except Exception as e:
            raise error_from_tf(e, f"loading {path}") from None

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        # Eager concrete functions take no deadline; timeout_ms is accepted and unused.
        import tensorflow as tf

        fn = self._loaded.signatures[signature]
        try:
            result = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        except Exception as e:
            raise error_from_tf(e, f"running signature {signature}") from None
        return {alias: np.asarray(result[alias].numpy()) for alias in outputs}
