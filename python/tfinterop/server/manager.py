"""Which model versions are loaded: config, version policy, file-system polling, reloads.

Mirrors TF Serving's ServerCore/AspiredVersionsManager closely enough for
clients: versions move START -> LOADING -> AVAILABLE -> UNLOADING -> END; a
failed load ends in END with its error; new versions load before old ones
unload (availability preserving); a config reload replaces the whole list.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tensorflow_serving.apis import model_pb2

from tfinterop.serving import model_config
from tfinterop.serving.errors import Code, ServingError, invalid_argument, not_found
from tfinterop.serving.model_config import ModelEntry

if TYPE_CHECKING:  # importing it loads TensorFlow, which a config check does not need
    from tfinterop.serving.servable import Servable

log = logging.getLogger(__name__)


class State(enum.IntEnum):
    """ModelVersionStatus.State numbers (get_model_status.proto)."""

    UNKNOWN = 0
    START = 10
    LOADING = 20
    AVAILABLE = 30
    UNLOADING = 40
    END = 50


@dataclass
class VersionState:
    state: State
    servable: Servable | None = None
    error: ServingError | None = None


@dataclass
class ModelState:
    entry: ModelEntry
    versions: dict[int, VersionState] = field(default_factory=dict)


Loader = Callable[[str, int, Path], "Servable"]


class ModelManager:
    """Thread-safe registry of loaded versions. Loading happens on the caller's thread.

    `labels_for_unavailable` is TF Serving's --allow_version_labels_for_unavailable_models.
    """

    def __init__(
        self,
        loader: Loader,
        on_load: Callable[[Servable], None] | None = None,
        labels_for_unavailable: bool = False,
    ) -> None:
        self._loader = loader
        self._on_load = on_load
        self._labels_for_unavailable = labels_for_unavailable
        self._models: dict[str, ModelState] = {}
        self._retired: dict[str, ModelState] = {}  # removed by a reload; status only
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()  # one sync at a time

    # -- configuration -----------------------------------------------------------------
    def set_config(self, entries: list[ModelEntry]) -> None:
        """Replace the model list (TF Serving replaces, never merges) and sync now.

        Changing nothing: INVALID_ARGUMENT when a model is listed twice, FAILED_PRECONDITION
        when a version label names a version that is not AVAILABLE (see `_check_labels`).
        """
        with self._lock:
            self.validate(entries)
            kept = {}
            for e in entries:
                old = self._models.get(e.name) or self._retired.pop(e.name, None)
                kept[e.name] = ModelState(e, old.versions if old else {})
            removed = [m for name, m in self._models.items() if name not in kept]
            self._models = kept
            # TF Serving's ServableStateMonitor remembers a removed model's versions
            # (END), and GetModelStatus keeps reporting them.
            self._retired.update((m.entry.name, m) for m in removed)
        for m in removed:
            self._unload_all(m)
        self.sync()

    def validate(self, entries: list[ModelEntry]) -> None:
        """What ServerCore::ReloadConfig checks before it changes anything: each model
        listed once (INVALID_ARGUMENT), version labels (FAILED_PRECONDITION)."""
        names = [e.name for e in entries]
        for name in names:
            if names.count(name) > 1:
                raise invalid_argument(
                    f"Illegal to list model {name} multiple times in config list"
                )
        with self._lock:
            self._check_labels(entries)

    def _check_labels(self, entries: list[ModelEntry]) -> None:
        """server_core.cc UpdateModelVersionLabelMap, which runs before the new models load.

        A label may only name an AVAILABLE version, so at start-up (nothing loaded yet)
        any label is refused. With labels_for_unavailable, a label that is new, or that
        keeps its version, may name any version; moving a label still needs AVAILABLE.
        """
        for e in entries:
            old = self._models.get(e.name)
            for label, version in sorted(e.labels.items()):
                if self._labels_for_unavailable:
                    existing = old.entry.labels.get(label) if old is not None else None
                    if existing is None or existing == version:
                        continue
                vs = old.versions.get(version) if old is not None else None
                if vs is None or vs.state != State.AVAILABLE:
                    raise ServingError(
                        Code.FAILED_PRECONDITION,
                        f"Request to assign label to version {version} of model {e.name}, "
                        "which is not currently available for inference",
                    )

    def entries(self) -> list[ModelEntry]:
        with self._lock:
            return [m.entry for m in self._models.values()]

    # -- polling -----------------------------------------------------------------------
    def sync(self) -> bool:
        """Load versions the policy wants and unload the ones it no longer wants; whether
        it loaded or unloaded any."""
        changed = False
        with self._sync_lock:
            with self._lock:
                models = list(self._models.values())
            for m in models:
                wanted = set(m.entry.served_versions())
                for v in sorted(wanted):
                    vs = m.versions.get(v)
                    if vs is None or (vs.state == State.END and vs.error is None):
                        self._load(m, v)
                        changed = True
                for v, vs in list(m.versions.items()):
                    if v not in wanted and vs.state == State.AVAILABLE:
                        self._unload(m, v)
                        changed = True
                    elif v not in wanted and vs.state == State.END and vs.error is not None:
                        # A failed version that left the disk is forgotten, so it can retry.
                        with self._lock:
                            m.versions.pop(v, None)
        return changed

    def _load(self, m: ModelState, version: int) -> None:
        path = m.entry.version_path(version)
        with self._lock:
            m.versions[version] = VersionState(State.LOADING)
        log.info("loading %s version %d from %s", m.entry.name, version, path)
        try:
            servable = self._loader(m.entry.name, version, path)
            if self._on_load is not None:
                self._on_load(servable)
        except ServingError as e:
            log.error("loading %s version %d failed: %s", m.entry.name, version, e)
            with self._lock:
                m.versions[version] = VersionState(State.END, error=e)
            return
        with self._lock:
            m.versions[version] = VersionState(State.AVAILABLE, servable)
        log.info("%s version %d is AVAILABLE", m.entry.name, version)

    def _unload(self, m: ModelState, version: int) -> None:
        with self._lock:
            vs = m.versions.get(version)
            if vs is None:
                return
            vs.state = State.UNLOADING
            # In-flight requests hold their own reference; the session closes when
            # the last one drops it, so an unload never fails a running request.
            vs.servable = None
            vs.state = State.END
        log.info("unloaded %s version %d", m.entry.name, version)

    def _unload_all(self, m: ModelState) -> None:
        for v in list(m.versions):
            self._unload(m, v)

    # -- lookups -----------------------------------------------------------------------
    def get(self, spec: model_pb2.ModelSpec) -> Servable:
        """The AVAILABLE servable for a ModelSpec, resolved as ServerCore does."""
        if not spec.name:
            raise invalid_argument("Missing model name in request.")
        with self._lock:
            m = self._models.get(spec.name)
            wanted = model_config.requested_version(m.entry if m else None, spec)
            if m is None:
                raise model_config.servable_not_found(spec.name, wanted)
            available = sorted(v for v, vs in m.versions.items() if vs.state == State.AVAILABLE)
            version = model_config.pick_version(spec.name, wanted, available)
            servable = m.versions[version].servable
            assert servable is not None  # AVAILABLE always carries its servable
            return servable

    def status(self, spec: model_pb2.ModelSpec) -> list[tuple[int, VersionState]]:
        """GetModelStatus: the versions of a model, or one version."""
        if not spec.name:
            raise invalid_argument("Missing model name in request.")
        with self._lock:
            m = self._models.get(spec.name) or self._retired.get(spec.name)
            if m is None or not m.versions:
                raise not_found(f"Could not find any versions of model {spec.name}")
            version = model_config.requested_version(m.entry, spec)
            if version is not None:
                vs = m.versions.get(version)
                if vs is None:
                    raise not_found(f"Could not find version {version} of model {spec.name}")
                return [(version, vs)]
            return sorted(m.versions.items(), reverse=True)


def check_entries(entries: list[ModelEntry], source: str) -> None:
    """A config names base paths that exist; else one clear error naming the file."""
    from tfinterop.serving.errors import ToolError

    for e in entries:
        if not e.base_path.is_dir():
            raise ToolError(
                f"model config {source}: base_path {e.base_path} of model {e.name!r} does not exist"
            )
