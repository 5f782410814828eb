"""Client-side v2 REST JSON: a ModelInferRequest to its JSON body, a JSON answer back to a
ModelInferResponse (docs/CONTRACT.md "v2 transports").

Requests: every input as {"name", "shape", "datatype", "data"} with `data` the flat
row-major list (floats as their exact double value, NaN and Infinity as bare tokens;
BOOL true/false; BYTES as UTF-8 strings; a BYTES value that is not UTF-8 has no JSON
form and is UNIMPLEMENTED); `parameters` and `outputs` as the request has them.
Answers: read strictly (a known datatype, an integer shape, exactly the shape's
element count, each value of the datatype's kind and range); anything else is
INTERNAL, as a response a gRPC client cannot parse is. The outputs are written back
as typed contents, or all raw when one is FP16 or BF16.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tritonclient.grpc import service_pb2

from tfinterop.serving import v2
from tfinterop.serving.errors import Code, ServingError


def _inputs(request: Any) -> list[tuple[str, str, list[int], np.ndarray]]:
    raw = list(request.raw_input_contents)
    out = []
    for i, t in enumerate(request.inputs):
        shape = list(t.shape)
        if raw:
            arr = v2.from_raw(t.datatype, shape, raw[i], t.name)
        else:
            arr = v2.from_contents(t.datatype, shape, t.contents, t.name)
        out.append((t.name, t.datatype, shape, arr))
    return out


def _value(v: Any, datatype: str, tensor: str) -> Any:
    if datatype == "BYTES":
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise ServingError(
                Code.UNIMPLEMENTED,
                f"input '{tensor}' holds bytes that are not UTF-8: v2 REST JSON has no form for "
                "them (Triton's binary data extension does; this client sends JSON only)",
            ) from None
    if datatype == "BOOL":
        return bool(v)
    if datatype in ("FP16", "BF16", "FP32", "FP64"):
        return float(v)  # exact: the server's cast gets the original bits back
    return int(v)


def _parameter(param: Any) -> Any:
    which = param.WhichOneof("parameter_choice")
    return getattr(param, which) if which else None


def request_body(request: Any) -> bytes:
    """The JSON body of a ModelInferRequest; ServingError when the request cannot be said."""
    body: dict[str, Any] = {}
    if request.id:
        body["id"] = request.id
    if request.parameters:
        body["parameters"] = {k: _parameter(p) for k, p in sorted(request.parameters.items())}
    try:
        inputs = _inputs(request)
    except ServingError as e:
        raise ServingError(Code.INVALID_ARGUMENT, f"the case's v2 request: {e.message}") from None
    body["inputs"] = [
        {
            "name": name,
            "shape": shape,
            "datatype": datatype,
            "data": [_value(v, datatype, name) for v in arr.reshape(-1)],
        }
        for name, datatype, shape, arr in inputs
    ]
    if request.outputs:
        body["outputs"] = [{"name": o.name} for o in request.outputs]
    return json.dumps(body, allow_nan=True).encode("utf-8")


def _bad(why: str) -> ServingError:
    return ServingError(Code.INTERNAL, f"v2 REST answer: {why}")


def _flat(data: Any, out: list[Any]) -> None:
    if isinstance(data, list):
        for x in data:
            _flat(x, out)
    else:
        out.append(data)


def _array(entry: Any) -> tuple[str, str, list[int], np.ndarray]:
    if not isinstance(entry, dict):
        raise _bad(f"an output is not an object: {entry!r}")
    name, datatype, shape = entry.get("name"), entry.get("datatype"), entry.get("shape")
    if not isinstance(name, str) or not isinstance(datatype, str) or datatype not in v2.TF_DTYPES:
        raise _bad(f"an output lacks a name or a known datatype: {entry!r}")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise _bad(f"output '{name}' has no shape of sizes: {shape!r}")
    flat: list[Any] = []
    _flat(entry.get("data"), flat)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if "data" not in entry or len(flat) != count:
        raise _bad(f"output '{name}' holds {len(flat)} values, its shape {shape} {count}")
    if datatype == "BYTES":
        if not all(isinstance(v, str) for v in flat):
            raise _bad(f"output '{name}' holds a BYTES value that is not a string")
        arr = np.empty(count, dtype=object)
        arr[:] = [v.encode("utf-8") for v in flat]
        return name, datatype, shape, arr.reshape(shape)
    if datatype == "BOOL":
        if not all(isinstance(v, bool) for v in flat):
            raise _bad(f"output '{name}' holds a BOOL value that is not true/false")
        return name, datatype, shape, np.array(flat, np.bool_).reshape(shape)
    numpy = v2.numpy_dtype(datatype)
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _bad(f"output '{name}' holds {v!r}, not a number")
        if numpy.kind in "iu" and not (
            isinstance(v, int) and np.iinfo(numpy).min <= v <= np.iinfo(numpy).max
        ):
            raise _bad(f"output '{name}' holds {v!r}, not a {datatype} value")
    if numpy.kind in "iu":
        return name, datatype, shape, np.array(flat, numpy).reshape(shape)
    with np.errstate(over="ignore"):
        values = np.array(flat, np.float64).astype(numpy)
    return name, datatype, shape, values.reshape(shape)


def response(body: bytes) -> service_pb2.ModelInferResponse:
    """A JSON answer as a ModelInferResponse; INTERNAL for anything the protocol never writes."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _bad(f"not JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("outputs"), list):
        raise _bad("not an object with an 'outputs' list")
    name, version = doc.get("model_name", ""), doc.get("model_version", "")
    if not isinstance(name, str) or not isinstance(version, str):
        raise _bad("model_name and model_version are not strings")
    out = service_pb2.ModelInferResponse(model_name=name, model_version=version)
    if isinstance(doc.get("id"), str):
        out.id = doc["id"]
    outputs = [_array(e) for e in doc["outputs"]]
    raw = v2.needs_raw(d for _, d, _, _ in outputs)
    for tensor_name, datatype, shape, arr in outputs:
        tensor = out.outputs.add(name=tensor_name, datatype=datatype, shape=shape)
        if raw:
            out.raw_output_contents.append(v2.raw_bytes(arr, datatype))
        else:
            v2.put_contents(arr, datatype, tensor.contents)
    return out
