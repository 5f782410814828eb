"""The judge's files: interop.json (one object per row), interop.md (the matrix), failures.json.

failures.json lists every unexpected outcome (rows and stale expected-failure
entries), each with the command that re-runs it. Each grpc and rest row of
interop.json names the server that answered it (`"server": "external host:8500"`),
and the matrix's heading line says which server that was (results/server.json).
"""

from __future__ import annotations

import fnmatch
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tfinterop.judge.expected import ExpectedFailure
from tfinterop.judge.matrix import Judgement, Row
from tfinterop.util import atomic


def test_id(row: Row) -> str:
    """The pytest node id of the row in tests/interop (one test per row)."""
    return f"tests/interop/test_interop.py::test_case_matches_golden[{row.id}]"


def entry_test_id(entry: ExpectedFailure) -> str:
    """The pytest node id of the test that an expected-failure entry covers some row."""
    return f"tests/interop/test_interop.py::test_expected_failure_covers_a_row[{entry_id(entry)}]"


def entry_id(entry: ExpectedFailure) -> str:
    line = entry.source.rpartition(":")[2]
    return f"{entry.client}:{line}:{entry.pattern}"


def tfinterop_command() -> str:
    """How to call this tfinterop from any folder: the installed script beside this Python
    when there is one, else `python -m tfinterop` with this interpreter."""
    script = Path(sys.executable).with_name("tfinterop")
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m tfinterop"


def rerun_command(row: Row, judgement: Judgement) -> str:
    """Re-run this row's client and mode on its model, then judge just that client and mode:
    absolute paths, so it works pasted in any folder."""
    cases = shlex.quote(str(judgement.case_dirs[row.model].resolve()))
    results = shlex.quote(str(judgement.results.resolve()))
    tool = tfinterop_command()
    run = (
        f"{tool} interop --clients {row.client} --modes {row.mode} --cases {cases} --out {results}"
    )
    return f"{run} && {judge_command(judgement, row.client, row.mode, row.model)}"


def judge_command(judgement: Judgement, client: str, mode: str | None, model: str) -> str:
    """`tfinterop judge` on one client (and mode) of one model, with the run's --expect files."""
    cases = shlex.quote(str(judgement.case_dirs[model].resolve()))
    results = shlex.quote(str(judgement.results.resolve()))
    expect = "".join(f" --expect {shlex.quote(str(p.resolve()))}" for p in judgement.expect_files)
    modes = f" --modes {mode}" if mode else ""
    return (
        f"{tfinterop_command()} judge --cases {cases} --results {results} "
        f"--clients {client}{modes}{expect}"
    )


def row_json(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client": row.client,
        "mode": row.mode,
        "model": row.model,
        "case": row.case,
        "status": row.outcome.status,
        "detail": row.outcome.detail,
        "worst": row.outcome.worst,
        "exact": row.exact,
        "verdict": row.verdict.kind,
    }
    entry = row.verdict.entry
    if entry is not None:
        out["expected"] = f"{entry.stated} ({entry.source})"
    if row.verdict.kind == "expected" and entry is not None:
        out["expected_failure"] = entry.reason
    if row.verdict.kind == "unexpected":
        out["why"] = row.verdict.message
    return out


def stale_json(entry: ExpectedFailure, judgement: Judgement) -> dict[str, Any]:
    models = [m for m in judgement.case_dirs if fnmatch.fnmatchcase(m, entry.model_glob)]
    rerun = (
        judge_command(judgement, entry.client, None, models[0])
        if models
        else f"no judged model matches {entry.model_glob!r}: edit {entry.source}"
    )
    return {
        "kind": "stale-entry",
        "client": entry.client,
        "source": entry.source,
        "entry": f"{entry.pattern}  {entry.stated}",
        "why": f"{entry.source}: {entry.pattern} matches no row: remove or fix the entry",
        "rerun": rerun,
    }


