"""Sustained load and availability while versions and config change, with figures."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import grpc
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
)
from tensorflow_serving.config import model_server_config_pb2

from tests.reliability.conftest import (
    BUILD,
    Progress,
    bench,
    copy_mnist,
    finish,
    monitoring_flags,
    rss_kib,
    served_requests,
    write_config,
)
from tests.reliability.figures import record
from tfinterop.harness.server_process import bundled_server

REQUESTS = int(os.environ.get("TFINTEROP_SOAK_REQUESTS", "50000"))


def test_sustained_load_has_no_errors_and_bounded_memory(
    tmp_path: Path, progress: Progress
) -> None:
    base = copy_mnist(tmp_path / "mnist")
    config = write_config(tmp_path / "models.config", base, policy="all")
    with bundled_server(
        config, ["mnist"], tmp_path / "server.log", extra=monitoring_flags(tmp_path)
    ) as s:
        warm = bench(s.target, "latest-zeros", 5000, 64, warmup=200)
        rss_warm = rss_kib(s.process.pid)
        before = served_requests(s.rest_url)
        progress.say(f"warmed up; {REQUESTS} requests at concurrency 64 ...")

        def served(elapsed: float) -> str:
            done = served_requests(s.rest_url) - before
            return f"{done}/{REQUESTS} requests ({elapsed:.0f}s)"

        start = time.monotonic()
        with progress.ticking(served):
            run = bench(s.target, "latest-zeros", REQUESTS, 64)
        took = time.monotonic() - start
        progress.say(f"{run['requests']} requests, {run['errors']} errors in {took:.0f}s")
        rss_after = rss_kib(s.process.pid)
    growth = (rss_after - rss_warm) / rss_warm
    record(
        "Load",
        {
            "name": f"{REQUESTS} batch-1 requests, concurrency 64",
            "requests": run["requests"],
            "errors": run["errors"] + warm["errors"],
            "req/s": run["rps"],
            "p50 us": run["p50_us"],
            "p99 us": run["p99_us"],
            "seconds": round(took, 1),
            "RSS after warm-up MiB": rss_warm // 1024,
            "RSS after run MiB": rss_after // 1024,
            "RSS growth": f"{growth:+.1%}",
        },
    )
    assert run["errors"] == 0 and warm["errors"] == 0
    assert run["requests"] == REQUESTS
    assert growth <= 0.10, (
        f"resident memory grew {growth:.1%} (warm {rss_warm} KiB, after {rss_after} KiB)"
    )


def _state(target: str, version: int) -> int:
    stub = model_service_pb2_grpc.ModelServiceStub(grpc.insecure_channel(target))
    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "mnist"
    states = {s.version: s.state for s in stub.GetModelStatus(req, timeout=10).model_version_status}
    return states.get(version, 0)


def _wait(cond, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_versions_and_reload_under_load_lose_no_request(tmp_path: Path, progress: Progress) -> None:
    base = copy_mnist(tmp_path / "mnist")
    config = write_config(
        tmp_path / "models.config", base, policy="all", labels={"stable": 1, "canary": 2}
    )
    with (
        bundled_server(
            config,
            ["mnist"],
            tmp_path / "server.log",
            extra=["--file_system_poll_wait_seconds=1", *monitoring_flags(tmp_path)],
        ) as s,
        progress.ticking(
            lambda elapsed: f"{served_requests(s.rest_url)}/24000 requests ({elapsed:.0f}s)"
        ),
    ):
        latest = bench(s.target, "latest-zeros", 12000, 8, background=True)
        canary = bench(s.target, "label-canary", 12000, 8, background=True)
        time.sleep(1.0)
        shutil.copytree(BUILD / "models" / "mnist" / "2", base / "3")
        _wait(lambda: _state(s.target, 3) == 30)
        progress.say("version 3 is AVAILABLE; removing version 1")
        shutil.rmtree(base / "1")
        _wait(lambda: _state(s.target, 1) == 50)
        progress.say("version 1 is END; reloading the config")
        new = model_server_config_pb2.ModelServerConfig()
        mc = new.model_config_list.config.add(
            name="mnist", base_path=str(base), model_platform="tensorflow"
        )
        mc.model_version_policy.all.SetInParent()
        mc.version_labels["canary"] = 2
        mc.version_labels["stable"] = 3
        stub = model_service_pb2_grpc.ModelServiceStub(grpc.insecure_channel(s.target))
        stub.HandleReloadConfigRequest(
            model_management_pb2.ReloadConfigRequest(config=new), timeout=120
        )
        r_latest, r_canary = finish(latest), finish(canary)
    for name, r in (("latest version", r_latest), ("label canary (stays on 2)", r_canary)):
        record(
            "Availability during change",
            {
                "name": f"requests to the {name}",
                "requests": r["requests"],
                "errors": r["errors"],
                "during": "version 3 added, version 1 removed, config reloaded",
            },
        )
    assert r_latest["errors"] == 0 and r_canary["errors"] == 0
