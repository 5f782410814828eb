"""The Open Inference Protocol's REST API (/v2/...) on the bundled server's REST port.

GET /v2/health/live, /v2/health/ready, /v2, /v2/models/NAME[/versions/N][/ready];
POST /v2/models/NAME[/versions/N]/infer. The infer body is JSON (tensors with
`datatype`, `shape` and flat or nested row-major `data`; BYTES as strings), turned
into a ModelInferRequest and answered by server.v2, so REST and gRPC share one path.
Triton's binary tensor data extension is served too (the Inference-Header-Content-Length
header; inputs with `binary_data_size`, outputs asked for with `binary_data`), which is
what tritonclient's HTTP client sends by default and the only REST form of BYTES that
are not UTF-8. Errors are {"error": "..."} with the HTTP status of the canonical code
(docs/SERVER.md has the table, after Triton's and KServe's).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tritonclient.grpc import service_pb2

from tfinterop.server.v2 import V2Api
from tfinterop.serving import v2
from tfinterop.serving.errors import HTTP_STATUS, Code, ServingError, invalid_argument

PATH_RE = re.compile(r"/v2(?:/.*)?", re.DOTALL)
MODEL_RE = re.compile(r"/v2/models/([^/]+)(?:/versions/([0-9]+))?(/ready|/infer)?")
HEADER_LENGTH = "Inference-Header-Content-Length"
JSON_TYPE = "application/json"
BINARY_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def owns(path: str) -> bool:
    """Whether a request path (query dropped) is this API's."""
    return PATH_RE.fullmatch(path) is not None


def _error(e: ServingError) -> Reply:
    return Reply(HTTP_STATUS.get(e.code, 500), json.dumps({"error": e.message}).encode())


def _json(doc: Any) -> Reply:
    return Reply(200, json.dumps(doc, separators=(",", ":")).encode())


class V2Rest:
    """Routes one /v2 request to the v2 API; never raises for a client's mistake."""

    def __init__(self, api: V2Api, timeout_ms: int) -> None:
        self.api = api
        self.timeout_ms = timeout_ms

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """`headers` with lower-cased names."""
        try:
            return self._route(method, path, headers, body)
        except ServingError as e:
            return _error(e)

    def _route(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path in ("/v2", "/v2/"):
            self._method(method, "GET", path)
            meta = self.api.server_metadata()
            return _json(
                {"name": meta.name, "version": meta.version, "extensions": list(meta.extensions)}
            )
        if path in ("/v2/health/live", "/v2/health/ready"):
            self._method(method, "GET", path)
            up = self.api.live() if path.endswith("live") else self.api.ready()
            return Reply(200 if up else 400)
        m = MODEL_RE.fullmatch(path)
        if m is None:
            raise ServingError(Code.NOT_FOUND, f"no v2 endpoint {method} {path}")
        name = urllib.parse.unquote_to_bytes(m.group(1)).decode("utf-8", errors="replace")
        version = m.group(2) or ""
        verb = m.group(3)
        if verb == "/infer":
            self._method(method, "POST", path)
            return self._infer(name, version, headers, body)
        self._method(method, "GET", path)
        if verb == "/ready":
            return Reply(200 if self.api.model_ready(name, version) else 400)
        meta = self.api.model_metadata(name, version)

        def tensors(items: Any) -> list[dict[str, Any]]:
            return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in items]

        return _json(
            {
                "name": meta.name,
                "versions": list(meta.versions),
                "platform": meta.platform,
                "inputs": tensors(meta.inputs),
                "outputs": tensors(meta.outputs),
            }
        )

    @staticmethod
    def _method(got: str, want: str, path: str) -> None:
        if got != want:
            raise ServingError(Code.UNIMPLEMENTED, f"{path} answers {want}, not {got}")

    def _infer(self, name: str, version: str, headers: Mapping[str, str], body: bytes) -> Reply:
        header, binary = _split_body(headers, body)
        doc = _parse(header)
        request, binary_outputs = infer_request(doc, binary, name, version)
        response = self.api.infer(request, self.timeout_ms)
        return response_reply(response, binary_outputs)


