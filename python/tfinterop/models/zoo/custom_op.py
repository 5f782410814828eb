"""`custom_op`: signatures over TfiAffine, a custom op with a C++ kernel in the repository.

ops/tfi_affine.cc (y = a*x + b; float, double, int32, int64; attributes a and
b; a shape function) is compiled against the installed TensorFlow into
<build>/ops/libtfi_ops.so (tfinterop.models.ops). The case set lists it in
model.op_libraries, so every client loads it before the model in-process and
the harness gives it to the bundled server (--op_library). TF Serving itself
needs the op linked into its binary (docs/SERVER.md, "Custom ops").

- `serving_default`: float32 [?,3] x -> y = 3x + 0.5
- `ints`: int64 [?,2] n -> m = 2n + 1 (the op's default attributes), values above 2^53
- `doubles`: float64 [?] d -> e = -1.5d + 0.25
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tensorflow_serving.apis import predict_pb2

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.serving import tensor_codec

NAME = "custom_op"
# Relative to the build folder; tfinterop.models.ops builds it (export, `make ops`).
OP_LIBRARIES = ("ops/libtfi_ops.so",)
OP = "TfiAffine"


def export(path: Path, workdir: Path, libraries: Sequence[Path]) -> None:
    import tensorflow as tf

    (library,) = libraries
    ops = tf.load_op_library(str(library))

    class Affine(tf.Module):  # type: ignore[misc]
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])  # type: ignore[untyped-decorator]
        def scale(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": ops.tfi_affine(x, a=3.0, b=0.5)}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int64, name="n")])  # type: ignore[untyped-decorator]
        def ints(self, n: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"m": ops.tfi_affine(n)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float64, name="d")])  # type: ignore[untyped-decorator]
        def doubles(self, d: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"e": ops.tfi_affine(d, a=-1.5, b=0.25)}

    module = Affine()
    tf.saved_model.save(
        module,
        str(path),
        signatures={
            "serving_default": module.scale,
            "ints": module.ints,
            "doubles": module.doubles,
        },
    )


def predict(
    model: str, signature: str, name: str, values: np.ndarray
) -> predict_pb2.PredictRequest:
    """A Predict of one input through `signature` of `model` (the two case sets share them)."""
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    req.model_spec.signature_name = signature
    req.inputs[name].CopyFrom(tensor_codec.from_ndarray(values))
    return req


FLOATS = np.array([[0.0, 1.0, -2.5], [1e3, -0.0, 0.1]], np.float32)
# 2n + 1 stays exact in int64 where a double would round (2^61 + 3 -> 2^62 + 7).
INTS = np.array([[2**61 + 3, -7], [0, 1]], np.int64)
DOUBLES = np.array([0.1, -3.0, 1e300], np.float64)


def cases(book: CaseBook) -> None:
    book.ok(
        "predict",
        f"serving_default: {OP} over float32 (a=3, b=0.5) on a batch of two",
        "predict",
        predict(NAME, "", "x", FLOATS),
    )
    book.ok(
        "predict-row",
        "the same batch, sent over REST as instances",
        "predict",
        predict(NAME, "serving_default", "x", FLOATS),
        rest_format="row",
    )
    book.ok(
        "predict-ints",
        f"ints: {OP} over int64 with its default attributes (2n + 1), values above 2^53",
        "predict",
        predict(NAME, "ints", "n", INTS),
    )
    book.ok(
        "predict-doubles",
        f"doubles: {OP} over float64 (a=-1.5, b=0.25)",
        "predict",
        predict(NAME, "doubles", "d", DOUBLES),
    )
    book.ok(
        "metadata", "three signatures over the custom op", "metadata", metadata_request(NAME, 1)
    )
    wrong = predict(NAME, "ints", "n", np.zeros((1, 2), np.float32))
    book.err(
        "predict-wrong-dtype",
        "float32 sent to the int64 input: refused before the op runs",
        "predict",
        wrong,
        "INVALID_ARGUMENT",
    )
