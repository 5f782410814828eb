"""`tfinterop record`: golden cases for any SavedModel, and a model config entry for it.

The SavedModel is copied into build/models/<name>/<version>/ (never modified in
place), its signatures read from the MetaGraph, and cases recorded for each:

- predict signatures with synthesized inputs are probed at batch 1 and batch 3,
  at a second size (5) of their other dynamic dimensions, and with an empty
  batch where the batch is dynamic. The empty batch goes over REST in the row
  form, {"instances": []}, which TF Serving refuses before running the model
  (json_tensor.cc FillPredictRequestFromJson: INVALID_ARGUMENT "No values in
  'instances' array"); columnar JSON [] could not carry the inner dimensions
  either, so the model would run on a tensor of another rank.
- predict signatures with the user's --inputs get that case, plus the batch
  probes that slicing or repeating the user's rows gives.
- classify/regress signatures get tf.Examples built from the feature spec their
  graph parses, or are listed as not covered with the reason.

`Recorded.coverage` says which cases run each (signature, api) expecting outputs
that hold values; `Recorded.uncovered` why one has none.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import classification_pb2, predict_pb2, regression_pb2

from tfinterop.byo import feature_spec, model_folder, synth
from tfinterop.byo import inputs as byo_inputs
from tfinterop.golden import GoldenError, Reference, metadata_request
from tfinterop.golden.cases import manifest
from tfinterop.golden.cases.book import with_v2
from tfinterop.golden.cases.manifest import Case
from tfinterop.serving import model_config, signature, tensor_codec
from tfinterop.serving import op_libraries as op_library
from tfinterop.serving.errors import ServingError, ToolError, UsageError
from tfinterop.util import atomic

log = logging.getLogger(__name__)

# Another build or runtime may differ in the last bits of arbitrary models.
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
PROBE_BATCHES = (1, 3)
SECOND_INNER = 5  # the other size of dynamic non-batch dimensions (synth.INNER is the first)
EMPTY_REST_ANSWER = (
    'over REST the empty batch is sent as {"instances": []}, which TF Serving refuses '
    "before running the model: INVALID_ARGUMENT \"No values in 'instances' array\" "
    "(json_tensor.cc FillPredictRequestFromJson; JSON [] cannot carry the inner dimensions)"
)
_ANSWERS = "; TF Serving answers "


@dataclass
class Recorded:
    name: str
    version: int
    cases: list[Case] = field(default_factory=list)
    # "signature 'k': why" for each uncovered signature; "case 'x': why" for a model-level
    # case (metadata, unknown signature or model) the golden cannot give.
    not_covered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (signature key, api) -> ids of the cases that run it expecting outputs holding values
    # (an empty batch's outputs hold none, so it does not count).
    coverage: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # (signature key, api) -> why no case runs it expecting outputs.
    uncovered: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Probe:
    suffix: str  # "" for the signature's one case, else "batch1", "inner5", "empty", ...
    what: str  # how the inputs were made, for the description
    arrays: dict[str, np.ndarray]
    rest_format: str = "columnar"


_API_OF_METHOD = {
    signature.PREDICT_METHOD: "predict",
    signature.CLASSIFY_METHOD: "classify",
    signature.REGRESS_METHOD: "regress",
}


def api_of(sig: meta_graph_pb2.SignatureDef) -> str:
    """The API a signature is recorded through: classify and regress signatures through
    their own APIs; any other method name through predict, which TF Serving's Predict
    serves whatever the method name (--enable_signature_method_name_check is off by
    default; predict_util.cc checks it only when on)."""
    return _API_OF_METHOD.get(sig.method_name, "predict")


def main(
    saved_model: Path,
    out: Path,
    name: str | None,
    inputs: Path | None,
    warmup: bool,
    op_libraries: list[Path] | None = None,
) -> int:
    """`tfinterop record`: the summary and where the cases and config went."""
    rec = record(saved_model, out, name, inputs, warmup, op_libraries or [])
    print(summary(rec))
    print(f"cases: {out / 'cases' / rec.name}; config: {out / 'models' / 'models.config'}")
    return 0


def summary(rec: Recorded) -> str:
    lines = [f"recorded {len(rec.cases)} cases for {rec.name} version {rec.version}"]
    lines += [f"  not covered: {n}" for n in rec.not_covered]
    lines += [f"  note: {n}" for n in rec.notes]
    return "\n".join(lines)


def record(
    saved_model: Path,
    out: Path,
    name: str | None = None,
    inputs: Path | None = None,
    warmup: bool = False,
    op_libraries: list[Path] | None = None,
) -> Recorded:
    """Copy the model, record its cases and write the case set; ToolError/UsageError for the
    user's mistakes (a missing folder, a bad name, --inputs that do not fit the model, an
    --op-library that is missing or does not load), raised before anything is written.
    The op libraries are loaded into the golden reference and listed in the manifest."""
    saved_model = saved_model.resolve()
    if not saved_model.exists():
        raise ToolError(f"--saved-model {saved_model} does not exist")
    libraries = [op_library.resolve(p) for p in op_libraries or []]
    for lib in libraries:
        if not lib.is_file():
            raise UsageError(f"--op-library {lib} does not exist")
        try:
            op_library.load(lib)
        except ServingError as e:
            raise ToolError(f"--op-library {lib} does not load: {e}") from None
    versions, versioned = model_folder.versions(saved_model)
    name = name or model_folder.default_name(saved_model, versioned)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise UsageError(f"--name {name!r}: use letters, digits, '_', '-' and '.'")
    version = max(versions)
    meta = signature.read_meta_graph(versions[version])
    missing = op_library.unregistered(meta)
    if missing:
        # Without its kernels no runtime loads the model: every case would record the
        # same NOT_FOUND and cover nothing.
        raise ToolError(
            f"{versions[version]} uses ops this TensorFlow does not register "
            f"({', '.join(missing)}): custom ops. Give the library that registers them with "
            "--op-library PATH (it is then listed in the case set, loaded by every client "
            "in-process and by the bundled server)"
        )
    user = byo_inputs.load(inputs) if inputs else {}
    byo_inputs.check_keys(user, meta)
    user_arrays = {
        key: byo_inputs.arrays_for(raw, meta.signature_def[key], key) for key, raw in user.items()
    }

    models = out / "models"
    # Each version keeps its folder name, zero padding included, as TF Serving reads it;
    # a bare SavedModel becomes version 1.
    folders = {v: src.name if versioned else str(v) for v, src in versions.items()}
    with atomic.staged_dir(models / name) as tmp:
        for v, src in sorted(versions.items()):
            shutil.copytree(src, tmp / folders[v], symlinks=False)
    config_path = models / "models.config"
    entries = {
        e.name: e for e in (model_config.parse_config(config_path) if config_path.exists() else [])
    }
    entries[name] = model_config.ModelEntry(name=name, base_path=(models / name).resolve())
    atomic.write_text(
        config_path, model_config.render_config(sorted(entries.values(), key=lambda e: e.name))
    )

    model_dir = models / name / folders[version]
    result = Recorded(name, version)
    ref = Reference(config_path, libraries)
    rng = np.random.default_rng(synth.SEED)
    keys = sorted(k for k in meta.signature_def if not k.startswith("__"))
    for i, key in enumerate(keys, 1):
        start = time.monotonic()
        sig = meta.signature_def[key]
        api = api_of(sig)
        if api == "predict":
            _record_predict(result, ref, meta, key, sig, user_arrays.get(key), rng)
        else:
            if key in user_arrays:
                result.notes.append(
                    f"signature {key!r}: your inputs are not used; record builds {api} cases "
                    "from tf.Examples of the feature spec"
                )
            _record_examples(result, ref, key, sig, meta)
            if not _covered(result, key, api) and not _takes_examples(sig):
                # A classify/regress signature over plain tensors (TF Serving's
                # half_plus_two regress_x2_to_y3): the Examples API refuses it, and
                # Predict, which serves a signature of any method, runs it.
                _record_predict(result, ref, meta, key, sig, user_arrays.get(key), rng)
        if len(keys) > 1:  # the first includes loading the model into the reference
            log.info(
                "signature %r recorded (%d/%d, %.1fs)", key, i, len(keys), time.monotonic() - start
            )
    _settle_coverage(result, meta, keys)
    _record_negative(result, ref)
    _model_case(
        result,
        ref,
        "metadata",
        "signatures of the model",
        "metadata",
        metadata_request(name, version),
    )
    from tfinterop import golden
    from tfinterop.models import export

    case_folder = out / "cases" / name
    manifest.write(
        case_folder,
        manifest.CaseSet(
            model=name,
            config="../../models/models.config",
            producer={
                **export.runtime_versions(),
                "source": str(saved_model),
                "recorded_by": "tfinterop record",
                **golden.producer(c.api for c in result.cases),
            },
            cases=result.cases,
            # Relative to the case folder, as the contract has it.
            op_libraries=tuple(os.path.relpath(lib, case_folder.resolve()) for lib in libraries),
        ),
    )
    if warmup:
        n = write_warmup(model_dir, warmup_requests(result))
        result.notes.append(f"wrote {n} warmup requests to {model_dir / WARMUP_FILE}")
    return result


def warmup_requests(result: Recorded) -> list[Any]:
    """One request per predict signature: its first case that expects outputs."""
    by_id = {c.id: c for c in result.cases}
    return [
        by_id[ids[0]].request
        for (_, api), ids in sorted(result.coverage.items())
        if api == "predict" and ids
    ]


def _case(
    result: Recorded,
    ref: Reference,
    case_id: str,
    description: str,
    api: str,
    request: Any,
    transports: tuple[str, ...],
    rest_format: str = "columnar",
) -> Case:
    """Add the case with TF Serving's answer (response or code) from the golden reference.

    A case whose REST answer the golden cannot give keeps its other transports (and a
    note says so); GoldenError when no transport has a golden.
    """
    try:
        answer = ref.answer(
            api, request, transports=transports, rest_format=rest_format, case=case_id
        )
    except GoldenError as e:
        if "rest" not in transports:
            raise
        result.notes.append(f"case {case_id!r} is not replayed over REST: {e}")
        return _case(
            result,
            ref,
            case_id,
            description,
            api,
            request,
            tuple(t for t in transports if t != "rest"),
            "columnar",
        )
    v2_entry, transports = with_v2(api, request, answer, transports)
    common: dict[str, Any] = {"transports": transports, "transport_errors": answer.transport_errors}
    if v2_entry is not None:
        common["v2"] = v2_entry
    if api == "predict":
        common["rest_format"] = rest_format
    if answer.error is not None:
        code, message = answer.error.code.name, answer.error.message
        case = Case(
            case_id,
            api,
            request,
            error=code,
            description=f"{description}{_ANSWERS}{code}: {message[:200]}",
            **common,
        )
    else:
        case = Case(
            case_id,
            api,
            request,
            response=answer.response,
            description=description,
            tolerance=dict(TOLERANCE),
            **common,
        )
    result.cases.append(case)
    return case


def _model_case(
    result: Recorded, ref: Reference, case_id: str, description: str, api: str, request: Any
) -> None:
    """A case about the model, not one signature: without a golden it is listed as not
    covered."""
    try:
        _case(result, ref, case_id, description, api, request, ("inproc", "grpc", "rest"))
    except GoldenError as e:
        result.not_covered.append(f"case {case_id!r}: {e}")


def _refusal(case: Case) -> str:
    """ "CODE: message" of an error case, as its description states it."""
    return case.description.partition(_ANSWERS)[2] or str(case.error)


def _batched(sig: meta_graph_pb2.SignatureDef) -> bool:
    """Whether the signature takes a dynamic batch: every input but scalars has a first
    dimension of any size (one fixed first dimension would make a batch probe a guess)."""
    shaped = [i for i in sig.inputs.values() if i.tensor_shape.unknown_rank or i.tensor_shape.dim]
    return bool(shaped) and all(synth.batch_is_dynamic(i) for i in shaped)


def _synthesized_probes(
    meta: meta_graph_pb2.MetaGraphDef,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    rng: np.random.Generator,
) -> list[_Probe]:
    """batch 1 and 3, a second size of the other dynamic dimensions, and the empty batch
    (row form over REST); ValueError when an input cannot be synthesized."""
    examples = sorted(
        {
            f.name
            for info in sig.inputs.values()
            for f in byo_inputs.examples_parsed_from(meta, info) or []
        }
    )
    made = (
        f"synthesized tf.Examples (features {', '.join(examples)})"
        if examples
        else "synthesized inputs"
    )

    def inputs_at(batch: int, inner: int = synth.INNER) -> dict[str, np.ndarray]:
        return byo_inputs.synthesized(meta, key, sig, rng, batch=batch, inner=inner)

    probes = []
    batched = _batched(sig)
    if batched:
        probes += [_Probe(f"batch{b}", f"{made}, batch {b}", inputs_at(b)) for b in PROBE_BATCHES]
    else:
        probes.append(_Probe("", f"{made} (its batch is not dynamic)", inputs_at(synth.BATCH)))
    if any(synth.inner_is_dynamic(i) for i in sig.inputs.values()):
        probes.append(
            _Probe(
                f"inner{SECOND_INNER}",
                f"{made}, batch {synth.BATCH}, its other dynamic dimensions {SECOND_INNER} "
                f"({synth.INNER} in the other cases)",
                inputs_at(synth.BATCH, SECOND_INNER),
            )
        )
    if batched:
        probes.append(_Probe("empty", f"{made}, an empty batch (0)", inputs_at(0), "row"))
    return probes


def _user_probes(sig: meta_graph_pb2.SignatureDef, arrays: dict[str, np.ndarray]) -> list[_Probe]:
    """The user's case, and the batch probes slicing or repeating its rows gives."""
    batched = [a for a, arr in arrays.items() if synth.batch_is_dynamic(sig.inputs[a])]
    sizes = {arrays[a].shape[0] if arrays[a].ndim else -1 for a in batched}
    n = next(iter(sizes)) if len(sizes) == 1 else -1
    probes = [_Probe("", f"your inputs (batch {n})" if n >= 0 else "your inputs", arrays)]
    if not _batched(sig) or n <= 0:
        return probes

    def rows(index: np.ndarray) -> dict[str, np.ndarray]:
        return {a: arr[index] if a in batched else arr for a, arr in arrays.items()}

    if n != 1:
        probes.append(_Probe("batch1", "your first row (batch 1)", rows(np.arange(1))))
    if n != 3:
        how = "the first 3 of your rows" if n > 3 else "your rows repeated"
        probes.append(_Probe("batch3", f"{how} (batch 3)", rows(np.arange(3) % n)))
    probes.append(_Probe("empty", "none of your rows (an empty batch)", rows(np.arange(0)), "row"))
    return probes


