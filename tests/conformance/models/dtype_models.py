"""Models for the REST/JSON conformance tests (json_tensor, http_rest_api_handler, _util).

TF Serving's codec tests feed TensorProtos and JSON straight into json_tensor.cc;
a black-box client only reaches that code through a served model. So:

- `json_dtypes` has one signature per dtype, `x` -> `y` = identity(x), named by
  TF's short dtype name (`float`, `uint16`, ...), and `to_<dtype>` signatures that
  cast a float/int32 input into the dtypes JSON cannot carry in (half, bfloat16,
  uint16, complex), so their *output* side is observable too.
- Multi-input identity signatures (`multi2`, `multi3`, `multi4`, `multi5`) echo the
  named tensors of the MultipleNamedTensor* tests; `bytes` echoes `x` as `y_bytes`.
- Signatures named after a MakeJsonFromTensors test (`FromJsonSingleTensor`, ...)
  ignore their float input `x` and answer that test's TensorProtos as constants,
  so the JSON written for exactly those tensors can be compared with the test's.
- Classify/regress signatures: `classify_echo` answers each serialized
  tf.Example, base64-encoded (web-safe) as its class label, so the Example the
  JSON became can be parsed back, `regress_ratings` the sum of feature `ratings`, and the constant
  `classify_cars` / `regress_three` / `regress_nonfinite` the results of the
  ClassifyRegressnResultTest tests.
- `saved_model_half_plus_two_2_versions`: the handler test's model (TensorFlow's
  half_plus_two, version 123 only, label `Version_Label`).
- `modelname` and `modelname!#$%&'()*+,/:;=?@[]` (one tiny model, version 99, labels
  `latest` and `latest!#$%&'()*+,/:;=?@[]`): the URL-decoding cases of
  http_rest_api_util_test.cc, served so that the decoded names can be observed.

TF Serving refuses a label on a version that is not yet available, so a start-up
config cannot carry them (without --allow_version_labels_for_unavailable_models):
like the handler test, `ensure_labels` adds LABELS by a config reload once the
models are up.

All are TF1 SavedModelBuilder graphs: deterministic and built in seconds.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfinterop.serving import model_config

DTYPES = "json_dtypes"
HALF_PLUS_TWO = "saved_model_half_plus_two_2_versions"
HALF_PLUS_TWO_VERSION = 123
HALF_PLUS_TWO_LABEL = "Version_Label"
RESERVED = "!#$%&'()*+,/:;=?@[]"  # http_rest_api_util_test.cc's reserved characters
PLAIN_NAME = "modelname"
RESERVED_NAME = PLAIN_NAME + RESERVED
RESERVED_LABEL = "latest" + RESERVED
RESERVED_VERSION = 99

LABELS = {
    HALF_PLUS_TWO: {HALF_PLUS_TWO_LABEL: HALF_PLUS_TWO_VERSION},
    PLAIN_NAME: {"latest": RESERVED_VERSION, RESERVED_LABEL: RESERVED_VERSION},
    RESERVED_NAME: {"latest": RESERVED_VERSION, RESERVED_LABEL: RESERVED_VERSION},
}

PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"

# Identity signatures: TF's short dtype name -> tf dtype attribute name.
IDENTITY_DTYPES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "bfloat16": "bfloat16",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "bool": "bool",
    "string": "string",
    "complex64": "complex64",
    "complex128": "complex128",
}
# Casting signatures for output dtypes JSON cannot carry in: name -> (input, output).
CAST_DTYPES = {
    "to_half": ("float32", "float16"),
    "to_bfloat16": ("float32", "bfloat16"),
    "to_uint16": ("int32", "uint16"),
    "to_complex64": ("float32", "complex64"),
    "to_complex128": ("float32", "complex128"),
}
MULTI = {
    "multi2": {"int_tensor": "int32", "str_tensor": "string"},
    "multi3": {"int_tensor": "int32", "str_tensor": "string", "bin_tensor": "string"},
    "multi4": {
        "int_tensor": "int32",
        "str_tensor": "string",
        "float_tensor": "float32",
        "dbl_tensor": "float64",
    },
    "multi5": {
        "int_tensor": "int32",
        "str_tensor": "string",
        "float_tensor": "float32",
        "double_scalar_tensor": "float64",
        "str_tensor_bytes": "string",
    },
}

_INT_2x3x2 = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]]
_STR_2x2 = [[b"foo", b"bar"], [b"baz", b"bat"]]
_BYTES_2x2 = [[b"hello", b"world"], [b"tf", b"serving"]]
# MakeJsonFromTensors tests: signature -> {output: (dtype, value or shape for zeros)}.
CONSTANTS: dict[str, dict[str, tuple[str, Any]]] = {
    "FromJsonSingleTensor": {"int_tensor": ("int32", _INT_2x3x2)},
    "FromJsonSingleScalarTensor": {"int_tensor": ("int32", [1, 2, 3, 4, 5])},
    "FromJsonSingleBytesTensor": {"str_tensor_bytes": ("string", _BYTES_2x2)},
    "FromJsonSingleFloatTensorSixDigitPrecision": {
        "float_tensor": ("float32", [[9000000, 999999, 0.5], [0.0003, 0.00003, 555557.5]])
    },
    "FromJsonSingleFloatTensorNonFinite": {
        "float_tensor": ("float32", [[float("nan"), float("inf")], [3, float("-inf")]])
    },
    "FromJsonSingleTensorErrors_complex64": {"tensor": ("complex64", [1.0, 2.0])},
    "FromJsonSingleTensorErrors_no_shape": {"tensor": ("int32", 1)},
    "FromJsonMultipleNamedTensors": {
        "int_tensor": ("int32", _INT_2x3x2),
        "str_tensor": ("string", _STR_2x2),
        "float_tensor": ("float32", [[1.0], [2.0]]),
        "double_scalar_tensor": ("float64", [8.0, 9.0]),
        "str_tensor_bytes": ("string", _BYTES_2x2),
    },
    "FromJsonMultipleNamedTensorsErrors": {
        "int_tensor": ("int32", [[1, 2, 3], [4, 5, 6]]),
        "str_tensor": ("string", [[b"foo", b"bar", b"baz"]]),
    },
    "FromJsonSingleZeroBatchTensor": {"int_tensor": ("int32", ("zeros", [0, 2]))},
    "FromJsonMultipleZeroBatchTensors": {
        "str_tensor": ("string", ("zeros", [0, 1, 2])),
        "float_tensor": ("float32", ("zeros", [0, 3, 4])),
    },
    "FromJsonMultipleZeroBatchTensorsErrors": {
        "int_tensor": ("int32", ("zeros", [0, 2])),
        "str_tensor": ("string", [[b"foo", b"bar"]]),
    },
}
# ClassifyRegressnResultTest: constant results, batch = len(rows).
CLASSES = [[b"car", b"bike", b"bus"], [b"car", b"bike", b"bus"]]
SCORES = [[0.2, 0.7, 0.1], [0.7, 0.1, 0.2]]
REGRESS_THREE = [0.2, 0.9, 1.0]
REGRESS_NONFINITE = [0.2, float("inf"), 1.0, float("-inf"), float("nan")]


def build(root: Path) -> list[model_config.ModelEntry]:
    """Write this generator's models under root; return their config entries."""
    entries = []
    with tempfile.TemporaryDirectory(prefix="dtype-models-") as tmp:
        work = Path(tmp)
        _fresh(root / DTYPES / "1", _write_dtypes)
        entries.append(model_config.ModelEntry(name=DTYPES, base_path=root / DTYPES))

        from tfinterop.models.zoo import half_plus_two

        folder = root / HALF_PLUS_TWO / f"{HALF_PLUS_TWO_VERSION:08d}"
        _fresh(folder, lambda p: half_plus_two.write_tf1(p, work, classify_x2_to_y3=True))
        entries.append(
            model_config.ModelEntry(
                name=HALF_PLUS_TWO,
                base_path=root / HALF_PLUS_TWO,
                policy="specific",
                specific=(HALF_PLUS_TWO_VERSION,),
            )
        )

    base = root / "reserved_names"
    _fresh(base / str(RESERVED_VERSION), _write_tiny)
    for name in (PLAIN_NAME, RESERVED_NAME):
        entries.append(model_config.ModelEntry(name=name, base_path=base))
    return entries


