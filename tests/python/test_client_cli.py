"""`tfinterop-python`: the Python client's command line against docs/CONTRACT.md and the registry.

The shared table for all four clients is tests/clients; this holds what only Python's code can
show: `info` comes from the transports' own table, which must be what each transport sends.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tfinterop.client import transports
from tfinterop.client.transports.grpc_client import GrpcTransport
from tfinterop.harness import registry
from tfinterop.serving.errors import Code, ServingError

ROOT = registry.checkout()
BUILD = ROOT / "build"
INFO_KEYS = {"client", "language", "modes", "apis", "unsupported_dtypes", "runtime"}


def _client(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        registry.client("python").argv(ROOT, *args),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_info_has_the_contract_keys_and_equals_the_registry() -> None:
    r = _client("info")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert set(info) == INFO_KEYS
    entry = registry.client("python")
    assert info["client"] == entry.name
    assert tuple(info["modes"]) == entry.modes
    assert {m: tuple(a) for m, a in info["apis"].items()} == entry.apis
    assert {m: tuple(d) for m, d in info["unsupported_dtypes"].items()} == entry.unsupported_dtypes


def test_grpc_sends_exactly_its_row() -> None:
    t = GrpcTransport("127.0.0.1:1")
    try:
        assert tuple(t._methods) == transports.APIS["grpc"]
    finally:
        t.close()


@pytest.mark.parametrize("mode", ["inproc", "rest"])
def test_an_api_outside_the_row_is_unimplemented(mode: str, tmp_path: Path) -> None:
    from tensorflow_serving.apis import inference_pb2

    from tfinterop.client.runner import make_transport

    config = tmp_path / "models.config"
    config.write_text("model_config_list {}\n")
    t = make_transport(mode, config, rest="http://127.0.0.1:1", deadline_ms=500)
    try:
        with pytest.raises(ServingError) as e:
            t.call("multi_inference", inference_pb2.MultiInferenceRequest())
        assert e.value.code == Code.UNIMPLEMENTED
    finally:
        t.close()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["train"],
        ["run", "--cases", "x", "--out", "y"],
        ["run", "--mode", "pigeon", "--cases", "x", "--out", "y"],
        ["run", "--mode", "grpc", "--out", "y"],
        ["run", "--mode", "grpc", "--cases", "x"],
        ["run", "--mode", "grpc", "--cases", "x", "--out", "y", "--colour"],
        ["run", "--mode", "grpc", "--cases", "x", "--out", "y", "--deadline-ms", "0"],
        ["run", "--mode", "grpc", "--cases", "x", "--out", "y", "--deadline-ms", "soon"],
        ["run", "--mode", "rest", "--rest", "ftp://x", "--cases", "x", "--out", "y"],
        ["bench", "--mode", "grpc", "--cases", "x", "--requests", "1", "--concurrency", "1"],
        ["bench", "--mode", "grpc", "--cases", "x", "--case", "a", "--concurrency", "1"],
        [
            "bench",
            "--mode",
            "grpc",
            "--cases",
            "x",
            "--case",
            "a",
            "--requests",
            "0",
            "--concurrency",
            "1",
        ],
        [
            "bench",
            "--mode",
            "grpc",
            "--cases",
            "x",
            "--case",
            "a",
            "--requests",
            "1",
            "--concurrency",
            "1",
            "--warmup",
            "-1",
        ],
        ["info", "--mode", "grpc"],
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str]) -> None:
    r = _client(*args)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_an_unknown_case_id_is_bad_usage() -> None:
    r = _client(
        "bench",
        "--mode",
        "grpc",
        "--cases",
        str(BUILD / "cases" / "mnist"),
        "--case",
        "nope",
        "--requests",
        "1",
        "--concurrency",
        "1",
    )
    assert r.returncode == 2, r.stderr
    assert "nope" in r.stderr


def test_an_unreachable_server_is_recorded_per_case_and_exits_0(tmp_path: Path) -> None:
    cases = BUILD / "cases" / "half_plus_two"
    r = _client(
        "run",
        "--mode",
        "grpc",
        "--target",
        "127.0.0.1:1",
        "--deadline-ms",
        "2000",
        "--cases",
        str(cases),
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    final = tmp_path / "python" / "grpc" / "half_plus_two"
    assert r.stdout.strip() == str(final)
    errors = [json.loads(p.read_text()) for p in final.glob("*.error.json")]
    assert errors and {e["code"] for e in errors} == {"UNAVAILABLE"}
