"""The Python client's REST request bodies: what cannot be written is a canonical error,
as in the Go, Java and C++ clients, never a crash or a silently shortened batch."""

from __future__ import annotations

import numpy as np
import pytest
from tensorflow_serving.apis import predict_pb2

from tfinterop.client.transports import rest_json
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError


def _request(**arrays: np.ndarray) -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    for name, arr in arrays.items():
        req.inputs[name].CopyFrom(tensor_codec.from_ndarray(arr))
    return req


def test_complex_inputs_are_unimplemented_over_rest() -> None:
    req = _request(z=np.array([1 + 2j], np.complex64))
    with pytest.raises(ServingError) as e:
        rest_json.predict_body(req, "columnar")
    assert e.value.code == Code.UNIMPLEMENTED


def test_row_format_refuses_inputs_of_different_batch_sizes() -> None:
    req = _request(a=np.zeros((2, 3), np.float32), b=np.zeros((3,), np.int32))
    with pytest.raises(ServingError) as e:
        rest_json.predict_body(req, "row")
    assert e.value.code == Code.INVALID_ARGUMENT
    assert "batch size" in e.value.message


def test_row_format_writes_one_instance_per_row() -> None:
    req = _request(a=np.zeros((2, 3), np.float32), b=np.arange(2, dtype=np.int32))
    body = rest_json.predict_body(req, "row")
    assert body.count(b'"a"') == 2 and body.startswith(b'{"instances"')
