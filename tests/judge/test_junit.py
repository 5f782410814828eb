"""JUnit XML and JSON rows (tfinterop.judge.junit): the XML parses and counts what the matrix
counts, and a failure says what failed, where, and how to re-run it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tests.judge.builders import CLIENT, Build, predict
from tfinterop.golden.cases import manifest
from tfinterop.judge import junit, report
from tfinterop.judge.matrix import Judgement

Y = np.array([[0.25, 0.5, 0.25]], np.float32)


@pytest.fixture
def judged(tmp_path: Path) -> Judgement:
    """Over grpc: a pass, a mismatch, an expected failure, a missing result, and a case that
    applies to grpc only; inproc and rest wrote nothing (every applicable row missing); one
    stale entry."""
    b = Build(tmp_path / "build")
    b.case_set(
        "m",
        [
            {"id": "ok", "response": predict({"y": Y})},
            {"id": "broken", "response": predict({"y": Y})},
            {"id": "keras", "response": predict({"y": Y})},
            {"id": "lost", "response": predict({"y": Y})},
            {"id": "grpc-only", "response": predict({"y": Y}), "transports": ["grpc"]},
        ],
        producer_build=None,
    )
    b.expected(
        'grpc/m/keras  FAILED_PRECONDITION  "Could not find variable"  keras 3 export\n'
        'grpc/m/gone  INTERNAL  ""  a case that no longer exists\n'
    )
    b.response("grpc", "ok", predict({"y": Y}))
    b.response("grpc", "broken", predict({"y": Y * np.float32(2)}))  # a mutated result
    b.error("grpc", "keras", "FAILED_PRECONDITION", "Could not find variable dense/bias")
    b.response("grpc", "grpc-only", predict({"y": Y}))
    return b.judge()


def _xml(judgement: Judgement, tmp_path: Path) -> ET.Element:
    path = tmp_path / "out" / "junit.xml"
    junit.write_xml(path, [judgement])
    return ET.parse(path).getroot()


def _case(root: ET.Element, mode: str, case: str) -> ET.Element:
    found = root.findall(f".//testcase[@classname='tfinterop.m.{CLIENT}.{mode}'][@name='{case}']")
    assert len(found) == 1, f"{mode}/{case}: {len(found)} testcases"
    return found[0]


def _not_applicable(judgement: Judgement) -> int:
    m = manifest.read(judgement.case_dirs["m"])
    return sum(mode not in case.transports for mode in judgement.modes for case in m.cases)


def test_the_xml_counts_the_matrix_rows(judged: Judgement, tmp_path: Path) -> None:
    root = _xml(judged, tmp_path)
    rows = judged.rows
    missing = sum(r.outcome.status == "missing" for r in rows)
    unexpected = sum(not r.ok for r in rows)
    assert missing == 9 and unexpected == 10, "fixture: 8 inproc/rest rows + lost missing"
    want = {
        "tests": len(rows) + _not_applicable(judged) + len(judged.stale),
        "failures": unexpected - missing + len(judged.stale),
        "errors": missing,
        "skipped": _not_applicable(judged),
    }
    got = {k: int(root.attrib[k]) for k in want}
    assert got == want
    [suite] = root.findall("testsuite")
    assert suite.attrib["name"] == "tfinterop.m"
    assert {k: int(suite.attrib[k]) for k in want} == want
    assert len(suite.findall("testcase")) == want["tests"]
    assert len(suite.findall("testcase/failure")) == want["failures"]
    assert len(suite.findall("testcase/error")) == want["errors"]
    assert len(suite.findall("testcase/skipped")) == want["skipped"]


def test_each_verdict_has_its_junit_element(judged: Judgement, tmp_path: Path) -> None:
    root = _xml(judged, tmp_path)
    assert list(_case(root, "grpc", "ok")) == [], "a pass has no child element"
    [failure] = list(_case(root, "grpc", "broken"))
    assert failure.tag == "failure" and failure.attrib["type"] == "mismatch"
    [error] = list(_case(root, "grpc", "lost"))
    assert error.tag == "error" and error.attrib["type"] == "missing"
    [out] = list(_case(root, "grpc", "keras"))
    assert out.tag == "system-out", "an expected failure passes"
    assert "c.txt:1: grpc/m/keras" in (out.text or "")
    assert "Could not find variable dense/bias" in (out.text or "")
    [skipped] = list(_case(root, "rest", "grpc-only"))
    assert skipped.tag == "skipped" and "does not apply to rest" in skipped.attrib["message"]
    assert list(_case(root, "grpc", "grpc-only")) == []
    [stale] = root.findall(f".//testcase[@classname='tfinterop.m.{CLIENT}.expected-failures']")
    assert stale.attrib["name"].startswith("grpc/m/gone")
    assert stale.find("failure") is not None


def test_a_failure_names_tensor_worst_element_and_rerun(judged: Judgement, tmp_path: Path) -> None:
    root = _xml(judged, tmp_path)
    message = _case(root, "grpc", "broken").find("failure").attrib["message"]  # type: ignore[union-attr]
    assert message.startswith("[mismatch] c/grpc m broken: ")
    # Y * 2 differs most at index [0,1]: got 1.0, want 0.5.
    assert "y[0,1]: got 1.0, want 0.5, abs err 0.5, rel err 1" in message
    [row] = [r for r in judged.rows if (r.mode, r.case) == ("grpc", "broken")]
    rerun = report.rerun_command(row, judged)
    assert message.endswith(f"| re-run: {rerun}")
    assert " judge --cases " in rerun
    error = _case(root, "inproc", "ok").find("error")
    assert error is not None and error.attrib["message"].startswith("[missing] c/inproc m ok: ")
    assert "re-run: " in error.attrib["message"]


def test_json_holds_the_same_rows_and_totals(judged: Judgement, tmp_path: Path) -> None:
    root = _xml(judged, tmp_path)
    path = tmp_path / "rows.json"
    junit.write_json(path, [judged])
    data = json.loads(path.read_text())
    rows = data["rows"]
    assert len(rows) == int(root.attrib["tests"]) == data["totals"]["tests"]
    for key in ("failures", "errors", "skipped"):
        assert data["totals"][key] == int(root.attrib[key])
    assert data["models"]["m"]["verdict"] == "FAIL"
    by_id = {(r["mode"], r["case"]): r for r in rows}
    broken = by_id[("grpc", "broken")]
    assert set(broken) >= {"client", "mode", "model", "case", "status", "verdict", "code"}
    assert (broken["status"], broken["verdict"], broken["outcome"]) == (
        "fail",
        "unexpected",
        "mismatch",
    )
    assert "y[0,1]" in broken["detail"] and broken["rerun"]
    keras = by_id[("grpc", "keras")]
    assert (keras["verdict"], keras["code"], keras["rerun"]) == (
        "expected",
        "FAILED_PRECONDITION",
        None,
    )
    assert keras["expected"].endswith("keras 3 export")
    assert by_id[("grpc", "ok")]["worst"].startswith("max abs err")
    assert by_id[("inproc", "grpc-only")]["verdict"] == "skipped"
    passed = sum(r["verdict"] in ("pass", "expected") for r in rows)
    assert passed == data["totals"]["passed"] + data["totals"]["expected"]


def test_control_characters_in_a_client_message_keep_the_xml_parseable(
    tmp_path: Path,
) -> None:
    b = Build(tmp_path / "build")
    b.case_set("m", [{"id": "x", "response": predict({"y": Y}), "transports": ["grpc"]}])
    b.error("grpc", "x", "INTERNAL", "bad \x00 bytes \x1b[31m and \ud800 from a client")
    root = _xml(b.judge(), tmp_path)
    message = _case(root, "grpc", "x").find("failure").attrib["message"]  # type: ignore[union-attr]
    assert "bad \\x{0} bytes \\x{1b}[31m and \\x{d800} from a client" in message


def test_every_judged_model_is_one_testsuite(tmp_path: Path) -> None:
    b = Build(tmp_path / "build")
    for model in ("b", "a"):
        b.case_set(model, [{"id": "k", "response": predict({"y": Y}, model=model)}])
        for mode in ("inproc", "grpc", "rest"):
            b.response(mode, "k", predict({"y": Y}, model=model), model=model)
    root = _xml(b.judge(), tmp_path)
    suites = {s.attrib["name"]: s.attrib for s in root.findall("testsuite")}
    assert list(suites) == ["tfinterop.a", "tfinterop.b"]
    # Five testcases each: the three rows, and the two v2 modes the case does not apply to.
    assert all(
        (s["tests"], s["failures"], s["errors"], s["skipped"]) == ("5", "0", "0", "2")
        for s in suites.values()
    )


def test_the_summary_and_rows_name_the_server_that_answered(
    judged: Judgement, tmp_path: Path
) -> None:
    Build(judged.results.parent).server_json(
        {"server": "external", "target": "srv:8500", "rest": "http://srv:8501", "version": ""}
    )
    summary = report.render_summary(judged)
    assert summary.startswith("server: external at srv:8500 (gRPC), http://srv:8501 (REST)")
    assert "it reports no version" in summary
    report.write(judged, tmp_path / "report")
    rows = json.loads((tmp_path / "report" / "interop.json").read_text())
    servers = {r["mode"]: r.get("server") for r in rows}
    assert servers == {
        "inproc": None,
        "grpc": "external srv:8500",
        "rest": "external http://srv:8501",
    }
    assert "server: external at srv:8500" in (tmp_path / "report" / "interop.md").read_text()
    prop = _xml(judged, tmp_path).find(".//property[@name='server']")
    assert prop is not None and "external at srv:8500" in prop.attrib["value"]
