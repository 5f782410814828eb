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
# The Open Inference Protocol's modes: a case lists them when it has a v2 form.
V2_MODES = ("v2grpc", "v2rest")
APIS = ("predict", "classify", "regress", "multi_inference", "metadata")


@dataclass(frozen=True)
class V2Case:
    """A predict case's v2 form: an inference.ModelInferRequest and the expected
    ModelInferResponse, or the expected canonical code."""

    request: Message
    response: Message | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.response is None) == (self.error is None):
            raise ValueError("a v2 form has exactly one of response and error")


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
    # A substring the error's message must hold, for the few cases whose message is the
    # point (a load failure naming the op the runtime lacks); "" checks the code only.
    error_message: str = ""
    v2: V2Case | None = None  # the v2 form, when the case lists a v2 mode

    def __post_init__(self) -> None:
        if (self.response is None) == (self.error is None):
            raise ValueError(f"case {self.id}: exactly one of response and error")
        if self.error_message and self.error is None:
            raise ValueError(f"case {self.id}: error_message without an error")
        if self.api not in APIS:
            raise ValueError(f"case {self.id}: unknown api {self.api}")
        for mode in self.transport_errors:
            if mode not in self.transports:
                raise ValueError(f"case {self.id}: transport_errors names {mode}, not a transport")
        if (self.v2 is None) == bool(set(self.transports) & set(V2_MODES)):
            raise ValueError(
                f"case {self.id}: v2 modes in transports exactly when it has a v2 form"
            )


@dataclass(frozen=True)
class CaseSet:
    model: str
    config: str  # model config path, relative to the case folder
    producer: dict[str, Any]  # strings, and golden_runtimes: {api: runtime}
    cases: list[Case]
    # Custom-op libraries the model needs (model.op_libraries), relative to the case folder.
    op_libraries: tuple[str, ...] = ()


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
                if case.error_message:
                    entry["error_message"] = case.error_message
            if case.api == "predict":
                entry["rest_format"] = case.rest_format
            if case.transport_errors:
                entry["transport_errors"] = dict(sorted(case.transport_errors.items()))
            if case.v2 is not None:
                v2: dict[str, Any] = {"request": f"{case.id}.v2.request.pb"}
                files[v2["request"]] = _serialize(case.v2.request)
                if case.v2.response is not None:
                    v2["response"] = f"{case.id}.v2.response.pb"
                    files[v2["response"]] = _serialize(case.v2.response)
                else:
                    v2["error"] = case.v2.error
                entry["v2"] = v2
            entry["sha256"] = {}
            for name, data in files.items():
                (tmp / name).write_bytes(data)
                entry["sha256"][name] = hashlib.sha256(data).hexdigest()
            entries.append(entry)
        model: dict[str, Any] = {"name": case_set.model, "config": case_set.config}
        if case_set.op_libraries:
            model["op_libraries"] = list(case_set.op_libraries)
        manifest = {
            "format": FORMAT,
            "model": model,
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

    @property
    def error_message(self) -> str:
        """The substring the case's own error must hold in its message ("" for any)."""
        return str(self.entry.get("error_message", ""))

    @property
    def v2(self) -> dict[str, Any] | None:
        """The case's v2 form: {"request", "response" | "error", "errors"?}, or None."""
        v2 = self.entry.get("v2")
        return v2 if isinstance(v2, dict) else None

    def expected_error(self, mode: str) -> str | None:
        """The code expected over `mode`: its transport_errors entry, else the case's error;
        over a v2 mode the v2 form's `errors` entry for the mode, else its `error`."""
        if mode in V2_MODES:
            v2 = self.v2 or {}
            code = v2.get("errors", {}).get(mode, v2.get("error"))
        else:
            code = self.entry.get("transport_errors", {}).get(mode, self.error)
        return None if code is None else str(code)

    def request_bytes(self, mode: str) -> bytes:
        """The request a client sends over `mode`: the v2 form's over a v2 mode."""
        if mode in V2_MODES:
            return self.read_file(self._v2_file("request"))
        return self.read("request")

    def response_bytes(self, mode: str) -> bytes:
        """The expected response over `mode` (the v2 form's over a v2 mode)."""
        if mode in V2_MODES:
            return self.read_file(self._v2_file("response"))
        return self.read("response")

    def _v2_file(self, key: str) -> str:
        name = (self.v2 or {}).get(key)
        if not isinstance(name, str):
            raise ToolError(f"case {self.id}: manifest has no v2 {key}")
        return name

    def read(self, key: str) -> bytes:
        """Bytes of the file named by entry[key], checked against the manifest's sha256."""
        return self.read_file(self.entry[key])

    def read_file(self, name: str) -> bytes:
        """Bytes of the case's file `name`, checked against the manifest's sha256."""
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
    def op_libraries(self) -> list[Path]:
        """model.op_libraries, resolved against the case folder (absolute ones as they are)."""
        return [self.folder.resolve() / lib for lib in self.data["model"].get("op_libraries", [])]

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
    libraries = data.get("model", {}).get("op_libraries", [])
    if not isinstance(libraries, list) or not all(isinstance(x, str) and x for x in libraries):
        raise ToolError(f"{path}: model.op_libraries must be a list of paths")
    for i, entry in enumerate(data.get("cases", [])):
        if not isinstance(entry, dict) or "id" not in entry or "request" not in entry:
            raise ToolError(f"{path}: case #{i} lacks id or request")
        if entry.get("api") not in APIS:
            raise ToolError(f"{path}: case {entry.get('id')} has unknown api {entry.get('api')!r}")
        v2 = entry.get("v2")
        if v2 is not None and not (
            isinstance(v2, dict)
            and isinstance(v2.get("request"), str)
            and (isinstance(v2.get("response"), str) != isinstance(v2.get("error"), str))
        ):
            raise ToolError(
                f"{path}: case {entry.get('id')}: v2 needs a request and one of response, error"
            )
    return Manifest(folder, data)
