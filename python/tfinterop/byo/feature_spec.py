"""Read the tf.Example feature spec a classify/regress signature parses, from its graph."""

from __future__ import annotations

from dataclasses import dataclass

from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: int  # DT_FLOAT, DT_INT64 or DT_STRING
    shape: tuple[int, ...]  # dense shape; () for a sparse feature


def _const_strings(node) -> list[str]:  # type: ignore[no-untyped-def]
    t = node.attr["value"].tensor
    return [v.decode("utf-8", "replace") for v in t.string_val]


def _const(by_name: dict, node, input_name: str) -> list[str]:  # type: ignore[no-untyped-def,type-arg]
    """The strings of the Const node feeding `input_name` of `node`."""
    n = by_name.get(input_name.lstrip("^").split(":")[0])
    if n is None or n.op != "Const":
        raise LookupError(f"feature keys of {node.name} are not constants")
    return _const_strings(n)


def read(meta_graph: meta_graph_pb2.MetaGraphDef) -> list[Feature]:
    """Features of the first ParseExample(V2) op in the graph or its functions.

    Raises LookupError when no parse op (or its keys) can be found.
    """
    graphs = [list(meta_graph.graph_def.node)]
    graphs += [list(f.node_def) for f in meta_graph.graph_def.library.function]
    for nodes in graphs:
        by_name = {n.name: n for n in nodes}
        for node in nodes:
            if node.op not in ("ParseExample", "ParseExampleV2"):
                continue

            tdense = list(node.attr["Tdense"].list.type)
            shapes = [tuple(d.size for d in s.dim) for s in node.attr["dense_shapes"].list.shape]
            if node.op == "ParseExampleV2":
                sparse_keys, dense_keys = (
                    _const(by_name, node, node.input[2]),
                    _const(by_name, node, node.input[3]),
                )
                sparse_types = list(node.attr["sparse_types"].list.type)
            else:
                n_sparse = node.attr["Nsparse"].i
                n_dense = node.attr["Ndense"].i
                keys = [_const(by_name, node, i)[0] for i in node.input[2 : 2 + n_sparse + n_dense]]
                sparse_keys, dense_keys = keys[:n_sparse], keys[n_sparse:]
                sparse_types = list(node.attr["sparse_types"].list.type)
            features = [
                Feature(k, t, s) for k, t, s in zip(dense_keys, tdense, shapes, strict=False)
            ]
            features += [Feature(k, t, ()) for k, t in zip(sparse_keys, sparse_types, strict=False)]
            if not features:
                raise LookupError(f"{node.name} parses no features")
            return features
    raise LookupError("no ParseExample op found in the graph or its functions")


def example_for(features: list[Feature], index: int) -> object:
    """A deterministic tf.Example holding every feature."""
    from tensorflow.core.example import example_pb2

    e = example_pb2.Example()
    for f in features:
        count = 1
        for d in f.shape:
            count *= max(d, 1)
        if not f.shape:
            count = 2
        feat = e.features.feature[f.name]
        if f.dtype == types_pb2.DT_FLOAT:
            feat.float_list.value.extend([(index + 1) * 0.25 + i * 0.5 for i in range(count)])
        elif f.dtype == types_pb2.DT_INT64:
            feat.int64_list.value.extend([(index + i) % 7 for i in range(count)])
        else:
            feat.bytes_list.value.extend([f"value-{index}-{i}".encode() for i in range(count)])
    return e
