"""What a client wrote for one case: a response, an error, a skip, several files or nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

KINDS = ("response.pb", "error.json", "skipped.json")


@dataclass(frozen=True)
class RecordedError:
    """An `<id>.error.json`: the canonical code the client reported and, over REST, the HTTP status."""

    code: str
    message: str
    http_status: int | None = None


def result_files(folder: Path, case_id: str) -> dict[str, Path]:
    """The result files present for `case_id`, by kind; a typed result has exactly one."""
    found = {}
    for kind in KINDS:
        path = folder / f"{case_id}.{kind}"
        if path.exists():
            found[kind] = path
    return found


def read_error(path: Path) -> RecordedError:
    """Parse an error.json; ValueError naming the file when it is not the contract's shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path.name} does not read as JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise ValueError(f"{path.name} lacks a string 'code'")
    http = data.get("http_status")
    if http is not None and (isinstance(http, bool) or not isinstance(http, int)):
        raise ValueError(f"{path.name}: http_status {http!r} is not an integer")
    message = data.get("message", "")
    return RecordedError(data["code"], message if isinstance(message, str) else str(message), http)


def read_skip_reason(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return f"{path.name} does not read as JSON"
    return str(data.get("reason", "")) if isinstance(data, dict) else ""
