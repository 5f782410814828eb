"""The v2 modes against the cases' v2 form: ModelInferResponse model_name, model_version,
output names, datatype, shape and values (typed or raw contents), codes per transport."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from tests.judge.builders import Build, infer, predict
from tfinterop.judge.compare import compare_v2
from tfinterop.judge.values import Tolerance

TOL = Tolerance(atol=1e-6, rtol=1e-5)
# A near tie: the argmax must hold even where the tolerance would not notice a swap.
Y = np.array([[0.25, 0.5, 0.4999999]], np.float32)
K = (np.array([2**62 + 1, -3], np.int64), types_pb2.DT_INT64)
S = (np.array([b"a\x00b", b"\xff"], dtype=object), types_pb2.DT_STRING)
V2 = ["inproc", "grpc", "rest", "v2grpc", "v2rest"]


@pytest.fixture
def build(tmp_path: Path) -> Build:
    b = Build(tmp_path)
    b.case_set(
        "m",
        [
            {
                "id": "ok",
                "response": predict({"y": Y}),
                "argmax_outputs": ["y"],
                "transports": V2,
                "v2": {"response": infer({"y": Y, "k": K, "s": S})},
            },
            {
                "id": "sig",
                "error": "FAILED_PRECONDITION",
                "transports": V2,
                "v2": {"error": "FAILED_PRECONDITION"},
            },
            {"id": "no-v2", "response": predict({"y": Y})},
            {
                "id": "v2-refuses",
                "response": predict({"y": Y}),
                "transports": V2,
                "v2": {"error": "INVALID_ARGUMENT"},
            },
        ],
    )
    return b


# (id, what the client answered for "ok", failure substring or "" for a pass)
RESPONSE_CASES: list[tuple[str, Any, str]] = [
    ("same, typed contents", infer({"y": Y, "k": K, "s": S}), ""),
    ("same, raw contents", infer({"y": Y, "k": K, "s": S}, raw=True), ""),
    ("outputs in another order", infer({"s": S, "k": K, "y": Y}), ""),
    ("within tolerance", infer({"y": Y + 1e-7, "k": K, "s": S}), ""),
    ("beyond tolerance", infer({"y": Y + 1e-3, "k": K, "s": S}), "outside atol=1e-06 rtol=1e-05"),
    ("model_name", infer({"y": Y, "k": K, "s": S}, model="other"), "model_name 'other' != 'm'"),
    ("model_version", infer({"y": Y, "k": K, "s": S}, version="2"), "model_version '2' != '1'"),
    ("missing output", infer({"y": Y, "k": K}), "missing outputs ['s']"),
    ("extra output", infer({"y": Y, "k": K, "s": S, "z": Y}), "extra outputs ['z']"),
    (
        "datatype",
        infer({"y": (Y.astype(np.float64), types_pb2.DT_DOUBLE), "k": K, "s": S}),
        "y: datatype FP64 != FP32",
    ),
    ("shape", infer({"y": Y.T.copy(), "k": K, "s": S}), "y: shape [3, 1] != [1, 3]"),
    (
        "int64 above 2^53 off by one",
        infer({"y": Y, "k": (K[0] + np.array([1, 0]), types_pb2.DT_INT64), "s": S}),
        "k[0]: got 4611686018427387906, want 4611686018427387905",
    ),
    (
        "string bytes",
        infer({"y": Y, "k": K, "s": (np.array([b"a\x00b", b"\xfe"], dtype=object), 7)}),
        "s[1]: got b'\\xfe', want b'\\xff'",
    ),
    (
        "argmax flips within tolerance",
        infer({"y": np.array([[0.25, 0.4999999, 0.5]], np.float32), "k": K, "s": S}),
        "y[0]: argmax [2] != [1]",
    ),
]


@pytest.mark.parametrize(
    ("got", "failure"), [c[1:] for c in RESPONSE_CASES], ids=[c[0] for c in RESPONSE_CASES]
)
@pytest.mark.parametrize("mode", ["v2grpc", "v2rest"])
def test_v2_responses_compare_name_version_outputs(
    build: Build, mode: str, got: Any, failure: str
) -> None:
    build.response(mode, "ok", got)
    outcome = build.row(mode, "ok").outcome
    if failure:
        assert outcome.status == "fail" and outcome.mismatch, outcome
        assert failure in outcome.detail, outcome.detail
    else:
        assert outcome.status == "pass", outcome.detail


def test_raw_contents_that_do_not_fit_the_shape_fail(build: Build) -> None:
    got = infer({"y": Y, "k": K, "s": S}, raw=True)
    got.raw_output_contents[0] = got.raw_output_contents[0][:-4]
    build.response("v2grpc", "ok", got)
    outcome = build.row("v2grpc", "ok").outcome
    assert outcome.status == "fail"
    assert outcome.detail.startswith("outputs do not decode: tensor 'y': 8 raw bytes"), outcome


def test_raw_contents_for_some_outputs_only_fail(build: Build) -> None:
    got = infer({"y": Y, "k": K, "s": S}, raw=True)
    del got.raw_output_contents[2]
    build.response("v2grpc", "ok", got)
    assert "2 raw_output_contents for 3 outputs" in build.row("v2grpc", "ok").outcome.detail


def test_the_v2_golden_is_the_expected_response_not_the_predict_one(build: Build) -> None:
    build.response("v2grpc", "ok", predict({"y": Y}))  # a PredictResponse in a v2 row
    outcome = build.row("v2grpc", "ok").outcome
    assert outcome.status == "fail"


# (id, mode, what the client recorded for "sig" (expects FAILED_PRECONDITION), passes)
ERROR_CASES = [
    ("v2grpc same code", "v2grpc", ("FAILED_PRECONDITION", None), True),
    ("v2grpc other code of the same HTTP status", "v2grpc", ("INVALID_ARGUMENT", None), False),
    ("v2rest 400 reported as INVALID_ARGUMENT", "v2rest", ("INVALID_ARGUMENT", 400), True),
    ("v2rest 404", "v2rest", ("NOT_FOUND", 404), False),
]


@pytest.mark.parametrize(
    ("mode", "recorded", "passes"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_v2_error_codes_per_transport(
    build: Build, mode: str, recorded: tuple[str, int | None], passes: bool
) -> None:
    build.error(mode, "sig", recorded[0], 'Serving signature key "x" not found.', recorded[1])
    outcome = build.row(mode, "sig").outcome
    assert (outcome.status == "pass") == passes, outcome.detail


def test_a_v2_response_where_the_v2_form_expects_an_error_fails(build: Build) -> None:
    build.response("v2grpc", "sig", infer({"y": Y}))
    outcome = build.row("v2grpc", "sig").outcome
    assert outcome.detail == "expected error FAILED_PRECONDITION, got a response"


def test_a_case_without_a_v2_form_has_no_v2_row(build: Build) -> None:
    build.response("v2grpc", "ok", infer({"y": Y, "k": K, "s": S}))
    cases = {(r.mode, r.case) for r in build.judge().rows}
    assert ("grpc", "no-v2") in cases
    assert ("v2grpc", "no-v2") not in cases and ("v2rest", "no-v2") not in cases


def test_compare_v2_is_bit_exact_when_asked() -> None:
    want = infer({"y": Y})
    near = infer({"y": np.nextafter(Y, np.float32(1))})
    assert compare_v2(want, near, False, TOL, set()).ok
    assert "not bit-identical" in compare_v2(want, near, True, TOL, set()).failure


@pytest.mark.parametrize("mode", ["v2grpc", "v2rest"])
def test_the_v2_form_states_its_own_outcome(build: Build, mode: str) -> None:
    """A case may answer over TF Serving's API and be refused over v2: the v2 form says so."""
    build.error(mode, "v2-refuses", "INVALID_ARGUMENT", "no", 400 if mode == "v2rest" else None)
    assert build.row(mode, "v2-refuses").outcome.status == "pass"
    build.response("grpc", "v2-refuses", predict({"y": Y}))
    assert build.row("grpc", "v2-refuses").outcome.status == "pass"
