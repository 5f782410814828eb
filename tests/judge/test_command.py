"""`tfinterop judge`: a verdict for a client run on its own, with the user's --expect files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tests.judge.builders import Build, predict
from tfinterop.judge import command
from tfinterop.serving.errors import UsageError

Y = np.array([[0.25, 0.5, 0.25]], np.float32)
CLIENT = "java"  # a real client name: `judge` knows the four


@pytest.fixture
def build(tmp_path: Path) -> Build:
    """Model m, two cases; java ran grpc alone: `ok` matches, `int8` failed as TF Java does."""
    b = Build(tmp_path / "build")
    b.case_set(
        "m",
        [
            {"id": "ok", "response": predict({"y": Y})},
            {"id": "int8", "response": predict({"y": Y})},
        ],
        producer_build=None,
    )
    b.response("grpc", "ok", predict({"y": Y}), client=CLIENT)
    b.error("grpc", "int8", "INVALID_ARGUMENT", "no tensor class for DT_INT8", client=CLIENT)
    return b


def _judge(b: Build, *expect: Path, report: Path | None = None) -> int:
    return command.main([b.root / "cases"], b.root / "results", None, None, list(expect), report)


def test_a_client_run_alone_gets_its_row_and_the_failure_once(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _judge(build, report=tmp_path / "report") == 1
    out = capsys.readouterr().out
    assert "| java | grpc | 1/2 1 ! |" in out
    assert "| java | inproc |" not in out, "modes the client did not run are not judged"
    assert out.count("no tensor class for DT_INT8") == 1
    assert "judge m: FAIL" in out
    [failure] = json.loads((tmp_path / "report" / "failures.json").read_text())
    assert failure["case"] == "int8"


def test_a_user_entry_makes_the_known_limitation_an_expected_failure(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = tmp_path / "accepted.txt"
    expect.write_text(
        "# our accepted differences\n"
        'java/grpc/m/int8  INVALID_ARGUMENT  "DT_INT8"  TF Java 1.1.0 has no int8 tensor\n'
    )
    assert _judge(build, expect) == 0
    assert "| java | grpc | 1/2 (1 xf) |" in capsys.readouterr().out


def test_a_client_named_file_uses_the_package_format(build: Build, tmp_path: Path) -> None:
    expect = tmp_path / "java.txt"
    expect.write_text('grpc/m/int8  INVALID_ARGUMENT  "DT_INT8"  TF Java has no int8 tensor\n')
    assert _judge(build, expect) == 0


def test_a_user_entry_that_states_the_wrong_failure_or_covers_nothing_fails(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text('java/grpc/m/int8  UNIMPLEMENTED  ""  stated the wrong code\n')
    assert _judge(build, wrong) == 1
    stale = tmp_path / "stale.txt"
    stale.write_text(
        'java/grpc/m/int8  INVALID_ARGUMENT  "DT_INT8"  accepted\n'
        'java/grpc/m/gone  INTERNAL  ""  a case that no longer exists\n'
    )
    assert _judge(build, stale) == 1
    assert "stale entry" in capsys.readouterr().out


def test_a_malformed_user_entry_is_a_usage_error_naming_file_and_line(
    build: Build, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text('\nrust/grpc/m/int8  INTERNAL  ""  not a client\n')
    with pytest.raises(UsageError, match=r"bad.txt:2: 'rust' is not a client"):
        _judge(build, bad)
    bad.write_text('java/grpc/m/int8  NOT_A_CODE  ""  reason\n')
    with pytest.raises(UsageError, match=r"bad.txt:1: outcome 'NOT_A_CODE'"):
        _judge(build, bad)
    with pytest.raises(UsageError, match=r"--expect .*absent.txt"):
        _judge(build, tmp_path / "absent.txt")


def test_junit_xml_and_json_hold_the_rows_judge_printed(build: Build, tmp_path: Path) -> None:
    xml_path, json_path = tmp_path / "ci" / "judge.xml", tmp_path / "ci" / "judge.json"
    status = command.main(
        [build.root / "cases"], build.root / "results", None, None, [], None, xml_path, json_path
    )
    assert status == 1
    root = ET.parse(xml_path).getroot()
    # java ran grpc only: judge judges that mode, so two testcases, one of them failing.
    assert (root.attrib["tests"], root.attrib["failures"], root.attrib["errors"]) == ("2", "1", "0")
    [failure] = root.findall(".//testcase[@name='int8']/failure")
    assert "no tensor class for DT_INT8" in failure.attrib["message"]
    rows = json.loads(json_path.read_text())["rows"]
    assert [(r["client"], r["mode"], r["case"], r["verdict"]) for r in rows] == [
        ("java", "grpc", "ok", "pass"),
        ("java", "grpc", "int8", "unexpected"),
    ]


def test_results_of_other_models_are_a_clear_usage_error(build: Build, tmp_path: Path) -> None:
    empty = tmp_path / "empty-results"
    empty.mkdir()
    with pytest.raises(UsageError, match="holds no results for m"):
        command.main([build.root / "cases"], empty, None, None, [], None)
