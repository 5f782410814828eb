"""Error codes per transport: gRPC and in-process compare code names, REST compares HTTP status.

TF Serving's REST API turns a code into an HTTP status (http_server.cc
ToHTTPStatusCode) and several codes share one (INVALID_ARGUMENT,
FAILED_PRECONDITION and OUT_OF_RANGE are all 400), so a REST client cannot
report the code itself; the status is what the transport carries. The v2 REST
mode (v2rest) is judged the same way, with the same table (docs/SERVER.md "v2").
"""

from __future__ import annotations

from tfinterop.judge.results import RecordedError
from tfinterop.serving.errors import HTTP_STATUS, Code

REST_MODES = ("rest", "v2rest")  # the modes whose errors arrive as HTTP statuses


def http_status_for(code: str) -> int | None:
    """The HTTP status TF Serving answers for a canonical code name (None if not a code)."""
    member = Code.__members__.get(code)
    return HTTP_STATUS[member] if member is not None else None


def rest_status(err: RecordedError) -> int | None:
    """The HTTP status a REST error carried; from its code when the client left it out."""
    return err.http_status if err.http_status is not None else http_status_for(err.code)


def error_matches(want_code: str, err: RecordedError, mode: str) -> bool:
    """Whether `err`, recorded over `mode`, is the canonical code `want_code`."""
    if mode in REST_MODES:
        want = http_status_for(want_code)
        return want is not None and rest_status(err) == want
    return err.code == want_code


def status_matches(want_status: int, err: RecordedError, mode: str) -> bool:
    """Whether `err` carried HTTP status `want_status`; only REST errors carry one."""
    return mode in REST_MODES and rest_status(err) == want_status


def describe_expected(code: str, mode: str) -> str:
    if mode in REST_MODES:
        return f"{code} (HTTP {http_status_for(code)})"
    return code


def describe(err: RecordedError, mode: str) -> str:
    if mode in REST_MODES:
        return f"HTTP {rest_status(err)} {err.code}"
    return err.code
