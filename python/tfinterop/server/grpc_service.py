"""PredictionService, ModelService and the v2 GRPCInferenceService over the serving core
(official grpcio server)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent import futures
from typing import Any, TypeVar

import grpc
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)

from tfinterop.server.core import Core
from tfinterop.serving.errors import ServingError

log = logging.getLogger(__name__)
T = TypeVar("T")
# TF Serving sets the gRPC message limit to INT_MAX.
MAX_MESSAGE_BYTES = 2**31 - 1


def call(context: grpc.ServicerContext, fn: Callable[[int], T]) -> T:
    """Run `fn(timeout_ms)`; a ServingError becomes its gRPC status, anything else INTERNAL."""
    remaining = context.time_remaining()
    timeout_ms = int(remaining * 1000) if remaining is not None and remaining < 1e7 else 0
    try:
        return fn(max(timeout_ms, 1) if timeout_ms else 0)
    except ServingError as e:
        context.abort(grpc.StatusCode[e.code.name], e.message)
        raise  # unreachable: abort raises
    except Exception as e:
        log.exception("gRPC call failed")
        context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(e).__name__}: {e}")
        raise


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):  # type: ignore[misc]
    def __init__(self, core: Core) -> None:
        self.core = core

    def Predict(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.predict(request, t))

    def Classify(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.classify(request, t))

    def Regress(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.regress(request, t))

    def MultiInference(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.multi_inference(request, t))

    def GetModelMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.metadata(request))


class ModelService(model_service_pb2_grpc.ModelServiceServicer):  # type: ignore[misc]
    def __init__(self, core: Core, reload: Callable[[Any], None]) -> None:
        self.core = core
        self._reload = reload

    def GetModelStatus(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.core.status(request))

    def HandleReloadConfigRequest(self, request: Any, context: grpc.ServicerContext) -> Any:
        def run(_: int) -> Any:
            self._reload(request.config)
            return model_management_pb2.ReloadConfigResponse()

        return call(context, run)


def channel_arguments(text: str) -> list[tuple[str, Any]]:
    """TF Serving's --grpc_channel_arguments: "key=value,key=value", integers where they parse."""
    from tfinterop.serving.errors import UsageError

    out: list[tuple[str, Any]] = []
    for item in filter(None, (x.strip() for x in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--grpc_channel_arguments: {item!r} is not key=value")
        try:
            out.append((key, int(value)))
        except ValueError:
            out.append((key, value))
    return out


def make_server(
    core: Core,
    reload: Callable[[Any], None],
    address: str,
    threads: int,
    extra_options: list[tuple[str, Any]] | None = None,
    socket_path: str = "",
) -> tuple[grpc.Server, int]:
    """Create and bind (not start) the gRPC server; returns it and the bound port.

    A `socket_path` (--grpc_socket_path) adds a listener on that UNIX socket.
    """
    options: dict[str, Any] = {
        "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
        "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
        "grpc.so_reuseport": 0,
    }
    options.update(dict(extra_options or []))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grpc"),
        options=list(options.items()),
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionService(core), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(core, reload), server)
    from tfinterop.server import v2_grpc
    from tfinterop.server.v2 import V2Api

    v2_grpc.add_to_server(V2Api(core), server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind gRPC to {address}")
    if socket_path and server.add_insecure_port(f"unix:{socket_path}") == 0:
        raise OSError(f"cannot bind gRPC to UNIX socket {socket_path}")
    return server, port
