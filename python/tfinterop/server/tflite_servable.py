"""A TensorFlow Lite model served as TF Serving serves one with --prefer_tflite_model.

TF Serving's TfLiteSession (servables/tensorflow/tflite_session.cc) loads
`model.tflite` from the version folder instead of `saved_model.pb` and answers
the same APIs. Its signatures come from the model's "signature_defs" metadata
(TensorFlow SignatureDefs written by lite/tools/signature, a flexbuffer map of
key -> serialized SignatureDef), each tensor name fixed to a tensor of the
model (as written, else without its ":0" suffix); a model without that metadata
gets one `serving_default` predict signature keyed by its tensor names. A run
fills the inputs (resizing an input whose shape or size changed), invokes and
copies the outputs out; each run takes an interpreter of the pool
(--num_tflite_pools), since one interpreter runs one request at a time.

The interpreter is TensorFlow's own (tf.lite.Interpreter, builtin ops), the
runtime TF Serving links.
"""

from __future__ import annotations

import queue
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.serving.errors import Code, ServingError
from tfinterop.serving.servable import check_deadline

MODEL_FILE = "model.tflite"
SIGNATURE_DEFS_METADATA = "signature_defs"  # lite/tools/signature/signature_def_util.h
DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"

# TfLiteTypeToTfType: the types a TF Lite tensor may have to be served; any other is INTERNAL.
_DTYPES = {
    np.dtype(np.float32): types_pb2.DT_FLOAT,
    np.dtype(np.int32): types_pb2.DT_INT32,
    np.dtype(np.uint8): types_pb2.DT_UINT8,
    np.dtype(np.int64): types_pb2.DT_INT64,
    np.dtype(np.bytes_): types_pb2.DT_STRING,
    np.dtype(np.object_): types_pb2.DT_STRING,
    np.dtype(np.bool_): types_pb2.DT_BOOL,
    np.dtype(np.int16): types_pb2.DT_INT16,
    np.dtype(np.complex64): types_pb2.DT_COMPLEX64,
    np.dtype(np.int8): types_pb2.DT_INT8,
}


def has_model(path: Path) -> bool:
    """Whether the version folder holds a TF Lite model (--prefer_tflite_model serves it)."""
    return (path / MODEL_FILE).is_file()


def _legacy_name(name: str) -> str:
    """TfToTfLiteLegacyTensorName: early converters dropped a TF name's ":0"."""
    return name.split(":", 1)[0]


def _fixed_name(known: Mapping[str, object], name: str) -> str | None:
    """FixTfLiteTensorName: the name as written, else its legacy form, if the model has it."""
    if name in known:
        return name
    legacy = _legacy_name(name)
    return legacy if legacy in known else None


def metadata_signature_defs(model: bytes) -> dict[str, meta_graph_pb2.SignatureDef]:
    """GetSignatureDefMap: the SignatureDefs in the model's "signature_defs" metadata (none
    when it has no such entry). Each value is read up to its first NUL, as the C++ reader's
    `AsString().c_str()` reads it. INVALID_ARGUMENT when the metadata does not parse."""
    from flatbuffers import flexbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    try:
        root = schema.Model.GetRootAs(model, 0)
        entry = next(
            (
                root.Metadata(i)
                for i in range(root.MetadataLength())
                if root.Metadata(i).Name() == SIGNATURE_DEFS_METADATA.encode()
            ),
            None,
        )
        if entry is None:
            return {}
        data = root.Buffers(entry.Buffer()).DataAsNumpy()
        table = flexbuffers.GetRoot(bytearray(data.tobytes())).AsMap
        out = {}
        for i in range(len(table.Keys)):
            key = table.Keys[i].AsKey
            raw = bytes(table.Values[i].AsStringBytes).split(b"\0", 1)[0]
            sig = meta_graph_pb2.SignatureDef()
            sig.ParseFromString(raw)
            out[key] = sig
        return out
    except Exception as e:  # a damaged flatbuffer raises whatever its reader meets
        raise ServingError(
            Code.INVALID_ARGUMENT, f"Invalid SignatureDefs found in TfLite model: {e}"
        ) from None


def _tensor_map(details: list[dict[str, Any]], what: str) -> dict[str, tuple[int, Any]]:
    """GetTensorInfoMap: tensor name -> (index, TensorInfo) of the interpreter's inputs or
    outputs."""
    out: dict[str, tuple[int, Any]] = {}
    for d in details:
        name = d.get("name")
        if not name:
            raise ServingError(Code.INTERNAL, f"{what} name missing for tensor index: {d['index']}")
        dtype = _DTYPES.get(np.dtype(d["dtype"]))
        if dtype is None:
            raise ServingError(Code.INTERNAL, f"Unknown TfLite type: {np.dtype(d['dtype'])}")
        info = meta_graph_pb2.TensorInfo(name=name, dtype=dtype)
        for size in d["shape"]:
            info.tensor_shape.dim.add().size = int(size)
        if name in out:
            raise ServingError(
                Code.ALREADY_EXISTS, f"{what} tensor name: {name} has multiple indices"
            )
        out[name] = (int(d["index"]), info)
    return out


