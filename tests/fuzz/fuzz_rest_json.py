"""atheris target: REST JSON bodies through the server's codec and request validation.

Any exception but ServingError (a clean canonical error) is a finding.
Run: python tests/fuzz/fuzz_rest_json.py tests/fuzz/corpus/rest_json -max_total_time=60
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import atheris
from tensorflow.core.framework import types_pb2

# Only the project's code is instrumented: instrumenting TensorFlow, Keras and their
# imports as well took minutes before the first input ran, for coverage nobody fuzzes.
with atheris.instrument_imports(include=["tfinterop"]):
    from tfinterop.server import json_tensor
    from tfinterop.serving.errors import ServingError

SIGNATURES = [
    {"image": types_pb2.DT_FLOAT},
    {"a": types_pb2.DT_INT64, "b": types_pb2.DT_STRING, "c": types_pb2.DT_BOOL},
    {"x": types_pb2.DT_DOUBLE, "y": types_pb2.DT_UINT8, "z": types_pb2.DT_HALF},
]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    dtypes = SIGNATURES[data[0] % len(SIGNATURES)]
    try:
        doc = json_tensor.parse(data[1:])
        json_tensor.signature_name(doc)
        arrays, fmt = json_tensor.predict_inputs(doc, dtypes)
        outputs = {k: (v, dtypes[k]) for k, v in arrays.items() if dtypes[k] != types_pb2.DT_HALF}
        if outputs and all(v.ndim for v, _ in outputs.values()):
            json_tensor.tensors_json(outputs, fmt)
    except ServingError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
