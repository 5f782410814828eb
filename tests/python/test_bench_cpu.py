"""bench.cpu: CPU per request read from /proc and rusage, and the ceilings drawn from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tfinterop.bench import cpu
from tfinterop.harness import html_report


def test_process_cpu_counts_this_process_work() -> None:
    before = cpu.process_cpu_s(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert cpu.process_cpu_s(os.getpid()) > before


def test_measured_charges_a_waited_child_to_the_load_generator() -> None:
    spin = [sys.executable, "-c", "sum(i * i for i in range(3_000_000))"]
    _, per_request = cpu.measured(os.getpid(), 10, lambda: subprocess.run(spin, check=True))
    assert per_request["loadgen_cpu_us"] > 1000  # 10 ms or more of the child's CPU over 10
    assert per_request["server_cpu_us"] >= 0


def test_ceilings_follow_from_cpu_per_request() -> None:
    servers = {
        "default": {"rps": 1500, "server_cpu_us": 1000.0, "loadgen_cpu_us": 250.0},
        "grpcio_floor": {"rps": 3000, "server_cpu_us": 400.0, "loadgen_cpu_us": 250.0},
        "batching": {"rps": 1700, "server_cpu_us": 750.0, "loadgen_cpu_us": 250.0},
        "inline_ops": {"rps": 1400},  # no CPU figures: left out
    }
    c = cpu.ceilings(
        servers, {"b1_cpu_us": 100.0, "b32_cpu_us_per_row": 10.0}, 2, {"default": "plain"}
    )
    assert c["rows"]["default"] == {
        "label": "plain",
        "server_cpu_us": 1000.0,
        "loadgen_cpu_us": 250.0,
        "busy": 0.94,
        "ceiling_rps": 1600,
    }
    assert c["rows"]["grpcio_floor"]["ceiling_rps"] == 3077
    assert "inline_ops" not in c["rows"]
    # 1,250 us a request without batching, 1,000 with it: at most 2,000 / 1,600 req/s.
    assert c["rows"]["batching"]["ceiling_rps"] == 2000
    assert c["batching_gain_at_most"] == 1.25
    lines = cpu.markdown(c)
    assert any("at most 1.25x" in line for line in lines)
    assert any(line.startswith("| plain | 1000.0 | 250.0 | 94% | 1600 |") for line in lines)
    assert any(line.startswith("| grpcio_floor |") for line in lines)  # no label: its key


def test_the_html_report_shows_the_cpu_table(tmp_path: Path) -> None:
    servers = {"default": {"rps": 1500, "server_cpu_us": 1000.0, "loadgen_cpu_us": 250.0}}
    bench = {"rows": [], "targets": [], "cpu": cpu.ceilings(servers, {}, 2, {"default": "plain"})}
    (tmp_path / "bench.json").write_text(json.dumps(bench))
    page = html_report.bench_html(tmp_path)
    assert "<td>plain</td><td>1000.0</td><td>250.0</td><td>94%</td><td>1600</td>" in page
