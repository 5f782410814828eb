"""Latency figures as docs/CONTRACT.md defines them for every client's `bench`.

Percentiles are nearest-rank: pQ of n latencies is the ceil(Q/100 * n)-th smallest
(1-based; the smallest when that rank is 0). No interpolation, so every figure is a
latency that was measured, and the four clients report the same statistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(latencies: Sequence[float], q: float) -> float:
    """The q-th percentile (0 <= q <= 100) of `latencies` by nearest rank."""
    if not latencies:
        raise ValueError("no latencies to take a percentile of")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(latencies)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summary(latencies_us: Sequence[float], wall_s: float) -> dict[str, float]:
    """p50/p90/p99/mean in microseconds and requests per second, rounded to 0.1, as `bench`
    prints them: rps is n over the wall time from the first measured request to the last answer."""
    if not latencies_us:
        return {"p50_us": 0.0, "p90_us": 0.0, "p99_us": 0.0, "mean_us": 0.0, "rps": 0.0}
    return {
        "p50_us": round(nearest_rank(latencies_us, 50), 1),
        "p90_us": round(nearest_rank(latencies_us, 90), 1),
        "p99_us": round(nearest_rank(latencies_us, 99), 1),
        "mean_us": round(sum(latencies_us) / len(latencies_us), 1),
        "rps": round(len(latencies_us) / wall_s, 1) if wall_s > 0 else 0.0,
    }
