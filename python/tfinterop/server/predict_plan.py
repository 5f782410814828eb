"""The bundled server's Predict fast path: what a valid request needs, worked out once.

`serving.predict.run_predict` selects the signature, checks every input against it
(count, aliases, dtype, shape, content size), decodes, runs and encodes, reading the
SignatureDef's maps on every call: about 100 us of Python per batch-1 MNIST request,
as long as grpcio's own work on the request. A plan is built from a request that the
full path has just answered, per (servable, signature, output filter); a later request
with exactly the plan's inputs, each with the expected dtype and a tensor_content of the
size its shape says (or a typed field of exactly that many values), is decoded with one
lookup and one comparison per input. Anything else (strings, half and complex values,
defaults, padding, a mismatch of any kind) goes through the full path, which gives TF
Serving's answer or error; tests hold both to the same bytes.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import predict_pb2

from tfinterop.serving import predict, signature, tensor_codec
from tfinterop.serving.servable import Servable

_PlanKey = tuple[str, tuple[str, ...], bool]
# Dtypes whose typed field holds the values as a plain list (not half's bits or complex
# pairs): read with one np.array, written with one extend (others: tensor_codec).
_PLAIN_FIELDS = frozenset(
    e
    for e in tensor_codec.DTYPES
    if e
    not in (
        types_pb2.DT_STRING,
        types_pb2.DT_HALF,
        types_pb2.DT_BFLOAT16,
        types_pb2.DT_COMPLEX64,
        types_pb2.DT_COMPLEX128,
    )
)


@dataclass(frozen=True)
class _Input:
    alias: str
    dtype: int
    numpy: np.dtype
    itemsize: int
    field: str  # the typed *_val field read as a plain list; "" for half and complex


@dataclass(frozen=True)
class _Output:
    alias: str
    dtype: int
    numpy: np.dtype | None  # None: encoded by tensor_codec.from_ndarray
    field: str


@dataclass(frozen=True)
class Plan:
    signature: str
    inputs: tuple[_Input, ...]
    outputs: tuple[_Output, ...]
    aliases: list[str]  # the outputs' aliases, in order: what the session fetches

    def arrays(self, sent: Any) -> dict[str, np.ndarray] | None:
        """The decoded inputs when the request fits the plan exactly, else None."""
        if len(sent) != len(self.inputs):
            return None
        arrays: dict[str, np.ndarray] = {}
        for spec in self.inputs:
            proto = sent.get(spec.alias)
            if proto is None or proto.dtype != spec.dtype:
                return None
            shape = proto.tensor_shape
            if shape.unknown_rank:
                return None
            dims = [d.size for d in shape.dim]
            count = 1
            for d in dims:
                if d < 0:
                    return None
                count *= d
            if count > tensor_codec.MAX_ELEMENTS:
                return None
            content = proto.tensor_content
            if content:
                if len(content) != count * spec.itemsize:
                    return None
                # A copy, as the full path makes: the session may reuse a fed buffer.
                array = np.frombuffer(content, dtype=spec.numpy).reshape(dims).copy()
            else:
                values = getattr(proto, spec.field) if spec.field else None
                if values is None or len(values) != count:  # padding: the full path's rule
                    return None
                array = np.array(values, dtype=spec.numpy).reshape(dims)
            arrays[spec.alias] = array
        return arrays

    def respond(
        self, servable: Servable, outputs: dict[str, np.ndarray]
    ) -> predict_pb2.PredictResponse:
        """The PredictResponse run_predict writes, built in place."""
        response = predict_pb2.PredictResponse()
        predict.set_model_spec(response.model_spec, servable, self.signature)
        for spec in self.outputs:
            value = outputs[spec.alias]
            tensor = response.outputs[spec.alias]
            if spec.numpy is None or value.dtype != spec.numpy:
                tensor.CopyFrom(tensor_codec.from_ndarray(value, spec.dtype))
                continue
            tensor.dtype = spec.dtype
            tensor.tensor_shape.SetInParent()  # a scalar's empty shape is written too
            dims = tensor.tensor_shape.dim
            for d in value.shape:
                dims.add().size = d
            getattr(tensor, spec.field).extend(value.ravel().tolist())
        return response


def build(sig_key: str, sig: Any, aliases: list[str]) -> Plan | None:
    """The plan of a signature whose request the full path has just answered (so its
    method name passed the check, when it is on): requests with every input it names.
    None for a signature with a string input."""
    inputs = []
    for alias in sorted(sig.inputs):
        dtype = signature.base_dtype(sig.inputs[alias].dtype)
        info = tensor_codec.DTYPES.get(dtype)
        if info is None or dtype == types_pb2.DT_STRING:
            return None
        field = info.field if dtype in _PLAIN_FIELDS else ""
        inputs.append(_Input(alias, dtype, info.numpy, info.numpy.itemsize, field))
    outputs = []
    for alias in aliases:
        dtype = signature.base_dtype(sig.outputs[alias].dtype)
        info = tensor_codec.DTYPES.get(dtype)
        plain = info is not None and dtype in _PLAIN_FIELDS
        outputs.append(
            _Output(
                alias, dtype, info.numpy if plain and info else None, info.field if info else ""
            )
        )
    return Plan(sig_key, tuple(inputs), tuple(outputs), aliases)


class Plans:
    """Plans per servable (dropped with it) and per (signature, output filter, check)."""

    def __init__(self) -> None:
        self._by_servable: weakref.WeakKeyDictionary[Any, dict[_PlanKey, Plan | None]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def predict(
        self,
        servable: Servable,
        request: predict_pb2.PredictRequest,
        timeout_ms: int,
        method_name_check: bool,
    ) -> predict_pb2.PredictResponse:
        """run_predict's answer for `request`, through a plan where one fits."""
        spec = request.model_spec
        key = (spec.signature_name, tuple(request.output_filter), method_name_check)
        plans = self._by_servable.get(servable)
        plan = plans.get(key) if plans is not None else None
        if plan is not None:
            arrays = plan.arrays(request.inputs)
            if arrays is not None:
                return plan.respond(
                    servable, servable.run(plan.signature, arrays, plan.aliases, timeout_ms)
                )
        response = predict.run_predict(servable, request, timeout_ms, method_name_check)
        if plans is None or key not in plans:
            self._remember(servable, key, request, response)
        return response

    def _remember(
        self,
        servable: Servable,
        key: _PlanKey,
        request: predict_pb2.PredictRequest,
        response: predict_pb2.PredictResponse,
    ) -> None:
        sig_key = response.model_spec.signature_name
        sig = servable.meta_graph.signature_def[sig_key]
        aliases = signature.output_aliases(sig, list(request.output_filter))
        plan = build(sig_key, sig, aliases)
        with self._lock:
            self._by_servable.setdefault(servable, {})[key] = plan
