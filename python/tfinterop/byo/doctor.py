"""`tfinterop doctor`: a fast preflight of any SavedModel, with known failure patterns explained.

Loads the model in Python (tf.saved_model.load) and through the TensorFlow C
API (the loader TF Serving, Go and C++ use), runs every signature through each
with inputs that fit it (the user's --inputs, else synthesized ones; classify and
regress signatures get serialized tf.Examples built from the feature spec the
graph parses), and explains what will break where, in plain words with the fix.
Warnings name the dtypes a client or transport cannot carry (byo/limits.py)
before a user runs verify. `--fix OUT` repairs a copy of a Keras 3
`tf.saved_model.save` export (byo/fix.py).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow.core.framework import function_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from tfinterop.byo import limits, model_folder, synth
from tfinterop.byo.model_folder import default_name
from tfinterop.server import python_ops
from tfinterop.serving import op_libraries, signature, tensor_codec
from tfinterop.serving.errors import ServingError, ToolError, UsageError

log = logging.getLogger(__name__)
PY_OPS = op_libraries.PYTHON_OPS
CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")
GENERIC_NAMES = re.compile(r"^(inputs?(_\d+)?|args_\d+|keras_tensor(_\d+)?|input_tensor)$")
EXAMPLE_METHODS = (signature.CLASSIFY_METHOD, signature.REGRESS_METHOD)
MISSING_VARIABLE = "Could not find variable"

PYTHON_CALL = (
    "the graph calls Python ({ops}: {apis}). A SavedModel keeps only a token naming the "
    'Python function ("pyfunc_0"); the function itself stays in the process that exported '
    "the model, so no serving runtime can run it: TF Serving, the C API (Go, C++) and TF Java "
    'have the op but no kernel for it (INVALID_ARGUMENT "No OpKernel was registered to '
    "support Op '{first}'\"), and Python in any other process fails too (INVALID_ARGUMENT "
    '"Could not find callback with key=pyfunc_0 in the registry"). Fix: write that step '
    "with TensorFlow ops inside the tf.function (tf.math, tf.strings, tf.image, tf.lookup, "
    "tf.where, ...), or, when no op does it, as a custom op: a C++ kernel built with "
    "tf.sysconfig's flags, given to every runtime with --op-library and linked into TF "
    'Serving (docs/SERVER.md, "Custom ops")'
)
PYTHON_APIS = {
    "EagerPyFunc": "tf.py_function",
    "PyFunc": "tf.numpy_function or tf.compat.v1.py_func",
    "PyFuncStateless": "tf.numpy_function(stateful=False) or tf.compat.v1.py_func(stateful=False)",
}

KERAS_SAVE = (
    "The model was most likely written by Keras 3 with tf.saved_model.save(model, dir). Python's "
    "tf.saved_model.load resolves the variables through Keras' object graph, but the MetaGraph's restore "
    "op does not restore them under the names the graph reads, so every session-based loader (TF Serving, "
    "the C API used by Go and C++, TF Java) fails with 'Could not find variable'. Fix: export with "
    "model.export(dir) (Keras 3), or keras.export.ExportArchive; see keras-team/keras#19274 and #20096. "
    "Or repair a copy of this export without the training code: "
    "tfinterop doctor --saved-model {model} --fix OUT"
)


@dataclass(frozen=True)
class Kind:
    """What wrote the SavedModel, as its object graph tells."""

    name: str  # keras_export, keras_archive, keras_save, tf_keras, module or tf1
    description: str

    @property
    def keras(self) -> bool:
        return self.name in ("keras_export", "keras_archive", "keras_save", "tf_keras")


@dataclass
class Outcome:
    """One signature in one runtime: outputs by alias, an error, or why it did not run."""

    outputs: dict[str, np.ndarray] | None = None
    error: ServingError | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.outputs is not None


@dataclass(frozen=True)
class Feed:
    """The inputs doctor runs one signature with, or why it has none."""

    arrays: dict[str, np.ndarray] | None
    source: str  # "your inputs", "synthesized" or "tf.Examples from the feature spec"
    why_not: str = ""


@dataclass
class Diagnosis:
    saved_model: Path  # as the user named it
    versioned: bool  # a base folder of numbered versions (else the SavedModel itself)
    model_dir: Path  # the version doctor looked at: the latest
    version: int
    meta: meta_graph_pb2.MetaGraphDef
    kind: Kind
    groups: list[list[str]] = field(default_factory=list)
    feeds: dict[str, Feed] = field(default_factory=dict)
    fetches: dict[str, list[str]] = field(default_factory=dict)
    python: dict[str, Outcome] = field(default_factory=dict)
    capi: dict[str, Outcome] = field(default_factory=dict)
    python_load: ServingError | None = None
    capi_load: ServingError | None = None
    # The --op-library files loaded first, and the graph ops each of them registered.
    op_libraries: list[op_libraries.Loaded] = field(default_factory=list)
    python_ops: list[str] = field(default_factory=list)  # Python-calling ops in the graph
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keras_save: bool = False  # the Keras 3 tf.saved_model.save failure, which --fix repairs


def main(
    saved_model: Path,
    inputs: Path | None = None,
    fix_out: Path | None = None,
    libraries: list[Path] | None = None,
) -> int:
    """Print the report; 1 when a problem blocks serving (with --fix: when the repair fails)."""
    from tfinterop.byo import fix

    if fix_out is not None:
        fix.check_out(fix_out, saved_model)  # before any work: nothing is written for a bad OUT
    d = diagnose(saved_model, inputs, libraries)
    print("\n".join(report(d)), flush=True)
    if fix_out is None:
        return 1 if d.problems else 0
    if not d.keras_save:
        print(
            f"Nothing to repair: --fix repairs the Keras 3 tf.saved_model.save export "
            f"({MISSING_VARIABLE!r} in the C API where Python runs), which this model does not "
            f"show; {fix_out} was not written."
        )
        return 1 if d.problems else 0
    lines, ok = fix.repair(d, fix_out)
    print("\n".join(lines), flush=True)
    return 0 if ok else 1


def diagnose(
    saved_model: Path, inputs_file: Path | None = None, libraries: list[Path] | None = None
) -> Diagnosis:
    """Load the op libraries, then load and run every signature in both runtimes; ToolError
    for a folder without a SavedModel, --inputs that do not fit the model or an op library
    that does not load (UsageError: one that does not exist)."""
    loaded = load_libraries(libraries or [])
    versions, versioned = model_folder.versions(saved_model)
    version = max(versions)
    model_dir = versions[version]
    meta = signature.read_meta_graph(model_dir)
    for internal in [k for k in meta.signature_def if k.startswith("__")]:
        del meta.signature_def[internal]  # TF2's __saved_model_init_op, not a serving signature
    user = _user_inputs(inputs_file, meta)
    d = Diagnosis(saved_model, versioned, model_dir, version, meta, model_kind(meta, model_dir))
    d.op_libraries = loaded
    d.groups = groups(meta)
    _check_graph(d)
    _check_example_signatures(d)
    _feed(d, user)
    _run_python(d)
    _run_capi(d)
    _judge_runs(d)
    d.warnings += carriage_warnings(d)
    d.notes += advice(d)
    return d


def load_libraries(paths: list[Path]) -> list[op_libraries.Loaded]:
    """--op-library, before any model, in Python and so for the C API of this process."""
    out = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"--op-library {path} does not exist")
        try:
            out.append(op_libraries.load(path))
        except ServingError as e:
            raise ToolError(f"--op-library {path} does not load: {e}") from None
    return out


def _user_inputs(path: Path | None, meta: meta_graph_pb2.MetaGraphDef) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    from tfinterop.byo import inputs

    user = inputs.load(path)
    inputs.check_keys(user, meta)
    return user


def model_kind(meta: meta_graph_pb2.MetaGraphDef, model_dir: Path) -> Kind:
    """Keras 3 model.export / ExportArchive, Keras 3 or tf.keras tf.saved_model.save, a
    tf.Module, or a TF1 builder (no object graph), from the SavedModel's object graph."""
    nodes = meta.object_graph_def.nodes
    if not nodes:
        return Kind("tf1", "a TF1 graph (SavedModelBuilder or Estimator: no object graph)")
    identifiers = {n.user_object.identifier for n in nodes if n.HasField("user_object")}
    if (model_dir / "keras_metadata.pb").exists() or any(
        i.startswith("_tf_keras") for i in identifiers
    ):
        return Kind("tf_keras", "tf.keras (Keras 2) with model.save or tf.saved_model.save")
    children = {c.local_name for c in nodes[0].children}
    if {"_all_variables", "_misc_assets"} <= children:
        if "serve" in children and "serve" in meta.signature_def:
            return Kind("keras_export", "Keras 3 model.export (an ExportArchive)")
        return Kind("keras_archive", "a Keras 3 keras.export.ExportArchive")
    if len(children & {"_inbound_nodes", "_outbound_nodes", "_build_shapes_dict"}) >= 2:
        return Kind("keras_save", "a Keras 3 model saved with tf.saved_model.save")
    return Kind("module", "a tf.Module saved with tf.saved_model.save")


