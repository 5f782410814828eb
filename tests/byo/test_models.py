"""The bring-your-own test models: KINDS and built() agree, and the healthy ones run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.byo import build_models
from tests.byo.models import KINDS, ROOT, built

# String inputs that the graph parses as serialized tf.Example (feature x: float [2]).
EXAMPLE_INPUTS = {("tf1_examples", "inputs"), ("tf1_examples", "examples")}


@pytest.fixture(scope="module")
def folders() -> dict[str, Path]:
    return built()


def test_every_kind_has_a_builder_and_a_versioned_saved_model(folders: dict[str, Path]) -> None:
    assert set(KINDS) == set(build_models.BUILDERS)
    assert set(folders) == set(KINDS)
    for name, base in folders.items():
        assert (base / "1" / "saved_model.pb").is_file(), name
        assert [p.name for p in base.iterdir()] == ["1"], f"{name}: one version folder only"


def test_only_the_seed_export_is_unhealthy() -> None:
    assert [k.name for k in KINDS.values() if not k.healthy] == ["seed_keras_save"]
    assert KINDS["seed_keras_save"].problem == "Could not find variable"


def test_a_warm_call_imports_no_tensorflow(folders: dict[str, Path]) -> None:
    code = (
        "import sys\n"
        "from tests.byo.models import built\n"
        "built()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr[-2000:]


def _examples(n: int) -> np.ndarray:
    import tensorflow as tf

    out = []
    for i in range(n):
        feature = tf.train.Feature(float_list=tf.train.FloatList(value=[float(i), 0.5]))
        ex = tf.train.Example(features=tf.train.Features(feature={"x": feature}))
        out.append(ex.SerializeToString())
    return np.array(out, dtype=object)


def _inputs(kind: str, fn: Any) -> dict[str, Any]:
    """A small batch for every input of a concrete function (batch 2, other dims 3)."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    feeds: dict[str, Any] = {}
    for alias, spec in fn.structured_input_signature[1].items():
        shape = [d if d is not None else (2 if i == 0 else 3) for i, d in enumerate(spec.shape)]
        if (kind, alias) in EXAMPLE_INPUTS:
            value = _examples(shape[0])
        elif spec.dtype == tf.string:
            value = np.array([b"red", b"banana", b"unknown"] * 4, dtype=object)[
                : int(np.prod(shape))
            ].reshape(shape)
        elif spec.dtype.is_floating:
            value = rng.uniform(0.5, 1.5, size=shape)
        else:  # ids and counts: small, inside every embedding table
            value = rng.integers(0, 10, size=shape)
        feeds[alias] = tf.constant(value, dtype=spec.dtype)
    return feeds


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_signature_runs_in_python(folders: dict[str, Path], kind: str) -> None:
    """Healthy or not: tf.saved_model.load runs them all (the seed export fails only in
    session-based loaders, which is what makes its pitfall a pitfall)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folders[kind] / "1"))
    assert loaded.signatures, kind
    for key, fn in loaded.signatures.items():
        feeds = _inputs(kind, fn)
        outputs = fn(**feeds)
        assert set(outputs) == set(fn.structured_outputs), f"{kind}/{key}"
        for alias, value in outputs.items():
            assert value.dtype == fn.structured_outputs[alias].dtype, f"{kind}/{key}/{alias}"
            assert fn.structured_outputs[alias].shape.is_compatible_with(value.shape)
