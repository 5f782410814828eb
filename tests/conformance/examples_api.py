"""What classifier_test.cc and regressor_test.cc share, black-box over gRPC.

Both C++ tests build requests over a list of Examples, parse expected results from
text protos, and repeat EmptyInput, EmptyExampleList and EmptyExampleListWithContext
for their API. `ExamplesApi` holds that once for Classify or Regress; pytest resolves
the `stub` fixture in the module that collects the tests `empty_input_tests` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import text_format
from tensorflow.core.example import example_pb2

from tests.conformance.servers import RPC_TIMEOUT


@dataclass(frozen=True)
class ExamplesApi:
    model: str
    request_type: Any  # ClassificationRequest / RegressionRequest
    result_type: Any  # ClassificationResult / RegressionResult
    rpc: str  # the PredictionService method: "Classify" / "Regress"

    def request(self, examples: list[example_pb2.Example], signature: str = "") -> Any:
        req = self.request_type()
        req.model_spec.name = self.model
        req.model_spec.signature_name = signature
        req.input.example_list.examples.extend(examples)
        return req

    def result(self, text: str) -> Any:
        return text_format.Parse(text, self.result_type())

    def error(self, stub: Any, request: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as e:
            getattr(stub, self.rpc)(request, RPC_TIMEOUT)
        return e.value

    def empty_input_tests(
        self, tfserving: Callable[[str], pytest.MarkDecorator], context: example_pb2.Example
    ) -> tuple[Callable[[Any], None], ...]:
        def refused(stub: Any, req: Any) -> None:
            e = self.error(stub, req)
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "Input is empty" in e.details()

        @tfserving("EmptyInput")
        def test_empty_input(stub: Any) -> None:
            req = self.request([])
            req.input.SetInParent()
            refused(stub, req)

        @tfserving("EmptyExampleList")
        def test_empty_example_list(stub: Any) -> None:
            req = self.request([])
            req.input.example_list.SetInParent()
            refused(stub, req)

        @tfserving("EmptyExampleListWithContext")
        def test_empty_example_list_with_context(stub: Any) -> None:
            req = self.request([])
            req.input.example_list_with_context.context.CopyFrom(context)
            refused(stub, req)

        return test_empty_input, test_empty_example_list, test_empty_example_list_with_context
