"""The data of one `tfinterop diff` (the JSON file, the HTML section) and its text table.

One dict holds it all; the text on stdout, `--json FILE` and the HTML report's
"diff" section are all rendered from it, so they cannot disagree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tfinterop.byo import diff_values
from tfinterop.byo.diff_signatures import Change
from tfinterop.golden.cases.manifest import Case
from tfinterop.serving.signature import DEFAULT_SIGNATURE

if TYPE_CHECKING:
    from tfinterop.byo.diff import Options

REFERENCE = "reference"  # the side name of the golden runtime
NEW_ERRORS = ("appears", "changes code")


def _signature_of(case: Case) -> str:
    return str(case.request.model_spec.signature_name) or DEFAULT_SIGNATURE


def _error_change(a: diff_values.Answer, b: diff_values.Answer) -> str:
    if a.code is None and b.code is not None:
        return "appears"
    if a.code is not None and b.code is None:
        return "disappears"
    return "changes code" if a.code != b.code else ""


def assemble(
    *,
    name: str,
    a: dict[str, Any],
    b: dict[str, Any],
    recorded: int,
    changes: list[Change],
    signatures: list[str],
    cases: Mapping[str, Case],
    answers: Mapping[str, Mapping[str, tuple[diff_values.Answer, diff_values.Answer]]],
    no_answer: list[dict[str, str]],
    latency: dict[str, Any] | None,
    options: Options,
    cannot_run: list[str],
) -> dict[str, Any]:
    """The report's data, its verdict included."""
    outputs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    same_errors = 0
    for side, pairs in answers.items():
        for case_id, (ans_a, ans_b) in pairs.items():
            case = cases[case_id]
            where = {"side": side, "case": case_id, "signature": _signature_of(case)}
            if ans_a.outputs is not None and ans_b.outputs is not None:
                for d in diff_values.compare(ans_a.outputs, ans_b.outputs):
                    outputs.append({**where, **_delta_row(d)})
                continue
            change = _error_change(ans_a, ans_b)
            if not change:
                same_errors += 1
                continue
            errors.append(
                {
                    **where,
                    "change": change,
                    "a": ans_a.code or "OK",
                    "b": ans_b.code or "OK",
                    "message": (ans_b.message or ans_a.message)[:300],
                }
            )
    data: dict[str, Any] = {
        "model": name,
        "a": a,
        "b": b,
        "cases": {"recorded": recorded, "replayed": len(cases)},
        "sides": list(answers),
        "signatures": {
            "equal": not changes,
            "keys": signatures,
            "changes": [c.as_json() for c in changes],
        },
        "outputs": outputs,
        "argmax": _flip_rates(outputs),
        "same_as_reference": same_as_reference(outputs),
        "errors": errors,
        "same_errors": same_errors,
        "not_compared": no_answer,
        "latency": latency,
        "thresholds": {
            "max_abs": options.max_abs,
            "max_flip_rate": options.max_flip_rate,
            "allow_signature_changes": options.allow_signature_changes,
            "allow_new_errors": options.allow_new_errors,
        },
        "cannot_run": cannot_run,
    }
    data["verdict"] = verdict(data)
    return data


def _delta_row(d: diff_values.Delta) -> dict[str, Any]:
    return {
        "output": d.output,
        "dtype": d.dtype,
        "shape": list(d.shape),
        "elements": d.elements,
        "differ": d.differ,
        "max_abs": d.max_abs,
        "max_rel": d.max_rel,
        "max_ulp": d.max_ulp,
        "argmax_rows": d.argmax_rows,
        "argmax_flips": d.argmax_flips,
        "note": d.note,
    }


def same_as_reference(outputs: list[dict[str, Any]]) -> list[str]:
    """The client sides whose rows repeat the reference's exactly (the table shows them once)."""

    def figures(side: str) -> list[tuple[Any, ...]]:
        return [tuple(v for k, v in r.items() if k != "side") for r in outputs if r["side"] == side]

    reference = figures(REFERENCE)
    sides = dict.fromkeys(r["side"] for r in outputs if r["side"] != REFERENCE)
    return [s for s in sides if reference and figures(s) == reference]


def _flip_rates(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per side, signature and classifier-like output: rows whose top class changed, over
    every case."""
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in outputs:
        if r["argmax_rows"]:
            acc = sums[(r["side"], r["signature"], r["output"])]
            acc[0] += r["argmax_flips"]
            acc[1] += r["argmax_rows"]
    return [
        {"side": s, "signature": sig, "output": o, "flips": f, "rows": n, "share": f / n}
        for (s, sig, o), (f, n) in sums.items()
    ]


def verdict(data: dict[str, Any]) -> dict[str, Any]:
    """Exit 3 when something could not run, else 1 with the reasons, else 0."""
    t = data["thresholds"]
    reasons = []
    changes = data["signatures"]["changes"]
    if changes and not t["allow_signature_changes"]:
        reasons.append(
            f"{len(changes)} signature change(s) (--allow-signature-changes accepts them)"
        )
    new = [e for e in data["errors"] if e["change"] in NEW_ERRORS]
    if new and not t["allow_new_errors"]:
        cases = dict.fromkeys(e["case"] for e in new)
        sides = dict.fromkeys(e["side"] for e in new)
        reasons.append(
            f"{len(cases)} case(s) that A answers fail on B or fail with another code, on "
            f"{', '.join(sides)} (--allow-new-errors accepts them)"
        )
    if t["max_abs"] is not None:
        over = [
            r for r in data["outputs"] if r["max_abs"] is not None and r["max_abs"] > t["max_abs"]
        ]
        if over:
            worst = max(over, key=lambda r: r["max_abs"])
            reasons.append(
                f"--max-abs {t['max_abs']:g}: {len(over)} output(s) above it, the largest "
                f"{figure(worst['max_abs'])} ({worst['side']} {worst['case']} {worst['output']})"
            )
        unmeasured = [r for r in data["outputs"] if r["note"]]
        if unmeasured:
            first = unmeasured[0]
            reasons.append(
                f"--max-abs {t['max_abs']:g}: {len(unmeasured)} output(s) not comparable "
                f"({first['side']} {first['case']} {first['output']}: {first['note']})"
            )
    if t["max_flip_rate"] is not None:
        for f in data["argmax"]:
            if f["share"] > t["max_flip_rate"]:
                reasons.append(
                    f"--max-flip-rate {t['max_flip_rate']:g}: {f['side']} {f['signature']} "
                    f"{f['output']} flips {f['flips']}/{f['rows']} rows ({f['share']:.1%})"
                )
    if data["cannot_run"]:
        return {"exit": 3, "reasons": data["cannot_run"] + reasons}
    return {"exit": 1 if reasons else 0, "reasons": reasons}


def jsonable(value: Any) -> Any:
    """The data with infinities and NaN as the strings "inf", "-inf", "nan" (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def figure(value: Any) -> str:
    """A figure as the text and HTML show it: integers whole, floats to 3 significant digits."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return "0" if value == 0 else f"{value:.3g}"
