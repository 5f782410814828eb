"""`tfinterop interop`: run every client in every mode over the case sets.

Starts the bundled server (or uses TFINTEROP_TARGET / TFINTEROP_REST), then
runs each client's `run` once per mode over all case folders, showing progress.
Which client supports which mode is declared here, not discovered.
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
from dataclasses import dataclass
from pathlib import Path

from tfinterop import atomic, progress
from tfinterop.cases import manifest
from tfinterop.server_process import bundled_server

log = logging.getLogger(__name__)

MODES = ("inproc", "grpc", "rest")


@dataclass(frozen=True)
class Client:
    name: str
    command: tuple[str, ...]  # program and leading arguments, relative to the repo root
    modes: tuple[str, ...] = MODES


def clients(root: Path) -> dict[str, Client]:
    """The declared clients and how to start them."""
    return {
        "python": Client(
            "python", (sys.executable, "-m", "tfinterop", "run", "--client", "python")
        ),
        "go": Client("go", (str(root / "build/bin/tfinterop-go"), "run")),
        "java": Client("java", (str(root / "build/bin/tfinterop-java"), "run")),
        "cpp": Client("cpp", (str(root / "build/bin/tfinterop-cpp"), "run")),
    }


def run_all(root: Path, cases: list[Path], out: Path, names: list[str], modes: list[str]) -> int:
    """Run the clients; returns how many client runs failed to start or exited non-zero."""
    table = clients(root)
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
            failures += _run(table, names, remote_modes, cases, out, server.target, server.rest_url)
    elif remote_modes:
        _write_server_info(out, "external", target, rest or "")
        failures += _run(
            table, names, remote_modes, cases, out, target, rest or "http://127.0.0.1:8501"
        )
    if "inproc" in modes:
        failures += _run(table, names, ["inproc"], cases, out, "", "")
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
    table: dict[str, Client],
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
            cmd = [*client.command, "--mode", mode, "--out", str(out)]
            for c in cases:
                cmd += ["--cases", str(c)]
            if mode == "grpc":
                cmd += ["--target", target]
            if mode == "rest":
                cmd += ["--rest", rest]
            if not Path(client.command[0]).exists():
                print(
                    f"[interop] {name}/{mode}: {client.command[0]} is not built; its rows will be missing",
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
