"""interop.json, interop.md and failures.json: every unexpected outcome with its re-run command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.judge.builders import Build, predict
from tfinterop.judge import report

Y = np.array([[0.25, 0.5, 0.25]], np.float32)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """One row of each verdict over grpc, plus a stale entry; returns the report folder."""
    b = Build(tmp_path / "build")
    b.case_set(
        "m",
        [
            {"id": "ok", "response": predict({"y": Y})},
            {"id": "keras", "response": predict({"y": Y})},
            {"id": "fixed", "response": predict({"y": Y})},
            {"id": "broken", "response": predict({"y": Y})},
        ],
        producer_build=None,
    )
    b.expected(
        'grpc/m/keras  FAILED_PRECONDITION  "Could not find variable"  keras 3 export\n'
        'grpc/m/fixed  FAILED_PRECONDITION  ""  fixed upstream\n'
        'grpc/m/gone  INTERNAL  ""  stale\n'
    )
    b.response("grpc", "ok", predict({"y": Y}))
    b.error("grpc", "keras", "FAILED_PRECONDITION", "Could not find variable dense/bias")
    b.response("grpc", "fixed", predict({"y": Y}))
    b.response("grpc", "broken", predict({"y": Y * 2}))
    judgement = b.judge()
    folder = tmp_path / "report"
    report.write(judgement, folder)
    return folder


def _rows(folder: Path) -> dict[str, dict[str, object]]:
    rows = json.loads((folder / "interop.json").read_text())
    return {f"{r['mode']}/{r['case']}": r for r in rows}


def test_interop_json_has_one_object_per_row_with_its_verdict(written: Path) -> None:
    rows = _rows(written)
    assert {k: (r["status"], r["verdict"]) for k, r in rows.items() if k.startswith("grpc/")} == {
        "grpc/ok": ("pass", "pass"),
        "grpc/keras": ("fail", "expected"),
        "grpc/fixed": ("pass", "unexpected"),
        "grpc/broken": ("fail", "unexpected"),
    }
    assert rows["grpc/keras"]["expected_failure"] == "keras 3 export"
    assert "expected_failure" not in rows["grpc/fixed"]
    assert "passes" in str(rows["grpc/fixed"]["why"])
    assert rows["inproc/ok"]["status"] == "missing" and rows["inproc/ok"]["verdict"] == "unexpected"
    assert rows["grpc/ok"]["exact"] is False


def test_failures_json_lists_each_unexpected_outcome_with_a_rerun(written: Path) -> None:
    failures = json.loads((written / "failures.json").read_text())
    rows = {f["mode"] + "/" + f["case"]: f for f in failures if f["kind"] == "row"}
    assert "grpc/broken" in rows and "grpc/fixed" in rows and "inproc/ok" in rows
    assert "grpc/ok" not in rows and "grpc/keras" not in rows
    rerun = rows["grpc/broken"]["rerun"]
    assert "--clients c --modes grpc --cases " in rerun and "/cases/m " in rerun
    assert " judge --cases " in rerun and " --clients c --modes grpc" in rerun
    assert all(part.startswith("/") for part in rerun.split() if "/cases/" in part)
    assert "y[0,1]" in rows["grpc/broken"]["why"]
    [stale] = [f for f in failures if f["kind"] == "stale-entry"]
    assert stale["entry"].startswith("grpc/m/gone") and "matches no row" in stale["why"]
    assert " judge --cases " in stale["rerun"] and "--clients c" in stale["rerun"]


def test_interop_md_counts_passes_expected_and_unexpected(written: Path) -> None:
    text = (written / "interop.md").read_text()
    assert "| c | grpc | 1/4 (1 xf) 2 ! |" in text
    assert "| c | inproc | missing ! |" in text
    assert "## Unexpected outcomes (" in text and "stale entry" in text
    assert "keras 3 export" in text.split("## Expected failures (1)")[1]
