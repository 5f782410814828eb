"""`tfinterop serve`: load the configured models and answer TF Serving's gRPC and REST APIs."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfinterop.server import config_protos, manager
from tfinterop.server.metrics import Metrics
from tfinterop.server.warmup import replay_warmup
from tfinterop.serving import model_config
from tfinterop.serving.errors import Code, ServingError, ToolError, UsageError
from tfinterop.serving.model_config import ModelEntry
from tfinterop.util import heap

if TYPE_CHECKING:
    from tfinterop.server.batching import Batcher

log = logging.getLogger(__name__)


def startup_entries(args: argparse.Namespace) -> tuple[list[ModelEntry], str]:
    if args.model_config_file is not None:
        entries = model_config.parse_config(args.model_config_file)
        source = str(args.model_config_file)
    elif args.model_base_path:
        base = Path(args.model_base_path).resolve()
        entries = [ModelEntry(name=args.model_name, base_path=base)]
        source = "--model_base_path"
    else:
        raise UsageError("give --model_config_file, or --model_name with --model_base_path")
    manager.check_entries(entries, source)
    return entries, source


def load_op_libraries(paths: list[Path]) -> None:
    """--op_library, before any model: a library that does not load stops the server at
    start (ToolError naming it), as a config naming a missing base path does."""
    from tfinterop.serving import op_libraries

    for path in paths:
        try:
            loaded = op_libraries.load(path)
        except ServingError as e:
            raise ToolError(f"--op_library {path}: {e}") from None
        log.info(
            "loaded op library %s (%s)", loaded.path, ", ".join(sorted(loaded.ops)) or "no ops"
        )


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        entries, self.source = startup_entries(args)
        self.manager = manager.ModelManager(
            self._load, labels_for_unavailable=args.allow_version_labels_for_unavailable_models
        )
        try:
            # Before TensorFlow is imported: a config TF Serving refuses fails in a second.
            self.manager.validate(entries)
        except ServingError as e:
            # TF Serving: "Failed to start server. Error: FAILED_PRECONDITION: Request to
            # assign label to version ..." (version labels need the models loaded first).
            raise ToolError(f"model config {self.source}: {e}") from None
        self.roots = [p.resolve() for p in (args.allowed_model_root or [])] or sorted(
            {e.base_path.parent for e in entries}
        )
        from tfinterop.server.session_servable import Parallelism

        self.threads = Parallelism(
            args.tensorflow_session_parallelism,
            args.tensorflow_intra_op_parallelism,
            args.tensorflow_inter_op_parallelism,
        )
        self.threads.check()
        self.metrics = Metrics()
        self.batcher: Batcher | None = None
        if args.enable_batching:
            from tfinterop.server.batching import Batcher, BatchingOptions

            options = BatchingOptions()
            if args.batching_parameters_file is not None:
                proto = config_protos.parse_file(
                    args.batching_parameters_file,
                    config_protos.BatchingParameters,
                    "batching parameters file",
                )
                options = BatchingOptions.from_proto(proto)
            self.batcher = Batcher(options)
        self.metrics_path = self._monitoring_path()
        from tfinterop.server.core import Core  # TensorFlow from here on

        load_op_libraries(args.op_library)
        self.core = Core(
            self.manager,
            self.metrics.observe,
            method_name_check=args.enable_signature_method_name_check,
        )
        self._config_text = self._read_config_text()
        self.manager.set_config(entries)
        heap.settle()  # TensorFlow and the models: out of the collector's way
        self._stop = threading.Event()

    def _monitoring_path(self) -> str | None:
        if self.args.monitoring_config_file is None:
            return None
        cfg: Any = config_protos.parse_file(
            self.args.monitoring_config_file,
            config_protos.MonitoringConfig,
            "monitoring config file",
        )
        if not cfg.prometheus_config.enable:
            return None
        return cfg.prometheus_config.path or "/monitoring/prometheus/metrics"

    def _load(self, name: str, version: int, path: Path) -> Any:
        from tfinterop.server import session_servable, tflite_servable

        try:
            servable: Any
            if self.args.prefer_tflite_model and tflite_servable.has_model(path):
                servable = tflite_servable.load(name, version, path, self.args.num_tflite_pools)
            else:
                servable = session_servable.load(name, version, path, self.threads)
        except ServingError:
            self.metrics.load_attempt(str(path), ok=False)
            raise
        self.metrics.load_attempt(str(path), ok=True)
        if self.args.enable_model_warmup:
            replay_warmup(servable, path)
        if self.batcher is not None:
            from tfinterop.server.batching import BatchingServable

            servable = BatchingServable(servable, self.batcher)
        return servable

    def _read_config_text(self) -> str | None:
        path = self.args.model_config_file
        try:
            return path.read_text() if path is not None else None
        except OSError:
            return None

    def reload(self, config: Any) -> None:
        """HandleReloadConfigRequest: validate, confine to the allowed roots, replace."""
        if config.WhichOneof("config") != "model_config_list":
            raise ServingError(
                Code.INVALID_ARGUMENT, "ModelServerConfig must hold a model_config_list"
            )
        entries = []
        for mc in config.model_config_list.config:
            try:
                entry = model_config.entry_from_proto(
                    mc, relative_to=Path.cwd(), source="reload request"
                )
            except ToolError as e:
                raise ServingError(Code.INVALID_ARGUMENT, str(e)) from None
            if not self.args.allow_any_model_path and not _under(entry.base_path, self.roots):
                raise ServingError(
                    Code.INVALID_ARGUMENT,
                    f"base_path {mc.base_path} of model {mc.name!r} is outside the allowed model "
                    f"roots ({', '.join(map(str, self.roots))}); start the server with "
                    "--allowed_model_root or --allow_any_model_path to permit it",
                )
            if not entry.base_path.is_dir():
                raise ServingError(
                    Code.NOT_FOUND,
                    f"base_path {entry.base_path} of model {mc.name!r} does not exist",
                )
            entries.append(entry)
        self.manager.set_config(entries)
        heap.settle()

    def poll_loop(self) -> None:
        fs_wait = self.args.file_system_poll_wait_seconds
        cfg_wait = self.args.model_config_file_poll_wait_seconds
        waits = [w for w in (fs_wait, cfg_wait) if w > 0]
        if not waits:
            return
        tick = min(waits)
        elapsed = 0
        while not self._stop.wait(tick):
            elapsed += tick
            try:
                if cfg_wait > 0 and elapsed % cfg_wait == 0:
                    self._poll_config()
                if fs_wait > 0 and elapsed % fs_wait == 0 and self.manager.sync():
                    heap.settle()
            except Exception:
                log.exception("polling failed; serving continues with the current models")

    def _poll_config(self) -> None:
        text = self._read_config_text()
        if text is None or text == self._config_text:
            return
        try:
            entries = model_config.parse_config(self.args.model_config_file)
            manager.check_entries(entries, str(self.args.model_config_file))
        except ToolError as e:
            log.error("%s; keeping the previous config", e)
            self._config_text = text
            return
        log.info("model config %s changed; reloading", self.args.model_config_file)
        try:
            self.manager.set_config(entries)
        except ServingError as e:
            # Not remembered as applied: like TF Serving, the next poll tries again.
            log.error("reloading %s failed: %s", self.args.model_config_file, e)
            return
        heap.settle()
        self._config_text = text

    def run(self) -> int:
        from tfinterop.server.grpc_service import make_server
        from tfinterop.server.rest import RestApi, RestServer

        host = self.args.bind_address
        from tfinterop.server.grpc_service import channel_arguments

        grpc_server, grpc_port = make_server(
            self.core,
            self.reload,
            _hostport(host, self.args.port),
            self.args.grpc_max_threads,
            channel_arguments(self.args.grpc_channel_arguments),
            socket_path=self.args.grpc_socket_path,
        )
        grpc_server.start()
        print(f"Running gRPC ModelServer at {host}:{grpc_port} ...", flush=True)
        if self.args.grpc_socket_path:
            print(
                f"Running gRPC ModelServer at UNIX socket {self.args.grpc_socket_path} ...",
                flush=True,
            )
        rest = None
        if self.args.rest_api_port:
            api = RestApi(
                self.core, self.args.rest_api_timeout_in_ms, self.metrics_path, self.metrics
            )
            rest = RestServer(api, host, self.args.rest_api_port)
            rest.start()
            print(f"Exporting HTTP/REST API at:{host}:{rest.port} ...", flush=True)
        elif self.metrics_path:
            log.warning(
                "monitoring needs the REST port (--rest_api_port); metrics are not exported"
            )

        # The handler only writes a byte to a pipe: taking a lock in a signal handler (an
        # Event's, logging's) deadlocks when the signal lands while the main thread holds it
        # (seen: a SIGTERM'd server waiting forever in Event.wait).
        wake_r, wake_w = os.pipe()

        def on_signal(signum: int, _frame: Any) -> None:
            os.write(wake_w, bytes([signum]))

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        poller = threading.Thread(target=self.poll_loop, name="poll", daemon=True)
        poller.start()
        signum = os.read(wake_r, 1)[0]
        log.info("signal %d: draining in-flight requests", signum)
        self._stop.set()
        # Refuse new RPCs, let in-flight ones finish (grace), then stop.
        grpc_server.stop(grace=10).wait()
        if rest is not None:
            rest.stop()
        if self.batcher is not None:
            self.batcher.stop()
        log.info("server stopped")
        return 0


def _under(path: Path, roots: list[Path]) -> bool:
    real = Path(os.path.realpath(path))
    return any(real == r or r in real.parents for r in (Path(os.path.realpath(x)) for x in roots))


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def main(args: argparse.Namespace) -> int:
    # Requests hop between gRPC, HTTP and batch threads; the default 5 ms GIL
    # switch interval would add up to 5 ms to every hop under load.
    sys.setswitchinterval(0.0005)
    return Server(args).run()