def ensure_labels(grpc_target: str, rest_url: str, config: Path) -> None:
    """Give LABELS to the served models: a reload of `config` plus the labels, unless the
    server already resolves them. Raises AssertionError if the server refuses."""
    import dataclasses

    import grpc
    import requests
    from google.protobuf import text_format
    from tensorflow_serving.apis import model_management_pb2, model_service_pb2_grpc
    from tensorflow_serving.config import model_server_config_pb2

    def resolved() -> bool:
        return all(
            requests.get(
                f"{rest_url}/v1/models/{_quote(name)}/labels/{_quote(label)}", timeout=10
            ).status_code
            == 200
            for name, labels in LABELS.items()
            for label in labels
        )

    if resolved():
        return
    entries = [
        dataclasses.replace(e, labels={**e.labels, **LABELS.get(e.name, {})})
        for e in model_config.parse_config(config)
    ]
    request = model_management_pb2.ReloadConfigRequest()
    request.config.CopyFrom(
        text_format.Parse(
            model_config.render_config(entries), model_server_config_pb2.ModelServerConfig()
        )
    )
    with grpc.insecure_channel(grpc_target) as channel:
        answer = model_service_pb2_grpc.ModelServiceStub(channel).HandleReloadConfigRequest(
            request, timeout=60
        )
    assert answer.status.error_code == 0, answer.status.error_message
    assert resolved(), "the reloaded config's labels do not resolve"


