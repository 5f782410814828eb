"""Which TF Serving request and response message each case `api` uses."""

from __future__ import annotations

import functools
import importlib

from google.protobuf.message import Message

# api -> (module, request, response). The modules are TF Serving's, which import
# TensorFlow (about 5 s): resolved on first use, so that a command refusing its arguments,
# or one that never parses a message, does not pay for them.
_MESSAGES = {
    "predict": ("predict_pb2", "PredictRequest", "PredictResponse"),
    "classify": ("classification_pb2", "ClassificationRequest", "ClassificationResponse"),
    "regress": ("regression_pb2", "RegressionRequest", "RegressionResponse"),
    "multi_inference": ("inference_pb2", "MultiInferenceRequest", "MultiInferenceResponse"),
    "metadata": (
        "get_model_metadata_pb2",
        "GetModelMetadataRequest",
        "GetModelMetadataResponse",
    ),
}


@functools.cache
def _message(api: str, side: int) -> type[Message]:
    entry = _MESSAGES[api]
    module = importlib.import_module(f"tensorflow_serving.apis.{entry[0]}")
    cls: type[Message] = getattr(module, entry[side])
    return cls


def request_class(api: str) -> type[Message]:
    """The request message of `api` (KeyError for an api TF Serving does not have)."""
    return _message(api, 1)


def response_class(api: str) -> type[Message]:
    """The response message of `api` (KeyError for an api TF Serving does not have)."""
    return _message(api, 2)


def parse_request(api: str, data: bytes) -> Message:
    message = request_class(api)()
    message.ParseFromString(data)
    return message


def parse_response(api: str, data: bytes) -> Message:
    message = response_class(api)()
    message.ParseFromString(data)
    return message