def _split_body(headers: Mapping[str, str], body: bytes) -> tuple[bytes, bytes]:
    length = headers.get(HEADER_LENGTH.lower())
    if length is None:
        return body, b""
    try:
        n = int(length)
    except ValueError:
        raise invalid_argument(f"{HEADER_LENGTH} {length!r} is not an integer") from None
    if not 0 <= n <= len(body):
        raise invalid_argument(f"{HEADER_LENGTH} {n} is beyond the {len(body)}-byte body")
    return body[:n], body[n:]


def _parse(text: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise invalid_argument(f"failed to parse the request JSON buffer: {e}") from None
    if not isinstance(doc, dict):
        raise invalid_argument("the request JSON is not an object")
    return doc


def _parameters(doc: Any, into: Any, where: str) -> None:
    """A JSON parameters object into an InferParameter map (bool, int64, double, string)."""
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise invalid_argument(f"{where} 'parameters' is not an object")
    for key, value in doc.items():
        param = into[key]
        if isinstance(value, bool):
            param.bool_param = value
        elif isinstance(value, int):
            param.int64_param = value
        elif isinstance(value, float):
            param.double_param = value
        elif isinstance(value, str):
            param.string_param = value
        else:
            raise invalid_argument(f"{where} parameter '{key}' is not a bool, number or string")


def infer_request(
    doc: dict[str, Any], binary: bytes, name: str, version: str
) -> tuple[service_pb2.ModelInferRequest, set[str]]:
    """The ModelInferRequest a JSON infer body means, and the outputs asked for as binary data.

    Every input is decoded first, then all are written as typed contents, or all raw
    when a datatype has none (FP16, BF16)."""
    request = service_pb2.ModelInferRequest(model_name=name, model_version=version)
    rid = doc.get("id", "")
    if not isinstance(rid, str):
        raise invalid_argument("'id' is not a string")
    request.id = rid
    _parameters(doc.get("parameters"), request.parameters, "request")
    inputs = doc.get("inputs")
    if not isinstance(inputs, list):
        raise invalid_argument("the request has no 'inputs' list")
    decoded: list[tuple[str, str, list[int], np.ndarray]] = []
    offset = 0
    for i, t in enumerate(inputs):
        tensor_name, datatype, shape = _tensor_head(t, i)
        params = t.get("parameters") or {}
        size = params.get("binary_data_size") if isinstance(params, dict) else None
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise invalid_argument(f"input '{tensor_name}': bad binary_data_size {size!r}")
            if offset + size > len(binary):
                raise invalid_argument(
                    f"input '{tensor_name}': binary_data_size {size} is beyond the body"
                )
            arr = v2.from_raw(datatype, shape, binary[offset : offset + size], tensor_name)
            offset += size
        else:
            if "data" not in t:
                raise invalid_argument(f"input '{tensor_name}' has neither 'data' nor binary data")
            arr = json_array(t["data"], datatype, shape, tensor_name)
        decoded.append((tensor_name, datatype, shape, arr))
    if offset != len(binary):
        raise invalid_argument(f"{len(binary) - offset} binary bytes no input claims")
    raw = v2.needs_raw(d for _, d, _, _ in decoded)
    for tensor_name, datatype, shape, arr in decoded:
        tensor = request.inputs.add(name=tensor_name, datatype=datatype, shape=shape)
        if raw:
            request.raw_input_contents.append(v2.raw_bytes(arr, datatype))
        else:
            v2.put_contents(arr, datatype, tensor.contents)
    binary_outputs: set[str] = set()
    default_binary = _flag(doc.get("parameters"), "binary_data_output")
    outputs = doc.get("outputs", [])
    if not isinstance(outputs, list):
        raise invalid_argument("'outputs' is not a list")
    for o in outputs:
        if not isinstance(o, dict) or not isinstance(o.get("name"), str):
            raise invalid_argument("an entry of 'outputs' has no string 'name'")
        request.outputs.add(name=o["name"])
        if _flag(o.get("parameters"), "binary_data", default_binary):
            binary_outputs.add(o["name"])
    if default_binary and not outputs:
        binary_outputs.add("*")
    return request, binary_outputs


def _flag(params: Any, key: str, default: bool = False) -> bool:
    value = params.get(key, default) if isinstance(params, dict) else default
    if not isinstance(value, bool):
        raise invalid_argument(f"parameter '{key}' is not a bool")
    return value


def _tensor_head(t: Any, i: int) -> tuple[str, str, list[int]]:
    if not isinstance(t, dict):
        raise invalid_argument(f"input #{i} is not an object")
    name, datatype, shape = t.get("name"), t.get("datatype"), t.get("shape")
    if not isinstance(name, str):
        raise invalid_argument(f"input #{i} has no string 'name'")
    if not isinstance(datatype, str):
        raise invalid_argument(f"input '{name}' has no string 'datatype'")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in shape
    ):
        raise invalid_argument(f"input '{name}' has no integer list 'shape'")
    v2.tf_dtype(datatype, name)
    return name, datatype, shape


