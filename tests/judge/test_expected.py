"""Expected failures state what is expected: code (REST: HTTP status), HTTP:<status> or
mismatch, plus a message substring; anything else a listed row does fails the suite."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.judge.builders import Build, metadata, predict
from tfinterop.harness import registry
from tfinterop.judge import expected
from tfinterop.serving.errors import ToolError

Y = np.array([[0.25, 0.5, 0.25]], np.float32)
WRONG = np.array([[0.25, 0.75, 0.25]], np.float32)
VAR = "running signature serving_default: Could not find variable dense_1/bias."


@pytest.fixture
def build(tmp_path: Path) -> Build:
    b = Build(tmp_path)
    golden = predict({"y": Y})
    b.case_set(
        "m",
        [
            {"id": "ok", "response": golden},
            {"id": "sig", "error": "FAILED_PRECONDITION"},
            {"id": "f16", "response": golden, "transport_errors": {"rest": "UNIMPLEMENTED"}},
            {"id": "metadata", "api": "metadata", "response": metadata()},
        ],
    )
    return b


Result = Callable[[Build, str, str], None]


def err(code: str, message: str, http: int | None = None) -> Result:
    return lambda b, mode, case: b.error(mode, case, code, message, http)


def answer(values: np.ndarray) -> Result:
    return lambda b, mode, case: b.response(mode, case, predict({"y": values}))


def skip(b: Build, mode: str, case: str) -> None:
    b.skipped(mode, case)


def nothing(b: Build, mode: str, case: str) -> None:
    b.results(mode)  # the client ran, but wrote nothing for this case


# (id, entry, mode, case, result, verdict, words the verdict's message must hold)
MATCHING = [
    (
        "code and substring",
        'grpc/m/ok  FAILED_PRECONDITION  "Could not find variable"  keras',
        "grpc",
        "ok",
        err("FAILED_PRECONDITION", VAR),
        "expected",
        ["keras", "FAILED_PRECONDITION"],
    ),
    (
        "another code",
        'grpc/m/ok  FAILED_PRECONDITION  "Could not find variable"  keras',
        "grpc",
        "ok",
        err("INVALID_ARGUMENT", VAR),
        "unexpected",
        ['expects FAILED_PRECONDITION "Could not find variable"', "got INVALID_ARGUMENT"],
    ),
    (
        "substring absent",
        'grpc/m/ok  FAILED_PRECONDITION  "Could not find variable"  keras',
        "grpc",
        "ok",
        err("FAILED_PRECONDITION", "something else"),
        "unexpected",
        ['"something else"'],
    ),
    (
        "substring is case-sensitive",
        'grpc/m/ok  FAILED_PRECONDITION  "could not find variable"  k',
        "grpc",
        "ok",
        err("FAILED_PRECONDITION", VAR),
        "unexpected",
        [],
    ),
    (
        "empty substring accepts any message",
        'grpc/m/ok  FAILED_PRECONDITION  ""  keras',
        "grpc",
        "ok",
        err("FAILED_PRECONDITION", "anything"),
        "expected",
        [],
    ),
    (
        "rest through the HTTP status",
        'rest/m/ok  FAILED_PRECONDITION  "Could not find variable"  k',
        "rest",
        "ok",
        err("INVALID_ARGUMENT", VAR, 400),
        "expected",
        [],
    ),
    (
        "rest, another HTTP status",
        'rest/m/ok  FAILED_PRECONDITION  "Could not find variable"  k',
        "rest",
        "ok",
        err("NOT_FOUND", VAR, 404),
        "unexpected",
        ["HTTP 404"],
    ),
    (
        "HTTP status entry",
        'rest/m/ok  HTTP:501  "to type: half"  float16',
        "rest",
        "ok",
        err("UNIMPLEMENTED", "Conversion of JSON Value: 1 to type: half", 501),
        "expected",
        [],
    ),
    (
        "HTTP status entry, another status",
        'rest/m/ok  HTTP:501  ""  float16',
        "rest",
        "ok",
        err("INVALID_ARGUMENT", "x", 400),
        "unexpected",
        ["HTTP:501"],
    ),
    (
        "HTTP status entry on a gRPC row",
        'grpc/m/ok  HTTP:501  ""  float16',
        "grpc",
        "ok",
        err("UNIMPLEMENTED", "x"),
        "unexpected",
        [],
    ),
    (
        "gRPC code entry does not match by HTTP class",
        'grpc/m/ok  FAILED_PRECONDITION  ""  k',
        "grpc",
        "ok",
        err("OUT_OF_RANGE", "x"),
        "unexpected",
        [],
    ),
    (
        "mismatch",
        'grpc/m/ok  mismatch  "y[0,1]: got 0.75"  kernel differs',
        "grpc",
        "ok",
        answer(WRONG),
        "expected",
        ["kernel differs"],
    ),
    (
        "mismatch, substring absent",
        'grpc/m/ok  mismatch  "y[0,2]"  kernel differs',
        "grpc",
        "ok",
        answer(WRONG),
        "unexpected",
        ['mismatch "y[0,1]'],
    ),
    (
        "mismatch entry, the client got an error",
        'grpc/m/ok  mismatch  ""  kernel differs',
        "grpc",
        "ok",
        err("INTERNAL", "boom"),
        "unexpected",
        ["got INTERNAL"],
    ),
    (
        "code entry, the client answered wrongly",
        'grpc/m/ok  INTERNAL  ""  k',
        "grpc",
        "ok",
        answer(WRONG),
        "unexpected",
        ["mismatch"],
    ),
    (
        "mismatch: a response where an error is expected",
        'grpc/m/sig  mismatch  "got a response"  k',
        "grpc",
        "sig",
        answer(Y),
        "expected",
        [],
    ),
    (
        "error case, the client got another code",
        'grpc/m/sig  NOT_FOUND  "no model"  k',
        "grpc",
        "sig",
        err("NOT_FOUND", "no model m"),
        "expected",
        [],
    ),
    (
        "listed but passes",
        'grpc/m/ok  FAILED_PRECONDITION  ""  keras',
        "grpc",
        "ok",
        answer(Y),
        "unexpected",
        ["passes", "remove the entry"],
    ),
    (
        "listed but missing",
        'grpc/m/ok  FAILED_PRECONDITION  ""  keras',
        "grpc",
        "ok",
        nothing,
        "unexpected",
        ["missing", 'expects FAILED_PRECONDITION ""'],
    ),
    (
        "listed but skipped",
        'grpc/m/ok  FAILED_PRECONDITION  ""  keras',
        "grpc",
        "ok",
        skip,
        "unexpected",
        ["skipped"],
    ),
    (
        "@runs covers cases expecting outputs",
        'grpc/m/@runs  INTERNAL  ""  k',
        "grpc",
        "ok",
        err("INTERNAL", "x"),
        "expected",
        [],
    ),
    (
        "@runs covers no error case",
        'grpc/m/@runs  NOT_FOUND  ""  k',
        "grpc",
        "sig",
        err("NOT_FOUND", "x"),
        "unexpected",
        [],
    ),
    (
        "@runs follows transport_errors",
        'rest/m/@runs  INTERNAL  ""  k',
        "rest",
        "f16",
        err("INTERNAL", "x", 500),
        "unexpected",
        [],
    ),
    (
        "@error follows transport_errors",
        'rest/m/@error  INTERNAL  ""  k',
        "rest",
        "f16",
        err("INTERNAL", "x", 500),
        "expected",
        [],
    ),
    (
        "@error is a response case over grpc",
        'grpc/m/@error  INTERNAL  ""  k',
        "grpc",
        "f16",
        err("INTERNAL", "x"),
        "unexpected",
        [],
    ),
    ("globs", '*/?/o*  INTERNAL  ""  k', "inproc", "ok", err("INTERNAL", "x"), "expected", []),
]


@pytest.mark.parametrize(
    ("line", "mode", "case", "result", "kind", "words"),
    [c[1:] for c in MATCHING],
    ids=[c[0] for c in MATCHING],
)
def test_expected_failure_matching(
    build: Build, line: str, mode: str, case: str, result: Result, kind: str, words: list[str]
) -> None:
    build.expected(line + "\n")
    result(build, mode, case)
    verdict = build.row(mode, case).verdict
    assert verdict.kind == kind, verdict.message
    for word in words:
        assert word in verdict.message, verdict.message


def test_an_unlisted_failure_is_unexpected_and_an_unlisted_pass_passes(build: Build) -> None:
    build.error("grpc", "ok", "INTERNAL", "boom")
    build.response("grpc", "metadata", metadata())
    assert build.row("grpc", "ok").verdict.kind == "unexpected"
    assert build.row("grpc", "metadata").verdict.kind == "pass"


def test_an_entry_that_matches_no_row_is_stale(build: Build) -> None:
    build.expected(
        'grpc/m/ok  INTERNAL  ""  real\n'
        'grpc/m/no-such-case  INTERNAL  ""  typo\n'
        'grpc/no-such-model/@runs  INTERNAL  ""  removed model\n'
        'rest/m/@runs  UNIMPLEMENTED  ""  covers no case over rest but ok\n'
    )
    build.error("grpc", "ok", "INTERNAL", "x")
    judgement = build.judge()
    assert [e.pattern for e in judgement.stale] == [
        "grpc/m/no-such-case",
        "grpc/no-such-model/@runs",
    ]
    assert not judgement.ok


def test_an_entry_whose_mode_has_no_such_case_is_stale(build: Build) -> None:
    build.case_set("m", [{"id": "classify", "response": predict({"y": Y}), "transports": ["grpc"]}])
    build.expected('inproc/m/classify  INTERNAL  ""  inproc never runs it\n')
    assert [e.pattern for e in build.judge().stale] == ["inproc/m/classify"]


def test_entries_for_models_not_judged_are_out_of_scope(build: Build) -> None:
    build.case_set("other", [{"id": "x", "response": predict({"y": Y})}])
    build.expected('grpc/m/ok  INTERNAL  ""  m only\n')
    judgement = build.judge(models=["other"])
    assert judgement.entries == [] and judgement.stale == []
    assert [e.pattern for e in build.judge().entries] == ["grpc/m/ok"]


def test_the_suite_passes_with_only_expected_failures(build: Build) -> None:
    build.expected('*/m/@runs  INTERNAL  "boom"  k\n*/m/@error  INTERNAL  "boom"  k\n')
    for mode in ("inproc", "grpc", "rest"):
        for case in ("ok", "sig", "f16"):
            build.error(mode, case, "INTERNAL", "boom", 500 if mode == "rest" else None)
        build.response(mode, "metadata", metadata())
    judgement = build.judge()
    assert judgement.ok, [r.verdict.message for r in judgement.rows if not r.ok]
    assert {r.verdict.kind for r in judgement.rows} == {"expected", "pass"}


def test_the_first_entry_that_states_the_failure_wins(build: Build) -> None:
    build.expected(
        'grpc/m/ok  NOT_FOUND  ""  first\n'
        'grpc/m/ok  INTERNAL  ""  second\n'
        'grpc/m/ok  INTERNAL  "x"  third\n'
    )
    build.error("grpc", "ok", "INTERNAL", "x")
    verdict = build.row("grpc", "ok").verdict
    assert (
        verdict.kind == "expected"
        and verdict.entry is not None
        and verdict.entry.reason == "second"
    )


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("grpc/m/ok  INTERNAL  keras", "double-quoted"),
        ('grpc/m/ok  INTERNAL  "unterminated  keras', "unterminated"),
        ('grpc/m/ok  INTERNAL  "x"', "no reason"),
        ('grpc/m/ok  INTERNAL  "x"   ', "no reason"),
        ('grpc/m/ok  OK  "x"  reason', "not a canonical code"),
        ('grpc/m/ok  NOT_A_CODE  "x"  reason', "not a canonical code"),
        ('grpc/m/ok  invalid_argument  "x"  reason', "not a canonical code"),
        ('grpc/m/ok  HTTP:4xx  "x"  reason', "not a canonical code"),
        ('grpc/m/ok  HTTP:99  "x"  reason', "not a canonical code"),
        ('grpc/m  INTERNAL  "x"  reason', "is not mode/model/case-glob"),
        ('grpc//ok  INTERNAL  "x"  reason', "is not mode/model/case-glob"),
        ("grpc/m/ok  keras", "want `mode/model/case-glob"),
        ("grpc/m/@runs  Keras 3 tf.saved_model.save writes ...", "not a canonical code"),
    ],
)
def test_a_malformed_entry_names_file_and_line(line: str, words: str) -> None:
    with pytest.raises(ToolError) as e:
        expected.parse(f"# header\n\n{line}\n", "c", "c.txt")
    assert str(e.value).startswith("c.txt:3: ") and words in str(e.value)


def test_an_entry_parses_into_its_parts() -> None:
    [e] = expected.parse(
        'rest/m/x*  HTTP:501  "say \\"half\\" \\\\ ok"  float16: no JSON  (json_tensor.cc)\n',
        "c",
        "c.txt",
    )
    assert (e.pattern, e.outcome, e.substring, e.reason, e.source) == (
        "rest/m/x*",
        "HTTP:501",
        'say "half" \\ ok',
        "float16: no JSON  (json_tensor.cc)",
        "c.txt:1",
    )


def test_the_package_lists_are_found_from_any_folder(tmp_path: Path) -> None:
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        entries = {c: expected.load(c) for c in registry.names()}
    finally:
        os.chdir(here)
    assert all(entries.values()), entries
    assert all(
        e.source.startswith("tfinterop/judge/expected_failures/")
        for es in entries.values()
        for e in es
    )


def test_a_client_without_a_list_expects_nothing(tmp_path: Path) -> None:
    assert expected.load("nobody", tmp_path) == []
