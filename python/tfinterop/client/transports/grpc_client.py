"""gRPC: TF Serving's PredictionService through the tensorflow-serving-api stubs."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message
from tensorflow_serving.apis import prediction_service_pb2_grpc

from tfinterop.serving.errors import Code, ServingError

DEADLINE_S = 30.0


class GrpcTransport:
    name = "grpc"

    def __init__(self, target: str, deadline_s: float = DEADLINE_S) -> None:
        self._target = target
        self._deadline = deadline_s
        self._channel = grpc.insecure_channel(
            target, options=[("grpc.max_receive_message_length", 2**31 - 1)]
        )
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._methods = {
            "predict": self._stub.Predict,
            "classify": self._stub.Classify,
            "regress": self._stub.Regress,
            "multi_inference": self._stub.MultiInference,
            "metadata": self._stub.GetModelMetadata,
        }

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        try:
            return self._methods[api](request, timeout=self._deadline)
        except grpc.RpcError as e:
            code = e.code()
            raise ServingError(Code[code.name], e.details() or "") from None

    def runtime(self) -> dict[str, str]:
        return {"grpc": grpc.__version__, "target": self._target}

    def close(self) -> None:
        self._channel.close()
