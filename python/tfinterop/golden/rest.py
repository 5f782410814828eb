"""What TF Serving's REST API receives and can answer, for a request a conforming client writes.

The REST transport changes some answers: the request is rebuilt from JSON with
the signature's dtypes (util/json_tensor.cc FillPredictRequestFromJson) and the
response must be written back as JSON (MakeJsonFromTensors). Rules, from
tensorflow_serving/util/json_tensor.cc and model_servers/http_rest_api_handler.cc:

- The model is looked up first (GetInfoMap), then the signature: an unknown one
  is INVALID_ARGUMENT ("Serving signature name ... not found in signature def"),
  where gRPC says FAILED_PRECONDITION.
- AddValueToTensor converts JSON only to float, double, int8/16/32, uint8,
  int64, uint32, uint64, bool and string inputs; any other signature dtype
  (half, bfloat16, uint16, complex, ...) is UNIMPLEMENTED ("Conversion of JSON
  Value ... to type ..."). A JSON value of the wrong kind, an integer out of
  range, or a number a float cannot hold without loss is INVALID_ARGUMENT.
- Columnar ("inputs"): each signature input is looked up by name (missing:
  INVALID_ARGUMENT; names the signature lacks are never read). Row
  ("instances"): one input is a plain list fed to the signature's only input
  (several signature inputs: INVALID_ARGUMENT), several are objects whose keys
  must be exactly the signature's inputs.
- The tensor's shape is the JSON nesting, so dimensions after a zero-sized one
  are lost, and a dtype the request carried is replaced by the signature's.
- AddSingleValueAndAdvance writes float, double, int8/16/32, uint8, int64,
  uint32, uint64, bool and string outputs; any other output with values is
  INVALID_ARGUMENT ("Failed to write JSON value for tensor type: ..."). Row
  answers need every output batched alike: a scalar, an empty batch or two
  batch sizes are INVALID_ARGUMENT.
- Classify/Regress bodies are parsed before the model is looked up: an empty
  "examples" list is INVALID_ARGUMENT whatever the model. A feature with no
  values comes back with no kind.
- GET .../metadata always asks for "signature_def"; REST has no output_filter
  and no MultiInference endpoint.

What a conforming client writes is docs/CONTRACT.md's REST section: floats as
JSON numbers with a decimal point, integers bare, strings as strings or b64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    model_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop.golden import tensors
from tfinterop.golden.models import Models
from tfinterop.golden.predict import DEFAULT_SIGNATURE, SIGNATURE_DEF_FIELD
from tfinterop.golden.savedmodel import GoldenError
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError, invalid_argument

# json_tensor.cc AddValueToTensor / AddSingleValueAndAdvance: the dtypes JSON carries.
JSON_DTYPES = frozenset(
    {
        types_pb2.DT_FLOAT,
        types_pb2.DT_DOUBLE,
        types_pb2.DT_INT32,
        types_pb2.DT_INT16,
        types_pb2.DT_INT8,
        types_pb2.DT_UINT8,
        types_pb2.DT_STRING,
        types_pb2.DT_INT64,
        types_pb2.DT_BOOL,
        types_pb2.DT_UINT32,
        types_pb2.DT_UINT64,
    }
)
_FLOATS = frozenset(
    {types_pb2.DT_HALF, types_pb2.DT_BFLOAT16, types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE}
)
_INTS = frozenset(
    {
        types_pb2.DT_INT8,
        types_pb2.DT_INT16,
        types_pb2.DT_INT32,
        types_pb2.DT_INT64,
        types_pb2.DT_UINT8,
        types_pb2.DT_UINT16,
        types_pb2.DT_UINT32,
        types_pb2.DT_UINT64,
    }
)
# rapidjson's IsInt / IsInt64 / IsUint / IsUint64 ranges, per target dtype.
_INT_RANGE = {
    types_pb2.DT_INT32: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT16: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_UINT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT64: (-(2**63), 2**63 - 1),
    types_pb2.DT_UINT32: (0, 2**32 - 1),
    types_pb2.DT_UINT64: (0, 2**64 - 1),
}
_NARROWED = frozenset({types_pb2.DT_INT8, types_pb2.DT_INT16, types_pb2.DT_UINT8})
# IsLosslessDecimal: the largest integer each float type holds (2^digits - 1).
_MAX_EXACT_INT = {types_pb2.DT_FLOAT: 2**24 - 1, types_pb2.DT_DOUBLE: 2**53 - 1}


def _model_spec_from_url(spec: model_pb2.ModelSpec) -> model_pb2.ModelSpec:
    """/v1/models/{name}[/versions/{v}|/labels/{l}]: what the URL carries of a ModelSpec."""
    if not spec.name:
        raise invalid_argument("Malformed request: the URL names no model")
    out = model_pb2.ModelSpec(name=spec.name)
    which = spec.WhichOneof("version_choice")
    if which == "version":
        out.version.value = spec.version.value
    elif which == "version_label":
        out.version_label = spec.version_label
    return out


def _json_kind(dtype: int, where: str) -> str:
    if dtype in _FLOATS:
        return "number-with-point"
    if dtype in _INTS:
        return "integer"
    if dtype == types_pb2.DT_BOOL:
        return "bool"
    if dtype == types_pb2.DT_STRING:
        return "string"
    raise GoldenError(
        f"{where}: a REST client cannot write {tensor_codec.dtype_name(dtype)} as JSON"
    )


def _json_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """GetDenseTensorShape: the nesting stops at the first empty list."""
    out = []
    for d in shape:
        out.append(d)
        if d == 0:
            break
    return tuple(out)


def _as_rapidjson_reads(doubles: np.ndarray) -> np.ndarray:
    """Each double as TF Serving holds it after RapidJSON parses its shortest text.

    Clients write floats in their shortest round-trip form; RapidJSON's default
    (not full-precision) parser can land one ULP off, e.g. float32's maximum,
    written 3.4028234663852886e+38, reads as 3.402823466385289e+38, which
    json_tensor.cc then refuses for a float input.
    """
    import rapidjson

    mode = rapidjson.NM_NATIVE
    # NaN and Infinity are bare tokens both ways: nothing to misread.
    return np.array(
        [
            rapidjson.loads(repr(d), number_mode=mode) if np.isfinite(d) else d
            for d in doubles.tolist()
        ],
        dtype=np.float64,
    )


def _convert(values: np.ndarray, sent: int, wanted: int, where: str) -> np.ndarray:
    """The values TF Serving stores for a `wanted` input from JSON written from `sent` values."""
    kind = _json_kind(sent, where)
    shape = _json_shape(values.shape)
    if values.size == 0:
        return np.zeros(shape, dtype=tensor_codec.dtype_info(wanted).numpy)
    if wanted not in JSON_DTYPES:
        raise ServingError(
            Code.UNIMPLEMENTED,
            f"Conversion of JSON Value to type: {tensor_codec.dtype_name(wanted)}",
        )
    wrong_kind = invalid_argument(
        f"{where}: JSON {kind} is not of expected type: {tensor_codec.dtype_name(wanted)}"
    )
    flat = values.reshape(-1)
    if wanted in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
        if kind == "integer":
            limit = _MAX_EXACT_INT[wanted]
            if any(abs(int(v)) > limit for v in flat):
                raise invalid_argument(
                    f"{where}: an integer a float input cannot hold without loss"
                )
            doubles = flat.astype(np.float64)
        elif kind == "number-with-point":
            doubles = _as_rapidjson_reads(flat.astype(np.float64))
            finite = doubles[np.isfinite(doubles)]
            top = float(np.finfo(tensor_codec.dtype_info(wanted).numpy).max)
            if finite.size and (finite.max() > top or finite.min() < -top):
                raise invalid_argument(f"{where}: a number the input cannot hold without loss")
        else:
            raise wrong_kind
        out = doubles.astype(tensor_codec.dtype_info(wanted).numpy)
    elif wanted in _INT_RANGE:
        if kind != "integer":
            raise wrong_kind
        low, high = _INT_RANGE[wanted]
        ints = [int(v) for v in flat]
        if any(not low <= v <= high for v in ints):
            raise wrong_kind
        # int_val holds int32, which Tensor::FromProto narrows to int8, int16 or uint8.
        field = np.int32 if wanted in _NARROWED else tensor_codec.dtype_info(wanted).numpy
        out = np.array(ints, dtype=field).astype(tensor_codec.dtype_info(wanted).numpy)
    elif wanted == types_pb2.DT_BOOL:
        if kind != "bool":
            raise wrong_kind
        out = flat.astype(np.bool_)
    else:  # DT_STRING
        if kind != "string":
            raise wrong_kind
        out = flat
    return out.reshape(shape)


def _signature_inputs(
    models: Models, spec: model_pb2.ModelSpec, name: str
) -> dict[str, meta_graph_pb2.TensorInfo]:
    """HttpRestApiHandler::GetInfoMap: the model first, then the signature's inputs."""
    version = models.get(spec)
    key = name or DEFAULT_SIGNATURE
    sig = version.meta_graph.signature_def.get(key)
    if sig is None:
        raise invalid_argument(f'Serving signature name: "{key}" not found in signature def')
    if not sig.inputs:
        raise invalid_argument(f"Failed to get input map for signature: {name or 'DEFAULT'}")
    return dict(sig.inputs)


