"""The text table `tfinterop diff` prints on stdout, rendered from the report's data."""

from __future__ import annotations

from typing import Any

from tfinterop.byo.diff_report import REFERENCE, figure

COLUMNS = (
    ("side", "side"),
    ("case", "case"),
    ("output", "output"),
    ("dtype", "dtype"),
    ("max abs", "max_abs"),
    ("max rel", "max_rel"),
    ("max ULP", "max_ulp"),
    ("differ", "differ"),
    ("argmax flips", "argmax_flips"),
)


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "differ":
        return "" if row["note"] else f"{row['differ']}/{row['elements']}"
    if key == "argmax_flips":
        return "" if row["argmax_rows"] is None else f"{row['argmax_flips']}/{row['argmax_rows']}"
    if key in ("max_abs", "max_rel", "max_ulp"):
        return row["note"] if key == "max_abs" and row["note"] else figure(row[key])
    return str(row[key])


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (header, *rows)
    ]


def render(data: dict[str, Any]) -> str:
    """The text table `tfinterop diff` prints."""
    a, b = data["a"], data["b"]
    clients = [s for s in data["sides"] if s != REFERENCE]
    lines = [
        f"diff {data['model']}",
        f"  A: {a['path']} (version {a['version']})",
        f"  B: {b['path']} (version {b['version']})",
        f"  {data['cases']['recorded']} cases recorded from A, {data['cases']['replayed']} "
        "replayed on B: reference = tf.saved_model.load"
        + (
            f"; clients (client/mode): {', '.join(clients)} (B against its own A)"
            if clients
            else ""
        ),
        "",
    ]
    sig = data["signatures"]
    if sig["equal"]:
        lines.append(f"signatures: equal ({', '.join(sig['keys'])})")
    else:
        lines.append(f"signatures: {len(sig['changes'])} change(s)")
        lines += [f"  {c['text']}" for c in sig["changes"]]
    lines += ["", "outputs (A's answer -> B's, per case):"]
    alike = data["same_as_reference"]
    shown = [r for r in data["outputs"] if r["side"] not in alike]
    if shown:
        lines += _table([h for h, _ in COLUMNS], [[_cell(r, k) for _, k in COLUMNS] for r in shown])
    else:
        lines.append("  (no case answered on both sides)")
    if alike:
        lines.append(f"  {', '.join(alike)}: the same figures as the reference, case by case")
    if data["argmax"]:
        lines += ["", "argmax flips (classifier-like outputs, all cases):"]
        lines += _table(
            ["side", "signature", "output", "flips", "share"],
            [
                [
                    f["side"],
                    f["signature"],
                    f["output"],
                    f"{f['flips']}/{f['rows']}",
                    f"{f['share']:.1%}",
                ]
                for f in data["argmax"]
            ],
        )
    lines += ["", f"errors ({data['same_errors']} answer(s) fail alike on A and B):"]
    lines += [
        f"  {e['side']} {e['case']}: {e['change']}: A {e['a']}, B {e['b']}"
        + (f": {e['message'][:160]}" if e["message"] else "")
        for e in data["errors"]
    ] or ["  no error appears, disappears or changes code"]
    if data["not_compared"]:
        lines += ["", "not compared:"]
        lines += [f"  {n['side']} {n['case']}: {n['why'][:200]}" for n in data["not_compared"]]
    lat = data["latency"]
    lines.append("")
    if lat:
        ratio = f"{lat['b_us'] / lat['a_us']:.2f}x" if lat["a_us"] else "n/a"
        lines.append(
            f"latency (reference, batch {lat['batch']}, median of {lat['runs']} in-process calls "
            f"of {lat['case']}): A {lat['a_us']:.0f} us, B {lat['b_us']:.0f} us (B/A {ratio})"
        )
    else:
        lines.append(
            "latency: not measured (no predict case answered on both sides, or --latency-runs 0)"
        )
    v = data["verdict"]
    lines.append("")
    lines.append(
        f"diff {data['model']}: exit {v['exit']}"
        + ("" if v["reasons"] else ": within the limits given")
    )
    lines += [f"  {r}" for r in v["reasons"]]
    return "\n".join(lines) + "\n"
