"""Where the Java client's in-process predict goes: an async-profiler profile, in `make bench`.

The Java row is set against two floors: the bare C loop and TF Java's own `Session.Runner`
loop (BareSessionRun), which alternate with the client on one thread. This profile says how
much of the client's predict is TF Java's runner (which the bare TF Java loop pays too, so no
client on TF Java's public API goes below it) and where the rest goes, site by site. The
client's bench runs once more with async-profiler loaded as an agent (TFINTEROP_JAVA_OPTS,
which the client's launcher passes to the JVM), sampling CPU time every millisecond of it on
every thread, Java and native frames in one stack. `make bench` fetches it from Maven Central
(tools.profiler:async-profiler) into build/tools.

The JDK's own Flight Recorder was tried first and dropped: it samples native code one thread a
period, shared with whatever else waits in a native call (the client's stderr filter), and it
missed most Java samples of a thread going in and out of JNI, so its counts gave no times.
"""

from __future__ import annotations

import json
import platform
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from tfinterop.bench.collapsed import stacks

REQUESTS = 60_000  # about 5 s of client predicts and 3 s of the loop's on 2 quiet cores
INTERVAL_US = 1000  # CPU time between two samples of a thread
TOP_SITES = 6
# A sample belongs to the client's predict when its stack holds the client's in-process call,
# and to the bare TF Java loop when it holds the loop's.
CLIENT_FRAME = "dev/tfinterop/InprocTransport.call"
LOOP_FRAME = "dev/tfinterop/BareSessionRun."
OWN_CODE = "dev/tfinterop/"
# TF Java's runner steps: the floor both the client and the bare loop stand on.
RUNNER = (
    "org/tensorflow/Session$Runner.run",
    "org/tensorflow/Session$Runner.fetch",
    "org/tensorflow/Session$Runner.feed",
    "org/tensorflow/Result.close",
)


def library(tools: Path) -> Path | None:
    """The agent library for this machine, unpacked from the jar `make bench` fetched (its
    version is the Makefile's ASYNC_PROFILER_VERSION)."""
    jars = sorted(tools.glob("async-profiler-*.jar"))
    arch = {"x86_64": "linux-x64", "aarch64": "linux-arm64"}.get(platform.machine())
    if arch is None or not jars:
        return None
    jar = jars[-1]
    lib = tools / jar.stem / arch / "libasyncProfiler.so"
    if not lib.exists():
        with zipfile.ZipFile(jar) as z:
            z.extract(f"{arch}/libasyncProfiler.so", lib.parent.parent)
    return lib


def java_opts(lib: Path, out: Path) -> str:
    """The JVM option that profiles from start to exit, writing collapsed stacks to `out`."""
    return f"-agentpath:{lib}=start,event=cpu,interval={INTERVAL_US}us,file={out},collapsed"


def _is_java(frame: str) -> bool:
    return "/" in frame and "::" not in frame


def _short(frame: str) -> str:
    owner, _, method = frame.rpartition(".")
    return f"{owner.rpartition('/')[2]}.{method}" if _is_java(frame) else frame[:60]


def _own_site(stack: list[str]) -> tuple[str, str]:
    """The innermost method of the client's own code, and the call it was in (itself when the
    sample fell in its own body)."""
    # Every stack asked about holds CLIENT_FRAME, which is the client's own code.
    i = next(i for i, frame in enumerate(stack) if frame.startswith(OWN_CODE))
    return _short(stack[i]), _short(stack[i - 1]) if i else "its own body"


