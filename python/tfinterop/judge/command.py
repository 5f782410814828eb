"""`tfinterop judge`: the judge on results a client wrote on its own.

The README's path "run one language's client against a served model" ends in a
results folder; this gives it the same verdict `verify` and `make interop-test`
give: the matrix row, each distinct failure once, failures.json with re-run
commands, --junit-xml/--json for CI (judge/junit.py), and the exit status: 0 pass,
1 a row failed or an entry is stale, 2 usage (a flag, folder or --expect file that
does not parse or names nothing), 3 what it was given cannot be read (a ToolError,
turned into 3 by the command line).
"""

from __future__ import annotations

from pathlib import Path

from tfinterop.harness import registry
from tfinterop.judge import expected, junit, matrix, report
from tfinterop.serving.errors import UsageError


def _present(results: Path, models: list[str]) -> tuple[list[str], list[str]]:
    """Clients and modes that have a results folder for one of `models` under `results`."""
    ran = {
        (client, mode)
        for client in registry.names()
        for mode in matrix.MODES
        if any((results / client / mode / m).is_dir() for m in models)
    }
    clients = [c for c in registry.names() if any(c == r[0] for r in ran)]
    return clients, [m for m in matrix.MODES if any(m == r[1] for r in ran)]


def main(
    cases: list[Path],
    results: Path,
    clients: list[str] | None,
    modes: list[str] | None,
    expect: list[Path],
    report_dir: Path | None,
    junit_xml: Path | None = None,
    json_path: Path | None = None,
) -> int:
    registry.check_selection(clients, modes)
    for folder in [*cases, results]:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
    sets = matrix.read_case_sets(cases)
    if not sets:
        raise UsageError(f"no case set (manifest.json) in {', '.join(map(str, cases))}")
    models = [m.model for m in sets]
    found_clients, found_modes = _present(results, models)
    clients = clients or found_clients
    if not clients:
        raise UsageError(
            f"{results} holds no results for {', '.join(models)} "
            "(expected RESULTS/<client>/<mode>/<model>/, what a client's --out writes)"
        )
    judged_modes = tuple(modes or found_modes or matrix.MODES)
    judgement = matrix.judge_sets(
        sets,
        results,
        clients,
        judged_modes,
        extra=expected.user_entries(expect, clients),
        expect_files=tuple(expect),
    )
    print(report.render_summary(judgement), end="", flush=True)
    if report_dir is not None:
        report.write(judgement, report_dir)
    junit.write([judgement], junit_xml, json_path)
    verdict = "PASS" if judgement.ok else "FAIL"
    where = f" (details: {report_dir / 'failures.json'})" if report_dir else ""
    print(f"judge {', '.join(models)}: {verdict}{where}")
    return 0 if judgement.ok else 1
