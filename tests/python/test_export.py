"""`tfinterop export`: deterministic, atomic, clear about bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfinterop.harness import registry

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
PYTHON_CLIENT = "tfinterop-python"  # the Python client's own command (docs/CONTRACT.md)


def _tfinterop(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def second_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BUILD / "cases" / "mnist" / "manifest.json").exists():
        pytest.fail("run `make export` first: build/cases/mnist is missing")
    out = tmp_path_factory.mktemp("export")
    r = _tfinterop("export", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_second_export_gives_byte_identical_cases(second_export: Path) -> None:
    for model in ("mnist", "mnist_seed"):
        assert _digest(second_export / "cases" / model) == _digest(BUILD / "cases" / model), model


def test_export_writes_both_versions_and_config(second_export: Path) -> None:
    for v in ("1", "2"):
        assert (second_export / "models" / "mnist" / v / "saved_model.pb").exists()
    config = (second_export / "models" / "models.config").read_text()
    assert 'name: "mnist"' in config and 'key: "stable"' in config


def test_export_leaves_no_temporary_folders(second_export: Path) -> None:
    assert not [p for p in (second_export / "models").iterdir() if p.name.startswith(".")]


def test_seed_exporter_model_loads_and_runs_in_python(second_export: Path) -> None:
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(second_export / "models" / "mnist_seed" / "1"))
    fn = loaded.signatures["serving_default"]
    (key,) = fn.structured_input_signature[1]
    out = fn(**{key: tf.zeros((1, 28, 28))})
    assert np.asarray(next(iter(out.values()))).shape == (1, 10)


def test_accuracy_is_printed(second_export: Path) -> None:
    # The module fixture's run printed it; run a fast check on the recorded models instead.
    import json

    producer = json.loads((second_export / "cases" / "mnist" / "manifest.json").read_text())[
        "producer"
    ]
    assert producer["dataset"] in ("mnist", "digits") and producer["tensorflow"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["export", "--dataset", "cifar"], 2, "unknown --dataset"),
        (["export", "--out", "/proc/forbidden"], 1, "cannot create"),
        (
            [
                PYTHON_CLIENT,
                "run",
                "--mode",
                "inproc",
                "--cases",
                "/no/such/cases",
                "--out",
                "/tmp",
            ],
            1,
            "cannot read",
        ),
        (["serve", "--model_config_file", "/no/such.config"], 1, "cannot read model config"),
        (["serve", "--model_base_path", "/no/such/model"], 1, "does not exist"),
    ],
    ids=[
        "unknown-dataset",
        "unwritable-out",
        "missing-cases",
        "missing-config",
        "missing-base-path",
    ],
)
def test_bad_input_gives_one_line_and_no_traceback(args: list[str], code: int, needle: str) -> None:
    if args[0] == PYTHON_CLIENT:
        r = subprocess.run(
            registry.client("python").argv(ROOT, *args[1:]),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    else:
        r = _tfinterop(*args)
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr
    assert needle in r.stderr


HALF = "build/models/half_plus_two"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--dataset", "cifar"],
        ["export", "--exporter", "nope"],
        ["export", "--out", "/proc/forbidden"],
        ["doctor", "--saved-model", "/no/such/model"],
        ["record", "--saved-model", "build/models"],  # a folder, but no SavedModel in it
        ["verify", "--saved-model", "/no/such/model"],
        ["verify", "--saved-model", HALF, "--target", "127.0.0.1:8500"],
        ["verify", "--saved-model", HALF, "--clients", "go,rust"],
        ["verify", "--saved-model", HALF, "--op-library", "/no/such.so"],
        ["diff", "--saved-model", HALF, "--against", "/no/such/model"],
        ["judge", "--cases", "build/cases", "--results", "build", "--modes", "pigeon"],
        ["interop", "--clients", "rust"],
    ],
    ids=[
        "export-dataset",
        "export-exporter",
        "export-out",
        "doctor-missing",
        "record-not-a-model",
        "verify-missing",
        "verify-target-without-rest",
        "verify-unknown-client",
        "verify-missing-op-library",
        "diff-missing-against",
        "judge-unknown-mode",
        "interop-unknown-client",
    ],
)
def test_bad_usage_is_refused_before_tensorflow_loads(args: list[str]) -> None:
    """A mistyped flag or path answers at once: the command checks it before TensorFlow's
    start-up (seconds), with the same one-line error it would give after."""
    probe = (
        "import sys\n"
        "from tfinterop.cli import main\n"
        f"code = main({args!r})\n"
        "print(code, 'tensorflow' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    code, loaded = r.stdout.split()
    assert code in ("1", "2", "3"), r.stderr  # diff's "cannot run" is 3
    assert r.stderr.startswith("tfinterop: ") and "Traceback" not in r.stderr, r.stderr
    assert loaded == "False", f"{args[0]} imported TensorFlow before refusing its arguments"


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--mode", "inproc", "--cases", "/no/such/cases", "--out", "/tmp"],
        [
            "bench",
            "--mode",
            "grpc",
            "--cases",
            "build/cases/mnist",
            "--case",
            "nope",
            "--requests",
            "1",
            "--concurrency",
            "1",
        ],
    ],
    ids=["run-missing-cases", "bench-unknown-case"],
)
def test_python_client_refuses_bad_usage_before_tensorflow_loads(args: list[str]) -> None:
    """The Python client reads the case set before it needs TF Serving's messages (whose
    modules import TensorFlow), so a wrong --cases or --case answers at once."""
    probe = (
        "import sys\n"
        "from tfinterop.client.cli import main\n"
        f"code = main({args!r})\n"
        "print(code, 'tensorflow' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    code, loaded = r.stdout.split()
    assert code in ("1", "2"), r.stderr
    assert r.stderr.startswith("tfinterop-python: ") and "Traceback" not in r.stderr, r.stderr
    assert loaded == "False", f"{args[0]} imported TensorFlow before refusing its arguments"


def test_the_interop_runner_starts_a_server_and_judges_nothing_with_tensorflow(
    tmp_path: Path,
) -> None:
    """`tfinterop interop` runs no model itself: it waits for the bundled server over REST
    and reads TensorFlow's version from its distribution, so its process never imports
    TensorFlow (the server and the clients do, in theirs)."""
    args = ["interop", "--clients", "python", "--modes", "grpc"]
    args += ["--cases", "build/cases/half_plus_two", "--out", str(tmp_path)]
    probe = (
        "import sys\n"
        "from tfinterop.cli import main\n"
        f"code = main({args!r})\n"
        "print(code, 'tensorflow' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    code, loaded = r.stdout.split()[-2:]
    assert code == "0", r.stderr[-2000:]
    assert loaded == "False", "the interop runner imported TensorFlow"
    assert json.loads((tmp_path / "server.json").read_text())["tensorflow"]
