"""REST: TF Serving's HTTP/JSON API through `requests`, answers turned back into protos."""

from __future__ import annotations

import urllib.parse
from typing import Any

import requests
from google.protobuf import any_pb2, json_format
from google.protobuf.message import Message
from requests.__version__ import __version__ as requests_version
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop.client.transports import rest_json
from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError, code_for_http

DEADLINE_S = 30.0


class RestTransport:
    name = "rest"

    def __init__(self, base_url: str, deadline_s: float = DEADLINE_S) -> None:
        self._base = base_url.rstrip("/")
        self._deadline = deadline_s
        self._session = requests.Session()
        self._metadata: dict[str, get_model_metadata_pb2.SignatureDefMap] = {}

    def _model_url(self, spec: Any) -> str:
        url = f"{self._base}/v1/models/{urllib.parse.quote(spec.name, safe='')}"
        which = spec.WhichOneof("version_choice")
        if which == "version":
            url += f"/versions/{spec.version.value}"
        elif which == "version_label":
            url += f"/labels/{urllib.parse.quote(spec.version_label, safe='')}"
        return url

    def _send(self, method: str, url: str, body: bytes | None = None) -> Any:
        try:
            r = self._session.request(
                method,
                url,
                data=body,
                timeout=self._deadline,
                headers={"Content-Type": "application/json"} if body is not None else None,
            )
        except requests.RequestException as e:
            raise ServingError(Code.UNAVAILABLE, f"{method} {url}: {e}") from None
        if r.status_code != 200:
            try:
                message = rest_json.loads(r.content).get("error", r.text)
            except (ServingError, AttributeError):
                message = r.text
            raise ServingError(
                code_for_http(r.status_code), str(message), http_status=r.status_code
            )
        return rest_json.loads(r.content)

    def _signatures(self, spec: Any) -> get_model_metadata_pb2.SignatureDefMap:
        url = self._model_url(spec) + "/metadata"
        if url not in self._metadata:
            doc = self._send("GET", url)
            sig_map = get_model_metadata_pb2.SignatureDefMap()
            json_format.ParseDict(
                doc["metadata"]["signature_def"], sig_map, ignore_unknown_fields=True
            )
            self._metadata[url] = sig_map
        return self._metadata[url]

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        if api == "predict":
            return self._predict(request, rest_format)
        if api == "metadata":
            return self._model_metadata(request)
        if api == "classify":
            doc = self._send(
                "POST",
                self._model_url(request.model_spec) + ":classify",
                rest_json.examples_body(request),
            )
            response = classification_pb2.ClassificationResponse()
            for row in doc["results"]:
                c = response.result.classifications.add()
                for label, score in row:
                    c.classes.add(label=label, score=score)
            return response
        if api == "regress":
            doc = self._send(
                "POST",
                self._model_url(request.model_spec) + ":regress",
                rest_json.examples_body(request),
            )
            response = regression_pb2.RegressionResponse()
            for value in doc["results"]:
                response.result.regressions.add(value=value)
            return response
        raise ServingError(Code.UNIMPLEMENTED, f"TF Serving's REST API has no {api} endpoint")

    def _predict(self, request: Any, rest_format: str) -> Message:
        url = self._model_url(request.model_spec) + ":predict"
        doc = self._send("POST", url, rest_json.predict_body(request, rest_format))
        sig_key = request.model_spec.signature_name or "serving_default"
        sig = self._signatures(request.model_spec).signature_def[sig_key]
        response = predict_pb2.PredictResponse()
        for alias, (arr, dtype) in rest_json.outputs_from_json(doc, sig).items():
            response.outputs[alias].CopyFrom(tensor_codec.from_ndarray(arr, dtype))
        return response

    def _model_metadata(self, request: Any) -> Message:
        if list(request.metadata_field) != ["signature_def"]:
            raise ServingError(Code.INVALID_ARGUMENT, "REST metadata serves signature_def only")
        doc = self._send("GET", self._model_url(request.model_spec) + "/metadata")
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        json_format.ParseDict(doc["model_spec"], response.model_spec, ignore_unknown_fields=True)
        sig_map = get_model_metadata_pb2.SignatureDefMap()
        json_format.ParseDict(doc["metadata"]["signature_def"], sig_map, ignore_unknown_fields=True)
        response.metadata["signature_def"].CopyFrom(
            any_pb2.Any(
                type_url="type.googleapis.com/" + sig_map.DESCRIPTOR.full_name,
                value=sig_map.SerializeToString(deterministic=True),
            )
        )
        return response

    def runtime(self) -> dict[str, str]:
        return {"requests": requests_version, "url": self._base}

    def close(self) -> None:
        self._session.close()
