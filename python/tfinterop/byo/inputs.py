"""Inputs for a model's signatures: the user's (--inputs) or synthesized ones.

The user's come from an .npz (keys "alias" or "signature/alias") or from TF
Serving REST JSON bodies, read by the same RapidJSON-compatible parser the
bundled server uses (tfinterop.server.json_tensor): columnar
{"signature_name"?, "inputs": ...} or row {"signature_name"?, "instances": [...]},
one document or a list of them, one per signature. Rows follow
json_tensor.cc FillTensorMapFromInstancesList: a list of objects keyed by input,
or bare values when the signature has one input; they are kept as one column per
input (the tensor TF Serving stacks from them) and typed by the signature later.

Synthesized inputs fit the signature's dtypes and shapes; a string input that
the graph parses as tf.Example gets serialized Examples built from the feature
spec, so TF1 predict signatures over examples run instead of failing to parse.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.byo import feature_spec, synth
from tfinterop.server import json_tensor
from tfinterop.serving import signature, tensor_codec
from tfinterop.serving.errors import Code, ServingError, ToolError

# The alias of a value given without one: a bare "inputs" value or plain "instances".
UNNAMED = ""
_LIST_WRAPPER = b'{"documents":'
_BOM = b"\xef\xbb\xbf"


def load(path: Path) -> dict[str, dict[str, Any]]:
    """User inputs {signature_key: {alias: raw}}: numpy arrays (.npz) or JSON values
    (one column per input). ToolError (one line) for an unreadable or ill-formed file."""
    if not path.is_file():
        raise ToolError(f"--inputs {path} does not exist")
    if path.suffix == ".npz":
        return _load_npz(path)
    docs = _parse_json(path)
    out: dict[str, dict[str, Any]] = {}
    for i, doc in enumerate(docs):
        where = f"--inputs {path}" + (f" document {i + 1}" if len(docs) > 1 else "")
        if not isinstance(doc, dict):
            raise ToolError(f"{where}: expected a JSON object, not {_json_kind(doc)}")
        try:
            key = json_tensor.signature_name(doc) or signature.DEFAULT_SIGNATURE
        except ServingError as e:
            raise ToolError(f"{where}: {e.message}") from None
        if key in out:
            raise ToolError(
                f"{where} is a second document for signature {key!r}; give one per signature"
            )
        out[key] = _document_inputs(doc, where)
    return out


def _load_npz(path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for name in data.files:
                key, _, alias = name.rpartition("/")
                out.setdefault(key or signature.DEFAULT_SIGNATURE, {})[alias] = data[name]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ToolError(f"--inputs {path} is not a readable .npz: {e}") from None
    return out


def _parse_json(path: Path) -> list[Any]:
    """The documents of a JSON file, parsed as TF Serving's ParseJson reads a body."""
    try:
        body = path.read_bytes()
    except OSError as e:
        raise ToolError(f"--inputs {path}: {e.strerror or e}") from None
    bom = len(_BOM) if body.startswith(_BOM) else 0
    several = body[bom:].lstrip(b" \t\r\n").startswith(b"[")
    try:
        if not several:
            return [json_tensor.parse(body)]
        # A list of documents is this tool's own form; wrapped, it parses as one object.
        return list(json_tensor.parse(_LIST_WRAPPER + body[bom:] + b"}")["documents"])
    except ServingError as e:
        text = e.message
        head, sep, offset = text.rpartition(" at offset: ")
        if several and sep and offset.isdigit():
            # Offsets into the user's file, not into the wrapped text.
            text = f"{head} at offset: {max(int(offset) - len(_LIST_WRAPPER), 0) + bom}"
        raise ToolError(f"--inputs {path} is not readable JSON: {text}") from None


def _json_kind(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, (str, bytes)) else "a number"


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"b64"}


