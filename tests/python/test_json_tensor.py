"""The server's REST JSON codec follows TF Serving's json_tensor.cc.

What the shared codec vectors cover (test_rest_vectors.py: the server reads every encode
body, writes every decode body) is not repeated here."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from tfinterop.server import json_tensor
from tfinterop.serving.errors import Code, ServingError

F32 = types_pb2.DT_FLOAT


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (16777217.0, "16777216.0"),
        (1e-45, "1.4013e-45"),
        (3.4028235e38, "3.40282347e+38"),
        (1.0, "1.0"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_float32_written_shortest_that_round_trips(value: float, text: str) -> None:
    v = float(np.float32(value))
    assert json_tensor.format_float(v, double=False) == text
    if np.isfinite(v):
        assert np.float32(float(text)) == np.float32(v)


def test_b64_strings_and_bytes_outputs() -> None:
    doc = json_tensor.parse(b'{"inputs": [{"b64": "/w=="}, "caf\\u00e9"]}')
    arrays, _ = json_tensor.predict_inputs(doc, {"s": types_pb2.DT_STRING})
    assert list(arrays["s"]) == [b"\xff", "café".encode()]
    body = json_tensor.tensors_json(
        {"out_bytes": (arrays["s"], types_pb2.DT_STRING)}, json_tensor.COLUMNAR
    )
    assert json.loads(body)["outputs"] == [{"b64": "/w=="}, {"b64": "Y2Fmw6k="}]


@pytest.mark.parametrize(
    ("body", "dtypes", "code"),
    [
        (b"", {"x": F32}, Code.INVALID_ARGUMENT),
        (b"{not json", {"x": F32}, Code.INVALID_ARGUMENT),
        (b"[1]", {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"instances": [1], "inputs": [1]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"signature_name": 3, "inputs": [1]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1.5]}', {"x": types_pb2.DT_INT32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [16777217]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1e39]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [[1, 2], [3]]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [true]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": ["a"]}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b'{"inputs": [1]}', {"x": types_pb2.DT_HALF}, Code.UNIMPLEMENTED),
        (b'{"instances": []}', {"x": F32}, Code.INVALID_ARGUMENT),
        (b"[" * 100000 + b"]" * 100000, {"x": F32}, Code.INVALID_ARGUMENT),
        (
            b'{"inputs": ' + b"[" * 3000 + b"1" + b"]" * 3000 + b"}",
            {"x": F32},
            Code.INVALID_ARGUMENT,
        ),
    ],
    ids=[
        "empty",
        "malformed",
        "not-object",
        "both-keys",
        "signature-not-string",
        "decimal-to-int",
        "lossy-int-to-float",
        "float-out-of-range",
        "ragged",
        "bool-to-float",
        "string-to-float",
        "half-unimplemented",
        "no-instances",
        "deep-nesting",
        "deep-list",
    ],
)
def test_bad_request_gets_tf_serving_code(body: bytes, dtypes: dict[str, int], code: Code) -> None:
    with pytest.raises(ServingError) as e:
        doc = json_tensor.parse(body)
        json_tensor.signature_name(doc)
        json_tensor.predict_inputs(doc, dtypes)
    assert e.value.code == code


BULK_CASES = [
    pytest.param([[0.5, 0, 1], [2.25, -3, 1e-7]], F32, True, id="float-mixed-ints"),
    pytest.param([[1, 2], [3, 4]], types_pb2.DT_INT32, True, id="int32"),
    pytest.param([[2**40, -(2**40)]], types_pb2.DT_INT64, True, id="int64"),
    pytest.param([0.1, float("nan"), float("inf")], types_pb2.DT_DOUBLE, True, id="double"),
    pytest.param([[1.0, 2.0], [3.0]], F32, False, id="ragged"),
    pytest.param([[1.0, True]], F32, False, id="bool-in-floats"),
    pytest.param([[1.0, "2"]], F32, False, id="string-in-floats"),
    pytest.param([[1.0, [2.0]], [3.0, 4.0]], F32, False, id="list-at-leaf-level"),
    pytest.param([2**24], F32, False, id="int-not-lossless-as-float"),
    pytest.param([2**31], types_pb2.DT_INT32, False, id="int32-out-of-range"),
    pytest.param([1.5], types_pb2.DT_INT32, False, id="float-for-int"),
    pytest.param([3.5e38], F32, False, id="beyond-float-max"),
    pytest.param([[]], F32, False, id="empty"),
    pytest.param([[1e30, -2.5e20]], F32, True, id="large-floats"),
    pytest.param([2**63 - 1, -(2**63)], types_pb2.DT_INT64, True, id="int64-extremes"),
    pytest.param([2**64 - 1], types_pb2.DT_UINT64, False, id="uint64-not-bulk"),
    pytest.param([[1.0, None]], F32, False, id="null-in-floats"),
    pytest.param([[1.0], 2.0], F32, False, id="list-and-scalar"),
    pytest.param([[0.5, 2**53 + 1]], types_pb2.DT_DOUBLE, False, id="int-beyond-double"),
]
# Where reading by numpy's inferred type (a body without true/false) leaves more to the exact
# path than the type-checked bulk path does: whole numbers beyond float's exact integers may
# have been JSON integers, which are refused when lossy.
INFERRED_EXACT_PATH = {"large-floats"}


@pytest.mark.parametrize("no_bools", [False, True], ids=["checked", "inferred"])
@pytest.mark.parametrize(("value", "dtype", "bulk"), BULK_CASES)
def test_bulk_numeric_reading_matches_the_exact_path(
    value: object,
    dtype: int,
    bulk: bool,
    no_bools: bool,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bulk paths (one numpy conversion; with `no_bools`, numpy's inferred type in place
    of a check of every value) answer exactly what the per-number path does, and leave every
    doubtful value to it (its errors are TF Serving's)."""
    case_id = request.node.callspec.id.rsplit("-", 1)[0]
    if no_bools and "bool" in case_id:
        pytest.skip("a body holding true is never read with no_bools")
    fast = json_tensor._numeric_array(value, dtype, no_bools)
    assert (fast is not None) == (bulk and not (no_bools and case_id in INFERRED_EXACT_PATH))
    monkeypatch.setattr(json_tensor, "_numeric_array", lambda v, d, b=False: None)
    try:
        exact: np.ndarray | ServingError = json_tensor.to_array(value, dtype)
    except ServingError as e:
        exact = e
    if fast is None:
        return
    assert isinstance(exact, np.ndarray), exact
    assert fast.dtype == exact.dtype and fast.shape == exact.shape
    np.testing.assert_array_equal(fast, exact)


