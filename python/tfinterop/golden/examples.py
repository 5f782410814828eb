"""Classify, Regress and MultiInference as TF Serving builds them from a signature's outputs.

Rules from tensorflow_serving/servables/tensorflow/classifier.cc,
regressor.cc, multi_inference.cc and util.cc, with
--enable_signature_method_name_check=false (TF Serving's default), so the
method name is not checked and a predict-method signature serves Classify when
its inputs and outputs have the classification shape:

- GetClassificationSignatureDef / GetRegressionSignatureDef: an unknown
  signature is INVALID_ARGUMENT ("No signature was found with the name: ..."),
  not Predict's FAILED_PRECONDITION; then PreProcess* runs at once.
- PreProcessClassification: one input, one or two outputs, the input aliased
  "inputs", an output "classes" or "scores"; PreProcessRegression: one input
  "inputs", one output "outputs". Each miss is INVALID_ARGUMENT.
- InputToSerializedExampleTensor: the Input is serialized and re-read with the
  examples as bytes; a context is prepended, byte for byte, to every example
  (protobuf merge semantics: the example's features override the context's). No
  example is INVALID_ARGUMENT ("Input is empty.").
- PostProcess*: classes [batch, k] strings, scores [batch, k] float32, both of
  one k; regression [batch] or [batch, 1] float32; else INVALID_ARGUMENT.
- The response's model_spec is the request's name, its signature name
  ("" -> serving_default) and the served version (MultiInference: per result).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    input_pb2,
    model_pb2,
    regression_pb2,
)

from tfinterop.golden import tensors
from tfinterop.golden.models import Models
from tfinterop.golden.predict import DEFAULT_SIGNATURE, model_spec
from tfinterop.golden.savedmodel import GoldenError, Version
from tfinterop.serving.errors import Code, ServingError, invalid_argument

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
INPUTS = "inputs"
CLASSES = "classes"
SCORES = "scores"
OUTPUTS = "outputs"


@cache
def _serialized_input_class() -> type[Message]:
    """tensorflow_serving/apis/internal/serialized_input.proto: Input with examples as bytes."""
    f = descriptor_pb2.FileDescriptorProto(
        name="tfinterop/golden/serialized_input.proto",
        package="tfinterop.golden",
        syntax="proto3",
    )
    lst = f.message_type.add(name="SerializedExampleList")
    lst.field.add(name="examples", number=1, type=12, label=3)  # repeated bytes
    ctx = f.message_type.add(name="SerializedExampleListWithContext")
    ctx.field.add(name="examples", number=1, type=12, label=3)
    ctx.field.add(name="context", number=2, type=12, label=1)  # bytes
    inp = f.message_type.add(name="SerializedInput")
    inp.oneof_decl.add(name="kind")
    for name, number, type_name in (
        ("example_list", 1, ".tfinterop.golden.SerializedExampleList"),
        ("example_list_with_context", 2, ".tfinterop.golden.SerializedExampleListWithContext"),
    ):
        inp.field.add(
            name=name, number=number, type=11, label=1, type_name=type_name, oneof_index=0
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return cast(
        type[Message],
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName("tfinterop.golden.SerializedInput")
        ),
    )


def serialized_examples(inp: input_pb2.Input) -> list[bytes]:
    """util.cc InputToSerializedExampleTensor: one serialized tf.Example per example."""
    serialized = _serialized_input_class()()
    serialized.ParseFromString(inp.SerializeToString(deterministic=True))
    which = serialized.WhichOneof("kind")
    if which == "example_list":
        blobs = list(serialized.example_list.examples)
    elif which == "example_list_with_context":
        lc = serialized.example_list_with_context
        blobs = [lc.context + e for e in lc.examples]
    else:
        blobs = []
    if not blobs:
        raise invalid_argument("Input is empty.")
    return blobs


def _examples_tensor(blobs: list[bytes]) -> Any:
    import tensorflow as tf

    return tf.constant(blobs, dtype=tf.string)


def _signature(version: Version, name: str) -> tuple[str, meta_graph_pb2.SignatureDef]:
    key = name or DEFAULT_SIGNATURE
    sig = version.meta_graph.signature_def.get(key)
    if sig is None:
        raise invalid_argument(f"No signature was found with the name: {key}")
    return key, sig


def preprocess_classification(sig: meta_graph_pb2.SignatureDef) -> list[str]:
    """PreProcessClassification: the output aliases to fetch (classes, scores or both)."""
    if len(sig.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(sig.outputs) not in (1, 2):
        raise invalid_argument(f"Expected one or two output Tensors, found {len(sig.outputs)}")
    if INPUTS not in sig.inputs:
        raise invalid_argument("No classification inputs found in SignatureDef")
    fetch = [a for a in (CLASSES, SCORES) if a in sig.outputs]
    if not fetch:
        raise invalid_argument(
            'Expected classification signature outputs to contain at least one of "classes" '
            'or "scores".'
        )
    return fetch


def preprocess_regression(sig: meta_graph_pb2.SignatureDef) -> list[str]:
    """PreProcessRegression: the one output alias to fetch."""
    if len(sig.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(sig.outputs) != 1:
        raise invalid_argument("Expected one output Tensor.")
    if INPUTS not in sig.inputs:
        raise invalid_argument("No regression inputs found in SignatureDef")
    if OUTPUTS not in sig.outputs:
        raise invalid_argument("No regression outputs found in SignatureDef")
    return [OUTPUTS]


def _shape(t: Any) -> list[int]:
    return [int(d) for d in t.shape]


def classification_result(
    n: int, outputs: dict[str, Any], result: classification_pb2.ClassificationResult
) -> None:
    """PostProcessClassificationResult."""
    classes = outputs.get(CLASSES)
    scores = outputs.get(SCORES)
    for alias, t, dtype, dtype_name in (
        (CLASSES, classes, types_pb2.DT_STRING, "DT_STRING"),
        (SCORES, scores, types_pb2.DT_FLOAT, "DT_FLOAT"),
    ):
        if t is None:
            continue
        if len(t.shape) != 2:
            raise invalid_argument(
                f"Expected Tensor shape: [batch_size num_classes] but got {_shape(t)}"
            )
        if tensors.dtype_enum(t) != dtype:
            raise invalid_argument(f"Expected {alias} Tensor of {dtype_name}.")
        if _shape(t)[0] != n:
            raise invalid_argument(
                f"Expected {alias} output batch size of {n}. Got: {_shape(t)[0]}"
            )
    if classes is not None and scores is not None and _shape(classes)[1] != _shape(scores)[1]:
        raise invalid_argument(
            f"Tensors class and score should match in dim_size(1). Got {_shape(classes)[1]} "
            f"vs. {_shape(scores)[1]}"
        )
    labels = tensors.to_numpy(classes) if classes is not None else None
    values = tensors.to_numpy(scores) if scores is not None else None
    k = _shape(classes if classes is not None else scores)[1]
    for i in range(n):
        c = result.classifications.add()
        for j in range(k):
            cls = c.classes.add()
            if labels is not None:
                raw = bytes(labels[i, j])
                try:
                    cls.label = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise GoldenError(
                        f"class label {raw!r} is not UTF-8: TF Serving sends the raw bytes in a "
                        "proto3 string field, which a conforming parser rejects"
                    ) from None
            if values is not None:
                cls.score = float(values[i, j])


def regression_result(
    n: int, outputs: dict[str, Any], result: regression_pb2.RegressionResult
) -> None:
    """PostProcessRegressionResult."""
    t = outputs[OUTPUTS]
    shape = _shape(t)
    if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise invalid_argument(
            f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
            f"{shape}"
        )
    if shape[0] != n:
        raise invalid_argument(
            f"Input batch size did not match output batch size: {n} vs. {shape[0]}"
        )
    if tensors.dtype_enum(t) != types_pb2.DT_FLOAT:
        raise invalid_argument("Expected output Tensor of DT_FLOAT.")
    for v in tensors.to_numpy(t).reshape(-1):
        result.regressions.add(value=float(v))


def _run(version: Version, key: str, blobs: list[bytes]) -> dict[str, Any]:
    return version.run(key, {INPUTS: _examples_tensor(blobs)})


def classify(
    models: Models, request: classification_pb2.ClassificationRequest
) -> classification_pb2.ClassificationResponse:
    """classifier.cc RunClassify."""
    response = classification_pb2.ClassificationResponse()
    _run_api(models, request, preprocess_classification, classification_result, response)
    return response


def regress(
    models: Models, request: regression_pb2.RegressionRequest
) -> regression_pb2.RegressionResponse:
    """regressor.cc RunRegress."""
    response = regression_pb2.RegressionResponse()
    _run_api(models, request, preprocess_regression, regression_result, response)
    return response


def _run_api(
    models: Models,
    request: Any,
    preprocess: Callable[[meta_graph_pb2.SignatureDef], list[str]],
    fill: Callable[[int, dict[str, Any], Any], None],
    response: Any,
) -> None:
    """The steps Classify and Regress share: model spec, signature, its check, the examples,
    one session run, then the API's own result from the outputs."""
    if not request.HasField("model_spec"):
        raise invalid_argument("Missing ModelSpec")
    version = models.get(request.model_spec)
    key, sig = _signature(version, request.model_spec.signature_name)
    preprocess(sig)
    blobs = serialized_examples(request.input)
    outputs = _run(version, key, blobs)
    model_spec(response.model_spec, request.model_spec.name, key, version.version)
    fill(len(blobs), outputs, response.result)


