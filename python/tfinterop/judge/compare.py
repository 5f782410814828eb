"""One case against what a client wrote for it, in the contract's fixed order.

Order: result kind; for errors the code (REST: the HTTP status), then the case's
`error_message` substring when it states one; for responses
model_spec (not over REST), output names, dtype, shape, values (values.py).
Over a mode the case names in `transport_errors`, that error is the expected
result, not the golden response. Over the v2 modes the case's v2 form is the
golden: a ModelInferResponse judged by model_name, model_version, then each
output's name, datatype, shape and values (typed or raw contents alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow_serving.apis import get_model_metadata_pb2

from tfinterop.golden.cases.manifest import V2_MODES, ManifestCase
from tfinterop.judge import codes
from tfinterop.judge.results import RecordedError, read_error, read_skip_reason, result_files
from tfinterop.judge.values import (
    Tolerance,
    ValueCheck,
    argmax_agreement,
    compare_values,
)
from tfinterop.serving import apis, tensor_codec, v2
from tfinterop.serving.errors import ServingError


@dataclass(frozen=True)
class Outcome:
    status: str  # pass | fail | missing | skipped
    detail: str = ""
    worst: str = ""  # the worst element of a passing response, for the report's cell
    # What the client wrote: response | error | skipped | several | nothing | unreadable.
    wrote: str = ""
    error: RecordedError | None = None  # the client's error, when it wrote one

    @property
    def mismatch(self) -> bool:
        """The client answered and the judge found a difference."""
        return self.status == "fail" and self.wrote == "response"


def compare(case: ManifestCase, folder: Path, mode: str, exact: bool) -> Outcome:
    """Judge case `case` over `mode` from the result files in `folder`."""
    files = result_files(folder, case.id)
    if not files:
        return Outcome("missing", f"no result file for {case.id} in {folder}", wrote="nothing")
    if len(files) > 1:
        return Outcome("fail", f"several result files: {sorted(files)}", wrote="several")
    if "skipped.json" in files:
        reason = read_skip_reason(files["skipped.json"])
        return Outcome("skipped", f"client skipped the case: {reason}", wrote="skipped")
    want_error = case.expected_error(mode)
    if "error.json" in files:
        try:
            err = read_error(files["error.json"])
        except ValueError as e:
            return Outcome("fail", str(e), wrote="unreadable")
        # The message check is the case's own error's; a transport_errors code replaces it.
        own = want_error is not None and case.expected_error(mode) == case.error
        return _judge_error(want_error, err, mode, case.error_message if own else "")
    if want_error is not None:
        where = f" over {mode} (transport_errors)" if want_error != case.error else ""
        return Outcome(
            "fail",
            f"expected error {codes.describe_expected(want_error, mode)}{where}, got a response",
            wrote="response",
        )
    kind = "v2 ModelInferResponse" if mode in V2_MODES else f"{case.api} response"
    want = _parse_response(case, mode, case.response_bytes(mode))
    try:
        got = _parse_response(case, mode, files["response.pb"].read_bytes())
    except Exception as e:
        return Outcome("fail", f"response.pb does not parse as a {kind}: {e}", wrote="response")
    if mode in V2_MODES:
        check = compare_v2(want, got, exact, Tolerance.of(case.entry), _argmax(case))
    else:
        check = _compare_response(case, want, got, mode, exact)
    if not check.ok:
        return Outcome("fail", check.failure, wrote="response")
    return Outcome("pass", worst=check.worst, wrote="response")


def _parse_response(case: ManifestCase, mode: str, data: bytes) -> Any:
    if mode in V2_MODES:
        from tritonclient.grpc import service_pb2

        message = service_pb2.ModelInferResponse()
        message.ParseFromString(data)
        return message
    return apis.parse_response(case.api, data)


def _argmax(case: ManifestCase) -> set[str]:
    return set(case.entry.get("argmax_outputs", []))


def _judge_error(want: str | None, err: RecordedError, mode: str, message: str = "") -> Outcome:
    got = f"{codes.describe(err, mode)}: {err.message[:300]}"
    if want is None:
        return Outcome("fail", f"expected a response, got {got}", wrote="error", error=err)
    if codes.error_matches(want, err, mode):
        if message in err.message:
            return Outcome("pass", wrote="error", error=err)
        return Outcome(
            "fail",
            f'expected {codes.describe_expected(want, mode)} "{message}", got {got}',
            wrote="error",
            error=err,
        )
    return Outcome(
        "fail",
        f"expected {codes.describe_expected(want, mode)}, got {got}",
        wrote="error",
        error=err,
    )


def _compare_spec(want: Any, got: Any) -> str:
    if want.name != got.name:
        return f"model_spec.name {got.name!r} != {want.name!r}"
    if want.version.value != got.version.value:
        return f"model_spec.version {got.version.value} != {want.version.value}"
    if want.signature_name != got.signature_name:
        return f"model_spec.signature_name {got.signature_name!r} != {want.signature_name!r}"
    return ""


def _compare_response(
    case: ManifestCase, want: Any, got: Any, mode: str, exact: bool
) -> ValueCheck:
    tol = Tolerance.of(case.entry)
    if case.api == "predict":
        if mode != "rest":  # a REST predict answer carries no model_spec
            msg = _compare_spec(want.model_spec, got.model_spec)
            if msg:
                return ValueCheck(msg)
        return compare_outputs(want.outputs, got.outputs, exact, tol, _argmax(case))
    if case.api == "metadata":
        return _compare_metadata(want, got)
    return _compare_inference(case.api, want, got, mode, exact, tol)


def compare_outputs(
    want: Any, got: Any, exact: bool, tol: Tolerance, argmax: set[str]
) -> ValueCheck:
    """Two maps of output alias -> TensorProto: names, then each tensor in name order."""
    names = _output_names(set(want), set(got))
    if names:
        return ValueCheck(names)
    worst = ""
    for name in sorted(want):
        check = compare_tensor(name, want[name], got[name], exact, tol, name in argmax)
        if not check.ok:
            return check
        worst = worst or check.worst
    return ValueCheck(worst=worst)


def _output_names(want: set[str], got: set[str]) -> str:
    """Failure text naming missing and extra outputs, "" when the names agree."""
    missing, extra = sorted(want - got), sorted(got - want)
    parts = [f"missing outputs {missing}"] if missing else []
    parts += [f"extra outputs {extra}"] if extra else []
    return "; ".join(parts)


def compare_tensor(
    name: str, want_p: Any, got_p: Any, exact: bool, tol: Tolerance, argmax: bool
) -> ValueCheck:
    """dtype, then shape, then values, then (for classifier outputs) argmax agreement."""
    if want_p.dtype != got_p.dtype:
        return ValueCheck(
            f"{name}: dtype {tensor_codec.dtype_name(got_p.dtype)} != "
            f"{tensor_codec.dtype_name(want_p.dtype)}"
        )
    try:
        want = tensor_codec.to_ndarray(want_p)
        got = tensor_codec.to_ndarray(got_p)
    except Exception as e:
        return ValueCheck(f"{name}: tensor does not decode: {e}")
    if want.shape != got.shape:
        return ValueCheck(f"{name}: shape {list(got.shape)} != {list(want.shape)}")
    check = compare_values(name, want, got, exact, tol)
    if check.ok and argmax:
        failure = argmax_agreement(name, want, got)
        if failure:
            return ValueCheck(failure)
    return check


def compare_v2(want: Any, got: Any, exact: bool, tol: Tolerance, argmax: set[str]) -> ValueCheck:
    """Two ModelInferResponses: model_name, model_version, output names (missing and extra
    both fail; order is not judged), then each output's datatype, shape and values."""
    if got.model_name != want.model_name:
        return ValueCheck(f"model_name {got.model_name!r} != {want.model_name!r}")
    if got.model_version != want.model_version:
        return ValueCheck(f"model_version {got.model_version!r} != {want.model_version!r}")
    try:
        got_outputs = v2.output_arrays(got)
    except ServingError as e:
        return ValueCheck(f"outputs do not decode: {e.message}")
    want_outputs = v2.output_arrays(want)
    names = _output_names(set(want_outputs), set(got_outputs))
    if names:
        return ValueCheck(names)
    worst = ""
    for name in sorted(want_outputs):
        (w_type, w), (g_type, g) = want_outputs[name], got_outputs[name]
        if g_type != w_type:
            return ValueCheck(f"{name}: datatype {g_type} != {w_type}")
        if g.shape != w.shape:
            return ValueCheck(f"{name}: shape {list(g.shape)} != {list(w.shape)}")
        check = compare_values(name, w, g, exact, tol)
        if check.ok and name in argmax:
            failure = argmax_agreement(name, w, g)
            if failure:
                return ValueCheck(failure)
        if not check.ok:
            return check
        worst = worst or check.worst
    return ValueCheck(worst=worst)


