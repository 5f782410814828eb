"""A judgement as CI systems read it: JUnit XML (one testcase per client x mode x case) and
the same rows as JSON.

JUnit has no formal standard; this writes the shape GitHub (test-reporter actions), GitLab
(`artifacts:reports:junit`) and Jenkins read: <testsuites> of <testsuite> (one per model)
of <testcase classname="tfinterop.<model>.<client>.<mode>" name="<case id>" time>. Each
row maps to:

    passes                           a plain testcase
    fails as an entry states         a passing testcase; <system-out> names the entry
    unexpected (code, mismatch, a    <failure type=outcome message=...>: the outcome, the
      listed row that passes, ...)   judge's detail (tensor, worst element, got, want,
                                     errors) and the re-run command
    missing (no result)              <error type="missing">: the client wrote nothing
    case does not apply to the mode  <skipped message=...> (the manifest's transports)
    stale expected-failure entry     a failing testcase named after the entry

So tests = rows + cases that do not apply + stale entries, and the XML's failures,
errors and skipped are the matrix's unexpected, missing and not-applicable counts.
"""

from __future__ import annotations

import fnmatch
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinterop.golden.cases import manifest
from tfinterop.judge import report
from tfinterop.judge.expected import ExpectedFailure
from tfinterop.judge.matrix import Judgement, Row
from tfinterop.util import atomic

FORMAT = 1
# XML 1.0 cannot carry these characters even as references; a client's error message may.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class CiRow:
    """One testcase: a judged row, a case that does not apply, or a stale entry."""

    client: str
    mode: str
    model: str
    case: str
    status: str  # pass | fail | missing | skipped (by the client) | not-applicable | stale
    verdict: str  # pass | expected | unexpected | skipped
    outcome: str  # pass | code | mismatch | missing | skipped | result-files | n/a | stale
    code: str | None  # the error code the client recorded, if it recorded one
    http_status: int | None
    detail: str
    worst: str  # the largest difference of a passing response ("bit-exact", "max abs err …")
    expected: str  # the expected-failure entry that matched, or that the row contradicts
    rerun: str  # the command that re-runs this row; "" unless it is unexpected
    seconds: float  # the client's latency for the case (run.json), 0 when unknown

    @property
    def junit(self) -> str:
        """pass | failure | error | skipped."""
        if self.verdict == "skipped":
            return "skipped"
        if self.verdict != "unexpected":
            return "pass"
        return "error" if self.status == "missing" else "failure"

    @property
    def classname(self) -> str:
        return f"tfinterop.{self.model}.{self.client}.{self.mode}"

    def message(self) -> str:
        """The failure's one-line message: outcome, what the judge found, the re-run command."""
        text = f"[{self.outcome}] {self.client}/{self.mode} {self.model} {self.case}: {self.detail}"
        return f"{text} | re-run: {self.rerun}" if self.rerun else text

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client": self.client,
            "mode": self.mode,
            "model": self.model,
            "case": self.case,
            "status": self.status,
            "verdict": self.verdict,
            "junit": self.junit,
            "outcome": self.outcome,
            "code": self.code,
            "detail": self.detail,
            "worst": self.worst,
            "rerun": self.rerun or None,
            "seconds": self.seconds,
        }
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.expected:
            out["expected"] = self.expected
        return out


def _outcome(row: Row) -> str:
    o = row.outcome
    if o.status in ("pass", "missing", "skipped"):
        return o.status
    if o.wrote == "error":
        return "code"
    if o.mismatch:
        return "mismatch"
    return "result-files"  # several result files, or an unreadable one


