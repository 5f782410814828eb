"""Canonical status codes (gRPC == TF_Code numbering) and the error type carrying them."""

from __future__ import annotations

import enum


class Code(enum.IntEnum):
    """gRPC canonical codes; TensorFlow's TF_Code uses the same numbers."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


# TF Serving's http_server.cc ToHTTPStatusCode: how each code reaches a REST client.
HTTP_STATUS: dict[Code, int] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}

# The inverse a REST client applies; HTTP loses detail (400 covers three codes),
# so the comparison in tests/ compares REST errors by HTTP status.
CODE_FOR_HTTP: dict[int, Code] = {
    400: Code.INVALID_ARGUMENT,
    401: Code.UNAUTHENTICATED,
    403: Code.PERMISSION_DENIED,
    404: Code.NOT_FOUND,
    409: Code.ABORTED,
    429: Code.RESOURCE_EXHAUSTED,
    499: Code.CANCELLED,
    500: Code.INTERNAL,
    501: Code.UNIMPLEMENTED,
    503: Code.UNAVAILABLE,
    504: Code.DEADLINE_EXCEEDED,
}


def code_for_http(status: int) -> Code:
    """Canonical code a REST client reports for an HTTP status (UNKNOWN if unmapped)."""
    return CODE_FOR_HTTP.get(status, Code.UNKNOWN)


class ServingError(Exception):
    """An error with a canonical code, as TF Serving would return it."""

    def __init__(self, code: Code, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status  # set by REST clients: what the server answered

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


def invalid_argument(message: str) -> ServingError:
    return ServingError(Code.INVALID_ARGUMENT, message)


def not_found(message: str) -> ServingError:
    return ServingError(Code.NOT_FOUND, message)


def failed_precondition(message: str) -> ServingError:
    return ServingError(Code.FAILED_PRECONDITION, message)


class UsageError(Exception):
    """A user mistake on the command line or in a file: one line, no traceback, exit 2."""


class ToolError(Exception):
    """The command could not do its job (missing model, unwritable folder): one line, exit 1."""


# How TensorFlow's graph importer starts the message for an op the process lacks.
OP_NOT_REGISTERED = "Op type not registered"


def error_from_tf(e: BaseException, what: str) -> ServingError:
    """A TensorFlow exception as a ServingError with its canonical code (TF_Code == gRPC)."""
    import tensorflow as tf

    if isinstance(e, tf.errors.OpError):
        return ServingError(Code(e.error_code), f"{what}: {_condense(e.message)}")
    if isinstance(e, RuntimeError) and str(e).startswith(OP_NOT_REGISTERED):
        # tf.saved_model.load's way of saying what the session loader of the same build
        # says as NotFoundError (a custom op whose library is not loaded).
        return ServingError(Code.NOT_FOUND, f"{what}: {_condense(str(e))}")
    if isinstance(e, (ValueError, TypeError)):
        return ServingError(Code.INVALID_ARGUMENT, f"{what}: {str(e).splitlines()[0]}")
    return ServingError(Code.INTERNAL, f"{what}: {type(e).__name__}: {e}")


def _condense(message: str, limit: int = 1000) -> str:
    """TF's multi-line messages ("Graph execution error:" then the cause) on one line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("File ", "Detected at node"))]
    text = " ".join(lines)
    return text if len(text) <= limit else text[:limit] + "..."
