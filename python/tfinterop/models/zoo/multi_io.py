"""`multi_io`: many named inputs and outputs of different dtypes and ranks, two signatures.

serving_default takes float64, int32, int64, bool, uint8 (rank 3), float16 and
a float32 scalar; its outputs mix float64, int64, float16, float32 (with NaN
and infinities) and a bool scalar. Over REST it fails as TF Serving fails:
float16 has no JSON conversion (UNIMPLEMENTED). The `probe` signature takes a
subset that REST carries and returns what REST clients get wrong: NaN and
infinities as bare tokens, int64 above 2^53, float32 values that must come back
bit-identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import predict_pb2

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.serving import tensor_codec

NAME = "multi_io"
# float32's largest value is left out: TF Serving refuses it over REST (case float32-max).
PROBES = np.array(
    [0.1, 16777217, 1e-45, np.nextafter(np.float32(3.4028235e38), np.float32(0)), -0.0, 1.0],
    np.float32,
)


def export(path: Path, workdir: Path) -> None:
    import tensorflow as tf

    class MultiIO(tf.Module):  # type: ignore[misc]
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 3], tf.float64, name="f64"),
                tf.TensorSpec([None, 2], tf.int32, name="i32"),
                tf.TensorSpec([None], tf.int64, name="i64"),
                tf.TensorSpec([None], tf.bool, name="flag"),
                tf.TensorSpec([None, 2, 2], tf.uint8, name="u8"),
                tf.TensorSpec([None, 2], tf.float16, name="f16"),
                tf.TensorSpec([], tf.float32, name="scale"),
            ]
        )
        def serve(self, f64, i32, i64, flag, u8, f16, scale):  # type: ignore[no-untyped-def]
            weighted = tf.where(
                flag,
                tf.reduce_sum(f64, axis=1) * tf.cast(scale, tf.float64),
                tf.zeros_like(f64[:, 0]),
            )
            total = (
                i64
                + tf.reduce_sum(tf.cast(i32, tf.int64), axis=1)
                + tf.reduce_sum(tf.cast(u8, tf.int64), axis=[1, 2])
            )
            return {
                "weighted": weighted,
                "total": total,
                "half": f16 * tf.constant(2.0, tf.float16),
                "any_flag": tf.reduce_any(flag),
                "ratio": tf.cast(f64[:, 0] / f64[:, 1], tf.float32),
            }

        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.float32, name="x"),
                tf.TensorSpec([None], tf.int64, name="big"),
            ]
        )
        def probe(self, x, big):  # type: ignore[no-untyped-def]
            # "sum" ties the two inputs together, so unequal batch sizes fail.
            return {
                "x_echo": tf.identity(x),
                "x_inverse": 1.0 / x,
                "big_next": big + 1,
                "sum": x + tf.cast(big, tf.float32),
            }

    module = MultiIO()
    tf.saved_model.save(
        module, str(path), signatures={"serving_default": module.serve, "probe": module.probe}
    )


def _request(
    signature: str, inputs: dict[str, tuple[np.ndarray, int]], content: bool = False
) -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = NAME
    req.model_spec.signature_name = signature
    for name, (arr, dtype) in inputs.items():
        req.inputs[name].CopyFrom(tensor_codec.from_ndarray(arr, dtype, content=content))
    return req


def _default_inputs(rows: int) -> dict[str, tuple[np.ndarray, int]]:
    rng = np.random.default_rng(7)
    f64 = rng.normal(size=(rows, 3))
    f64[0, :2] = (0.0, 0.0)  # 0/0 -> NaN in ratio
    if rows > 2:
        f64[1, :2] = (1.0, 0.0)  # +Inf
        f64[2, :2] = (-1.0, 0.0)  # -Inf
    return {
        "f64": (f64, types_pb2.DT_DOUBLE),
        "i32": (
            rng.integers(-(2**31), 2**31 - 1, size=(rows, 2), dtype=np.int32),
            types_pb2.DT_INT32,
        ),
        "i64": (np.array([2**62 + i for i in range(rows)], np.int64), types_pb2.DT_INT64),
        "flag": (np.array([i % 2 == 0 for i in range(rows)]), types_pb2.DT_BOOL),
        "u8": (rng.integers(0, 256, size=(rows, 2, 2), dtype=np.uint8), types_pb2.DT_UINT8),
        "f16": (rng.normal(size=(rows, 2)).astype(np.float16), types_pb2.DT_HALF),
        "scale": (np.array(1.5, np.float32), types_pb2.DT_FLOAT),
    }


def cases(book: CaseBook) -> None:
    half_rest = "float16 inputs have no REST form: TF Serving answers UNIMPLEMENTED (501)"
    book.ok(
        "all-dtypes",
        f"every input dtype, typed fields; {half_rest}",
        "predict",
        _request("serving_default", _default_inputs(4)),
    )
    book.ok(
        "all-dtypes-content",
        "the same inputs as tensor_content",
        "predict",
        _request("serving_default", _default_inputs(4), content=True),
    )
    book.ok(
        "single-row", "batch of one", "predict", _request("serving_default", _default_inputs(1))
    )
    probe: dict[str, tuple[np.ndarray, int]] = {
        "x": (PROBES, types_pb2.DT_FLOAT),
        "big": (
            np.array([2**53 + 1, 2**62, -(2**63), 0, 9007199254740993, 2**63 - 2], np.int64),
            types_pb2.DT_INT64,
        ),
    }
    book.ok(
        "probe-columnar",
        "float32 probes, x=0 -> +-Inf, int64 above 2^53",
        "predict",
        _request("probe", probe),
    )
    book.ok(
        "probe-row",
        "the probes in REST row format",
        "predict",
        _request("probe", probe),
        rest_format="row",
    )
    top: dict[str, tuple[np.ndarray, int]] = {
        "x": (np.array([np.finfo(np.float32).max, 1.0], np.float32), types_pb2.DT_FLOAT),
        "big": (np.array([1, 2], np.int64), types_pb2.DT_INT64),
    }
    book.ok(
        "float32-max",
        "float32's largest value: served over gRPC and in-process; over REST, RapidJSON reads "
        "its shortest text 3.4028234663852886e+38 one ULP high and json_tensor.cc refuses it",
        "predict",
        _request("probe", top),
        transport_errors={"rest": "INVALID_ARGUMENT"},
    )
    # Tensor::FromProto keeps the first values of a typed list longer than the shape and
    # pads a shorter one with its last value: TF Serving serves both, [1.5, 2.5] and [7, 7].
    uneven = _request(
        "probe",
        {
            "x": (np.array([1.5, 2.5], np.float32), types_pb2.DT_FLOAT),
            "big": (np.array([7, 7], np.int64), types_pb2.DT_INT64),
        },
    )
    uneven.inputs["x"].float_val.extend([3.5, 4.5])
    del uneven.inputs["big"].int64_val[1:]
    book.ok(
        "uneven-typed-lists",
        "a float_val longer than the shape (the first values count) and an int64_val shorter "
        "(padded with its last value), as Tensor::FromProto reads them",
        "predict",
        uneven,
    )
    nan: dict[str, tuple[np.ndarray, int]] = {
        "x": (np.array([np.nan, np.inf, -np.inf, 0.0], np.float32), types_pb2.DT_FLOAT),
        "big": (np.array([1, 2, 3, 4], np.int64), types_pb2.DT_INT64),
    }
    book.ok(
        "probe-nan-inf",
        "NaN and infinities as inputs and outputs",
        "predict",
        _request("probe", nan),
    )
    missing = _default_inputs(2)
    del missing["scale"]
    book.err(
        "missing-scalar",
        "the scalar input left out",
        "predict",
        _request("serving_default", missing),
        "INVALID_ARGUMENT",
        transports=("inproc", "grpc"),
    )
    wrong = _default_inputs(2)
    wrong["i32"] = (wrong["i32"][0].astype(np.int64), types_pb2.DT_INT64)
    book.err(
        "wrong-dtype-int64-for-int32",
        "int64 sent to the int32 input",
        "predict",
        _request("serving_default", wrong),
        "INVALID_ARGUMENT",
        transports=("inproc", "grpc"),
    )
    book.err(
        "mismatched-batch",
        "inputs with different batch sizes",
        "predict",
        _request("probe", {**probe, "big": (np.array([1, 2], np.int64), types_pb2.DT_INT64)}),
        "INVALID_ARGUMENT",
    )
    book.ok("metadata", "both signatures", "metadata", metadata_request(NAME, 1))
