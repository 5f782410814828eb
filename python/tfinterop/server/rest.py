"""TF Serving's REST API (http_rest_api_handler.cc) over the serving core.

Routes, regexes and status mapping follow TF Serving: POST
/v1/models/NAME[/versions/N|/labels/L]:(predict|classify|regress), GET
/v1/models/NAME[/versions/N|/labels/L][/metadata]; any other path under /v1/
is 400 "Malformed request", a path outside /v1/ libevent's 404 page; errors are
{"error": "..."} (RapidJSON's PrettyWriter) with the HTTP status of the
canonical code, except a version that is not an int64, which TF Serving answers
400 with an empty body. Names and labels are percent-decoded after matching.
Paths under /v2 are the Open Inference Protocol's (server/v2_rest.py).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop.server import json_tensor
from tfinterop.server.core import Core
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import HTTP_STATUS, ServingError, invalid_argument

log = logging.getLogger(__name__)

PREDICTION_RE = re.compile(
    r"(?i)/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)",
    re.ASCII,  # RE2's \d is ASCII digits only
)
STATUS_RE = re.compile(
    r"(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?",
    re.ASCII,
)
API_PATH_RE = re.compile(r"(?i)/v1/.*")  # RE2: "." stops at a newline, as here
MAX_BODY_BYTES = 256 << 20
INT64_MAX = 2**63 - 1
# libevent's evhttp_send_error(req, HTTP_NOTFOUND, NULL) page.
NOT_FOUND_PAGE = (
    b"<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n"
    b"</BODY></HTML>\n"
)


class RestApi:
    """Routes one request to the core; returns (HTTP status, JSON body bytes)."""

    def __init__(
        self, core: Core, timeout_ms: int, metrics_path: str | None = None, metrics: Any = None
    ) -> None:
        self.core = core
        self.timeout_ms = timeout_ms
        self.metrics_path = metrics_path
        self.metrics = metrics
        from tfinterop.server.v2 import V2Api
        from tfinterop.server.v2_rest import V2Rest

        self.v2 = V2Rest(V2Api(core), timeout_ms)

    def respond(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes, str, dict[str, str]]:
        """(HTTP status, body, content type, extra headers): /v2 paths to the v2 API, the
        rest as TF Serving routes them."""
        from tfinterop.server import v2_rest

        path = raw_path.split("?", 1)[0]
        if v2_rest.owns(path):
            reply = self.v2.handle(method, path, headers, body)
            return reply.status, reply.body, reply.content_type, reply.headers
        return (*self.handle(method, raw_path, body), {})

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, bytes, str]:
        path = raw_path.split("?", 1)[0]
        if self.metrics_path and method == "GET" and path == self.metrics_path and self.metrics:
            return 200, self.metrics.render().encode("utf-8"), "text/plain; version=0.0.4"
        if not API_PATH_RE.fullmatch(path):
            # TF Serving's dispatcher takes only (?i)/v1/.*; libevent answers the rest.
            return 404, NOT_FOUND_PAGE, "text/html; charset=ISO-8859-1"
        try:
            parsed = _parse_model_info(method, path)
        except ServingError as e:
            # ParseModelInfo's error returns before MakeJsonFromStatus: no body.
            return HTTP_STATUS.get(e.code, 500), b"", "application/json"
        try:
            return 200, self._dispatch(method, path, parsed, body), "application/json"
        except ServingError as e:
            return (
                HTTP_STATUS.get(e.code, 500),
                json_tensor.error_json(e.message),
                "application/json",
            )

    def _dispatch(self, method: str, path: str, parsed: _ModelInfo | None, body: bytes) -> bytes:
        if parsed is None:
            raise invalid_argument(f"Malformed request: {method} {path}")
        spec = parsed.spec
        if method == "POST":
            if parsed.verb == "predict":
                return self._predict(spec, body)
            if parsed.verb == "classify":
                return self._classify(spec, body)
            return self._regress(spec, body)
        if not spec.name:
            raise invalid_argument("Missing model name in request.")
        if parsed.verb == "metadata":
            return self._metadata(spec)
        return self._status(spec)

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
        arrays, fmt = json_tensor.predict_inputs(
            doc, dtypes, request.model_spec.signature_name, json_tensor.bool_free(body)
        )
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
    """MessageToJsonString with add_whitespace and always_print_primitive_fields, as C++
    protobuf writes it: one-space indent, UTF-8 unescaped, a newline after the root object."""
    text = json_format.MessageToJson(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
        indent=1,
        ensure_ascii=False,
    )
    return str(text) + "\n"


@dataclass(frozen=True)
class _ModelInfo:
    spec: model_pb2.ModelSpec
    verb: str  # predict | classify | regress (POST); metadata | status (GET)


def _parse_model_info(method: str, path: str) -> _ModelInfo | None:
    """ParseModelInfo: the ModelSpec a path names, None when it is not an API path.

    Name and label are percent-decoded byte for byte (curl_easy_unescape); a version
    that is not an int64 is INVALID_ARGUMENT.
    """
    if method == "POST":
        m = PREDICTION_RE.fullmatch(path)
        if not m:
            return None
        name, version, label, verb = m.groups()
        verb = verb.lower()
    elif method == "GET":
        m = STATUS_RE.fullmatch(path)
        if not m:
            return None
        name, version, label, sub = m.groups()
        verb = "metadata" if sub else "status"
    else:
        return None
    spec = model_pb2.ModelSpec()
    spec.name = _unescape(name or "")
    if version:
        number = int(version)
        if number > INT64_MAX:
            raise invalid_argument(f"Failed to convert version: {version} to numeric.")
        spec.version.value = number
    if label:
        spec.version_label = _unescape(label)
    return _ModelInfo(spec, verb)


def _unescape(text: str) -> str:
    # TF Serving keeps the raw bytes; a ModelSpec holds text, so such a name reads as U+FFFD
    # and is not found either way.
    return urllib.parse.unquote_to_bytes(text).decode("utf-8", errors="replace")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tfinterop-serve"
    api: RestApi  # set on the subclass
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's: send_header appends to it

    def _respond(self) -> None:
        length = self.headers.get("Content-Length")
        body = b""
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY_BYTES:
            extra: dict[str, str] = {}
            status, payload, ctype = (
                400,
                json_tensor.error_json(f"request body length {length!r} is invalid or too large"),
                "application/json",
            )
            self.close_connection = True
        else:
            if n:
                body = self.rfile.read(n)
            # Header names are case-insensitive: the API sees them lower-cased.
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, ctype, extra = self.api.respond(self.command, self.path, headers, body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for key, value in extra.items():
            self.send_header(key, value)
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


class _HttpServer(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    # The listen backlog. socketserver's default is 5: 32 clients connecting at once
    # overflowed it, and each dropped SYN came back as a reset connection or a 1 s
    # retransmit (the C++ client's REST bench at c=32: 2-5 errors per run, p99 1.5 s).
    # TF Serving's libevent listener asks for 128 (evconnlistener's default).
    request_queue_size = 128


class RestServer:
    """A threaded HTTP/1.1 server (keep-alive) bound to host:port."""

    def __init__(self, api: RestApi, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"api": api})
        self.httpd = _HttpServer((host, port), handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="rest", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
