"""tensorflow_serving/servables/tensorflow/classifier_test.cc, black-box over gRPC Classify.

The C++ test classifies through a FakeSession that copies each Example's "class"
and "score" features, and through MockSessions returning malformed tensors; the
`fake_classifier` model (tests/conformance/models) is that fixture as a real graph,
one signature per variant. Each test runs with the method-name check off (the
shared server, TF Serving's default) and on (--enable_signature_method_name_check),
as the C++ test is parameterized. Each C++ test checks Classify and RunClassify, one
API to a client. Not observable: the 42 ms RunOptions timeout the fake asserts.
"""

from __future__ import annotations

import grpc
import pytest
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import classification_pb2

from tests.conformance import examples_api
from tests.conformance.conftest import Target
from tests.conformance.servers import RPC_TIMEOUT, prediction_stub, strict_server

FILE = "tensorflow_serving/servables/tensorflow/classifier_test.cc"
MODEL = "fake_classifier"


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


@pytest.fixture(params=[False, True], ids=["check-off", "check-on"])
def check(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def stub(target: Target, check: bool):  # type: ignore[no-untyped-def]
    return prediction_stub(strict_server().target if check else target.grpc)


def example(class_scores: list[tuple[str, float]]) -> example_pb2.Example:
    """The C++ test's example(): feature "class" the labels, "score" the scores."""
    e = example_pb2.Example()
    e.features.feature["class"].bytes_list.value.extend(c.encode() for c, _ in class_scores)
    e.features.feature["score"].float_list.value.extend(s for _, s in class_scores)
    return e


TWO = [example([("dos", 2), ("uno", 1)]), example([("cuatro", 4), ("tres", 3)])]


API = examples_api.ExamplesApi(
    MODEL,
    classification_pb2.ClassificationRequest,
    classification_pb2.ClassificationResult,
    "Classify",
)
_request, _result, _error = API.request, API.result, API.error


LISTED = _result(
    "classifications { classes { label: 'dos' score: 2 } classes { label: 'uno' score: 1 } }"
    "classifications { classes { label: 'cuatro' score: 4 } classes { label: 'tres' score: 3 } }"
)


@tfserving("ExampleList")
def test_example_list(stub) -> None:  # type: ignore[no-untyped-def]
    response = stub.Classify(_request(TWO), RPC_TIMEOUT)
    assert response.result == LISTED
    assert (response.model_spec.name, response.model_spec.signature_name) == (
        MODEL,
        "serving_default",
    )


@tfserving("ExampleListWithContext")
def test_example_list_with_context(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request([])
    request.input.example_list_with_context.context.CopyFrom(example([("dos", 2), ("uno", 1)]))
    request.input.example_list_with_context.examples.add()
    request.input.example_list_with_context.examples.add()
    pair = "classifications { classes { label: 'dos' score: 2 } classes { label: 'uno' score: 1 } }"
    assert stub.Classify(request, RPC_TIMEOUT).result == _result(pair + pair)


@tfserving("ExampleListWithContext_DuplicateFeatures")
def test_example_features_replace_context_features(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request([])
    ctx = request.input.example_list_with_context
    ctx.context.CopyFrom(example([("uno", 1), ("dos", 2)]))
    ctx.examples.add()
    ctx.examples.add().CopyFrom(example([("tres", 3), ("cuatro", 4)]))
    assert stub.Classify(request, RPC_TIMEOUT).result == _result(
        "classifications { classes { label: 'uno' score: 1 } classes { label: 'dos' score: 2 } }"
        "classifications { classes { label: 'tres' score: 3 } "
        "classes { label: 'cuatro' score: 4 } }"
    )


@tfserving("ClassesOnly")
def test_classes_only(stub) -> None:  # type: ignore[no-untyped-def]
    assert stub.Classify(_request(TWO, "classes_only"), RPC_TIMEOUT).result == _result(
        "classifications { classes { label: 'dos' } classes { label: 'uno' } }"
        "classifications { classes { label: 'cuatro' } classes { label: 'tres' } }"
    )


@tfserving("ScoresOnly")
def test_scores_only(stub) -> None:  # type: ignore[no-untyped-def]
    assert stub.Classify(_request(TWO, "scores_only"), RPC_TIMEOUT).result == _result(
        "classifications { classes { score: 2 } classes { score: 1 } }"
        "classifications { classes { score: 4 } classes { score: 3 } }"
    )


@tfserving("ZeroScoresArePresent")
def test_zero_scores_are_present(stub) -> None:  # type: ignore[no-untyped-def]
    request = _request([example([("minus", -1), ("zero", 0), ("one", 1)])], "scores_only")
    result = stub.Classify(request, RPC_TIMEOUT).result
    assert len(result.classifications) == 1
    scores = [c.score for c in result.classifications[0].classes]
    assert scores == pytest.approx([-1, 0, 1], abs=1e-7)


@tfserving("ValidNamedSignature")
def test_valid_named_signature(stub) -> None:  # type: ignore[no-untyped-def]
    assert stub.Classify(_request(TWO, "output_plus_one"), RPC_TIMEOUT).result == _result(
        "classifications { classes { label: 'dos' score: 3 } classes { label: 'uno' score: 2 } }"
        "classifications { classes { label: 'cuatro' score: 5 } "
        "classes { label: 'tres' score: 4 } }"
    )


@tfserving("InvalidNamedSignature")
def test_regression_signature_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request(TWO, "invalid_regression_signature"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MalformedScores")
def test_rank_three_scores_are_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request(TWO, "ImproperlySizedScoresSignature"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MissingClassificationSignature")
def test_empty_signature_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request([example([("dos", 2)])], "empty"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


test_empty_input, test_empty_example_list, test_empty_example_list_with_context = (
    API.empty_input_tests(tfserving, example([("dos", 2)]))
)


@tfserving("RunsFails")
def test_failed_run_passes_its_message(stub) -> None:  # type: ignore[no-untyped-def]
    error = _error(stub, _request([example([("dos", 2)])], "run_fails"))
    assert "Run totally failed" in error.details()


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        pytest.param(
            "classes_wrong_batch",
            "batch size",
            marks=tfserving("ClassesIncorrectTensorBatchSize"),
        ),
        pytest.param(
            "classes_wrong_type",
            "Expected classes Tensor of DT_STRING",
            marks=tfserving("ClassesIncorrectTensorType"),
        ),
        pytest.param(
            "scores_wrong_batch",
            "batch size",
            marks=tfserving("ScoresIncorrectTensorBatchSize"),
        ),
        pytest.param(
            "scores_wrong_type",
            "Expected scores Tensor of DT_FLOAT",
            marks=tfserving("ScoresIncorrectTensorType"),
        ),
        pytest.param(
            "mismatched_classes",
            "Tensors class and score should match in dim_size(1). Got 2 vs. 3",
            marks=tfserving("MismatchedNumberOfTensorClasses"),
        ),
    ],
)
def test_malformed_outputs_are_named(stub, signature: str, message: str) -> None:  # type: ignore[no-untyped-def]
    """What the C++ test's MockSession returns, from real signatures: the message says
    which output is wrong and how."""
    assert message in _error(stub, _request(TWO, signature)).details()


@tfserving("MethodNameCheck")
def test_method_name_check(stub, check: bool) -> None:  # type: ignore[no-untyped-def]
    """classify always serves; not/supported/method and an empty method only without the check."""
    one = [example([("dos", 2), ("uno", 1)])]
    assert len(stub.Classify(_request(one), RPC_TIMEOUT).result.classifications) == 1
    for signature in ("unsupported_method", "no_method"):
        if check:
            assert _error(stub, _request(one, signature)).code() == (
                grpc.StatusCode.INVALID_ARGUMENT
            )
        else:
            result = stub.Classify(_request(one, signature), RPC_TIMEOUT).result
            assert len(result.classifications) == 1, signature
