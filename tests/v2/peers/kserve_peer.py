"""The suite's v2 rows against KServe's ModelServer (tests/v2/peers/kserve_tf.py).

Starts KServe in build/venvs/kserve on free ports, serving every model whose case set has
v2 cases (their op libraries loaded), runs the clients' v2grpc and v2rest modes against
it through the interop runner's external-server path, and judges the results with the
same judge and goldens. The expected failures are this server's alone
(kserve_expected.txt): the package lists state what TF Serving and the bundled server
answer, e.g. that a Keras 3 `tf.saved_model.save` model fails in the C++ loader, which
KServe's Python TensorFlow runs; the judge cannot scope an entry to a server, so the
package lists are left out of this run and the peer's file is the whole list.

Writes build/report/v2-kserve/: interop.md (this server's matrix), interop.json,
failures.json, and servers.md, each case where KServe's answer is not the contract's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tfinterop.golden.cases import manifest
from tfinterop.harness import registry, run_clients
from tfinterop.harness.server_process import free_port
from tfinterop.judge import codes, expected, matrix, report
from tfinterop.judge.matrix import Judgement, Row
from tfinterop.serving import op_libraries
from tfinterop.serving.errors import ToolError
from tfinterop.util import atomic

PEERS = Path(__file__).resolve().parent
ROOT = PEERS.parents[2]
VENV = ROOT / "build" / "venvs" / "kserve"
EXPECTED = PEERS / "kserve_expected.txt"
MODES = ["v2grpc", "v2rest"]
READY_TIMEOUT_S = 180.0
BIND_ATTEMPTS = 3
# What uvicorn and grpcio log when a port is taken.
BIND_FAILURES = ("address already in use", "failed to bind")


@dataclass(frozen=True)
class Peer:
    process: subprocess.Popen[bytes]
    target: str  # host:port of its gRPC server
    rest: str  # base URL of its REST server
    log: Path


def v2_case_sets(cases: Path) -> list[manifest.Manifest]:
    """The case sets under `cases` that hold a v2 case (their model is served)."""
    sets = [manifest.read(p.parent) for p in sorted(cases.glob("*/manifest.json"))]
    return [m for m in sets if any(c.v2 is not None for c in m.cases)]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except (urllib.error.URLError, OSError):
        return 0


def _wait_ready(peer: Peer, models: list[str]) -> None:
    """Every model answers ready over REST and gRPC answers ServerReady; ToolError naming the
    log when the process exits first or READY_TIMEOUT_S passes."""
    import grpc

    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = list(models)
    while pending:
        if peer.process.poll() is not None:
            tail = peer.log.read_text(errors="replace")[-3000:]
            raise ToolError(
                f"KServe exited with {peer.process.returncode} (log {peer.log}):\n{tail}"
            )
        if time.monotonic() > deadline:
            raise ToolError(
                f"KServe not ready after {READY_TIMEOUT_S:.0f}s: {pending} ({peer.log})"
            )
        if _get(f"{peer.rest}/v2/models/{pending[0]}/ready") == 200:
            pending.pop(0)
            continue
        time.sleep(0.3)
    with grpc.insecure_channel(peer.target) as channel:
        grpc.channel_ready_future(channel).result(timeout=max(deadline - time.monotonic(), 1.0))


@contextlib.contextmanager
def kserve_server(
    config: Path, models: list[str], libraries: list[Path], log: Path
) -> Iterator[Peer]:
    """KServe's ModelServer for the duration of the block, stopped even when the block fails.
    A port probed free can be taken before KServe binds it: that retries on new ports."""
    python = VENV / "bin" / "python"
    if not python.is_file():
        raise ToolError(f"{VENV} is not built: run `make kserve-venv`")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, BIND_ATTEMPTS + 1):
        grpc_port, http_port = free_port(), free_port()
        cmd = [
            str(python),
            str(PEERS / "kserve_tf.py"),
            f"--model_config_file={config}",
            f"--served_models={','.join(models)}",
            *(f"--op_library={lib}" for lib in libraries),
            f"--http_port={http_port}",
            f"--grpc_port={grpc_port}",
            "--enable_latency_logging=false",
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        peer = Peer(process, f"127.0.0.1:{grpc_port}", f"http://127.0.0.1:{http_port}", log)
        try:
            _wait_ready(peer, models)
            break
        except ToolError:
            _stop(process)
            text = log.read_text(errors="replace").lower()
            if attempt == BIND_ATTEMPTS or not any(m in text for m in BIND_FAILURES):
                raise
    try:
        yield peer
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _server_metadata(rest: str) -> dict[str, str]:
    """GET /v2: what KServe calls itself ({"name": "kserve", "version": ...})."""
    with urllib.request.urlopen(f"{rest}/v2", timeout=5) as resp:
        data = json.loads(resp.read())
    return {"name": str(data.get("name", "")), "version": str(data.get("version", ""))}


@contextlib.contextmanager
def serving(cases: Path, out: Path) -> Iterator[tuple[Peer, list[manifest.Manifest]]]:
    """KServe serving every case set under `cases` that holds a v2 case (their op libraries
    loaded), for the block: the peer and those case sets."""
    sets = v2_case_sets(cases)
    if not sets:
        raise ToolError(f"no case set with v2 cases under {cases}: run `make export`")
    models = [m.model for m in sets]
    libraries = list(dict.fromkeys(op_libraries.resolve(p) for m in sets for p in m.op_libraries))
    with kserve_server(sets[0].config_path, models, libraries, out / "kserve.log") as peer:
        yield peer, sets


def run(
    peer: Peer, sets: list[manifest.Manifest], out: Path, report_dir: Path, clients: list[str]
) -> tuple[Judgement, list[run_clients.FailedRun]]:
    """Run `clients` in the v2 modes against the peer, judge with kserve_expected.txt only,
    write the report; the judgement and the client runs that failed."""
    failed = run_clients.run_all(
        registry.clients_root(),
        [m.folder for m in sets],
        out,
        clients,
        MODES,
        peer.target,
        peer.rest,
    )
    said = _server_metadata(peer.rest)
    # The runner's probe records the REST Server header (uvicorn); the v2 server metadata
    # says which server that is.
    info = json.loads((out / "server.json").read_text(encoding="utf-8"))
    info["version"] = f"{said['name']} {said['version']} ModelServer (tests/v2/peers/kserve_tf.py)"
    atomic.write_text(out / "server.json", json.dumps(info, indent=2) + "\n")
    judgement = judge(sets, out, clients)
    report.write(judgement, report_dir)
    atomic.write_text(report_dir / "servers.md", servers_markdown(judgement))
    return judgement, failed


def judge(sets: list[manifest.Manifest], results: Path, clients: list[str]) -> Judgement:
    """The judge over the v2 modes with this server's entries alone (see the module doc)."""
    entries = expected.load_user(EXPECTED, list(registry.names()))
    with tempfile.TemporaryDirectory() as no_lists:
        return matrix.judge_sets(
            sets,
            results,
            clients,
            tuple(MODES),
            expected_dir=Path(no_lists),
            extra=[e for e in entries if e.client in clients],
            expect_files=(EXPECTED,),
        )


