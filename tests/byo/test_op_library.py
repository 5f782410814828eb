"""A team's own custom-op model (not the zoo's): doctor names the op and the flag, record refuses it
without the library, verify --op-library passes in every client and mode; and doctor's advice on
tf.py_function. All through the command line, which must print no TensorFlow lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tfinterop.harness import registry

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "build" / "ops" / "libtfi_ops.so"
# TensorFlow's own lines, by the shapes that leaked before (absl prefixes, and the rest of a
# multi-line message: Grappler's MLIR import, a missing kernel's lists).
TF_LINES = re.compile(
    r"^[IWE]\d{4} \d\d:\d\d:|GrapplerHook|While importing function|Registered kernels|"
    r"absl::InitializeLog|cuInit|cpu_feature_guard",
    re.M,
)


def _tfinterop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _save(code: str) -> None:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.fixture(scope="module")
def affine_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A team's model over the repository's TfiAffine kernel, with attributes the zoo's
    custom_op does not use, over int32 and float32, saved as a versioned base folder."""
    if not LIBRARY.exists():
        pytest.fail("run `make ops` (or `make export`) first: build/ops/libtfi_ops.so is missing")
    base = tmp_path_factory.mktemp("team") / "team_affine"
    _save(
        "import tensorflow as tf\n"
        f"ops = tf.load_op_library({str(LIBRARY)!r})\n"
        "class Team(tf.Module):\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name='count')])\n"
        "  def counts(self, count):\n"
        "    return {'shifted': ops.tfi_affine(count, a=-2.0, b=7.0)}\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name='v')])\n"
        "  def scale(self, v):\n"
        "    return {'w': ops.tfi_affine(tf.abs(v), a=0.25, b=-1.0) + 1.0}\n"
        "m = Team()\n"
        f"tf.saved_model.save(m, {str(base / '1')!r}, "
        "signatures={'serving_default': m.scale, 'counts': m.counts})\n"
    )
    return base


def test_doctor_names_the_op_and_the_flag_without_tensorflow_lines(affine_model: Path) -> None:
    r = _tfinterop("doctor", "--saved-model", str(affine_model))
    assert r.returncode == 1, r.stdout + r.stderr
    problems = [ln for ln in r.stdout.splitlines() if ln.startswith("PROBLEM")]
    assert "TfiAffine" in problems[0] and "--op-library PATH" in problems[0], r.stdout
    assert "serve --op_library=PATH" in problems[0]
    assert TF_LINES.search(r.stdout + r.stderr) is None, r.stderr


def test_doctor_with_the_library_runs_both_runtimes_and_names_it(affine_model: Path) -> None:
    r = _tfinterop("doctor", "--saved-model", str(affine_model), "--op-library", str(LIBRARY))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Python ok; C API ok, outputs equal to Python's" in r.stdout
    assert f"TfiAffine comes from {LIBRARY}" in r.stdout
    assert f"--op-library {LIBRARY}" in r.stdout.splitlines()[-1]  # the next command
    assert TF_LINES.search(r.stdout + r.stderr) is None, r.stderr


def test_record_without_the_library_says_which_flag_supplies_it(
    affine_model: Path, tmp_path: Path
) -> None:
    r = _tfinterop("record", "--saved-model", str(affine_model), "--out", str(tmp_path))
    assert r.returncode == 1
    assert "TfiAffine" in r.stderr and "--op-library PATH" in r.stderr
    assert not (tmp_path / "models").exists()  # nothing written


def test_verify_with_op_library_passes_in_every_client_and_mode(
    affine_model: Path, tmp_path: Path
) -> None:
    r = _tfinterop(
        "verify",
        "--saved-model",
        str(affine_model),
        "--op-library",
        str(LIBRARY),
        "--build",
        str(tmp_path),
        "--json",
        str(tmp_path / "rows.json"),
    )
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "verify team_affine: PASS" in r.stdout
    case_set = json.loads((tmp_path / "cases" / "team_affine" / "manifest.json").read_text())
    (listed,) = case_set["model"]["op_libraries"]
    assert (tmp_path / "cases" / "team_affine" / listed).resolve() == LIBRARY.resolve()
    rows = json.loads((tmp_path / "rows.json").read_text())["rows"]
    ran = {(row["client"], row["mode"]) for row in rows if row["status"] == "pass"}
    assert ran == {(c, m) for c in registry.names() for m in registry.MODES}
    # The bundled server took it from the case set (its --op_library).
    assert (
        f"loaded op library {LIBRARY.resolve()}"
        in (tmp_path / "results" / "server.log").read_text()
    )
    assert TF_LINES.search(r.stdout + r.stderr) is None, r.stderr[-3000:]


def test_verify_refuses_a_missing_op_library_before_writing(
    affine_model: Path, tmp_path: Path
) -> None:
    r = _tfinterop(
        "verify",
        "--saved-model",
        str(affine_model),
        "--op-library",
        str(tmp_path / "libnope.so"),
        "--build",
        str(tmp_path / "build"),
    )
    assert r.returncode == 2, r.stderr
    assert "libnope.so does not exist" in r.stderr
    assert not (tmp_path / "build").exists()


def test_doctor_explains_py_function_and_what_to_write_instead(tmp_path: Path) -> None:
    _save(
        "import tensorflow as tf\n"
        "class M(tf.Module):\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name='x')])\n"
        "  def f(self, x):\n"
        "    y = tf.py_function(lambda v: v * 2, [x], tf.float32)\n"
        "    y.set_shape(x.shape)\n"
        "    return {'y': y}\n"
        "m = M()\n"
        f"tf.saved_model.save(m, {str(tmp_path / 'py' / '1')!r}, signatures={{'serving_default': m.f}})\n"
    )
    r = _tfinterop("doctor", "--saved-model", str(tmp_path / "py"))
    assert r.returncode == 1
    (problem,) = [ln for ln in r.stdout.splitlines() if ln.startswith("PROBLEM")]
    assert "tf.py_function" in problem and "no serving runtime can run it" in problem
    assert "No OpKernel was registered to support Op 'EagerPyFunc'" in problem
    assert "Could not find callback" in problem
    assert "TensorFlow ops" in problem and "custom op" in problem and "--op-library" in problem
    # Both runtimes fail, and doctor says why rather than blaming its own inputs.
    assert "calls Python (the problem above)" in r.stdout
    assert "refused doctor's inputs" not in r.stdout
    assert TF_LINES.search(r.stdout + r.stderr) is None, r.stderr
