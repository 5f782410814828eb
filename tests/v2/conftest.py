"""A bundled server on free ports over the exported mnist, multi_io and text models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tfinterop.golden.cases import manifest
from tfinterop.harness.server_process import RunningServer, bundled_server
from tfinterop.serving import model_config

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
MODELS = ("mnist", "multi_io", "text")


@pytest.fixture(scope="session")
def cases() -> dict[str, manifest.Manifest]:
    found = {m: BUILD / "cases" / m for m in MODELS}
    lacking = [m for m, folder in found.items() if not (folder / "manifest.json").is_file()]
    if lacking:
        pytest.fail(f"run `make export` first: no case set for {', '.join(lacking)}")
    return {m: manifest.read(folder) for m, folder in found.items()}


@pytest.fixture(scope="session")
def server(
    cases: dict[str, manifest.Manifest], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """Only these models: every one loads, so the server is ready (v2 ServerReady)."""
    tmp = tmp_path_factory.mktemp("v2server")
    exported = model_config.parse_config(cases["mnist"].config_path)
    config = tmp / "models.config"
    config.write_text(model_config.render_config([e for e in exported if e.name in MODELS]))
    with bundled_server(config, list(MODELS), tmp / "server.log") as s:
        yield s
