"""CPU per request: where the bundled server's throughput ceiling on this machine is.

ghz and the server share the machine's cores. While a ghz run lasts, the server's CPU
time (from /proc) and ghz's (the waited child's rusage) divided by the requests give
what one request costs each. With every core busy, no server can answer more than
cores / (its CPU + ghz's CPU per request) requests a second; the grpcio floor's figure
bounds any Python gRPC server the same way, and the batching server's CPU per request
bounds what batching can gain. Cores less than fully busy mean the ceiling is not what
stops the server: its threads wait for one another (the GIL). The session call's own CPU
(`tfinterop.bench.session_cpu`) shows how small a share of a request it is.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_TICK = os.sysconf("SC_CLK_TCK")


def cores() -> int:
    return len(os.sched_getaffinity(0))


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(
    server_pid: int | None, requests: int, run: Callable[[], T]
) -> tuple[T, dict[str, float]]:
    """`run()` (a waited ghz run of `requests`), with the server's and the load generator's
    CPU microseconds per request."""
    server0 = process_cpu_s(server_pid) if server_pid else 0.0
    child0 = children_cpu_s()
    result = run()
    cpu: dict[str, float] = {
        "loadgen_cpu_us": round((children_cpu_s() - child0) * 1e6 / requests, 1)
    }
    if server_pid:
        cpu["server_cpu_us"] = round((process_cpu_s(server_pid) - server0) * 1e6 / requests, 1)
    return result, cpu


def session_cost(root: Path) -> dict[str, Any]:
    """The session's CPU per batch-1 request and per row of batch 32, in its own process."""
    cmd = [sys.executable, "-m", "tfinterop.bench.session_cpu", str(root / "build/models/mnist/1")]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-300:]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def ceilings(
    servers: dict[str, dict[str, Any]],
    session: dict[str, Any],
    n_cores: int,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Per server row (each with rps, server_cpu_us, loadgen_cpu_us): the CPU a request costs,
    how busy the cores were, and the rps ceiling; and batching's best gain."""
    out: dict[str, Any] = {"cores": n_cores, "rows": {}}
    for name, r in servers.items():
        if not r or "server_cpu_us" not in r:
            continue
        per_request = r["server_cpu_us"] + r["loadgen_cpu_us"]
        out["rows"][name] = {
            "label": (labels or {}).get(name, name),
            "server_cpu_us": r["server_cpu_us"],
            "loadgen_cpu_us": r["loadgen_cpu_us"],
            "busy": round(r["rps"] * per_request / (n_cores * 1e6), 2),
            "ceiling_rps": round(n_cores * 1e6 / per_request),
        }
    plain, batched = out["rows"].get("default"), out["rows"].get("batching")
    if plain and batched:
        # Both CPU-bound: the most batching can gain with what it costs per request.
        out["batching_gain_at_most"] = round(batched["ceiling_rps"] / plain["ceiling_rps"], 2)
    out["session"] = session
    return out


def markdown(c: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## CPU per request at batch 1, c=32 ({c['cores']} cores shared by ghz and the server)",
        "",
        "| server | server CPU us | ghz CPU us | cores busy | ceiling req/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in c["rows"].values():
        lines.append(
            f"| {r['label']} | {r['server_cpu_us']} | {r['loadgen_cpu_us']} | "
            f"{r['busy'] * 100:.0f}% | {r['ceiling_rps']} |"
        )
    s = c.get("session") or {}
    if "b1_cpu_us" in s:
        lines += [
            "",
            f"The session call alone: {s['b1_cpu_us']} us of CPU at batch 1, "
            f"{s['b32_cpu_us_per_row']} us per row at batch 32 (its own process).",
        ]
    if "batching_gain_at_most" in c:
        lines.append(
            "With every core busy, the CPU a request costs with --enable_batching and without "
            f"allows batching a gain of at most {c['batching_gain_at_most']}x."
        )
    return lines
