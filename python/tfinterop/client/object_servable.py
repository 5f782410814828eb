"""The Python client's in-process runtime: a version loaded with tf.saved_model.load.

This is how Python users run a SavedModel (each signature called as a concrete
function); it implements serving.servable.Servable, so the in-process client
validates requests with the same rules as the bundled server.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from tfinterop.serving.errors import error_from_tf
from tfinterop.serving.signature import read_meta_graph


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
