"""Classify and Regress requests over a list of tf.Examples, shared by the zoo models."""

from __future__ import annotations

from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import classification_pb2, regression_pb2


def classify(
    model: str, signature: str, rows: list[example_pb2.Example]
) -> classification_pb2.ClassificationRequest:
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = model
    req.model_spec.signature_name = signature
    req.input.example_list.examples.extend(rows)
    return req


def regress(
    model: str, signature: str, rows: list[example_pb2.Example]
) -> regression_pb2.RegressionRequest:
    req = regression_pb2.RegressionRequest()
    req.model_spec.name = model
    req.model_spec.signature_name = signature
    req.input.example_list.examples.extend(rows)
    return req
