"""One command line in every language (docs/CONTRACT.md "Command line"): the same table of
invocations, exit codes, `info` JSON and defaults, run against all four clients, and each
client's `info` checked against the client registry (python/tfinterop/harness/clients.json).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = json.loads((ROOT / "python/tfinterop/harness/clients.json").read_text())["clients"]
CLIENTS = {c["name"]: c for c in REGISTRY}
CASES = ROOT / "build" / "cases" / "half_plus_two"
INFO_KEYS = {"client", "language", "modes", "apis", "unsupported_dtypes", "runtime"}
BENCH_KEYS = {
    "client",
    "mode",
    "case",
    "batch",
    "requests",
    "concurrency",
    "warmup",
    "p50_us",
    "p90_us",
    "p99_us",
    "mean_us",
    "rps",
    "errors",
}


def _program(client: str) -> Path:
    """The registry's program: "{bin}/" is the running interpreter's scripts folder."""
    command = CLIENTS[client]["command"][0]
    if command.startswith("{bin}/"):
        return Path(sys.executable).parent / command.removeprefix("{bin}/")
    return ROOT / command


def _run(client: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    program = _program(client)
    if not program.exists():
        pytest.fail(f"{program} is not built: run `make clients`")
    env = {k: v for k, v in os.environ.items() if k != "TFINTEROP_VERBOSE"}
    return subprocess.run(
        [str(program), *CLIENTS[client]["command"][1:], *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def info(client: str) -> dict[str, Any]:
    r = _run(client, "info")
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def test_info_has_exactly_the_contract_keys(client: str, info: dict[str, Any]) -> None:
    assert set(info) == INFO_KEYS
    assert info["client"] == client
    assert info["runtime"].get("tensorflow"), "the runtime's TensorFlow version"


def test_info_matches_the_registry(client: str, info: dict[str, Any]) -> None:
    entry = CLIENTS[client]
    assert info["modes"] == entry["modes"]
    assert {m: sorted(a) for m, a in info["apis"].items()} == {
        m: sorted(a) for m, a in entry["apis"].items()
    }
    assert {m: sorted(d) for m, d in info["unsupported_dtypes"].items()} == {
        m: sorted(d) for m, d in entry["unsupported_dtypes"].items()
    }


USAGE_ERRORS = [
    pytest.param(["frobnicate"], id="unknown-subcommand"),
    pytest.param(["run", "--mode", "inproc", "--cases", str(CASES)], id="run-without-out"),
    pytest.param(
        ["run", "--mode", "carrier-pigeon", "--cases", str(CASES), "--out", "x"], id="bad-mode"
    ),
    pytest.param(
        ["run", "--mode", "grpc", "--cases", str(CASES), "--out", "x", "--no-such-flag"],
        id="unknown-flag",
    ),
    pytest.param(
        ["run", "--mode", "grpc", "--cases", str(CASES), "--out", "x", "--deadline-ms", "0"],
        id="deadline-not-positive",
    ),
    pytest.param(
        [
            "bench",
            "--mode",
            "inproc",
            "--cases",
            str(CASES),
            "--case",
            "c",
            "--requests",
            "x",
            "--concurrency",
            "1",
        ],
        id="requests-not-a-number",
    ),
    pytest.param(
        [
            "bench",
            "--mode",
            "inproc",
            "--cases",
            str(CASES),
            "--requests",
            "5",
            "--concurrency",
            "1",
        ],
        id="bench-without-case",
    ),
    pytest.param(
        ["run", "--mode", "inproc", "--cases", str(CASES), "--out", "x", "--op-library"],
        id="op-library-without-path",
    ),
    # docs/CONTRACT.md "Several modes in one process": a list of distinct, known modes.
    pytest.param(
        ["run", "--mode", "inproc,,grpc", "--cases", str(CASES), "--out", "x"], id="empty-mode"
    ),
    pytest.param(
        ["run", "--mode", "inproc,", "--cases", str(CASES), "--out", "x"], id="trailing-comma"
    ),
    pytest.param(
        ["run", "--mode", "grpc,rest,grpc", "--cases", str(CASES), "--out", "x"],
        id="repeated-mode",
    ),
    pytest.param(
        ["run", "--mode", "grpc,carrier-pigeon", "--cases", str(CASES), "--out", "x"],
        id="unknown-mode-in-list",
    ),
    pytest.param(
        [
            "bench",
            "--mode",
            "inproc,grpc",
            "--cases",
            str(CASES),
            "--case",
            "c",
            "--requests",
            "5",
            "--concurrency",
            "1",
        ],
        id="bench-with-a-mode-list",
    ),
]


@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_bad_usage_exits_2_with_one_line_and_no_output(client: str, args: list[str]) -> None:
    r = _run(client, *args)
    assert r.returncode == 2, (r.returncode, r.stderr[-1000:])
    assert r.stdout == ""
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, f"one clear line, not a usage dump: {r.stderr[-1500:]}"


def test_no_subcommand_exits_2_with_the_usage_on_stderr(client: str) -> None:
    r = _run(client)
    assert r.returncode == 2, r.stderr[-1000:]
    assert r.stdout == ""
    assert "usage" in r.stderr.lower()


def test_a_case_set_that_cannot_be_read_exits_1(client: str, tmp_path: Path) -> None:
    r = _run(
        client, "run", "--mode", "inproc", "--cases", str(tmp_path / "none"), "--out", str(tmp_path)
    )
    assert r.returncode == 1, r.stderr[-1000:]
    assert r.stdout == ""


def test_run_writes_results_and_prints_the_folder(client: str, tmp_path: Path) -> None:
    r = _run(client, "run", "--mode", "inproc", "--cases", str(CASES), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    folder = tmp_path / client / "inproc" / "half_plus_two"
    assert (folder / "run.json").is_file()
    assert str(tmp_path) in r.stdout


def test_several_modes_run_in_one_process_as_separate_runs_would(
    client: str, tmp_path: Path
) -> None:
    """inproc then grpc and rest at a closed port: three complete folders, the unreachable
    server UNAVAILABLE per case (the modes after it still run), one stdout line per folder."""
    closed = f"127.0.0.1:{_closed_port()}"
    r = _run(
        client,
        "run",
        "--mode",
        "inproc,grpc,rest",
        "--cases",
        str(CASES),
        "--out",
        str(tmp_path),
        "--target",
        closed,
        "--rest",
        f"http://{closed}",
        "--deadline-ms",
        "2000",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    manifest = json.loads((CASES / "manifest.json").read_text())
    printed = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(printed) == 3, r.stdout
    for mode, line in zip(("inproc", "grpc", "rest"), printed, strict=True):
        folder = tmp_path / client / mode / "half_plus_two"
        assert Path(line).resolve() == folder.resolve()
        run = json.loads((folder / "run.json").read_text())
        assert run["mode"] == mode and set(run["cases"]) == {c["id"] for c in manifest["cases"]}
        if mode == "inproc":
            continue
        for c in manifest["cases"]:
            if mode in c["transports"]:
                error = json.loads((folder / f"{c['id']}.error.json").read_text())
                assert error["code"] == "UNAVAILABLE", (mode, c["id"], error)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bench_prints_the_contract_line_with_the_default_warmup(client: str) -> None:
    manifest = json.loads((CASES / "manifest.json").read_text())
    case = next(c["id"] for c in manifest["cases"] if c["api"] == "predict" and "error" not in c)
    r = _run(
        client,
        "bench",
        "--mode",
        "inproc",
        "--cases",
        str(CASES),
        "--case",
        case,
        "--requests",
        "20",
        "--concurrency",
        "1",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(line) >= BENCH_KEYS, BENCH_KEYS - set(line)
    assert line["warmup"] == 10, "the contract's default"
    assert line["requests"] == 20 and line["errors"] == 0
    assert line["p50_us"] <= line["p90_us"] <= line["p99_us"]


def test_an_op_library_that_does_not_load_is_every_inproc_cases_error(
    client: str, tmp_path: Path
) -> None:
    """docs/CONTRACT.md "Op libraries": the run goes on (exit 0), and each inproc case of the
    sets that need the library records the loader's failure, naming the file."""
    missing = tmp_path / "libmissing_op.so"
    r = _run(
        client,
        "run",
        "--mode",
        "inproc",
        "--cases",
        str(CASES),
        "--out",
        str(tmp_path / "out"),
        "--op-library",
        str(missing),
    )
    assert r.returncode == 0, r.stderr[-2000:]
    folder = tmp_path / "out" / client / "inproc" / "half_plus_two"
    manifest = json.loads((CASES / "manifest.json").read_text())
    inproc = [c["id"] for c in manifest["cases"] if "inproc" in c["transports"]]
    assert inproc
    for case in inproc:
        error = json.loads((folder / f"{case}.error.json").read_text())
        assert "libmissing_op.so" in error["message"], (case, error)
