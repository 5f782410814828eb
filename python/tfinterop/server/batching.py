"""Dynamic batching across concurrent requests (--enable_batching), as TF Serving's
BatchingSession does: requests for the same signature and input shapes queue,
a batch thread merges them along dimension 0 (padding up to the next
allowed_batch_sizes entry with copies of the first row), runs once and splits
the outputs back. batch_timeout_micros 0 means "run what is queued now", so
batches form while the batch threads are busy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfinterop.serving.errors import Code, ServingError, invalid_argument
from tfinterop.serving.servable import Servable


@dataclass(frozen=True)
class BatchingOptions:
    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 1000000
    num_batch_threads: int = 2
    allowed_batch_sizes: tuple[int, ...] = ()

    @classmethod
    def from_proto(cls, p: Any) -> BatchingOptions:
        d = cls()

        def get(name: str, default: int) -> int:
            return int(getattr(p, name).value) if p.HasField(name) else default

        opts = cls(
            max_batch_size=get("max_batch_size", d.max_batch_size),
            batch_timeout_micros=get("batch_timeout_micros", d.batch_timeout_micros),
            max_enqueued_batches=get("max_enqueued_batches", d.max_enqueued_batches),
            num_batch_threads=get("num_batch_threads", d.num_batch_threads),
            allowed_batch_sizes=tuple(int(x) for x in p.allowed_batch_sizes),
        )
        opts.validate()
        return opts

    def validate(self) -> None:
        from tfinterop.serving.errors import ToolError

        if self.max_batch_size <= 0 or self.num_batch_threads <= 0:
            raise ToolError("batching parameters: max_batch_size and num_batch_threads must be > 0")
        sizes = self.allowed_batch_sizes
        if sizes:
            if list(sizes) != sorted(set(sizes)):
                raise ToolError("batching parameters: allowed_batch_sizes must increase")
            if sizes[-1] != self.max_batch_size:
                raise ToolError(
                    "batching parameters: the last entry of allowed_batch_sizes must equal max_batch_size"
                )


@dataclass
class _Task:
    inputs: Mapping[str, np.ndarray]
    rows: int
    future: Future[dict[str, np.ndarray]] = field(default_factory=Future)
    enqueued: float = field(default_factory=time.monotonic)


_Key = tuple[Any, ...]


class Batcher:
    """Shared batch scheduler: one queue per (servable, signature, io, inner shapes)."""

    def __init__(self, options: BatchingOptions) -> None:
        self.options = options
        self._queues: dict[_Key, deque[_Task]] = {}
        self._targets: dict[_Key, tuple[Servable, str, list[str]]] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._loop, name=f"batch-{i}", daemon=True)
            for i in range(options.num_batch_threads)
        ]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def submit(
        self,
        servable: Servable,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int,
    ) -> dict[str, np.ndarray]:
        sizes = {a.shape[0] if a.ndim else -1 for a in inputs.values()}
        if len(sizes) != 1 or -1 in sizes:
            raise invalid_argument(
                "Batching Run() input tensors must have equal 0th-dimension size"
            )
        rows = sizes.pop()
        if rows > self.options.max_batch_size or rows == 0:
            # Too large to merge (TF Serving would split); run on its own.
            return servable.run(signature, inputs, outputs, timeout_ms)
        key = (
            id(servable),
            signature,
            tuple(outputs),
            tuple((k, v.dtype.str, v.shape[1:]) for k, v in sorted(inputs.items())),
        )
        task = _Task(inputs, rows)
        with self._cond:
            q = self._queues.setdefault(key, deque())
            limit = self.options.max_enqueued_batches * self.options.max_batch_size
            if sum(t.rows for t in q) + rows > limit:
                raise ServingError(
                    Code.UNAVAILABLE,
                    "The batch scheduling queue to which this task was submitted is full",
                )
            self._targets[key] = (servable, signature, outputs)
            q.append(task)
            self._cond.notify()
        wait = timeout_ms / 1000 if timeout_ms > 0 else None
        try:
            return task.future.result(timeout=wait)
        except TimeoutError:
            raise ServingError(
                Code.DEADLINE_EXCEEDED, "Deadline exceeded while waiting in the batch queue"
            ) from None

    def _take(self) -> tuple[_Key, list[_Task]] | None:
        opts = self.options
        with self._cond:
            while True:
                if self._stopped:
                    return None
                ready = [(q[0].enqueued, k) for k, q in self._queues.items() if q]
                if not ready:
                    self._cond.wait()
                    continue
                oldest, key = min(ready)
                q = self._queues[key]
                queued_rows = sum(t.rows for t in q)
                age_us = (time.monotonic() - oldest) * 1e6
                if queued_rows < opts.max_batch_size and age_us < opts.batch_timeout_micros:
                    self._cond.wait((opts.batch_timeout_micros - age_us) / 1e6)
                    continue
                batch, rows = [], 0
                while q and rows + q[0].rows <= opts.max_batch_size:
                    t = q.popleft()
                    batch.append(t)
                    rows += t.rows
                return key, batch

    def _loop(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            key, batch = taken
            servable, signature, outputs = self._targets[key]
            try:
                self._run(servable, signature, outputs, batch)
            except BaseException as e:
                for t in batch:
                    if not t.future.done():
                        t.future.set_exception(e)

    def _run(
        self, servable: Servable, signature: str, outputs: list[str], batch: list[_Task]
    ) -> None:
        total = sum(t.rows for t in batch)
        padded = self._padded_size(total)
        merged: dict[str, np.ndarray] = {}
        for alias in batch[0].inputs:
            parts = [t.inputs[alias] for t in batch]
            if padded > total:
                first = parts[0][:1]
                parts.append(np.repeat(first, padded - total, axis=0))
            merged[alias] = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        result = servable.run(signature, merged, outputs)
        for alias, arr in result.items():
            if arr.ndim == 0 or arr.shape[0] != padded:
                raise invalid_argument(
                    f"Batched output tensor {alias} has 0th dimension {arr.shape[:1]}, expected {padded}"
                )
        offset = 0
        for t in batch:
            t.future.set_result({a: arr[offset : offset + t.rows] for a, arr in result.items()})
            offset += t.rows

    def _padded_size(self, rows: int) -> int:
        for size in self.options.allowed_batch_sizes:
            if size >= rows:
                return size
        return rows


class BatchingServable:
    """A servable whose runs go through the shared batcher."""

    def __init__(self, inner: Servable, batcher: Batcher) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.meta_graph = inner.meta_graph
        self._batcher = batcher

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        return self._batcher.submit(self.inner, signature, inputs, outputs, timeout_ms)
