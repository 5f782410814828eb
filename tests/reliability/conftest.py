"""Shared fixtures: a served copy of MNIST, the Go load generator, the server's memory."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reliability.figures import BUILD, ROOT, render
from tfinterop import model_config

LOADGEN = ROOT / "build" / "bin" / "tfinterop-go"
CASES = BUILD / "cases" / "mnist"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    render()


def copy_mnist(dest: Path, versions: tuple[int, ...] = (1, 2)) -> Path:
    for v in versions:
        shutil.copytree(BUILD / "models" / "mnist" / str(v), dest / str(v))
    return dest


def write_config(path: Path, base: Path, **kw) -> Path:  # type: ignore[no-untyped-def]
    path.write_text(model_config.render_config([model_config.ModelEntry("mnist", base, **kw)]))
    return path


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def bench(
    target: str,
    case: str,
    requests: int,
    concurrency: int,
    warmup: int = 0,
    background: bool = False,
) -> dict | subprocess.Popen:  # type: ignore[type-arg]
    """Drive load with the Go client's bench (a native load generator)."""
    if not LOADGEN.exists():
        pytest.fail("the reliability tests drive load with build/bin/tfinterop-go: run `make go`")
    cmd = [
        str(LOADGEN),
        "bench",
        "--mode",
        "grpc",
        "--target",
        target,
        "--cases",
        str(CASES),
        "--case",
        case,
        "--requests",
        str(requests),
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(warmup),
    ]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def finish(p: subprocess.Popen) -> dict:  # type: ignore[type-arg]
    out, _ = p.communicate(timeout=1800)
    return json.loads(out.strip().splitlines()[-1])
