"""tensorflow_serving/servables/tensorflow/multi_inference_test.cc, black-box over gRPC.

The C++ test is typed over the TF1 model (TensorFlow's half_plus_two, with the
method-name check on) and the TF2 one (saved_model_half_plus_two_tf2_cpu, every
signature method predict, check off); so is this port: TF1 against a server with
--enable_signature_method_name_check, TF2 against the shared server. Each C++ test
runs the inference runner and RunMultiInference, one API to a client. Not
observable: ThreadPoolOptions' thread-pool counts.
"""

from __future__ import annotations

import grpc
import pytest
from tensorflow_serving.apis import inference_pb2

from tests.conformance.conftest import Target
from tests.conformance.servers import RPC_TIMEOUT, prediction_stub, strict_server

FILE = "tensorflow_serving/servables/tensorflow/multi_inference_test.cc"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
PREDICT = "tensorflow/serving/predict"
VERSION = 123


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


@pytest.fixture(params=["tf1", "tf2"])
def served(request: pytest.FixtureRequest, target: Target):  # type: ignore[no-untyped-def]
    """(stub, model name) for the TF1 or the TF2 half_plus_two."""
    if request.param == "tf1":
        return prediction_stub(strict_server().target), "half_plus_two"
    return prediction_stub(target.grpc), "saved_model_half_plus_two_tf2_cpu"


def _request(model: str, tasks: list[tuple[str, str]], x: float | None = 2.0):  # type: ignore[no-untyped-def]
    request = inference_pb2.MultiInferenceRequest()
    for signature, method in tasks:
        task = request.tasks.add(method_name=method)
        task.model_spec.name = model
        task.model_spec.signature_name = signature
    if x is not None:
        example = request.input.example_list.examples.add()
        example.features.feature["x"].float_list.value.append(x)
    return request


def _error(stub, request) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as e:
        stub.MultiInference(request, RPC_TIMEOUT)
    return e.value


def _expected(request, values: list[tuple[str, float]]):  # type: ignore[no-untyped-def]
    """Each task's result: its model_spec with the served version, then the value."""
    expected = inference_pb2.MultiInferenceResponse()
    for task, (kind, value) in zip(request.tasks, values, strict=True):
        result = expected.results.add()
        result.model_spec.CopyFrom(task.model_spec)
        result.model_spec.version.value = VERSION
        if kind == "regress":
            result.regression_result.regressions.add().value = value
        else:
            result.classification_result.classifications.add().classes.add().score = value
    return expected


@tfserving("MissingInputTest")
def test_missing_input(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    error = _error(stub, _request(model, [("regress_x_to_y", REGRESS)], x=None))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Input is empty" in error.details()


@tfserving("UndefinedSignatureTest")
def test_undefined_signature(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    error = _error(stub, _request(model, [("ThisSignatureDoesNotExist", REGRESS)]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "signature not found" in error.details()


@tfserving("InconsistentModelSpecsInRequestTest")
def test_tasks_for_two_models(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS), ("regress_x_to_y", REGRESS)])
    request.tasks[1].model_spec.name = "ModelDoesNotExist"
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "must access the same model name" in error.details()


@tfserving("EvaluateDuplicateSignaturesTest")
def test_duplicate_signatures(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS), ("regress_x_to_y", REGRESS)])
    error = _error(stub, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Duplicate evaluation of signature: regress_x_to_y" in error.details()


@tfserving("UsupportedSignatureTypeTest")
def test_predict_task_is_unimplemented(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    error = _error(stub, _request(model, [("serving_default", PREDICT)]))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "Unsupported signature" in error.details()


@tfserving("ValidSingleSignatureTest")
def test_valid_single_signature(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS)])
    response = stub.MultiInference(request, RPC_TIMEOUT)
    assert response == _expected(request, [("regress", 3.0)])


@tfserving("MultipleValidRegressSignaturesTest")
def test_two_regressions(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS), ("regress_x_to_y2", REGRESS)])
    response = stub.MultiInference(request, RPC_TIMEOUT)
    assert response == _expected(request, [("regress", 3.0), ("regress", 4.0)])


@tfserving("RegressAndClassifySignaturesTest")
def test_regress_and_classify(served) -> None:  # type: ignore[no-untyped-def]
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS), ("classify_x_to_y", CLASSIFY)])
    response = stub.MultiInference(request, RPC_TIMEOUT)
    assert response == _expected(request, [("regress", 3.0), ("classify", 3.0)])


@tfserving("ThreadPoolOptions")
def test_single_signature_with_thread_pools(served) -> None:  # type: ignore[no-untyped-def]
    # The thread-pool counts are server internals; the answer is what a client sees.
    stub, model = served
    request = _request(model, [("regress_x_to_y", REGRESS)])
    assert stub.MultiInference(request, RPC_TIMEOUT) == _expected(request, [("regress", 3.0)])
