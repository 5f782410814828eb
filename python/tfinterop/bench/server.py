"""`tfinterop bench-server`: the bundled server's batch-1 MNIST throughput and latency.

Concurrency 1, 8 and 32, with and without --enable_batching, driven by a
native client's `bench` (Go, else C++) so the load generator is not the
bottleneck, beside the same run's in-process Python baselines: the
tf.saved_model.load call users make, and the server's own session callable
without any transport.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from tfinterop.golden.cases import manifest
from tfinterop.harness import registry
from tfinterop.harness.server_process import bundled_server
from tfinterop.serving import apis, model_config, tensor_codec
from tfinterop.serving.errors import ToolError
from tfinterop.util import atomic, latency, progress

CASE = "v1-test-0000"
BATCHING = (
    "max_batch_size { value: 32 }\n"
    "batch_timeout_micros { value: 500 }\n"
    "num_batch_threads { value: 2 }\n"
    "max_enqueued_batches { value: 1000 }\n"
)


def _loadgen(root: Path) -> registry.Client:
    for name in ("go", "cpp"):
        client = registry.client(name)
        if client.built(root):
            return client
    raise ToolError(
        "bench-server needs a native load generator: run `make go` (or `make cpp`) first"
    )


def inprocess_baselines(model_dir: Path, request: Any, n: int) -> list[dict[str, Any]]:
    """Batch-1 calls in this process: tf.saved_model.load, then the server's session callable."""
    from tfinterop.client.object_servable import ObjectServable
    from tfinterop.server.session_servable import SessionServable

    image = tensor_codec.to_ndarray(request.inputs["image"])
    rows = []
    for label, servable in (
        ("python tf.saved_model.load", ObjectServable("mnist", 1, model_dir)),
        ("server session callable", SessionServable("mnist", 1, model_dir)),
    ):
        for _ in range(100):
            servable.run("serving_default", {"image": image}, ["output_0"])
        samples = []
        start = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            servable.run("serving_default", {"image": image}, ["output_0"])
            samples.append((time.perf_counter() - t) * 1e6)
        rows.append(
            {
                "config": label,
                "concurrency": 1,
                **latency.summary(samples, time.perf_counter() - start),
            }
        )
    return rows


def main(requests: int, concurrencies: list[int], out: Path) -> int:
    """`tfinterop bench-server` from the checkout."""
    run(registry.clients_root(), requests, concurrencies, out)
    return 0


def run(root: Path, requests: int, concurrencies: list[int], out: Path) -> list[dict[str, Any]]:
    loadgen = _loadgen(root)
    cases = root / "build" / "cases" / "mnist"
    m = manifest.read(cases)
    case = next(c for c in m.cases if c.id == CASE)
    request = apis.parse_request("predict", case.read("request"))
    entry = next(e for e in model_config.parse_config(m.config_path) if e.name == "mnist")
    work = root / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    config = work / "mnist-only.config"
    config.write_text(model_config.render_config([entry]))
    params = work / "batching.config"
    params.write_text(BATCHING)

    # Two in-process baselines, then each server configuration at each level.
    cells = progress.Countdown("[bench-server]", 2 + 2 * len(concurrencies))
    progress.say(f"[bench-server] in-process baselines, {requests} requests each ...")
    rows = inprocess_baselines(entry.base_path / "1", request, requests)
    for row in rows:
        cells.done(f"in-process {row['config']}: p50 {row['p50_us']} us, {row['rps']} req/s")
    for batching in (False, True):
        extra = ["--enable_batching", f"--batching_parameters_file={params}"] if batching else []
        label = "bundled server, batching" if batching else "bundled server"
        with bundled_server(config, ["mnist"], work / "server.log", extra=extra) as server:
            for c in concurrencies:
                cmd = loadgen.argv(
                    root,
                    "bench",
                    "--mode",
                    "grpc",
                    "--target",
                    server.target,
                    "--cases",
                    str(cases),
                    "--case",
                    CASE,
                    "--requests",
                    str(requests),
                    "--concurrency",
                    str(c),
                    "--warmup",
                    str(max(50, requests // 20)),
                )
                result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                if result.returncode != 0:
                    raise ToolError(f"{loadgen.name} bench failed: {result.stderr.strip()[-500:]}")
                data = json.loads(result.stdout.strip().splitlines()[-1])
                row = {
                    "config": label,
                    "concurrency": c,
                    "errors": data["errors"],
                    **{k: data[k] for k in ("p50_us", "p90_us", "p99_us", "rps")},
                }
                rows.append(row)
                cells.done(f"{label} c={c}: {row['rps']} req/s, p50 {row['p50_us']} us")
    _report(rows, out, loadgen.program(root).name)
    return rows


def _report(rows: list[dict[str, Any]], out: Path, loadgen: str) -> None:
    plain = {r["concurrency"]: r["rps"] for r in rows if r["config"] == "bundled server"}
    baseline = statistics.median(
        r["p50_us"] for r in rows if r["config"] == "server session callable"
    )
    lines = [
        "# Bundled server: batch-1 MNIST over gRPC",
        "",
        f"Load generator: `{loadgen} bench --mode grpc`. Ratios: throughput against the same "
        "concurrency without batching; p50 against the server's in-process session callable.",
        "",
        "| configuration | concurrency | p50 us | p90 us | p99 us | req/s | req/s vs no batching | p50 vs in-process |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        vs = r["rps"] / plain[r["concurrency"]] if r["config"].startswith("bundled") else None
        lines.append(
            f"| {r['config']} | {r['concurrency']} | {r['p50_us']} | {r['p90_us']} | {r['p99_us']} | "
            f"{r['rps']} | {f'{vs:.2f}x' if vs else ''} | {r['p50_us'] / baseline:.1f}x |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    atomic.write_text(out / "bench-server.md", table)
    atomic.write_text(out / "bench-server.json", json.dumps(rows, indent=1) + "\n")
