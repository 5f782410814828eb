"""v2gRPC: the Open Inference Protocol's GRPCInferenceService through tritonclient's generated stub."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message
from tritonclient.grpc import service_pb2_grpc

from tfinterop.serving.errors import Code, ServingError

DEADLINE_S = 30.0


class V2GrpcTransport:
    """Sends a case's v2 request (an inference.ModelInferRequest) as it is; the
    ModelInferResponse comes back as the server wrote it."""

    name = "v2grpc"

    def __init__(self, target: str, deadline_s: float = DEADLINE_S) -> None:
        self._target = target
        self._deadline = deadline_s
        self._channel = grpc.insecure_channel(
            target, options=[("grpc.max_receive_message_length", 2**31 - 1)]
        )
        self._stub = service_pb2_grpc.GRPCInferenceServiceStub(self._channel)

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        if api != "predict":
            raise ServingError(Code.UNIMPLEMENTED, f"the v2 protocol has no {api} API")
        try:
            response: Message = self._stub.ModelInfer(request, timeout=self._deadline)
        except grpc.RpcError as e:
            raise ServingError(Code[e.code().name], e.details() or "") from None
        return response

    def runtime(self) -> dict[str, str]:
        return {"grpc": grpc.__version__, "target": self._target}

    def close(self) -> None:
        self._channel.close()