def _one_code(errors: list[ServingError], case: str) -> None:
    """Raise the inputs' error; several codes mean TF Serving's map order decides: no golden."""
    if not errors:
        return
    codes = {e.code for e in errors}
    if len(codes) > 1:
        raise GoldenError(
            f"{case}: over REST the inputs fail with {sorted(c.name for c in codes)}, and which "
            "one TF Serving reports depends on its map order; leave rest out of the transports"
        )
    raise errors[0]


def predict_request(
    models: Models, request: predict_pb2.PredictRequest, rest_format: str, case: str
) -> predict_pb2.PredictRequest:
    """The PredictRequest TF Serving builds from the JSON body, or its ServingError."""
    if request.output_filter:
        # A REST client can only drop it, which changes the request.
        raise GoldenError(f"{case}: TF Serving's REST API has no output_filter; leave rest out")
    spec = _model_spec_from_url(request.model_spec)
    signature = request.model_spec.signature_name
    infos = _signature_inputs(models, spec, signature)
    try:
        sent = {a: tensors.decode(p, a) for a, p in request.inputs.items()}
    except ServingError as e:
        raise GoldenError(
            f"{case}: {e.message}; a REST client has no JSON for it, leave rest out"
        ) from None
    arrays = {a: (tensors.to_numpy(t), tensors.dtype_enum(t)) for a, t in sent.items()}
    out = predict_pb2.PredictRequest()
    out.model_spec.CopyFrom(spec)
    out.model_spec.signature_name = signature
    errors: list[ServingError] = []

    def put(name: str, values: np.ndarray, dtype: int) -> None:
        wanted = infos[name].dtype
        try:
            converted = _convert(values, dtype, wanted, f"{case}: input {name}")
        except ServingError as e:
            errors.append(e)
            return
        out.inputs[name].CopyFrom(tensor_codec.from_ndarray(converted, wanted))

    if rest_format == "row":
        batch = {a: v.shape[0] if v.ndim else None for a, (v, _) in arrays.items()}
        if not arrays or None in batch.values() or len(set(batch.values())) != 1:
            raise GoldenError(
                f"{case}: a row-format (instances) body needs every input batched alike; "
                "use rest_format columnar"
            )
        if next(iter(batch.values())) == 0:
            raise invalid_argument("No values in 'instances' array")
        if len(arrays) == 1:
            if len(infos) > 1:
                raise invalid_argument(
                    "instances is a plain list, but expecting list of objects as multiple input "
                    "tensors required as per tensorinfo_map"
                )
            (values, dtype), name = next(iter(arrays.values())), next(iter(infos))
            put(name, values, dtype)
        else:
            unknown = sorted(set(arrays) - set(infos))
            if unknown:
                raise invalid_argument(f"JSON object: does not have named input: {unknown[0]}")
            if set(arrays) != set(infos):
                raise invalid_argument(
                    f"instances keys must be equal to: {','.join(sorted(infos))}"
                )
            for name, (values, dtype) in arrays.items():
                put(name, values, dtype)
    else:
        for name in infos:
            if name not in arrays:
                errors.append(invalid_argument(f"Missing named input: {name} in 'inputs' object."))
            else:
                put(name, *arrays[name])
    _one_code(errors, case)
    return out


