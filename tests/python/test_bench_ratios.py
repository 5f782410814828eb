"""How `make bench` sets an in-process row against the bare C API loop: a client that measures
the loop on its own session, alternating with itself, is judged by its own ratio; the others
by the C++ client's loop (docs/BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

from tfinterop.bench import suite


def _row(client: str, p50: float, **extra: Any) -> dict[str, Any]:
    return {"client": client, "mode": "inproc", "batch": 1, "concurrency": 1, "p50_us": p50} | extra


CAPI = [{"client": "capi", "batch": 1, "concurrency": 1, "p50_us": 40.0}]


def test_a_clients_own_alternating_ratio_wins_over_the_cross_process_one() -> None:
    ratio, name = suite._ratio(_row("go", 60.0, own_ratio=1.07), CAPI)
    assert ratio == 1.07 and "same process" in name


def test_without_its_own_ratio_a_row_is_set_against_the_cpp_loop() -> None:
    ratio, name = suite._ratio(_row("java", 60.0), CAPI)
    assert ratio == 1.5 and name == "bare TF_SessionRun p50"


def test_no_reference_gives_no_ratio() -> None:
    assert suite._ratio(_row("java", 60.0), [])[0] is None


def _targets(go_ratio: float) -> dict[str, str]:
    go = _row("go", 50.0, own_ratio=go_ratio, rps=20000, errors=0)
    ghz = {"client": "ghz", "mode": "grpc", "batch": 1, "concurrency": 32, "p50_us": 9000.0}
    server = {"rps": 1000}
    out = suite.summarize([go], [*CAPI, ghz], server, server, [], [], n_cores=2)
    return {t["target"]: t["value"] for t in out["targets"]}


def test_a_client_faster_than_its_own_bare_loop_says_the_loop_was_no_floor() -> None:
    targets = _targets(0.68)
    (go,) = [v for k, v in targets.items() if k.startswith("go in-process")]
    assert go == "0.68x (the bare loop ran slower than the client: no floor in this run)"
    (normal,) = [v for k, v in _targets(1.04).items() if k.startswith("go in-process")]
    assert normal == "1.04x"