def groups(meta: meta_graph_pb2.MetaGraphDef) -> list[list[str]]:
    """Signature keys grouped by what they compute: Keras' model.export writes `serve` and
    `serving_default` as two wrappers of one function, a TF1 builder may map two keys to
    one SignatureDef. Sorted by first key."""
    by_print: dict[str, list[str]] = {}
    for key in sorted(meta.signature_def):
        by_print.setdefault(_fingerprint(meta, meta.signature_def[key]), []).append(key)
    return sorted(by_print.values())


def _fingerprint(meta: meta_graph_pb2.MetaGraphDef, sig: meta_graph_pb2.SignatureDef) -> str:
    nodes = {n.name: n for n in meta.graph_def.node}
    functions = {f.signature.name: f for f in meta.graph_def.library.function}
    placeholders = {info.name.split(":")[0]: alias for alias, info in sig.inputs.items()}
    parts = [sig.method_name]
    for alias, info in sorted(sig.inputs.items()):
        parts.append(f"in {alias} {info.dtype} {info.tensor_shape.SerializeToString()!r}")
    for alias, info in sorted(sig.outputs.items()):
        op, _, index = info.name.partition(":")
        node = nodes.get(op)
        fn = functions.get(node.attr["f"].func.name) if node and node.op in CALL_OPS else None
        if node is None or fn is None:
            # One graph: the same tensor fed by the same placeholders is the same computation.
            computation = f"{info.name} <- {sorted(i.name for i in sig.inputs.values())}"
        else:
            # TF2: each signature wraps the function in its own copy, which differs only by
            # its name and the argument attributes (unique ids).
            body = function_pb2.FunctionDef()
            body.CopyFrom(fn)
            body.signature.name = ""
            body.ClearField("arg_attr")
            digest = hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()
            args = [placeholders.get(i.split(":")[0], i) for i in node.input]
            computation = f"{digest}:{index or 0} <- {args}"
        parts.append(
            f"out {alias} {info.dtype} {info.tensor_shape.SerializeToString()!r} {computation}"
        )
    return "\n".join(parts)


