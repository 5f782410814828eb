"""The Predict and GetModelMetadata APIs over any Servable, as TF Serving implements them."""

from __future__ import annotations

from google.protobuf import any_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, model_pb2, predict_pb2

from tfinterop.serving import signature, tensor_codec
from tfinterop.serving.errors import invalid_argument
from tfinterop.serving.servable import Servable


def run_predict(
    servable: Servable,
    request: predict_pb2.PredictRequest,
    timeout_ms: int = 0,
    method_name_check: bool = False,
) -> predict_pb2.PredictResponse:
    """predict_util.cc RunPredict: select, validate, run, encode as typed fields.

    `method_name_check` is TF Serving's --enable_signature_method_name_check.
    """
    key, sig = signature.select(
        servable.meta_graph.signature_def, request.model_spec.signature_name
    )
    arrays = signature.predict_inputs(sig, request.inputs, method_name_check)
    aliases = signature.output_aliases(sig, list(request.output_filter))
    outputs = servable.run(key, arrays, aliases, timeout_ms)
    response = predict_pb2.PredictResponse()
    set_model_spec(response.model_spec, servable, key)
    for alias in aliases:
        # A fetched tensor carries its value dtype, never a *_REF one (Tensor::AsProtoField).
        dtype = signature.base_dtype(sig.outputs[alias].dtype)
        response.outputs[alias].CopyFrom(tensor_codec.from_ndarray(outputs[alias], dtype))
    return response


def set_model_spec(spec: model_pb2.ModelSpec, servable: Servable, signature_name: str) -> None:
    spec.name = servable.name
    spec.version.value = servable.version
    spec.signature_name = signature_name


def check_metadata_fields(request: get_model_metadata_pb2.GetModelMetadataRequest) -> None:
    """get_model_metadata_impl.cc ValidateGetModelMetadataRequest: only 'signature_def' exists.

    TF Serving checks the fields before it looks the model up.
    """
    if not request.metadata_field:
        raise invalid_argument("GetModelMetadataRequest must specify at least one metadata_field")
    for field in request.metadata_field:
        if field != "signature_def":
            raise invalid_argument(f"Metadata field {field} is not supported")


def model_metadata(
    servable: Servable, request: get_model_metadata_pb2.GetModelMetadataRequest
) -> get_model_metadata_pb2.GetModelMetadataResponse:
    """get_model_metadata_impl.cc: the SignatureDefMap of the servable."""
    check_metadata_fields(request)
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for k, v in servable.meta_graph.signature_def.items():
        sig_map.signature_def[k].CopyFrom(v)
    # Packed by hand to serialize deterministically (stable golden bytes).
    packed = any_pb2.Any(
        type_url="type.googleapis.com/" + sig_map.DESCRIPTOR.full_name,
        value=sig_map.SerializeToString(deterministic=True),
    )
    response.metadata["signature_def"].CopyFrom(packed)
    return response
