"""`tfinterop-python run`: replay a case set through one transport and write typed results.

Results go to OUT/<client>/<mode>/<model>/, staged and renamed so a crash never
leaves half a result set: <id>.response.pb, <id>.error.json or <id>.skipped.json
per case, and run.json with the runtime and per-case latency.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from tfinterop.client.transports import (
    DEFAULT_DEADLINE_MS,
    DEFAULT_REST,
    DEFAULT_TARGET,
    Transport,
)
from tfinterop.golden.cases import manifest
from tfinterop.serving import apis, op_libraries
from tfinterop.serving.errors import ServingError, ToolError
from tfinterop.util import atomic

log = logging.getLogger(__name__)

CLIENT = "python"


def run_cases(
    transport: Transport, cases_dir: Path, out_root: Path, load_error: ServingError | None = None
) -> Path:
    """Run every case of `cases_dir`; returns the result folder. `load_error` (an op
    library of the set that did not load) is the result of every case that applies."""
    m = manifest.read(cases_dir)
    final = out_root / CLIENT / transport.name / m.model
    # Read and verify every case file first: a bad case set writes nothing.
    requests: dict[str, bytes] = {c.id: c.read("request") for c in m.cases}
    if transport.name in manifest.V2_MODES:
        # The v2 modes send each case's v2 form (an inference.ModelInferRequest).
        requests.update(
            {
                c.id: c.request_bytes(transport.name)
                for c in m.cases
                if transport.name in c.transports
            }
        )
    latencies: dict[str, dict[str, Any]] = {}
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ToolError(f"cannot create {final.parent}: {e.strerror or e}") from None
    with atomic.staged_dir(final) as tmp:
        total = len(m.cases)
        for i, case in enumerate(m.cases, 1):
            if transport.name not in case.transports:
                _write_json(
                    tmp / f"{case.id}.skipped.json",
                    {"reason": f"case does not apply to {transport.name}"},
                )
                latencies[case.id] = {"status": "skipped"}
                continue
            request = parse_request(transport.name, case.api, requests[case.id])
            start = time.perf_counter()
            try:
                if load_error is not None:
                    raise load_error
                response = transport.call(
                    case.api, request, rest_format=case.entry.get("rest_format", "columnar")
                )
                elapsed = time.perf_counter() - start
                (tmp / f"{case.id}.response.pb").write_bytes(
                    response.SerializeToString(deterministic=True)
                )
                status = "ok"
            except ServingError as e:
                elapsed = time.perf_counter() - start
                body: dict[str, Any] = {"code": e.code.name, "message": e.message}
                http = getattr(e, "http_status", None)
                if http is not None:
                    body["http_status"] = http
                _write_json(tmp / f"{case.id}.error.json", body)
                status = "error"
            latencies[case.id] = {"status": status, "latency_us": round(elapsed * 1e6, 1)}
            log.info("[%d/%d] %s/%s %s: %s", i, total, transport.name, m.model, case.id, status)
        run = {
            "client": CLIENT,
            "mode": transport.name,
            "model": m.model,
            "runtime": {
                "language": f"python {platform.python_version()}",
                "python": platform.python_version(),
                **transport.runtime(),
            },
            "cases": latencies,
        }
        _write_json(tmp / "run.json", run)
    return final


def parse_request(mode: str, api: str, data: bytes) -> Message:
    """A case's request over `mode`: its v2 ModelInferRequest over a v2 mode."""
    if mode in manifest.V2_MODES:
        from tritonclient.grpc import service_pb2

        request = service_pb2.ModelInferRequest()
        request.ParseFromString(data)
        return request
    return apis.parse_request(api, data)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def make_transport(
    mode: str,
    config: Path | None,
    target: str = DEFAULT_TARGET,
    rest: str = DEFAULT_REST,
    deadline_ms: int = DEFAULT_DEADLINE_MS,
) -> Transport:
    """The transport for `mode`; ToolError when inproc has no model config."""
    if mode == "inproc":
        if config is None:
            raise ToolError("--mode inproc needs a model config (--model-config or the manifest's)")
        from tfinterop.client.transports.inproc import InprocTransport

        return InprocTransport(config)
    if mode == "grpc":
        from tfinterop.client.transports.grpc_client import GrpcTransport

        return GrpcTransport(target, deadline_ms / 1000)
    if mode == "rest":
        from tfinterop.client.transports.rest_client import RestTransport

        return RestTransport(rest, deadline_ms / 1000)
    if mode == "v2grpc":
        from tfinterop.client.transports.v2_grpc_client import V2GrpcTransport

        return V2GrpcTransport(target, deadline_ms / 1000)
    if mode == "v2rest":
        from tfinterop.client.transports.v2_rest_client import V2RestTransport

        return V2RestTransport(rest, deadline_ms / 1000)
    raise ToolError(f"unknown mode {mode}")


def load_op_libraries(
    mode: str, manifests: list[manifest.Manifest], extra: list[Path]
) -> list[ServingError | None]:
    """In-process only: every case set's model.op_libraries and `extra` (--op-library),
    each path once, before the first model; per case set, the first of its libraries (its
    own and `extra`) that did not load, or None."""
    if mode != "inproc":
        return [None for _ in manifests]
    wanted = [*extra, *(lib for m in manifests for lib in m.op_libraries)]
    loaded = op_libraries.load_all(wanted)
    for path, got in loaded.items():
        if isinstance(got, ServingError):
            log.warning("op library %s did not load: %s", path, got)
        else:
            log.info("loaded op library %s (%s)", path, ", ".join(sorted(got.ops)) or "no ops")
    return [op_libraries.first_error([*extra, *m.op_libraries], loaded) for m in manifests]


def main(
    modes: list[str],
    cases: list[Path],
    out: Path,
    config: Path | None = None,
    target: str = DEFAULT_TARGET,
    rest: str = DEFAULT_REST,
    deadline_ms: int = DEFAULT_DEADLINE_MS,
    extra_libraries: list[Path] | None = None,
) -> int:
    """`run`: each mode in turn (one process: TensorFlow and the op libraries load once),
    each case folder in turn within it; prints each result folder on stdout."""
    manifests = [manifest.read(folder) for folder in cases]
    for mode in modes:
        load_errors = load_op_libraries(mode, manifests, extra_libraries or [])
        for folder, m, load_error in zip(cases, manifests, load_errors, strict=True):
            transport = make_transport(mode, config or m.config_path, target, rest, deadline_ms)
            try:
                result = run_cases(transport, folder, out, load_error)
            finally:
                transport.close()
            print(result, file=sys.stdout, flush=True)
    return 0
