"""SignatureDef lookup and request validation, following TF Serving's predict_util.cc.

Shared by the bundled server and the Python in-process client so both answer a
bad request with the code TF Serving gives: unknown signature FAILED_PRECONDITION;
extra, missing or unparsable inputs, wrong dtype, unknown output alias
INVALID_ARGUMENT.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError, failed_precondition, invalid_argument

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
SERVE_TAG = "serve"


def read_meta_graph(model_dir: Path, tag: str = SERVE_TAG) -> meta_graph_pb2.MetaGraphDef:
    """The MetaGraphDef tagged `tag` in model_dir/saved_model.pb (or .pbtxt)."""
    sm = saved_model_pb2.SavedModel()
    pb = model_dir / "saved_model.pb"
    if pb.exists():
        sm.ParseFromString(pb.read_bytes())
    else:
        from google.protobuf import text_format

        text_format.Parse((model_dir / "saved_model.pbtxt").read_text(), sm)
    for mg in sm.meta_graphs:
        if tag in mg.meta_info_def.tags:
            return mg
    raise ServingError(
        Code.FAILED_PRECONDITION, f"SavedModel {model_dir} has no MetaGraph tagged {tag!r}"
    )


def select(
    signatures: Mapping[str, meta_graph_pb2.SignatureDef], name: str
) -> tuple[str, meta_graph_pb2.SignatureDef]:
    """Signature by name ('' means serving_default); FAILED_PRECONDITION when absent."""
    key = name or DEFAULT_SIGNATURE
    sig = signatures.get(key)
    if sig is None:
        raise failed_precondition(f'Serving signature key "{key}" not found.')
    return key, sig


def base_dtype(enum: int) -> int:
    """The value dtype of a reference dtype (DT_FLOAT_REF -> DT_FLOAT); others unchanged.

    TF1 graphs that read variables directly (TF Serving's saved_model_counter) record
    *_REF dtypes in their signatures; a Session feeds and fetches plain values.
    """
    return enum - _REF_OFFSET if enum > _REF_OFFSET else enum


_REF_OFFSET = 100  # types.proto: DT_<X>_REF = DT_<X> + 100


def predict_inputs(
    sig: meta_graph_pb2.SignatureDef,
    inputs: Mapping[str, object],
    method_name_check: bool = False,
) -> dict[str, np.ndarray]:
    """Decode and check request inputs against the signature; returns alias -> array.

    `method_name_check` is TF Serving's --enable_signature_method_name_check (off by
    default): on, a signature whose method is not predict, classify or regress is INTERNAL.
    """
    if method_name_check and sig.method_name not in (
        PREDICT_METHOD,
        CLASSIFY_METHOD,
        REGRESS_METHOD,
    ):
        raise ServingError(
            Code.INTERNAL,
            "Expected prediction signature method_name to be one of "
            f"{{{PREDICT_METHOD}, {CLASSIFY_METHOD}, {REGRESS_METHOD}}}. Was: {sig.method_name}",
        )
    sent = set(inputs)
    wanted = set(sig.inputs)
    if len(sent) > len(wanted) or (len(sent) < len(wanted) and not sig.defaults):
        raise invalid_argument(
            f"input size does not match signature: {len(sent)}!={len(wanted)} "
            f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(wanted))}}}). "
            f"Sent extra: {{{','.join(sorted(sent - wanted))}}}. "
            f"Missing but required: {{{','.join(sorted(wanted - sent))}}}."
        )
    unknown = sorted(sent - wanted)
    if unknown:
        raise invalid_argument(
            f"input tensor alias not found in signature: {unknown[0]}. Inputs expected to be "
            f"in the set {{{','.join(sorted(wanted))}}}."
        )
    arrays: dict[str, np.ndarray] = {}
    for index, (alias, info) in enumerate(sorted(sig.inputs.items())):
        proto = inputs.get(alias)
        if proto is None:
            if alias not in sig.defaults:
                raise invalid_argument(
                    f"Signature input alias: {alias}(feed name: {info.name}) not found in "
                    f"request and no default value provided. Inputs expected to be in the "
                    f"request {{{','.join(sorted(sent))}}}, or default input alias set: "
                    f"{','.join(sorted(sig.defaults))}"
                )
            proto = sig.defaults[alias]
        wanted_dtype = base_dtype(info.dtype)
        if proto.dtype != wanted_dtype:  # type: ignore[attr-defined]
            # Session::Run's words: TF Serving leaves the dtype check to the session.
            raise invalid_argument(
                f"Expects arg[{index}] to be {tensor_codec.dtype_name(wanted_dtype)} but "
                f"{tensor_codec.dtype_name(proto.dtype)} is provided"  # type: ignore[attr-defined]
            )
        try:
            arrays[alias] = tensor_codec.to_ndarray(proto)
        except ServingError as e:
            raise invalid_argument(f"tensor parsing error: {alias}: {e.message}") from None
    return arrays


def output_aliases(sig: meta_graph_pb2.SignatureDef, output_filter: list[str]) -> list[str]:
    """Which outputs to return: the filter in order, checked, else all (sorted, as a map)."""
    if not output_filter:
        return sorted(sig.outputs)
    seen: set[str] = set()
    for alias in output_filter:
        if alias not in sig.outputs:
            raise invalid_argument(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{','.join(sorted(sig.outputs))}}}."
            )
        if alias in seen:
            raise invalid_argument(f"duplicate output tensor alias: {alias}")
        seen.add(alias)
    return list(output_filter)