def _signatures(
    model: bytes, inputs: dict[str, tuple[int, Any]], outputs: dict[str, tuple[int, Any]]
) -> dict[str, meta_graph_pb2.SignatureDef]:
    """TfLiteSession::Create's signatures: the metadata's, names fixed to the model's tensors,
    else a `serving_default` predict signature of every input and output by its legacy name."""
    found = metadata_signature_defs(model)
    if not found:
        mock = meta_graph_pb2.SignatureDef(method_name=PREDICT_METHOD)
        for name, (_, info) in inputs.items():
            mock.inputs[_legacy_name(name)].CopyFrom(info)
        for name, (_, info) in outputs.items():
            mock.outputs[_legacy_name(name)].CopyFrom(info)
        return {DEFAULT_SIGNATURE: mock}
    for sig in found.values():
        for side, known, word in ((sig.inputs, inputs, "input"), (sig.outputs, outputs, "output")):
            for alias, info in side.items():
                fixed = _fixed_name(known, info.name)
                if fixed is None:
                    raise ServingError(
                        Code.INTERNAL,
                        f"Unknown tensor '{info.name}'.\n\tSignature {word} {alias} references "
                        "an unknown tensor",
                    )
                info.name = fixed
    return found


@dataclass
class _Slot:
    """One interpreter of the pool and the shape each of its inputs has now (only `_fill`
    resizes them)."""

    interpreter: Any
    shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)


class TfLiteServable:
    """One loaded TF Lite version; `run` is thread-safe (each run holds its own interpreter)."""

    def __init__(self, name: str, version: int, path: Path, interpreters: int = 1) -> None:
        import tensorflow as tf

        self.name = name
        self.version = version
        self.path = path
        model = (path / MODEL_FILE).read_bytes()
        self._pool: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        for _ in range(max(1, interpreters)):
            try:
                with warnings.catch_warnings():
                    # "tf.lite.Interpreter is deprecated" (for ai-edge-litert): not the user's
                    # concern here, and TF Serving links this same runtime.
                    warnings.simplefilter("ignore")
                    interpreter = tf.lite.Interpreter(model_content=model, num_threads=1)
                interpreter.allocate_tensors()
            except ValueError as e:
                raise ServingError(
                    Code.INVALID_ARGUMENT, f"loading {path}: Cannot build Interpreter: {e}"
                ) from None
            except RuntimeError as e:
                raise ServingError(
                    Code.INTERNAL, f"loading {path}: Cannot build Interpreter from buffer: {e}"
                ) from None
            shapes = {
                int(d["index"]): tuple(int(n) for n in d["shape"])
                for d in interpreter.get_input_details()
            }
            self._pool.put(_Slot(interpreter, shapes))
        with self._slot() as first:
            self._inputs = _tensor_map(first.interpreter.get_input_details(), "Input")
            self._outputs = _tensor_map(first.interpreter.get_output_details(), "Output")
        self.meta_graph = meta_graph_pb2.MetaGraphDef()
        for key, sig in _signatures(model, self._inputs, self._outputs).items():
            self.meta_graph.signature_def[key].CopyFrom(sig)

    @contextmanager
    def _slot(self) -> Iterator[_Slot]:
        slot = self._pool.get()
        try:
            yield slot
        finally:
            self._pool.put(slot)

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        sig = self.meta_graph.signature_def[signature]
        start = time.monotonic()
        with self._slot() as slot:
            for alias, value in inputs.items():
                self._fill(slot, sig.inputs[alias].name, value)
            try:
                slot.interpreter.invoke()
            except (RuntimeError, ValueError) as e:
                raise ServingError(
                    Code.INTERNAL, f"Failed to invoke TfLite interpreter: {e}"
                ) from None
            answers = {}
            for alias in outputs:
                name = sig.outputs[alias].name
                found = self._outputs.get(name)
                if found is None:
                    raise ServingError(Code.INTERNAL, f"Missing output TFLite tensor: {name}")
                answers[alias] = np.array(slot.interpreter.get_tensor(found[0]))
        check_deadline(signature, start, timeout_ms)
        return answers

    def _fill(self, slot: _Slot, name: str, value: np.ndarray) -> None:
        """FillTfLiteTensorFromInput: resize when the shape or size changed, then copy."""
        found = self._inputs.get(name)
        if found is None:
            raise ServingError(Code.INVALID_ARGUMENT, f"Missing input TFLite tensor: {name}")
        index, info = found
        if _DTYPES.get(value.dtype) != info.dtype:
            # TensorFlow's session refuses a feed of the wrong type with this code; TF Lite
            # would copy the bytes as they are.
            raise ServingError(
                Code.INVALID_ARGUMENT,
                f"Expects input {name} to be {types_pb2.DataType.Name(info.dtype)} but "
                f"{value.dtype.name} is provided",
            )
        if slot.shapes.get(index) != value.shape:
            try:
                slot.interpreter.resize_tensor_input(index, list(value.shape))
                slot.interpreter.allocate_tensors()
            except (RuntimeError, ValueError) as e:
                raise ServingError(
                    Code.INTERNAL,
                    f"Failed to resize input tensor: {name} to {list(value.shape)}: {e}",
                ) from None
            slot.shapes[index] = value.shape
        slot.interpreter.set_tensor(index, value)

    def close(self) -> None:
        while not self._pool.empty():
            self._pool.get()


def load(name: str, version: int, path: Path, interpreters: int = 1) -> TfLiteServable:
    """Load `path`/model.tflite, or raise ServingError with the loader's code."""
    return TfLiteServable(name, version, path, interpreters)
