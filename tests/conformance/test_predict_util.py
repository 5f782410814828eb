"""tensorflow_serving/servables/tensorflow/predict_util_test.cc, black-box over gRPC.

The C++ test runs RunPredict on TensorFlow's half_plus_two (served here as
`half_plus_two`, version 123) and on saved_model_counter. Not portable:
MissingOrEmptyModelSpec's "model name is wrong" (CallPredict looks the test model up
whatever the request names), ModelMissingSignatures (skipped in the open-source
build), ThreadPoolOptions' thread-pool counts (server internals).
"""

from __future__ import annotations

import grpc
import pytest
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2

from tests.conformance.conftest import Target
from tests.conformance.servers import RPC_TIMEOUT, prediction_stub, strict_server

FILE = "tensorflow_serving/servables/tensorflow/predict_util_test.cc"
MODEL = "half_plus_two"
VERSION = 123


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


@pytest.fixture(scope="module")
def stub(target: Target):  # type: ignore[no-untyped-def]
    return prediction_stub(target.grpc)


def _request(signature: str = "", model: str = MODEL) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.version.value = VERSION
    if signature:
        request.model_spec.signature_name = signature
    return request


def _float(value: float) -> tensor_pb2.TensorProto:
    """A scalar float tensor, as the C++ test writes it (float_val, no shape)."""
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    t.float_val.append(value)
    return t


def _expected(request: predict_pb2.PredictRequest, alias: str, value: float, signature: str):  # type: ignore[no-untyped-def]
    expected = predict_pb2.PredictResponse()
    expected.model_spec.CopyFrom(request.model_spec)
    expected.model_spec.signature_name = signature
    out = expected.outputs[alias]
    out.dtype = types_pb2.DT_FLOAT
    out.tensor_shape.SetInParent()
    out.float_val.append(value)
    return expected


def _error(stub, request) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as e:
        stub.Predict(request, RPC_TIMEOUT)
    return e.value


@tfserving("MissingOrEmptyModelSpec")
def test_empty_request_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    assert _error(stub, predict_pb2.PredictRequest()).code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MissingOrEmptyModelSpec")
def test_model_spec_without_name_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = predict_pb2.PredictRequest()
    request.model_spec.SetInParent()
    assert _error(stub, request).code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("EmptyInputList")
def test_empty_input_list_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    assert _error(stub, _request()).code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("InputTensorsDontMatchModelSpecInputs")
def test_unknown_inputs_name_extra_and_missing(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    extra = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    extra.string_val.append(b"any_value")
    extra.tensor_shape.dim.add(size=1)
    request.inputs["unknown_key1"].CopyFrom(extra)
    other = _float(1.0)
    other.tensor_shape.dim.add(size=1)
    request.inputs["unknown_key2"].CopyFrom(other)
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Sent extra: {unknown_key1,unknown_key2}" in error.details()
    assert "Missing but required: {x}" in error.details()


@tfserving("PredictionInvalidTensor")
def test_bool_for_float_input_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_BOOL)
    t.bool_val.append(True)
    request.inputs["x"].CopyFrom(t)
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Expects arg[0] to be float but bool is provided" in error.details()


@tfserving("OutputFiltersDontMatchModelSpecOutputs")
def test_unknown_output_filter_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    request.inputs["x"].CopyFrom(_float(2.0))
    request.output_filter.append("output_filter")
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "output tensor alias not found in signature: output_filter" in error.details()


