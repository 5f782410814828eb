"""What changed in the signatures between two versions of a model, read from their MetaGraphDefs.

Clients address inputs and outputs by alias, so an alias is the thing compared
(the tensor names behind it change with every Keras export and no client sees
them). A removed and an added alias of one signature with the same dtype and
shape are reported as one likely rename ("renamed?"): the MetaGraphDef cannot
tell a rename from a replacement. Keys starting with "__" (the init op) are
not signatures a client calls and are left out, as `record` leaves them out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tensorflow.core.framework import tensor_shape_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2


@dataclass(frozen=True)
class Change:
    """One difference; `before`/`after` are display strings ("" when not applicable)."""

    signature: str
    kind: str  # signature added|removed, method changed, input|output added|removed|renamed?|dtype|shape
    name: str = ""  # the input or output alias ("" for a signature-level change)
    before: str = ""
    after: str = ""

    def text(self) -> str:
        sig = f"signature {self.signature!r}"
        if self.kind in ("signature added", "signature removed"):
            return f"{sig} {self.kind.split()[1]}"
        if self.kind == "method changed":
            return f"{sig}: method_name {self.before or '(none)'} -> {self.after or '(none)'}"
        what, _, change = self.kind.partition(" ")
        if change == "renamed?":
            return f"{sig}: {what} {self.name!r} renamed? to {self.after!r} ({self.before})"
        if change in ("added", "removed"):
            return f"{sig}: {what} {self.name!r} {change} ({self.before or self.after})"
        return f"{sig}: {what} {self.name!r} {change} {self.before} -> {self.after}"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text()}


def dtype_text(enum: int) -> str:
    """float32, int64, string: the names Keras and tf.TensorSpec users write."""
    import tensorflow as tf

    try:
        return str(tf.dtypes.as_dtype(enum).name)
    except TypeError:
        return types_pb2.DataType.Name(enum) if enum in types_pb2.DataType.values() else str(enum)


def shape_text(shape: tensor_shape_pb2.TensorShapeProto) -> str:
    """[?,28,28]; [] for a scalar; [*] for an unknown rank."""
    if shape.unknown_rank:
        return "[*]"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def _spec(info: meta_graph_pb2.TensorInfo) -> tuple[str, str]:
    return dtype_text(info.dtype), shape_text(info.tensor_shape)


def _tensors(sig_key: str, what: str, a: Any, b: Any) -> list[Change]:
    """Changes between two alias -> TensorInfo maps (`what` is "input" or "output")."""
    out: list[Change] = []
    removed = sorted(set(a) - set(b))
    added = sorted(set(b) - set(a))
    for name in removed:
        spec = _spec(a[name])
        twin = next((n for n in added if _spec(b[n]) == spec), None)
        if twin is not None:
            added.remove(twin)
            out.append(Change(sig_key, f"{what} renamed?", name, " ".join(spec), twin))
        else:
            out.append(Change(sig_key, f"{what} removed", name, before=" ".join(spec)))
    out += [Change(sig_key, f"{what} added", n, after=" ".join(_spec(b[n]))) for n in added]
    for name in sorted(set(a) & set(b)):
        (a_dtype, a_shape), (b_dtype, b_shape) = _spec(a[name]), _spec(b[name])
        if a_dtype != b_dtype:
            out.append(Change(sig_key, f"{what} dtype", name, a_dtype, b_dtype))
        if a_shape != b_shape:
            out.append(Change(sig_key, f"{what} shape", name, a_shape, b_shape))
    return out


def signature_keys(meta: meta_graph_pb2.MetaGraphDef) -> list[str]:
    return sorted(k for k in meta.signature_def if not k.startswith("__"))


def compare(a: meta_graph_pb2.MetaGraphDef, b: meta_graph_pb2.MetaGraphDef) -> list[Change]:
    """Every change from `a` to `b`, signatures in key order, each one's changes in the order
    method, inputs, outputs."""
    a_keys, b_keys = set(signature_keys(a)), set(signature_keys(b))
    changes: list[Change] = []
    for key in sorted(a_keys | b_keys):
        if key not in b_keys:
            changes.append(Change(key, "signature removed"))
            continue
        if key not in a_keys:
            changes.append(Change(key, "signature added"))
            continue
        sa, sb = a.signature_def[key], b.signature_def[key]
        if sa.method_name != sb.method_name:
            changes.append(
                Change(key, "method changed", before=sa.method_name, after=sb.method_name)
            )
        changes += _tensors(key, "input", sa.inputs, sb.inputs)
        changes += _tensors(key, "output", sa.outputs, sb.outputs)
    return changes
