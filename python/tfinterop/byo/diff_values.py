"""How far apart two answers to one request are, output by output.

For floats: the largest absolute error, the largest error relative to A's value
(numpy.testing's rule: infinite where A is 0 and B is not), and the largest
distance in units in the last place (ULP, in the output's own dtype). A NaN on
one side only is an infinite absolute error and has no ULP distance; NaN
against NaN, +0 against -0 and an infinity against the same infinity are no
difference. Integers give the largest absolute difference, exactly (int64 and
uint64 never through float64); bools and strings only how many elements differ.

Classifier-like outputs (rank 2, float, at least two columns, and either named
like scores/probs/logits/softmax or with rows that are probability
distributions) also give how many rows change their top class. The top
classes agree when some class is maximal on both sides, so an exact tie in
either side accepts any of its tied classes (the judge's argmax rule); NaN
counts as the maximum, as in numpy.argmax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tfinterop.judge.values import FLOAT_DTYPES, maximal
from tfinterop.serving import tensor_codec

CLASSIFIER_NAME = re.compile(r"score|prob|logit|softmax", re.IGNORECASE)
PROBABILITY_SLACK = 1e-3  # how far from 1 a row's sum may be and still be a distribution
_UINT_OF_SIZE = {2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclass(frozen=True)
class Answer:
    """What one side answered to one case: outputs, or a canonical code and its message."""

    outputs: dict[str, np.ndarray] | None = None
    code: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Delta:
    """One output of one case, A's answer against B's."""

    output: str
    dtype: str
    shape: tuple[int, ...]
    elements: int = 0
    differ: int = 0  # elements not equal (by the rules above)
    max_abs: float | int | None = None  # floats and integers
    max_rel: float | None = None  # floats
    max_ulp: int | None = None  # floats
    argmax_rows: int | None = None  # classifier-like outputs only
    argmax_flips: int | None = None
    note: str = ""  # why the values were not compared: a dtype or shape change, one side only

    @property
    def measured(self) -> bool:
        return not self.note


def outputs_of(api: str, response: Any) -> dict[str, np.ndarray]:
    """The tensors of a response by name: predict's outputs; classify's `scores` and `labels`
    ([examples, classes]); regress's `value` ([examples]). Other APIs give none."""
    if api == "predict":
        return {k: tensor_codec.to_ndarray(v) for k, v in response.outputs.items()}
    if api == "classify":
        rows = list(response.result.classifications)
        return {
            "scores": _stacked([[c.score for c in r.classes] for r in rows], np.float32),
            "labels": _stacked([[c.label for c in r.classes] for r in rows], np.object_),
        }
    if api == "regress":
        return {"value": np.array([r.value for r in response.result.regressions], np.float32)}
    return {}


def _stacked(rows: list[list[Any]], dtype: Any) -> np.ndarray:
    """[examples, classes]; a ragged result (examples with different class counts) as one
    object element per example, compared exactly."""
    if len({len(r) for r in rows}) <= 1:
        return np.array(rows, dtype=dtype).reshape(len(rows), len(rows[0]) if rows else 0)
    ragged = np.empty(len(rows), dtype=np.object_)
    ragged[:] = [tuple(r) for r in rows]
    return ragged


def dtype_of(array: np.ndarray) -> str:
    return "string" if array.dtype == np.object_ else str(array.dtype)


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[Delta]:
    """Every output of either side, in name order."""
    out = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            arr = a[name]
            out.append(Delta(name, dtype_of(arr), arr.shape, note="only in A's answer"))
        elif name not in a:
            arr = b[name]
            out.append(Delta(name, dtype_of(arr), arr.shape, note="only in B's answer"))
        else:
            out.append(delta(name, a[name], b[name]))
    return out