@tfserving("OutputFiltersDontMatchModelSpecOutputs")
def test_known_output_filter_succeeds(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    request.inputs["x"].CopyFrom(_float(2.0))
    request.output_filter.append("y")
    assert list(stub.Predict(request, RPC_TIMEOUT).outputs) == ["y"]


@tfserving("OutputFiltersDontMatchModelSpecOutputs")
def test_duplicate_output_filter_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    request.inputs["x"].CopyFrom(_float(2.0))
    request.output_filter.extend(["y", "y"])
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "duplicate output tensor alias: y" in error.details()


@tfserving("InputTensorsHaveWrongType")
def test_string_for_float_input_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    t.string_val.append(b"any_value")
    t.tensor_shape.dim.add(size=1)
    request.inputs["x"].CopyFrom(t)
    request.output_filter.append("y")
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "to be float but string is provided" in error.details()


@tfserving("PredictionSuccess")
def test_prediction_success_response(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    request.inputs["x"].CopyFrom(_float(2.0))
    response = stub.Predict(request, RPC_TIMEOUT)
    assert response == _expected(request, "y", 3.0, "serving_default")


@tfserving("ThreadPoolOptions")
def test_prediction_with_thread_pools_response(stub) -> None:  # type: ignore[no-untyped-def]
    # The thread-pool counts are server internals; the answer is what a client sees.
    request = _request()
    request.inputs["x"].CopyFrom(_float(2.0))
    assert stub.Predict(request, RPC_TIMEOUT) == _expected(request, "y", 3.0, "serving_default")


@tfserving("PredictionWithNamedRegressionSignature")
def test_predict_through_regression_signature(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request("regress_x2_to_y3")
    request.inputs["inputs"].CopyFrom(_float(2.0))
    response = stub.Predict(request, RPC_TIMEOUT)
    assert response == _expected(request, "outputs", 4.0, "regress_x2_to_y3")


@tfserving("PredictionWithNamedClassificationSignature")
def test_predict_through_classification_signature(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request("classify_x2_to_y3")
    request.inputs["inputs"].CopyFrom(_float(2.0))
    response = stub.Predict(request, RPC_TIMEOUT)
    assert response == _expected(request, "scores", 4.0, "classify_x2_to_y3")


@tfserving("PredictionWithCustomizedSignatures")
def test_counter_signatures_read_reference_variables(stub) -> None:  # type: ignore[no-untyped-def]
    """get, incr, reset, incr (with output_filter), incr_by(3) on a DT_FLOAT_REF variable."""

    def call(signature: str, delta: float | None = None, output_filter: bool = False) -> None:
        request = _request(signature, model="saved_model_counter")
        if delta is not None:
            request.inputs["delta"].CopyFrom(_float(delta))
        if output_filter:
            request.output_filter.append("output")
        return stub.Predict(request, RPC_TIMEOUT), request  # type: ignore[return-value]

    # The counter is server state: start from zero whatever ran before against this server.
    call("reset_counter")
    for signature, delta, output_filter, value in (
        ("get_counter", None, False, 0.0),
        ("incr_counter", None, False, 1.0),
        ("reset_counter", None, False, 0.0),
        ("incr_counter", None, True, 1.0),
        ("incr_counter_by", 3.0, False, 4.0),
    ):
        response, request = call(signature, delta, output_filter)  # type: ignore[misc]
        assert response == _expected(request, "output", value, signature), signature


@tfserving("MethodNameCheck")
@pytest.mark.parametrize("check", [False, True], ids=["check-off", "check-on"])
def test_predict_method_name_check(target: Target, check: bool) -> None:
    """With --enable_signature_method_name_check a signature whose method is not
    predict/classify/regress fails Predict; without it (the default) it serves."""
    stub = prediction_stub(strict_server().target if check else target.grpc)
    legit = _request()
    legit.inputs["x"].CopyFrom(_float(2.0))
    assert stub.Predict(legit, RPC_TIMEOUT).outputs["y"].float_val == [3.0]
    odd = predict_pb2.PredictRequest()
    odd.model_spec.name = "fake_classifier"
    odd.model_spec.signature_name = "unsupported_method"
    examples = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    examples.tensor_shape.dim.add(size=1)
    examples.string_val.append(b"")
    odd.inputs["inputs"].CopyFrom(examples)
    if check:
        assert _error(stub, odd).code() != grpc.StatusCode.OK
    else:
        assert set(stub.Predict(odd, RPC_TIMEOUT).outputs) == {"classes", "scores"}
