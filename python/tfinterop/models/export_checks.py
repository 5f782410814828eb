"""What `tfinterop export` checks before it trains: the exporters, the data set and the
output folder. A light module (no TensorFlow), so the CLI answers a typo in under a
second instead of after TensorFlow's multi-second import.
"""

from __future__ import annotations

import os
from pathlib import Path

from tfinterop.models import data
from tfinterop.serving.errors import ToolError, UsageError

EXPORTERS = ("keras", "seed")


def check(out: Path, dataset: str, exporters: tuple[str, ...] | list[str]) -> Path:
    """UsageError for an unknown exporter or data set, ToolError for an output folder that
    cannot be made or written; returns the models folder (made)."""
    for exporter in exporters:
        if exporter not in EXPORTERS:
            raise UsageError(f"unknown --exporter {exporter!r}; choose from {', '.join(EXPORTERS)}")
    data.check_choice(dataset)
    models_dir = out / "models"
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ToolError(f"cannot create {models_dir}: {e.strerror or e}") from None
    if not os.access(models_dir, os.W_OK | os.X_OK):
        raise ToolError(f"output folder {models_dir} is not writable")
    return models_dir