def _record_predict(
    result: Recorded,
    ref: Reference,
    meta: meta_graph_pb2.MetaGraphDef,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    user: dict[str, np.ndarray] | None,
    rng: np.random.Generator,
) -> None:
    source = "your inputs" if user is not None else "the synthesized inputs"
    try:
        probes = (
            _user_probes(sig, user)
            if user is not None
            else _synthesized_probes(meta, key, sig, rng)
        )
    except ValueError as e:
        result.uncovered[(key, "predict")] = f"{e}; give inputs with --inputs"
        return
    recorded: list[Case] = []
    for probe in probes:
        req = predict_pb2.PredictRequest()
        req.model_spec.name = result.name
        req.model_spec.version.value = result.version
        req.model_spec.signature_name = key
        for alias, arr in probe.arrays.items():
            req.inputs[alias].CopyFrom(tensor_codec.from_ndarray(arr, sig.inputs[alias].dtype))
        case_id = "-".join(p for p in ("predict", _slug(key), probe.suffix) if p)
        try:
            case = _case(
                result,
                ref,
                case_id,
                f"signature {key} with {probe.what}",
                "predict",
                req,
                ("inproc", "grpc", "rest"),
                probe.rest_format,
            )
        except GoldenError as e:
            result.notes.append(f"case {case_id!r} is not recorded: {e}")
            continue
        rest_answer = case.transport_errors.get("rest", case.error)
        if (
            probe.suffix == "empty"
            and "rest" in case.transports
            and rest_answer == "INVALID_ARGUMENT"
        ):
            case = dataclasses.replace(case, description=f"{case.description}; {EMPTY_REST_ANSWER}")
            result.cases[-1] = case
        recorded.append(case)
    refused = [c for c in recorded if c.error is not None]
    if not recorded:
        result.uncovered[(key, "predict")] = "the golden reference has no answer for it"
    elif not any(_has_values(c) for c in recorded):
        if refused:
            first = _refusal(refused[0])
            result.notes.append(
                f"signature {key!r}: the synthesized inputs were refused ({first}); "
                "give real ones with --inputs"
                if user is None
                else f"signature {key!r}: your inputs were refused ({first})"
            )
            result.uncovered[(key, "predict")] = (
                f"only error cases ran it: TF Serving refuses {source} ({first})"
            )
        else:
            result.uncovered[(key, "predict")] = "only an empty batch ran it with outputs"
    else:
        for c in refused:
            result.notes.append(f"case {c.id!r}: TF Serving refuses it ({_refusal(c)[:160]})")