def test_bulk_row_format_equals_the_stacked_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[[0.25, 1], [2, 3.5]], [[4, 5.5], [6.75, 7]]]
    fast, fmt = json_tensor.predict_inputs({"instances": rows}, {"x": F32})
    monkeypatch.setattr(json_tensor, "_numeric_array", lambda v, d, b=False: None)
    exact, _ = json_tensor.predict_inputs({"instances": rows}, {"x": F32})
    assert fmt == "row" and fast["x"].shape == (2, 2, 2)
    np.testing.assert_array_equal(fast["x"], exact["x"])


def test_bool_free_sees_any_true_or_false_text() -> None:
    assert json_tensor.bool_free(b'{"inputs": [[0.5, 1e-3, NaN]]}')
    assert not json_tensor.bool_free(b'{"inputs": [[0.5, true]]}')
    assert not json_tensor.bool_free(b'{"signature_name": "false_positive", "inputs": [1]}')


@pytest.mark.parametrize("double", [False, True], ids=["float", "double"])
def test_bulk_float_writing_matches_format_float(double: bool) -> None:
    rng = np.random.default_rng(7)
    dtype = np.float64 if double else np.float32
    values = np.concatenate(
        [
            rng.standard_normal(500).astype(dtype),
            (rng.standard_normal(200) * 1e30).astype(dtype),
            (rng.standard_normal(200) * 1e-30).astype(dtype),
            np.array(
                [0.0, -0.0, 1.0, 0.1, 16777217.0, 1e-45, 3.4028235e38, np.nan, np.inf, -np.inf],
                dtype=dtype,
            ),
            rng.integers(-(10**6), 10**6, 100).astype(dtype),
        ]
    )
    expected = [json_tensor.format_float(float(v), double) for v in values]
    assert json_tensor.float_texts(values, double) == expected
