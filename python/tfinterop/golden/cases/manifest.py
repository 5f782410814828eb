"""The case-set format (docs/CONTRACT.md): manifest.json plus binary request/response protos."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from tfinterop.serving.errors import ToolError
from tfinterop.util import atomic

FORMAT = 1
TRANSPORTS = ("inproc", "grpc", "rest")
APIS = ("predict", "classify", "regress", "multi_inference", "metadata")


@dataclass(frozen=True)
class Case:
    """One golden case: a request and either the expected response or the expected code."""

    id: str
    api: str
    request: Message
    response: Message | None = None
    error: str | None = None
    description: str = ""
    transports: tuple[str, ...] = TRANSPORTS
    tolerance: dict[str, float] = field(default_factory=lambda: {"atol": 1e-6, "rtol": 1e-5})
    argmax_outputs: tuple[str, ...] = ()
    rest_format: str = "columnar"  # columnar ("inputs") or row ("instances")
    # TF Serving's correct answer on one transport when it differs from the others,
    # e.g. {"rest": "UNIMPLEMENTED"} for float16 inputs, which REST JSON cannot carry.
    transport_errors: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.response is None) == (self.error is None):
            raise ValueError(f"case {self.id}: exactly one of response and error")
        if self.api not in APIS:
            raise ValueError(f"case {self.id}: unknown api {self.api}")
        for mode in self.transport_errors:
            if mode not in self.transports:
                raise ValueError(f"case {self.id}: transport_errors names {mode}, not a transport")


@dataclass(frozen=True)
class CaseSet:
    model: str
    config: str  # model config path, relative to the case folder
    producer: dict[str, Any]  # strings, and golden_runtimes: {api: runtime}
    cases: list[Case]


def write(folder: Path, case_set: CaseSet) -> None:
    """Write the whole set into a staged folder, then rename it into place."""
    with atomic.staged_dir(folder) as tmp:
        entries = []
        for case in case_set.cases:
            entry: dict[str, Any] = {
                "id": case.id,
                "api": case.api,
                "description": case.description,
                "transports": list(case.transports),
                "request": f"{case.id}.request.pb",
            }
            files = {entry["request"]: _serialize(case.request)}
            if case.response is not None:
                entry["response"] = f"{case.id}.response.pb"
                files[entry["response"]] = _serialize(case.response)
                entry["tolerance"] = case.tolerance
                if case.argmax_outputs:
                    entry["argmax_outputs"] = list(case.argmax_outputs)
            else:
                entry["error"] = case.error
            if case.api == "predict":
                entry["rest_format"] = case.rest_format
            if case.transport_errors:
                entry["transport_errors"] = dict(sorted(case.transport_errors.items()))
            entry["sha256"] = {}
            for name, data in files.items():
                (tmp / name).write_bytes(data)
                entry["sha256"][name] = hashlib.sha256(data).hexdigest()
            entries.append(entry)
        manifest = {
            "format": FORMAT,
            "model": {"name": case_set.model, "config": case_set.config},
            "producer": case_set.producer,
            "cases": entries,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def _serialize(message: Message) -> bytes:
    # Deterministic map order, so two exports give byte-identical files.
    return bytes(message.SerializeToString(deterministic=True))


@dataclass(frozen=True)
class ManifestCase:
    """A case as read back from disk; files are verified against their sha256."""

    folder: Path
    entry: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.entry["id"])

    @property
    def api(self) -> str:
        return str(self.entry["api"])

    @property
    def transports(self) -> list[str]:
        return list(self.entry.get("transports", TRANSPORTS))

    @property
    def error(self) -> str | None:
        return self.entry.get("error")

    def expected_error(self, mode: str) -> str | None:
        """The code expected over `mode`: its transport_errors entry, else the case's error."""
        code = self.entry.get("transport_errors", {}).get(mode, self.error)
        return None if code is None else str(code)

    def read(self, key: str) -> bytes:
        """Bytes of the file named by entry[key], checked against the manifest's sha256."""
        name: str = self.entry[key]
        path = self.folder / name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ToolError(f"case {self.id}: cannot read {path}: {e.strerror or e}") from None
        want = self.entry.get("sha256", {}).get(name)
        if want is None:
            raise ToolError(f"case {self.id}: manifest has no sha256 for {name}")
        got = hashlib.sha256(data).hexdigest()
        if got != want:
            raise ToolError(f"case {self.id}: {path} sha256 {got[:12]}… != manifest {want[:12]}…")
        return data


@dataclass(frozen=True)
class Manifest:
    folder: Path
    data: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.data["model"]["name"])

    @property
    def config_path(self) -> Path:
        config: str = self.data["model"]["config"]
        return (self.folder / config).resolve()

    @property
    def cases(self) -> list[ManifestCase]:
        return [ManifestCase(self.folder, e) for e in self.data["cases"]]


def read(folder: Path) -> Manifest:
    """Read and check manifest.json; ToolError (one line) when missing or malformed."""
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ToolError(f"cannot read {path}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise ToolError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ToolError(f"{path}: unsupported manifest format {data.get('format')!r}")
    for i, entry in enumerate(data.get("cases", [])):
        if not isinstance(entry, dict) or "id" not in entry or "request" not in entry:
            raise ToolError(f"{path}: case #{i} lacks id or request")
        if entry.get("api") not in APIS:
            raise ToolError(f"{path}: case {entry.get('id')} has unknown api {entry.get('api')!r}")
    return Manifest(folder, data)
