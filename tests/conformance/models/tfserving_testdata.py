"""(being written) Generator of conformance models; see tests/conformance/models/__init__.py."""

from __future__ import annotations

from pathlib import Path

from tfinterop import model_config


def build(root: Path) -> list[model_config.ModelEntry]:
    """Write this generator's models under root; return their config entries."""
    return []
