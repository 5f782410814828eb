"""The v2 (Open Inference Protocol) form of a predict case, written from the same tensors.

A PredictRequest's meaning carries over whole: model_name and model_version from
the ModelSpec (a version label has no v2 form), the signature as the
`signature_name` string parameter, each input decoded as Tensor::FromProto reads it
(a padded typed list is sent padded) under its v2 datatype, the output_filter as
`outputs`. So TF Serving's answer to the PredictRequest is the v2 answer: the
same outputs (in the filter's order, else sorted by name) under the request's model
name and the served version, or the same canonical code. A case has no v2 form
when v2 cannot say it: a label, a tensor that does not parse, a dtype without a v2
datatype (complex, ...). REST JSON carries BYTES only as UTF-8 strings, so a case
whose strings are not UTF-8 leaves v2rest out (docs/CONTRACT.md "v2 transports").
"""

from __future__ import annotations

import numpy as np
from tensorflow_serving.apis import predict_pb2
from tritonclient.grpc import service_pb2

from tfinterop.golden import tensors
from tfinterop.golden.cases.manifest import V2_MODES, V2Case
from tfinterop.serving import tensor_codec, v2
from tfinterop.serving.errors import ServingError

SIGNATURE_PARAMETER = "signature_name"


def form(
    request: predict_pb2.PredictRequest,
    response: predict_pb2.PredictResponse | None,
    error: ServingError | None,
) -> tuple[V2Case, tuple[str, ...]] | None:
    """The v2 form of a predict case with TF Serving's answer (`response` or `error`), and
    the v2 modes that carry it; None when v2 cannot say the request."""
    spec = request.model_spec
    if spec.WhichOneof("version_choice") == "version_label":
        return None
    inputs: list[tuple[str, str, np.ndarray]] = []
    for alias in sorted(request.inputs):
        proto = request.inputs[alias]
        datatype = v2.datatype_of(proto.dtype)
        if datatype is None or proto.dtype > 100:
            return None
        try:
            arr = tensors.to_numpy(tensors.decode(proto, alias))
        except ServingError:
            return None  # v2 has no form for a tensor that does not parse
        inputs.append((alias, datatype, arr))
    v2_request = service_pb2.ModelInferRequest(model_name=spec.name)
    if spec.WhichOneof("version_choice") == "version":
        v2_request.model_version = str(spec.version.value)
    if spec.signature_name:
        v2_request.parameters[SIGNATURE_PARAMETER].string_param = spec.signature_name
    raw = v2.needs_raw(d for _, d, _ in inputs)
    for alias, datatype, arr in inputs:
        tensor = v2_request.inputs.add(name=alias, datatype=datatype, shape=list(arr.shape))
        if raw:
            v2_request.raw_input_contents.append(v2.raw_bytes(arr, datatype))
        else:
            v2.put_contents(arr, datatype, tensor.contents)
    v2_request.outputs.extend(
        service_pb2.ModelInferRequest.InferRequestedOutputTensor(name=n)
        for n in request.output_filter
    )
    strings = [arr for _, d, arr in inputs if d == "BYTES"]
    v2_response = None
    if response is not None:
        names = list(request.output_filter) or sorted(response.outputs)
        outputs = [
            (n, tensor_codec.to_ndarray(response.outputs[n]), response.outputs[n].dtype)
            for n in names
        ]
        if any(v2.datatype_of(dtype) is None for _, _, dtype in outputs):
            return None
        v2_response = service_pb2.ModelInferResponse(
            model_name=spec.name, model_version=str(response.model_spec.version.value)
        )
        v2.infer_outputs(v2_response, outputs, raw=raw)
        strings += [arr for _, arr, dtype in outputs if v2.datatype_of(dtype) == "BYTES"]
    # A REST URL names the model: an empty name has no REST form.
    rest = bool(spec.name) and all(_utf8(arr) for arr in strings)
    modes = V2_MODES if rest else ("v2grpc",)
    code = None if error is None else error.code.name
    return V2Case(v2_request, v2_response, code), modes


def _utf8(arr: np.ndarray) -> bool:
    try:
        for v in arr.reshape(-1):
            bytes(v).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
