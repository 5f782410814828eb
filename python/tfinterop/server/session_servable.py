"""A SavedModel version loaded the way TF Serving loads it: a TF1 Session on the graph.

TensorFlow Serving's SavedModelBundle runs signatures with Session::Run on the
MetaGraph; this does the same through tf.compat.v1 with one prepared callable
per (signature, inputs, outputs), so a request costs one session call and no
retracing. It shares the C++ loader's behaviour, including its failure on
Keras 3 `tf.saved_model.save` exports ("Could not find variable"), and, where
Python's own kernels would differ, refuses graphs that call Python as the C++
loader does (server/python_ops.py).

The callables come from Session._make_callable_from_options (TF_SessionMakeCallable
underneath): about 55 us per batch-1 MNIST call here, against about 330 us for
Session.make_callable, whose Python fetch handling dominates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2

from tfinterop.server import python_ops
from tfinterop.serving.errors import Code, ServingError, ToolError, error_from_tf
from tfinterop.serving.servable import check_deadline
from tfinterop.serving.signature import SERVE_TAG

_Key = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Parallelism:
    """TF Serving's --tensorflow_session_parallelism, --tensorflow_intra_op_parallelism and
    --tensorflow_inter_op_parallelism (all 0: TensorFlow picks)."""

    session: int = 0
    intra_op: int = 0
    inter_op: int = 0

    def check(self) -> None:
        """server.cc BuildAndStart refuses all three set (ToolError: the server does not start)."""
        if self.intra_op > 0 and self.inter_op > 0 and self.session > 0:
            raise ToolError(
                "Either configure server_options.tensorflow_session_parallelism or "
                "(server_options.tensorflow_intra_op_parallelism, "
                "server_options.tensorflow_inter_op_parallelism) separately. You cannot "
                "configure all."
            )

    def session_threads(self) -> tuple[int, int]:
        """The session config's (intra, inter) op threads, as server.cc sets them: the two
        specific flags as given when either is positive (so an inter-op -1, which runs a
        graph's ops in the caller's thread, needs a positive intra-op beside it), else
        --tensorflow_session_parallelism for both."""
        if self.intra_op > 0 or self.inter_op > 0:
            return self.intra_op, self.inter_op
        return self.session, self.session


class SessionServable:
    """One loaded version; `run` is thread-safe (Session::Run is)."""

    def __init__(
        self, name: str, version: int, path: Path, threads: Parallelism | None = None
    ) -> None:
        import tensorflow as tf

        self.name = name
        self.version = version
        self.path = path
        self._graph = tf.Graph()
        intra, inter = (threads or Parallelism()).session_threads()
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=intra, inter_op_parallelism_threads=inter
        )
        self._session = tf.compat.v1.Session(graph=self._graph, config=config)
        try:
            with self._graph.as_default():
                self.meta_graph: meta_graph_pb2.MetaGraphDef = tf.compat.v1.saved_model.loader.load(
                    self._session, [SERVE_TAG], str(path)
                )
        except Exception as e:
            self._session.close()
            raise error_from_tf(e, f"loading {path}") from None
        refused = python_ops.load_refusal(self.meta_graph)
        if refused is not None:
            # This process has Python's kernels for it; TF Serving's loader has none.
            self._session.close()
            raise ServingError(refused.code, f"loading {path}: {refused.message}")
        self._callables: dict[_Key, Callable[..., list[np.ndarray]]] = {}
        self._lock = threading.Lock()

    def _callable(self, key: _Key) -> Callable[..., list[np.ndarray]]:
        fn = self._callables.get(key)
        if fn is not None:
            return fn
        with self._lock:
            fn = self._callables.get(key)
            if fn is None:
                signature, feeds, fetches = key
                sig = self.meta_graph.signature_def[signature]
                options = config_pb2.CallableOptions(
                    feed=[sig.inputs[a].name for a in feeds],
                    fetch=[sig.outputs[a].name for a in fetches],
                )
                refused = python_ops.run_refusal(self.meta_graph, options.fetch)
                if refused is not None:
                    raise ServingError(
                        refused.code, f"running signature {signature}: {refused.message}"
                    )
                try:
                    fn = self._session._make_callable_from_options(options)
                except Exception as e:
                    raise error_from_tf(e, f"preparing signature {signature}") from None
                self._callables[key] = fn
        return fn

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        feeds = tuple(sorted(inputs))
        fn = self._callable((signature, feeds, tuple(outputs)))
        start = time.monotonic()
        try:
            values = fn(*[inputs[a] for a in feeds])
        except Exception as e:
            raise error_from_tf(e, f"running signature {signature}") from None
        # A prepared callable takes no per-call RunOptions, so the deadline is
        # checked when the run returns: a late answer is DEADLINE_EXCEEDED.
        check_deadline(signature, start, timeout_ms)
        return {alias: np.asarray(v) for alias, v in zip(outputs, values, strict=True)}

    def close(self) -> None:
        self._session.close()


def load(
    name: str, version: int, path: Path, threads: Parallelism | None = None
) -> SessionServable:
    """Load, or raise ServingError with the loader's code."""
    if not path.is_dir():
        raise ServingError(Code.NOT_FOUND, f"SavedModel folder {path} does not exist")
    return SessionServable(name, version, path, threads)
