"""TF Serving's model config (text-format ModelServerConfig): read, write, resolve a ModelSpec.

One file serves the bundled server and every in-process client, so name,
version and label resolution behave alike everywhere. Resolution mirrors
TF Serving's server_core.cc: empty name and unknown label are INVALID_ARGUMENT,
unknown model or version NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.apis import model_pb2
from tensorflow_serving.config import model_server_config_pb2

from tfinterop.serving.errors import ServingError, ToolError, invalid_argument, not_found

INT64_MAX = (1 << 63) - 1


def version_folders(base: Path) -> dict[int, Path]:
    """Version folders under `base`, as TF Serving's file_system_storage_path_source.cc finds them.

    A child whose whole name is a non-negative decimal integer that fits int64 is
    that version and keeps its own name (`00000123` is version 123); other names
    are ignored. Like TF Serving's IndexChildrenByVersion, which walks the names in
    byte order, the last of two names giving one number wins (`123` over `0123`).
    Whether the folder holds a SavedModel is the loader's business, as in TF Serving.
    A missing or unreadable base is empty.
    """
    found: dict[int, Path] = {}
    try:
        names = sorted(child.name for child in base.iterdir())
    except OSError:
        return found
    for name in names:
        if not (name.isascii() and name.isdigit()):
            continue
        number = int(name)
        if number <= INT64_MAX:
            found[number] = base / name
    return found


@dataclass(frozen=True)
class ModelEntry:
    """One model of the config, its base path made absolute."""

    name: str
    base_path: Path
    policy: str = "latest"  # latest | all | specific
    latest_n: int = 1
    specific: tuple[int, ...] = ()
    labels: dict[str, int] = field(default_factory=dict)

    def version_folders(self) -> dict[int, Path]:
        """Version number -> folder, by TF Serving's rule (see `version_folders`)."""
        return version_folders(self.base_path)

    def versions_on_disk(self) -> list[int]:
        """The version numbers TF Serving would aspire under base_path, ascending."""
        return sorted(self.version_folders())

    def version_path(self, version: int) -> Path:
        """The folder holding `version` (`00000123` for 123); base_path/version if absent."""
        return self.version_folders().get(version, self.base_path / str(version))

    def served_versions(self) -> list[int]:
        """The versions the version policy keeps loaded."""
        on_disk = self.versions_on_disk()
        if self.policy == "all":
            return on_disk
        if self.policy == "specific":
            return [v for v in on_disk if v in self.specific]
        return on_disk[-max(self.latest_n, 1) :]


def parse_config(path: Path) -> list[ModelEntry]:
    """Parse a ModelServerConfig file; ToolError names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ToolError(f"cannot read model config {path}: {e.strerror or e}") from None
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as e:
        # TF Serving's words (ParseProtoTextFile), which its tests look for.
        raise ToolError(
            f"model config {path} does not parse: "
            f"Error parsing text-format tensorflow.serving.ModelServerConfig: {e}"
        ) from None
    if config.WhichOneof("config") == "custom_model_config":
        raise ToolError(f"model config {path}: custom_model_config is not supported")
    entries = []
    for mc in config.model_config_list.config:
        entries.append(entry_from_proto(mc, relative_to=path.parent, source=str(path)))
    return entries


def entry_from_proto(
    mc: model_server_config_pb2.ModelConfig, relative_to: Path, source: str
) -> ModelEntry:
    """Validate one ModelConfig; relative base paths resolve against `relative_to`."""
    if not mc.name:
        raise ToolError(f"model config {source}: a model has no name")
    if not mc.base_path:
        raise ToolError(f"model config {source}: model {mc.name!r} has no base_path")
    if mc.model_platform not in ("", "tensorflow"):
        raise ToolError(
            f"model config {source}: model {mc.name!r} has platform "
            f"{mc.model_platform!r}; only 'tensorflow' is served"
        )
    base = Path(mc.base_path)
    if not base.is_absolute():
        base = (relative_to / base).resolve()
    which = mc.model_version_policy.WhichOneof("policy_choice")
    latest_n = 1
    specific: tuple[int, ...] = ()
    if which == "latest":
        latest_n = mc.model_version_policy.latest.num_versions or 1
        policy = "latest"
    elif which == "all":
        policy = "all"
    elif which == "specific":
        policy = "specific"
        specific = tuple(mc.model_version_policy.specific.versions)
    else:
        policy = "latest"
    return ModelEntry(
        name=mc.name,
        base_path=base,
        policy=policy,
        latest_n=latest_n,
        specific=specific,
        labels=dict(mc.version_labels),
    )


def render_config(entries: list[ModelEntry]) -> str:
    """Text-format ModelServerConfig for `entries` (what `make export` writes)."""
    config = model_server_config_pb2.ModelServerConfig()
    for e in entries:
        mc = config.model_config_list.config.add()
        mc.name = e.name
        mc.base_path = str(e.base_path)
        mc.model_platform = "tensorflow"
        if e.policy == "all":
            mc.model_version_policy.all.SetInParent()
        elif e.policy == "specific":
            mc.model_version_policy.specific.versions.extend(e.specific)
        else:
            mc.model_version_policy.latest.num_versions = e.latest_n
        for label, version in sorted(e.labels.items()):
            mc.version_labels[label] = version
    return str(text_format.MessageToString(config))


@dataclass(frozen=True)
class Resolved:
    """A ModelSpec resolved to one version folder on disk."""

    name: str
    version: int
    path: Path


def requested_version(entry: ModelEntry | None, spec: model_pb2.ModelSpec) -> int | None:
    """The version a ModelSpec names (a label resolved through `entry`), None for latest.

    An unknown label is INVALID_ARGUMENT, also for a model that is not configured.
    """
    which = spec.WhichOneof("version_choice")
    if which == "version_label":
        if entry is None or spec.version_label not in entry.labels:
            raise invalid_argument(f"Unrecognized servable version label: {spec.version_label}")
        return entry.labels[spec.version_label]
    if which == "version":
        return int(spec.version.value)
    return None


def pick_version(name: str, wanted: int | None, available: list[int]) -> int:
    """`wanted` if it is among the sorted `available` versions, the highest for None; else NOT_FOUND."""
    if wanted is None:
        if not available:
            raise servable_not_found(name, None)
        return available[-1]
    if wanted not in available:
        raise servable_not_found(name, wanted)
    return wanted


def resolve(entries: list[ModelEntry], spec: model_pb2.ModelSpec) -> Resolved:
    """Resolve a ModelSpec as TF Serving's ServerCore does, or raise ServingError."""
    if not spec.name:
        raise invalid_argument("Missing model name in request.")
    entry = next((e for e in entries if e.name == spec.name), None)
    wanted = requested_version(entry, spec)
    if entry is None:
        raise servable_not_found(spec.name, wanted)
    version = pick_version(spec.name, wanted, entry.served_versions())
    return Resolved(entry.name, version, entry.version_path(version))


def servable_not_found(name: str, version: int | None) -> ServingError:
    request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
    return not_found(f"Servable not found for request: {request}")