def label(keys: list[str]) -> str:
    if len(keys) == 1:
        return f"signature {keys[0]!r}"
    return f"signatures {', '.join(repr(k) for k in keys)} (the same)"


def _method(sig: meta_graph_pb2.SignatureDef) -> str:
    return sig.method_name.rsplit("/", 1)[-1] or "no method"


def _shape(info: meta_graph_pb2.TensorInfo) -> str:
    if info.tensor_shape.unknown_rank:
        return "[?]"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in info.tensor_shape.dim) + "]"


def _tensors(infos: Any) -> str:
    return ", ".join(
        f"{a}: {tensor_codec.dtype_name(i.dtype)}{_shape(i)}" for a, i in sorted(infos.items())
    )


def _check_graph(d: Diagnosis) -> None:
    ops = op_libraries.graph_ops(d.meta)
    d.python_ops = sorted(ops & PY_OPS)
    if d.python_ops:
        apis = " / ".join(PYTHON_APIS[o] for o in d.python_ops)
        d.problems.append(
            PYTHON_CALL.format(ops=", ".join(d.python_ops), apis=apis, first=d.python_ops[0])
        )
    custom = [o for o in op_libraries.unregistered(d.meta) if o not in PY_OPS]
    if custom:
        given = (
            f" (none of the {len(d.op_libraries)} --op-library files registers them)"
            if d.op_libraries
            else ""
        )
        d.problems.append(
            f"the graph uses ops this TensorFlow does not register: {', '.join(custom)}{given}. "
            "They are custom ops: the model loads only where their library is loaded. Give it "
            "with --op-library PATH (doctor, record and verify; tfinterop-<lang> run "
            "--op-library or the case set's model.op_libraries for the clients; tfinterop "
            "serve --op_library=PATH). TF Serving needs the op linked into its binary "
            '(docs/SERVER.md, "Custom ops").'
        )
    for lib in d.op_libraries:
        used = sorted(lib.ops & ops)
        if used:
            verb = "comes" if len(used) == 1 else "come"
            d.notes.append(
                f"{', '.join(used)} {verb} from {lib.path}: every runtime that serves this model "
                "needs that library: --op-library for record, verify and the clients (verify "
                "lists it in the case set), --op_library for tfinterop serve, and a TF Serving "
                'build with the op linked in (docs/SERVER.md, "Custom ops")'
            )


