"""Start the bundled server as a subprocess on free ports, wait until ready, always stop it.

Used by `tfinterop interop`, `verify` and the tests (like TF Serving's
tensorflow_model_server_test_base.py): free ports, a readiness probe through
GetModelStatus, and a kill at exit even when the caller fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tfinterop.serving.errors import ToolError

# Without it TF Serving refuses, at start-up, any config that assigns version labels.
LABELS_FLAG = "--allow_version_labels_for_unavailable_models"
BIND_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    grpc_port: int
    rest_port: int
    log_path: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"


def _still_waiting(
    where: str,
    pending: list[str],
    deadline: float,
    timeout_s: float,
    process: subprocess.Popen[bytes] | None,
    log_path: Path | None,
) -> None:
    """ToolError when the server died (its log's tail) or the wait ran out."""
    if process is not None and process.poll() is not None:
        tail = log_path.read_text(errors="replace")[-2000:] if log_path else ""
        raise ToolError(
            f"server exited with status {process.returncode} before it was ready:\n{tail}"
        )
    if time.monotonic() > deadline:
        raise ToolError(
            f"server at {where} not ready after {timeout_s:.0f}s (waiting for {pending})"
        )


def wait_ready(
    target: str,
    models: list[str],
    timeout_s: float,
    process: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
    rest_url: str | None = None,
) -> None:
    """Block until every model has an AVAILABLE version (or a terminal error). With
    `rest_url` it asks the REST model status API, which needs no TF Serving messages (their
    modules import TensorFlow, seconds that a harness starting a server would pay for
    nothing); else gRPC's GetModelStatus."""
    if rest_url is not None:
        _wait_ready_rest(rest_url, models, timeout_s, process, log_path)
        return
    import grpc
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    deadline = time.monotonic() + timeout_s
    channel = grpc.insecure_channel(target)
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    try:
        pending = list(models)
        while pending:
            _still_waiting(target, pending, deadline, timeout_s, process, log_path)
            name = pending[0]
            try:
                req = get_model_status_pb2.GetModelStatusRequest()
                req.model_spec.name = name
                resp = stub.GetModelStatus(req, timeout=2)
                states = [s.state for s in resp.model_version_status]
                if states and all(s in (30, 50) for s in states) and 30 in states:
                    pending.pop(0)
                    continue
                if states and all(s == 50 for s in states):
                    pending.pop(0)  # failed to load: serving goes on, cases will show it
                    continue
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    finally:
        channel.close()


def _wait_ready_rest(
    rest_url: str,
    models: list[str],
    timeout_s: float,
    process: subprocess.Popen[bytes] | None,
    log_path: Path | None,
) -> None:
    """wait_ready over GET /v1/models/NAME: done when a model's versions are AVAILABLE or
    END and one is AVAILABLE, or all are END (a failed load: the cases will show it)."""
    import json
    import urllib.parse
    import urllib.request

    deadline = time.monotonic() + timeout_s
    pending = list(models)
    while pending:
        _still_waiting(rest_url, pending, deadline, timeout_s, process, log_path)
        try:
            url = f"{rest_url}/v1/models/{urllib.parse.quote(pending[0], safe='')}"
            with urllib.request.urlopen(url, timeout=2) as r:
                body = json.loads(r.read())
            states = [v.get("state") for v in body.get("model_version_status", [])]
            if states and set(states) <= {"AVAILABLE", "END"}:
                pending.pop(0)
                continue
        except (OSError, ValueError):  # not up yet, or not yet this model (404)
            pass
        time.sleep(0.2)


@contextlib.contextmanager
def bundled_server(
    model_config: Path,
    models: list[str],
    log_path: Path,
    extra: list[str] | None = None,
    timeout_s: float = 180.0,
    launcher: list[str] | None = None,
    labels_for_unavailable: bool = True,
) -> Iterator[RunningServer]:
    """Run `tfinterop serve` for the duration of the block (`launcher` replaces
    `python -m tfinterop`, e.g. to wrap the process in a probe).

    `labels_for_unavailable` passes --allow_version_labels_for_unavailable_models, which
    TF Serving (and the bundled server) need to start on a config with version_labels,
    such as the one `make export` writes.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    # A free port is only free when it was probed: another process (often an ephemeral
    # client port) can take it before the server binds, so a bind failure retries on new
    # ports, as a second attempt is cheap and the race is not the caller's fault.
    for attempt in range(1, BIND_ATTEMPTS + 1):
        grpc_port, rest_port = free_port(), free_port()
        cmd = [
            *(launcher or [sys.executable, "-m", "tfinterop"]),
            "serve",
            f"--port={grpc_port}",
            f"--rest_api_port={rest_port}",
            f"--model_config_file={model_config}",
            *([LABELS_FLAG] if labels_for_unavailable else []),
            *(extra or []),
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        server = RunningServer(process, grpc_port, rest_port, log_path)
        try:
            wait_ready(server.target, models, timeout_s, process, log_path, server.rest_url)
            break
        except ToolError:
            stop(process)
            if attempt == BIND_ATTEMPTS or not _lost_port_race(log_path):
                raise
    try:
        yield server
    finally:
        stop(process)


def _lost_port_race(log_path: Path) -> bool:
    text = log_path.read_text(errors="replace")
    return "Address already in use" in text or "cannot bind gRPC" in text


def stop(process: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
