"""v2REST: the Open Inference Protocol's HTTP/JSON API through `requests`.

POST {rest}/v2/models/{name}[/versions/{v}]/infer with the case's v2 request as
JSON (v2_json.py); the answer comes back as a ModelInferResponse. Errors are
{"error": "..."} with an HTTP status, mapped back as for TF Serving's REST API and
recorded with `http_status`.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import requests
from google.protobuf.message import Message
from requests.__version__ import __version__ as requests_version

from tfinterop.client.transports import v2_json
from tfinterop.serving.errors import Code, ServingError, code_for_http

DEADLINE_S = 30.0


class V2RestTransport:
    name = "v2rest"

    def __init__(self, base_url: str, deadline_s: float = DEADLINE_S) -> None:
        self._base = base_url.rstrip("/")
        self._deadline = deadline_s
        self._session = requests.Session()

    def url(self, request: Any) -> str:
        url = f"{self._base}/v2/models/{urllib.parse.quote(request.model_name, safe='')}"
        if request.model_version:
            url += f"/versions/{urllib.parse.quote(request.model_version, safe='')}"
        return url + "/infer"

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        if api != "predict":
            raise ServingError(Code.UNIMPLEMENTED, f"the v2 protocol has no {api} API")
        url = self.url(request)
        body = v2_json.request_body(request)
        try:
            r = self._session.post(
                url,
                data=body,
                timeout=self._deadline,
                headers={"Content-Type": "application/json"},
            )
        except requests.RequestException as e:
            raise ServingError(Code.UNAVAILABLE, f"POST {url}: {e}") from None
        if r.status_code != 200:
            raise ServingError(
                code_for_http(r.status_code), _error_text(r), http_status=r.status_code
            )
        return v2_json.response(r.content)

    def runtime(self) -> dict[str, str]:
        return {"requests": requests_version, "url": self._base}

    def close(self) -> None:
        self._session.close()


def _error_text(r: requests.Response) -> str:
    try:
        doc = r.json()
    except ValueError:
        return r.text
    return str(doc.get("error", r.text)) if isinstance(doc, dict) else r.text
