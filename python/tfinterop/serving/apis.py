"""Which TF Serving request and response message each case `api` uses."""

from __future__ import annotations

from google.protobuf.message import Message
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    inference_pb2,
    predict_pb2,
    regression_pb2,
)

REQUEST: dict[str, type[Message]] = {
    "predict": predict_pb2.PredictRequest,
    "classify": classification_pb2.ClassificationRequest,
    "regress": regression_pb2.RegressionRequest,
    "multi_inference": inference_pb2.MultiInferenceRequest,
    "metadata": get_model_metadata_pb2.GetModelMetadataRequest,
}

RESPONSE: dict[str, type[Message]] = {
    "predict": predict_pb2.PredictResponse,
    "classify": classification_pb2.ClassificationResponse,
    "regress": regression_pb2.RegressionResponse,
    "multi_inference": inference_pb2.MultiInferenceResponse,
    "metadata": get_model_metadata_pb2.GetModelMetadataResponse,
}


def parse_request(api: str, data: bytes) -> Message:
    message = REQUEST[api]()
    message.ParseFromString(data)
    return message


def parse_response(api: str, data: bytes) -> Message:
    message = RESPONSE[api]()
    message.ParseFromString(data)
    return message