def server_info(results: Path) -> dict[str, Any] | None:
    """What the run recorded about the server that answered its grpc and rest rows
    (results/server.json, written by the interop runner); None when nothing did."""
    try:
        info = json.loads((results / "server.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("server"), str) else None


def server_line(info: dict[str, Any]) -> str:
    """The server in a few words: bundled or external, its addresses, what it reports."""
    where = f"{info.get('target', '?')} (gRPC), {info.get('rest', '?')} (REST)"
    version = info.get("version")
    if info["server"] == "bundled":
        return f"bundled {version or 'tfinterop serve'} at {where}"
    said = (
        f"it reports {version!r}"
        if version
        else "it reports no version (TF Serving tells it only through "
        "`tensorflow_model_server --version`)"
    )
    return f"{info['server']} at {where}; {said}"


# The modes a server answers: gRPC ones at its target, REST ones at its URL.
SERVER_MODES = ("grpc", "rest", "v2grpc", "v2rest")


def _row_server(row: Row, info: dict[str, Any] | None) -> dict[str, str]:
    """The server that answered a grpc or rest row (v2 ones too), as `<kind> <address>`."""
    if info is None or row.mode not in SERVER_MODES:
        return {}
    address = info.get("target") if row.mode.endswith("grpc") else info.get("rest")
    return {"server": f"{info['server']} {address}"}


def _server_lines(judgement: Judgement) -> list[str]:
    info = server_info(judgement.results)
    if info is None or not set(judgement.modes) & set(SERVER_MODES):
        return []
    return [f"server: {server_line(info)}"]


def write(judgement: Judgement, folder: Path) -> None:
    """interop.json, interop.md and failures.json into `folder`."""
    info = server_info(judgement.results)
    rows = [{**row_json(r), **_row_server(r, info)} for r in judgement.rows]
    atomic.write_text(folder / "interop.json", json.dumps(rows, indent=1) + "\n")
    failures = [
        {"kind": "row", **row_json(r), "rerun": rerun_command(r, judgement)}
        for r in judgement.rows
        if not r.ok
    ] + [stale_json(e, judgement) for e in judgement.stale]
    atomic.write_text(folder / "failures.json", json.dumps(failures, indent=1) + "\n")
    atomic.write_text(folder / "interop.md", render_markdown(judgement))


def matrix_lines(judgement: Judgement) -> list[str]:
    """The matrix as a Markdown table: one row per client and mode, one column per model."""
    rows = judgement.rows
    models = sorted({r.model for r in rows})
    lines = [
        "| client | mode | " + " | ".join(models) + " |",
        "| --- | --- | " + " | ".join("---" for _ in models) + " |",
    ]
    for client in dict.fromkeys(r.client for r in rows):
        for mode in judgement.modes:
            cells = [
                _cell([r for r in rows if (r.client, r.mode, r.model) == (client, mode, model)])
                for model in models
            ]
            lines.append(f"| {client} | {mode} | " + " | ".join(cells) + " |")
    return lines


def render_markdown(judgement: Judgement) -> str:
    rows = judgement.rows
    lines = [
        "# Interop matrix",
        "",
        "Each cell: cases passed / cases that apply. `xf` counts expected failures "
        "(tfinterop/judge/expected_failures), `!` marks unexpected outcomes "
        "(failures, missing results, listed rows that pass or fail otherwise).",
        "",
        *[text for line in _server_lines(judgement) for text in (f"{line}.", "")],
        *matrix_lines(judgement),
    ]
    bad = [r for r in rows if not r.ok]
    lines += ["", f"## Unexpected outcomes ({len(bad) + len(judgement.stale)})", ""]
    lines += [f"- `{r.id}`: {r.verdict.message}" for r in bad[:200]]
    if len(bad) > 200:
        lines.append(f"- … {len(bad) - 200} more in failures.json")
    lines += [f"- stale entry {e.source}: `{e.pattern}` matches no row" for e in judgement.stale]
    counts: dict[ExpectedFailure, int] = {}
    for r in rows:
        if r.verdict.kind == "expected" and r.verdict.entry is not None:
            counts[r.verdict.entry] = counts.get(r.verdict.entry, 0) + 1
    lines += ["", f"## Expected failures ({sum(counts.values())})", ""]
    lines += [
        f"- {e.source} `{e.pattern}` {e.stated}: {n} cases: {e.reason}" for e, n in counts.items()
    ]
    return "\n".join(lines) + "\n"


def render_summary(judgement: Judgement) -> str:
    """For a terminal: the matrix, then each distinct unexpected outcome once. Rows of one
    model that fail the same cases with the same code in several clients and modes are
    one cause (each client words the message its own way), not one line per row."""
    lines = [*_server_lines(judgement), *matrix_lines(judgement)]
    by_lane: dict[tuple[str, str, str], list[Row]] = {}
    for r in judgement.rows:
        if not r.ok:
            by_lane.setdefault((r.model, r.client, r.mode), []).append(r)
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[Row]] = {}
    for (model, _, _), sel in by_lane.items():
        key = (model, tuple(sorted(r.case for r in sel)), tuple(sorted(map(_cause, sel))))
        groups.setdefault(key, []).extend(sel)
    if groups or judgement.stale:
        lines += ["", f"Unexpected outcomes ({sum(map(len, groups.values()))} rows):"]
    for (_, cases, _), sel in groups.items():
        where = sorted({f"{r.client}/{r.mode}" for r in sel})
        shown = ", ".join(cases[:4]) + (f" and {len(cases) - 4} more" if len(cases) > 4 else "")
        lines.append(
            f"- {len(sel)} rows ({', '.join(where)}; cases {shown}): {sel[0].verdict.message[:300]}"
        )
    lines += [
        f"- stale entry {e.source}: `{e.pattern}` matches no row: remove or fix it"
        for e in judgement.stale
    ]
    return "\n".join(lines) + "\n"


def _cause(row: Row) -> str:
    """What makes two failed rows the same failure: the error code a client got, else
    the judge's message (a mismatch, a missing result)."""
    err = row.outcome.error
    if row.outcome.wrote == "error" and err is not None:
        return f"{row.outcome.status}:{err.code}"
    return row.verdict.message[:300]


def _cell(sel: list[Row]) -> str:
    if not sel:
        return "n/a"
    if all(r.outcome.status == "missing" for r in sel):
        return "missing !"
    ok = sum(r.outcome.status == "pass" and r.ok for r in sel)
    xf = sum(r.verdict.kind == "expected" for r in sel)
    bad = sum(not r.ok for r in sel)
    cell = f"{ok}/{len(sel)}"
    if xf:
        cell += f" ({xf} xf)"
    if bad:
        cell += f" {bad} !"
    return cell