def check_predict_response(response: predict_pb2.PredictResponse, rest_format: str) -> None:
    """MakeJsonFromTensors: INVALID_ARGUMENT for what cannot be written as JSON."""
    if not response.outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    batch: int | None = None
    for name, proto in sorted(response.outputs.items()):
        dims = [d.size for d in proto.tensor_shape.dim]
        if rest_format == "row":
            if not dims:
                raise invalid_argument(f"Tensor name: {name} has no shape information")
            if dims[0] < 1:
                raise invalid_argument(f"Tensor name: {name} has invalid batch size: {dims[0]}")
            if batch is not None and dims[0] != batch:
                raise invalid_argument(f"Tensor name: {name} has inconsistent batch size")
            batch = dims[0]
        if proto.dtype not in JSON_DTYPES and int(np.prod(dims, dtype=np.int64)) > 0:
            raise invalid_argument(
                "Failed to write JSON value for tensor type: "
                f"{tensor_codec.dtype_name(proto.dtype)}"
            )


def metadata_request(
    request: get_model_metadata_pb2.GetModelMetadataRequest,
) -> get_model_metadata_pb2.GetModelMetadataRequest:
    """GET .../metadata: the URL's model spec, always the signature_def field."""
    out = get_model_metadata_pb2.GetModelMetadataRequest()
    out.model_spec.CopyFrom(_model_spec_from_url(request.model_spec))
    out.metadata_field.append(SIGNATURE_DEF_FIELD)
    return out


