"""Every (client, mode, model, case) row: outcome, expected-failure status, report files."""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.interop.compare import Outcome, compare
from tfinterop import atomic
from tfinterop.cases import manifest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ("python", "go", "java", "cpp")
MODES = ("inproc", "grpc", "rest")
EXPECTED_DIR = ROOT / "tests" / "expected_failures"


def build_dir() -> Path:
    return Path(os.environ.get("TFINTEROP_BUILD", ROOT / "build"))


def expected_clients() -> list[str]:
    names = os.environ.get("TFINTEROP_CLIENTS", ",".join(CLIENTS))
    return [n.strip() for n in names.split(",") if n.strip()]


@dataclass(frozen=True)
class ExpectedFailure:
    pattern: str
    reason: str


def expected_failures(client: str) -> list[ExpectedFailure]:
    path = EXPECTED_DIR / f"{client}.txt"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, reason = line.partition(" ")
        out.append(ExpectedFailure(pattern, reason.strip()))
    return out


@dataclass(frozen=True)
class Row:
    client: str
    mode: str
    model: str
    case: str
    status: str  # pass | fail | missing
    detail: str
    expected_failure: str  # the reason when the row is listed as expected to fail
    worst: str

    @property
    def id(self) -> str:
        return f"{self.client}-{self.mode}-{self.model}-{self.case}"

    def rerun(self) -> str:
        return (
            f".venv/bin/tfinterop interop --clients {self.client} --modes {self.mode} "
            f"--cases build/cases/{self.model} && .venv/bin/pytest tests/interop -q "
            f"-k '{self.client}-{self.mode}-{self.model}-{self.case}'"
        )


def _exact(client_dir: Path, mode: str, producer_tf: str, build: Path) -> bool:
    """Bit-exact is required where the model ran on the producing TensorFlow build."""
    if mode == "inproc":
        try:
            run = json.loads((client_dir / "run.json").read_text())
        except (OSError, ValueError):
            return False
        runtime = run.get("runtime", {})
        return runtime.get("tensorflow") == producer_tf and "wheel" in str(
            runtime.get("library", "")
        )
    try:
        server = json.loads((build / "results" / "server.json").read_text())
    except (OSError, ValueError):
        return False
    return server.get("server") == "bundled" and server.get("tensorflow") == producer_tf


def _matches(pattern: str, mode: str, model: str, case: manifest.ManifestCase) -> bool:
    """`mode/model/case-glob`; the case part may be @runs (cases that run the model
    and expect outputs: every api but metadata) or @error (cases expecting a code)."""
    head, _, case_pat = pattern.rpartition("/")
    if not fnmatch.fnmatchcase(f"{mode}/{model}", head):
        return False
    if case_pat == "@runs":
        return case.error is None and case.api != "metadata"
    if case_pat == "@error":
        return case.error is not None
    return fnmatch.fnmatchcase(case.id, case_pat)


def rows() -> list[Row]:
    build = build_dir()
    out: list[Row] = []
    case_dirs = sorted(p.parent for p in (build / "cases").glob("*/manifest.json"))
    only = os.environ.get("TFINTEROP_MODELS")
    if only:
        wanted = {m.strip() for m in only.split(",")}
        case_dirs = [d for d in case_dirs if d.name in wanted]
    for client in expected_clients():
        xfails = expected_failures(client)
        for mode in MODES:
            for folder in case_dirs:
                m = manifest.read(folder)
                result_dir = build / "results" / client / mode / m.model
                exact = _exact(result_dir, mode, m.data["producer"].get("tensorflow", ""), build)
                for case in m.cases:
                    if mode not in case.transports:
                        continue
                    if not result_dir.is_dir():
                        outcome = Outcome(
                            "missing", f"{client} produced no results for {mode}/{m.model}"
                        )
                    else:
                        outcome = compare(case, result_dir, mode, exact)
                    reason = next(
                        (x.reason for x in xfails if _matches(x.pattern, mode, m.model, case)), ""
                    )
                    out.append(
                        Row(
                            client,
                            mode,
                            m.model,
                            case.id,
                            outcome.status,
                            outcome.detail,
                            reason,
                            outcome.worst,
                        )
                    )
    return out


def write_report(all_rows: list[Row], folder: Path) -> None:
    """interop.json (one object per row), interop.md (the matrix) and failures.json."""
    data = [
        {
            "client": r.client,
            "mode": r.mode,
            "model": r.model,
            "case": r.case,
            "status": r.status,
            "detail": r.detail,
            "worst": r.worst,
            **({"expected_failure": r.expected_failure} if r.expected_failure else {}),
        }
        for r in all_rows
    ]
    atomic.write_text(folder / "interop.json", json.dumps(data, indent=1) + "\n")
    failures = [
        asdict(r) | {"rerun": r.rerun()}
        for r in all_rows
        if r.status != "pass" and not r.expected_failure
    ]
    atomic.write_text(folder / "failures.json", json.dumps(failures, indent=1) + "\n")
    atomic.write_text(folder / "interop.md", render_markdown(all_rows))


def render_markdown(all_rows: list[Row]) -> str:
    models = sorted({r.model for r in all_rows})
    lines = [
        "# Interop matrix",
        "",
        "Each cell: cases passed / cases that apply. `xf` counts expected failures "
        "(tests/expected_failures), `!` marks unexpected failures or missing results.",
        "",
        "| client | mode | " + " | ".join(models) + " |",
        "| --- | --- | " + " | ".join("---" for _ in models) + " |",
    ]
    for client in dict.fromkeys(r.client for r in all_rows):
        for mode in MODES:
            cells = []
            for model in models:
                sel = [
                    r
                    for r in all_rows
                    if r.client == client and r.mode == mode and r.model == model
                ]
                if not sel:
                    cells.append("n/a")
                    continue
                ok = sum(r.status == "pass" for r in sel)
                xf = sum(r.status != "pass" and bool(r.expected_failure) for r in sel)
                bad = sum(r.status != "pass" and not r.expected_failure for r in sel)
                missing = all(r.status == "missing" for r in sel)
                cell = "missing !" if missing else f"{ok}/{len(sel)}"
                if xf:
                    cell += f" ({xf} xf)"
                if bad and not missing:
                    cell += f" {bad} !"
                cells.append(cell)
            lines.append(f"| {client} | {mode} | " + " | ".join(cells) + " |")
    bad_rows = [r for r in all_rows if r.status != "pass" and not r.expected_failure]
    xf_rows = [r for r in all_rows if r.status != "pass" and r.expected_failure]
    lines += ["", f"## Unexpected failures ({len(bad_rows)})", ""]
    for r in bad_rows[:200]:
        lines.append(f"- `{r.id}` {r.status}: {r.detail}")
    reasons = sorted({(r.client, r.expected_failure) for r in xf_rows})
    lines += ["", f"## Expected failures ({len(xf_rows)})", ""]
    for client, reason in reasons:
        n = sum(1 for r in xf_rows if r.client == client and r.expected_failure == reason)
        lines.append(f"- {client}: {n} cases: {reason}")
    return "\n".join(lines) + "\n"