def _check_example_signatures(d: Diagnosis) -> None:
    """TF Serving's Classify/Regress take only signatures of a fixed form (classifier.cc
    PreProcessClassification, regressor.cc PreProcessRegression)."""
    from tfinterop.golden import examples

    for keys in d.groups:
        sig = d.meta.signature_def[keys[0]]
        try:
            if sig.method_name == signature.CLASSIFY_METHOD:
                d.fetches.update(dict.fromkeys(keys, examples.preprocess_classification(sig)))
            elif sig.method_name == signature.REGRESS_METHOD:
                d.fetches.update(dict.fromkeys(keys, examples.preprocess_regression(sig)))
        except ServingError as e:
            d.problems.append(
                f"{label(keys)} is {_method(sig)}, but TF Serving refuses to {_method(sig)} with "
                f"it: {e.code.name}: {e.message}. Its input must be the serialized tf.Examples "
                f"keyed 'inputs' (and its outputs 'classes'/'scores', or 'outputs')."
            )
            d.fetches.update(dict.fromkeys(keys, sorted(sig.outputs)))
    for key, sig in d.meta.signature_def.items():
        d.fetches.setdefault(key, sorted(sig.outputs))


def _feed(d: Diagnosis, user: dict[str, dict[str, Any]]) -> None:
    from tfinterop.byo import inputs

    rng = np.random.default_rng(synth.SEED)
    for keys in d.groups:
        shared: Feed | None = None  # one synthesized batch per group: its outputs compare
        for key in keys:
            sig = d.meta.signature_def[key]
            if key in user:
                d.feeds[key] = Feed(inputs.arrays_for(user[key], sig, key), "your inputs")
                continue
            if shared is None:
                shared = _synthesized(d.meta, key, sig, rng)
            d.feeds[key] = shared


def _synthesized(
    meta: meta_graph_pb2.MetaGraphDef,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    rng: np.random.Generator,
) -> Feed:
    from tfinterop.byo import feature_spec, inputs

    if sig.method_name not in EXAMPLE_METHODS:
        try:
            return Feed(inputs.synthesized(meta, key, sig, rng), "synthesized")
        except ValueError as e:
            return Feed(None, "synthesized", str(e))
    info = sig.inputs.get("inputs")
    if info is None:
        return Feed(None, "tf.Examples", "it has no 'inputs' to feed tf.Examples to")
    features = inputs.examples_parsed_from(meta, info)
    if features is None:
        try:
            features = feature_spec.read(meta)  # the graph's one parse op, reached otherwise
        except LookupError as e:
            return Feed(None, "tf.Examples", f"doctor cannot build tf.Examples for it ({e})")
    shape = synth.shape_for(info)
    arrays = {"inputs": inputs.serialized_examples(features, shape)}
    return Feed(arrays, "tf.Examples from the feature spec")


