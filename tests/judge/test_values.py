"""The value policy: ULP distance, bit-exact vs atol/rtol, NaN and infinities, exact integers
and strings."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
import pytest

from tfinterop.judge.values import Tolerance, compare_values, ulp_distance

F32 = np.float32
F64 = np.float64
TOL = Tolerance(atol=1e-6, rtol=1e-5)


def f32_bits(bits: int) -> np.float32:
    return np.array([bits], np.uint32).view(np.float32)[0]


def up(x: Any) -> Any:
    """The next float of x's dtype towards +infinity."""
    return np.nextafter(x, type(x)(np.inf))


def down(x: Any) -> Any:
    return np.nextafter(x, type(x)(-np.inf))


MIN_SUB = f32_bits(0x00000001)
MAX_SUB = f32_bits(0x007FFFFF)
MIN_NORMAL = f32_bits(0x00800000)
MAX_F32 = np.finfo(np.float32).max
QNAN = f32_bits(0x7FC00000)
QNAN_PAYLOAD = f32_bits(0x7FC00123)
NEG_NAN = f32_bits(0xFFC00000)  # x86's default NaN (0.0/0.0)


@pytest.mark.parametrize(
    ("a", "b", "ulps"),
    [
        (F32(1.0), F32(1.0), 0),
        (F32(1.0), up(F32(1.0)), 1),
        (F32(1.0), down(F32(1.0)), 1),
        (F32(0.0), F32(-0.0), 0),
        (MIN_SUB, F32(0.0), 1),
        (-MIN_SUB, F32(0.0), 1),
        (-MIN_SUB, F32(-0.0), 1),
        (MIN_SUB, -MIN_SUB, 2),
        (MAX_SUB, MIN_NORMAL, 1),
        (-MAX_SUB, -MIN_NORMAL, 1),
        (F32(-1.0), F32(1.0), 2 * 0x3F800000),
        (MAX_F32, F32(np.inf), 1),
        (F32(-np.inf), F32(np.inf), 2 * 0x7F800000),
        (QNAN, QNAN_PAYLOAD, 0),
        (QNAN, NEG_NAN, 0),
        (QNAN, F32(1.0), None),
        (F32(np.inf), QNAN, None),
        (F64(1.0), up(F64(1.0)), 1),
        (F64(-5e-324), F64(5e-324), 2),
        (np.float16(1.0), up(np.float16(1.0)), 1),
        (np.float16(-0.0), np.float16(6e-8), 1),
        (ml_dtypes.bfloat16(1.0), ml_dtypes.bfloat16(1.0078125), 1),
        (ml_dtypes.bfloat16(-1.0), ml_dtypes.bfloat16(1.0), 2 * 0x3F80),
    ],
    ids=lambda v: repr(v),
)
def test_ulp_distance(a: Any, b: Any, ulps: int | None) -> None:
    assert ulp_distance(a, b) == ulps
    assert ulp_distance(b, a) == ulps


def arr(*values: Any, dtype: Any = F32) -> np.ndarray:
    return np.array(values, dtype=dtype)


