"""`tfinterop report` (`make report`): build/report/index.html, one self-contained page.

The interop matrix (client x mode x model, pass/fail with the worst error per
cell, links to each failure), the bench table and plots, the reliability
figures, each `tfinterop diff` found under build/ (build/*/diff.json), and the
producer and runtime versions. Images are embedded, nothing
is fetched: the page opens from disk with no network.
"""

from __future__ import annotations

import base64
import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from tfinterop.harness import registry
from tfinterop.util import atomic

MODES = registry.MODES
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}
th{background:#f0f0f0}.pass{background:#d9f2d9}.fail{background:#f8d0d0}.xf{background:#fbeec8}
.missing{background:#e0e0e0}small{color:#555}code{font-size:12px}img{max-width:100%;border:1px solid #ddd}
"""


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _img(path: Path) -> str:
    if not path.exists():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}"></p>'


def _verdict(row: dict[str, Any]) -> str:
    """pass | expected | unexpected, as the judge decided (tfinterop.judge)."""
    if "verdict" in row:
        return str(row["verdict"])
    if row["status"] == "pass":
        return "pass"
    return "expected" if row.get("expected_failure") else "unexpected"


def matrix_html(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No interop results yet: run <code>make interop-test</code>.</p>"
    models = sorted({r["model"] for r in rows})
    cells: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        cells[(r["client"], r["mode"], r["model"])].append(r)
    out = [
        "<table><tr><th>client</th><th>mode</th>"
        + "".join(f"<th>{html.escape(m)}</th>" for m in models)
        + "</tr>"
    ]
    for client in dict.fromkeys(r["client"] for r in rows):
        for mode in MODES:
            tds = []
            for model in models:
                sel = cells.get((client, mode, model), [])
                if not sel:
                    tds.append("<td>n/a</td>")
                    continue
                ok = sum(_verdict(r) == "pass" for r in sel)
                bad = [r for r in sel if _verdict(r) == "unexpected"]
                xf = [r for r in sel if _verdict(r) == "expected"]
                cls = (
                    "missing"
                    if all(r["status"] == "missing" for r in sel)
                    else ("fail" if bad else ("xf" if xf else "pass"))
                )
                worst = next(
                    (r.get("worst") for r in sel if r.get("worst") and r["status"] == "pass"), ""
                )
                note = f"<br><small>{len(xf)} expected failures</small>" if xf else ""
                if bad:
                    first = bad[0]
                    anchor = f"f-{client}-{mode}-{model}-{first['case']}"
                    note += f'<br><small><a href="#{html.escape(anchor)}">{len(bad)} failing</a></small>'
                elif worst:
                    note += f"<br><small>{html.escape(str(worst))}</small>"
                tds.append(f'<td class="{cls}">{ok}/{len(sel)}{note}</td>')
            out.append(f"<tr><td>{client}</td><td>{mode}</td>{''.join(tds)}</tr>")
    out.append("</table>")
    failures = [r for r in rows if _verdict(r) == "unexpected"]
    out.append(f"<h3>Failures ({len(failures)})</h3>")
    if failures:
        out.append("<ul>")
        for r in failures[:300]:
            anchor = f"f-{r['client']}-{r['mode']}-{r['model']}-{r['case']}"
            out.append(
                f'<li id="{html.escape(anchor)}"><code>{html.escape(anchor[2:])}</code> {r["status"]}: '
                f"{html.escape(r.get('why') or r['detail'])}</li>"
            )
        out.append("</ul>")
    reasons = sorted(
        {
            (r["client"], r["expected_failure"])
            for r in rows
            if _verdict(r) == "expected" and r.get("expected_failure")
        }
    )
    if reasons:
        out.append("<h3>Expected failures (tfinterop/judge/expected_failures)</h3><ul>")
        out += [f"<li>{html.escape(c)}: {html.escape(reason)}</li>" for c, reason in reasons]
        out.append("</ul>")
    return "\n".join(out)


def bench_html(report: Path) -> str:
    bench = _load(report / "bench.json")
    if not bench:
        return "<p>No benchmark yet: run <code>make bench</code>.</p>"
    out = [
        "<table><tr><th>mode</th><th>client</th><th>batch</th><th>concurrency</th><th>p50 us</th>"
        "<th>p90 us</th><th>p99 us</th><th>req/s</th><th>errors</th><th>ratio</th></tr>"
    ]
    for r in sorted(
        bench["rows"], key=lambda r: (r["mode"], r["batch"], r["client"], r["concurrency"])
    ):
        ratio = f"{r['ratio_to_reference']}x" if r.get("ratio_to_reference") is not None else ""
        out.append(
            f"<tr><td>{r['mode']}</td><td>{r['client']}</td><td>{r['batch']}</td><td>{r['concurrency']}</td>"
            f"<td>{r['p50_us']}</td><td>{r['p90_us']}</td><td>{r['p99_us']}</td><td>{r['rps']}</td>"
            f"<td>{r['errors']}</td><td>{ratio}</td></tr>"
        )
    out.append("</table><h3>Targets</h3><table><tr><th>target</th><th>value</th><th>met</th></tr>")
    for t in bench.get("targets", []):
        cls = "pass" if t["met"] else "fail"
        out.append(
            f"<tr><td>{html.escape(t['target'])}</td><td>{html.escape(t['value'])}</td>"
            f'<td class="{cls}">{"met" if t["met"] else "not met"}</td></tr>'
        )
    out.append("</table>")
    cpu_rows = (bench.get("cpu") or {}).get("rows") or {}
    if cpu_rows:
        out.append(
            f"<h3>CPU per request at batch 1, c=32 ({bench['cpu']['cores']} cores shared by ghz "
            "and the server)</h3><table><tr><th>server</th><th>server CPU us</th>"
            "<th>ghz CPU us</th><th>cores busy</th><th>ceiling req/s</th></tr>"
        )
        for name, r in cpu_rows.items():
            out.append(
                f"<tr><td>{html.escape(r.get('label', name))}</td><td>{r['server_cpu_us']}</td>"
                f"<td>{r['loadgen_cpu_us']}</td><td>{r['busy'] * 100:.0f}%</td>"
                f"<td>{r['ceiling_rps']}</td></tr>"
            )
        out.append("</table>")
    for key, title in (
        (
            "server_profile",
            "Where the server's time goes (py-spy: own time, then the GIL's holders)",
        ),
        ("java_profile", "Where the Java client's in-process predict goes (async-profiler)"),
    ):
        if bench.get(key):
            out.append(f"<h3>{title}</h3><ul>")
            out += [f"<li><code>{html.escape(p)}</code></li>" for p in bench[key]]
            out.append("</ul>")
    out.append(_img(report / "bench-latency.png"))
    out.append(_img(report / "bench-throughput.png"))
    return "\n".join(out)


def versions_html(build: Path) -> str:
    out = ["<table><tr><th>what</th><th>versions</th></tr>"]
    for manifest in sorted((build / "cases").glob("*/manifest.json"))[:1]:
        producer = _load(manifest) or {}
        items = ", ".join(f"{k} {v}" for k, v in producer.get("producer", {}).items())
        out.append(f"<tr><td>producer (goldens)</td><td>{html.escape(items)}</td></tr>")
    for run in sorted((build / "results").glob("*/*/mnist/run.json")):
        data = _load(run) or {}
        items = ", ".join(f"{k} {v}" for k, v in data.get("runtime", {}).items())
        out.append(
            f"<tr><td>{html.escape(data.get('client', '?'))} {html.escape(data.get('mode', '?'))}</td>"
            f"<td>{html.escape(items)}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def reliability_html(report: Path) -> str:
    data = _load(report / "reliability.json")
    if not data:
        return "<p>No reliability figures yet: run <code>make test-reliability</code>.</p>"
    out = []
    for section, rows in data.items():
        keys = list(dict.fromkeys(k for r in rows for k in r))
        out.append(
            f"<h3>{html.escape(section)}</h3><table><tr>"
            + "".join(f"<th>{html.escape(k)}</th>" for k in keys)
            + "</tr>"
        )
        for r in rows:
            out.append(
                "<tr>"
                + "".join(f"<td>{html.escape(str(r.get(k, '')))}</td>" for k in keys)
                + "</tr>"
            )
        out.append("</table>")
    return "\n".join(out)


def _figure(value: Any) -> str:
    """A diff figure: integers as they are, floats to 3 significant digits, "inf" kept."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "0" if value == 0 else f"{value:.3g}"
    return str(value)


DIFF_HEADS = ("side", "case", "output", "dtype", "max abs", "max rel", "max ULP", "differ", "flips")


def diff_html(build: Path) -> str:
    """One part per `tfinterop diff` whose data is under build/ (build/<folder>/diff.json,
    build/diff/diff.json by default): verdict, signature changes, deltas, errors, latency."""
    found = [(p, _load(p)) for p in sorted(build.glob("*/diff.json"))]
    parts = [_diff_part(p, d) for p, d in found if isinstance(d, dict) and "verdict" in d]
    return "\n".join(parts) or "<p>No version diff yet: run <code>tfinterop diff</code>.</p>"


def _diff_part(path: Path, d: dict[str, Any]) -> str:
    v, a, b = d["verdict"], d["a"], d["b"]
    out = [
        f"<h3>{html.escape(d['model'])}: version {a['version']} &rarr; {b['version']} "
        f'<span class="{"pass" if v["exit"] == 0 else "fail"}">exit {v["exit"]}</span></h3>'
        f"<p><small>A {html.escape(a['path'])}<br>B {html.escape(b['path'])}<br>"
        f"data: {html.escape(str(path))}</small></p>"
    ]
    if v["reasons"]:
        out.append("<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in v["reasons"]) + "</ul>")
    sig = d["signatures"]
    if sig["equal"]:
        out.append(f"<p>Signatures equal: {html.escape(', '.join(sig['keys']))}</p>")
    else:
        out.append("<p>Signature changes:</p><ul>")
        out += [f"<li><code>{html.escape(c['text'])}</code></li>" for c in sig["changes"]]
        out.append("</ul>")
    out.append(_diff_outputs_html(d))
    if d["argmax"]:
        flips = "; ".join(
            html.escape(f"{f['side']} {f['signature']} {f['output']} {f['flips']}/{f['rows']}")
            + f" ({f['share']:.1%})"
            for f in d["argmax"]
        )
        out.append(f"<p>Argmax flips over all cases: {flips}</p>")
    if d["errors"]:
        out.append("<p>Errors that appear, disappear or change code:</p><ul>")
        out += [
            f"<li>{html.escape(e['side'])} <code>{html.escape(e['case'])}</code>: "
            f"{html.escape(e['change'])} (A {e['a']}, B {e['b']}) "
            f"<small>{html.escape(e['message'])}</small></li>"
            for e in d["errors"]
        ]
        out.append("</ul>")
    lat = d.get("latency")
    if lat:
        out.append(
            f"<p>Batch-{lat['batch']} latency, median of {lat['runs']} in-process calls of "
            f"<code>{html.escape(lat['case'])}</code>: A {lat['a_us']} us, B {lat['b_us']} us</p>"
        )
    return "\n".join(out)


def _diff_outputs_html(d: dict[str, Any]) -> str:
    """The per case and output figures; a client whose figures repeat the reference's is
    named once instead."""
    if not d["outputs"]:
        return "<p>No case was answered on both sides.</p>"
    alike = d.get("same_as_reference", [])
    out = []
    if alike:
        out.append(
            f"<p>{html.escape(', '.join(alike))}: the same figures as the reference, case by "
            "case (their rows are not repeated).</p>"
        )
    out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in DIFF_HEADS) + "</tr>")
    for r in d["outputs"]:
        if r["side"] in alike:
            continue
        flips = "" if r["argmax_rows"] is None else f"{r['argmax_flips']}/{r['argmax_rows']}"
        figures = (
            [f'<td colspan="4" class="xf">{html.escape(r["note"])}</td>']
            if r["note"]
            else [f"<td>{_figure(r[k])}</td>" for k in ("max_abs", "max_rel", "max_ulp")]
            + [f"<td>{r['differ']}/{r['elements']}</td>"]
        )
        cells = "".join(
            f"<td>{html.escape(str(r[k]))}</td>" for k in ("side", "case", "output", "dtype")
        )
        out.append(f"<tr>{cells}{''.join(figures)}<td>{flips}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def main(build: Path, out: Path) -> int:
    """`tfinterop report`: prints the page's path."""
    print(write(build, out))
    return 0


def write(build: Path, out: Path) -> Path:
    rows = _load(out / "interop.json") or []
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tfinterop report</title><style>{STYLE}</style></head>
<body>
<h1>tfinterop: one SavedModel, every language</h1>
<h2>Interop matrix</h2>
<p>Cases passed / cases that apply, per client, transport and model. Green: all pass; yellow: only
expected failures (listed below with their reason); red: unexpected failures (linked).</p>
{matrix_html(rows)}
<h2>Benchmarks</h2>
{bench_html(out)}
<h2>Reliability</h2>
{reliability_html(out)}
<h2>Version diff</h2>
{diff_html(build)}
<h2>Versions</h2>
{versions_html(build)}
</body></html>
"""
    path = out / "index.html"
    atomic.write_text(path, page)
    return path