def _document_inputs(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """{alias: JSON value} of one REST body (FillPredictRequestFromJson's two forms)."""
    if ("inputs" in doc) == ("instances" in doc):
        raise ToolError(
            f'{where}: expected exactly one of TF Serving\'s "inputs" (columnar) or '
            '"instances" (row) keys'
        )
    if "inputs" in doc:
        value = doc["inputs"]
        if isinstance(value, dict) and not _is_b64(value):
            return dict(value)
        return {UNNAMED: value}
    rows = doc["instances"]
    if not isinstance(rows, list):
        raise ToolError(f'{where}: "instances" must be a list, not {_json_kind(rows)}')
    if not rows:
        # TF Serving refuses it too: "No values in 'instances' array".
        raise ToolError(f'{where}: "instances" is empty; give at least one row')
    if not (isinstance(rows[0], dict) and not _is_b64(rows[0])):
        for i, row in enumerate(rows):
            if isinstance(row, dict) and not _is_b64(row):
                raise ToolError(f"{where}: instances[{i}] is an object but instances[0] is not")
        return {UNNAMED: rows}
    names = set(rows[0])
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or _is_b64(row):
            raise ToolError(f"{where}: instances[{i}] is not an object but instances[0] is")
        if set(row) != names:
            raise ToolError(
                f"{where}: instances[{i}] has inputs {sorted(row)}, instances[0] has "
                f"{sorted(names)}; every row names the same inputs"
            )
    # The column of each input is the tensor TF Serving stacks from the rows.
    return {name: [row[name] for row in rows] for name in rows[0]}


def _listing(meta: meta_graph_pb2.MetaGraphDef) -> str:
    entries = [
        f"{key}/{alias}"
        for key, sig in sorted(meta.signature_def.items())
        if not key.startswith("__")
        for alias in sorted(sig.inputs)
    ]
    return ", ".join(entries) or "none"


def check_keys(user: dict[str, dict[str, Any]], meta: meta_graph_pb2.MetaGraphDef) -> None:
    """ToolError naming the first signature key or input alias in `user` that the model lacks
    (a misspelt "serving_defualt/x" is not silently ignored), with the model's
    signature/input list."""
    for key, raw in sorted(user.items()):
        sig = meta.signature_def.get(key)
        if sig is None or key.startswith("__"):
            raise ToolError(
                f"--inputs names signature {key!r}, which the model does not have; "
                f"its signatures and inputs: {_listing(meta)}"
            )
        for alias in sorted(raw):
            if alias == UNNAMED:
                if len(sig.inputs) != 1 or len(raw) != 1:
                    raise ToolError(
                        f"--inputs gives signature {key!r} one unnamed input, but it takes "
                        f"{len(sig.inputs)}: name them "
                        f"({', '.join(f'{key}/{a}' for a in sorted(sig.inputs))})"
                    )
            elif alias not in sig.inputs:
                raise ToolError(
                    f"--inputs names {key}/{alias}, which the model does not have; "
                    f"its signatures and inputs: {_listing(meta)}"
                )


def arrays_for(
    raw: dict[str, Any], sig: meta_graph_pb2.SignatureDef, key: str = ""
) -> dict[str, np.ndarray]:
    """Arrays of the signature's dtypes from one signature's user inputs; ToolError naming
    the input when a value does not convert or a required input is missing."""
    where = f"--inputs signature {key!r}" if key else "--inputs"
    if set(raw) == {UNNAMED}:
        if len(sig.inputs) != 1:
            raise ToolError(f"{where}: one unnamed input, but the signature takes several")
        raw = {next(iter(sig.inputs)): raw[UNNAMED]}
    missing = sorted(set(sig.inputs) - set(raw) - set(sig.defaults))
    if missing:
        raise ToolError(
            f"{where} lacks input(s) {', '.join(missing)}; the signature takes "
            f"{', '.join(sorted(sig.inputs))}"
        )
    arrays = {}
    for alias, value in sorted(raw.items()):
        info = sig.inputs.get(alias)
        if info is None:
            raise ToolError(
                f"{where} names {alias!r}, not an input of the signature ({sorted(sig.inputs)})"
            )
        arrays[alias] = _typed(value, info.dtype, f"{where} input {alias!r}")
    return arrays


def _typed(value: Any, dtype: int, where: str) -> np.ndarray:
    numpy_type = tensor_codec.dtype_info(dtype).numpy
    if isinstance(value, np.ndarray):
        if dtype == types_pb2.DT_STRING:
            flat = [v.encode() if isinstance(v, str) else bytes(v) for v in value.reshape(-1)]
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(value.shape)
        if value.dtype.kind in "OSU":
            raise ToolError(f"{where}: strings given for a {tensor_codec.dtype_name(dtype)} input")
        return value.astype(numpy_type)
    try:
        return json_tensor.to_array(value, dtype)
    except ServingError as e:
        if e.code != Code.UNIMPLEMENTED:
            raise ToolError(f"{where}: {e.message}") from None
    # A dtype REST JSON cannot carry (half, bfloat16, uint16, ...): the values are still
    # the user's numbers; the REST transport's refusal is the golden's business.
    try:
        return np.asarray(value, dtype=numpy_type)
    except (TypeError, ValueError) as e:
        raise ToolError(f"{where}: {e}") from None


def synthesized(
    meta: meta_graph_pb2.MetaGraphDef,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    rng: np.random.Generator,
    *,
    batch: int = synth.BATCH,
    inner: int = synth.INNER,
) -> dict[str, np.ndarray]:
    """One plausible batch for a predict signature: numbers, bools and strings by dtype, and
    serialized tf.Examples for a string input the graph parses as tf.Example. `batch` sizes
    a dynamic first dimension, `inner` the other dynamic ones. ValueError (naming the
    signature and input) when it cannot invent an input."""
    arrays = {}
    for alias, info in sorted(sig.inputs.items()):
        shape = synth.shape_for(info, batch, inner)
        features = examples_parsed_from(meta, info)
        if features is not None:
            arrays[alias] = serialized_examples(features, shape)
            continue
        try:
            arrays[alias] = synth.synthesize(info, rng, shape)
        except ValueError as e:
            raise ValueError(f"signature {key!r} input {alias!r}: {e}") from None
    return arrays


def examples_parsed_from(
    meta: meta_graph_pb2.MetaGraphDef, info: meta_graph_pb2.TensorInfo
) -> list[feature_spec.Feature] | None:
    """The feature spec of the parse op a string input feeds; None when it feeds none."""
    if info.dtype != types_pb2.DT_STRING or not info.name:
        return None
    try:
        return feature_spec.read(meta, info.name)
    except LookupError:
        return None


def serialized_examples(features: list[feature_spec.Feature], shape: tuple[int, ...]) -> np.ndarray:
    """A string array of `shape` holding distinct serialized tf.Examples."""
    n = int(np.prod(shape, dtype=np.int64))
    out = np.empty(n, dtype=object)
    out[:] = [
        feature_spec.example_for(features, i).SerializeToString(deterministic=True)  # type: ignore[attr-defined]
        for i in range(n)
    ]
    return out.reshape(shape)
