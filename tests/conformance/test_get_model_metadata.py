"""tensorflow_serving/servables/tensorflow/get_model_metadata_impl_test.cc, over gRPC.

The C++ test is parameterized over a legacy SessionBundle export (not portable:
no TensorFlow since 2.0 writes or loads one) and TensorFlow's half_plus_two
SavedModel, served here as `half_plus_two`, version 123.
"""

from __future__ import annotations

import grpc
import pytest
from tensorflow_serving.apis import get_model_metadata_pb2

from tests.conformance.conftest import Target
from tests.conformance.servers import RPC_TIMEOUT, models, prediction_stub
from tfinterop.serving.signature import read_meta_graph

FILE = "tensorflow_serving/servables/tensorflow/get_model_metadata_impl_test.cc"
MODEL = "half_plus_two"
VERSION = 123


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


@pytest.fixture(scope="module")
def stub(target: Target):  # type: ignore[no-untyped-def]
    return prediction_stub(target.grpc)


def _code(stub, request) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as e:
        stub.GetModelMetadata(request, RPC_TIMEOUT)
    return e.value.code()


@tfserving("EmptyOrInvalidMetadataFieldList")
def test_empty_metadata_field_list(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    assert _code(stub, request) == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("EmptyOrInvalidMetadataFieldList")
def test_unknown_metadata_field(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.metadata_field.append("some_stuff")
    assert _code(stub, request) == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MissingOrEmptyModelSpec")
def test_missing_model_spec(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.metadata_field.append("signature_def")
    assert _code(stub, request) == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MissingOrEmptyModelSpec")
def test_model_spec_without_name(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.metadata_field.append("signature_def")
    request.model_spec.SetInParent()
    assert _code(stub, request) == grpc.StatusCode.INVALID_ARGUMENT


@tfserving("MissingOrEmptyModelSpec")
def test_unknown_model_is_not_found(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.metadata_field.append("signature_def")
    request.model_spec.name = "test"
    assert _code(stub, request) == grpc.StatusCode.NOT_FOUND


@tfserving("ReturnsSignaturesForValidModel")
def test_returns_the_signatures_of_the_model(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = MODEL
    request.model_spec.version.value = VERSION
    request.metadata_field.append("signature_def")
    response = stub.GetModelMetadata(request, RPC_TIMEOUT)
    assert response.model_spec == request.model_spec
    assert len(response.metadata) == 1
    received = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(received)
    entry = models()[MODEL]
    on_disk = read_meta_graph(entry.version_path(VERSION)).signature_def
    assert len(received.signature_def) == len(on_disk)
    for key in ("regress_x_to_y", "serving_default"):
        assert received.signature_def[key] == on_disk[key], key