def summarize(samples: list[tuple[list[str], int]]) -> dict[str, Any]:
    """Sample counts, the client's and the loop's, in TF Java's runner or outside it; the
    client's own work by method, with the call in each that took most."""
    counts: Counter[str] = Counter()
    sites: dict[str, Counter[str]] = {}
    for stack, n in samples:
        if any(f.startswith(CLIENT_FRAME) for f in stack):
            who = "client"
        elif any(f.startswith(LOOP_FRAME) for f in stack):
            who = "loop"
        else:
            continue  # load, JIT, GC
        runner = any(f.startswith(RUNNER) for f in stack)
        counts[f"{who} {'runner' if runner else 'own'}"] += n
        if who == "client" and not runner:
            method, call = _own_site(stack)
            sites.setdefault(method, Counter())[call] += n
    top = sorted(sites.items(), key=lambda kv: -sum(kv[1].values()))[:TOP_SITES]
    own = [(m, sum(c.values()), *c.most_common(1)[0]) for m, c in top]
    return {"counts": dict(counts), "own_sites": own}


def lines(summary: dict[str, Any], bench: dict[str, Any]) -> list[str]:
    """The report's lines, from the sample counts and the profiled run's own bench line."""
    n = summary["counts"]
    runs = int(bench.get("requests", 0)) + int(bench.get("warmup", 0))
    if not runs or not n.get("client runner") or not n.get("loop runner"):
        return ["not profiled: no samples of the client's or the loop's session runs"]

    def us(count: int) -> float:
        return count * INTERVAL_US / runs

    runner, own = us(n["client runner"]), us(n.get("client own", 0))
    loop = us(n["loop runner"] + n.get("loop own", 0))
    out = [
        f"{runs:,} predicts by the client and as many runs of the bare TF Java loop, in turns on "
        f"one thread; CPU sampled every {INTERVAL_US} us of it",
        f"CPU on the calling thread per predict: client {runner + own:.1f} us (TF Java's runner "
        f"{runner:.1f}, the client's own work {own:.1f}), loop {loop:.1f} us",
    ]
    client_wall = float(bench.get("mean_us") or 0)
    loop_wall = float((bench.get("reference") or {}).get("mean_us") or 0)
    if client_wall and loop_wall:
        # Off the thread's CPU: waiting in TF_SessionRun for TensorFlow's inter-op threads
        # (native threads, which the agent does not sample), or for a core.
        off_client, off_loop = client_wall - runner - own, loop_wall - loop
        out += [
            f"wall per predict (means): client {client_wall:.1f} us, loop {loop_wall:.1f} us "
            f"({client_wall / loop_wall:.2f}x); off the thread's CPU (waiting in TF_SessionRun "
            f"for TensorFlow's threads, or for a core): client {off_client:.1f} us, loop "
            f"{off_loop:.1f} us",
            f"so of the client's {client_wall - loop_wall:.1f} us over the loop: its own work "
            f"{own:.1f} us, TF Java's runner {runner - loop:.1f} us more CPU than back to back, "
            f"{off_client - off_loop:.1f} us more off CPU",
        ]
    out.append(
        "the client's own work by method (CPU us per predict; the call in it that took most):"
    )
    out += [
        f"  {us(total):.2f} us {method} ({us(k):.2f} in {call})"
        for method, total, call, k in summary["own_sites"]
    ]
    return out


def profile(argv: list[str], work: Path, tools: Path, env: dict[str, str]) -> list[str]:
    """Runs `argv` (the Java client's in-process bench) under async-profiler; the report's lines."""
    lib = library(tools)
    if lib is None:
        return [
            f"not profiled: no async-profiler for {platform.machine()} in {tools} "
            "(`make bench` fetches it from Maven Central)"
        ]
    work.mkdir(parents=True, exist_ok=True)
    collapsed = work / "java-profile.collapsed"
    collapsed.unlink(missing_ok=True)
    env = env | {"TFINTEROP_JAVA_OPTS": java_opts(lib, collapsed)}
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    if run.returncode != 0 or not collapsed.exists():
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return [
            f"not profiled: the Java bench under async-profiler exited {run.returncode}: {tail}"
        ]
    try:
        bench = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return ["not profiled: the Java bench under async-profiler printed no bench line"]
    summary = summarize(stacks(collapsed.read_text()))
    (work / "java-profile.json").write_text(json.dumps(summary | {"bench": bench}, indent=1))
    return lines(summary, bench)
