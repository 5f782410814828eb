"""SavedModels built by the tests, not by the project's zoo: what users bring.

`KINDS` says what each model is and what doctor must say about it; `built()`
puts every kind on disk once (build/byo/models/<kind>/1/) and returns the base
folders. The builders live in tests/byo/build_models.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.byo import build_models
from tests.byo.build_models import build_module_model, build_string_asset_model
from tests.server import models as server_models
from tests.server.models import build_tf1_examples_model
from tfinterop.harness import registry
from tfinterop.util import atomic

__all__ = [
    "KINDS",
    "Kind",
    "build_module_model",
    "build_string_asset_model",
    "build_tf1_examples_model",
    "built",
]

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "build" / "byo" / "models"
STAMP = ".stamp"
CLIENTS = registry.names()
MODES = registry.MODES


@dataclass(frozen=True)
class Kind:
    """One kind of export: a healthy one must pass doctor and verify; an unhealthy one
    must make doctor print `problem`.

    `limits`: the (client, mode) pairs whose client cannot carry one of its dtypes; their
    rows fail unless the user declares them (`verify --expect`). `serving_refuses`: the
    modes where TF Serving itself refuses one of its dtypes, for every client; the recorded
    cases expect that refusal (`transport_errors`), so those rows pass, untested over that
    mode. Doctor should warn about both."""

    name: str
    description: str
    healthy: bool = True
    problem: str | None = None
    limits: tuple[tuple[str, str], ...] = ()
    serving_refuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.healthy != (self.problem is None):
            raise ValueError(f"{self.name}: a problem is stated exactly when it is unhealthy")
        for client, mode in self.limits:
            if client not in CLIENTS or mode not in MODES:
                raise ValueError(f"{self.name}: unknown client/mode {client}/{mode}")
        if not set(self.serving_refuses) <= set(MODES):
            raise ValueError(f"{self.name}: unknown mode in {self.serving_refuses}")


# TF Java 1.1.0 registers no int8 tensor class: its in-process run answers UNIMPLEMENTED
# (docs/clients/java.md "What it cannot carry").
_JAVA_INPROC_HAS_NO_INT8 = (("java", "inproc"),)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "two_tower",
            "Keras 3 functional two-tower model (user_features float32 [?,4], item_id int32 [?] "
            "through an Embedding, dot product), model.export",
        ),
        Kind(
            "string_lookup",
            "Keras 3 string classifier: StringLookup over a vocabulary file asset -> Embedding "
            "-> Dense softmax, string input [?], model.export",
        ),
        Kind(
            "conv_gru",
            "Keras 3 Conv1D + GRU sequence classifier over float32 [?,?,8] (dynamic time), "
            "model.export",
        ),
        Kind(
            "archive_topk",
            "keras.export.ExportArchive endpoint 'top_k': int64 top-3 indices, string labels "
            "(tf.gather of a constant table) and float32 scores",
        ),
        Kind(
            "tf1_examples",
            "TF1 SavedModelBuilder classifier over serialized tf.Example: classify, regress and "
            "a predict signature",
        ),
        Kind(
            "non_default_only",
            "tf.Module whose only signature is 'scores' (no serving_default)",
        ),
        Kind(
            "two_signatures",
            "tf.Module with serving_default (float32 x) and 'embed' (int64 token ids [?,?] -> "
            "float32 embedding, int32 length)",
        ),
        Kind(
            "quantized_dtypes",
            "tf.Module over quantized data: int8 activations, uint16 counts, float64 gain in; "
            "float64 value and int8 requantized out",
            limits=_JAVA_INPROC_HAS_NO_INT8,
            # TF Serving's REST codec (util/json_tensor.cc AddValueToTensor) has no case for
            # DT_UINT16: "Conversion of JSON Value: 2 to type: uint16", 501 for "inputs".
            serving_refuses=("rest",),
        ),
        Kind(
            "scalar_fixed",
            "tf.Module with a scalar float32 input (shape []) and a fixed-batch float32 [4,3] "
            "input",
        ),
        Kind(
            "seed_keras_save",
            "the seed article's export: keras.Sequential (784 -> 16 -> 10) saved with "
            "tf.saved_model.save under Keras 3, which session loaders cannot run",
            healthy=False,
            problem="Could not find variable",
        ),
        Kind(
            "module_scorer",
            "tf.Module with two signatures on one function (float32 [?,3], int32 [?] -> "
            "float32 score, bool positive)",
        ),
        Kind(
            "string_asset",
            "tf.Module label lookup through a StaticHashTable over a text-file asset (string in; "
            "int64 id, string out)",
        ),
    )
}


def _digest() -> str:
    """The builders' source and the TensorFlow/Keras that run them (read without importing)."""
    h = hashlib.sha256()
    for source in (Path(build_models.__file__), Path(server_models.__file__)):
        h.update(source.read_bytes())
    for dist in ("tensorflow", "keras"):
        h.update(f"{dist}=={importlib.metadata.version(dist)}\n".encode())
    return h.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Test processes of several people share build/: one builds, the others wait for it.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fresh(out: Path, digest: str) -> bool:
    stamp = out / STAMP
    return (
        stamp.exists()
        and stamp.read_text() == digest
        and all((out / name / "1" / "saved_model.pb").exists() for name in KINDS)
    )


def built(out: Path = MODELS) -> dict[str, Path]:
    """Every kind's base folder (out/<kind>, version 1 inside), built in one subprocess
    when the stamp is stale. RuntimeError with the builder's output when it fails."""
    missing = sorted(set(KINDS) ^ set(build_models.BUILDERS))
    if missing:
        raise RuntimeError(f"KINDS and build_models.BUILDERS disagree on {missing}")
    digest = _digest()
    with _locked(out.parent / f".{out.name}.lock"):
        if not _fresh(out, digest):
            with atomic.staged_dir(out) as tmp:
                env = {**os.environ, "PYTHONHASHSEED": "0"}
                env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
                r = subprocess.run(
                    [sys.executable, "-m", "tests.byo.build_models", str(tmp)],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                if r.returncode != 0:
                    raise RuntimeError(
                        f"building the byo models failed (exit {r.returncode}):\n"
                        f"{r.stdout[-2000:]}{r.stderr[-4000:]}"
                    )
                atomic.write_text(tmp / STAMP, digest)
    return {name: out / name for name in KINDS}
