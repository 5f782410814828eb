"""The Python client's transports: one module each, one interface, one table of APIs."""

from __future__ import annotations

from typing import Protocol

from google.protobuf.message import Message

# docs/CONTRACT.md's defaults for every client.
DEFAULT_TARGET = "127.0.0.1:8500"
DEFAULT_REST = "http://127.0.0.1:8501"
DEFAULT_DEADLINE_MS = 30000

# The APIs each transport sends (tfinterop-python info; harness/clients.json must agree).
# In-process there is no server: Classify, Regress and MultiInference are server APIs, and
# TF Serving's REST API has no MultiInference. The v2 modes (Open Inference Protocol) carry
# predict cases only, as their ModelInfer.
APIS: dict[str, tuple[str, ...]] = {
    "inproc": ("predict", "metadata"),
    "grpc": ("predict", "classify", "regress", "multi_inference", "metadata"),
    "rest": ("predict", "classify", "regress", "metadata"),
    "v2grpc": ("predict",),
    "v2rest": ("predict",),
}


class Transport(Protocol):
    """Sends one request of a case's api; returns the response or raises ServingError."""

    name: str

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        """`rest_format` (columnar or row) matters to the REST transport only."""
        ...

    def runtime(self) -> dict[str, str]:
        """Versions of what this transport runs on, for run.json."""
        ...

    def close(self) -> None: ...
