"""The Java client's async-profiler profile in `make bench`: collapsed stacks read and attributed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tfinterop.bench import collapsed, java_profile

ROOT = ("dev/tfinterop/Main.main", "dev/tfinterop/Bench.alternating")
CLIENT = (*ROOT, "dev/tfinterop/InprocTransport.call", "dev/tfinterop/InprocTransport.predict")
LOOP = (*ROOT, "dev/tfinterop/BareSessionRun.run")
RUN = ("org/tensorflow/Session$Runner.run", "org/tensorflow/Session$Runner.runHelper",
       "TF_SessionRun", "tensorflow::DirectSession::Run")  # fmt: skip


def _line(count: int, *frames: str) -> str:
    return ";".join(frames) + f" {count}\n"


# 1,000 runs each at 1 ms a sample: 1 sample is 1 us a predict.
COLLAPSED = (
    _line(6, *CLIENT, "dev/tfinterop/SavedModelServable.run", *RUN)
    + _line(2, *CLIENT, "dev/tfinterop/TfTensors.toProto")
    + _line(1, *CLIENT, "dev/tfinterop/TfTensors.toProto", "org/tensorflow/ByteRawDataBuffer.read")
    + _line(1, *CLIENT, "com/google/protobuf/GeneratedMessage.<init>")
    + _line(5, *LOOP, *RUN)
    + _line(7, "start_thread", "CompileBroker::compiler_thread_loop")
    + "not a stack line\n"
)
BENCH = {"requests": 900, "warmup": 100, "mean_us": 20.0, "reference": {"mean_us": 8.0}}


def test_collapsed_stacks_are_read_innermost_first() -> None:
    (stack, n), *_ = collapsed.stacks(_line(3, "a/B.c", "TF_SessionRun"))
    assert (stack, n) == (["TF_SessionRun", "a/B.c"], 3)
    assert collapsed.stacks("garbage\n") == []


def test_the_client_the_loop_and_the_clients_own_methods_are_told_apart() -> None:
    summary = java_profile.summarize(collapsed.stacks(COLLAPSED))
    assert summary["counts"] == {
        "client runner": 6,
        "client own": 4,
        "loop runner": 5,
    }
    assert summary["own_sites"] == [
        ("TfTensors.toProto", 3, "its own body", 2),
        ("InprocTransport.predict", 1, "GeneratedMessage.<init>", 1),
    ]


def test_the_report_splits_the_clients_extra_time() -> None:
    out = java_profile.lines(java_profile.summarize(collapsed.stacks(COLLAPSED)), BENCH)
    assert "client 10.0 us (TF Java's runner 6.0, the client's own work 4.0), loop 5.0 us" in out[1]
    assert "client 10.0 us, loop 3.0 us" in out[2]  # off CPU: 20 - 10 and 8 - 5
    assert out[3] == (
        "so of the client's 12.0 us over the loop: its own work 4.0 us, TF Java's runner "
        "1.0 us more CPU than back to back, 7.0 us more off CPU"
    )
    assert out[-2:] == [
        "  3.00 us TfTensors.toProto (2.00 in its own body)",
        "  1.00 us InprocTransport.predict (1.00 in GeneratedMessage.<init>)",
    ]


def test_no_session_samples_is_said_not_hidden() -> None:
    out = java_profile.lines({"counts": {}, "own_sites": []}, {"requests": 10, "warmup": 0})
    assert out == ["not profiled: no samples of the client's or the loop's session runs"]


def test_without_the_jar_the_report_says_so(tmp_path: Path) -> None:
    (line,) = java_profile.profile(["true"], tmp_path / "work", tmp_path, {})
    assert line.startswith("not profiled: no async-profiler") and "make bench" in line


def test_the_agent_is_unpacked_for_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(java_profile.platform, "machine", lambda: "x86_64")
    with zipfile.ZipFile(tmp_path / "async-profiler-3.0.jar", "w") as z:
        z.writestr("linux-x64/libasyncProfiler.so", b"lib")
        z.writestr("linux-arm64/libasyncProfiler.so", b"other")
    lib = java_profile.library(tmp_path)
    assert lib == tmp_path / "async-profiler-3.0" / "linux-x64" / "libasyncProfiler.so"
    assert lib.read_bytes() == b"lib"
