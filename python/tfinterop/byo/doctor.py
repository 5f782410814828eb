"""`tfinterop doctor`: a fast preflight of any SavedModel, with known failure patterns explained.

Loads the model in Python (tf.saved_model.load) and through the TensorFlow C
API (the loader TF Serving, Go and C++ use), runs one synthesized request per
predict signature through each, and explains what will break where, in plain
words with the fix.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop import signature, tensor_codec
from tfinterop.byo import synth
from tfinterop.byo.record import model_versions
from tfinterop.errors import ServingError, ToolError

log = logging.getLogger(__name__)
PY_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}
GENERIC_NAMES = re.compile(r"^(inputs?(_\d+)?|args_\d+|keras_tensor(_\d+)?|input_tensor)$")

KERAS_SAVE = (
    "The model was most likely written by Keras 3 with tf.saved_model.save(model, dir). Python's "
    "tf.saved_model.load resolves the variables through Keras' object graph, but the MetaGraph's restore "
    "op does not restore them under the names the graph reads, so every session-based loader (TF Serving, "
    "the C API used by Go and C++, TF Java) fails with 'Could not find variable'. Fix: export with "
    "model.export(dir) (Keras 3), or keras.export.ExportArchive; see keras-team/keras#19274 and #20096."
)


def _ops(meta: meta_graph_pb2.MetaGraphDef) -> set[str]:
    ops = {n.op for n in meta.graph_def.node}
    for f in meta.graph_def.library.function:
        ops |= {n.op for n in f.node_def}
    return ops - {f.signature.name for f in meta.graph_def.library.function}


def main(saved_model: Path) -> int:
    versions, _ = model_versions(saved_model.resolve()) if saved_model.exists() else ({}, False)
    if not versions:
        raise ToolError(
            f"{saved_model} holds no SavedModel (no saved_model.pb, no numbered version folders)"
        )
    version = max(versions)
    model_dir = versions[version]
    meta = signature.read_meta_graph(model_dir)
    for internal in [k for k in meta.signature_def if k.startswith("__")]:
        del meta.signature_def[internal]  # TF2's __saved_model_init_op, not a serving signature
    problems: list[str] = []
    advice: list[str] = []
    print(f"SavedModel {model_dir} (version {version})")
    for key, sig in sorted(meta.signature_def.items()):
        ins = ", ".join(
            f"{a}: {tensor_codec.dtype_name(i.dtype)}{_shape(i)}"
            for a, i in sorted(sig.inputs.items())
        )
        outs = ", ".join(
            f"{a}: {tensor_codec.dtype_name(i.dtype)}{_shape(i)}"
            for a, i in sorted(sig.outputs.items())
        )
        print(f"  signature {key!r} ({sig.method_name.rsplit('/', 1)[-1]}): {ins} -> {outs}")

    from tensorflow.python.framework import op_def_registry

    ops = _ops(meta)
    if ops & PY_OPS:
        problems.append(
            f"the graph calls Python ({', '.join(sorted(ops & PY_OPS))}: tf.py_function or "
            "tf.numpy_function). That code is not in the SavedModel: TF Serving, the C API and TF Java "
            "cannot run it. Fix: rewrite it with TensorFlow ops before exporting."
        )
    custom = sorted(o for o in ops - PY_OPS if op_def_registry.get(o) is None)
    if custom:
        problems.append(
            f"ops not registered in this TensorFlow ({', '.join(custom)}): custom ops. Every serving "
            "runtime needs their kernels: build them into TF Serving, or load the op library "
            "(tf.load_op_library / TF_LoadLibrary) in each client."
        )

    rng = np.random.default_rng(synth.SEED)
    predict_sigs = {
        k: s for k, s in meta.signature_def.items() if s.method_name == signature.PREDICT_METHOD
    }
    inputs = {}
    for key, sig in predict_sigs.items():
        try:
            inputs[key] = synth.batch_consistent(sig, rng)
        except ValueError as e:
            advice.append(f"signature {key!r}: {e}; doctor cannot run it")
    py_ok = _run_python(model_dir, predict_sigs, inputs, problems)
    capi_ok = _run_capi(model_dir, meta, predict_sigs, inputs, problems)
    print(f"  Python (tf.saved_model.load): {'ok' if py_ok else 'FAILED'}")
    print(
        f"  C API (TF_LoadSessionFromSavedModel + TF_SessionRun): {'ok' if capi_ok else 'FAILED'}"
    )
    if py_ok and not capi_ok and any("Could not find variable" in p for p in problems):
        problems.append(KERAS_SAVE)
    _advise_inputs(meta, advice)
    for p in problems:
        print(f"PROBLEM: {p}")
    for a in advice:
        print(f"NOTE: {a}")
    if not problems:
        print("No blocking problem found. Next: tfinterop verify --saved-model " + str(saved_model))
    return 1 if problems else 0


def _shape(info: meta_graph_pb2.TensorInfo) -> str:
    if info.tensor_shape.unknown_rank:
        return "[?]"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in info.tensor_shape.dim) + "]"


def _run_python(model_dir: Path, sigs: dict, inputs: dict, problems: list[str]) -> bool:  # type: ignore[type-arg]
    from tfinterop.servable import ObjectServable

    try:
        start = time.monotonic()  # the first signature's time includes the load
        servable = ObjectServable("doctor", 1, model_dir)
        for i, (key, arrays) in enumerate(inputs.items(), 1):
            servable.run(key, arrays, sorted(sigs[key].outputs))
            _signature_done("Python", key, i, len(inputs), start)
            start = time.monotonic()
        return True
    except ServingError as e:
        problems.append(f"Python (tf.saved_model.load) failed: {e.code.name}: {e.message[:400]}")
        return False


def _run_capi(
    model_dir: Path,
    meta: meta_graph_pb2.MetaGraphDef,
    sigs: dict,
    inputs: dict,  # type: ignore[type-arg]
    problems: list[str],
) -> bool:
    from tfinterop.byo import capi

    try:
        if not inputs:
            capi.load_and_run(model_dir, {}, [])
        for i, (key, arrays) in enumerate(inputs.items(), 1):
            start = time.monotonic()
            sig = sigs[key]
            if any(sig.inputs[a].dtype == types_pb2.DT_STRING for a in arrays):
                capi.load_and_run(model_dir, {}, [])  # load only; strings need TF_TString
            else:
                feeds = {sig.inputs[a].name: arr for a, arr in arrays.items()}
                outputs = [sig.outputs[a].name for a in sorted(sig.outputs)]
                capi.load_and_run(model_dir, feeds, outputs)
            _signature_done("C API", key, i, len(inputs), start)
        return True
    except ServingError as e:
        problems.append(f"C API failed: {e.code.name}: {e.message[:400]}")
        return False


def _signature_done(runtime: str, key: str, i: int, n: int, start: float) -> None:
    # One signature is quick; a model with many makes the run long enough to want a pulse.
    if n > 1:
        log.info(
            "  %s: signature %r ran (%d/%d, %.1fs)", runtime, key, i, n, time.monotonic() - start
        )


def _advise_inputs(meta: meta_graph_pb2.MetaGraphDef, advice: list[str]) -> None:
    for key, sig in sorted(meta.signature_def.items()):
        generic = [a for a in sig.inputs if GENERIC_NAMES.match(a)]
        if generic:
            advice.append(
                f"signature {key!r} takes inputs named {sorted(generic)}: clients must use these "
                "signature keys, not your Keras layer names (gRPC 'inputs' map keys, REST 'inputs'/"
                "'instances' object keys). Name them with keras.Input(name=...) and model.export."
            )
        for alias, info in sorted(sig.inputs.items()):
            dt = info.dtype
            if dt == types_pb2.DT_DOUBLE:
                advice.append(
                    f"{key}/{alias} is float64: REST clients must write full double precision "
                    "(not float32-rounded values)."
                )
            elif dt == types_pb2.DT_STRING:
                advice.append(
                    f"{key}/{alias} is a string: over REST, bytes that are not UTF-8 must be sent as "
                    '{"b64": "..."}.'
                )
            elif dt == types_pb2.DT_INT64:
                advice.append(
                    f"{key}/{alias} is int64: JSON parsers that read numbers as doubles lose values "
                    "above 2^53."
                )
            elif dt in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
                advice.append(
                    f"{key}/{alias} is {tensor_codec.dtype_name(dt)}: TF Serving's REST API cannot "
                    "carry it (UNIMPLEMENTED); use gRPC."
                )
        if sig.method_name in (signature.CLASSIFY_METHOD, signature.REGRESS_METHOD):
            advice.append(
                f"signature {key!r} is {sig.method_name.rsplit('/', 1)[-1]}: a server API (gRPC Classify/"
                "Regress, REST :classify/:regress), not available in-process."
            )
