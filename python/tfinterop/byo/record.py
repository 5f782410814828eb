"""`tfinterop record`: golden cases for any SavedModel, and a model config entry for it.

The SavedModel is copied into build/models/<name>/<version>/ (never modified in
place), its signatures read from the MetaGraph, and cases recorded for each:
predict signatures from the user's inputs (.npz or TF Serving REST JSON) or
synthesized ones; classify/regress signatures from tf.Examples built from the
feature spec their graph parses, or listed as not covered with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import classification_pb2, predict_pb2, regression_pb2

from tfinterop import atomic, model_config, signature, tensor_codec
from tfinterop.byo import feature_spec, synth
from tfinterop.cases import manifest
from tfinterop.cases.manifest import Case
from tfinterop.errors import ToolError, UsageError
from tfinterop.golden import GoldenError, Reference, metadata_request

log = logging.getLogger(__name__)

# Another build or runtime may differ in the last bits of arbitrary models.
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"


@dataclass
class Recorded:
    name: str
    version: int
    cases: list[Case] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def model_versions(path: Path) -> tuple[dict[int, Path], bool]:
    """Version folders of `path`: itself (as version 1) when it is a SavedModel, else the
    children TF Serving reads as versions (`00000123` is 123) that hold a SavedModel."""
    if _is_saved_model(path):
        return {1: path}, False
    versions = {v: p for v, p in model_config.version_folders(path).items() if _is_saved_model(p)}
    return versions, True


def _is_saved_model(path: Path) -> bool:
    return (path / "saved_model.pb").exists() or (path / "saved_model.pbtxt").exists()


def default_name(path: Path, versioned: bool) -> str:
    raw = path.name if versioned or not path.name.isdigit() else path.parent.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", raw) or "model"


def load_inputs(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """User inputs: {signature: {alias: array}}; .npz keys "alias" or "signature/alias",
    JSON in TF Serving's columnar REST form ({"signature_name"?, "inputs": {...}})."""
    if not path.exists():
        raise ToolError(f"--inputs {path} does not exist")
    out: dict[str, dict[str, np.ndarray]] = {}
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                sig, _, alias = key.rpartition("/")
                out.setdefault(sig or signature.DEFAULT_SIGNATURE, {})[alias] = data[key]
        return out
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ToolError(f"--inputs {path} is not readable JSON: {e}") from None
    docs = doc if isinstance(doc, list) else [doc]
    for d in docs:
        if not isinstance(d, dict) or "inputs" not in d:
            raise ToolError(f'--inputs {path}: expected TF Serving\'s {{"inputs": ...}} form')
        sig = d.get("signature_name") or signature.DEFAULT_SIGNATURE
        inputs = d["inputs"]
        out[sig] = inputs if isinstance(inputs, dict) else {"": inputs}  # type: ignore[assignment]
    return out


def _json_inputs(raw: dict[str, Any], sig: meta_graph_pb2.SignatureDef) -> dict[str, np.ndarray]:
    from tfinterop.server import json_tensor

    if set(raw) == {""}:
        if len(sig.inputs) != 1:
            raise ToolError("--inputs gives one unnamed input but the signature has several")
        raw = {next(iter(sig.inputs)): raw[""]}
    arrays = {}
    for alias, value in raw.items():
        if alias not in sig.inputs:
            raise ToolError(
                f"--inputs names {alias!r}, not an input of the signature ({sorted(sig.inputs)})"
            )
        if isinstance(value, np.ndarray):
            arrays[alias] = (
                value.astype(tensor_codec.dtype_info(sig.inputs[alias].dtype).numpy)
                if value.dtype != object
                else value
            )
        else:
            arrays[alias] = json_tensor.to_array(value, sig.inputs[alias].dtype)
    return arrays


def record(
    saved_model: Path,
    out: Path,
    name: str | None = None,
    inputs: Path | None = None,
    warmup: bool = False,
) -> Recorded:
    saved_model = saved_model.resolve()
    if not saved_model.exists():
        raise ToolError(f"--saved-model {saved_model} does not exist")
    versions, versioned = model_versions(saved_model)
    if not versions:
        raise ToolError(
            f"{saved_model} holds no SavedModel (no saved_model.pb, no numbered version folders)"
        )
    name = name or default_name(saved_model, versioned)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise UsageError(f"--name {name!r}: use letters, digits, '_', '-' and '.'")
    models = out / "models"
    # Each version keeps its folder name, zero padding included, as TF Serving reads it;
    # a bare SavedModel becomes version 1.
    folders = {v: src.name if versioned else str(v) for v, src in versions.items()}
    with atomic.staged_dir(models / name) as tmp:
        for v, src in sorted(versions.items()):
            shutil.copytree(src, tmp / folders[v], symlinks=False)
    version = max(versions)
    config_path = models / "models.config"
    entries = {
        e.name: e for e in (model_config.parse_config(config_path) if config_path.exists() else [])
    }
    entries[name] = model_config.ModelEntry(name=name, base_path=(models / name).resolve())
    atomic.write_text(
        config_path, model_config.render_config(sorted(entries.values(), key=lambda e: e.name))
    )

    model_dir = models / name / folders[version]
    meta = signature.read_meta_graph(model_dir)
    user = load_inputs(inputs) if inputs else {}
    result = Recorded(name, version)
    ref = Reference(config_path)
    rng = np.random.default_rng(synth.SEED)
    keys = sorted(k for k in meta.signature_def if not k.startswith("__"))
    for i, key in enumerate(keys, 1):
        start = time.monotonic()
        sig = meta.signature_def[key]
        if (
            sig.method_name == signature.CLASSIFY_METHOD
            or sig.method_name == signature.REGRESS_METHOD
        ):
            _record_examples(result, ref, key, sig, meta)
        elif sig.method_name == signature.PREDICT_METHOD:
            _record_predict(result, ref, key, sig, user.get(key), rng)
        else:
            result.not_covered.append(
                f"signature {key!r}: method {sig.method_name!r} is not served by TF Serving"
            )
        if len(keys) > 1:  # the first includes loading the model into the reference
            log.info(
                "signature %r recorded (%d/%d, %.1fs)", key, i, len(keys), time.monotonic() - start
            )
    _record_negative(result, ref, meta)
    _case(
        result,
        ref,
        "metadata",
        "signatures of the model",
        "metadata",
        metadata_request(name, version),
        ("inproc", "grpc", "rest"),
    )
    from tfinterop import export, golden

    manifest.write(
        out / "cases" / name,
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
        ),
    )
    if warmup:
        n = write_warmup(
            model_dir, [c.request for c in result.cases if c.api == "predict" and c.error is None]
        )
        result.notes.append(f"wrote {n} warmup requests to {model_dir / WARMUP_FILE}")
    return result


