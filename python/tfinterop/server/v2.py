"""The Open Inference Protocol (v2) over the serving core: ModelInfer is a Predict.

A ModelInferRequest becomes the PredictRequest it means (model_spec from
model_name, model_version and the `signature_name` parameter; inputs decoded by
serving.v2; `outputs` as the output_filter) and runs through Core.predict, so the
servable, the validation and every error code are Predict's (docs/SERVER.md "v2").
The answer carries the outputs in the request's order (all of them sorted by name
when it names none) as raw_output_contents, as Triton answers: tritonclient's gRPC
InferResult reads nothing else (typed contents other than BYTES come back empty, the
failure kserve/modelmesh-serving#449 reports). The gRPC and REST front ends only
translate.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from tensorflow_serving.apis import get_model_status_pb2, model_pb2, predict_pb2
from tritonclient.grpc import service_pb2

from tfinterop.server.core import Core
from tfinterop.server.manager import State
from tfinterop.serving import signature, tensor_codec, v2
from tfinterop.serving.errors import ServingError, invalid_argument

SIGNATURE_PARAMETER = "signature_name"
PLATFORM = "tensorflow_savedmodel"  # what Triton's TensorFlow backend calls a SavedModel
SERVER_NAME = "tfinterop"
INT64_MAX = 2**63 - 1


def model_spec(name: str, version: str, signature_name: str = "") -> model_pb2.ModelSpec:
    """The ModelSpec a v2 model name and version string mean ("" = the policy's choice)."""
    spec = model_pb2.ModelSpec(name=name, signature_name=signature_name)
    if version:
        if not version.isascii() or not version.isdigit() or int(version) > INT64_MAX:
            raise invalid_argument(f"Failed to convert version: {version} to numeric.")
        spec.version.value = int(version)
    return spec


def _signature_name(parameters: Any) -> str:
    if SIGNATURE_PARAMETER not in parameters:
        return ""
    param = parameters[SIGNATURE_PARAMETER]
    if param.WhichOneof("parameter_choice") != "string_param":
        raise invalid_argument(f"parameter '{SIGNATURE_PARAMETER}' must be a string")
    return str(param.string_param)


def predict_request(request: service_pb2.ModelInferRequest) -> predict_pb2.PredictRequest:
    """The PredictRequest a ModelInferRequest means; INVALID_ARGUMENT when its tensors do
    not decode (raw contents for some inputs only, a size that does not fit the shape)."""
    out = predict_pb2.PredictRequest()
    out.model_spec.CopyFrom(
        model_spec(request.model_name, request.model_version, _signature_name(request.parameters))
    )
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise invalid_argument(
            f"{len(raw)} raw_input_contents for {len(request.inputs)} inputs: the protocol "
            "wants raw contents for every input or none"
        )
    for i, t in enumerate(request.inputs):
        if t.name in out.inputs:
            raise invalid_argument(f"input '{t.name}' appears twice")
        dtype = v2.tf_dtype(t.datatype, t.name)
        if raw:
            if t.contents.ListFields():
                raise invalid_argument(f"input '{t.name}' has both contents and raw contents")
            arr = v2.from_raw(t.datatype, list(t.shape), raw[i], t.name)
        else:
            arr = v2.from_contents(t.datatype, list(t.shape), t.contents, t.name)
        out.inputs[t.name].CopyFrom(tensor_codec.from_ndarray(arr, dtype, content=True))
    out.output_filter.extend(o.name for o in request.outputs)
    return out


class V2Api:
    """ModelInfer, health, readiness and metadata as the v2 protocol defines them."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def infer(
        self, request: service_pb2.ModelInferRequest, timeout_ms: int = 0
    ) -> service_pb2.ModelInferResponse:
        """ModelInfer through Core.predict; ServingError with Predict's code."""
        predict = predict_request(request)
        answer = self.core.predict(predict, timeout_ms)
        names = list(predict.output_filter) or sorted(answer.outputs)
        response = service_pb2.ModelInferResponse(
            model_name=request.model_name,
            model_version=str(answer.model_spec.version.value),
            id=request.id,
        )
        outputs = [
            (n, tensor_codec.to_ndarray(answer.outputs[n]), answer.outputs[n].dtype) for n in names
        ]
        v2.infer_outputs(response, outputs, raw=True)
        return response

    def live(self) -> bool:
        return True

    def ready(self) -> bool:
        """Every configured model has a version AVAILABLE (Triton: all models ready)."""
        return all(self.model_ready(entry.name, "") for entry in self.core.manager.entries())

    def model_ready(self, name: str, version: str) -> bool:
        try:
            self.core.manager.get(model_spec(name, version))
        except ServingError:
            return False
        return True

    def server_metadata(self) -> service_pb2.ServerMetadataResponse:
        try:
            version = metadata.version("tfinterop")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return service_pb2.ServerMetadataResponse(
            name=SERVER_NAME, version=version, extensions=["binary_tensor_data"]
        )

    def model_metadata(self, name: str, version: str) -> service_pb2.ModelMetadataResponse:
        """The serving_default signature's tensors of the version asked for (the latest by
        default), with the model's AVAILABLE versions; NOT_FOUND as Predict answers it."""
        servable = self.core.manager.get(model_spec(name, version))
        status = get_model_status_pb2.GetModelStatusRequest()
        status.model_spec.name = name
        versions = sorted(
            s.version
            for s in self.core.status(status).model_version_status
            if s.state == State.AVAILABLE
        )
        response = service_pb2.ModelMetadataResponse(
            name=name, versions=[str(v) for v in versions], platform=PLATFORM
        )
        sig = servable.meta_graph.signature_def.get(signature.DEFAULT_SIGNATURE)
        if sig is not None:
            for into, tensors in ((response.inputs, sig.inputs), (response.outputs, sig.outputs)):
                for alias in sorted(tensors):
                    into.add(name=alias, **_tensor_metadata(tensors[alias]))
        return response


def _tensor_metadata(info: Any) -> dict[str, Any]:
    """datatype and shape of a TensorInfo: -1 for a size the signature leaves open, [-1]
    for an unknown rank, the TensorFlow name for a dtype without a v2 datatype."""
    dtype = signature.base_dtype(info.dtype)
    datatype = v2.datatype_of(dtype) or tensor_codec.dtype_name(dtype)
    if info.tensor_shape.unknown_rank:
        return {"datatype": datatype, "shape": [-1]}
    return {"datatype": datatype, "shape": [int(d.size) for d in info.tensor_shape.dim]}
