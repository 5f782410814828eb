"""The judge (tfinterop.judge) as pytest: one test per (client, mode, model, case) row and
one per expected-failure entry, so `-k` and the re-run commands select single rows.

Environment: TFINTEROP_BUILD (default build), TFINTEROP_CLIENTS (default every client),
TFINTEROP_MODELS (only these case sets), TFINTEROP_REPORT_DIR (default <build>/report).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfinterop.harness import registry
from tfinterop.judge import report
from tfinterop.judge.expected import ExpectedFailure
from tfinterop.judge.matrix import Row, judge

BUILD = Path(os.environ.get("TFINTEROP_BUILD", registry.checkout() / "build"))
REPORT_DIR = Path(os.environ.get("TFINTEROP_REPORT_DIR", BUILD / "report"))
CLIENTS = [
    c.strip()
    for c in os.environ.get("TFINTEROP_CLIENTS", ",".join(registry.names())).split(",")
    if c.strip()
]
MODELS = [m.strip() for m in os.environ.get("TFINTEROP_MODELS", "").split(",") if m.strip()]

JUDGEMENT = judge(BUILD, CLIENTS, MODELS or None)


@pytest.mark.parametrize("row", JUDGEMENT.rows, ids=[r.id for r in JUDGEMENT.rows])
def test_case_matches_golden(row: Row) -> None:
    if row.verdict.kind == "expected":
        pytest.xfail(row.verdict.message)
    if row.verdict.kind == "unexpected":
        pytest.fail(
            f"{row.client} {row.mode} {row.model} {row.case}: {row.verdict.message}\n"
            f"re-run: {report.rerun_command(row, JUDGEMENT)}",
            pytrace=False,
        )


@pytest.mark.parametrize(
    "entry", JUDGEMENT.entries, ids=[report.entry_id(e) for e in JUDGEMENT.entries]
)
def test_expected_failure_covers_a_row(entry: ExpectedFailure) -> None:
    if entry in JUDGEMENT.stale:
        pytest.fail(
            f"{entry.source}: `{entry.pattern}` matches no row: remove or fix the entry",
            pytrace=False,
        )


def test_some_rows_exist() -> None:
    assert JUDGEMENT.rows, f"no case sets under {BUILD / 'cases'}: run `make export`"
