"""Bring your own SavedModel: verify end to end with every client, doctor, warmup."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.byo.models import build_module_model, build_string_asset_model, build_tf1_examples_model

ROOT = Path(__file__).resolve().parents[2]
ALL_CLIENTS = ("python", "go", "java", "cpp")


def _tfinterop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("byo")
    build_tf1_examples_model(root / "tf1_examples" / "1")
    build_module_model(root / "module_scorer" / "1")
    (root / "work").mkdir()
    build_string_asset_model(root / "string_asset", root / "work")
    return {
        "tf1_examples": root / "tf1_examples",
        "module_scorer": root / "module_scorer",
        "string_asset": root / "string_asset",
    }


GOOD = ("tf1_examples", "module_scorer", "string_asset")


@pytest.fixture(scope="module")
def verified(
    models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One verify run over the three good models and a copy of the Keras-3 seed export
    (one server, one client run per mode: the costly part is paid once)."""
    seed = ROOT / "build" / "models" / "mnist_seed"
    if not seed.exists():
        pytest.fail("run `make export` first")
    copy = tmp_path_factory.mktemp("seed") / "seed_copy"
    shutil.copytree(seed, copy)
    build = tmp_path_factory.mktemp("verify")
    args = ["verify", "--build", str(build)]
    for folder in [*(models[n] for n in GOOD), copy]:
        args += ["--saved-model", str(folder)]
    return _tfinterop(*args), build


@pytest.mark.parametrize("name", GOOD)
def test_verify_passes_with_every_client(
    verified: tuple[subprocess.CompletedProcess[str], Path], name: str
) -> None:
    r, build = verified
    assert f"verify {name}: PASS" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
    rows = json.loads((build / "report" / f"verify-{name}" / "interop.json").read_text())
    assert {row["client"] for row in rows} == set(ALL_CLIENTS), (
        "every client must be built and judged"
    )
    assert {row["mode"] for row in rows} == {"inproc", "grpc", "rest"}
    assert all(row["status"] == "pass" for row in rows)


def test_verify_fails_when_a_row_fails(
    verified: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    r, _ = verified
    assert r.returncode == 1
    assert "verify seed_copy: FAIL" in r.stdout


def test_tf1_classify_and_regress_are_recorded(models: dict[str, Path], tmp_path: Path) -> None:
    r = _tfinterop("record", "--saved-model", str(models["tf1_examples"]), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    apis = {
        c["api"]
        for c in json.loads((tmp_path / "cases" / "tf1_examples" / "manifest.json").read_text())[
            "cases"
        ]
    }
    assert {"classify", "regress", "predict", "metadata"} <= apis


def test_doctor_names_the_keras_save_problem_and_fix() -> None:
    r = _tfinterop("doctor", "--saved-model", str(ROOT / "build" / "models" / "mnist_seed"))
    assert r.returncode == 1
    assert "Could not find variable" in r.stdout
    assert "model.export" in r.stdout


def test_doctor_passes_a_good_model_and_explains_inputs(models: dict[str, Path]) -> None:
    r = _tfinterop("doctor", "--saved-model", str(models["module_scorer"]))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    assert "C API (TF_LoadSessionFromSavedModel + TF_SessionRun): ok" in r.stdout


def test_doctor_flags_py_function(tmp_path: Path) -> None:
    code = (
        "import tensorflow as tf\n"
        "class M(tf.Module):\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name='x')])\n"
        "  def f(self, x):\n"
        "    return {'y': tf.py_function(lambda v: v * 2, [x], tf.float32)}\n"
        "m = M()\n"
        f"tf.saved_model.save(m, {str(tmp_path / 'py' / '1')!r}, signatures={{'serving_default': m.f}})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=300)
    r = _tfinterop("doctor", "--saved-model", str(tmp_path / "py"))
    assert r.returncode == 1
    assert "tf.py_function" in r.stdout


def test_warmup_file_is_written_and_replayed_by_the_server(
    models: dict[str, Path], tmp_path: Path
) -> None:
    from tfinterop.server_process import bundled_server

    r = _tfinterop(
        "record", "--saved-model", str(models["module_scorer"]), "--out", str(tmp_path), "--warmup"
    )
    assert r.returncode == 0, r.stderr[-2000:]
    warmup = (
        tmp_path / "models" / "module_scorer" / "1" / "assets.extra" / "tf_serving_warmup_requests"
    )
    assert warmup.stat().st_size > 0
    log = tmp_path / "server.log"
    with bundled_server(tmp_path / "models" / "models.config", ["module_scorer"], log):
        pass
    # One warmup record per predict signature (serving_default and score_again).
    assert "replayed 2 warmup requests" in log.read_text()
    shutil.rmtree(tmp_path / "models")
