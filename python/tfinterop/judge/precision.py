"""Which rows must be bit-exact: those that ran the producer's TensorFlow build.

The build is a typed field, never guessed from free text: the manifest's
producer.tensorflow_build against, for inproc rows, run.json's
runtime.tensorflow_build (the client's own runtime) and, for grpc and rest
rows, server.json's tensorflow_build (the server ran the model). A missing or
empty field on either side means tolerance, never exact by default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def bit_exact_required(row_build: str, producer_build: str) -> bool:
    return bool(row_build) and bool(producer_build) and row_build == producer_build


def producer_build(manifest_data: dict[str, Any]) -> str:
    return _text(manifest_data.get("producer", {}), "tensorflow_build")


def row_build(results: Path, client: str, mode: str, model: str) -> str:
    """The TensorFlow build that ran `model` for this row, "" when nothing records it."""
    if mode == "inproc":
        run = _read_json(results / client / mode / model / "run.json")
        return _text(run.get("runtime", {}), "tensorflow_build")
    return _text(_read_json(results / "server.json"), "tensorflow_build")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""
