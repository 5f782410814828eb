"""`doctor --fix OUT`: a repaired copy of a Keras 3 `tf.saved_model.save` export.

Such an export runs in Python (tf.saved_model.load restores the variables through
Keras' object graph) but not in any session loader: its MetaGraph restores them
under names the graph does not read ("Could not find variable",
keras-team/keras#19274). Saving the loaded object again with its signatures
writes a SavedModel whose graph and checkpoint agree, without the training code.
The copy goes to OUT/<version>/ (the version doctor examined), written under a
temporary name and renamed; the user's folder is only read.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tfinterop.serving.errors import ServingError, ToolError
from tfinterop.util import atomic

if TYPE_CHECKING:
    from tfinterop.byo.doctor import Diagnosis

EXTRA = "assets.extra"  # TF Serving's warmup file lives here; tf.saved_model.save does not copy it


def check_out(out: Path, source: Path) -> None:
    """ToolError unless OUT is a new or empty folder outside the model's folder."""
    out_r, src_r = out.resolve(), source.resolve()
    if out_r == src_r or out_r.is_relative_to(src_r):
        raise ToolError(
            f"--fix {out} lies inside the model folder {source}, which doctor never writes to; "
            "name a folder outside it"
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ToolError(f"--fix {out} exists and is not an empty folder; name a new one")


def write_copy(model_dir: Path, target: Path) -> None:
    """Load `model_dir` with tf.saved_model.load and save it into `target` with its signatures."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(model_dir), tags=["serve"])
    tf.saved_model.save(loaded, str(target), signatures=dict(loaded.signatures))
    if (model_dir / EXTRA).is_dir():
        shutil.copytree(model_dir / EXTRA, target / EXTRA)


def repair(d: Diagnosis, out: Path) -> tuple[list[str], bool]:
    """Write the copy, then show it answers as the original in Python and runs through the
    C API on doctor's inputs. The report lines, and whether the copy holds up."""
    from tfinterop.byo import capi, doctor
    from tfinterop.client.object_servable import ObjectServable

    target = out / str(d.version)
    with atomic.staged_dir(target) as tmp:
        write_copy(d.model_dir, tmp)
    lines = [f"Repaired copy: {target} (tf.saved_model.load, then tf.saved_model.save)"]
    ok = True
    keys = sorted(k for k, o in d.python.items() if o.ok)
    try:
        copy = ObjectServable("doctor-fix", d.version, target)
        session = capi.Session(target)
    except ServingError as e:
        return [*lines, f"PROBLEM: the copy does not load: {e.code.name}: {e.message}"], False
    with session:
        for key in keys:
            arrays = d.feeds[key].arrays or {}
            fetch = d.fetches[key]
            original = d.python[key].outputs or {}
            try:
                again = copy.run(key, arrays, fetch)
            except ServingError as e:
                lines.append(f"  {key!r}: the copy fails in Python: {e.code.name}: {e.message}")
                ok = False
                continue
            same = all(_close(original[a], again[a]) for a in fetch)
            shown = doctor.differences({a: original[a] for a in fetch}, again)
            c = doctor.run_capi(session, copy.meta_graph.signature_def[key], arrays, fetch)
            ok &= same and c.ok
            answers = "answers as the original" if same else "answers NOT as the original"
            through = "runs through the C API" if c.ok else f"C API FAILED ({c.error})"
            lines.append(f"  {key!r}: the copy {answers} in Python ({shown}); {through}")
    if ok:
        lines.append(f"The copy is servable. Next: tfinterop verify --saved-model {out}")
    else:
        lines.append(f"PROBLEM: the copy in {target} does not answer as the original; see above")
    return lines, ok


def _close(want: np.ndarray, got: np.ndarray) -> bool:
    """Equal up to float rounding: the copy runs the same kernels on the same weights."""
    from tfinterop.byo.doctor import max_abs_difference

    gap = max_abs_difference(want, got)
    if gap is None:
        return False
    if want.dtype.kind in "OSUb" or want.size == 0:
        return gap == 0
    return gap <= 1e-6 * (1.0 + float(np.max(np.abs(want))))
