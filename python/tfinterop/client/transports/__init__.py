"""The Python reference client's transports: one module each, one interface."""

from __future__ import annotations

from typing import Protocol

from google.protobuf.message import Message


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
