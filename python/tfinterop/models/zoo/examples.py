"""`examples`: classify and regress signatures over serialized tf.Example, TF1-style.

Exported with the TF1 SavedModelBuilder, the only way to give signatures the
method names tensorflow/serving/classify and /regress, so Classify, Regress and
MultiInference are exercised (gRPC and REST; they are server APIs). A
`predict_examples` signature takes the same serialized Examples through Predict,
so every transport carries binary strings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    predict_pb2,
)

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.models.zoo import example_requests
from tfinterop.serving import tensor_codec

NAME = "examples"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"


def export(path: Path, workdir: Path) -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        spec = {
            "x": tf.io.FixedLenFeature([2], tf.float32, default_value=[0.0, 0.0]),
            "bias": tf.io.FixedLenFeature([1], tf.int64, default_value=[0]),
        }
        feats = tf.io.parse_example(serialized, spec)
        x, bias = feats["x"], tf.cast(feats["bias"], tf.float32)
        w = v1.get_variable("w", initializer=tf.constant([[1.0, -1.0], [0.5, 2.0]]))
        scores = tf.nn.softmax(tf.matmul(x, w) + bias)
        classes = tf.tile(tf.constant([["negative", "positive"]]), [tf.shape(x)[0], 1])
        value = tf.reduce_sum(x, axis=1, keepdims=True) * 2.0 + bias
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            cls = v1.saved_model.classification_signature_def(serialized, classes, scores)
            reg = v1.saved_model.regression_signature_def(serialized, value)
            pred = v1.saved_model.predict_signature_def(
                {"examples": serialized}, {"scores": scores}
            )
            builder.add_meta_graph_and_variables(
                sess,
                ["serve"],
                signature_def_map={
                    "serving_default": cls,
                    "classify": cls,
                    "regress": reg,
                    "predict_examples": pred,
                },
            )
            builder.save()


def example(x: list[float] | None = None, bias: int | None = None) -> example_pb2.Example:
    e = example_pb2.Example()
    if x is not None:
        e.features.feature["x"].float_list.value.extend(x)
    if bias is not None:
        e.features.feature["bias"].int64_list.value.append(bias)
    return e


ROWS = [example([1.0, 2.0], 0), example([-1.5, 0.25], 2), example([0.0, 3.0], -1)]


_REQUESTS = example_requests.Requests(NAME, ROWS, "", "regress")
_classify = _REQUESTS.classify
_regress = _REQUESTS.regress


def cases(book: CaseBook) -> None:
    server = ("grpc", "rest")
    book.ok(
        "classify",
        "three Examples through the default (classify) signature",
        "classify",
        _classify(),
        transports=server,
    )
    book.ok(
        "classify-named",
        "the classify signature by name",
        "classify",
        _classify("classify"),
        transports=server,
    )
    book.ok(
        "classify-missing-feature",
        "an Example without 'bias' and one without features: defaults apply",
        "classify",
        _classify(rows=[example([1.0, 1.0]), example()]),
        transports=server,
    )
    ctx = _classify(rows=[example([1.0, 0.0]), example([0.0, 1.0], 1)], context=example(bias=3))
    book.ok(
        "classify-context",
        "example_list_with_context: context features fill each Example",
        "classify",
        ctx,
        transports=server,
    )
    book.ok(
        "regress",
        "three Examples through the regress signature",
        "regress",
        _regress(),
        transports=server,
    )
    multi = example_requests.multi_inference(
        NAME, [("classify", CLASSIFY), ("regress", REGRESS)], ROWS
    )
    book.ok(
        "multi-inference",
        "classify and regress in one request (gRPC only: REST has no endpoint)",
        "multi_inference",
        multi,
        transports=("grpc",),
    )
    blobs = np.empty(len(ROWS), dtype=object)
    blobs[:] = [e.SerializeToString(deterministic=True) for e in ROWS]
    pred = predict_pb2.PredictRequest()
    pred.model_spec.name = NAME
    pred.model_spec.signature_name = "predict_examples"
    pred.inputs["examples"].CopyFrom(tensor_codec.from_ndarray(blobs, types_pb2.DT_STRING))
    book.ok(
        "predict-serialized",
        "serialized Examples through Predict (binary strings everywhere)",
        "predict",
        pred,
    )
    book.err(
        "classify-on-regress-signature",
        "Classify addressed to a regress signature",
        "classify",
        _classify("regress"),
        "INVALID_ARGUMENT",
        transports=server,
    )
    book.err(
        "regress-on-classify-signature",
        "Regress addressed to a classify signature",
        "regress",
        _regress("classify"),
        "INVALID_ARGUMENT",
        transports=server,
    )
    book.err(
        "classify-empty-input",
        "Classify with no Examples",
        "classify",
        _classify(rows=[]),
        "INVALID_ARGUMENT",
        transports=server,
    )
    dup = inference_pb2.MultiInferenceRequest()
    dup.CopyFrom(multi)
    dup.tasks[1].model_spec.signature_name = "classify"
    dup.tasks[1].method_name = CLASSIFY
    book.err(
        "multi-inference-duplicate",
        "the same signature twice",
        "multi_inference",
        dup,
        "INVALID_ARGUMENT",
        transports=("grpc",),
    )
    book.err(
        "classify-unknown-model",
        "Classify for a model that is not served",
        "classify",
        _classify_for("no_such_model"),
        "NOT_FOUND",
        transports=server,
    )
    book.ok(
        "metadata",
        "classify, regress and predict signatures",
        "metadata",
        metadata_request(NAME, 1),
    )


def _classify_for(model: str) -> classification_pb2.ClassificationRequest:
    req = _classify()
    req.model_spec.name = model
    return req
