"""Crashes, shutdowns and interrupted writes: the server comes back, nothing half-written is visible."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import numpy as np
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.reliability.conftest import ROOT, Progress, bench, copy_mnist, finish, write_config
from tests.reliability.figures import record
from tfinterop.harness.server_process import free_port, wait_ready
from tfinterop.serving import tensor_codec


def _start(config: Path, grpc_port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as f:
        p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tfinterop",
                "serve",
                f"--port={grpc_port}",
                f"--model_config_file={config}",
            ],
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    wait_ready(f"127.0.0.1:{grpc_port}", ["mnist"], 180, p, log)
    return p


def test_sigkill_mid_load_then_restart_serves(tmp_path: Path, progress: Progress) -> None:
    config = write_config(tmp_path / "models.config", copy_mnist(tmp_path / "mnist"))
    port = free_port()
    server = _start(config, port, tmp_path / "server.log")
    load = bench(f"127.0.0.1:{port}", "latest-zeros", 20000, 16, background=True)
    time.sleep(2.0)
    server.send_signal(signal.SIGKILL)
    server.wait()
    interrupted = finish(load)
    progress.say(f"killed under load ({interrupted['errors']} requests failed); restarting")
    restarted = _start(config, port, tmp_path / "server.log")
    try:
        after = bench(f"127.0.0.1:{port}", "latest-zeros", 2000, 16)
    finally:
        restarted.terminate()
        restarted.wait(timeout=60)
    record(
        "Faults",
        {
            "name": "SIGKILL mid-load, restart on the same port",
            "outcome": f"{interrupted['errors']} requests failed while down; "
            f"{after['requests']} after restart, {after['errors']} errors",
        },
    )
    assert after["errors"] == 0


def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    config = write_config(tmp_path / "models.config", copy_mnist(tmp_path / "mnist"))
    port = free_port()
    server = _start(config, port, tmp_path / "server.log")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(
        grpc.insecure_channel(f"127.0.0.1:{port}")
    )
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "mnist"
    req.inputs["image"].CopyFrom(
        tensor_codec.from_ndarray(np.full((2048, 28, 28), 0.5, np.float32), content=True)
    )
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(stub.Predict, req, timeout=60) for _ in range(8)]
        time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        done = sum(
            1 for f in futures if f.result().outputs["output_0"].tensor_shape.dim[0].size == 2048
        )
    code = server.wait(timeout=60)
    record(
        "Faults",
        {
            "name": "SIGTERM with 8 large requests in flight",
            "outcome": f"{done}/8 answered, exit status {code}",
        },
    )
    assert done == 8 and code == 0


def _complete_model(folder: Path) -> bool:
    return all((folder / v / "saved_model.pb").exists() for v in ("1", "2"))


def test_interrupted_export_leaves_nothing_half_written(tmp_path: Path, progress: Progress) -> None:
    out = tmp_path / "build"
    progress.say("export started; it is killed once a staged model folder holds something")
    p = subprocess.Popen(
        [sys.executable, "-m", "tfinterop", "export", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    # Kill as soon as a staged (dot-named) model folder holds something.
    while time.monotonic() < deadline:
        staged = list((out / "models").glob(".*tmp-*/*")) if (out / "models").exists() else []
        if staged:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    visible = [d for d in (out / "models").iterdir() if not d.name.startswith(".") and d.is_dir()]
    half = [d.name for d in visible if d.name.startswith("mnist") and not _complete_model(d)]
    cases = (
        [d for d in (out / "cases").iterdir() if not d.name.startswith(".")]
        if (out / "cases").exists()
        else []
    )
    half_cases = [d.name for d in cases if not (d / "manifest.json").exists()]
    # A second export completes and clears the stale staging folders.
    progress.say("export killed; exporting again into the same folder")
    with progress.ticking(lambda elapsed: f"re-export running ({elapsed:.0f}s)"):
        r = subprocess.run(
            [sys.executable, "-m", "tfinterop", "export", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    leftovers = [d.name for d in (out / "models").iterdir() if d.name.startswith(".")]
    record(
        "Faults",
        {
            "name": "export killed (SIGKILL) while writing a model",
            "outcome": f"{len(half)} half-written models, {len(half_cases)} half-written case sets "
            f"visible; re-export exit {r.returncode}, {len(leftovers)} stale temp folders",
        },
    )
    assert not half and not half_cases
    assert r.returncode == 0, r.stderr[-2000:]
    assert not leftovers