# (id, want, got, exact, tolerance, passes)
FLOAT_CASES = [
    ("identical exact", arr(1.0, 2.5), arr(1.0, 2.5), True, TOL, True),
    ("one ULP exact", arr(1.0), arr(up(F32(1.0))), True, TOL, False),
    ("one ULP tolerance", arr(1.0), arr(up(F32(1.0))), False, TOL, True),
    ("+0 vs -0 exact", arr(0.0), arr(-0.0), True, TOL, False),
    ("+0 vs -0 tolerance", arr(0.0), arr(-0.0), False, Tolerance(0, 0), True),
    ("subnormal vs 0 exact", arr(MIN_SUB), arr(0.0), True, TOL, False),
    ("subnormal vs 0 tolerance", arr(MIN_SUB), arr(0.0), False, TOL, True),
    ("subnormal vs 0 no tolerance", arr(MIN_SUB), arr(0.0), False, Tolerance(0, 0), False),
    ("NaN payloads exact", arr(QNAN), arr(QNAN_PAYLOAD), True, TOL, True),
    ("NaN sign exact", arr(NEG_NAN), arr(QNAN), True, TOL, True),
    ("NaN payloads tolerance", arr(QNAN_PAYLOAD), arr(NEG_NAN), False, TOL, True),
    ("NaN vs number exact", arr(np.nan), arr(0.0), True, TOL, False),
    ("NaN vs number tolerance", arr(np.nan), arr(0.0), False, Tolerance(1e30, 1e30), False),
    ("number vs NaN tolerance", arr(1.0), arr(np.nan), False, Tolerance(1e30, 1e30), False),
    ("NaN vs inf tolerance", arr(np.nan), arr(np.inf), False, TOL, False),
    ("+inf vs +inf exact", arr(np.inf), arr(np.inf), True, TOL, True),
    ("-inf vs -inf tolerance", arr(-np.inf), arr(-np.inf), False, Tolerance(0, 0), True),
    ("+inf vs -inf tolerance", arr(np.inf), arr(-np.inf), False, TOL, False),
    ("+inf vs max finite, rtol 1", arr(np.inf), arr(MAX_F32), False, Tolerance(1, 1), False),
    ("max finite vs +inf, rtol 1", arr(MAX_F32), arr(np.inf), False, Tolerance(1, 1), False),
    ("float64 one ULP exact", arr(1.0, dtype=F64), arr(up(F64(1.0)), dtype=F64), True, TOL, False),
    (
        "float16 one ULP exact",
        arr(1.0, dtype=np.float16),
        arr(up(np.float16(1.0))),
        True,
        TOL,
        False,
    ),
    (
        "bfloat16 equal exact",
        arr(0.5, dtype=ml_dtypes.bfloat16),
        arr(0.5, dtype=ml_dtypes.bfloat16),
        True,
        TOL,
        True,
    ),
    (
        "bfloat16 one ULP exact",
        arr(1.0, dtype=ml_dtypes.bfloat16),
        arr(1.0078125, dtype=ml_dtypes.bfloat16),
        True,
        TOL,
        False,
    ),
    (
        "bfloat16 one ULP tolerance",
        arr(1.0, dtype=ml_dtypes.bfloat16),
        arr(1.0078125, dtype=ml_dtypes.bfloat16),
        False,
        Tolerance(0, 0.01),
        True,
    ),
    # atol + rtol * |want| with both terms exact in binary: 0.5 + 0.25 * 2 = 1.
    ("at the upper bound", arr(2.0), arr(3.0), False, Tolerance(0.5, 0.25), True),
    ("just over the upper bound", arr(2.0), arr(up(F32(3.0))), False, Tolerance(0.5, 0.25), False),
    ("at the lower bound", arr(2.0), arr(1.0), False, Tolerance(0.5, 0.25), True),
    (
        "just under the lower bound",
        arr(2.0),
        arr(down(F32(1.0))),
        False,
        Tolerance(0.5, 0.25),
        False,
    ),
    ("atol only, at the bound", arr(0.0), arr(0.5), False, Tolerance(0.5, 0), True),
    ("atol only, just over", arr(0.0), arr(up(F32(0.5))), False, Tolerance(0.5, 0), False),
    ("rtol only, at the bound", arr(-4.0), arr(-5.0), False, Tolerance(0, 0.25), True),
    ("rtol only, just over", arr(-4.0), arr(down(F32(-5.0))), False, Tolerance(0, 0.25), False),
    ("rtol scales with want, not got", arr(1.0), arr(2.0), False, Tolerance(0, 0.5), False),
    (
        "float64 at the bound",
        arr(1.0, dtype=F64),
        arr(1.0 + 2.0**-52, dtype=F64),
        False,
        Tolerance(2.0**-52, 0),
        True,
    ),
    (
        "complex equal exact",
        arr(1 + 2j, dtype=np.complex64),
        arr(1 + 2j, dtype=np.complex64),
        True,
        TOL,
        True,
    ),
    (
        "complex imag differs",
        arr(1 + 2j, dtype=np.complex64),
        arr(1 + 2.5j, dtype=np.complex64),
        False,
        TOL,
        False,
    ),
    (
        "complex real differs",
        arr(1 + 2j, dtype=np.complex128),
        arr(1.5 + 2j, dtype=np.complex128),
        False,
        TOL,
        False,
    ),
    (
        "complex within tolerance",
        arr(1 + 2j, dtype=np.complex64),
        arr(1 + 2j + 1e-7j, dtype=np.complex64),
        False,
        TOL,
        True,
    ),
]


@pytest.mark.parametrize(
    ("want", "got", "exact", "tol", "passes"),
    [c[1:] for c in FLOAT_CASES],
    ids=[c[0] for c in FLOAT_CASES],
)
def test_floats(
    want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance, passes: bool
) -> None:
    check = compare_values("y", want, got, exact, tol)
    assert check.ok == passes, check.failure