def _record_examples(
    result: Recorded,
    ref: Reference,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    meta: meta_graph_pb2.MetaGraphDef,
) -> None:
    api = api_of(sig)
    try:
        features = _examples_spec(meta, sig)
    except LookupError as e:
        result.uncovered[(key, api)] = f"feature spec not readable: {e}"
        return
    req: Any = (
        classification_pb2.ClassificationRequest()
        if api == "classify"
        else regression_pb2.RegressionRequest()
    )
    req.model_spec.name = result.name
    req.model_spec.signature_name = key
    for i in range(2):
        req.input.example_list.examples.add().CopyFrom(feature_spec.example_for(features, i))
    try:
        _case(
            result,
            ref,
            f"{api}-{_slug(key)}",
            f"{api} through {key} with tf.Examples built from "
            f"its feature spec ({', '.join(f.name for f in features)})",
            api,
            req,
            ("grpc", "rest"),
        )
    except GoldenError as e:
        result.uncovered[(key, api)] = f"the golden reference has no answer for it: {e}"


def _examples_spec(
    meta: meta_graph_pb2.MetaGraphDef, sig: meta_graph_pb2.SignatureDef
) -> list[feature_spec.Feature]:
    """The spec of the parse op the signature's serialized input feeds; failing that, the
    first in the graph (a graph that parses examples some other way)."""
    info = sig.inputs.get("inputs")
    if info is None and len(sig.inputs) == 1:
        info = next(iter(sig.inputs.values()))
    if info is not None and info.name:
        try:
            return feature_spec.read(meta, info.name)
        except LookupError:
            pass
    return feature_spec.read(meta)