def _compare_metadata(want: Any, got: Any) -> ValueCheck:
    if (
        want.model_spec.name != got.model_spec.name
        or want.model_spec.version.value != got.model_spec.version.value
    ):
        return ValueCheck(
            f"model_spec {got.model_spec.name!r} v{got.model_spec.version.value} != "
            f"{want.model_spec.name!r} v{want.model_spec.version.value}"
        )
    if "signature_def" not in got.metadata:
        return ValueCheck("metadata lacks signature_def")
    w, g = get_model_metadata_pb2.SignatureDefMap(), get_model_metadata_pb2.SignatureDefMap()
    want.metadata["signature_def"].Unpack(w)
    if not got.metadata["signature_def"].Unpack(g):
        return ValueCheck("metadata signature_def is not a SignatureDefMap")
    if w != g:
        keys = sorted(set(w.signature_def) ^ set(g.signature_def))
        return ValueCheck(f"SignatureDefMap differs (keys differing: {keys or 'contents'})")
    return ValueCheck()


def _compare_inference(
    api: str, want: Any, got: Any, mode: str, exact: bool, tol: Tolerance
) -> ValueCheck:
    def results(resp: Any) -> list[tuple[Any, Any]]:
        if api == "multi_inference":
            return [(r.model_spec, r) for r in resp.results]
        return [(resp.model_spec, resp.result)]

    w, g = results(want), results(got)
    if len(w) != len(g):
        return ValueCheck(f"{len(g)} results != {len(w)}")
    for (wspec, wres), (gspec, gres) in zip(w, g, strict=True):
        if mode != "rest":
            msg = _compare_spec(wspec, gspec)
            if msg:
                return ValueCheck(msg)
        if api == "multi_inference":
            kind = wres.WhichOneof("result")
            if kind != gres.WhichOneof("result"):
                return ValueCheck(f"result kind {gres.WhichOneof('result')} != {kind}")
            wres, gres = getattr(wres, kind), getattr(gres, kind)
        if hasattr(wres, "classifications"):
            check = _compare_classifications(wres, gres, exact, tol)
        else:
            check = _compare_regressions(wres, gres, exact, tol)
        if not check.ok:
            return check
    return ValueCheck()


