"""`seed_pyfunc`: the seed article's other pitfall, a signature that calls tf.py_function.

Exported as the article's readers would, a tf.Module with tf.saved_model.save,
whose serving function runs one step in Python (numpy) between TensorFlow ops.
The SavedModel keeps only an EagerPyFunc node naming the Python function by a
token ("pyfunc_0"); the function lives in the exporting process. So:

- the golden is what that process computes (the notebook's answer: export
  keeps the module alive while the cases are recorded);
- Python in any other process loads the model and fails at the first run with
  INVALID_ARGUMENT "Could not find callback with key=pyfunc_0 in the registry";
- every runtime without Python (TF Serving, the C API of Go and C++, TF Java)
  has the op but no kernel for it: INVALID_ARGUMENT "No OpKernel was registered
  to support Op 'EagerPyFunc'" at the first run (measured with the wheel's C
  API; a TF1 graph with PyFunc in its main graph fails at load instead).

The failures are stated per client in judge/expected_failures/<client>.txt;
`tfinterop doctor` explains them and what to write instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tensorflow_serving.apis import predict_pb2

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.serving import tensor_codec

NAME = "seed_pyfunc"


def export(path: Path, workdir: Path) -> Any:
    """Write the SavedModel; returns the module, which must outlive the recording of the
    cases (the Python function is reachable only through it)."""
    import tensorflow as tf

    def calibrate(scores: Any) -> Any:
        # The kind of step readers leave in Python: a numpy transform of the scores.
        values = scores.numpy()
        return np.clip(np.round(values * 4.0) / 4.0, -1.0, 1.0).astype(np.float32)

    class Scorer(tf.Module):  # type: ignore[misc]
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="features")])  # type: ignore[untyped-decorator]
        def serve(self, features: tf.Tensor) -> dict[str, tf.Tensor]:
            raw = tf.tanh(tf.reduce_sum(features, axis=1))
            calibrated = tf.py_function(calibrate, [raw], tf.float32)
            calibrated.set_shape(raw.shape)
            return {"score": calibrated, "raw": raw}

    module = Scorer()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return module


def _request(values: np.ndarray, name: str = "features") -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = NAME
    req.inputs[name].CopyFrom(tensor_codec.from_ndarray(values))
    return req


def cases(book: CaseBook) -> None:
    book.ok(
        "predict",
        "serving_default with its tf.py_function step, a batch of three (the exporting "
        "process's answer)",
        "predict",
        _request(np.array([[0.1, 0.2, 0.3], [-1.0, 0.0, 0.5], [2.0, 2.0, 2.0]], np.float32)),
    )
    book.ok(
        "predict-one",
        "one example",
        "predict",
        _request(np.array([[0.05, -0.3, 0.0]], np.float32)),
        rest_format="row",
    )
    book.ok(
        "metadata", "its signature: metadata needs no Python", "metadata", metadata_request(NAME, 1)
    )
    book.err(
        "predict-wrong-input-name",
        "an input the signature lacks: refused before anything runs, as for any model",
        "predict",
        _request(np.zeros((1, 3), np.float32), name="inputs"),
        "INVALID_ARGUMENT",
    )
