"""`tfinterop interop`: run every client in every mode over the case sets.

Starts the bundled server (or uses TFINTEROP_TARGET / TFINTEROP_REST), then
runs each client's `run` once per mode over all case folders, showing progress.
Which client supports which mode is the registry's (harness/clients.json), not
discovered. The judge (tests/interop, `tfinterop judge`) reads what they wrote.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tfinterop.golden.cases import manifest
from tfinterop.harness import registry
from tfinterop.harness.server_process import bundled_server
from tfinterop.serving.errors import ToolError, UsageError
from tfinterop.util import atomic, progress

log = logging.getLogger(__name__)

MODES = registry.MODES


def main(cases: list[Path] | None, out: Path, names: list[str], modes: list[str]) -> int:
    """`tfinterop interop`: every case set under build/cases unless `cases` names some."""
    cases = cases or sorted(p.parent for p in Path("build/cases").glob("*/manifest.json"))
    if not cases:
        raise ToolError("no case sets under build/cases; run `make export` first")
    unknown = [n for n in names if n not in registry.clients()]
    if unknown:
        raise UsageError(
            f"--clients: {', '.join(unknown)}: the registry has {', '.join(registry.names())}"
        )
    bad_modes = [m for m in modes if m not in MODES]
    if bad_modes:
        raise UsageError(f"--modes: {', '.join(bad_modes)}: choose from {', '.join(MODES)}")
    run_all(registry.checkout(), cases, out, names, modes)
    return 0


def run_all(root: Path, cases: list[Path], out: Path, names: list[str], modes: list[str]) -> int:
    """Run the clients; returns how many client runs failed to start or exited non-zero."""
    table = registry.clients()
    config = manifest.read(cases[0]).config_path
    models = [manifest.read(c).model for c in cases]
    # Stale results of these models would be judged as fresh ones.
    for name in names:
        for mode in modes:
            for model in models:
                shutil.rmtree(out / name / mode / model, ignore_errors=True)
    target = os.environ.get("TFINTEROP_TARGET")
    rest = os.environ.get("TFINTEROP_REST")
    failures = 0
    remote_modes = [m for m in modes if m != "inproc"]
    if remote_modes and not target:
        with bundled_server(config, models, out / "server.log") as server:
            _write_server_info(out, "bundled", server.target, server.rest_url)
            failures += _run(
                root, table, names, remote_modes, cases, out, server.target, server.rest_url
            )
    elif remote_modes and target:
        _write_server_info(out, "external", target, rest or "")
        failures += _run(
            root, table, names, remote_modes, cases, out, target, rest or "http://127.0.0.1:8501"
        )
    if "inproc" in modes:
        failures += _run(root, table, names, ["inproc"], cases, out, "", "")
    return failures


def _write_server_info(out: Path, kind: str, target: str, rest: str) -> None:
    import tensorflow as tf

    info = {"server": kind, "target": target, "rest": rest}
    if kind == "bundled":
        info["tensorflow"] = tf.__version__
        # The judge requires bit-exact outputs iff this equals the producer's build.
        info["tensorflow_build"] = f"pip:tensorflow=={tf.__version__}"
    atomic.write_text(out / "server.json", json.dumps(info, indent=2) + "\n")


def _run(
    root: Path,
    table: dict[str, registry.Client],
    names: list[str],
    modes: list[str],
    cases: list[Path],
    out: Path,
    target: str,
    rest: str,
) -> int:
    failures = 0
    sets = [manifest.read(c) for c in cases]
    models = [m.model for m in sets]
    total = sum(len(m.cases) for m in sets)
    for name in names:
        client = table[name]
        for mode in modes:
            if mode not in client.modes:
                continue
            cmd = client.argv(root, "run", "--mode", mode, "--out", str(out))
            for c in cases:
                cmd += ["--cases", str(c)]
            if mode == "grpc":
                cmd += ["--target", target]
            if mode == "rest":
                cmd += ["--rest", rest]
            if not client.built(root):
                print(
                    f"[interop] {name}/{mode}: {cmd[0]} is not built ({client.build or 'make venv'}); "
                    "its rows will be missing",
                    file=sys.stderr,
                    flush=True,
                )
                failures += 1
                continue
            start = time.monotonic()
            print(
                f"[interop] {name}/{mode}: running {len(cases)} case set(s), {total} cases ...",
                file=sys.stderr,
                flush=True,
            )
            log_path = out / "logs" / f"{name}-{mode}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)

            def report(elapsed: float, name: str = name, mode: str = mode) -> None:
                done = results_written(out / name / mode, models)
                progress.say(f"[interop] {name}/{mode}: {done}/{total} cases ({elapsed:.0f}s)")

            with open(log_path, "wb") as log_file, progress.Ticker(report):
                try:
                    rc = subprocess.call(cmd, stdout=log_file, stderr=subprocess.STDOUT)
                except OSError as e:
                    log_file.write(f"cannot start {cmd[0]}: {e}\n".encode())
                    rc = 127
            took = time.monotonic() - start
            status = "ok" if rc == 0 else f"exit {rc} (see {log_path})"
            print(f"[interop] {name}/{mode}: {status} in {took:.1f}s", file=sys.stderr, flush=True)
            if rc != 0:
                failures += 1
    return failures


RESULT_SUFFIXES = (".response.pb", ".error.json", ".skipped.json")


def results_written(mode_dir: Path, models: list[str]) -> int:
    """Case results a running client has written so far under OUT/<client>/<mode>/: each model's
    folder once it is complete, else its staging folder (.<model>.tmp-*, docs/CONTRACT.md)."""
    done = 0
    for model in models:
        final = mode_dir / model
        folders = (
            [final]
            if final.is_dir()
            else [p for p in mode_dir.glob(f".{model}.tmp-*") if not _replaced_folder(p.name)]
        )
        for folder in folders:
            # A staging folder may be renamed into place between the listing and the count.
            with contextlib.suppress(OSError):
                done += sum(1 for f in os.scandir(folder) if f.name.endswith(RESULT_SUFFIXES))
    return done


def _replaced_folder(name: str) -> bool:
    # The previous complete folder set aside during the rename: ".m.tmp-old-PID" (Python,
    # Java, C++) or ".m.tmp-XXXX-old" (Go).
    return ".tmp-old-" in name or name.endswith("-old")