def _case(
    result: Recorded,
    ref: Reference,
    case_id: str,
    description: str,
    api: str,
    request: Any,
    transports: tuple[str, ...],
    **kw: Any,
) -> Case | None:
    """Add the case with TF Serving's answer (response or code) from the golden reference.

    A case whose REST answer the golden cannot give keeps its other transports; one
    with no golden at all is listed as not covered. Returns the case added, if any.
    """
    try:
        answer = ref.answer(api, request, transports=transports, case=case_id)
    except GoldenError as e:
        if "rest" not in transports:
            result.not_covered.append(f"case {case_id!r}: {e}")
            return None
        result.notes.append(f"case {case_id!r} is not replayed over REST: {e}")
        return _case(
            result,
            ref,
            case_id,
            description,
            api,
            request,
            tuple(t for t in transports if t != "rest"),
            **kw,
        )
    if answer.error is not None:
        code, message = answer.error.code.name, answer.error.message
        case = Case(
            case_id,
            api,
            request,
            error=code,
            transports=transports,
            description=f"{description}; TF Serving answers {code}: {message[:200]}",
            transport_errors=answer.transport_errors,
            **kw,
        )
    else:
        case = Case(
            case_id,
            api,
            request,
            response=answer.response,
            transports=transports,
            description=description,
            tolerance=dict(TOLERANCE),
            transport_errors=answer.transport_errors,
            **kw,
        )
    result.cases.append(case)
    return case


def _record_predict(
    result: Recorded,
    ref: Reference,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    user: dict[str, Any] | None,
    rng: np.random.Generator,
) -> None:
    try:
        arrays = _json_inputs(user, sig) if user is not None else synth.batch_consistent(sig, rng)
    except ValueError as e:
        result.not_covered.append(f"signature {key!r}: {e}")
        return
    req = predict_pb2.PredictRequest()
    req.model_spec.name = result.name
    req.model_spec.version.value = result.version
    req.model_spec.signature_name = key
    for alias, arr in arrays.items():
        req.inputs[alias].CopyFrom(tensor_codec.from_ndarray(arr, sig.inputs[alias].dtype))
    source = "your inputs" if user is not None else "synthesized inputs"
    case = _case(
        result,
        ref,
        f"predict-{_slug(key)}",
        f"signature {key} with {source}",
        "predict",
        req,
        ("inproc", "grpc", "rest"),
    )
    if case is not None and case.error is not None:
        result.notes.append(
            f"signature {key!r}: the {source} were refused ({case.description.split('; ')[-1]}); "
            "give real ones with --inputs"
        )


def _record_examples(
    result: Recorded,
    ref: Reference,
    key: str,
    sig: meta_graph_pb2.SignatureDef,
    meta: meta_graph_pb2.MetaGraphDef,
) -> None:
    try:
        features = feature_spec.read(meta)
    except LookupError as e:
        result.not_covered.append(
            f"signature {key!r} ({sig.method_name}): feature spec not readable: {e}"
        )
        return
    classify = sig.method_name == signature.CLASSIFY_METHOD
    req: Any = (
        classification_pb2.ClassificationRequest()
        if classify
        else regression_pb2.RegressionRequest()
    )
    req.model_spec.name = result.name
    req.model_spec.signature_name = key
    for i in range(2):
        req.input.example_list.examples.add().CopyFrom(feature_spec.example_for(features, i))
    api = "classify" if classify else "regress"
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


def _record_negative(result: Recorded, ref: Reference, meta: meta_graph_pb2.MetaGraphDef) -> None:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = result.name
    req.model_spec.signature_name = "tfinterop_no_such_signature"
    _case(
        result,
        ref,
        "unknown-signature",
        "a signature the model lacks",
        "predict",
        req,
        ("inproc", "grpc", "rest"),
    )
    missing = predict_pb2.PredictRequest()
    missing.model_spec.name = "tfinterop_no_such_model"
    _case(
        result,
        ref,
        "unknown-model",
        "a model that is not served",
        "predict",
        missing,
        ("inproc", "grpc", "rest"),
    )


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
