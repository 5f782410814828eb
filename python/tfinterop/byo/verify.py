"""`tfinterop verify`: record a SavedModel, run every built client in every mode, judge, print the matrix.

Works from any folder: the clients are the ones built in the checkout this
package runs from (build/bin), the expected-failure lists are package data, and
the judge runs in-process (tfinterop.judge), not through pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tfinterop import interop
from tfinterop.byo.record import Recorded, record
from tfinterop.errors import UsageError
from tfinterop.judge import matrix, report


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


def _progress(line: str) -> None:
    print(f"[verify] {line}", file=sys.stderr, flush=True)


def verify(saved_models: list[Path], name: str | None, inputs: Path | None, build: Path) -> int:
    """Exit status 0 when every row of every model passes or fails as its expected-failure
    entry states. Several models share one server and one client run per mode."""
    build = build.resolve()
    root = report.checkout()
    recorded: list[Recorded] = []
    for saved_model in saved_models:
        _progress(f"record: {saved_model} into {build}")
        rec = record(saved_model, build, name, inputs)
        print(summary(rec), flush=True)
        recorded.append(rec)
    names = [rec.name for rec in recorded]
    if len(set(names)) != len(names):
        raise UsageError(f"two models record under one name: {', '.join(names)}")
    clients = built_clients(root)
    _progress(f"run: {', '.join(clients)} in {', '.join(interop.MODES)} (clients from {root})")
    interop.run_all(
        root, [build / "cases" / n for n in names], build / "results", clients, list(interop.MODES)
    )
    status = 0
    for model in names:
        _progress(f"judge: {model} for {', '.join(clients)}")
        judgement = matrix.judge(build, clients, [model])
        folder = build / "report" / f"verify-{model}"
        report.write(judgement, folder)
        print(report.render_markdown(judgement), flush=True)
        verdict = "PASS" if judgement.ok else "FAIL"
        print(f"verify {model}: {verdict} (details: {folder / 'failures.json'})", flush=True)
        status |= 0 if judgement.ok else 1
    return status
