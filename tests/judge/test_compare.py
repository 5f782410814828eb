"""One case against a client's result: kinds of result, error codes per transport,
transport_errors, model_spec, output names, dtype, shape, argmax."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.judge.builders import Build, predict, tensor
from tfinterop.judge.compare import compare_outputs, compare_tensor
from tfinterop.judge.values import Tolerance

TOL = Tolerance(atol=1e-6, rtol=1e-5)
Y = np.array([[0.25, 0.5, 0.25]], np.float32)


# (id, want outputs, got outputs, failure substring or "" for a pass)
OUTPUT_CASES = [
    ("same", {"y": tensor(Y)}, {"y": tensor(Y)}, ""),
    ("same values as tensor_content", {"y": tensor(Y)}, {"y": tensor(Y, content=True)}, ""),
    ("dtype", {"y": tensor(Y)}, {"y": tensor(Y.astype(np.float64))}, "y: dtype double != float"),
    (
        "int dtype",
        {"k": tensor([1, 2], np.int64)},
        {"k": tensor([1, 2], np.int32)},
        "k: dtype int32 != int64",
    ),
    ("shape transposed", {"y": tensor(Y)}, {"y": tensor(Y.T.copy())}, "y: shape [3, 1] != [1, 3]"),
    ("rank", {"y": tensor(Y)}, {"y": tensor(Y[0])}, "y: shape [3] != [1, 3]"),
    (
        "scalar vs [1]",
        {"y": tensor(np.float32(1))},
        {"y": tensor([1.0], np.float32)},
        "y: shape [1] != []",
    ),
    ("missing output", {"a": tensor(Y), "b": tensor(Y)}, {"a": tensor(Y)}, "missing outputs ['b']"),
    ("extra output", {"a": tensor(Y)}, {"a": tensor(Y), "c": tensor(Y)}, "extra outputs ['c']"),
    (
        "renamed output",
        {"a": tensor(Y)},
        {"b": tensor(Y)},
        "missing outputs ['a']; extra outputs ['b']",
    ),
    (
        "second output differs",
        {"a": tensor(Y), "b": tensor([1], np.int64)},
        {"a": tensor(Y), "b": tensor([2], np.int64)},
        "b[0]: got 2, want 1",
    ),
]


@pytest.mark.parametrize(
    ("want", "got", "failure"), [c[1:] for c in OUTPUT_CASES], ids=[c[0] for c in OUTPUT_CASES]
)
def test_outputs_compare_names_dtype_shape_values(
    want: dict[str, Any], got: dict[str, Any], failure: str
) -> None:
    check = compare_outputs(want, got, False, TOL, set())
    assert check.failure == failure or (failure and check.failure.startswith(failure)), check


# (id, want, got, passes) with a tolerance wide enough that only the argmax can fail.
ARGMAX_CASES = [
    ("same top class", [[0.1, 0.7, 0.2]], [[0.1, 0.69, 0.21]], True),
    ("top class flips within tolerance", [[0.1, 0.5, 0.45]], [[0.1, 0.45, 0.5]], False),
    ("tie in the golden, answer picks a tied class", [[0.4, 0.4, 0.2]], [[0.4, 0.41, 0.19]], True),
    ("tie in the golden, answer picks the first", [[0.4, 0.4, 0.2]], [[0.41, 0.4, 0.19]], True),
    ("tie in the answer", [[0.4, 0.41, 0.19]], [[0.4, 0.4, 0.2]], True),
    ("ties that share a class", [[0.4, 0.4, 0.3]], [[0.3, 0.4, 0.4]], True),
    (
        "tie in the golden, answer picks an untied class",
        [[0.4, 0.4, 0.35]],
        [[0.38, 0.38, 0.43]],
        False,
    ),
    ("second row flips", [[0.9, 0.1], [0.45, 0.55]], [[0.9, 0.1], [0.55, 0.45]], False),
]


@pytest.mark.parametrize(
    ("want", "got", "passes"), [c[1:] for c in ARGMAX_CASES], ids=[c[0] for c in ARGMAX_CASES]
)
def test_argmax_outputs_must_agree_on_the_top_class(
    want: list[list[float]], got: list[list[float]], passes: bool
) -> None:
    wide = Tolerance(atol=0.2, rtol=0)
    check = compare_tensor(
        "p", tensor(want, np.float32), tensor(got, np.float32), False, wide, True
    )
    assert check.ok == passes, check.failure
    # Without argmax_outputs the same values pass: they are within the tolerance.
    assert compare_tensor(
        "p", tensor(want, np.float32), tensor(got, np.float32), False, wide, False
    ).ok


def test_an_argmax_failure_names_the_row_and_classes() -> None:
    check = compare_tensor(
        "p",
        tensor([[0.9, 0.1], [0.45, 0.55]], np.float32),
        tensor([[0.9, 0.1], [0.55, 0.45]], np.float32),
        False,
        Tolerance(0.2, 0),
        True,
    )
    assert check.failure == "p[1]: argmax [0] != [1]"


@pytest.fixture
def build(tmp_path: Path) -> Build:
    b = Build(tmp_path)
    golden = predict({"y": Y})
    b.case_set(
        "m",
        [
            {"id": "ok", "response": golden, "argmax_outputs": ["y"]},
            {"id": "sig", "error": "FAILED_PRECONDITION"},
            {"id": "f16", "response": golden, "transport_errors": {"rest": "UNIMPLEMENTED"}},
            {"id": "grpc-only", "response": golden, "transports": ["grpc"]},
        ],
    )
    return b


# (id, mode, what the client recorded for case "sig" (expects FAILED_PRECONDITION), passes)
ERROR_CASES = [
    ("grpc same code", "grpc", ("FAILED_PRECONDITION", None), True),
    ("grpc other code", "grpc", ("INVALID_ARGUMENT", None), False),
    ("inproc same code", "inproc", ("FAILED_PRECONDITION", None), True),
    ("inproc other code of the same HTTP status", "inproc", ("OUT_OF_RANGE", None), False),
    ("rest 400 reported as INVALID_ARGUMENT", "rest", ("INVALID_ARGUMENT", 400), True),
    ("rest 404", "rest", ("NOT_FOUND", 404), False),
    ("rest 500", "rest", ("INTERNAL", 500), False),
    ("rest status wins over the code", "rest", ("FAILED_PRECONDITION", 404), False),
    ("rest without http_status, from the code", "rest", ("FAILED_PRECONDITION", None), True),
    ("rest without http_status, code of another status", "rest", ("UNIMPLEMENTED", None), False),
]


@pytest.mark.parametrize(
    ("mode", "recorded", "passes"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_error_codes_per_transport(
    build: Build, mode: str, recorded: tuple[str, int | None], passes: bool
) -> None:
    build.error(mode, "sig", recorded[0], 'Serving signature key "x" not found.', recorded[1])
    outcome = build.row(mode, "sig").outcome
    assert (outcome.status == "pass") == passes, outcome.detail


def test_a_rest_error_failure_names_expected_and_got_status(build: Build) -> None:
    build.error("rest", "sig", "NOT_FOUND", "no such model", 404)
    detail = build.row("rest", "sig").outcome.detail
    assert (
        detail == "expected FAILED_PRECONDITION (HTTP 400), got HTTP 404 NOT_FOUND: no such model"
    )


def test_a_response_where_an_error_is_expected_fails(build: Build) -> None:
    build.response("grpc", "sig", predict({"y": Y}))
    outcome = build.row("grpc", "sig").outcome
    assert outcome.status == "fail" and outcome.mismatch
    assert outcome.detail == "expected error FAILED_PRECONDITION, got a response"


def test_an_error_where_a_response_is_expected_fails(build: Build) -> None:
    build.error("grpc", "ok", "INTERNAL", "boom")
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "fail" and not outcome.mismatch
    assert outcome.detail == "expected a response, got INTERNAL: boom"


# (id, mode, result for case "f16", passes): TF Serving answers UNIMPLEMENTED over REST only.
TRANSPORT_ERROR_CASES = [
    ("rest answers the transport error", "rest", ("error", "UNIMPLEMENTED", 501), True),
    ("rest answers the golden response", "rest", ("response",), False),
    ("rest answers another error", "rest", ("error", "INVALID_ARGUMENT", 400), False),
    ("grpc answers the golden response", "grpc", ("response",), True),
    ("grpc answers the REST error", "grpc", ("error", "UNIMPLEMENTED", None), False),
    ("inproc answers the golden response", "inproc", ("response",), True),
]


@pytest.mark.parametrize(
    ("mode", "result", "passes"),
    [c[1:] for c in TRANSPORT_ERROR_CASES],
    ids=[c[0] for c in TRANSPORT_ERROR_CASES],
)
def test_transport_errors_are_the_expected_result_over_their_transport(
    build: Build, mode: str, result: tuple[Any, ...], passes: bool
) -> None:
    if result[0] == "response":
        build.response(mode, "f16", predict({"y": Y}))
    else:
        build.error(
            mode, "f16", result[1], "Conversion of JSON Value: 1.5 to type: half", result[2]
        )
    outcome = build.row(mode, "f16").outcome
    assert (outcome.status == "pass") == passes, outcome.detail


def test_a_transport_error_failure_says_where_the_expectation_comes_from(build: Build) -> None:
    build.response("rest", "f16", predict({"y": Y}))
    assert build.row("rest", "f16").outcome.detail == (
        "expected error UNIMPLEMENTED (HTTP 501) over rest (transport_errors), got a response"
    )


def test_a_missing_result_file_is_missing(build: Build) -> None:
    build.response("grpc", "sig", predict({"y": Y}))  # the folder exists, "ok" has no file
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "missing" and "no result file for ok" in outcome.detail


def test_a_client_without_results_is_missing_on_every_row(build: Build) -> None:
    rows = build.judge().rows
    assert rows and {r.outcome.status for r in rows} == {"missing"}
    assert "c produced no results for grpc/m" in build.row("grpc", "ok").outcome.detail


def test_several_result_files_fail(build: Build) -> None:
    build.response("grpc", "ok", predict({"y": Y}))
    build.error("grpc", "ok", "INTERNAL", "and also an error")
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "fail"
    assert outcome.detail == "several result files: ['error.json', 'response.pb']"


def test_a_skipped_case_that_applies_is_not_a_pass(build: Build) -> None:
    build.skipped("grpc", "ok")
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "skipped" and "case does not apply to grpc" in outcome.detail
    assert build.row("grpc", "ok").verdict.kind == "unexpected"


def test_rows_exist_only_for_the_case_transports(build: Build) -> None:
    assert {r.mode for r in build.judge().rows if r.case == "grpc-only"} == {"grpc"}


def test_an_unreadable_error_file_fails(build: Build) -> None:
    (build.results("grpc") / "ok.error.json").write_text("{not json")
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "fail" and "does not read as JSON" in outcome.detail


def test_a_response_that_does_not_parse_fails(build: Build) -> None:
    (build.results("grpc") / "ok.response.pb").write_bytes(b"\xff\xff\xff")
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "fail" and "does not parse as a predict response" in outcome.detail


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"model": "other"}, "model_spec.name 'other' != 'm'"),
        ({"version": 2}, "model_spec.version 2 != 1"),
        ({"signature": "sig2"}, "model_spec.signature_name 'sig2' != 'serving_default'"),
    ],
)
@pytest.mark.parametrize("mode", ["grpc", "inproc", "rest"])
def test_model_spec_is_compared_except_over_rest(
    build: Build, spec: dict[str, Any], field: str, mode: str
) -> None:
    build.response(mode, "ok", predict({"y": Y}, **spec))
    outcome = build.row(mode, "ok").outcome
    if mode == "rest":
        assert outcome.status == "pass", outcome.detail
    else:
        assert outcome.status == "fail" and outcome.detail == field


def test_argmax_outputs_of_the_manifest_are_checked(build: Build) -> None:
    build.server_json({"server": "external"})  # tolerance: only the argmax can fail
    build.case_set(
        "m",
        [
            {
                "id": "ok",
                "response": predict({"y": [[0.5, 0.5000001]]}),
                "argmax_outputs": ["y"],
                "tolerance": {"atol": 0.1, "rtol": 0},
            }
        ],
    )
    build.response("grpc", "ok", predict({"y": [[0.5000001, 0.5]]}))
    outcome = build.row("grpc", "ok").outcome
    assert outcome.status == "fail" and "argmax" in outcome.detail
