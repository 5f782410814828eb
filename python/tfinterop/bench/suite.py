"""`tfinterop bench-suite` (`make bench`): every client x mode x concurrency on MNIST batch 1 and 32.

Each figure is the median of REPS runs of the client's own `bench` (after its
warm-up). References measured in the same run make every figure a ratio: the
C++ client's bare TF_SessionRun loop (the in-process floor), the Python
in-process call, and ghz against the same server (the gRPC reference; REST
rows are also set against it, as no independent REST load tool is installed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfinterop.bench import cpu, java_profile
from tfinterop.bench.collapsed import stacks
from tfinterop.golden.cases import manifest
from tfinterop.harness import registry
from tfinterop.harness.server_process import RunningServer, bundled_server, free_port
from tfinterop.serving import model_config
from tfinterop.serving.errors import ToolError
from tfinterop.util import atomic, progress

log = logging.getLogger(__name__)

CASES = {1: "v1-test-0000", 32: "v1-batch32"}
CONCURRENCY = (1, 8, 32)
REPS = 3
# Requests per run by (mode, batch): enough for a stable p50, small enough for 15 minutes.
# TF Serving's modes: the v2 ones would add two thirds to a 15-minute run (docs/BENCHMARKS.md).
MODES = ("inproc", "grpc", "rest")
REQUESTS = {
    ("inproc", 1): 1000,
    ("grpc", 1): 500,
    ("rest", 1): 300,
    ("inproc", 32): 200,
    ("grpc", 32): 120,
    ("rest", 32): 60,
}
BATCHING = (
    "max_batch_size { value: 32 }\nbatch_timeout_micros { value: 1000 }\n"
    "num_batch_threads { value: 2 }\nmax_enqueued_batches { value: 1000 }\n"
)
METRICS = ("p50_us", "p90_us", "p99_us", "rps")
# The bare loops clients measure beside their own in-process figure ("reference" in
# their bench line): C++'s TF_SessionRun on prepared tensors, the in-process floor every
# inproc row is set against, and TF Java's Session.runner() on prepared tensors, the
# floor of anything built on TF Java.
BARE_LOOPS = {
    "cpp": ("capi", "bare TF_SessionRun (C++)"),
    "go": ("capi-go", "bare TF_SessionRun (Go, one cgo call per run)"),
    "java": ("tfjava", "bare TF Java Session.runner loop (Java)"),
}
# Clients whose reference is the bare C API loop on their own session, alternating with the
# client in blocks on the same thread: their ratio is their own run's, not one set against a
# loop measured in another process at another time (which swung 0.85-1.40x on 2 cores).
SAME_PROCESS_BARE = {"cpp", "go"}
# TF Serving's flags for running a request's ops in its own thread (docs/SERVER.md "Speed").
INLINE_OPS = ["--tensorflow_intra_op_parallelism=2", "--tensorflow_inter_op_parallelism=-1"]
VERIFY_MODEL = "half_plus_two"
# An in-process ratio this far below 1 says the bare loop was slower than the client that does
# more work: the run's loop is no floor, and the target row says so.
NO_FLOOR_BELOW = 0.9


@contextlib.contextmanager
def _floor_server(root: Path, work: Path) -> Iterator[tuple[str, int]]:
    """tfinterop.bench.floor on a free port, answering the batch-1 case's golden response;
    yields its target and pid."""
    m = manifest.read(root / "build/cases/mnist")
    case = next(x for x in m.cases if x.id == CASES[1])
    response = work / f"{CASES[1]}.response.pb"
    response.write_bytes(case.read("response"))
    port = free_port()
    cmd = [sys.executable, "-m", "tfinterop.bench.floor", f"--port={port}"]
    log = open(work / "floor.log", "wb")  # noqa: SIM115 (closed below, after the process)
    proc = subprocess.Popen([*cmd, f"--response={response}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"Running" not in (work / "floor.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ToolError(f"the grpcio floor server did not start (see {work / 'floor.log'})")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _time_verify(root: Path, work: Path) -> float:
    """Wall time of `tfinterop verify` on a small zoo model, clients built (#18's figure)."""
    cmd = [
        sys.executable,
        "-m",
        "tfinterop",
        "verify",
        "--saved-model",
        str(root / "build" / "models" / VERIFY_MODEL),
        "--build",
        str(work / "verify"),
    ]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - start
    if r.returncode != 0:
        log.warning("verify exited %d: %s", r.returncode, r.stdout[-500:] + r.stderr[-500:])
    return took


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(runs[0])
    for k in METRICS:
        row[k] = round(statistics.median(r[k] for r in runs), 1)
    for k in ("server_cpu_us", "loadgen_cpu_us"):
        if all(k in r for r in runs):
            row[k] = round(statistics.median(r[k] for r in runs), 1)
    row["errors"] = sum(r.get("errors", 0) for r in runs)
    row["repetitions"] = len(runs)
    return row


def _bench_argv(root: Path, client: str, mode: str, batch: int, c: int, n: int) -> list[str]:
    """A client's own `bench` on an MNIST case: n requests at concurrency c, a tenth as many
    (at least 20) to warm up."""
    return registry.client(client).argv(
        root,
        "bench",
        "--mode",
        mode,
        "--cases",
        str(root / "build/cases/mnist"),
        "--case",
        CASES[batch],
        "--requests",
        str(n),
        "--concurrency",
        str(c),
        "--warmup",
        str(max(20, n // 10)),
    )


def _client_bench(
    root: Path, client: str, mode: str, batch: int, c: int, server: RunningServer
) -> dict[str, Any]:
    cmd = _bench_argv(root, client, mode, batch, c, REQUESTS[(mode, batch)])
    if mode == "grpc":
        cmd += ["--target", server.target]
    if mode == "rest":
        cmd += ["--rest", server.rest_url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise ToolError(f"{client} bench {mode} failed: {out.stderr.strip()[-400:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


SERVER_LABELS = {
    "default": "bundled server, TF Serving's default flags",
    "batching": "bundled server, --enable_batching",
    "inline_ops": "bundled server, " + " ".join(INLINE_OPS),
    "grpcio_floor": "grpcio floor: canned answers, no model",
}


def _ghz(
    ghz: Path, root: Path, target: str, batch: int, c: int, n: int, pid: int | None = None
) -> dict[str, Any]:
    """One ghz run; with the server's `pid`, the CPU per request of both (bench.cpu)."""
    request = manifest.read(root / "build/cases/mnist")
    case = next(x for x in request.cases if x.id == CASES[batch])
    req_file = root / "build/bench" / f"{CASES[batch]}.request.pb"
    req_file.write_bytes(case.read("request"))
    cmd = [
        str(ghz),
        "--insecure",
        "--protoset",
        str(root / "build/protos/serving.pb"),
        "--call",
        "tensorflow.serving.PredictionService/Predict",
        "-B",
        str(req_file),
        "-c",
        str(c),
        "-n",
        str(n),
        "--skipFirst",
        str(max(20, n // 10)),
        "--format",
        "json",
        target,
    ]
    out, cpu_us = cpu.measured(
        pid, n, lambda: subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    )
    if out.returncode != 0:
        raise ToolError(f"ghz failed: {out.stderr.strip()[-400:]}")
    data = json.loads(out.stdout)
    dist = {d["percentage"]: d["latency"] / 1000 for d in data.get("latencyDistribution") or []}
    errors = sum(v for k, v in (data.get("statusCodeDistribution") or {}).items() if k != "OK")
    return {
        "client": "ghz",
        "mode": "grpc",
        "batch": batch,
        "concurrency": c,
        "requests": n,
        "p50_us": round(dist.get(50, 0), 1),
        "p90_us": round(dist.get(90, 0), 1),
        "p99_us": round(dist.get(99, 0), 1),
        "rps": round(data.get("rps", 0), 1),
        "errors": errors,
        **(cpu_us if pid else {}),
    }


PROFILE_ATTEMPTS = 3
PROFILE_RATE = 100  # py-spy's default samples a second, given so the GIL's share can be read


def _profile_server(pid: int, out: Path, seconds: int = 5, gil: bool = False) -> list[str]:
    """py-spy the server under load; returns the top functions by own time. With `gil`, only
    the thread holding the GIL is sampled (py-spy --gil): the first line then says how much
    of the time any thread held it at all, and the rest who did."""
    raw = out / ("server-profile-gil.txt" if gil else "server-profile.txt")
    cmd = [
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--format",
        "raw",
        "--output",
        str(raw),
        "--rate",
        str(PROFILE_RATE),
        "--nonblocking",
        *(["--gil"] if gil else []),
    ]
    # py-spy samples a running process without stopping it (--nonblocking), so a sample can
    # catch it mid-update; now and then (1 bench run in 4 on 12-03) the whole record then
    # exits 1. A second record is cheap next to losing the profile.
    failure = ""
    for _ in range(PROFILE_ATTEMPTS):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return [f"py-spy unavailable: {e}"]
        if done.returncode == 0 and raw.exists():
            break
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        # py-spy's error line, not the Rust backtrace it may print after it ("6: main").
        error = next((x.strip() for x in said if x.strip().startswith("Error")), None)
        failure = f"py-spy exited {done.returncode}: {error or (said[-1] if said else 'no output')}"
    else:
        return [f"py-spy unavailable ({PROFILE_ATTEMPTS} tries): {failure}"]
    own: dict[str, int] = {}
    total = 0
    for (frame, *_), count in stacks(raw.read_text()):
        own[frame] = own.get(frame, 0) + count
        total += count
    top = sorted(own.items(), key=lambda kv: -kv[1])[:8]
    lines = [f"{100 * n / max(total, 1):.0f}% {frame}" for frame, n in top]
    if not gil:
        return lines
    # A sample is kept only when some thread holds the GIL, so the samples kept against the
    # samples asked for is the share of the time it was held (py-spy may fall a little short).
    held = total / (PROFILE_RATE * seconds)
    return [f"the GIL was held about {held:.0%} of the time; by (own time):"] + [
        f"GIL: {line}" for line in lines
    ]


def main(out: Path, clients: list[str], reps: int = REPS) -> int:
    """`tfinterop bench-suite` from the checkout: prints where the table went."""
    run(registry.clients_root(), out, clients, reps)
    print(out / "bench.md")
    return 0


def run(root: Path, out: Path, clients: list[str], reps: int = REPS) -> dict[str, Any]:
    built = [c for c in clients if registry.client(c).built(root)]
    missing = sorted(set(clients) - set(built))
    ghz = root / "build" / "tools" / "ghz"
    if not ghz.exists():
        raise ToolError("ghz is not installed: run `make bench` (it installs ghz into build/tools)")
    work = root / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    m = manifest.read(root / "build/cases/mnist")
    entry = next(e for e in model_config.parse_config(m.config_path) if e.name == "mnist")
    config = work / "mnist-only.config"
    config.write_text(model_config.render_config([entry]))
    (work / "batching.config").write_text(BATCHING)
    rows: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    started = time.monotonic()
    # ghz and every client x mode per batch and concurrency, the profile, the batching run.
    cells = progress.Countdown(
        "[bench]",
        len(CASES) * len(CONCURRENCY) * (1 + len(built) * len(MODES)) + 5 + ("java" in built),
    )
    with bundled_server(config, ["mnist"], work / "server.log") as server:
        for batch in CASES:
            for c in CONCURRENCY:
                n = REQUESTS[("grpc", batch)]
                runs = [
                    _ghz(ghz, root, server.target, batch, c, n, server.process.pid)
                    for _ in range(reps)
                ]
                refs.append(_median(runs) | {"reference": "ghz"})
                cells.done(
                    f"ghz batch {batch} c={c}: p50 {refs[-1]['p50_us']} us, {refs[-1]['rps']} req/s"
                )
            for client in built:
                for mode in MODES:
                    for c in CONCURRENCY:
                        runs = [
                            _client_bench(root, client, mode, batch, c, server) for _ in range(reps)
                        ]
                        row = _median(runs)
                        if mode == "inproc" and client in SAME_PROCESS_BARE:
                            own = [r.get("overhead_ratio_p50") for r in runs]
                            ratios = [float(x) for x in own if isinstance(x, int | float)]
                            if len(ratios) == len(own):
                                row["own_ratio"] = round(statistics.median(ratios), 2)
                        rows.append(row)
                        cells.done(
                            f"{client} {mode} batch {batch} c={c}: p50 {row['p50_us']} us, "
                            f"{row['rps']} req/s"
                        )
                        bare = BARE_LOOPS.get(client)
                        if (
                            bare is not None
                            and mode == "inproc"
                            and c == 1
                            and all("p50_us" in r.get("reference", {}) for r in runs)
                        ):
                            floor = [r["reference"] for r in runs]
                            refs.append(
                                _median(
                                    [
                                        dict(
                                            f,
                                            client=bare[0],
                                            mode="inproc",
                                            batch=batch,
                                            concurrency=1,
                                        )
                                        for f in floor
                                    ]
                                )
                                | {"reference": bare[1]}
                            )
        progress.say("[bench] profiling the server under ghz load (about 10s) ...")
        profile = _profile_during_load(ghz, root, server)
        cells.done(f"server profile: {profile[0] if profile else 'no samples'}")
    progress.say("[bench] starting a bundled server with --enable_batching ...")
    with bundled_server(
        config,
        ["mnist"],
        work / "server-batching.log",
        extra=["--enable_batching", f"--batching_parameters_file={work / 'batching.config'}"],
    ) as s:
        batched = _median(
            [_ghz(ghz, root, s.target, 1, 32, 2000, s.process.pid) for _ in range(reps)]
        )
        cells.done(f"ghz batch 1 c=32 with --enable_batching: {batched['rps']} req/s")
    unbatched = next(
        r
        for r in refs
        if r.get("reference") == "ghz" and r["batch"] == 1 and r["concurrency"] == 32
    )
    progress.say("[bench] the bundled server with ops in the request's thread ...")
    with bundled_server(config, ["mnist"], work / "server-inline.log", extra=INLINE_OPS) as s:
        inline = _median(
            [_ghz(ghz, root, s.target, 1, 32, 2000, s.process.pid) for _ in range(reps)]
        )
        cells.done(f"ghz batch 1 c=32, {' '.join(INLINE_OPS)}: {inline['rps']} req/s")
    progress.say("[bench] the grpcio floor (canned answers) ...")
    with _floor_server(root, work) as (target, floor_pid):
        floor_row = _median([_ghz(ghz, root, target, 1, 32, 2000, floor_pid) for _ in range(reps)])
        cells.done(f"ghz batch 1 c=32 against the grpcio floor: {floor_row['rps']} req/s")
    progress.say("[bench] timing a warm `tfinterop verify` of half_plus_two ...")
    verify_s = _time_verify(root, work)
    cells.done(f"verify half_plus_two: {verify_s:.1f}s")
    servers = {"batching": batched, "inline_ops": inline, "grpcio_floor": floor_row}
    progress.say("[bench] the session call's CPU on its own ...")
    session = cpu.session_cost(root)
    java = _profile_java(root, work) if "java" in built else []
    if java:
        cells.done(f"Java profile: {java[-1]}")
    result = summarize(
        rows, refs, batched, unbatched, profile, missing, servers, verify_s, session, cpu.cores()
    )
    result["java_profile"] = java
    result["seconds"] = round(time.monotonic() - started, 1)
    write(result, out)
    return result


def _profile_java(root: Path, work: Path) -> list[str]:
    """The Java client's in-process batch-1 bench once more, under async-profiler."""
    progress.say("[bench] profiling the Java client's in-process predict (async-profiler) ...")
    argv = _bench_argv(root, "java", "inproc", 1, 1, java_profile.REQUESTS)
    return java_profile.profile(argv, work, root / "build" / "tools", dict(os.environ))


def _profile_during_load(ghz: Path, root: Path, server: RunningServer) -> list[str]:
    load = subprocess.Popen(
        [
            str(ghz),
            "--insecure",
            "--protoset",
            str(root / "build/protos/serving.pb"),
            "--call",
            "tensorflow.serving.PredictionService/Predict",
            "-B",
            str(root / "build/bench" / f"{CASES[1]}.request.pb"),
            "-c",
            "32",
            # Long enough for every py-spy attempt; stopped as soon as the profile is taken.
            "-z",
            "60s",
            server.target,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    try:
        report = root / "build" / "report"
        return _profile_server(server.process.pid, report) + _profile_server(
            server.process.pid, report, gil=True
        )
    finally:
        load.terminate()
        load.wait(timeout=60)


def _ratio(row: dict[str, Any], refs: list[dict[str, Any]]) -> tuple[float | None, str]:
    if row["mode"] == "inproc" and row.get("own_ratio") is not None:
        return row["own_ratio"], "bare TF_SessionRun p50, same process and session, alternating"
    if row["mode"] == "inproc":
        ref = next(
            (r for r in refs if r.get("client") == "capi" and r["batch"] == row["batch"]), None
        )
        name = "bare TF_SessionRun p50"
    else:
        ref = next(
            (
                r
                for r in refs
                if r.get("client") == "ghz"
                and r["batch"] == row["batch"]
                and r["concurrency"] == row["concurrency"]
            ),
            None,
        )
        name = "ghz p50"
    if not ref or not ref["p50_us"]:
        return None, name
    return round(row["p50_us"] / ref["p50_us"], 2), name


def summarize(
    rows: list[dict[str, Any]],
    refs: list[dict[str, Any]],
    batched: dict[str, Any],
    unbatched: dict[str, Any],
    profile: list[str],
    missing: list[str],
    servers: dict[str, dict[str, Any]] | None = None,
    verify_s: float | None = None,
    session: dict[str, Any] | None = None,
    n_cores: int | None = None,
) -> dict[str, Any]:
    """The rows with their ratios, and #18's targets, each met or not (never asserted).
    `n_cores`: the cores ghz and the servers shared (default: this machine's)."""
    servers = servers or {}
    n_cores = n_cores or cpu.cores()
    ceilings = cpu.ceilings(
        {"default": unbatched, **servers}, session or {}, n_cores, SERVER_LABELS
    )
    for row in rows:
        row["ratio_to_reference"], row["reference"] = _ratio(row, refs)
    targets = []

    def find(client: str, mode: str, c: int = 1) -> dict[str, Any] | None:
        return next(
            (
                r
                for r in rows
                if r["client"] == client
                and r["mode"] == mode
                and r["batch"] == 1
                and r["concurrency"] == c
            ),
            None,
        )

    floor = servers.get("grpcio_floor")
    floor_note = f"; grpcio floor (canned answers) {floor['rps']} req/s" if floor else ""
    floor_cpu = ceilings["rows"].get("grpcio_floor")
    if floor_cpu:
        floor_note += (
            f"; CPU ceiling with ghz on these {n_cores} cores: {floor_cpu['ceiling_rps']} req/s "
            f"for the floor, {ceilings['rows']['default']['ceiling_rps']} for this server"
        )
    targets.append(
        {
            "target": "bundled server, gRPC batch 1, c=32, no batching (ghz) >= 4000 req/s",
            "value": f"{unbatched['rps']} req/s{floor_note}",
            "met": unbatched["rps"] >= 4000,
        }
    )
    inline = servers.get("inline_ops")
    if inline:
        targets.append(
            {
                "target": "same, ops in the request's thread (" + " ".join(INLINE_OPS) + ")",
                "value": f"{inline['rps']} req/s",
                "met": inline["rps"] >= 4000,
            }
        )
    for client, limit in (("go", 1.1), ("cpp", 1.1), ("java", 1.5)):
        r = find(client, "inproc")
        if r and r["ratio_to_reference"] is not None:
            value = f"{r['ratio_to_reference']}x"
            if r["ratio_to_reference"] < NO_FLOOR_BELOW:
                # Seen on a loaded 2-core machine (docs/BENCHMARKS.md, 2026-12-03): the loop's
                # back-to-back runs keep TensorFlow's threads spinning against it.
                value += " (the bare loop ran slower than the client: no floor in this run)"
            tfjava = next(
                (x for x in refs if x.get("client") == "tfjava" and x["batch"] == 1), None
            )
            if client == "java" and tfjava and tfjava["p50_us"]:
                # #18: or the bare TF Java loop's own ratio, shown beside it.
                capi = r["p50_us"] / r["ratio_to_reference"]
                value += (
                    f" (the bare TF Java loop itself: {tfjava['p50_us'] / capi:.2f}x; Java "
                    f"over it: {r['p50_us'] / tfjava['p50_us']:.2f}x; where it goes: the "
                    "Java profile below)"
                )
            targets.append(
                {
                    "target": f"{client} in-process p50, batch 1, within {limit}x of the bare C API loop",
                    "value": value,
                    "met": r["ratio_to_reference"] <= limit,
                }
            )
    rest32 = next(
        (
            r
            for r in rows
            if (r["client"], r["mode"], r["batch"], r["concurrency"]) == ("go", "rest", 32, 1)
        ),
        None,
    )
    if rest32:
        targets.append(
            {
                "target": "REST batch 32 p50 at c=1, Go client <= 6 ms",
                "value": f"{rest32['p50_us'] / 1000:.1f} ms",
                "met": rest32["p50_us"] <= 6000,
            }
        )
    errors = sum(int(r.get("errors") or 0) for r in rows)
    targets.append(
        {"target": "errors in the bench run: 0", "value": str(errors), "met": errors == 0}
    )
    if verify_s is not None:
        targets.append(
            {
                "target": f"`tfinterop verify` on {VERIFY_MODEL}, warm, <= 20 s",
                "value": f"{verify_s:.1f} s",
                "met": verify_s <= 20,
            }
        )
    for client in ("go", "java", "cpp"):
        r = find(client, "grpc")
        if r and r["ratio_to_reference"] is not None:
            targets.append(
                {
                    "target": f"{client} gRPC p50, batch 1, c=1, within 1.2x of ghz",
                    "value": f"{r['ratio_to_reference']}x",
                    "met": r["ratio_to_reference"] <= 1.2,
                }
            )
    gain = batched["rps"] / unbatched["rps"] if unbatched.get("rps") else 0.0
    targets.append(
        {
            "target": "bundled server batch-1 throughput at c=32 with --enable_batching >= 1.5x without",
            "value": f"{gain:.2f}x ({batched['rps']} vs {unbatched['rps']} req/s, ghz)"
            + (
                f"; at most {ceilings['batching_gain_at_most']}x with every core busy "
                "(CPU ceilings, below)"
                if "batching_gain_at_most" in ceilings
                else ""
            ),
            "met": gain >= 1.5,
        }
    )
    return {
        "rows": rows,
        "references": refs,
        "batching": {"with": batched, "without": unbatched},
        "servers": servers,
        "verify_seconds": verify_s,
        "targets": targets,
        "server_profile": profile,
        "missing_clients": missing,
        "cpu": ceilings,
    }


def write(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    flat = [
        {
            k: r.get(k)
            for k in (
                "client",
                "mode",
                "batch",
                "concurrency",
                "p50_us",
                "p90_us",
                "p99_us",
                "rps",
                "errors",
                "ratio_to_reference",
                "reference",
                "repetitions",
            )
        }
        for r in result["rows"]
    ]
    atomic.write_text(out / "bench.json", json.dumps({**result, "rows": flat}, indent=1) + "\n")
    atomic.write_text(out / "bench.md", markdown(result))
    plots(result, out)


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks: MNIST through every client",
        "",
        f"Median of {REPS} runs per figure, after each client's warm-up; "
        "ratio: p50 against the in-process floor (bare TF_SessionRun, C++) for inproc rows and against "
        "ghz at the same concurrency for grpc and rest rows.",
        "",
        "| mode | client | batch | concurrency | p50 us | p90 us | p99 us | req/s | errors | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(
        result["rows"], key=lambda r: (r["mode"], r["batch"], r["client"], r["concurrency"])
    ):
        ratio = f"{r['ratio_to_reference']}x" if r.get("ratio_to_reference") is not None else ""
        lines.append(
            f"| {r['mode']} | {r['client']} | {r['batch']} | {r['concurrency']} | {r['p50_us']} | "
            f"{r['p90_us']} | {r['p99_us']} | {r['rps']} | {r['errors']} | {ratio} |"
        )
    lines += [
        "",
        "## References",
        "",
        "| reference | batch | concurrency | p50 us | p99 us | req/s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["references"]:
        lines.append(
            f"| {r['reference']} | {r['batch']} | {r['concurrency']} | {r['p50_us']} | {r['p99_us']} | "
            f"{r['rps']} |"
        )
    servers = result.get("servers") or {}
    if servers:
        lines += [
            "",
            "## Servers at batch 1, c=32 (ghz)",
            "",
            "| server | p50 us | p99 us | req/s |",
            "| --- | --- | --- | --- |",
        ]
        plain = result["batching"]["without"]
        named = {SERVER_LABELS["default"]: plain} | {
            SERVER_LABELS[k]: servers.get(k) for k in ("batching", "inline_ops", "grpcio_floor")
        }
        for label, r in named.items():
            if r:
                lines.append(f"| {label} | {r['p50_us']} | {r['p99_us']} | {r['rps']} |")
    lines += ["", "## Targets", "", "| target | value | met |", "| --- | --- | --- |"]
    for t in result["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {'met' if t['met'] else 'NOT MET'} |")
    if result.get("cpu", {}).get("rows"):
        lines += cpu.markdown(result["cpu"])
    if result["server_profile"]:
        lines += [
            "",
            "## Where the bundled server's time goes (py-spy, 5 s at c=32, own time; then the GIL's holders)",
            "",
        ]
        lines += [f"- {p}" for p in result["server_profile"]]
    if result.get("java_profile"):
        lines += [
            "",
            "## Where the Java client's in-process predict goes "
            f"(async-profiler, {java_profile.REQUESTS:,} predicts at c=1)",
            "",
        ]
        lines += [
            f"- {p}" if not p.startswith("  ") else f"  - {p.strip()}"
            for p in result["java_profile"]
        ]
    if result["missing_clients"]:
        lines += ["", f"Clients not built, so not measured: {', '.join(result['missing_clients'])}"]
    return "\n".join(lines) + "\n"


def plots(result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["rows"] if r["batch"] == 1]
    labels = sorted({(r["client"], r["mode"]) for r in rows}, key=lambda x: (x[1], x[0]))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    p50 = [
        next(r["p50_us"] for r in rows if (r["client"], r["mode"]) == lab and r["concurrency"] == 1)
        for lab in labels
    ]
    colors = {"inproc": "#4c72b0", "grpc": "#55a868", "rest": "#c44e52"}
    ax.bar([f"{c}\n{m}" for c, m in labels], p50, color=[colors[m] for _, m in labels])
    ax.set_yscale("log")
    ax.set_ylabel("p50 latency (us, log)")
    ax.set_title("MNIST batch 1, concurrency 1: latency by client and mode")
    fig.tight_layout()
    fig.savefig(out / "bench-latency.png", dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=False)
    for ax, mode in zip(axes, ("inproc", "grpc", "rest"), strict=True):
        for client in sorted({r["client"] for r in rows}):
            pts = sorted(
                (r["concurrency"], r["rps"])
                for r in rows
                if r["client"] == client and r["mode"] == mode
            )
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=client)
        ax.set_title(mode)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrency")
        ax.set_ylabel("requests/s")
        ax.legend()
    fig.suptitle("MNIST batch 1: throughput against concurrency")
    fig.tight_layout()
    fig.savefig(out / "bench-throughput.png", dpi=100)
    plt.close(fig)