def _runnable(d: Diagnosis, key: str) -> Outcome | None:
    """An Outcome saying why `key` is not run, or None when it can be."""
    feed = d.feeds[key]
    if feed.arrays is None:
        return Outcome(skipped=feed.why_not)
    if not d.fetches[key]:
        # TF_SessionRun refuses an empty fetch list; there is nothing to compare either.
        return Outcome(skipped="it has no outputs to fetch")
    return None


def _run_python(d: Diagnosis) -> None:
    from tfinterop.client.object_servable import ObjectServable

    keys = sorted(d.meta.signature_def)
    start = time.monotonic()  # the first signature's time includes the load
    try:
        servable = ObjectServable("doctor", d.version, d.model_dir)
    except ServingError as e:
        d.python_load = e
        d.python = {k: Outcome(skipped="the model did not load") for k in keys}
        return
    for i, key in enumerate(keys, 1):
        outcome = _runnable(d, key)
        if outcome is None:
            arrays = d.feeds[key].arrays or {}
            try:
                outcome = Outcome(servable.run(key, arrays, d.fetches[key]))
            except ServingError as e:
                outcome = Outcome(error=e)
        d.python[key] = outcome
        _signature_done("Python", key, i, len(keys), start)
        start = time.monotonic()


def _run_capi(d: Diagnosis) -> None:
    from tfinterop.byo import capi

    keys = sorted(d.meta.signature_def)
    start = time.monotonic()
    # This process holds Python's kernels for the Python-calling ops; a C API process (TF
    # Serving, Go, C++) has none: its answers stand in for what this process would do.
    refused = python_ops.load_refusal(d.meta)
    try:
        if refused is not None:
            raise refused
        session = capi.Session(d.model_dir)
    except ServingError as e:
        d.capi_load = e
        d.capi = {k: Outcome(skipped="the model did not load") for k in keys}
        return
    with session:
        for i, key in enumerate(keys, 1):
            outcome = _runnable(d, key)
            sig = d.meta.signature_def[key]
            if outcome is None:
                no_python = python_ops.run_refusal(
                    d.meta, [sig.outputs[a].name for a in d.fetches[key]]
                )
                outcome = (
                    Outcome(error=no_python)
                    if no_python is not None
                    else run_capi(session, sig, d.feeds[key].arrays or {}, d.fetches[key])
                )
            d.capi[key] = outcome
            _signature_done("C API", key, i, len(keys), start)
            start = time.monotonic()


def run_capi(
    session: Any, sig: meta_graph_pb2.SignatureDef, arrays: dict[str, np.ndarray], fetch: list[str]
) -> Outcome:
    """One signature through an open capi.Session: outputs keyed by alias, or its error."""
    feeds = {sig.inputs[a].name: arr for a, arr in arrays.items()}
    names = [sig.outputs[a].name for a in fetch]
    try:
        got = session.run(feeds, names)
    except ServingError as e:
        return Outcome(error=e)
    return Outcome({a: got[n] for a, n in zip(fetch, names, strict=True)})


def _signature_done(runtime: str, key: str, i: int, n: int, start: float) -> None:
    # One signature is quick; a model with many makes the run long enough to want a pulse.
    if n > 1:
        log.info(
            "  %s: signature %r ran (%d/%d, %.1fs)", runtime, key, i, n, time.monotonic() - start
        )


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float | None:
    """The largest |a - b| (0 for equal strings or bools); None when no number measures the
    difference (another shape, unequal strings)."""
    if a.shape != b.shape:
        return None
    if a.dtype.kind in "OSUb" or b.dtype.kind in "OSUb":
        return 0.0 if bool(np.all(a == b)) else None
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype(np.complex128) - b.astype(np.complex128))))


