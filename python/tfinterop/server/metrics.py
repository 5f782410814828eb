"""Prometheus metrics in TF Serving's names, rendered as the text exposition format."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

from tfinterop.serving.errors import Code

# Latency buckets in microseconds, like TF Serving's request_latency histogram.
BUCKETS_US = (
    10,
    18,
    32,
    56,
    100,
    178,
    316,
    562,
    1000,
    1778,
    3162,
    5623,
    10000,
    17783,
    31623,
    56234,
    100000,
    177828,
    316228,
    562341,
    1000000,
    1778279,
    3162278,
)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[int]] = {}
        self._latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self._loads: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, model: str, api: str, code: Code, seconds: float) -> None:
        us = seconds * 1e6
        with self._lock:
            self._requests[(model, code.name)] += 1
            key = (model, api)
            counts = self._latency.setdefault(key, [0] * (len(BUCKETS_US) + 1))
            # The first bucket whose bound is >= us; past the last bound, the +Inf one.
            counts[bisect.bisect_left(BUCKETS_US, us)] += 1
            self._latency_sum[key] += us

    def load_attempt(self, path: str, ok: bool) -> None:
        with self._lock:
            self._loads[(path, "success" if ok else "fail")] += 1

    def render(self) -> str:
        lines = []
        with self._lock:
            lines.append("# TYPE :tensorflow:serving:request_count counter")
            for (model, status), n in sorted(self._requests.items()):
                lines.append(
                    f':tensorflow:serving:request_count{{model_name="{_esc(model)}",status="{status}"}} {n}'
                )
            lines.append("# TYPE :tensorflow:serving:request_latency histogram")
            for (model, api), counts in sorted(self._latency.items()):
                labels = f'model_name="{_esc(model)}",API="{api}",entrypoint="GRPC_OR_REST"'
                total = 0
                for bound, n in zip(BUCKETS_US, counts, strict=False):
                    total += n
                    lines.append(
                        f':tensorflow:serving:request_latency_bucket{{{labels},le="{bound}"}} {total}'
                    )
                total += counts[-1]
                lines.append(
                    f':tensorflow:serving:request_latency_bucket{{{labels},le="+Inf"}} {total}'
                )
                lines.append(
                    f":tensorflow:serving:request_latency_sum{{{labels}}} {self._latency_sum[(model, api)]:.1f}"
                )
                lines.append(f":tensorflow:serving:request_latency_count{{{labels}}} {total}")
            lines.append("# TYPE :tensorflow:cc:saved_model:load_attempt_count counter")
            for (path, status), n in sorted(self._loads.items()):
                lines.append(
                    f':tensorflow:cc:saved_model:load_attempt_count{{model_path="{_esc(path)}",status="{status}"}} {n}'
                )
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
