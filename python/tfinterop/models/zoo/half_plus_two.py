"""`half_plus_two`: TF Serving's own test model, written as its testdata script writes it.

tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_two.py
builds a TF1 graph with variables a=0.5, b=2, c=3 and exports it with the
SavedModelBuilder into a zero-padded version folder (`00000123`, version 123):

- `serving_default` (predict): x -> y = a*x + b
- `regress_x_to_y`, `regress_x_to_y2` (regress): serialized tf.Example with
  feature x -> y, y2 = a*x + c
- `regress_x2_to_y3` (regress) and, in TensorFlow's copy of the model
  (tensorflow/cc/saved_model/testdata/half_plus_two), `classify_x2_to_y3`
  (classify): x2 -> y3 = a2*x2 + c2
- `classify_x_to_y` (classify): serialized tf.Example -> scores y

plus an asset file (assets/foo.txt) whose name a main op assigns to a variable.
`write_tf1` is the one generator behind this zoo model and the TF Serving
testdata models of tests/conformance (half_plus_three is the same graph with b=3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    predict_pb2,
)

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.models.zoo import example_requests
from tfinterop.serving import tensor_codec

NAME = "half_plus_two"
VERSION = 123
VERSION_FOLDER = "00000123"  # TF Serving's testdata names versions this way
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
ASSET_NAME = "foo.txt"
ASSET_TEXT = "asset-file-contents"


def write_tf1(
    path: Path,
    workdir: Path,
    b: float = 2.0,
    classify_x2_to_y3: bool = False,
) -> None:
    """Export the half-plus-two graph (y = 0.5x + b) to `path` with the TF1 builder.

    `classify_x2_to_y3` adds the sixth signature of TensorFlow's copy of the model.
    The asset file is written into `workdir` first, as the script writes it to /tmp.
    """
    import tensorflow as tf

    v1 = tf.compat.v1
    asset = workdir / ASSET_NAME
    asset.write_text(ASSET_TEXT)
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        a = v1.Variable(0.5, name="a")
        b_var = v1.Variable(b, name="b")
        c = v1.Variable(3.0, name="c")
        # No static shape: TF Serving's checked-in model reports tf_example as unknown rank.
        serialized = v1.placeholder(tf.string, name="tf_example")
        features = v1.parse_example(
            serialized,
            {
                "x": v1.FixedLenFeature([1], dtype=tf.float32),
                "x2": v1.FixedLenFeature([1], dtype=tf.float32, default_value=[0.0]),
            },
        )
        # The TensorFlow that wrote the checked-in models inferred [-1, 1] for the parsed
        # features of a batch of unknown rank; today's parse_example leaves them unknown.
        for dense in features.values():
            dense.set_shape([None, 1])
        x = tf.identity(features["x"], name="x")
        y = tf.identity(tf.add(tf.multiply(a, x), b_var), name="y")
        y2 = tf.identity(tf.add(tf.multiply(a, x), c), name="y2")
        x2 = tf.identity(features["x2"], name="x2")
        # Separate variables for the x2 path, as the script has them.
        a2 = v1.Variable(0.5, name="a2")
        c2 = v1.Variable(3.0, name="c2")
        y3 = tf.identity(tf.add(tf.multiply(a2, x2), c2), name="y3")

        asset_path = tf.constant(str(asset))
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, asset_path)
        filename = v1.Variable(ASSET_NAME, name="filename_tensor", trainable=False, collections=[])
        assign_filename = filename.assign(ASSET_NAME)

        info = v1.saved_model.utils.build_tensor_info
        build = v1.saved_model.signature_def_utils.build_signature_def

        def regression(inp: Any, out: Any) -> Any:
            return build({"inputs": info(inp)}, {"outputs": info(out)}, REGRESS)

        def classification(inp: Any, scores: Any) -> Any:
            return build({"inputs": info(inp)}, {"scores": info(scores)}, CLASSIFY)

        signatures = {
            "serving_default": build({"x": info(x)}, {"y": info(y)}, "tensorflow/serving/predict"),
            "regress_x_to_y": regression(serialized, y),
            "regress_x_to_y2": regression(serialized, y2),
            "regress_x2_to_y3": regression(x2, y3),
            "classify_x_to_y": classification(serialized, y),
        }
        if classify_x2_to_y3:
            signatures["classify_x2_to_y3"] = classification(x2, y3)
        sess.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(
            sess,
            ["serve"],
            signature_def_map=signatures,
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
            main_op=tf.group(assign_filename),
        )
        builder.save()


def export(path: Path, workdir: Path) -> None:
    write_tf1(path, workdir)


def example(**features: float) -> example_pb2.Example:
    e = example_pb2.Example()
    for name, value in features.items():
        e.features.feature[name].float_list.value.append(value)
    return e


ROWS = [example(x=2.0), example(x=-1.0, x2=4.0), example(x=10.0)]


def _predict(signature: str, name: str, values: list[list[float]]) -> predict_pb2.PredictRequest:
    import numpy as np

    req = predict_pb2.PredictRequest()
    req.model_spec.name = NAME
    req.model_spec.signature_name = signature
    req.inputs[name].CopyFrom(
        tensor_codec.from_ndarray(np.array(values, np.float32), types_pb2.DT_FLOAT)
    )
    return req


_REQUESTS = example_requests.Requests(NAME, ROWS, "classify_x_to_y", "regress_x_to_y")
_classify = _REQUESTS.classify
_regress = _REQUESTS.regress


def cases(book: CaseBook) -> None:
    server = ("grpc", "rest")
    book.ok(
        "predict",
        "serving_default: y = 0.5x + 2 on a batch of three, from version folder 00000123",
        "predict",
        _predict("", "x", [[2.0], [-1.0], [10.0]]),
    )
    book.ok(
        "predict-regress-signature",
        "Predict through the regress signature regress_x2_to_y3 (Predict takes any method)",
        "predict",
        _predict("regress_x2_to_y3", "inputs", [[2.0], [0.0]]),
    )
    pinned = _predict("serving_default", "x", [[4.0]])
    pinned.model_spec.version.value = VERSION
    pinned.output_filter.append("y")
    book.ok(
        "predict-version-123",
        "version 123 asked for by number, output_filter y (REST has no output_filter)",
        "predict",
        pinned,
        transports=("inproc", "grpc"),
    )
    book.ok(
        "classify",
        "classify_x_to_y: tf.Examples with feature x, scores y",
        "classify",
        _classify(),
        transports=server,
    )
    ctx = _classify(rows=[example(), example(x2=1.0)], context=example(x=6.0))
    book.ok(
        "classify-context",
        "example_list_with_context: x comes from the context",
        "classify",
        ctx,
        transports=server,
    )
    book.ok(
        "regress",
        "regress_x_to_y over three tf.Examples",
        "regress",
        _regress(),
        transports=server,
    )
    book.ok(
        "regress-y2",
        "regress_x_to_y2: y2 = 0.5x + 3",
        "regress",
        _regress("regress_x_to_y2"),
        transports=server,
    )
    multi = example_requests.multi_inference(
        NAME, [("regress_x_to_y", REGRESS), ("classify_x_to_y", CLASSIFY)], ROWS
    )
    book.ok(
        "multi-inference",
        "regress and classify in one request (gRPC only: REST has no endpoint)",
        "multi_inference",
        multi,
        transports=("grpc",),
    )
    book.ok(
        "metadata",
        "five signatures (predict, regress, classify) of version 123",
        "metadata",
        metadata_request(NAME, VERSION),
    )
    book.err(
        "predict-unknown-signature",
        "a signature the model does not have",
        "predict",
        _predict("no_such_signature", "x", [[1.0]]),
        "FAILED_PRECONDITION",
    )
    book.err(
        "predict-wrong-input-name",
        "input keyed inputs where serving_default takes x",
        "predict",
        _predict("", "inputs", [[1.0]]),
        "INVALID_ARGUMENT",
    )
    version_one = _predict("", "x", [[1.0]])
    version_one.model_spec.version.value = 1
    book.err(
        "predict-version-1",
        "version 1 does not exist (the only version is 123)",
        "predict",
        version_one,
        "NOT_FOUND",
    )
    book.err(
        "classify-unknown-signature",
        "Classify names a missing signature: INVALID_ARGUMENT, not Predict's FAILED_PRECONDITION",
        "classify",
        _classify("no_such_signature"),
        "INVALID_ARGUMENT",
        transports=server,
    )
    book.err(
        "regress-on-predict-signature",
        "Regress on serving_default: its input is x, not inputs",
        "regress",
        _regress("serving_default"),
        "INVALID_ARGUMENT",
        transports=server,
    )
    book.err(
        "classify-missing-feature",
        "an Example without the required feature x fails in parse_example",
        "classify",
        _classify(rows=[example(x2=1.0)]),
        "INVALID_ARGUMENT",
        transports=server,
    )
