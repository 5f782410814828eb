"""Custom-op libraries: loaded into this process's TensorFlow once, before any model that needs them.

A model whose graph uses a custom op loads only where the op's kernel is
registered (docs/CONTRACT.md "Op libraries"). TF_LoadLibrary registers a
library's ops and kernels for the whole process and cannot undo it, so the
libraries loaded so far are process state whatever this module does; it keeps
their op names (the golden reference needs to know which ops a library, not
TensorFlow itself, registered) and loads each file once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinterop.serving.errors import Code, ServingError

# The process's loaded libraries (absolute path -> the ops it registered): a mirror of
# TensorFlow's own registry, which outlives any object here.
_LOADED: dict[Path, frozenset[str]] = {}


@dataclass(frozen=True)
class Loaded:
    """One library as loaded: its path and the op names it registered."""

    path: Path
    ops: frozenset[str]


def resolve(path: Path) -> Path:
    """The one spelling of a library path: absolute, `..` and `.` folded, symlinks kept
    (dlopen loads what the name names)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def load(path: Path) -> Loaded:
    """Register the library's ops and kernels in this process (a second call is free).

    ServingError with TensorFlow's code when it does not load: NOT_FOUND for a missing
    file or one that is not a shared object, TF_LoadLibrary's own status otherwise (a
    kernel built against another TensorFlow fails here or aborts the process, as
    TensorFlow's loader does).
    """
    key = resolve(path)
    if key in _LOADED:
        return Loaded(key, _LOADED[key])
    import tensorflow as tf
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session

    # tf.load_op_library's own first step, without the Python wrappers nobody here calls;
    # its op list is what the library registered.
    try:
        handle = pywrap_tf_session.TF_LoadLibrary(str(key))
    except tf.errors.OpError as e:
        raise ServingError(Code(e.error_code), f"loading op library {path}: {e.message}") from None
    try:
        ops = op_def_pb2.OpList.FromString(pywrap_tf_session.TF_GetOpList(handle))
    finally:
        pywrap_tf_session.TF_DeleteLibraryHandle(handle)
    names = frozenset(op.name for op in ops.op)
    _LOADED[key] = names
    return Loaded(key, names)


def load_all(paths: Iterable[Path]) -> dict[Path, Loaded | ServingError]:
    """Each library (by resolve()d path, in order) loaded, or the error it gave."""
    out: dict[Path, Loaded | ServingError] = {}
    for path in paths:
        key = resolve(path)
        if key in out:
            continue
        try:
            out[key] = load(key)
        except ServingError as e:
            out[key] = e
    return out


def first_error(
    paths: Iterable[Path], loaded: dict[Path, Loaded | ServingError]
) -> ServingError | None:
    """The first of `paths` that did not load (load_all's result), or None."""
    for path in paths:
        got = loaded.get(resolve(path))
        if isinstance(got, ServingError):
            return got
    return None


def library_ops() -> frozenset[str]:
    """Every op a library loaded into this process registered (not TensorFlow's own)."""
    return frozenset().union(*_LOADED.values())


def not_registered(op: str) -> ServingError:
    """What TensorFlow's graph importer answers for an op this binary lacks (NOT_FOUND,
    tensorflow/core/framework/op.cc OpRegistry::LookUp), word for word."""
    return ServingError(
        Code.NOT_FOUND,
        f"Op type not registered '{op}' in binary running on {socket.gethostname()}. Make sure "
        "the Op and Kernel are registered in the binary running in this process. Note that if "
        "you are loading a saved graph which used ops from tf.contrib (e.g. "
        "`tf.contrib.resampler`), accessing should be done before importing the graph, as "
        "contrib ops are lazily registered when the module is first accessed.",
    )


# The ops that call back into Python (tf.py_function, tf.numpy_function): registered in
# every TensorFlow, with a kernel only in a Python process that holds the callback.
PYTHON_OPS = frozenset({"EagerPyFunc", "PyFunc", "PyFuncStateless"})


def graph_ops(meta: Any) -> set[str]:
    """Every op type a MetaGraphDef's graph and function library use (calls of its own
    functions excluded)."""
    ops = {n.op for n in meta.graph_def.node}
    for f in meta.graph_def.library.function:
        ops |= {n.op for n in f.node_def}
    return ops - {f.signature.name for f in meta.graph_def.library.function}


def unregistered(meta: Any) -> list[str]:
    """The graph's ops this process's TensorFlow does not register (custom ops whose
    library is not loaded), sorted."""
    from tensorflow.python.framework import op_def_registry

    return sorted(op for op in graph_ops(meta) if op_def_registry.get(op) is None)
