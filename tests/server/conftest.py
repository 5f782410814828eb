"""A bundled server on free ports over copies of the exported models, stopped at exit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.models import build_tf1_examples_model
from tfinterop.harness.server_process import RunningServer, bundled_server
from tfinterop.serving import model_config

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


def copy_mnist(dest: Path, versions: tuple[int, ...] = (1, 2)) -> Path:
    src = BUILD / "models" / "mnist"
    if not src.exists():
        pytest.fail("run `make export` first: build/models/mnist is missing")
    for v in versions:
        shutil.copytree(src / str(v), dest / str(v))
    return dest


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder holding copies of the models: the server needs nothing else."""
    root = tmp_path_factory.mktemp("served")
    copy_mnist(root / "mnist")
    build_tf1_examples_model(root / "examples" / "1")
    return root


@pytest.fixture(scope="session")
def server(model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("server")
    config = tmp / "models.config"
    config.write_text(
        model_config.render_config(
            [
                model_config.ModelEntry(
                    "mnist", model_root / "mnist", policy="all", labels={"stable": 1, "canary": 2}
                ),
                model_config.ModelEntry("examples", model_root / "examples"),
            ]
        )
    )
    monitoring = tmp / "monitoring.config"
    monitoring.write_text(
        'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }\n'
    )
    with bundled_server(
        config,
        ["mnist", "examples"],
        tmp / "server.log",
        extra=[f"--monitoring_config_file={monitoring}"],
    ) as s:
        yield s
