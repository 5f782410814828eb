"""The custom-op library of the `custom_op` zoo model, compiled against the installed TensorFlow.

ops/tfi_affine.cc (op TfiAffine) becomes <build>/ops/libtfi_ops.so with the
compile and link flags `tf.sysconfig` gives for this wheel, as TensorFlow's
custom-op guide builds one. It is built when missing or older than its source
(`make ops`, and `tfinterop export` before it exports the zoo).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from tfinterop.serving.errors import ToolError

log = logging.getLogger(__name__)

# ops/ beside python/ in the checkout: python/tfinterop/models/ops.py -> the repository root.
SOURCE = Path(__file__).resolve().parents[3] / "ops" / "tfi_affine.cc"
LIBRARY = "libtfi_ops.so"
COMPILE_TIMEOUT_S = 300
# The kernel's own code is warning-free; TensorFlow's headers are not under -Wdeprecated.
CXXFLAGS = ("-shared", "-fPIC", "-O2", "-Wno-deprecated-declarations")


def library_path(ops_dir: Path) -> Path:
    return ops_dir / LIBRARY


def stale(library: Path, source: Path = SOURCE) -> bool:
    """Whether the library is missing or older than its source."""
    return not library.exists() or library.stat().st_mtime < source.stat().st_mtime


def build(ops_dir: Path, source: Path = SOURCE) -> Path:
    """ops_dir/libtfi_ops.so, compiled unless it is fresh; ToolError naming the compiler's
    complaint (or the missing compiler or source) when it cannot be built."""
    library = library_path(ops_dir)
    if not source.is_file():
        raise ToolError(
            f"{source} is missing: the custom op's kernel lives in the repository (ops/); "
            "export from a checkout to build it"
        )
    if not stale(library, source):
        return library
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise ToolError(
            "no C++ compiler for the custom op (set CXX, or apt-get install g++); "
            f"{library} is needed by the custom_op zoo model"
        )
    import tensorflow as tf

    ops_dir.mkdir(parents=True, exist_ok=True)
    # Compiled beside its final name and renamed: a reader never sees half a library.
    tmp = ops_dir / f".{LIBRARY}.tmp-{os.getpid()}"
    cmd = [
        compiler,
        *CXXFLAGS,
        *tf.sysconfig.get_compile_flags(),
        str(source),
        "-o",
        str(tmp),
        *tf.sysconfig.get_link_flags(),
    ]
    started = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        tmp.unlink(missing_ok=True)
        raise ToolError(f"compiling {source} with {compiler}: {e}") from None
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-15:])
        raise ToolError(f"compiling {source} failed (exit {r.returncode}):\n{tail}")
    tmp.replace(library)
    log.info("built %s in %.1fs", library, time.monotonic() - started)
    return library


def main(out: Path) -> int:
    """`tfinterop ops`: build <out>/ops/libtfi_ops.so when it is stale; prints its path."""
    print(build(out / "ops"), flush=True)
    return 0
