"""Dedicated servers for the expectations that need their own flags or folder layout.

Like TF Serving's tensorflow_model_server_test_base.RunServer: free ports, a
readiness probe, stopped at exit. Against the bundled server (the default) each is
a `tfinterop serve` process. With TFINTEROP_TARGET set the shared server is someone
else's, so a dedicated one is started only if TFINTEROP_MODEL_SERVER names a
tensorflow_model_server binary to run with the same flags; otherwise the test skips.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from tensorflow_serving.apis import (
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tfinterop.harness.server_process import RunningServer, free_port, stop, wait_ready
from tfinterop.serving import model_config
from tfinterop.serving.errors import ToolError

RPC_TIMEOUT = 20.0  # tensorflow_model_server_test.py's RPC_TIMEOUT


def _binary() -> list[str]:
    """The server to run: TFINTEROP_MODEL_SERVER, else `tfinterop serve` (bundled)."""
    real = os.environ.get("TFINTEROP_MODEL_SERVER")
    if real:
        return [real]
    if os.environ.get("TFINTEROP_TARGET"):
        pytest.skip("needs its own server: set TFINTEROP_MODEL_SERVER to a tensorflow_model_server")
    return [sys.executable, "-m", "tfinterop", "serve"]


def _command(config: Path, flags: list[str], grpc_port: int, rest_port: int) -> list[str]:
    return [
        *_binary(),
        f"--port={grpc_port}",
        f"--rest_api_port={rest_port}",
        f"--model_config_file={config}",
        *flags,
    ]


def _env() -> dict[str, str]:
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))


@contextlib.contextmanager
def dedicated_server(
    config: Path, models: list[str], log: Path, flags: list[str] | None = None
) -> Iterator[RunningServer]:
    """A server over `config` with `flags` (and no others), ready when every model is."""
    grpc_port, rest_port = free_port(), free_port()
    cmd = _command(config, list(flags or []), grpc_port, rest_port)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), start_new_session=True
        )
    server = RunningServer(process, grpc_port, rest_port, log)
    try:
        wait_serving(server.target, process, log)
        wait_ready(server.target, models, 120.0, process, log)
        yield server
    finally:
        stop(process)


def wait_serving(
    target: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 120.0
) -> None:
    """TF Serving's WaitForServerReady: a Predict for a model nobody serves answers with
    a "Servable" error once the server is up (also when it serves no model at all)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "intentionally_missing_model"
    stub = prediction_stub(target)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise ToolError(
                f"server exited with status {process.returncode} before it was ready:\n"
                + log.read_text(errors="replace")[-2000:]
            )
        try:
            stub.Predict(request, 2.0)
        except grpc.RpcError as e:
            if "Servable" in (e.details() or ""):
                return
        if time.monotonic() > deadline:
            raise ToolError(f"server at {target} not ready after {timeout_s:.0f}s")
        time.sleep(0.2)


def failed_start(config: Path, flags: list[str] | None = None, timeout_s: float = 120.0) -> str:
    """Start a server that must refuse to start; its output (fails if it keeps running)."""
    cmd = _command(config, list(flags or []), free_port(), free_port())
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, env=_env(), check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"server still running after {timeout_s:.0f}s: {' '.join(cmd)}")
    assert done.returncode != 0, f"server exited 0:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def prediction_stub(target: str) -> prediction_service_pb2_grpc.PredictionServiceStub:
    return prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(target))


def model_stub(target: str) -> model_service_pb2_grpc.ModelServiceStub:
    return model_service_pb2_grpc.ModelServiceStub(grpc.insecure_channel(target))


def models() -> dict[str, model_config.ModelEntry]:
    """The conformance models (built once, see tests/conformance/models), by name."""
    from tests.conformance.conftest import MODELS
    from tests.conformance.models import build_all

    config, _, _ = build_all(MODELS)
    return {e.name: e for e in model_config.parse_config(config)}


def write_config(path: Path, entries: list[model_config.ModelEntry]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_config.render_config(entries))
    return path


_cached: dict[str, RunningServer] = {}
_stack = contextlib.ExitStack()
atexit.register(_stack.close)


def cached_server(
    key: str, names: list[str], flags: list[str], config_text: str | None = None
) -> RunningServer:
    """One server per key for the whole run (TF Serving's test base caches them by
    arguments too), stopped at exit: over the named conformance models, or over
    `config_text` (a ModelServerConfig) when given, waiting for `names`."""
    if key not in _cached:
        work = Path(tempfile.mkdtemp(prefix=f"conformance-{key}-"))
        config = work / "models.config"
        if config_text is None:
            # Without their labels: TF Serving refuses labels at start-up unless told.
            known = models()
            write_config(config, [dataclasses.replace(known[n], labels={}) for n in names])
        else:
            config.write_text(config_text)
        _cached[key] = _stack.enter_context(
            dedicated_server(config, names, work / "server.log", flags)
        )
    return _cached[key]


STRICT_MODELS = ["half_plus_two", "fake_classifier", "fake_regressor", "test_model"]


def strict_server() -> RunningServer:
    """--enable_signature_method_name_check over the TF1 models the C++ tests use with it
    (and without --allow_version_labels_for_unavailable_models)."""
    return cached_server(
        "strict",
        STRICT_MODELS,
        ["--enable_signature_method_name_check"],
    )


TWO_VERSIONS = "test_model"
_flags_folder: list[Path] = []


def flags_entries(labels: dict[str, int] | None = None) -> list[model_config.ModelEntry]:
    """The flags server's whole config (a reload replaces the whole model list):
    saved_model_half_plus_two_cpu as `default`, the two-version test_model (with
    `labels`) and `oneshot`, a folder of its own (version 3 at start)."""
    known = models()
    two = dataclasses.replace(known[TWO_VERSIONS], labels=labels or {})
    oneshot = model_config.ModelEntry("oneshot", _flags_folder[0] / "oneshot")
    return [
        model_config.ModelEntry("default", known["saved_model_half_plus_two_cpu"].base_path),
        two,
        oneshot,
    ]


def flags_server() -> tuple[RunningServer, Path]:
    """tensorflow_model_server_test.py's RunServer with --grpc_socket_path,
    --grpc_channel_arguments and --enable_batching, plus
    --allow_version_labels_for_unavailable_models (label reloads) and
    --file_system_poll_wait_seconds=0 (PollFilesystemOnlyOnce): one server, as none of
    them changes what another's tests expect. Returns it and its folder."""
    if not _flags_folder:
        folder = Path(tempfile.mkdtemp(prefix="conformance-flags-"))
        source = models()["saved_model_half_plus_two_cpu"].version_path(123)
        shutil.copytree(source, folder / "oneshot" / "3")
        (folder / "batching_config.txt").write_text(
            "max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\n"
            "max_enqueued_batches { value: 1000000 }\nnum_batch_threads { value: 8 }\n"
        )
        _flags_folder.append(folder)
    folder = _flags_folder[0]
    server = cached_server(
        "flags",
        ["default", TWO_VERSIONS, "oneshot"],
        [
            "--allow_version_labels_for_unavailable_models",
            "--file_system_poll_wait_seconds=0",
            f"--grpc_socket_path={folder / 'tf-serving.sock'}",
            "--grpc_channel_arguments=grpc.max_connection_age_ms=2000,grpc.lb_policy_name=grpclb",
            "--enable_batching",
            f"--batching_parameters_file={folder / 'batching_config.txt'}",
            "--rest_api_timeout_in_ms=5000",
        ],
        config_text=model_config.render_config(flags_entries()),
    )
    return server, folder
