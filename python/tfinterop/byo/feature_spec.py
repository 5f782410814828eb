"""Read the tf.Example feature spec a signature parses, from its graph.

A signature over serialized tf.Examples (classify, regress, or a TF1/TF2 predict
signature taking the serialized strings) feeds its string input to a
ParseExample(V2) op, directly or through function calls (TF2's
StatefulPartitionedCall) and shape-only ops. `read` follows that input to the op
it feeds, so a graph with several parse ops gives each signature its own spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from tensorflow.core.framework import function_pb2, node_def_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

PARSE_OPS = ("ParseExample", "ParseExampleV2")
CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")
# Ops that pass the serialized strings on unchanged but for their shape.
PASS_THROUGH = ("Identity", "Reshape", "ExpandDims", "Squeeze", "Snapshot")
_MAX_HOPS = 64  # a bound on the walk; real graphs need a handful


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: int  # DT_FLOAT, DT_INT64 or DT_STRING
    shape: tuple[int, ...]  # dense shape; () for a sparse feature
    sparse: bool = False


def _const_strings(node: node_def_pb2.NodeDef) -> list[str]:
    t = node.attr["value"].tensor
    return [v.decode("utf-8", "replace") for v in t.string_val]


def _const(
    by_name: dict[str, node_def_pb2.NodeDef], node: node_def_pb2.NodeDef, input_name: str
) -> list[str]:
    """The strings of the Const node feeding `input_name` of `node`."""
    n = by_name.get(input_name.lstrip("^").split(":")[0])
    if n is None or n.op != "Const":
        raise LookupError(f"feature keys of {node.name} are not constants")
    return _const_strings(n)


def _features(
    node: node_def_pb2.NodeDef, by_name: dict[str, node_def_pb2.NodeDef]
) -> list[Feature]:
    tdense = list(node.attr["Tdense"].list.type)
    shapes = [tuple(d.size for d in s.dim) for s in node.attr["dense_shapes"].list.shape]
    if node.op == "ParseExampleV2":
        sparse_keys = _const(by_name, node, node.input[2])
        dense_keys = _const(by_name, node, node.input[3])
    else:
        n_sparse = node.attr["Nsparse"].i
        n_dense = node.attr["Ndense"].i
        keys = [_const(by_name, node, i)[0] for i in node.input[2 : 2 + n_sparse + n_dense]]
        sparse_keys, dense_keys = keys[:n_sparse], keys[n_sparse:]
    sparse_types = list(node.attr["sparse_types"].list.type)
    features = [Feature(k, t, s) for k, t, s in zip(dense_keys, tdense, shapes, strict=False)]
    features += [
        Feature(k, t, (), sparse=True) for k, t in zip(sparse_keys, sparse_types, strict=False)
    ]
    if not features:
        raise LookupError(f"{node.name} parses no features")
    return features


def _scopes(
    meta_graph: meta_graph_pb2.MetaGraphDef,
) -> dict[str, list[node_def_pb2.NodeDef]]:
    """Node lists by scope: "" for the graph, each function's name for its body."""
    scopes = {"": list(meta_graph.graph_def.node)}
    for f in meta_graph.graph_def.library.function:
        scopes[f.signature.name] = list(f.node_def)
    return scopes


def _refers(input_name: str, scope: str, source: str) -> bool:
    """Whether a node input names `source` (a node or a function argument) in `scope`.

    Graph inputs are "node" or "node:0"; function bodies name an argument bare and
    a node's output "node:out_arg:0". Shape-only ops have one output, so any output
    of a followed node is the strings.
    """
    if input_name.startswith("^"):
        return False
    name = input_name.split(":")[0]
    if scope == "":
        return name == source and input_name in (source, f"{source}:0")
    return name == source


def _parse_op_fed_by(
    meta_graph: meta_graph_pb2.MetaGraphDef, tensor: str
) -> tuple[node_def_pb2.NodeDef, dict[str, node_def_pb2.NodeDef]] | None:
    """The parse op whose serialized input is `tensor` ("name:0" in the graph), and the
    nodes of its scope; None when the strings reach no parse op."""
    scopes = _scopes(meta_graph)
    functions: dict[str, function_pb2.FunctionDef] = {
        f.signature.name: f for f in meta_graph.graph_def.library.function
    }
    name, _, index = tensor.partition(":")
    if index not in ("", "0"):
        return None
    todo = [("", name)]
    seen: set[tuple[str, str]] = set()
    while todo and len(seen) < _MAX_HOPS:
        scope, source = todo.pop(0)
        if (scope, source) in seen or scope not in scopes:
            continue
        seen.add((scope, source))
        for node, position in _consumers(scopes[scope], scope, source):
            if node.op in PARSE_OPS and position == 0:
                return node, {n.name: n for n in scopes[scope]}
            if node.op in PASS_THROUGH and position == 0:
                todo.append((scope, node.name))
            callee = node.attr["f"].func.name if node.op in CALL_OPS else node.op
            if callee in functions:
                args = functions[callee].signature.input_arg
                if position < len(args):
                    todo.append((callee, args[position].name))
    return None


def _consumers(
    nodes: list[node_def_pb2.NodeDef], scope: str, source: str
) -> Iterator[tuple[node_def_pb2.NodeDef, int]]:
    for node in nodes:
        for position, input_name in enumerate(node.input):
            if _refers(input_name, scope, source):
                yield node, position


def read(meta_graph: meta_graph_pb2.MetaGraphDef, tensor: str | None = None) -> list[Feature]:
    """Features of the parse op the graph tensor `tensor` (a signature input's name, e.g.
    "tf_example:0") feeds; without `tensor`, of the first parse op in the graph or its
    functions.

    Raises LookupError when no such parse op (or its keys) can be found.
    """
    if tensor is not None:
        found = _parse_op_fed_by(meta_graph, tensor)
        if found is None:
            raise LookupError(f"{tensor} feeds no ParseExample op")
        return _features(*found)
    for nodes in _scopes(meta_graph).values():
        by_name = {n.name: n for n in nodes}
        for node in nodes:
            if node.op in PARSE_OPS:
                return _features(node, by_name)
    raise LookupError("no ParseExample op found in the graph or its functions")


def example_for(features: list[Feature], index: int) -> object:
    """A deterministic tf.Example holding every feature."""
    from tensorflow.core.example import example_pb2

    e = example_pb2.Example()
    for f in features:
        # A dense feature holds exactly its shape's values (a -1 dimension: one row);
        # a sparse one any number, two here.
        count = 2 if f.sparse else int(np.prod([max(d, 1) for d in f.shape], dtype=np.int64))
        feat = e.features.feature[f.name]
        if f.dtype == types_pb2.DT_FLOAT:
            feat.float_list.value.extend([(index + 1) * 0.25 + i * 0.5 for i in range(count)])
        elif f.dtype == types_pb2.DT_INT64:
            feat.int64_list.value.extend([(index + i) % 7 for i in range(count)])
        else:
            feat.bytes_list.value.extend([f"value-{index}-{i}".encode() for i in range(count)])
    return e
