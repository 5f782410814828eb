"""Progress of long steps: a steady pulse, counted from what the step has written so far."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from tfinterop.harness import run_clients
from tfinterop.util import progress


def test_ticker_reports_while_the_block_runs_and_stops_after() -> None:
    seen: list[float] = []
    with progress.Ticker(seen.append, every_s=0.05):
        time.sleep(0.32)
    count = len(seen)
    time.sleep(0.15)
    assert 3 <= count <= 7 and len(seen) == count
    assert seen == sorted(seen) and seen[0] >= 0.05


def test_ticker_survives_a_report_that_raises() -> None:
    calls = threading.Event()

    def broken(_elapsed: float) -> None:
        calls.set()
        raise OSError("terminal went away")

    with progress.Ticker(broken, every_s=0.02):
        assert calls.wait(2)


def test_countdown_says_each_step_with_how_many_remain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cells = progress.Countdown("[bench]", 3)
    cells.done("go grpc c=1: p50 80 us")
    cells.done("go grpc c=8: p50 95 us")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[bench] go grpc c=1: p50 80 us (1/3 done, 2 to go, ")
    assert lines[1].startswith("[bench] go grpc c=8: p50 95 us (2/3 done, 1 to go, ")


def test_say_writes_one_flushed_line() -> None:
    out = io.StringIO()
    progress.say("[interop] go/grpc: 3/9 cases (5s)", out)
    assert out.getvalue() == "[interop] go/grpc: 3/9 cases (5s)\n"


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


def test_results_written_counts_staging_and_complete_folders(tmp_path: Path) -> None:
    mode_dir = tmp_path / "go" / "grpc"
    # mnist still running: its results are in the staging folder.
    _touch(mode_dir / ".mnist.tmp-a1b2", "a.response.pb", "b.error.json", "c.skipped.json")
    _touch(mode_dir / ".mnist.tmp-a1b2", ".d.response.pb.x.tmp")  # a file being written
    # text finished and renamed into place; its run.json is not a case.
    _touch(mode_dir / "text", "p.response.pb", "q.response.pb", "run.json")
    # Folders of other models and set-aside old folders are not counted.
    _touch(mode_dir / ".mnist_seed.tmp-zz", "x.response.pb")
    _touch(mode_dir / ".mnist.tmp-old-77", "old.response.pb")
    _touch(mode_dir / ".mnist.tmp-c3d4-old", "old.response.pb")
    assert run_clients.results_written(mode_dir, ["mnist", "text"]) == 5
    assert run_clients.results_written(mode_dir, ["absent"]) == 0
    assert run_clients.results_written(tmp_path / "nothing", ["mnist"]) == 0