def _flatten(data: Any, out: list[Any]) -> None:
    if isinstance(data, list):
        for x in data:
            _flatten(x, out)
    else:
        out.append(data)


def json_array(data: Any, datatype: str, shape: list[int], tensor: str) -> np.ndarray:
    """A tensor from JSON `data` (flat or nested, row-major): exactly the shape's element
    count, each element of the datatype's JSON kind (BOOL true/false, integers for integer
    types, numbers for floats, strings for BYTES); INVALID_ARGUMENT otherwise."""
    flat: list[Any] = []
    _flatten(data, flat)
    count = v2.element_count(shape, tensor)
    if len(flat) != count:
        raise invalid_argument(
            f"input '{tensor}': {len(flat)} values in 'data', shape {shape} holds {count}"
        )

    def bad(v: Any) -> ServingError:
        return invalid_argument(f"input '{tensor}': {v!r} is not a {datatype} value")

    if datatype == "BYTES":
        if not all(isinstance(v, str) for v in flat):
            raise bad(next(v for v in flat if not isinstance(v, str)))
        arr = np.empty(count, dtype=object)
        arr[:] = [v.encode("utf-8") for v in flat]
        return arr.reshape(shape)
    if datatype == "BOOL":
        if not all(isinstance(v, bool) for v in flat):
            raise bad(next(v for v in flat if not isinstance(v, bool)))
        return np.array(flat, dtype=np.bool_).reshape(shape)
    numpy = v2.numpy_dtype(datatype)
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise bad(v)
        if numpy.kind in "iu":
            if not isinstance(v, int):
                raise bad(v)
            limits = np.iinfo(numpy)
            if not limits.min <= v <= limits.max:
                raise invalid_argument(f"input '{tensor}': {v} is out of range for {datatype}")
    if numpy.kind in "iu":
        return np.array(flat, dtype=numpy).reshape(shape)
    with np.errstate(over="ignore"):
        return np.array(flat, dtype=np.float64).astype(numpy).reshape(shape)


def _json_value(v: Any, datatype: str, tensor: str) -> Any:
    if datatype == "BYTES":
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_argument(
                f"BYTES output '{tensor}' holds bytes that are not UTF-8, which a JSON string "
                "cannot carry; ask for it with the binary_data parameter"
            ) from None
    if datatype == "BOOL":
        return bool(v)
    if datatype in ("FP16", "BF16", "FP32", "FP64"):
        return float(v)
    return int(v)


def response_reply(response: service_pb2.ModelInferResponse, binary_outputs: set[str]) -> Reply:
    """The JSON (and binary) answer of a ModelInferResponse: `data` flat, row-major; floats
    as their exact double value (NaN, Infinity and -Infinity as bare tokens)."""
    doc: dict[str, Any] = {
        "model_name": response.model_name,
        "model_version": response.model_version,
    }
    if response.id:
        doc["id"] = response.id
    outputs = []
    blobs: list[bytes] = []
    for out_name, (datatype, arr) in v2.output_arrays(response).items():
        entry: dict[str, Any] = {"name": out_name, "datatype": datatype, "shape": list(arr.shape)}
        if out_name in binary_outputs or "*" in binary_outputs:
            blob = v2.raw_bytes(arr, datatype)
            entry["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            entry["data"] = [_json_value(v, datatype, out_name) for v in arr.reshape(-1)]
        outputs.append(entry)
    doc["outputs"] = outputs
    text = json.dumps(doc, separators=(",", ":"), allow_nan=True).encode()
    if not blobs:
        return Reply(200, text)
    return Reply(200, text + b"".join(blobs), BINARY_TYPE, {HEADER_LENGTH: str(len(text))})
