"""Figures the reliability tests measure, gathered into build/report/reliability.md."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TFINTEROP_BUILD", ROOT / "build"))
STORE = BUILD / "report" / "reliability.json"


def record(section: str, row: dict[str, Any]) -> None:
    """Append one row of figures (appended to a JSON file so xdist-free runs and reruns merge)."""
    STORE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(STORE.read_text()) if STORE.exists() else {}
    data.setdefault(section, [])
    data[section] = [r for r in data[section] if r.get("name") != row.get("name")] + [row]
    tmp = STORE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(STORE)


def render() -> None:
    if not STORE.exists():
        return
    data = json.loads(STORE.read_text())
    lines = ["# Reliability and security", ""]
    for section, rows in data.items():
        lines += [f"## {section}", ""]
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("| " + " | ".join("---" for _ in keys) + " |")
        for r in rows:
            lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
        lines.append("")
    out = STORE.with_suffix(".md")
    out.write_text("\n".join(lines))
