"""`tfinterop verify`: record a SavedModel, run every built client in every mode, judge, print the matrix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tfinterop import interop
from tfinterop.byo.record import Recorded, record
from tfinterop.errors import ToolError


def built_clients(root: Path) -> list[str]:
    return [
        name
        for name, c in interop.clients(root).items()
        if name == "python" or Path(c.command[0]).exists()
    ]


def summary(rec: Recorded) -> str:
    lines = [f"recorded {len(rec.cases)} cases for {rec.name} version {rec.version}"]
    lines += [f"  not covered: {n}" for n in rec.not_covered]
    lines += [f"  note: {n}" for n in rec.notes]
    return "\n".join(lines)


def verify(
    root: Path, saved_model: Path, name: str | None, inputs: Path | None, build: Path | None = None
) -> int:
    """Exit status 0 when every row passes (or fails as listed in tests/expected_failures)."""
    build = (build or root / "build").resolve()
    rec = record(saved_model, build, name, inputs)
    print(summary(rec), flush=True)
    tests = root / "tests" / "interop"
    if not tests.is_dir():
        raise ToolError(f"{tests} not found: run verify from the tfinterop checkout")
    clients = built_clients(root)
    print(f"clients: {', '.join(clients)}", flush=True)
    interop.run_all(
        root, [build / "cases" / rec.name], build / "results", clients, list(interop.MODES)
    )
    report = build / "report" / f"verify-{rec.name}"
    env = dict(
        os.environ,
        TFINTEROP_CLIENTS=",".join(clients),
        TFINTEROP_MODELS=rec.name,
        TFINTEROP_REPORT_DIR=str(report),
        TFINTEROP_BUILD=str(build),
    )
    code = subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tests),
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-header",
            "-rN",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    print((report / "interop.md").read_text(), flush=True)
    print(
        f"verify {rec.name}: {'PASS' if code == 0 else 'FAIL'} (details: {report / 'failures.json'})",
        flush=True,
    )
    return 0 if code == 0 else 1
