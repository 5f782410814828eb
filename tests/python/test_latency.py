"""util.latency: docs/CONTRACT.md's nearest-rank percentiles, which every client's bench reports."""

from __future__ import annotations

import pytest

from tfinterop.util import latency


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([15, 20, 35, 40, 50], 5, 15),  # rank ceil(0.25) = 1
        ([15, 20, 35, 40, 50], 30, 20),  # rank ceil(1.5) = 2
        ([15, 20, 35, 40, 50], 40, 20),  # rank ceil(2.0) = 2: no interpolation
        ([15, 20, 35, 40, 50], 50, 35),
        ([15, 20, 35, 40, 50], 100, 50),
        ([15, 20, 35, 40, 50], 0, 15),  # rank 0: the smallest
        ([3, 1, 2], 50, 2),  # unsorted input
        (list(range(1, 101)), 99, 99),
        (list(range(1, 11)), 90, 9),  # numpy's linear interpolation says 9.1
    ],
)
def test_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert latency.nearest_rank(values, q) == expected


def test_refuses_nothing_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        latency.nearest_rank([], 50)
    with pytest.raises(ValueError):
        latency.nearest_rank([1.0], 101)


def test_summary_is_the_bench_line_figures() -> None:
    figures = latency.summary([100.0, 200.0, 300.0, 400.0], wall_s=0.5)
    assert figures == {
        "p50_us": 200.0,
        "p90_us": 400.0,
        "p99_us": 400.0,
        "mean_us": 250.0,
        "rps": 8.0,
    }
