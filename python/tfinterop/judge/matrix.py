"""Every (client, mode, model, case) row of a build folder, its outcome and verdict."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from tfinterop.cases import manifest
from tfinterop.errors import ToolError
from tfinterop.judge import expected, precision
from tfinterop.judge.compare import Outcome, compare
from tfinterop.judge.expected import ExpectedFailure

MODES = ("inproc", "grpc", "rest")


@dataclass(frozen=True)
class Row:
    client: str
    mode: str
    model: str
    case: str
    outcome: Outcome
    verdict: expected.Verdict
    exact: bool  # bit-exact was required (same TensorFlow build as the producer)

    @property
    def id(self) -> str:
        return f"{self.client}-{self.mode}-{self.model}-{self.case}"

    @property
    def ok(self) -> bool:
        return self.verdict.kind != "unexpected"


@dataclass(frozen=True)
class Judgement:
    build: Path
    rows: list[Row]
    entries: list[ExpectedFailure]  # the entries in scope (their models were judged)
    stale: list[ExpectedFailure] = field(default_factory=list)  # entries that cover no row

    @property
    def ok(self) -> bool:
        """The suite passes: rows exist, none is unexpected, no entry is stale."""
        return bool(self.rows) and all(r.ok for r in self.rows) and not self.stale


def case_sets(build: Path, models: list[str] | None = None) -> list[manifest.Manifest]:
    """The case sets under build/cases, or only `models` (a missing one is a ToolError)."""
    found = {p.parent.name: p.parent for p in (build / "cases").glob("*/manifest.json")}
    if models is None:
        return [manifest.read(found[name]) for name in sorted(found)]
    lacking = [m for m in models if m not in found]
    if lacking:
        raise ToolError(f"no case set for {', '.join(lacking)} under {build / 'cases'}")
    return [manifest.read(found[name]) for name in models]


def judge(
    build: Path,
    clients: list[str],
    models: list[str] | None = None,
    expected_dir: Path | None = None,
) -> Judgement:
    """Judge build/results against build/cases for `clients` (all models, or `models`).

    Expected failures come from `expected_dir` (default: the package's lists). With
    `models` set, entries naming none of them are out of scope, not stale.
    """
    results = build / "results"
    sets = case_sets(build, models)
    rows: list[Row] = []
    entries: list[ExpectedFailure] = []
    stale: list[ExpectedFailure] = []
    for client in clients:
        listed = expected.load(client, expected_dir)
        if models is not None:
            listed = [
                e for e in listed if any(fnmatch.fnmatchcase(m, e.model_glob) for m in models)
            ]
        entries += listed
        used: set[int] = set()
        for mode in MODES:
            for m in sets:
                rows += _rows(results, client, mode, m, listed, used)
        stale += [e for i, e in enumerate(listed) if i not in used]
    return Judgement(build, rows, entries, stale)


def _rows(
    results: Path,
    client: str,
    mode: str,
    m: manifest.Manifest,
    listed: list[ExpectedFailure],
    used: set[int],
) -> list[Row]:
    folder = results / client / mode / m.model
    exact = precision.bit_exact_required(
        precision.row_build(results, client, mode, m.model), precision.producer_build(m.data)
    )
    out = []
    for case in m.cases:
        if mode not in case.transports:
            continue
        if folder.is_dir():
            outcome = compare(case, folder, mode, exact)
        else:
            outcome = Outcome(
                "missing", f"{client} produced no results for {mode}/{m.model}", wrote="nothing"
            )
        covering = [(i, e) for i, e in enumerate(listed) if e.covers(mode, m.model, case)]
        used.update(i for i, _ in covering)
        verdict = expected.verdict(outcome, mode, [e for _, e in covering])
        out.append(Row(client, mode, m.model, case.id, outcome, verdict, exact))
    return out
