"""`tfinterop-python bench`: N requests at concurrency C against one case, one JSON line.

The figures are util.latency's (nearest rank, docs/CONTRACT.md), as in every client.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tfinterop.client.runner import load_op_libraries, make_transport, parse_request
from tfinterop.client.transports import DEFAULT_DEADLINE_MS, DEFAULT_REST, DEFAULT_TARGET
from tfinterop.golden.cases import manifest
from tfinterop.serving.errors import ServingError, UsageError
from tfinterop.util import heap, latency, progress


def bench(
    mode: str,
    cases: Path,
    case_id: str,
    requests: int,
    concurrency: int,
    warmup: int,
    config: Path | None = None,
    target: str = DEFAULT_TARGET,
    rest: str = DEFAULT_REST,
    deadline_ms: int = DEFAULT_DEADLINE_MS,
    extra_libraries: list[Path] | None = None,
) -> dict[str, Any]:
    """`bench`: the figures the contract's JSON line holds."""
    m = manifest.read(cases)
    case = next((c for c in m.cases if c.id == case_id), None)
    if case is None:
        raise UsageError(f"--case: no case {case_id!r} in {cases}")
    (load_error,) = load_op_libraries(mode, [m], extra_libraries or [])
    request = parse_request(mode, case.api, case.request_bytes(mode))
    rest_format = case.entry.get("rest_format", "columnar")
    shared = make_transport(mode, config or m.config_path, target, rest, deadline_ms)
    # requests.Session is not thread-safe: REST gets one transport per worker.
    per_thread = mode in ("rest", "v2rest")

    def call(t: Any) -> bool:
        try:
            if load_error is not None:
                raise load_error  # every request fails as the run's cases would
            t.call(case.api, request, rest_format=rest_format)
            return True
        except ServingError:
            return False

    latencies: list[float] = []
    errors = [0]
    issued = [0]  # measured requests started so far, for the progress lines
    lock = threading.Lock()
    counter = iter(range(requests))

    def report(elapsed: float) -> None:
        what = f"{issued[0]}/{requests} requests" if issued[0] else f"{warmup} warm-up requests"
        progress.say(f"bench {mode}/{case_id} c={concurrency}: {what} ({elapsed:.0f}s)")

    def worker() -> None:
        t = (
            make_transport(mode, config or m.config_path, target, rest, deadline_ms)
            if per_thread
            else shared
        )
        local: list[float] = []
        bad = 0
        while True:
            with lock:
                if next(counter, None) is None:
                    break
                issued[0] += 1
            start = time.perf_counter()
            ok = call(t)
            local.append((time.perf_counter() - start) * 1e6)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(local)
            errors[0] += bad

    with progress.Ticker(report):
        for _ in range(warmup):
            call(shared)
        heap.settle()  # as the bundled server does once its models are loaded
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - start
    shared.close()
    batch = _batch(request)
    figures = latency.summary(latencies, elapsed)
    return {
        "client": "python",
        "mode": mode,
        "case": case_id,
        "batch": batch,
        "requests": requests,
        "concurrency": concurrency,
        "warmup": warmup,
        **figures,
        "errors": errors[0],
    }


def _batch(request: Any) -> int:
    inputs = getattr(request, "inputs", None)
    if not inputs:
        return 1
    if not hasattr(inputs, "values"):  # a v2 ModelInferRequest: a list of tensors
        shape = list(inputs[0].shape)
        return int(shape[0]) if shape else 1
    first = next(iter(inputs.values()))
    return int(first.tensor_shape.dim[0].size) if first.tensor_shape.dim else 1