def differences(want: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> str:
    """Per output: "output_0 max |difference| 3e-08", or "labels differ"."""
    gaps = {a: max_abs_difference(want[a], got[a]) for a in sorted(want)}
    return ", ".join(
        f"{a} differs" if g is None else f"{a} max |difference| {g:.3g}" for a, g in gaps.items()
    )


def _compared(py: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> str:
    if all(max_abs_difference(py[a], other[a]) == 0 for a in py):
        return "outputs equal to Python's"
    return f"vs Python: {differences(py, other)}"


def _error(e: ServingError, limit: int = 300) -> str:
    text = " ".join(f"{e.code.name}: {e.message}".split())  # TF's messages span lines
    return text if len(text) <= limit else text[:limit] + "..."


def _judge_runs(d: Diagnosis) -> None:
    """Problems where the runtimes disagree; notes where both refuse doctor's own inputs."""
    if d.python_load is not None:
        d.problems.append(f"Python (tf.saved_model.load) cannot load it: {_error(d.python_load)}")
    if d.capi_load is not None:
        d.problems.append(
            f"the C API (TF_LoadSessionFromSavedModel, as TF Serving, Go and C++ load it) cannot "
            f"load it: {_error(d.capi_load)}"
        )
    for keys in _outcome_groups(d):
        key = keys[0]
        py, c, feed = d.python[key], d.capi[key], d.feeds[key]
        where = label(keys)
        if py.ok and c.error is not None:
            d.problems.append(f"{where}: the C API fails where Python runs: {_error(c.error)}")
            d.keras_save |= MISSING_VARIABLE in c.error.message
        elif c.ok and py.error is not None:
            d.problems.append(f"{where}: Python fails where the C API runs: {_error(py.error)}")
        elif py.error is not None and c.error is not None:
            if _calls_python(d, c.error):
                d.notes.append(
                    f"{where} fails in both runtimes because it calls Python (the problem "
                    f"above): Python {_error(py.error, 200)}; the C API {_error(c.error, 160)}"
                )
            elif feed.source == "your inputs":
                d.problems.append(
                    f"{where} fails with your inputs in Python and the C API: {_error(py.error)}"
                )
            else:
                # Both runtimes agree: the inputs doctor made up are at fault, not the model.
                d.notes.append(
                    f"{where} refused doctor's inputs ({feed.source}) in Python and the C API "
                    f"alike ({_error(py.error, 200)}); it was not checked: give inputs that fit "
                    "with --inputs FILE"
                )
        elif py.skipped and d.python_load is None and c.skipped and d.capi_load is None:
            d.notes.append(f"{where} was not run: {py.skipped}")
    if d.keras_save:
        d.problems.append(KERAS_SAVE.format(model=d.saved_model))


def _calls_python(d: Diagnosis, capi_error: ServingError) -> bool:
    """Whether a C API failure is the missing kernel of one of the graph's Python ops."""
    return any(f"Op '{op}'" in capi_error.message for op in d.python_ops)


def _outcome_groups(d: Diagnosis) -> list[list[str]]:
    """The signature groups, split where members did not fare alike."""
    out = []
    for keys in d.groups:
        by_summary: dict[str, list[str]] = {}
        for key in keys:
            by_summary.setdefault(_summary(d, key), []).append(key)
        out += list(by_summary.values())
    return out


def _summary(d: Diagnosis, key: str) -> str:
    py, c = d.python[key], d.capi[key]
    if py.skipped and c.skipped:
        return f"not run: {py.skipped if d.python_load is None else c.skipped}"
    py_text = "Python ok" if py.ok else _runtime_failure("Python", py)
    c_text = "C API ok" if c.ok else _runtime_failure("C API", c)
    if py.outputs is not None and c.outputs is not None:
        c_text += f", {_compared(py.outputs, c.outputs)}"
    return f"{py_text}; {c_text} ({d.feeds[key].source})"


def _runtime_failure(runtime: str, o: Outcome) -> str:
    if o.error is not None:
        return f"{runtime} FAILED ({_error(o.error, 160)})"
    return f"{runtime} not run ({o.skipped})"


def carriage_warnings(d: Diagnosis) -> list[str]:
    """One warning per predict signature group and (client, mode) that cannot carry one of its
    dtypes, with how verify will treat it."""
    predict_keys = [
        k for k, s in d.meta.signature_def.items() if s.method_name == signature.PREDICT_METHOD
    ]
    found: dict[tuple[str, str], list[tuple[list[str], list[limits.Refusal]]]] = {}
    for keys in d.groups:
        sig = d.meta.signature_def[keys[0]]
        if sig.method_name != signature.PREDICT_METHOD:
            continue  # classify and regress carry tf.Examples, not tensors
        refused = limits.refusals(
            {a: i.dtype for a, i in sig.inputs.items()},
            {a: i.dtype for a, i in sig.outputs.items()},
        )
        by_who: dict[tuple[str, str], list[limits.Refusal]] = {}
        for r in refused:
            by_who.setdefault((r.limit.client, r.limit.mode), []).append(r)
        for who, rs in by_who.items():
            found.setdefault(who, []).append((keys, rs))
    model = default_name(d.saved_model.resolve(), d.versioned)
    out = []
    for (_, mode), entries in found.items():
        affected = sorted(k for keys, _ in entries for k in keys)
        for keys, rs in entries:
            tensors = ", ".join(f"{r.limit.direction} {r.alias!r} ({r.dtype_name})" for r in rs)
            reasons = "; ".join(dict.fromkeys(_reason(r.limit, rs) for r in rs))
            text = f"{rs[0].limit.who} cannot carry {label(keys)} {tensors}: {reasons}"
            if rs[0].limit.recorded:
                text += (
                    f"; the recorded cases expect that answer over {mode}: its {mode} rows pass "
                    f"on the refusal without running the model (clients that need it: gRPC)"
                )
            else:
                lines = _expect_lines(
                    model, keys, rs, affected == sorted(predict_keys), predict_keys
                )
                text += "; accept it with verify --expect FILE (" + "; ".join(lines) + ")"
            out.append(text)
    return out


def _reason(limit: limits.Limit, refusals: list[limits.Refusal]) -> str:
    names = ", ".join(dict.fromkeys(r.dtype_name for r in refusals if r.limit == limit))
    return limit.reason.format(dtype=names)


def _expect_lines(
    model: str,
    keys: list[str],
    refusals: list[limits.Refusal],
    every_predict_signature: bool,
    predict_keys: list[str],
) -> list[str]:
    """verify --expect entries (client/mode/model/case-glob OUTCOME "substring" reason) for
    the rows a client limit fails: every run of the model over that mode when each predict
    signature is affected, else the cases record names after these signatures."""
    limit = refusals[0].limit
    # The run stops at the first tensor refused: an input's when any is, else an output's.
    first = [r for r in refusals if r.limit.direction == "input"] or refusals
    dtypes = sorted({r.dtype_name for r in first})
    substring = first[0].message if len(dtypes) == 1 else limit.message.split("{dtype}")[0].strip()
    reason = _reason(first[0].limit, first).split(" (")[0]
    if every_predict_signature:
        globs = ["@runs"]
    else:
        globs = []
        for key in keys:
            base = f"predict-{_slug(key)}"
            others = [k for k in predict_keys if k not in keys]
            if any(f"predict-{_slug(o)}".startswith(base) for o in others):
                globs += [base, f"{base}-*"]  # a bare prefix glob would take those too
            else:
                globs.append(f"{base}*")
    return [
        f'line: {client}/{limit.mode}/{model}/{glob}  {limit.code}  "{substring}"  {reason}'
        for client in limit.clients()
        for glob in globs
    ]


def _slug(text: str) -> str:
    # record's case ids name a signature this way (predict-<slug>[-<probe>]).
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def advice(d: Diagnosis) -> list[str]:
    """Notes, once per signature group, that fit the model's kind."""
    out = []
    for keys in d.groups:
        sig = d.meta.signature_def[keys[0]]
        where = label(keys)
        if sig.method_name in EXAMPLE_METHODS:
            out.append(
                f"{where} is {_method(sig)}: a server API (gRPC Classify/Regress, REST "
                f":{_method(sig)}) taking tf.Examples, not available in-process."
            )
            continue  # its input key `inputs` is fixed by the API: no naming advice
        generic = sorted(a for a in sig.inputs if GENERIC_NAMES.match(a))
        if generic:
            out.append(
                f"{where} takes inputs named {generic}: clients must use these signature keys "
                "(gRPC 'inputs' map keys, REST 'inputs'/'instances' object keys). "
                + _naming_fix(d.kind)
            )
        for alias, info in sorted(sig.inputs.items()):
            dt = info.dtype
            if dt == types_pb2.DT_DOUBLE:
                out.append(
                    f"{where} input {alias!r} is float64: REST clients must write full double "
                    "precision (not float32-rounded values)."
                )
            elif dt == types_pb2.DT_STRING:
                out.append(
                    f"{where} input {alias!r} is a string: over REST, bytes that are not UTF-8 "
                    'must be sent as {"b64": "..."}.'
                )
            elif dt == types_pb2.DT_INT64:
                out.append(
                    f"{where} input {alias!r} is int64: JSON parsers that read numbers as doubles "
                    "lose values above 2^53."
                )
    return out


def _naming_fix(kind: Kind) -> str:
    if kind.name == "tf_keras":
        return "Name them with keras.Input(name=...) when building the model."
    if kind.keras:
        return "Name them with keras.Input(name=...) and export with model.export."
    if kind.name == "module":
        return (
            "Name them in the tf.function's input_signature (tf.TensorSpec(..., name=...)) or "
            "by its argument names."
        )
    return "They are the keys of the signature's inputs map (predict_signature_def(inputs={...}))."


def report(d: Diagnosis) -> list[str]:
    """The printed report: the model, each signature's runs, problems, warnings, notes."""
    lines = [f"SavedModel {d.model_dir} (version {d.version}): {d.kind.description}"]
    for keys in d.groups:
        sig = d.meta.signature_def[keys[0]]
        lines.append(
            f"  {label(keys)}, {_method(sig)}: {_tensors(sig.inputs)} -> {_tensors(sig.outputs)}"
        )
    lines.append("Runs (Python: tf.saved_model.load; C API: as TF Serving, Go and C++ load it):")
    for keys in _outcome_groups(d):
        lines.append(f"  {label(keys)}: {_summary(d, keys[0])}")
    lines.append(f"  Python (tf.saved_model.load): {_runtime(d, d.python, d.python_load)}")
    lines.append(
        f"  C API (TF_LoadSessionFromSavedModel + TF_SessionRun): {_runtime(d, d.capi, d.capi_load)}"
    )
    lines += [f"PROBLEM: {p}" for p in d.problems]
    lines += [f"WARNING: {w}" for w in d.warnings]
    lines += [f"NOTE: {n}" for n in d.notes]
    if not d.problems:
        libraries = "".join(f" --op-library {lib.path}" for lib in d.op_libraries)
        lines.append(
            f"No blocking problem found. Next: tfinterop verify --saved-model {d.saved_model}"
            f"{libraries}"
        )
    return lines


def _runtime(d: Diagnosis, outcomes: dict[str, Outcome], load: ServingError | None) -> str:
    """ok unless the runtime failed to load, failed a signature the other runtime ran, or
    failed one because the graph calls Python (which fails in both)."""
    if load is not None:
        return "FAILED (load)"
    other = d.capi if outcomes is d.python else d.python
    alone = sorted(
        k
        for k, o in outcomes.items()
        if o.error is not None and (other[k].ok or (d.python_ops and other[k].error is not None))
    )
    ran = sum(1 for o in outcomes.values() if o.ok)
    if alone:
        return f"FAILED ({', '.join(repr(k) for k in alone)}; {ran} of {len(outcomes)} ran)"
    return f"ok ({ran} of {len(outcomes)} signatures ran)"
