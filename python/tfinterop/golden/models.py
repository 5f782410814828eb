"""ModelSpec -> loaded version, by TF Serving's ServerCore rules (server_core.cc).

ServableRequestFromModelSpec: an empty name is INVALID_ARGUMENT ("ModelSpec has
no name specified."); a version label is looked up in the model's
version_labels first, so an unknown label is INVALID_ARGUMENT even for a model
that is not configured ("Unrecognized servable version label: ..."); then the
manager has the servable or not: an unknown model or version is NOT_FOUND
("Servable not found for request: ..."). No version means the highest version
the model's version policy serves. The config file and the version folders are
read with tfinterop.model_config, the same file TF Serving would be given.
"""

from __future__ import annotations

from pathlib import Path

from tensorflow_serving.apis import model_pb2

from tfinterop.golden.savedmodel import GoldenError, Version
from tfinterop.serving import model_config, op_libraries
from tfinterop.serving.errors import Code, ServingError, invalid_argument, not_found


class Models:
    """The models of one config file, each version loaded on first use.

    `own_ops` are the ops of the op libraries this set of models is given; an op some
    other library registered in this process is one these models' runtime lacks.
    """

    def __init__(self, config: Path, own_ops: frozenset[str] = frozenset()) -> None:
        self._entries = {e.name: e for e in model_config.parse_config(config)}
        self._loaded: dict[tuple[str, int], Version] = {}
        self._own_ops = own_ops

    def get(self, spec: model_pb2.ModelSpec) -> Version:
        """The version `spec` names, or ServingError with TF Serving's code."""
        if not spec.name:
            raise invalid_argument("ModelSpec has no name specified.")
        entry = self._entries.get(spec.name)
        which = spec.WhichOneof("version_choice")
        wanted: int | None = None
        if which == "version_label":
            if entry is None or spec.version_label not in entry.labels:
                raise invalid_argument(f"Unrecognized servable version label: {spec.version_label}")
            wanted = entry.labels[spec.version_label]
        elif which == "version":
            wanted = int(spec.version.value)
        request = f"Latest({spec.name})" if wanted is None else f"Specific({spec.name}, {wanted})"
        if entry is None:
            raise not_found(f"Servable not found for request: {request}")
        served = entry.served_versions()
        if wanted is None:
            if not served:
                raise not_found(f"Servable not found for request: {request}")
            wanted = served[-1]
        elif wanted not in served:
            raise not_found(f"Servable not found for request: {request}")
        return self._load(entry.name, wanted, entry.version_path(wanted))

    def _load(self, name: str, version: int, path: Path) -> Version:
        key = (name, version)
        if key not in self._loaded:
            unavailable = op_libraries.library_ops() - self._own_ops
            try:
                self._loaded[key] = Version(name, version, path, unavailable)
            except ServingError as e:
                if e.code == Code.NOT_FOUND:
                    # A load failing with NOT_FOUND (an op the runtime lacks: "Op type not
                    # registered"): in-process loaders answer just that, and TF Serving's
                    # version never becomes available ("Servable not found"): one code.
                    raise
                # TF Serving would report the version unavailable; Python cannot load it,
                # so no golden can say what the model computes.
                raise GoldenError(
                    f"{name} version {version}: tf.saved_model.load fails: {e.message}"
                ) from None
        return self._loaded[key]