def _latencies(results: Path, client: str, mode: str, model: str) -> dict[str, float]:
    """Seconds per case id from the client's run.json ({} when it wrote none)."""
    try:
        run = json.loads((results / client / mode / model / "run.json").read_text("utf-8"))
        cases = run["cases"]
        return {k: float(v["latency_us"]) / 1e6 for k, v in cases.items() if "latency_us" in v}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _judged_row(row: Row, judgement: Judgement, seconds: float) -> CiRow:
    err = row.outcome.error if row.outcome.wrote == "error" else None
    entry = row.verdict.entry
    unexpected = row.verdict.kind == "unexpected"
    # An expected failure's message is its entry's reason and what happened; an unexpected
    # row's says what the judge found (and, for a listed row, what its entry expected).
    detail = row.verdict.message if row.verdict.kind != "pass" else row.outcome.detail
    return CiRow(
        client=row.client,
        mode=row.mode,
        model=row.model,
        case=row.case,
        status=row.outcome.status,
        verdict=row.verdict.kind,
        outcome=_outcome(row),
        code=err.code if err is not None else None,
        http_status=err.http_status if err is not None else None,
        detail=detail,
        worst=row.outcome.worst,
        expected=_entry_text(entry) if entry is not None else "",
        rerun=report.rerun_command(row, judgement) if unexpected else "",
        seconds=seconds,
    )


def _entry_text(entry: ExpectedFailure) -> str:
    return f"{entry.source}: {entry.pattern}  {entry.stated}  {entry.reason}"


def ci_rows(judgement: Judgement) -> list[CiRow]:
    """Every judged row and every case that does not apply to a judged mode, in matrix order
    (client, mode, model, the case set's order)."""
    by_key = {(r.client, r.mode, r.model, r.case): r for r in judgement.rows}
    sets = [manifest.read(folder) for _, folder in sorted(judgement.case_dirs.items())]
    out: list[CiRow] = []
    for client in dict.fromkeys(r.client for r in judgement.rows):
        for mode in judgement.modes:
            for m in sets:
                seconds = _latencies(judgement.results, client, mode, m.model)
                for case in m.cases:
                    row = by_key.get((client, mode, m.model, case.id))
                    if row is not None:
                        out.append(_judged_row(row, judgement, seconds.get(case.id, 0.0)))
                        continue
                    out.append(
                        CiRow(
                            client,
                            mode,
                            m.model,
                            case.id,
                            status="not-applicable",
                            verdict="skipped",
                            outcome="n/a",
                            code=None,
                            http_status=None,
                            detail=f"case does not apply to {mode} (its transports: "
                            f"{', '.join(case.transports)})",
                            worst="",
                            expected="",
                            rerun="",
                            seconds=0.0,
                        )
                    )
    return out


def stale_rows(judgement: Judgement) -> list[CiRow]:
    """One failing testcase per expected-failure entry that covers no row, filed under the
    first judged model its pattern names."""
    out = []
    for e in judgement.stale:
        stale = report.stale_json(e, judgement)
        models = [m for m in sorted(judgement.case_dirs) if fnmatch.fnmatchcase(m, e.model_glob)]
        out.append(
            CiRow(
                client=e.client,
                mode="expected-failures",
                model=models[0] if models else "unmatched",
                case=stale["entry"],
                status="stale",
                verdict="unexpected",
                outcome="stale",
                code=None,
                http_status=None,
                detail=stale["why"],
                worst="",
                expected=_entry_text(e),
                rerun=stale["rerun"],
                seconds=0.0,
            )
        )
    return out


def totals(rows: Sequence[CiRow]) -> dict[str, int]:
    """The counts JUnit reports, and how the passing ones split."""
    kinds = [r.junit for r in rows]
    return {
        "tests": len(rows),
        "passed": sum(r.verdict == "pass" for r in rows),
        "expected": sum(r.verdict == "expected" for r in rows),
        "failures": kinds.count("failure"),
        "errors": kinds.count("error"),
        "skipped": kinds.count("skipped"),
        "stale": sum(r.status == "stale" for r in rows),
    }


def _all_rows(judgements: Sequence[Judgement]) -> dict[str, list[CiRow]]:
    """Rows by model, models sorted; a model judged twice keeps the last judgement's rows."""
    by_model: dict[str, list[CiRow]] = {}
    for j in judgements:
        fresh: dict[str, list[CiRow]] = {}
        for r in ci_rows(j) + stale_rows(j):
            fresh.setdefault(r.model, []).append(r)
        by_model.update(fresh)
    return dict(sorted(by_model.items()))


