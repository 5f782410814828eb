"""atheris target: arbitrary bytes as a PredictRequest through decoding and signature validation."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import atheris
from google.protobuf.message import DecodeError
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import predict_pb2

# Only the project's code is instrumented (instrumenting TensorFlow's imports took minutes).
with atheris.instrument_imports(include=["tfinterop"]):
    from tfinterop.serving import signature
    from tfinterop.serving.errors import ServingError

SIG = meta_graph_pb2.SignatureDef(method_name=signature.PREDICT_METHOD)
SIG.inputs["image"].dtype = types_pb2.DT_FLOAT
SIG.inputs["ids"].dtype = types_pb2.DT_INT64
SIG.outputs["y"].dtype = types_pb2.DT_FLOAT


def test_one_input(data: bytes) -> None:
    try:
        req = predict_pb2.PredictRequest.FromString(data)
    except DecodeError:
        return
    try:
        signature.predict_inputs(SIG, req.inputs)
        signature.output_aliases(SIG, list(req.output_filter))
    except ServingError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