def answer(row: Row) -> str:
    """What the server's answer was, in the contract's words."""
    o = row.outcome
    if o.status == "pass":
        return "as the golden"
    if o.wrote == "error" and o.error is not None:
        return f"{codes.describe(o.error, row.mode)}: {o.error.message.splitlines()[0][:120]}"
    return f"{o.status}: {o.detail.splitlines()[0][:160]}" if o.detail else o.status


def contract_answer(sets: list[manifest.Manifest], row: Row) -> str:
    case = next(c for m in sets if m.model == row.model for c in m.cases if c.id == row.case)
    want = case.expected_error(row.mode)
    return codes.describe_expected(want, row.mode) if want else "the golden response"


def servers_markdown(judgement: Judgement) -> str:
    """Each (mode, model, case) KServe answered otherwise than the contract says (which is
    what TF Serving and the bundled server answer), with each client's view of it."""
    sets = [manifest.read(d) for d in judgement.case_dirs.values()]
    differing: dict[tuple[str, str, str], list[Row]] = {}
    for row in judgement.rows:
        if row.outcome.status != "pass":
            differing.setdefault((row.mode, row.model, row.case), []).append(row)
    lines = [
        "# KServe's ModelServer against the contract",
        "",
        "Each v2 case KServe 0.21 answered otherwise than the contract (the golden: what TF "
        "Serving's Predict and the bundled server answer), as each client recorded it, and "
        "the entry of tests/v2/peers/kserve_expected.txt that states it (docs/v2-peers.md "
        "explains each).",
        "",
        "| mode | model | case | the contract | KServe (client: answer) | entry |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (mode, model, case), rows in sorted(differing.items()):
        answers: dict[str, list[str]] = {}
        for r in rows:
            answers.setdefault(answer(r), []).append(r.client)
        said = "; ".join(f"{', '.join(who)}: {what}" for what, who in answers.items())
        said = said.replace("|", "\\|")
        entries = sorted(
            {r.verdict.entry.source.rpartition(":")[2] for r in rows if r.verdict.entry}
        )
        entry = ", ".join(f"line {n}" for n in entries) or "none (unexpected)"
        lines.append(
            f"| {mode} | {model} | {case} | {contract_answer(sets, rows[0])} | {said} | {entry} |"
        )
    passed = sum(r.outcome.status == "pass" for r in judgement.rows)
    lines += ["", f"{passed} of {len(judgement.rows)} rows answered as the contract says."]
    return "\n".join(lines) + "\n"
