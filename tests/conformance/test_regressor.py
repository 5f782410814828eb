"""tensorflow_serving/servables/tensorflow/regressor_test.cc, black-box over gRPC Regress.

The C++ test regresses through a FakeSession that copies each Example's "output"
feature, and through MockSessions returning malformed tensors; the `fake_regressor`
model is that fixture as a real graph, one signature per variant. Each test runs
with the method-name check off (the shared server, TF Serving's default) and on
(--enable_signature_method_name_check), as the C++ test is parameterized; each C++
test checks Regress and RunRegress, one API to a client. Not observable: the 42 ms
RunOptions timeout the fake asserts.
"""

from __future__ import annotations

import grpc
import pytest
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import regression_pb2

from tests.conformance import examples_api
from tests.conformance.conftest import Target
from tests.conformance.servers import RPC_TIMEOUT, prediction_stub, strict_server

FILE = "tensorflow_serving/servables/tensorflow/regressor_test.cc"
MODEL = "fake_regressor"


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


@pytest.fixture(params=[False, True], ids=["check-off", "check-on"])
def check(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def stub(target: Target, check: bool):  # type: ignore[no-untyped-def]
    return prediction_stub(strict_server().target if check else target.grpc)


def example_with_output(output: float) -> example_pb2.Example:
    e = example_pb2.Example()
    e.features.feature["output"].float_list.value.append(output)
    return e


API = examples_api.ExamplesApi(
    MODEL, regression_pb2.RegressionRequest, regression_pb2.RegressionResult, "Regress"
)
_request, _result, _error = API.request, API.result, API.error


TWO = [example_with_output(2.0), example_with_output(3.0)]


@tfserving("BasicExampleList")
def test_basic_example_list(stub) -> None:  # type: ignore[no-untyped-def]
    response = stub.Regress(_request(TWO), RPC_TIMEOUT)
    assert response.result == _result("regressions { value: 2.0 } regressions { value: 3.0 }")
    assert (response.model_spec.name, response.model_spec.signature_name) == (
        MODEL,
        "serving_default",
    )


@tfserving("BasicExampleListWithContext")
def test_basic_example_list_with_context(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request([])
    request.input.example_list_with_context.examples.add()
    request.input.example_list_with_context.examples.add()
    request.input.example_list_with_context.context.CopyFrom(example_with_output(3.0))
    assert stub.Regress(request, RPC_TIMEOUT).result == _result(
        "regressions { value: 3.0 } regressions { value: 3.0 }"
    )


@tfserving("ValidNamedSignature")
def test_valid_named_signature(stub) -> None:  # type: ignore[no-untyped-def]
    assert stub.Regress(_request(TWO, "output_plus_one"), RPC_TIMEOUT).result == _result(
        "regressions { value: 3.0 } regressions { value: 4.0 }"
    )


@tfserving("InvalidNamedSignature")
def test_classification_signature_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request(TWO, "invalid_classification_signature"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MalformedOutputs")
def test_rank_three_output_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request(TWO, "ImproperlySizedOutputSignature"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


test_empty_input, test_empty_example_list, test_empty_example_list_with_context = (
    API.empty_input_tests(tfserving, example_with_output(3))
)


@tfserving("RunsFails")
def test_failed_run_passes_its_message(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request([example_with_output(2.0)], "run_fails"))
    assert "Run totally failed" in error.details()


@tfserving("UnexpectedOutputTensorSize")
def test_output_of_another_batch_size(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request([example_with_output(2.0)], "wrong_batch"))
    assert "output batch size" in error.details()


@tfserving("UnexpectedOutputTensorType")
def test_string_output_is_named(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request([example_with_output(2.0)], "wrong_type"))
    assert "Expected output Tensor of DT_FLOAT" in error.details()


@tfserving("MissingRegressionSignature")
def test_empty_signature_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    e = example_pb2.Example()
    e.features.feature["class"].bytes_list.value.append(b"uno")
    error = _error(stub, _request([e], "empty"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MethodNameCheck")
def test_method_name_check(stub, check: bool) -> None:  # type: ignore[no-untyped-def]
    """regress always serves; not/supported/method and an empty method only without the check."""
    one = [example_with_output(2.0)]
    assert stub.Regress(_request(one), RPC_TIMEOUT).result.regressions[0].value == 2.0
    for signature in ("unsupported_method", "no_method"):
        if check:
            assert _error(stub, _request(one, signature)).code() == (
                grpc.StatusCode.INVALID_ARGUMENT
            )
        else:
            result = stub.Regress(_request(one, signature), RPC_TIMEOUT).result
            assert [r.value for r in result.regressions] == [2.0], signature
