"""The comparison policy, in one place (docs/CONTRACT.md "Comparison").

Order: result kind, then error code (REST: HTTP status), then model_spec
(not over REST), output names, dtype, shape, values. Integers, bools and
strings exactly; floats bit-exact when the runtime is the producing build,
else within the case's atol/rtol, with argmax agreement for classifiers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow_serving.apis import get_model_metadata_pb2

from tfinterop import apis, tensor_codec
from tfinterop.cases.manifest import ManifestCase
from tfinterop.errors import HTTP_STATUS, Code


@dataclass(frozen=True)
class Outcome:
    status: str  # pass | fail | missing
    detail: str = ""
    worst: str = ""  # the worst element, for the report's cell


def result_files(folder: Path, case_id: str) -> dict[str, Path]:
    kinds = {}
    for kind in ("response.pb", "error.json", "skipped.json"):
        p = folder / f"{case_id}.{kind}"
        if p.exists():
            kinds[kind] = p
    return kinds


def compare(case: ManifestCase, folder: Path, mode: str, exact: bool) -> Outcome:
    files = result_files(folder, case.id)
    if not files:
        return Outcome("missing", f"no result file for {case.id} in {folder}")
    if len(files) > 1:
        return Outcome("fail", f"several result files: {sorted(files)}")
    if "skipped.json" in files:
        reason = json.loads(files["skipped.json"].read_text()).get("reason", "")
        return Outcome("fail", f"client skipped the case: {reason}")
    if case.error is not None:
        if "error.json" not in files:
            return Outcome("fail", f"expected error {case.error}, got a response")
        return _compare_error(case.error, json.loads(files["error.json"].read_text()), mode)
    if "error.json" in files:
        err = json.loads(files["error.json"].read_text())
        return Outcome(
            "fail", f"expected a response, got {err.get('code')}: {err.get('message', '')[:300]}"
        )
    want = apis.parse_response(case.api, case.read("response"))
    try:
        got = apis.parse_response(case.api, files["response.pb"].read_bytes())
    except Exception as e:
        return Outcome("fail", f"response.pb does not parse as {case.api} response: {e}")
    return _compare_response(case, want, got, mode, exact)


def _compare_error(expected: str, err: dict[str, Any], mode: str) -> Outcome:
    code = err.get("code", "")
    if mode == "rest":
        want_http = HTTP_STATUS[Code[expected]]
        got_http = err.get("http_status")
        if got_http is None and code in Code.__members__:
            got_http = HTTP_STATUS[Code[code]]
        if got_http == want_http:
            return Outcome("pass")
        return Outcome(
            "fail",
            f"expected {expected} (HTTP {want_http}), got HTTP {got_http} {code}: "
            f"{err.get('message', '')[:300]}",
        )
    if code == expected:
        return Outcome("pass")
    return Outcome("fail", f"expected {expected}, got {code}: {err.get('message', '')[:300]}")


def _compare_spec(want: Any, got: Any) -> str:
    if want.name != got.name:
        return f"model_spec.name {got.name!r} != {want.name!r}"
    if want.version.value != got.version.value:
        return f"model_spec.version {got.version.value} != {want.version.value}"
    if want.signature_name != got.signature_name:
        return f"model_spec.signature_name {got.signature_name!r} != {want.signature_name!r}"
    return ""


def _compare_response(case: ManifestCase, want: Any, got: Any, mode: str, exact: bool) -> Outcome:
    tol = case.entry.get("tolerance", {"atol": 1e-6, "rtol": 1e-5})
    argmax = set(case.entry.get("argmax_outputs", []))
    if case.api == "predict":
        if mode != "rest":
            msg = _compare_spec(want.model_spec, got.model_spec)
            if msg:
                return Outcome("fail", msg)
        if set(want.outputs) != set(got.outputs):
            return Outcome("fail", f"outputs {sorted(got.outputs)} != {sorted(want.outputs)}")
        worst = ""
        for name in sorted(want.outputs):
            o = compare_tensor(
                name, want.outputs[name], got.outputs[name], exact, tol, name in argmax
            )
            if o.status != "pass":
                return o
            worst = worst or o.worst
        return Outcome("pass", worst=worst)
    if case.api == "metadata":
        if (
            want.model_spec.name != got.model_spec.name
            or want.model_spec.version.value != got.model_spec.version.value
        ):
            return Outcome("fail", f"model_spec {got.model_spec} != {want.model_spec}")
        w, g = get_model_metadata_pb2.SignatureDefMap(), get_model_metadata_pb2.SignatureDefMap()
        if "signature_def" not in got.metadata:
            return Outcome("fail", "metadata lacks signature_def")
        want.metadata["signature_def"].Unpack(w)
        got.metadata["signature_def"].Unpack(g)
        if w != g:
            missing = sorted(set(w.signature_def) ^ set(g.signature_def))
            return Outcome(
                "fail", f"SignatureDefMap differs (keys differing: {missing or 'contents'})"
            )
        return Outcome("pass")
    return _compare_inference(case.api, want, got, mode, exact, tol)


def _compare_inference(
    api: str, want: Any, got: Any, mode: str, exact: bool, tol: dict[str, float]
) -> Outcome:
    def results(resp: Any) -> list[tuple[Any, Any]]:
        if api == "multi_inference":
            return [(r.model_spec, r) for r in resp.results]
        return [(resp.model_spec, resp.result)]

    w, g = results(want), results(got)
    if len(w) != len(g):
        return Outcome("fail", f"{len(g)} results != {len(w)}")
    for (wspec, wres), (gspec, gres) in zip(w, g, strict=True):
        if mode != "rest":
            msg = _compare_spec(wspec, gspec)
            if msg:
                return Outcome("fail", msg)
        if api == "multi_inference":
            kind = wres.WhichOneof("result")
            if kind != gres.WhichOneof("result"):
                return Outcome("fail", f"result kind {gres.WhichOneof('result')} != {kind}")
            wres, gres = getattr(wres, kind), getattr(gres, kind)
        if hasattr(wres, "classifications"):
            if len(wres.classifications) != len(gres.classifications):
                return Outcome("fail", "number of classifications differs")
            for i, (wc, gc) in enumerate(
                zip(wres.classifications, gres.classifications, strict=True)
            ):
                if [c.label for c in wc.classes] != [c.label for c in gc.classes]:
                    return Outcome(
                        "fail",
                        f"classification {i}: labels {[c.label for c in gc.classes]} "
                        f"!= {[c.label for c in wc.classes]}",
                    )
                o = _values(
                    f"classification[{i}].score",
                    np.array([c.score for c in wc.classes], np.float32),
                    np.array([c.score for c in gc.classes], np.float32),
                    exact,
                    tol,
                )
                if o.status != "pass":
                    return o
        else:
            o = _values(
                "regression.value",
                np.array([r.value for r in wres.regressions], np.float32),
                np.array([r.value for r in gres.regressions], np.float32),
                exact,
                tol,
            )
            if o.status != "pass":
                return o
    return Outcome("pass")


def compare_tensor(
    name: str, want_p: Any, got_p: Any, exact: bool, tol: dict[str, float], argmax: bool
) -> Outcome:
    if want_p.dtype != got_p.dtype:
        return Outcome(
            "fail",
            f"{name}: dtype {tensor_codec.dtype_name(got_p.dtype)} != "
            f"{tensor_codec.dtype_name(want_p.dtype)}",
        )
    try:
        want = tensor_codec.to_ndarray(want_p)
        got = tensor_codec.to_ndarray(got_p)
    except Exception as e:
        return Outcome("fail", f"{name}: tensor does not decode: {e}")
    if want.shape != got.shape:
        return Outcome("fail", f"{name}: shape {list(got.shape)} != {list(want.shape)}")
    o = _values(name, want, got, exact, tol)
    if o.status == "pass" and argmax and want.ndim >= 1 and want.size:
        wa, ga = np.argmax(want, axis=-1), np.argmax(got, axis=-1)
        if not np.array_equal(wa, ga):
            idx = np.argwhere(wa != ga)[0]
            return Outcome(
                "fail",
                f"{name}: argmax differs at {tuple(idx)}: {ga[tuple(idx)]} != {wa[tuple(idx)]}",
            )
    return o


def _values(
    name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: dict[str, float]
) -> Outcome:
    if want.dtype.kind not in "fc":
        if np.array_equal(want, got):
            return Outcome("pass")
        idx = tuple(np.argwhere(want != got)[0]) if want.shape else ()
        return Outcome("fail", f"{name}: element {idx}: {got[idx]!r} != {want[idx]!r}")
    w64 = want.astype(np.float64)
    g64 = got.astype(np.float64)
    both_nan = np.isnan(w64) & np.isnan(g64)
    with np.errstate(invalid="ignore"):  # inf - inf: handled below as a mismatch or a match
        diff = np.where(both_nan | (w64 == g64), 0.0, np.abs(w64 - g64))
    diff = np.where(np.isnan(diff), np.inf, diff)
    if exact:
        bad = ~(both_nan | (want.view(_uint(want)) == got.view(_uint(got))))
        if not bad.any():
            return Outcome("pass", worst="bit-exact")
        idx = tuple(np.argwhere(bad)[0])
        return Outcome(
            "fail", _worst_text(name, want, got, idx, "not bit-identical (same TensorFlow build)")
        )
    allowed = tol.get("atol", 0.0) + tol.get("rtol", 0.0) * np.abs(w64)
    bad = diff > allowed
    worst_idx = tuple(np.unravel_index(np.argmax(diff), diff.shape)) if diff.size else ()
    if bad.any():
        idx = tuple(np.unravel_index(np.argmax(np.where(bad, diff, -1)), diff.shape))
        return Outcome(
            "fail",
            _worst_text(
                name, want, got, idx, f"outside atol={tol.get('atol')} rtol={tol.get('rtol')}"
            ),
        )
    worst = f"max abs err {float(diff[worst_idx]):.3g}" if diff.size else ""
    return Outcome("pass", worst=worst)


def _uint(a: np.ndarray) -> type:
    return {2: np.uint16, 4: np.uint32, 8: np.uint64, 16: np.uint64}[a.dtype.itemsize]


def ulp_distance(a: float, b: float, dtype: np.dtype) -> int:
    """Distance in units in the last place between two floats of `dtype`."""
    if np.isnan(a) or np.isnan(b):
        return -1
    it = {2: np.int16, 4: np.int32, 8: np.int64}[np.dtype(dtype).itemsize]
    ia = int(np.array(a, dtype=dtype).view(it))
    ib = int(np.array(b, dtype=dtype).view(it))
    bits = np.dtype(dtype).itemsize * 8
    ia = ia if ia >= 0 else -(1 << (bits - 1)) - ia
    ib = ib if ib >= 0 else -(1 << (bits - 1)) - ib
    return abs(ia - ib)


def _worst_text(
    name: str, want: np.ndarray, got: np.ndarray, idx: tuple[int, ...], why: str
) -> str:
    w, g = want[idx], got[idx]
    if want.dtype.kind == "c":
        return f"{name}[{','.join(map(str, idx))}]: got {g!r}, want {w!r}: {why}"
    wf, gf = float(w), float(g)
    abs_err = abs(wf - gf)
    rel_err = abs_err / abs(wf) if wf else float("inf")
    return (
        f"{name}[{','.join(map(str, idx))}]: got {gf!r}, want {wf!r}, abs err {abs_err:.3g}, "
        f"rel err {rel_err:.3g}, {ulp_distance(wf, gf, want.dtype)} ULP: {why}"
    )