def delta(name: str, a: np.ndarray, b: np.ndarray) -> Delta:
    """A's tensor against B's under the rules of the module docstring."""
    if dtype_of(a) != dtype_of(b):
        return Delta(name, dtype_of(a), a.shape, note=f"dtype {dtype_of(a)} -> {dtype_of(b)}")
    if a.shape != b.shape:
        return Delta(name, dtype_of(a), a.shape, note=f"shape {list(a.shape)} -> {list(b.shape)}")
    base = Delta(name, dtype_of(a), a.shape, elements=int(a.size))
    if a.dtype in FLOAT_DTYPES:
        return _floats(base, a, b)
    if a.dtype.kind == "c":
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        err = np.where(same, 0.0, np.abs(a.astype(np.complex128) - b))
        return replace(base, differ=int((~same).sum()), max_abs=_max(err))
    if a.dtype.kind in "iu":
        return replace(base, differ=int((a != b).sum()), max_abs=_int_max_abs(a, b))
    if a.dtype == np.object_:
        differ = sum(1 for x, y in zip(a.flat, b.flat, strict=True) if x != y)
        return replace(base, differ=differ)
    return replace(base, differ=int((a != b).sum()))


def _max(values: np.ndarray) -> float:
    return float(values.max()) if values.size else 0.0


def _floats(base: Delta, a: np.ndarray, b: np.ndarray) -> Delta:
    w, g = a.astype(np.float64), b.astype(np.float64)  # exact for every float dtype here
    both_nan = np.isnan(w) & np.isnan(g)
    same = (w == g) | both_nan
    finite = np.isfinite(w) & np.isfinite(g)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_err = np.where(same, 0.0, np.where(finite, np.abs(w - g), np.inf))
        rel_err = np.where(same, 0.0, np.where(finite & (w != 0), abs_err / np.abs(w), np.inf))
    one_nan = np.isnan(w) ^ np.isnan(g)
    ulps = np.where(same | one_nan, np.uint64(0), _ulp_distance(a, b))
    flips = _argmax_flips(base.output, a, b)
    return replace(
        base,
        differ=int((~same).sum()),
        max_abs=_max(abs_err),
        max_rel=_max(rel_err),
        max_ulp=int(ulps.max()) if ulps.size else 0,
        argmax_rows=None if flips is None else int(a.shape[0]),
        argmax_flips=flips,
    )


def _ordered(x: np.ndarray) -> np.ndarray:
    """Sign-magnitude bits as int64 that order like the floats (-0 and +0 are both 0)."""
    size = x.dtype.itemsize
    bits = x.view(_UINT_OF_SIZE[size]).astype(np.uint64)
    sign = np.uint64(1 << (size * 8 - 1))
    magnitude = (bits & ~sign).astype(np.int64)
    return np.where((bits & sign) != 0, -magnitude, magnitude)


def _unsigned_gap(x: np.ndarray, y: np.ndarray, x_ge_y: np.ndarray) -> np.ndarray:
    """|x - y| of two int64 arrays as uint64: wrapping arithmetic is exact because the true
    gap is below 2**64."""
    xu, yu = x.view(np.uint64), y.view(np.uint64)
    with np.errstate(over="ignore"):
        return np.where(x_ge_y, xu - yu, yu - xu)


def _ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    oa, ob = _ordered(np.ascontiguousarray(a)), _ordered(np.ascontiguousarray(b))
    return _unsigned_gap(oa, ob, oa >= ob)


def _int_max_abs(a: np.ndarray, b: np.ndarray) -> int:
    if a.size == 0:
        return 0
    wide = np.uint64 if a.dtype.kind == "u" else np.int64
    x, y = a.astype(wide), b.astype(wide)
    gap = _unsigned_gap(x.view(np.int64), y.view(np.int64), a >= b)
    return int(gap.max())


def classifier_like(name: str, a: np.ndarray) -> bool:
    """Rank 2, float, two or more columns, some rows, and named like a classifier's output or
    holding probability rows."""
    if a.ndim != 2 or a.dtype not in FLOAT_DTYPES or a.shape[1] < 2 or a.shape[0] == 0:
        return False
    if CLASSIFIER_NAME.search(name):
        return True
    w = a.astype(np.float64)
    if not np.isfinite(w).all() or w.min() < 0 or w.max() > 1:
        return False
    return bool((np.abs(w.sum(axis=1) - 1.0) <= PROBABILITY_SLACK).all())


def _argmax_flips(name: str, a: np.ndarray, b: np.ndarray) -> int | None:
    if not classifier_like(name, a):
        return None
    shared = maximal(a.astype(np.float64)) & maximal(b.astype(np.float64))
    return int((~shared.any(axis=1)).sum())