def _has_values(case: Case) -> bool:
    """Whether the expected response holds values: a tensor with elements, or results."""
    if case.response is None:
        return False
    if case.api == "predict":
        return any(
            int(np.prod([d.size for d in t.tensor_shape.dim], dtype=np.int64)) > 0
            for t in case.response.outputs.values()
        )
    return bool(case.response.ByteSize() > 0)


def _takes_examples(sig: meta_graph_pb2.SignatureDef) -> bool:
    """Whether the signature reads serialized tf.Examples: one string input."""
    return len(sig.inputs) == 1 and next(iter(sig.inputs.values())).dtype == types_pb2.DT_STRING


def _covering(result: Recorded, key: str, api: str) -> list[str]:
    """Ids of the cases that run signature `key` expecting values: through its own API, or
    through Predict, which TF Serving runs on a signature of any method."""
    return [
        c.id
        for c in result.cases
        if c.api in (api, "predict")
        and (c.request.model_spec.signature_name or signature.DEFAULT_SIGNATURE) == key
        and _has_values(c)
    ]


def _covered(result: Recorded, key: str, api: str) -> bool:
    return bool(_covering(result, key, api))


def _settle_coverage(result: Recorded, meta: meta_graph_pb2.MetaGraphDef, keys: list[str]) -> None:
    """Fill coverage from the recorded cases; each signature without one gets its reason
    in `uncovered` and a "signature 'k': why" line in not_covered."""
    for key in keys:
        api = api_of(meta.signature_def[key])
        ids = _covering(result, key, api)
        predict_reason = result.uncovered.pop((key, "predict"), None) if api != "predict" else None
        if ids:
            result.coverage[(key, api)] = ids
            result.uncovered.pop((key, api), None)
            continue
        reason = result.uncovered.setdefault((key, api), "no case was recorded for it")
        if predict_reason:
            reason = result.uncovered[(key, api)] = (
                f"{reason}; Predict through it: {predict_reason}"
            )
        result.not_covered.append(f"signature {key!r}: {reason}")


def _record_negative(result: Recorded, ref: Reference) -> None:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = result.name
    req.model_spec.signature_name = "tfinterop_no_such_signature"
    _model_case(result, ref, "unknown-signature", "a signature the model lacks", "predict", req)
    missing = predict_pb2.PredictRequest()
    missing.model_spec.name = "tfinterop_no_such_model"
    _model_case(result, ref, "unknown-model", "a model that is not served", "predict", missing)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def write_warmup(model_dir: Path, requests: list[Any]) -> int:
    """assets.extra/tf_serving_warmup_requests: a TFRecord of PredictionLog, at most 1000 records."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    path = model_dir / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tf.io.TFRecordWriter(str(tmp)) as writer:
        for req in requests[:1000]:
            log_entry = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=req)
            )
            writer.write(log_entry.SerializeToString(deterministic=True))
    tmp.replace(path)
    return min(len(requests), 1000)
