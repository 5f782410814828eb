"""Golden cases for the MNIST classifier: test images per version, edges, and TF Serving's errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2

from tfinterop.golden import Reference
from tfinterop.golden.cases.book import CaseBook
from tfinterop.golden.cases.manifest import Case
from tfinterop.golden.savedmodel import read_meta_graph
from tfinterop.serving import tensor_codec


def io_keys(model_dir: Path) -> tuple[str, str]:
    """The serving_default input and output aliases, read from the SavedModel.

    Exporters name them differently (model.export: "image"/"output_0" from the
    Keras Input; tf.saved_model.save: "inputs"/"output_0"), so never assume.
    """
    sig = read_meta_graph(model_dir).signature_def["serving_default"]
    if len(sig.inputs) != 1 or len(sig.outputs) != 1:
        raise ValueError(f"{model_dir}: expected one input and one output in serving_default")
    return next(iter(sig.inputs)), next(iter(sig.outputs))


def _make_request(
    model: str,
    image: np.ndarray,
    *,
    version: int | None = None,
    label: str | None = None,
    signature: str = "serving_default",
    dtype: int = types_pb2.DT_FLOAT,
    key: str,
    content: bool = True,
) -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    if version is not None:
        req.model_spec.version.value = version
    if label is not None:
        req.model_spec.version_label = label
    req.model_spec.signature_name = signature
    req.inputs[key].CopyFrom(tensor_codec.from_ndarray(image, dtype, content=content))
    return req


def build(
    model: str,
    model_dir: Path,
    versions: list[int],
    labels: dict[str, int],
    x_test: np.ndarray,
    reference: Reference,
    runs: bool = True,
) -> list[Case]:
    """Every MNIST case; goldens and expected codes come from the golden `reference`."""
    input_key, output_key = io_keys(model_dir / str(versions[0]))
    argmax_outputs = (output_key,)

    def _request(model: str, image: np.ndarray, **kw) -> predict_pb2.PredictRequest:  # type: ignore[no-untyped-def]
        kw.setdefault("key", input_key)
        return _make_request(model, image, **kw)

    book = CaseBook(reference)

    def ok(case_id: str, description: str, req, api: str = "predict", **kw) -> None:  # type: ignore[no-untyped-def]
        argmax = argmax_outputs if api == "predict" else ()
        book.ok(case_id, description, api, req, argmax_outputs=argmax, **kw)

    def err(case_id: str, description: str, req, code: str, api: str = "predict", **kw) -> None:  # type: ignore[no-untyped-def]
        book.err(case_id, description, api, req, code, **kw)

    for v in versions:
        for i in range(10):
            # Single images as tensor_content (what tf.make_tensor_proto writes).
            ok(
                f"v{v}-test-{i:04d}",
                f"test image {i}, version {v}",
                _request(model, x_test[i : i + 1], version=v),
            )
        # The batch uses typed float_val, so clients must read both encodings.
        ok(
            f"v{v}-batch32",
            f"test images 10..41 as one batch, version {v}, float_val encoding",
            _request(model, x_test[10:42], version=v, content=False),
            rest_format="row",
        )

    zeros = np.zeros((1, 28, 28), np.float32)
    ones = np.ones((1, 28, 28), np.float32)
    ok("latest-zeros", "all-zeros image, no version (latest)", _request(model, zeros))
    ok(
        "latest-ones",
        "all-ones image, no version (latest)",
        _request(model, ones),
        rest_format="row",
    )
    ok(
        "default-signature",
        "empty signature_name means serving_default",
        _request(model, x_test[3:4], signature=""),
    )
    for label in sorted(labels):
        ok(
            f"label-{label}",
            f"by version label {label!r} (version {labels[label]})",
            _request(model, x_test[5:6], label=label),
        )
    meta = get_model_metadata_pb2.GetModelMetadataRequest()
    meta.model_spec.name = model
    meta.model_spec.version.value = versions[-1]
    meta.metadata_field.append("signature_def")
    ok("metadata", "GetModelMetadata signature_def of the latest version", meta, api="metadata")

    one = x_test[0:1]
    err(
        "unknown-model", "model name not in the config", _request("no_such_model", one), "NOT_FOUND"
    )
    err(
        "unknown-version", "version 99 is not served", _request(model, one, version=99), "NOT_FOUND"
    )
    err(
        "unknown-label",
        "version label not in the config",
        _request(model, one, label="no_such_label"),
        "INVALID_ARGUMENT",
    )
    err(
        "unknown-signature",
        "signature key not in the SavedModel",
        _request(model, one, signature="no_such_signature"),
        "FAILED_PRECONDITION",
    )
    err(
        "unknown-input-key",
        "input alias the signature does not have",
        _request(model, one, key="pixels"),
        "INVALID_ARGUMENT",
    )
    extra = _request(model, one)
    extra.inputs["extra"].CopyFrom(tensor_codec.from_ndarray(one))
    # REST reads only the signature's keys from "inputs" (json_tensor.cc), so an
    # extra key is silently dropped there: gRPC and in-process only.
    err(
        "extra-input",
        "an input beyond the signature's",
        extra,
        "INVALID_ARGUMENT",
        transports=("inproc", "grpc"),
    )
    missing = predict_pb2.PredictRequest()
    missing.model_spec.name = model
    missing.model_spec.signature_name = "serving_default"
    err("missing-input", "no inputs at all", missing, "INVALID_ARGUMENT")
    err(
        "wrong-dtype-string",
        "strings sent to a float input",
        _request(model, np.array([[[b"x"] * 28] * 28], dtype=object), dtype=types_pb2.DT_STRING),
        "INVALID_ARGUMENT",
    )
    # REST carries no dtype: JSON integers are valid floats, so this one is gRPC/in-process.
    err(
        "wrong-dtype-int32",
        "int32 sent to a float input",
        _request(model, (one * 255).astype(np.int32), dtype=types_pb2.DT_INT32),
        "INVALID_ARGUMENT",
        transports=("inproc", "grpc"),
    )
    if runs:
        # Kernel errors need a model that runs; on one that cannot (mnist_seed in a
        # session runtime) the shape error and the missing variable race.
        err(
            "wrong-shape",
            "image of 28x27 (756 values cannot reshape to 784)",
            _request(model, np.zeros((1, 28, 27), np.float32)),
            "INVALID_ARGUMENT",
        )
        err(
            "wrong-rank",
            "rank-2 input of 28 values",
            _request(model, np.zeros((1, 28), np.float32)),
            "INVALID_ARGUMENT",
        )
    err("empty-model-name", "ModelSpec without a name", _request("", one), "INVALID_ARGUMENT")
    bad_filter = _request(model, one)
    bad_filter.output_filter.append("no_such_output")
    # REST has no output_filter.
    err(
        "unknown-output-filter",
        "output_filter names an output the signature lacks",
        bad_filter,
        "INVALID_ARGUMENT",
        transports=("inproc", "grpc"),
    )
    bad_meta = get_model_metadata_pb2.GetModelMetadataRequest()
    bad_meta.model_spec.name = model
    bad_meta.metadata_field.append("no_such_field")
    # REST's metadata endpoint always asks for signature_def.
    err(
        "metadata-unknown-field",
        "GetModelMetadata for a field other than signature_def",
        bad_meta,
        "INVALID_ARGUMENT",
        api="metadata",
        transports=("inproc", "grpc"),
    )
    return book.cases


CaseBuilder = Callable[..., list[Case]]
