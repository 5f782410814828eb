"""Every (client, mode, model, case) row of a build folder, its outcome and verdict."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from tfinterop.golden.cases import manifest
from tfinterop.harness import registry
from tfinterop.judge import expected, precision
from tfinterop.judge.compare import Outcome, compare
from tfinterop.judge.expected import ExpectedFailure
from tfinterop.serving.errors import ToolError

MODES = registry.MODES


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
    results: Path  # the results root: <results>/<client>/<mode>/<model>/
    case_dirs: dict[str, Path]  # model -> its case folder
    rows: list[Row]
    entries: list[ExpectedFailure]  # the entries in scope (their models and modes were judged)
    stale: list[ExpectedFailure] = field(default_factory=list)  # entries that cover no row
    modes: tuple[str, ...] = MODES
    expect_files: tuple[Path, ...] = ()  # the user's --expect files, for re-run commands

    @property
    def ok(self) -> bool:
        """The suite passes: rows exist, none is unexpected, no entry is stale."""
        return bool(self.rows) and all(r.ok for r in self.rows) and not self.stale


def case_sets(build: Path, models: list[str] | None = None) -> list[manifest.Manifest]:
    """The case sets under build/cases, or only `models` (a missing one is a ToolError)."""
    return read_case_sets([build / "cases"], models)


def read_case_sets(folders: list[Path], models: list[str] | None = None) -> list[manifest.Manifest]:
    """Case sets from `folders`, each a case set (manifest.json inside) or a folder of them;
    only `models` when given (a missing one is a ToolError)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if (folder / "manifest.json").is_file():
            sets = [folder]
        else:
            sets = sorted(p.parent for p in folder.glob("*/manifest.json"))
        for d in sets:
            found[manifest.read(d).model] = d
    if models is None:
        return [manifest.read(found[name]) for name in sorted(found)]
    lacking = [m for m in models if m not in found]
    if lacking:
        where = ", ".join(str(f) for f in folders)
        raise ToolError(f"no case set for {', '.join(lacking)} under {where}")
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
    return judge_sets(
        case_sets(build, models),
        build / "results",
        clients,
        expected_dir=expected_dir,
        scope_models=models is not None,
    )


def judge_sets(
    sets: list[manifest.Manifest],
    results: Path,
    clients: list[str],
    modes: tuple[str, ...] = MODES,
    expected_dir: Path | None = None,
    extra: list[ExpectedFailure] | None = None,
    expect_files: tuple[Path, ...] = (),
    scope_models: bool = True,
) -> Judgement:
    """Judge `results` against the case sets for `clients` over `modes`.

    Each client's entries are its list (package or `expected_dir`) plus its `extra`
    entries (the user's --expect files). With `scope_models`, an entry whose model glob
    names no judged model is out of scope (a run on some models); so is one whose mode
    glob names no judged mode when `modes` leaves some out. An entry in scope that covers
    no row is stale.
    """
    models = [m.model for m in sets]
    rows: list[Row] = []
    entries: list[ExpectedFailure] = []
    stale: list[ExpectedFailure] = []
    for client in clients:
        listed = expected.load(client, expected_dir)
        listed += [e for e in extra or [] if e.client == client]
        if scope_models:
            listed = [
                e for e in listed if any(fnmatch.fnmatchcase(m, e.model_glob) for m in models)
            ]
        if set(modes) != set(MODES):
            listed = [e for e in listed if any(fnmatch.fnmatchcase(m, e.mode_glob) for m in modes)]
        entries += listed
        used: set[int] = set()
        for mode in modes:
            for m in sets:
                rows += _rows(results, client, mode, m, listed, used)
        stale += [e for i, e in enumerate(listed) if i not in used]
    case_dirs = {m.model: m.folder for m in sets}
    return Judgement(results, case_dirs, rows, entries, stale, tuple(modes), expect_files)


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
