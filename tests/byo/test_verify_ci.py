"""`tfinterop verify` in a team's CI: against the team's own server (--target/--rest), JUnit
XML and JSON rows (--junit-xml/--json), and exit codes (0 pass, 1 a row failed, 2 usage,
3 a client or the server could not run).

The "team's server" is the bundled server started here on its own, serving a zoo model
under another name, so verify must use the name it is given and the server it is pointed
at, and not start one of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.byo.models import built
from tfinterop.harness import registry
from tfinterop.harness.server_process import bundled_server

ROOT = Path(__file__).resolve().parents[2]
KIND = "module_scorer"  # tf.Module, two signatures on one function: small and quick
NAME = "team_scorer"  # its name on the team's server
CLIENTS = "go,python"

# Runs the tfinterop command line with the registry's go client replaced by argv[1]: how a
# client that cannot run (it exits 1 and writes nothing) reaches verify and interop.
BROKEN_GO = """
import dataclasses, sys
from tfinterop.harness import registry
table = dict(registry.clients())
table["go"] = dataclasses.replace(table["go"], command=(sys.argv[1],))
registry.clients = lambda: table
from tfinterop import cli
sys.exit(cli.main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class TeamServer:
    target: str
    rest: str
    model: Path


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    model = built()[KIND]
    folder = tmp_path_factory.mktemp("team_server")
    config = folder / "models.config"
    config.write_text(
        "model_config_list {\n"
        f'  config {{ name: "{NAME}" base_path: "{model.resolve()}" model_platform: "tensorflow" }}\n'
        "}\n"
    )
    with bundled_server(config, [NAME], folder / "server.log") as server:
        yield TeamServer(server.target, server.rest_url, model)


def _tfinterop(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _verify_args(server: TeamServer, build: Path, *more: str) -> list[str]:
    return [
        "verify",
        "--saved-model",
        str(server.model),
        "--name",
        NAME,
        "--build",
        str(build),
        "--target",
        server.target,
        "--rest",
        server.rest,
        *more,
    ]


@pytest.fixture(scope="module")
def verified(
    team_server: TeamServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    work = tmp_path_factory.mktemp("verify_ci")
    build = work / "build"
    ci = ["--clients", CLIENTS, "--junit-xml", "ci/verify.xml", "--json", "ci/verify.json"]
    return _tfinterop(*_verify_args(team_server, build, *ci), cwd=work), work


def test_verify_against_the_teams_server_passes_and_says_which_server_answered(
    verified: tuple[subprocess.CompletedProcess[str], Path], team_server: TeamServer
) -> None:
    r, work = verified
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"verify {NAME}: PASS" in r.stdout
    assert f"server: external at {team_server.target} (gRPC), {team_server.rest} (REST)" in (
        r.stdout
    )
    # The bundled server's REST API names itself; TF Serving's sends no Server header.
    assert "it reports 'tfinterop-serve Python/" in r.stdout
    results = work / "build" / "results"
    info = json.loads((results / "server.json").read_text())
    assert (info["server"], info["target"], info["rest"]) == (
        "external",
        team_server.target,
        team_server.rest,
    )
    assert info["models"] == {NAME: [1]}
    assert not (results / "server.log").exists(), "verify started a server of its own"
    rows = json.loads((work / "build" / "report" / f"verify-{NAME}" / "interop.json").read_text())
    assert {r["server"] for r in rows if r["mode"] == "grpc"} == {f"external {team_server.target}"}
    assert {r["server"] for r in rows if r["mode"] == "rest"} == {f"external {team_server.rest}"}
    # The bundled server speaks the Open Inference Protocol too, so the v2 rows ran against it.
    assert {(r["client"], r["mode"]) for r in rows} == {
        (c, m) for c in CLIENTS.split(",") for m in registry.MODES
    }


def test_a_server_without_v2_gets_no_v2_rows(tmp_path: Path) -> None:
    """TF Serving has no /v2: verify --target leaves the v2 modes out instead of failing them."""
    import http.server
    import threading

    from tfinterop.byo import verify

    class NoV2(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoV2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert not verify._speaks_v2(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert not verify._speaks_v2("http://127.0.0.1:9")  # nothing listens


def test_verify_junit_xml_counts_the_matrix_rows(
    verified: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, work = verified
    rows = json.loads((work / "build" / "report" / f"verify-{NAME}" / "interop.json").read_text())
    root = ET.parse(work / "ci" / "verify.xml").getroot()
    [suite] = root.findall("testsuite")
    assert suite.attrib["name"] == f"tfinterop.{NAME}"
    skipped = int(suite.attrib["skipped"])
    assert int(suite.attrib["tests"]) - skipped == len(rows) > 0
    assert (suite.attrib["failures"], suite.attrib["errors"]) == ("0", "0")
    assert skipped == len(suite.findall("testcase/skipped")), "cases that do not apply inproc"
    classes = {c.attrib["classname"] for c in suite.findall("testcase")}
    assert f"tfinterop.{NAME}.go.grpc" in classes and f"tfinterop.{NAME}.python.rest" in classes
    data = json.loads((work / "ci" / "verify.json").read_text())
    assert data["models"][NAME]["verdict"] == "PASS"
    assert data["server"]["server"] == "external"
    assert len(data["rows"]) == int(suite.attrib["tests"])


def test_a_client_that_cannot_run_is_exit_3_with_its_rows_as_errors(
    team_server: TeamServer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-client"
    broken.write_text("#!/bin/sh\necho 'cannot load libtensorflow' >&2\nexit 1\n")
    broken.chmod(0o755)
    build = tmp_path / "build"
    args = _verify_args(team_server, build, "--clients", "go", "--junit-xml", "v.xml")
    r = subprocess.run(
        [sys.executable, "-c", BROKEN_GO, str(broken), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 3, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"could not run go/inproc exited 1 without results for {NAME}" in r.stdout
    assert f"verify {NAME}: FAIL" in r.stdout, "the matrix and verdict are still printed"
    root = ET.parse(tmp_path / "v.xml").getroot()
    tests, skipped = int(root.attrib["tests"]), int(root.attrib["skipped"])
    assert int(root.attrib["errors"]) == tests - skipped > 0, "every applicable row is missing"
    assert root.attrib["failures"] == "0"

    # `tfinterop interop` says the same with its exit status.
    interop = ["--modes", "inproc", "--cases", str(build / "cases" / NAME), "--out", "results"]
    r = subprocess.run(
        [sys.executable, "-c", BROKEN_GO, str(broken), "interop", "--clients", "go", *interop],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 3, r.stderr[-3000:]
    assert "could not run: go/inproc exited 1" in r.stderr


def test_a_model_the_server_does_not_serve_is_exit_3_before_anything_is_written(
    team_server: TeamServer, tmp_path: Path
) -> None:
    build = tmp_path / "build"
    args = _verify_args(team_server, build)
    args[args.index(NAME)] = "not_served"
    r = _tfinterop(*args, cwd=tmp_path)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr[-2000:]
    assert f"--target {team_server.target} does not serve model 'not_served'" in r.stderr
    assert "--name gives the model's name on that server" in r.stderr
    assert not build.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rest", "http://127.0.0.1:8501"], "--rest needs --target"),
        (["--target", "127.0.0.1:8500"], "--target needs --rest"),
        (["--target", "nohost", "--rest", "http://127.0.0.1:8501"], "is not HOST:PORT"),
        (["--clients", "go,rust"], "--clients go,rust: choose from"),
        (["--junit-xml"], "expected one argument"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    team_server: TeamServer, tmp_path: Path, args: list[str], message: str
) -> None:
    build = tmp_path / "build"
    r = _tfinterop(
        "verify",
        "--saved-model",
        str(team_server.model),
        "--build",
        str(build),
        *args,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stderr[-2000:]
    assert message in r.stderr and r.stderr.startswith("tfinterop: usage error: ")
    assert not build.exists()


def test_judge_and_interop_usage_errors_exit_2(tmp_path: Path) -> None:
    r = _tfinterop(
        "judge",
        "--cases",
        str(tmp_path),
        "--results",
        str(tmp_path),
        "--modes",
        "carrier-pigeon",
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "--modes: 'carrier-pigeon'" in r.stderr, r.stderr
    r = _tfinterop("interop", "--modes", "carrier-pigeon", "--cases", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "carrier-pigeon" in r.stderr, r.stderr


def test_a_server_speaking_only_v2_gets_inproc_and_v2_rows(
    team_server: TeamServer, tmp_path: Path
) -> None:
    """An Open Inference Protocol server without TF Serving's API (Triton): verify checks the
    model is ready over v2, leaves the grpc and rest rows out, and passes on the v2 rows.
    The server here is the team's, behind fronts that pass on only the v2 API: REST /v2/...
    (/v1/ is 404) and gRPC inference.GRPCInferenceService (the rest UNIMPLEMENTED)."""
    import http.server
    import threading
    import urllib.error
    import urllib.request
    from concurrent import futures

    import grpc

    upstream = grpc.insecure_channel(team_server.target)

    class ForwardV2(grpc.GenericRpcHandler):
        def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
            method = details.method
            if not method.startswith("/inference.GRPCInferenceService/"):
                return None  # grpcio answers UNIMPLEMENTED

            def call(request: bytes, context: grpc.ServicerContext) -> bytes:
                try:
                    return bytes(upstream.unary_unary(method)(request, timeout=30))
                except grpc.RpcError as e:
                    context.abort(e.code(), e.details() or "")
                    raise

            return grpc.unary_unary_rpc_method_handler(call)

    grpc_front = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    grpc_front.add_generic_rpc_handlers((ForwardV2(),))
    grpc_port = grpc_front.add_insecure_port("127.0.0.1:0")
    grpc_front.start()

    class OnlyV2(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            if not self.path.startswith("/v2"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            req = urllib.request.Request(
                team_server.rest + self.path, data=body, method=self.command
            )
            if self.headers.get("Content-Type"):
                req.add_header("Content-Type", self.headers["Content-Type"])
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    status, data, kind = resp.status, resp.read(), resp.headers.get("Content-Type")
            except urllib.error.HTTPError as e:
                status, data, kind = e.code, e.read(), e.headers.get("Content-Type")
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _forward

        def log_message(self, *args: object) -> None:
            pass

    front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnlyV2)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        build = tmp_path / "build"
        args = _verify_args(team_server, build, "--clients", CLIENTS, "--json", "rows.json")
        args[args.index("--rest") + 1] = f"http://127.0.0.1:{front.server_address[1]}"
        args[args.index("--target") + 1] = f"127.0.0.1:{grpc_port}"
        r = _tfinterop(*args, cwd=tmp_path)
    finally:
        front.shutdown()
        grpc_front.stop(0)
        upstream.close()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "speak the Open Inference Protocol only" in r.stderr
    rows = json.loads((tmp_path / "rows.json").read_text())["rows"]
    assert {r["mode"] for r in rows} == {"inproc", "v2grpc", "v2rest"}
