"""The Python client's `bench`: N requests at concurrency C against one case, one JSON line."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from tfinterop import apis, progress
from tfinterop.cases import manifest
from tfinterop.errors import ServingError, ToolError
from tfinterop.runner import make_transport


def bench(
    mode: str,
    cases: Path,
    case_id: str,
    requests: int,
    concurrency: int,
    warmup: int,
    config: Path | None,
    target: str | None,
    rest: str | None,
) -> dict[str, Any]:
    m = manifest.read(cases)
    case = next((c for c in m.cases if c.id == case_id), None)
    if case is None:
        raise ToolError(f"no case {case_id!r} in {cases}")
    request = apis.parse_request(case.api, case.read("request"))
    rest_format = case.entry.get("rest_format", "columnar")
    shared = make_transport(mode, config or m.config_path, target, rest)
    # requests.Session is not thread-safe: REST gets one transport per worker.
    per_thread = mode == "rest"

    def call(t: Any) -> bool:
        try:
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
        t = make_transport(mode, config or m.config_path, target, rest) if per_thread else shared
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
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - start
    shared.close()
    arr = np.array(latencies)
    batch = _batch(request)
    return {
        "client": "python",
        "mode": mode,
        "case": case_id,
        "batch": batch,
        "requests": requests,
        "concurrency": concurrency,
        "warmup": warmup,
        "p50_us": round(float(np.percentile(arr, 50)), 1),
        "p90_us": round(float(np.percentile(arr, 90)), 1),
        "p99_us": round(float(np.percentile(arr, 99)), 1),
        "mean_us": round(float(arr.mean()), 1),
        "rps": round(requests / elapsed, 1),
        "errors": errors[0],
    }


def _batch(request: Any) -> int:
    inputs = getattr(request, "inputs", None)
    if not inputs:
        return 1
    first = next(iter(inputs.values()))
    return int(first.tensor_shape.dim[0].size) if first.tensor_shape.dim else 1