def multi_inference(
    models: Models, request: inference_pb2.MultiInferenceRequest
) -> inference_pb2.MultiInferenceResponse:
    """multi_inference_helper.cc then TensorFlowMultiInferenceRunner::Infer."""
    first = (
        request.tasks[0].model_spec
        if request.tasks and request.tasks[0].HasField("model_spec")
        else model_pb2.ModelSpec()
    )
    version = models.get(first)
    model_name = ""
    input_name = ""
    seen: set[str] = set()
    keys: list[str] = []
    for task in request.tasks:
        if not task.model_spec.name:
            raise invalid_argument("Found ModelSpec with an empty model name.")
        if not model_name:
            model_name = task.model_spec.name
        elif model_name != task.model_spec.name:
            raise invalid_argument(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        key = task.model_spec.signature_name or DEFAULT_SIGNATURE
        if key in seen:
            raise invalid_argument(f"Duplicate evaluation of signature: {key}")
        seen.add(key)
        sig = version.meta_graph.signature_def.get(key)
        if sig is None:
            raise invalid_argument(f"Requested signature not found in model graph: {key}")
        if task.method_name == CLASSIFY_METHOD:
            preprocess_classification(sig)
        elif task.method_name == REGRESS_METHOD:
            preprocess_regression(sig)
        else:
            raise ServingError(
                Code.UNIMPLEMENTED, f"Unsupported signature method_name: {task.method_name}"
            )
        tensor_name = sig.inputs[INPUTS].name
        if not input_name:
            input_name = tensor_name
        elif input_name != tensor_name:
            raise invalid_argument("Input tensor must be the same for all Signatures.")
        keys.append(key)
    blobs = serialized_examples(request.input)
    # TF Serving fetches every task's outputs in one Session::Run; each signature's
    # function computes the same values from the same input tensor.
    outputs = {key: _run(version, key, blobs) for key in keys}
    response = inference_pb2.MultiInferenceResponse()
    for task, key in zip(request.tasks, keys, strict=True):
        result = response.results.add()
        if task.method_name == CLASSIFY_METHOD:
            classification_result(len(blobs), outputs[key], result.classification_result)
        else:
            regression_result(len(blobs), outputs[key], result.regression_result)
        model_spec(result.model_spec, task.model_spec.name, key, version.version)
    return response
