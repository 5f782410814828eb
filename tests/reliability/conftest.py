"""Shared fixtures: a served copy of MNIST, the Go load generator, the server's memory, and
progress lines for the tests that run for minutes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.reliability.figures import BUILD, ROOT, render
from tfinterop.serving import model_config
from tfinterop.util.progress import Ticker

LOADGEN = ROOT / "build" / "bin" / "tfinterop-go"
CASES = BUILD / "cases" / "mnist"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    render()


class Progress:
    """Lines on the terminal while a long test runs, past pytest's output capture (which holds
    a test's own prints until it ends, and -q shows only a dot per test)."""

    def __init__(self, config: pytest.Config, test: str) -> None:
        self._capture = config.pluginmanager.get_plugin("capturemanager")
        self._terminal = (
            config.get_terminal_writer()
            if config.pluginmanager.has_plugin("terminalreporter")
            else None
        )
        self._test = test

    def say(self, text: str) -> None:
        line = f"[reliability] {self._test}: {text}"
        if self._capture is None or self._terminal is None:
            print(line, file=sys.__stderr__, flush=True)
            return
        with self._capture.global_and_fixture_disabled():
            if self._terminal.width_of_current_line:  # -q's dots
                self._terminal.line()
            self._terminal.line(line)

    def ticking(self, describe: Callable[[float], str], every_s: float = 10.0) -> Ticker:
        """While the block runs, `say(describe(elapsed_s))` every `every_s` seconds."""
        return Ticker(lambda elapsed: self.say(describe(elapsed)), every_s)


@pytest.fixture
def progress(request: pytest.FixtureRequest) -> Progress:
    return Progress(request.config, request.node.name)


MONITORING = 'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }\n'
_REQUEST_COUNT = re.compile(
    r'^:tensorflow:serving:request_count\{model_name="mnist",.*\} (\d+)$', re.M
)


def monitoring_flags(folder: Path) -> list[str]:
    """Server flags that export Prometheus metrics, so a test can count the requests served."""
    path = folder / "monitoring.config"
    path.write_text(MONITORING)
    return [f"--monitoring_config_file={path}"]


def served_requests(rest_url: str) -> int:
    """Requests to mnist the server has answered, any status (its request_count counter)."""
    text = requests.get(f"{rest_url}/monitoring/prometheus/metrics", timeout=5).text
    return sum(int(n) for n in _REQUEST_COUNT.findall(text))


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