def _compare_classifications(want: Any, got: Any, exact: bool, tol: Tolerance) -> ValueCheck:
    if len(want.classifications) != len(got.classifications):
        return ValueCheck(
            f"{len(got.classifications)} classifications != {len(want.classifications)}"
        )
    for i, (wc, gc) in enumerate(zip(want.classifications, got.classifications, strict=True)):
        w_labels, g_labels = [c.label for c in wc.classes], [c.label for c in gc.classes]
        if w_labels != g_labels:
            return ValueCheck(f"classification[{i}]: labels {g_labels} != {w_labels}")
        check = compare_values(
            f"classification[{i}].score",
            np.array([c.score for c in wc.classes], np.float32),
            np.array([c.score for c in gc.classes], np.float32),
            exact,
            tol,
        )
        if not check.ok:
            return check
    return ValueCheck()


def _compare_regressions(want: Any, got: Any, exact: bool, tol: Tolerance) -> ValueCheck:
    if len(want.regressions) != len(got.regressions):
        return ValueCheck(f"{len(got.regressions)} regressions != {len(want.regressions)}")
    return compare_values(
        "regression.value",
        np.array([r.value for r in want.regressions], np.float32),
        np.array([r.value for r in got.regressions], np.float32),
        exact,
        tol,
    )
