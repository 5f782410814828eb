"""A loaded SavedModel version, as the Predict and GetModelMetadata rules (serving.predict) see it.

Two runtimes implement it: the bundled server's `server.session_servable` (TF1
session callables, like TF Serving's SavedModelBundle) and the Python client's
in-process `client.object_servable` (tf.saved_model.load, as Python users run a
SavedModel). Both expose the MetaGraphDef, so validation is identical.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.serving.errors import Code, ServingError


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


def check_deadline(signature: str, start: float, timeout_ms: int) -> None:
    """For a runtime that takes no per-call deadline: a run begun at `start` (time.monotonic)
    that returned past `timeout_ms` (> 0) is DEADLINE_EXCEEDED."""
    if timeout_ms > 0 and (time.monotonic() - start) * 1000 > timeout_ms:
        raise ServingError(
            Code.DEADLINE_EXCEEDED, f"signature {signature} ran past the {timeout_ms} ms deadline"
        )
