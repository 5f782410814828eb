"""Graphs that call Python, refused as TF Serving's binary refuses them.

tf.py_function (op EagerPyFunc), tf.numpy_function and tf.compat.v1.py_func
(PyFunc, PyFuncStateless) are registered as ops in every TensorFlow build
(tensorflow/core/ops/script_ops.cc, part of //tensorflow/core:ops, which TF
Serving links), but their kernel lives in TensorFlow's Python extension
(tensorflow/python/lib/core/py_func.cc), which TF Serving, the C API and TF
Java do not have. The bundled server runs inside Python, where the kernel
exists, so on its own it would run the op and fail another way ("Could not
find callback"). It answers as the C++ loader does instead, as measured with
the wheel's C API (TF_LoadSessionFromSavedModel, TF Serving's loader):

- a Python op in the main graph (TF1 graphs): the load fails, INVALID_ARGUMENT
  "No OpKernel was registered to support Op 'PyFunc' used by {{node pyf}} ..."
  (the session places the whole graph when it is created);
- a Python op inside a function (TF2 signatures): the model loads, and a run
  whose fetches reach it fails with the same message naming the call node and
  the op's node, "{{node StatefulPartitionedCall/EagerPyFunc}}".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.serving.errors import Code, ServingError
from tfinterop.serving.op_libraries import PYTHON_OPS


def load_refusal(meta: meta_graph_pb2.MetaGraphDef) -> ServingError | None:
    """INVALID_ARGUMENT for a main-graph node running Python (the C++ loader fails), or None."""
    for node in meta.graph_def.node:
        if node.op in PYTHON_OPS:
            return no_kernel(node.op, node.name, node.attr)
    return None


def run_refusal(meta: meta_graph_pb2.MetaGraphDef, fetches: Iterable[str]) -> ServingError | None:
    """INVALID_ARGUMENT when computing `fetches` (tensor names) reaches a Python op through
    the functions it calls, as Session::Run answers without the op's kernel; else None."""
    functions = {f.signature.name: f for f in meta.graph_def.library.function}
    nodes = {n.name: n for n in meta.graph_def.node}
    pending = [_node_name(t) for t in fetches]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in nodes:
            continue
        seen.add(name)
        node = nodes[name]
        if node.op in PYTHON_OPS:
            return no_kernel(node.op, node.name, node.attr)
        for called in _called(node.op, node.attr, functions):
            found = _in_function(called, functions, set())
            if found is not None:
                op, inner, attrs = found
                return no_kernel(op, f"{node.name}/{inner}", attrs)
        pending += [_node_name(i) for i in node.input]
    return None


def no_kernel(op: str, node: str, attrs: Any) -> ServingError:
    """TensorFlow's words when a node's op has no kernel in the binary (FindKernelDef)."""
    return ServingError(
        Code.INVALID_ARGUMENT,
        f"No OpKernel was registered to support Op '{op}' used by {{{{node {node}}}}} with these "
        f"attrs: [{_summarize(attrs)}] Registered devices: [CPU] Registered kernels: "
        f"<no registered kernels> [[{node}]]",
    )


def _in_function(
    name: str, functions: dict[str, Any], visiting: set[str]
) -> tuple[str, str, Any] | None:
    """The first Python op of function `name` or of a function it calls: (op, node name
    inside `name`, its attrs)."""
    if name in visiting:
        return None
    visiting.add(name)
    fn = functions[name]
    for node in fn.node_def:
        if node.op in PYTHON_OPS:
            return node.op, node.name, node.attr
        for called in _called(node.op, node.attr, functions):
            found = _in_function(called, functions, visiting)
            if found is not None:
                return found
    return None


def _called(op: str, attrs: Any, functions: dict[str, Any]) -> list[str]:
    """Functions a node runs: its op when that is a library function, and every function
    its attributes name (PartitionedCall's f, While's cond and body, If's branches, ...)."""
    out = [op] if op in functions else []
    for value in attrs.values():
        if value.HasField("func"):
            out.append(value.func.name)
        elif value.HasField("list"):
            out += [f.name for f in value.list.func]
    return [name for name in out if name in functions]


def _node_name(tensor: str) -> str:
    return tensor.lstrip("^").split(":")[0]


def _summarize(attrs: Any) -> str:
    """key=value pairs as TensorFlow's SummarizeAttrs writes them, in key order."""
    parts = []
    for key in sorted(attrs):
        parts.append(f"{key}={_value(attrs[key])}")
    return ", ".join(parts)


def _value(v: Any) -> str:
    kind = v.WhichOneof("value")
    if kind == "type":
        return str(types_pb2.DataType.Name(v.type))
    if kind == "b":
        return "true" if v.b else "false"
    if kind == "s":
        return f'"{v.s.decode("utf-8", "replace")}"'
    if kind in ("i", "f"):
        return str(getattr(v, kind))
    if kind == "shape":
        return _shape(v.shape)
    if kind == "list":
        items = [str(types_pb2.DataType.Name(t)) for t in v.list.type]
        items += [_shape(s) for s in v.list.shape]
        items += ['"' + s.decode("utf-8", "replace") + '"' for s in v.list.s]
        items += [str(i) for i in v.list.i]
        return "[" + ", ".join(items) + "]"
    return "<" + (kind or "unset") + ">"


def _shape(shape: Any) -> str:
    if shape.unknown_rank:
        return "<unknown>"
    dims = ["?" if d.size < 0 else str(d.size) for d in shape.dim]
    return "[" + ",".join(dims) + "]"
