"""Predict and GetModelMetadata as TF Serving answers them, on a tf.saved_model.load version.

Rules from tensorflow_serving/servables/tensorflow/predict_util.cc (RunPredict,
PreProcessPrediction, PostProcessPredictionResult), with
--enable_signature_method_name_check=false (the default: any method name is
served), and get_model_metadata_impl.cc.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import any_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, model_pb2, predict_pb2

from tfinterop.golden import tensors
from tfinterop.golden.models import Models
from tfinterop.golden.savedmodel import Version
from tfinterop.serving.errors import failed_precondition, invalid_argument

DEFAULT_SIGNATURE = "serving_default"
SIGNATURE_DEF_FIELD = "signature_def"


def model_spec(spec: model_pb2.ModelSpec, name: str, signature: str | None, version: int) -> None:
    """util.cc MakeModelSpec: the request's name, the signature key, the served version."""
    spec.Clear()
    spec.name = name
    if signature is not None:
        spec.signature_name = signature or DEFAULT_SIGNATURE
    spec.version.value = version


def predict(models: Models, request: predict_pb2.PredictRequest) -> predict_pb2.PredictResponse:
    if not request.HasField("model_spec"):
        raise invalid_argument("Missing ModelSpec")
    version = models.get(request.model_spec)
    return run_predict(version, request)


def run_predict(
    version: Version, request: predict_pb2.PredictRequest
) -> predict_pb2.PredictResponse:
    key = request.model_spec.signature_name or DEFAULT_SIGNATURE
    sig = version.meta_graph.signature_def.get(key)
    if sig is None:
        raise failed_precondition(f'Serving signature key "{key}" not found.')
    inputs = _inputs(sig, request)
    aliases = _output_aliases(sig, list(request.output_filter))
    outputs = version.run(key, inputs)
    response = predict_pb2.PredictResponse()
    model_spec(response.model_spec, request.model_spec.name, key, version.version)
    for alias in aliases:
        response.outputs[alias].CopyFrom(tensors.encode(outputs[alias], alias))
    return response


def _inputs(
    sig: meta_graph_pb2.SignatureDef, request: predict_pb2.PredictRequest
) -> dict[str, Any]:
    """VerifyRequestInputsSize, then every alias known and every tensor parsed (INVALID_ARGUMENT).

    A signature with default inputs follows tensorflow/cc/saved_model/util.cc
    GetInputValues instead: absent aliases take their default, unknown ones fail.
    """
    sent = set(request.inputs)
    wanted = set(sig.inputs)
    if not sig.defaults and len(sent) != len(wanted):
        raise invalid_argument(
            f"input size does not match signature: {len(sent)}!={len(wanted)} "
            f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(wanted))}}}). "
            f"Sent extra: {{{','.join(sorted(sent - wanted))}}}. "
            f"Missing but required: {{{','.join(sorted(wanted - sent))}}}."
        )
    unknown = sorted(sent - wanted)
    if unknown:
        raise invalid_argument(
            f"input tensor alias not found in signature: {unknown[0]}. Inputs expected to be "
            f"in the set {{{','.join(sorted(wanted))}}}."
        )
    out: dict[str, Any] = {}
    for alias in sorted(wanted):
        if alias in request.inputs:
            out[alias] = tensors.decode(request.inputs[alias], alias)
        elif alias in sig.defaults:
            out[alias] = tensors.decode(sig.defaults[alias], alias)
        else:
            raise invalid_argument(
                f"Signature input alias: {alias} not found in request and no default value "
                "provided."
            )
    return out


def _output_aliases(sig: meta_graph_pb2.SignatureDef, output_filter: list[str]) -> list[str]:
    """predict_util.cc PreProcessPrediction: each filter alias must name an output, once;
    no filter fetches every output (a map, written here in sorted order)."""
    known = sorted(sig.outputs)
    for i, alias in enumerate(output_filter):
        if alias not in sig.outputs:
            raise invalid_argument(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{','.join(known)}}}."
            )
        if alias in output_filter[:i]:
            raise invalid_argument(f"duplicate output tensor alias: {alias}")
    return list(output_filter) or known


def metadata(
    models: Models, request: get_model_metadata_pb2.GetModelMetadataRequest
) -> get_model_metadata_pb2.GetModelMetadataResponse:
    """get_model_metadata_impl.cc: the fields are checked before the model is looked up."""
    if not request.HasField("model_spec"):
        raise invalid_argument("Missing ModelSpec")
    if not request.metadata_field:
        raise invalid_argument("GetModelMetadataRequest must specify at least one metadata_field")
    for field in request.metadata_field:
        if field != SIGNATURE_DEF_FIELD:
            raise invalid_argument(f"Metadata field {field} is not supported")
    version = models.get(request.model_spec)
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = version.name
    response.model_spec.version.value = version.version
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in version.meta_graph.signature_def.items():
        sig_map.signature_def[key].CopyFrom(sig)
    # PackFrom, serialized deterministically so two exports give the same bytes.
    response.metadata[SIGNATURE_DEF_FIELD].CopyFrom(
        any_pb2.Any(
            type_url="type.googleapis.com/" + sig_map.DESCRIPTOR.full_name,
            value=sig_map.SerializeToString(deterministic=True),
        )
    )
    return response
