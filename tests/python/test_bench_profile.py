"""How `make bench` takes the server's py-spy profile: a record that fails now and then (py-spy
samples without stopping the server) is tried again, and one that keeps failing is reported with
py-spy's own words instead of a bare exit status (docs/BENCHMARKS.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tfinterop.bench import suite


def _fake_py_spy(monkeypatch: pytest.MonkeyPatch, outcomes: list[int]) -> list[list[str]]:
    """subprocess.run stand-in: each call takes the next exit status; 0 writes a raw profile."""
    calls: list[list[str]] = []

    def run(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        rc = outcomes[len(calls) - 1]
        if rc == 0:
            Path(cmd[cmd.index("--output") + 1]).write_text("main;serve;predict 30\nmain;wait 10\n")
        # py-spy's error, then the Rust backtrace it prints after it.
        said = "Error: Failed to copy PyCodeObject\nStack backtrace:\n   6: main\n"
        return subprocess.CompletedProcess(cmd, rc, "", said)

    monkeypatch.setattr(suite.subprocess, "run", run)
    return calls


def test_a_failed_record_is_tried_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _fake_py_spy(monkeypatch, [1, 0])
    top = suite._profile_server(123, tmp_path)
    assert len(calls) == 2
    assert top == ["75% predict", "25% wait"]


def test_a_record_that_keeps_failing_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _fake_py_spy(monkeypatch, [1] * suite.PROFILE_ATTEMPTS)
    (message,) = suite._profile_server(123, tmp_path)
    assert len(calls) == suite.PROFILE_ATTEMPTS
    assert "py-spy exited 1: Error: Failed to copy PyCodeObject" in message


def test_the_gil_profile_says_how_long_the_gil_was_held(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _fake_py_spy(monkeypatch, [0])
    lines = suite._profile_server(123, tmp_path, seconds=1, gil=True)
    assert "--gil" in calls[0] and calls[0][calls[0].index("--rate") + 1] == "100"
    # 40 samples kept of the 100 asked for in one second: held 40% of the time.
    assert lines == [
        "the GIL was held about 40% of the time; by (own time):",
        "GIL: 75% predict",
        "GIL: 25% wait",
    ]
