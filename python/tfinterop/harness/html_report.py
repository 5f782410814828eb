"""`tfinterop report` (`make report`): build/report/index.html, one self-contained page.

The interop matrix (client x mode x model, pass/fail with the worst error per
cell, links to each failure), the bench table and plots, the reliability
figures, and the producer and runtime versions. Images are embedded, nothing
is fetched: the page opens from disk with no network.
"""

from __future__ import annotations

import base64
import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from tfinterop.util import atomic

MODES = ("inproc", "grpc", "rest")
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
    if bench.get("server_profile"):
        out.append("<h3>Where the server's time goes (py-spy)</h3><ul>")
        out += [f"<li><code>{html.escape(p)}</code></li>" for p in bench["server_profile"]]
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
<h2>Versions</h2>
{versions_html(build)}
</body></html>
"""
    path = out / "index.html"
    atomic.write_text(path, page)
    return path