def _example_through_json(e: example_pb2.Example) -> example_pb2.Example:
    """MakeExampleFromJsonObject(what a client writes from `e`): empty lists lose their kind."""
    out = example_pb2.Example()
    for name, feature in e.features.feature.items():
        rebuilt = out.features.feature[name]
        kind = feature.WhichOneof("kind")
        if kind is not None and len(getattr(feature, kind).value):
            getattr(rebuilt, kind).value.extend(getattr(feature, kind).value)
    return out


def examples_request(request: Any) -> Any:
    """The Classification/RegressionRequest TF Serving builds from the JSON body."""
    out = type(request)()
    out.model_spec.CopyFrom(_model_spec_from_url(request.model_spec))
    out.model_spec.signature_name = request.model_spec.signature_name
    which = request.input.WhichOneof("kind")
    if which == "example_list_with_context":
        lc = request.input.example_list_with_context
        examples = list(lc.examples)
        target = out.input.example_list_with_context
        target.context.CopyFrom(_example_through_json(lc.context))
    else:
        examples = list(request.input.example_list.examples) if which else []
        target = out.input.example_list
    if not examples:
        raise invalid_argument("'examples' value is an empty array")
    for e in examples:
        target.examples.add().CopyFrom(_example_through_json(e))
    return out


EXAMPLE_REQUESTS = (classification_pb2.ClassificationRequest, regression_pb2.RegressionRequest)
