"""Hostile case sets: every client stops with one clear error, exit 1, and writes no result."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tensorflow_serving.apis import predict_pb2

from tests.reliability.figures import BUILD, ROOT, record
from tfinterop.harness import registry

CLIENTS = {name: c.argv(ROOT, "run") for name, c in registry.clients().items()}


def _manifest(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text())


def _truncate(folder: Path) -> None:
    f = folder / "v1-test-0000.request.pb"
    f.write_bytes(f.read_bytes()[:100])


def _missing(folder: Path) -> None:
    (folder / "v1-test-0003.request.pb").unlink()


def _wrong_sha(folder: Path) -> None:
    m = _manifest(folder)
    m["cases"][2]["sha256"][m["cases"][2]["request"]] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(m))


def _bad_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text('{"format": 1, "cases": [')


def _unknown_api(folder: Path) -> None:
    m = _manifest(folder)
    m["cases"][0]["api"] = "teleport"
    (folder / "manifest.json").write_text(json.dumps(m))


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated request file": _truncate,
    "missing request file": _missing,
    "manifest with a wrong sha256": _wrong_sha,
    "manifest that is not JSON": _bad_manifest,
    "case with an unknown api": _unknown_api,
}


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_case_set_is_one_clear_error(client: str, corruption: str, tmp_path: Path) -> None:
    cmd = CLIENTS[client]
    if not Path(cmd[0]).exists():
        pytest.fail(f"{cmd[0]} is not built: run `make clients`")
    cases = tmp_path / "cases" / "mnist"
    shutil.copytree(BUILD / "cases" / "mnist", cases)
    CORRUPTIONS[corruption](cases)
    out = tmp_path / "results"
    r = _run_inproc(cmd, cases, out)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not _tf_log(ln)]
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    record(
        "Hostile input (clients)",
        {
            "name": f"{client}: {corruption}",
            "exit": r.returncode,
            "stderr": (lines[-1] if lines else "")[:160],
            "result files": len(written),
        },
    )
    assert r.returncode == 1, r.stderr[-2000:]
    assert not written, f"partial results written: {written[:5]}"
    assert not any(
        "Traceback" in ln or "Exception in thread" in ln or "panic:" in ln for ln in lines
    ), r.stderr


def _run_inproc(cmd: list[str], cases: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """One client's in-process run over `cases` into `out`, with the exported model config."""
    config = str(BUILD / "models" / "models.config")
    return subprocess.run(
        [
            *cmd,
            "--mode",
            "inproc",
            "--cases",
            str(cases),
            "--out",
            str(out),
            "--model-config",
            config,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def _tf_log(line: str) -> bool:
    """TensorFlow's own start-up logging, which is not the client's error line."""
    return line.startswith(("I0000", "W0000", "E0000", "WARNING: All log", "To enable"))


def test_unknown_dtype_in_a_request_is_invalid_argument_not_a_crash(tmp_path: Path) -> None:
    """A request holding an unknown dtype is a well-formed case asking for something invalid:
    each client records INVALID_ARGUMENT for it, as TF Serving answers, and carries on."""
    cases = tmp_path / "cases" / "mnist"
    shutil.copytree(BUILD / "cases" / "mnist", cases)
    m = _manifest(cases)
    entry = next(c for c in m["cases"] if c["id"] == "v1-test-0000")
    req = predict_pb2.PredictRequest.FromString((cases / entry["request"]).read_bytes())
    req.inputs["image"].dtype = 777
    data = req.SerializeToString()
    (cases / entry["request"]).write_bytes(data)
    entry["sha256"][entry["request"]] = hashlib.sha256(data).hexdigest()
    (cases / "manifest.json").write_text(json.dumps(m))
    for client, cmd in CLIENTS.items():
        out = tmp_path / "results"
        r = _run_inproc(cmd, cases, out)
        err = out / client / "inproc" / "mnist" / "v1-test-0000.error.json"
        code = json.loads(err.read_text())["code"] if err.exists() else None
        record(
            "Hostile input (clients)",
            {
                "name": f"{client}: request with dtype 777",
                "exit": r.returncode,
                "stderr": "",
                "result files": f"error.json {code}",
            },
        )
        assert r.returncode == 0, f"{client}: {r.stderr[-1500:]}"
        assert code == "INVALID_ARGUMENT", f"{client}: {code}"
