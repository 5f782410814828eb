"""Which signature and API each recorded case exercises, and what no case did.

A verdict that says PASS must not hide a signature no case ran: one exercised
only by error cases (its synthesized input was refused) or by none (a method TF
Serving does not serve, a feature spec that could not be read) is "not covered",
with the reason. Computed from the case set and the model's SignatureDefs, not
from the recorder's own bookkeeping, so it holds for any case set.
"""

from __future__ import annotations

from dataclasses import dataclass

from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import classification_pb2, predict_pb2, regression_pb2

from tfinterop.golden.cases.manifest import Manifest, ManifestCase
from tfinterop.serving import signature

# The API that serves a signature of each method (what TF Serving's handlers accept).
API_OF_METHOD = {
    signature.PREDICT_METHOD: "predict",
    signature.CLASSIFY_METHOD: "classify",
    signature.REGRESS_METHOD: "regress",
}
_REQUESTS = {
    "predict": predict_pb2.PredictRequest,
    "classify": classification_pb2.ClassificationRequest,
    "regress": regression_pb2.RegressionRequest,
}


@dataclass(frozen=True)
class Coverage:
    signature: str
    api: str
    with_outputs: tuple[str, ...]  # case ids that run it expecting outputs over some mode
    error_only: tuple[str, ...]  # case ids that run it expecting an error over every mode
    reason: str  # why it is not covered; "" when covered

    @property
    def covered(self) -> bool:
        return bool(self.with_outputs)


def signature_of(case: ManifestCase) -> str | None:
    """The signature key a predict/classify/regress case's request names (TF Serving's
    default when empty); None for other APIs."""
    request_type = _REQUESTS.get(case.api)
    if request_type is None:
        return None
    request = request_type.FromString(case.read("request"))
    return request.model_spec.signature_name or signature.DEFAULT_SIGNATURE


def compute(
    cases: Manifest, meta: meta_graph_pb2.MetaGraphDef, reasons: dict[str, str] | None = None
) -> list[Coverage]:
    """One Coverage per serving signature of `meta`; `reasons` (signature -> why) explains
    a signature no case ran (e.g. the recorder's own note). A case covers its signature
    when it expects outputs over some mode and they hold values (an empty batch does not)."""
    by_signature: dict[str, list[ManifestCase]] = {}
    for case in cases.cases:
        key = signature_of(case)
        if key is not None:
            by_signature.setdefault(key, []).append(case)
    out = []
    for key, sig in sorted(meta.signature_def.items()):
        if key.startswith("__"):
            continue  # TF2's __saved_model_init_op: not a serving signature
        # Predict serves a signature of any method name (TF Serving's
        # --enable_signature_method_name_check is off by default).
        api = API_OF_METHOD.get(sig.method_name, "predict")
        # A classify/regress signature over plain tensors runs through Predict too.
        mine = [c for c in by_signature.get(key, []) if c.api in (api, "predict")]
        answered = [c for c in mine if any(c.expected_error(m) is None for m in c.transports)]
        runs = tuple(c.id for c in answered if _has_values(c))
        refused = [c for c in mine if c not in answered]
        errors = tuple(c.id for c in refused)
        reason = ""
        if not runs:
            empty = " and an empty batch, whose outputs hold no value," if answered else ""
            if errors:
                codes = sorted({str(c.error) for c in refused})
                fix = (
                    "give inputs it accepts with --inputs"
                    if api == "predict"
                    else "the tf.Examples built from its feature spec were refused"
                )
                reason = (
                    f"only error cases ({', '.join(errors)}: {', '.join(codes)}){empty} "
                    f"ran it; {fix}"
                )
            elif answered:
                reason = "only an empty batch ran it: its outputs hold no value to compare"
            else:
                reason = (reasons or {}).get(key) or "no case was recorded for it"
        out.append(Coverage(key, api, runs, errors, reason))
    return out


def _has_values(case: ManifestCase) -> bool:
    """Whether the expected response carries any output value: an empty batch answers
    with zero-element tensors, which run the signature but check nothing it computes."""
    if case.api != "predict" or "response" not in case.entry:
        return True
    response = predict_pb2.PredictResponse.FromString(case.read("response"))
    for tensor in response.outputs.values():
        dims = [d.size for d in tensor.tensor_shape.dim]
        if not dims or all(d > 0 for d in dims):
            return True
    return False


def render(coverage: list[Coverage]) -> str:
    """The per-signature table verify prints."""
    lines = ["| signature | api | cases with outputs | covered |", "| --- | --- | --- | --- |"]
    for c in coverage:
        shown = ", ".join(c.with_outputs) or "-"
        lines.append(
            f"| {c.signature} | {c.api} | {shown} | {'yes' if c.covered else 'NO: ' + c.reason} |"
        )
    return "\n".join(lines)