def _quote(text: str) -> str:
    import urllib.parse

    return urllib.parse.quote(text, safe="")


def _fresh(path: Path, write: Callable[[Path], None]) -> None:
    """SavedModelBuilder refuses an existing folder: clear it, then write."""
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)


def _save(path: Path, sess: Any, signatures: dict[str, Any]) -> None:
    import tensorflow as tf

    builder = tf.compat.v1.saved_model.Builder(str(path))
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=signatures)
    builder.save()


def _write_tiny(path: Path) -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, name="x")
        y = tf.identity(x, name="y")
        info = v1.saved_model.utils.build_tensor_info
        sig = v1.saved_model.signature_def_utils.build_signature_def(
            {"x": info(x)}, {"y": info(y)}, PREDICT
        )
        _save(path, sess, {"serving_default": sig})


def _write_dtypes(path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        info = v1.saved_model.utils.build_tensor_info
        build_sig = v1.saved_model.signature_def_utils.build_signature_def
        sigs: dict[str, Any] = {}

        def dt(name: str) -> Any:
            return tf.as_dtype(name)

        def identity_sig(key: str, inputs: dict[str, str], suffix: str = "") -> None:
            ins, outs = {}, {}
            for alias, dtype in inputs.items():
                ph = v1.placeholder(dt(dtype), name=f"{key}_{alias}")
                ins[alias] = info(ph)
                outs[alias + suffix] = info(tf.identity(ph, name=f"{key}_{alias}_out"))
            sigs[key] = build_sig(ins, outs, PREDICT)

        for key, dtype in IDENTITY_DTYPES.items():
            x = v1.placeholder(dt(dtype), name=f"{key}_x")
            sigs[key] = build_sig({"x": info(x)}, {"y": info(tf.identity(x))}, PREDICT)
        # json_tensor_test's SingleUnnamedTensorWithSignature names its signature so.
        x = v1.placeholder(tf.int32, name="predict_images_x")
        sigs["predict_images"] = build_sig({"x": info(x)}, {"y": info(tf.identity(x))}, PREDICT)
        for key, (src, dst) in CAST_DTYPES.items():
            x = v1.placeholder(dt(src), name=f"{key}_x")
            if dst.startswith("complex"):
                y = tf.complex(x, tf.zeros_like(x))
                y = tf.cast(y, dt(dst))
            else:
                y = tf.cast(x, dt(dst))
            sigs[key] = build_sig({"x": info(x)}, {"y": info(y)}, PREDICT)
        x = v1.placeholder(tf.string, name="bytes_x")
        sigs["bytes"] = build_sig({"x": info(x)}, {"y_bytes": info(tf.identity(x))}, PREDICT)
        for key, inputs in MULTI.items():
            identity_sig(key, inputs)

        for key, outputs in CONSTANTS.items():
            x = v1.placeholder(tf.float32, name=f"{key}_x")
            outs = {}
            for alias, (dtype, value) in outputs.items():
                if isinstance(value, tuple):  # ("zeros", shape)
                    t = tf.zeros(value[1], dtype=dt(dtype))
                else:
                    t = tf.constant(np.array(value), dtype=dt(dtype))
                outs[alias] = info(tf.identity(t, name=f"{key}_{alias}"))
            sigs[key] = build_sig({"x": info(x)}, outs, PREDICT)

        # Classify/regress: the input alias must be "inputs", serialized tf.Examples.
        examples = v1.placeholder(tf.string, shape=[None], name="tf_example")
        batch = tf.shape(examples)[:1]
        sigs["classify_echo"] = build_sig(
            {"inputs": info(examples)},
            {
                # Base64: a ClassificationResult label is proto text, the Example is binary.
                "classes": info(tf.reshape(tf.io.encode_base64(examples), [-1, 1])),
                "scores": info(tf.ones(tf.concat([batch, [1]], 0), tf.float32)),
            },
            CLASSIFY,
        )
        ratings = v1.parse_example(examples, {"ratings": v1.VarLenFeature(tf.float32)})
        sigs["regress_ratings"] = build_sig(
            {"inputs": info(examples)},
            {"outputs": info(tf.sparse.reduce_sum(ratings["ratings"], axis=1))},
            REGRESS,
        )
        sigs["classify_cars"] = build_sig(
            {"inputs": info(examples)},
            {
                "classes": info(tf.constant(CLASSES)),
                "scores": info(tf.constant(SCORES, tf.float32)),
            },
            CLASSIFY,
        )
        for key, values in (
            ("regress_three", REGRESS_THREE),
            ("regress_nonfinite", REGRESS_NONFINITE),
        ):
            sigs[key] = build_sig(
                {"inputs": info(examples)},
                {"outputs": info(tf.constant(values, tf.float32))},
                REGRESS,
            )
        _save(path, sess, sigs)
