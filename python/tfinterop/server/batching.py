"""Dynamic batching across concurrent requests (--enable_batching), as TF Serving's
BatchingSession over a shared batch scheduler does.

Requests for the same signature, outputs and inner input shapes join one queue of
batches. A request joins the open batch at the queue's tail when it fits, else opens a
new one (UNAVAILABLE when max_enqueued_batches are already open). A batch thread runs
the oldest batch that is ready: full, followed by a newer one, or older than
batch_timeout_micros (0: ready at once, so batches form while the threads are busy). It
merges the inputs along dimension 0, pads up to the next allowed_batch_sizes entry with
copies of the first row, makes one session call and hands each request its rows.

A request larger than max_batch_size is INVALID_ARGUMENT, as the scheduler's
ValidateBatchTaskQueueCapacity says; with enable_large_batch_splitting it is split into
pieces of at most max_execution_batch_size rows, which run in as many batches, and its
answer is their outputs joined.

The hand-off costs one lock per request: a request waits on a lock the batch thread
releases, the cheapest primitive Python has (a concurrent.futures.Future is a condition
variable, an RLock and a callback list per request).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfinterop.serving.errors import Code, ServingError, ToolError, invalid_argument
from tfinterop.serving.servable import Servable


@dataclass(frozen=True)
class BatchingOptions:
    """BatchingParameters, with the bundled server's defaults where TF Serving's depend on
    the machine (num_batch_threads)."""

    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 1000000
    num_batch_threads: int = 2
    allowed_batch_sizes: tuple[int, ...] = ()
    enable_large_batch_splitting: bool = False
    max_execution_batch_size: int = 0  # 0: max_batch_size

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
            enable_large_batch_splitting=bool(
                p.HasField("enable_large_batch_splitting") and p.enable_large_batch_splitting.value
            ),
            max_execution_batch_size=get("max_execution_batch_size", 0),
        )
        opts.validate()
        return opts

    @property
    def execution_batch_size(self) -> int:
        """The most rows one session call takes (bundle_factory_util.h GetQueueOptions:
        max_execution_batch_size only with splitting, else max_batch_size)."""
        if self.enable_large_batch_splitting and self.max_execution_batch_size > 0:
            return self.max_execution_batch_size
        return self.max_batch_size

    def validate(self) -> None:
        """What the server refuses to start with (batching_session.cc's words)."""
        if self.max_batch_size <= 0 or self.num_batch_threads <= 0:
            raise ToolError("batching parameters: max_batch_size and num_batch_threads must be > 0")
        sizes = self.allowed_batch_sizes
        if not sizes:
            return
        if any(b <= a for a, b in itertools.pairwise(sizes)):
            raise ToolError(
                "batching parameters: allowed_batch_sizes entries must be monotonically increasing"
            )
        if self.enable_large_batch_splitting:
            if sizes[-1] > self.max_batch_size:
                raise ToolError(
                    "batching parameters: Last entry in allowed_batch_sizes must be less than "
                    f"or equal to max_batch_size; last entry was {sizes[-1]}; expected "
                    f"{self.max_batch_size}"
                )
            if sizes[-1] != self.execution_batch_size:
                raise ToolError(
                    "batching parameters: Last entry in allowed_batch_sizes must be equal to "
                    f"max_execution_batch_size; last entry was {sizes[-1]}; expected "
                    f"{self.execution_batch_size}"
                )
        elif sizes[-1] != self.max_batch_size:
            raise ToolError(
                "batching parameters: Last entry in allowed_batch_sizes must match "
                f"max_batch_size; last entry was {sizes[-1]}; expected {self.max_batch_size}"
            )


class _Task:
    """Rows of one request (or one piece of a split request); `done` is held until the
    batch thread has set `result` or `error`."""

    __slots__ = ("done", "error", "inputs", "result", "rows")

    def __init__(self, inputs: Mapping[str, np.ndarray], rows: int) -> None:
        self.inputs = inputs
        self.rows = rows
        self.done = threading.Lock()
        self.done.acquire()
        self.result: dict[str, np.ndarray] | None = None
        self.error: BaseException | None = None


class _Batch:
    __slots__ = ("opened", "rows", "tasks")

    def __init__(self) -> None:
        self.tasks: list[_Task] = []
        self.rows = 0
        self.opened = time.monotonic()


class _Queue:
    __slots__ = ("batches", "outputs", "servable", "signature")

    def __init__(self, servable: Servable, signature: str, outputs: list[str]) -> None:
        self.servable = servable
        self.signature = signature
        self.outputs = outputs
        self.batches: deque[_Batch] = deque()


_Key = tuple[Any, ...]


class Batcher:
    """The shared batch scheduler: one queue per (servable, signature, outputs, inner
    input shapes), `num_batch_threads` threads running the ready batches."""

    def __init__(self, options: BatchingOptions) -> None:
        self.options = options
        self._queues: dict[_Key, _Queue] = {}
        self._cond = threading.Condition(threading.Lock())
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
        opts = self.options
        if rows > opts.max_batch_size:
            raise invalid_argument(
                f"Task size {rows} is larger than maximum input batch size {opts.max_batch_size}"
            )
        if rows == 0:
            return servable.run(signature, inputs, outputs, timeout_ms)
        limit = opts.execution_batch_size
        pieces = (
            [_Task(inputs, rows)]
            if rows <= limit
            else [
                _Task({k: v[i : i + limit] for k, v in inputs.items()}, min(limit, rows - i))
                for i in range(0, rows, limit)
            ]
        )
        key = (
            id(servable),
            signature,
            tuple(outputs),
            tuple((k, v.dtype.str, v.shape[1:]) for k, v in sorted(inputs.items())),
        )
        with self._cond:
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = _Queue(servable, signature, outputs)
            for task in pieces:
                self._enqueue(queue, task, limit)
            self._cond.notify()
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms > 0 else None
        results = []
        for task in pieces:
            wait = -1 if deadline is None else max(deadline - time.monotonic(), 0)
            if not task.done.acquire(timeout=wait):
                raise ServingError(
                    Code.DEADLINE_EXCEEDED, "Deadline exceeded while waiting in the batch queue"
                )
            if task.error is not None:
                raise task.error
            assert task.result is not None
            results.append(task.result)
        if len(results) == 1:
            return results[0]
        return {alias: np.concatenate([r[alias] for r in results]) for alias in outputs}

    def _enqueue(self, queue: _Queue, task: _Task, limit: int) -> None:
        """Into the open tail batch when the rows fit, else a new batch (called locked)."""
        batches = queue.batches
        if not batches or batches[-1].rows + task.rows > limit:
            if len(batches) >= self.options.max_enqueued_batches:
                raise ServingError(
                    Code.UNAVAILABLE,
                    "The batch scheduling queue to which this task was submitted is full",
                )
            batches.append(_Batch())
        batch = batches[-1]
        batch.tasks.append(task)
        batch.rows += task.rows

    def _take(self) -> tuple[_Queue, _Batch] | None:
        timeout_s = self.options.batch_timeout_micros / 1e6
        limit = self.options.execution_batch_size
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = time.monotonic()
                best: tuple[_Queue, _Batch] | None = None
                wake: float | None = None
                for queue in self._queues.values():
                    if not queue.batches:
                        continue
                    head = queue.batches[0]
                    due = head.opened + timeout_s
                    if len(queue.batches) > 1 or head.rows >= limit or now >= due:
                        if best is None or head.opened < best[1].opened:
                            best = (queue, head)
                    elif wake is None or due < wake:
                        wake = due
                if best is not None:
                    best[0].batches.popleft()
                    return best
                self._cond.wait(None if wake is None else wake - now)

    def _loop(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            queue, batch = taken
            try:
                self._run(queue, batch)
            except BaseException as e:
                for t in batch.tasks:
                    if t.result is None and t.error is None:
                        t.error = e
                        t.done.release()

    def _run(self, queue: _Queue, batch: _Batch) -> None:
        tasks = batch.tasks
        total = batch.rows
        padded = self._padded_size(total)
        merged: dict[str, np.ndarray] = {}
        for alias in tasks[0].inputs:
            parts = [t.inputs[alias] for t in tasks]
            if padded > total:
                parts.append(np.repeat(parts[0][:1], padded - total, axis=0))
            merged[alias] = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        result = queue.servable.run(queue.signature, merged, queue.outputs)
        for alias, arr in result.items():
            if arr.ndim == 0 or arr.shape[0] != padded:
                raise invalid_argument(
                    f"Batched output tensor {alias} has 0th dimension {arr.shape[:1]}, "
                    f"expected {padded}"
                )
        offset = 0
        for t in tasks:
            t.result = {a: arr[offset : offset + t.rows] for a, arr in result.items()}
            offset += t.rows
            t.done.release()

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
