"""TF Serving's REST API (http_rest_api_handler.cc) over the serving core.

Routes, regexes and status mapping follow TF Serving: POST
/v1/models/NAME[/versions/N|/labels/L]:(predict|classify|regress), GET
/v1/models/NAME[/versions/N|/labels/L][/metadata]; any other path under /v1/
is 400 "Malformed request"; errors are {"error": "..."} with the HTTP status
of the canonical code.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop import tensor_codec
from tfinterop.errors import HTTP_STATUS, ServingError, invalid_argument
from tfinterop.server import json_tensor
from tfinterop.server.core import Core

log = logging.getLogger(__name__)

PREDICTION_RE = re.compile(
    r"(?i)/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)"
)
STATUS_RE = re.compile(
    r"(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?"
)
MAX_BODY_BYTES = 256 << 20


class RestApi:
    """Routes one request to the core; returns (HTTP status, JSON body bytes)."""

    def __init__(
        self, core: Core, timeout_ms: int, metrics_path: str | None = None, metrics: Any = None
    ) -> None:
        self.core = core
        self.timeout_ms = timeout_ms
        self.metrics_path = metrics_path
        self.metrics = metrics

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, bytes, str]:
        path = raw_path.split("?", 1)[0]
        if self.metrics_path and method == "GET" and path == self.metrics_path and self.metrics:
            return 200, self.metrics.render().encode("utf-8"), "text/plain; version=0.0.4"
        try:
            return 200, self._dispatch(method, path, body), "application/json"
        except ServingError as e:
            return (
                HTTP_STATUS.get(e.code, 500),
                json_tensor.error_json(e.message),
                "application/json",
            )

    def _dispatch(self, method: str, path: str, body: bytes) -> bytes:
        malformed = invalid_argument(f"Malformed request: {method} {path}")
        if method == "POST":
            m = PREDICTION_RE.fullmatch(path)
            if not m:
                raise malformed
            name, version, label, verb = m.groups()
            spec = _spec(name, version, label)
            verb = verb.lower()
            if verb == "predict":
                return self._predict(spec, body)
            if verb == "classify":
                return self._classify(spec, body)
            return self._regress(spec, body)
        if method == "GET":
            m = STATUS_RE.fullmatch(path)
            if not m:
                raise malformed
            name, version, label, sub = m.groups()
            if not name:
                raise invalid_argument("Missing model name in request.")
            spec = _spec(name, version, label)
            if sub:
                return self._metadata(spec)
            return self._status(spec)
        raise malformed

    def _predict(self, spec: Any, body: bytes) -> bytes:
        doc = json_tensor.parse(body)
        request = predict_pb2.PredictRequest()
        request.model_spec.CopyFrom(spec)
        request.model_spec.signature_name = json_tensor.signature_name(doc)
        servable = self.core.manager.get(request.model_spec)
        sig_key = request.model_spec.signature_name or "serving_default"
        sig = servable.meta_graph.signature_def.get(sig_key)
        if sig is None:
            raise invalid_argument(
                f'Serving signature name: "{sig_key}" not found in signature def'
            )
        dtypes = {k: v.dtype for k, v in sig.inputs.items()}
        arrays, fmt = json_tensor.predict_inputs(doc, dtypes)
        for alias, arr in arrays.items():
            request.inputs[alias].CopyFrom(
                tensor_codec.from_ndarray(arr, dtypes[alias], content=True)
            )
        response = self.core.predict(request, self.timeout_ms)
        outputs = {
            alias: (tensor_codec.to_ndarray(t), t.dtype) for alias, t in response.outputs.items()
        }
        return json_tensor.tensors_json(outputs, fmt)

    def _classify(self, spec: Any, body: bytes) -> bytes:
        doc = json_tensor.parse(body)
        request = classification_pb2.ClassificationRequest()
        request.model_spec.CopyFrom(spec)
        request.model_spec.signature_name = json_tensor.signature_name(doc)
        json_tensor.examples_input(doc, request.input)
        response = self.core.classify(request, self.timeout_ms)
        return json_tensor.classification_json(response.result)

    def _regress(self, spec: Any, body: bytes) -> bytes:
        doc = json_tensor.parse(body)
        request = regression_pb2.RegressionRequest()
        request.model_spec.CopyFrom(spec)
        request.model_spec.signature_name = json_tensor.signature_name(doc)
        json_tensor.examples_input(doc, request.input)
        response = self.core.regress(request, self.timeout_ms)
        return json_tensor.regression_json(response.result)

    def _status(self, spec: Any) -> bytes:
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.CopyFrom(spec)
        response = self.core.status(request)
        return _to_json(response).encode("utf-8")

    def _metadata(self, spec: Any) -> bytes:
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.CopyFrom(spec)
        request.metadata_field.append("signature_def")
        response = self.core.metadata(request)
        sig_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(sig_map)
        return (
            '{\n"model_spec":' + _to_json(response.model_spec) + ",\n"
            '"metadata": {"signature_def": ' + _to_json(sig_map) + "}\n}\n"
        ).encode("utf-8")


def _to_json(message: Any) -> str:
    return json_format.MessageToJson(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
        indent=1,
    )


def _spec(name: str, version: str | None, label: str | None) -> Any:
    from tensorflow_serving.apis import model_pb2

    spec = model_pb2.ModelSpec()
    spec.name = urllib.parse.unquote(name, errors="strict")
    if version:
        try:
            spec.version.value = int(version)
        except ValueError:
            raise invalid_argument(f"Failed to convert version: {version} to numeric.") from None
        if spec.version.value >= 2**63:
            raise invalid_argument(f"Failed to convert version: {version} to numeric.")
    if label:
        spec.version_label = urllib.parse.unquote(label)
    return spec


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tfinterop-serve"
    api: RestApi  # set on the subclass

    def _respond(self) -> None:
        length = self.headers.get("Content-Length")
        body = b""
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY_BYTES:
            status, payload, ctype = (
                400,
                json_tensor.error_json(f"request body length {length!r} is invalid or too large"),
                "application/json",
            )
            self.close_connection = True
        else:
            if n:
                body = self.rfile.read(n)
            status, payload, ctype = self.api.handle(self.command, self.path, body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        # Headers and body leave in one send: two small writes on a kept-alive
        # connection would wait for the client's delayed ACK (about 40 ms).
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(payload)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    do_GET = _respond
    do_POST = _respond
    do_PUT = _respond
    do_DELETE = _respond
    do_PATCH = _respond

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("rest: " + format, *args)


class RestServer:
    """A threaded HTTP/1.1 server (keep-alive) bound to host:port."""

    def __init__(self, api: RestApi, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"api": api})
        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="rest", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