def _server(judgements: Sequence[Judgement]) -> dict[str, Any] | None:
    for j in judgements:
        if set(j.modes) & set(report.SERVER_MODES):
            info = report.server_info(j.results)
            if info is not None:
                return info
    return None


def to_json(
    judgements: Sequence[Judgement], verdicts: dict[str, str] | None = None
) -> dict[str, Any]:
    """{format, server, totals, models: {model: {verdict, totals}}, rows: [...]}."""
    by_model = _all_rows(judgements)
    every = [r for rows in by_model.values() for r in rows]
    return {
        "format": FORMAT,
        "server": _server(judgements),
        "totals": totals(every),
        "models": {
            model: {"verdict": _verdict(model, rows, verdicts), **totals(rows)}
            for model, rows in by_model.items()
        },
        "rows": [r.json() for r in every],
    }


def _verdict(model: str, rows: list[CiRow], verdicts: dict[str, str] | None) -> str:
    if verdicts and model in verdicts:
        return verdicts[model]
    return "FAIL" if any(r.verdict == "unexpected" for r in rows) else "PASS"


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{{{ord(m.group()):x}}}", value)


def _set_counts(element: ET.Element, rows: Sequence[CiRow]) -> None:
    t = totals(rows)
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(t[key]))
    element.set("time", f"{sum(r.seconds for r in rows):.6f}")


def to_xml(judgements: Sequence[Judgement], verdicts: dict[str, str] | None = None) -> ET.Element:
    """<testsuites> with one <testsuite name="tfinterop.<model>"> per model."""
    by_model = _all_rows(judgements)
    root = ET.Element("testsuites", name="tfinterop")
    _set_counts(root, [r for rows in by_model.values() for r in rows])
    server = _server(judgements)
    for model, rows in by_model.items():
        suite = ET.SubElement(root, "testsuite", name=f"tfinterop.{model}")
        _set_counts(suite, rows)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="verdict", value=_verdict(model, rows, verdicts))
        if server is not None:
            ET.SubElement(props, "property", name="server", value=_text(report.server_line(server)))
        for r in rows:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=r.classname,
                name=_text(r.case),
                time=f"{r.seconds:.6f}",
            )
            kind = r.junit
            if kind == "skipped":
                ET.SubElement(case, "skipped", message=_text(r.detail))
            elif kind in ("failure", "error"):
                body = [f"outcome: {r.outcome}", r.detail]
                if r.code is not None:
                    status = f" (HTTP {r.http_status})" if r.http_status is not None else ""
                    body.append(f"client recorded: {r.code}{status}")
                if r.expected:
                    body.append(f"expected-failure entry: {r.expected}")
                if r.rerun:
                    body.append(f"re-run: {r.rerun}")
                node = ET.SubElement(case, kind, type=r.outcome, message=_text(r.message()))
                node.text = _text("\n".join(body))
            elif r.verdict == "expected":
                ET.SubElement(case, "system-out").text = _text(
                    f"expected failure: fails as {r.expected}\n{r.detail}"
                )
    ET.indent(root)
    return root


def write_xml(
    path: Path, judgements: Sequence[Judgement], verdicts: dict[str, str] | None = None
) -> None:
    """The JUnit XML file, written atomically."""
    data = ET.tostring(to_xml(judgements, verdicts), encoding="utf-8", xml_declaration=True)
    atomic.write_bytes(path, data + b"\n")


def write_json(
    path: Path, judgements: Sequence[Judgement], verdicts: dict[str, str] | None = None
) -> None:
    """The rows as JSON, written atomically."""
    atomic.write_text(path, json.dumps(to_json(judgements, verdicts), indent=1) + "\n")


def write(
    judgements: Sequence[Judgement],
    junit_xml: Path | None,
    json_path: Path | None,
    verdicts: dict[str, str] | None = None,
) -> None:
    """Whichever of the two files was asked for (verify's and judge's --junit-xml, --json)."""
    if junit_xml is not None:
        write_xml(junit_xml, judgements, verdicts)
    if json_path is not None:
        write_json(json_path, judgements, verdicts)