def test_a_float_failure_names_element_values_errors_and_ulps() -> None:
    check = compare_values("y", arr(1.0, 2.0, 3.0), arr(1.0, 2.0, 3.5), False, TOL)
    assert check.failure.startswith("y[2]: got 3.5, want 3.0, abs err 0.5, rel err 0.167")
    assert f"{0x00200000} ULP" in check.failure and "atol=1e-06 rtol=1e-05" in check.failure


def test_the_failure_names_the_worst_element() -> None:
    check = compare_values("y", arr(1.0, 2.0, 3.0), arr(1.5, 2.0, 7.0), False, TOL)
    assert check.failure.startswith("y[2]:")


def test_a_passing_float_reports_its_worst_error() -> None:
    assert compare_values("y", arr(1.0), arr(1.0), True, TOL).worst == "bit-exact"
    worst = compare_values("y", arr(1.0, 2.0), arr(1.0, 2.0000002), False, TOL).worst
    assert worst == "max abs err 2.38e-07"


# (id, want, got, passes): compared exactly whatever the tolerance.
EXACT_CASES = [
    (
        "int64 equal beyond 2^53",
        arr(2**53 + 1, dtype=np.int64),
        arr(2**53 + 1, dtype=np.int64),
        True,
    ),
    ("int64 2^53+1 vs 2^53", arr(2**53 + 1, dtype=np.int64), arr(2**53, dtype=np.int64), False),
    ("int64 max vs max-1", arr(2**63 - 1, dtype=np.int64), arr(2**63 - 2, dtype=np.int64), False),
    ("int64 min vs min+1", arr(-(2**63), dtype=np.int64), arr(-(2**63) + 1, dtype=np.int64), False),
    (
        "uint64 max vs max-1",
        arr(2**64 - 1, dtype=np.uint64),
        arr(2**64 - 2, dtype=np.uint64),
        False,
    ),
    ("int32 off by one", arr(1, 2, dtype=np.int32), arr(1, 3, dtype=np.int32), False),
    ("uint8 off by one", arr(255, dtype=np.uint8), arr(254, dtype=np.uint8), False),
    ("bool", arr(True, False, dtype=np.bool_), arr(True, True, dtype=np.bool_), False),
    ("invalid UTF-8 equal", arr(b"\xff\xfe", dtype=object), arr(b"\xff\xfe", dtype=object), True),
    (
        "invalid UTF-8 vs replacement",
        arr(b"\xff", dtype=object),
        arr("\ufffd".encode(), dtype=object),
        False,
    ),
    (
        "invalid UTF-8 bytes differ",
        arr(b"\xff\xfe", dtype=object),
        arr(b"\xff\xfd", dtype=object),
        False,
    ),
    ("NUL inside equal", arr(b"a\x00b", dtype=object), arr(b"a\x00b", dtype=object), True),
    ("NUL inside vs cut", arr(b"a\x00b", dtype=object), arr(b"a", dtype=object), False),
    ("NUL inside differs after", arr(b"a\x00b", dtype=object), arr(b"a\x00c", dtype=object), False),
    ("NUL vs empty", arr(b"\x00", dtype=object), arr(b"", dtype=object), False),
    (
        "string batch equal",
        arr(b"x", b"", b"\x00\xff", dtype=object),
        arr(b"x", b"", b"\x00\xff", dtype=object),
        True,
    ),
]


@pytest.mark.parametrize(
    ("want", "got", "passes"), [c[1:] for c in EXACT_CASES], ids=[c[0] for c in EXACT_CASES]
)
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tolerance"])
def test_integers_bools_and_strings_compare_exactly(
    want: np.ndarray, got: np.ndarray, passes: bool, exact: bool
) -> None:
    check = compare_values("y", want, got, exact, Tolerance(10.0, 1.0))
    assert check.ok == passes, check.failure


def test_an_integer_failure_shows_both_exact_values() -> None:
    want, got = arr(2**53 + 1, dtype=np.int64), arr(2**53, dtype=np.int64)
    assert (
        "got 9007199254740992, want 9007199254740993"
        in compare_values("y", want, got, False, TOL).failure
    )


def test_a_string_failure_shows_the_bytes() -> None:
    check = compare_values("s", arr(b"a\x00b", dtype=object), arr(b"a", dtype=object), True, TOL)
    assert check.failure == "s[0]: got b'a', want b'a\\x00b'"
