"""A user's --saved-model folder, read as TF Serving reads a model's base path, without
TensorFlow: record, verify, doctor and diff check it here, and the command line does so
before it imports them, so a mistyped path answers in a fraction of a second rather than
after TensorFlow's several seconds of start-up."""

from __future__ import annotations

import re
from pathlib import Path

from tfinterop.serving import model_config
from tfinterop.serving.errors import ToolError


def is_saved_model(path: Path) -> bool:
    return (path / "saved_model.pb").exists() or (path / "saved_model.pbtxt").exists()


def model_versions(path: Path) -> tuple[dict[int, Path], bool]:
    """Version folders of `path`: itself (as version 1) when it is a SavedModel, else the
    children TF Serving reads as versions (`00000123` is 123) that hold a SavedModel."""
    if is_saved_model(path):
        return {1: path}, False
    versions = {v: p for v, p in model_config.version_folders(path).items() if is_saved_model(p)}
    return versions, True


def versions(
    given: Path, flag: str = "--saved-model", error: type[Exception] = ToolError
) -> tuple[dict[int, Path], bool]:
    """`model_versions` of the folder the user gave as `flag`; `error` (the command's kind
    of refusal) when it is missing or holds no SavedModel."""
    path = given.resolve()
    found, versioned = model_versions(path) if path.is_dir() else ({}, False)
    if not found:
        raise error(
            f"{flag} {given} holds no SavedModel (no saved_model.pb, no numbered version "
            "folders holding one)"
        )
    return found, versioned


def default_name(path: Path, versioned: bool) -> str:
    raw = path.name if versioned or not path.name.isdigit() else path.parent.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", raw) or "model"
