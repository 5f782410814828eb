"""inference.GRPCInferenceService (Open Inference Protocol) on the bundled server's gRPC port.

ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata and ModelInfer
over server.v2; the generated base class answers every other method (streaming,
model repository, shared memory, ...) UNIMPLEMENTED, as a server without those
extensions should.
"""

from __future__ import annotations

from typing import Any

import grpc
from tritonclient.grpc import service_pb2, service_pb2_grpc

from tfinterop.server.grpc_service import call
from tfinterop.server.v2 import V2Api


class InferenceService(service_pb2_grpc.GRPCInferenceServiceServicer):  # type: ignore[misc]
    def __init__(self, api: V2Api) -> None:
        self.api = api

    def ServerLive(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda _: service_pb2.ServerLiveResponse(live=self.api.live()))

    def ServerReady(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda _: service_pb2.ServerReadyResponse(ready=self.api.ready()))

    def ModelReady(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(
            context,
            lambda _: service_pb2.ModelReadyResponse(
                ready=self.api.model_ready(request.name, request.version)
            ),
        )

    def ServerMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda _: self.api.server_metadata())

    def ModelMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda _: self.api.model_metadata(request.name, request.version))

    def ModelInfer(self, request: Any, context: grpc.ServicerContext) -> Any:
        return call(context, lambda t: self.api.infer(request, t))


def add_to_server(api: V2Api, server: grpc.Server) -> None:
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceService(api), server)
