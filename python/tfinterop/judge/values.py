"""Tensor values under the comparison policy (docs/CONTRACT.md "Comparison").

Integers, bools and strings compare exactly: int64 as integers (never through
float64, which loses everything past 2^53), strings as raw bytes (invalid UTF-8
and NUL bytes included). Floats are bit-exact when the row ran the producer's
TensorFlow build, else within atol + rtol * |want| (numpy.isclose's rule). NaN
matches NaN whatever its sign and payload: REST's JSON has a single NaN token,
and TF kernels do not fix the NaN they produce. An infinity matches only the
same infinity, whatever the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import ml_dtypes
import numpy as np

FLOAT_DTYPES = frozenset(
    np.dtype(t) for t in (np.float16, ml_dtypes.bfloat16, np.float32, np.float64)
)
_UINT_OF_SIZE = {2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Tolerance:
        """The case's tolerance; the contract's default when the manifest has none."""
        tol = entry.get("tolerance") or {}
        return cls(float(tol.get("atol", 1e-6)), float(tol.get("rtol", 1e-5)))

    def __str__(self) -> str:
        return f"atol={self.atol:g} rtol={self.rtol:g}"


@dataclass(frozen=True)
class ValueCheck:
    failure: str = ""  # empty when the values agree
    worst: str = ""  # the largest difference seen, for the report's cell

    @property
    def ok(self) -> bool:
        return not self.failure


def ulp_distance(a: np.generic, b: np.generic) -> int | None:
    """Units in the last place between two floats of one dtype: 0 for +0/-0 and for any
    two NaNs, None when only one is NaN (no distance to a number)."""
    a_nan, b_nan = bool(np.isnan(a)), bool(np.isnan(b))
    if a_nan or b_nan:
        return 0 if a_nan and b_nan else None
    return abs(_ordered(a) - _ordered(b))


def _ordered(x: np.generic) -> int:
    """Sign-magnitude bits as an integer that orders like the float: -0 and +0 are both 0."""
    size = np.dtype(x.dtype).itemsize
    bits = int(np.asarray(x).view(_UINT_OF_SIZE[size]))
    sign = 1 << (size * 8 - 1)
    return -(bits & ~sign) if bits & sign else bits


def compare_values(
    name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance
) -> ValueCheck:
    """`got` against `want` (same dtype and shape) under the policy above."""
    if want.dtype in FLOAT_DTYPES:
        return _floats(name, want, got, exact, tol)
    if want.dtype.kind == "c":
        worst = ""
        for part in ("real", "imag"):
            check = _floats(f"{name}.{part}", getattr(want, part), getattr(got, part), exact, tol)
            if not check.ok:
                return check
            worst = worst or check.worst
        return ValueCheck(worst=worst)
    return _exactly(name, want, got)


def _exactly(name: str, want: np.ndarray, got: np.ndarray) -> ValueCheck:
    if want.dtype == np.object_:
        # Strings as bytes: equal iff the byte sequences are, NULs and invalid UTF-8 included.
        w_flat, g_flat = list(want.flat), list(got.flat)
        bad = [i for i, (w, g) in enumerate(zip(w_flat, g_flat, strict=True)) if w != g]
        if not bad:
            return ValueCheck()
        idx = _index(bad[0], want.shape)
        return ValueCheck(f"{name}{_at(idx)}: got {g_flat[bad[0]]!r}, want {w_flat[bad[0]]!r}")
    differ = want != got
    if not differ.any():
        return ValueCheck()
    idx = _index(int(np.argmax(differ)), want.shape)
    return ValueCheck(f"{name}{_at(idx)}: got {got[idx].item()!r}, want {want[idx].item()!r}")


def _floats(
    name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance
) -> ValueCheck:
    w = want.astype(np.float64)  # exact for every float dtype here
    g = got.astype(np.float64)
    both_nan = np.isnan(w) & np.isnan(g)
    finite = np.isfinite(w) & np.isfinite(g)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(w - g), np.inf)
    diff = np.where(both_nan | (w == g), 0.0, diff)
    if exact:
        uint = _UINT_OF_SIZE[want.dtype.itemsize]
        bad = ~(both_nan | (want.view(uint) == got.view(uint)))
        why = "not bit-identical (same TensorFlow build as the producer)"
    else:
        with np.errstate(invalid="ignore"):  # 0 * inf: such pairs are judged as non-finite
            allowed = tol.atol + tol.rtol * np.abs(w)
        # A non-finite pair that is not equal differs by infinity, which no bound allows.
        bad = (diff > 0) & (~finite | (diff > allowed))
        why = f"outside {tol}"
    if bad.any():
        idx = _index(int(np.argmax(np.where(bad, diff, -1.0))), want.shape)
        return ValueCheck(_element_text(name, want, got, idx, why))
    if exact:
        return ValueCheck(worst="bit-exact")
    return ValueCheck(worst=f"max abs err {float(diff.max()):.3g}" if diff.size else "")


def _element_text(
    name: str, want: np.ndarray, got: np.ndarray, idx: tuple[int, ...], why: str
) -> str:
    w, g = want[idx], got[idx]
    wf, gf = float(w), float(g)
    ulp = ulp_distance(w, g)
    if np.isfinite(wf) and np.isfinite(gf):
        abs_err = abs(wf - gf)
        rel = f"{abs_err / abs(wf):.3g}" if wf else "inf"
        errs = f"abs err {abs_err:.3g}, rel err {rel}, "
    else:
        errs = ""
    ulps = "no ULP distance (NaN)" if ulp is None else f"{ulp} ULP"
    return f"{name}{_at(idx)}: got {gf!r}, want {wf!r}, {errs}{ulps}: {why}"


def argmax_agreement(name: str, want: np.ndarray, got: np.ndarray) -> str:
    """Failure text when a classifier's top class differs over the last axis, else "".

    The top classes agree when some class is maximal in both: a tie in the golden
    accepts any of its tied classes, a tie in the answer any of its own. NaN counts
    as the maximum, as in numpy.argmax.
    """
    if want.ndim == 0 or want.shape[-1] == 0:
        return ""
    w_top, g_top = maximal(want.astype(np.float64)), maximal(got.astype(np.float64))
    agree = (w_top & g_top).any(axis=-1)
    if agree.all():
        return ""
    idx = tuple(int(i) for i in np.argwhere(~agree)[0])
    want_classes = np.flatnonzero(w_top[idx]).tolist()
    got_classes = np.flatnonzero(g_top[idx]).tolist()
    return f"{name}{_at(idx)}: argmax {got_classes} != {want_classes}"


def maximal(x: np.ndarray) -> np.ndarray:
    """Per row (last axis), which entries hold the maximum; a row with NaN: its NaNs."""
    nan = np.isnan(x)
    has_nan = nan.any(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        top = x == np.max(np.where(nan, -np.inf, x), axis=-1, keepdims=True)
    return cast(np.ndarray, np.where(has_nan, nan, top))


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of flat position `flat` in an array of `shape` (() for a scalar)."""
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _at(idx: tuple[int, ...]) -> str:
    return f"[{','.join(map(str, idx))}]" if idx else ""
