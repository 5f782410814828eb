"""Classify and Regress requests over a list of tf.Examples, shared by the zoo models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import classification_pb2, inference_pb2, regression_pb2


def _fill(
    req: Any,
    model: str,
    signature: str,
    rows: list[example_pb2.Example],
    context: example_pb2.Example | None,
) -> Any:
    req.model_spec.name = model
    req.model_spec.signature_name = signature
    if context is None:
        req.input.example_list.examples.extend(rows)
    else:  # example_list_with_context: the context's features fill each Example
        req.input.example_list_with_context.context.CopyFrom(context)
        req.input.example_list_with_context.examples.extend(rows)
    return req


def classify(
    model: str,
    signature: str,
    rows: list[example_pb2.Example],
    context: example_pb2.Example | None = None,
) -> classification_pb2.ClassificationRequest:
    req: classification_pb2.ClassificationRequest = _fill(
        classification_pb2.ClassificationRequest(), model, signature, rows, context
    )
    return req


def regress(
    model: str,
    signature: str,
    rows: list[example_pb2.Example],
    context: example_pb2.Example | None = None,
) -> regression_pb2.RegressionRequest:
    req: regression_pb2.RegressionRequest = _fill(
        regression_pb2.RegressionRequest(), model, signature, rows, context
    )
    return req


@dataclass(frozen=True)
class Requests:
    """One model's requests: its default signatures and rows, overridable per case."""

    model: str
    rows: list[example_pb2.Example]
    classify_signature: str
    regress_signature: str

    def classify(
        self,
        signature: str | None = None,
        rows: list[example_pb2.Example] | None = None,
        context: example_pb2.Example | None = None,
    ) -> classification_pb2.ClassificationRequest:
        sig = self.classify_signature if signature is None else signature
        return classify(self.model, sig, self.rows if rows is None else rows, context)

    def regress(
        self,
        signature: str | None = None,
        rows: list[example_pb2.Example] | None = None,
        context: example_pb2.Example | None = None,
    ) -> regression_pb2.RegressionRequest:
        sig = self.regress_signature if signature is None else signature
        return regress(self.model, sig, self.rows if rows is None else rows, context)


def multi_inference(
    model: str, tasks: list[tuple[str, str]], rows: list[example_pb2.Example]
) -> inference_pb2.MultiInferenceRequest:
    """One MultiInferenceRequest: a task per (signature, method name), over the same rows."""
    req = inference_pb2.MultiInferenceRequest()
    for signature, method in tasks:
        task = req.tasks.add(method_name=method)
        task.model_spec.name = model
        task.model_spec.signature_name = signature
    req.input.example_list.examples.extend(rows)
    return req
