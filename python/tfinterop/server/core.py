"""The serving APIs over the model manager, as TF Serving's ServerCore-backed impls behave.

Every method raises ServingError with TF Serving's canonical code; the gRPC
and REST front ends only translate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    input_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop import predict, signature
from tfinterop.errors import Code, ServingError, invalid_argument
from tfinterop.servable import Servable
from tfinterop.server.manager import ModelManager

CLASSIFY_INPUTS = "inputs"
CLASSIFY_CLASSES = "classes"
CLASSIFY_SCORES = "scores"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"

Observer = Callable[[str, str, Code, float], None]  # model, api, code, seconds


class Core:
    def __init__(self, manager: ModelManager, observe: Observer | None = None) -> None:
        self.manager = manager
        self._observe = observe

    def _timed(self, model: str, api: str, fn: Callable[[], object]) -> object:
        start = time.perf_counter()
        code = Code.OK
        try:
            return fn()
        except ServingError as e:
            code = e.code
            raise
        finally:
            if self._observe is not None:
                self._observe(model, api, code, time.perf_counter() - start)

    # -- Predict / metadata ------------------------------------------------------------
    def predict(
        self, request: predict_pb2.PredictRequest, timeout_ms: int = 0
    ) -> predict_pb2.PredictResponse:
        def run() -> predict_pb2.PredictResponse:
            if not request.HasField("model_spec"):
                raise invalid_argument("Missing ModelSpec")
            servable = self.manager.get(request.model_spec)
            return predict.run_predict(servable, request, timeout_ms)

        return self._timed(request.model_spec.name, "Predict", run)  # type: ignore[return-value]

    def metadata(
        self, request: get_model_metadata_pb2.GetModelMetadataRequest
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        servable = self.manager.get(request.model_spec)
        return predict.model_metadata(servable, request)

    def status(
        self, request: get_model_status_pb2.GetModelStatusRequest
    ) -> get_model_status_pb2.GetModelStatusResponse:
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        response = get_model_status_pb2.GetModelStatusResponse()
        for version, vs in self.manager.status(request.model_spec):
            st = response.model_version_status.add()
            st.version = version
            st.state = int(vs.state)
            st.status.SetInParent()  # TF Serving always reports a status, OK included
            if vs.error is not None:
                st.status.error_code = int(vs.error.code)
                st.status.error_message = vs.error.message
        return response

    # -- Classify / Regress / MultiInference -------------------------------------------
    def classify(
        self, request: classification_pb2.ClassificationRequest, timeout_ms: int = 0
    ) -> classification_pb2.ClassificationResponse:
        response = classification_pb2.ClassificationResponse()
        return self._examples_api("Classify", self._classify, request, response, timeout_ms)  # type: ignore[return-value]

    def regress(
        self, request: regression_pb2.RegressionRequest, timeout_ms: int = 0
    ) -> regression_pb2.RegressionResponse:
        response = regression_pb2.RegressionResponse()
        return self._examples_api("Regress", self._regress, request, response, timeout_ms)  # type: ignore[return-value]

    def _examples_api(
        self, api: str, fill: Callable[..., str], request: Any, response: Any, timeout_ms: int
    ) -> object:
        """Classify/Regress: resolve, fill response.result through `fill`, stamp the model_spec."""

        def run() -> object:
            servable = self.manager.get(request.model_spec)
            key = fill(
                servable,
                request.model_spec.signature_name,
                request.input,
                response.result,
                timeout_ms,
            )
            predict.set_model_spec(response.model_spec, servable, key)
            return response

        return self._timed(request.model_spec.name, api, run)

    def multi_inference(
        self, request: inference_pb2.MultiInferenceRequest, timeout_ms: int = 0
    ) -> inference_pb2.MultiInferenceResponse:
        if not request.tasks:
            raise invalid_argument("Tasks is empty.")
        names = {t.model_spec.name for t in request.tasks}
        if len(names) != 1:
            raise invalid_argument(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        seen: set[str] = set()
        for t in request.tasks:
            sig = t.model_spec.signature_name or signature.DEFAULT_SIGNATURE
            if sig in seen:
                raise invalid_argument(f"Duplicate evaluation of signature: {sig}")
            seen.add(sig)
            if t.method_name not in (signature.CLASSIFY_METHOD, signature.REGRESS_METHOD):
                raise ServingError(
                    Code.UNIMPLEMENTED, f"Unsupported signature method_name: {t.method_name}"
                )
        servable = self.manager.get(request.tasks[0].model_spec)
        response = inference_pb2.MultiInferenceResponse()
        for t in request.tasks:
            result = response.results.add()
            if t.method_name == signature.CLASSIFY_METHOD:
                key = self._classify(
                    servable,
                    t.model_spec.signature_name,
                    request.input,
                    result.classification_result,
                    timeout_ms,
                )
            else:
                key = self._regress(
                    servable,
                    t.model_spec.signature_name,
                    request.input,
                    result.regression_result,
                    timeout_ms,
                )
            predict.set_model_spec(result.model_spec, servable, key)
        return response

    def _classify(
        self,
        servable: Servable,
        sig_name: str,
        inp: input_pb2.Input,
        result: classification_pb2.ClassificationResult,
        timeout_ms: int,
    ) -> str:
        key, sig = signature.select(servable.meta_graph.signature_def, sig_name)
        if sig.method_name != signature.CLASSIFY_METHOD:
            raise invalid_argument(
                f"Expected classification signature method_name to be "
                f"{signature.CLASSIFY_METHOD}. Was: {sig.method_name}"
            )
        input_alias = _single_input(sig)
        fetch = [a for a in (CLASSIFY_CLASSES, CLASSIFY_SCORES) if a in sig.outputs]
        if not fetch:
            raise invalid_argument(
                "Expected classification signature outputs to contain at least one of "
                "classes or scores."
            )
        examples = serialized_examples(inp)
        out = servable.run(key, {input_alias: examples}, fetch, timeout_ms)
        n = len(examples)
        classes = out.get(CLASSIFY_CLASSES)
        scores = out.get(CLASSIFY_SCORES)
        for name, arr in ((CLASSIFY_CLASSES, classes), (CLASSIFY_SCORES, scores)):
            if arr is not None and (arr.ndim != 2 or arr.shape[0] != n):
                raise invalid_argument(
                    f"Expected Tensor shape: [batch_size num_classes] but got {list(arr.shape)} "
                    f"for output {name}"
                )
        if classes is not None and scores is not None and classes.shape != scores.shape:
            raise invalid_argument(
                f"Tensors class and score should match in shape: {list(classes.shape)} vs "
                f"{list(scores.shape)}"
            )
        k = (classes if classes is not None else scores).shape[1]  # type: ignore[union-attr]
        for i in range(n):
            c = result.classifications.add()
            for j in range(k):
                cls = c.classes.add()
                if classes is not None:
                    cls.label = _as_str(classes[i, j])
                if scores is not None:
                    cls.score = float(scores[i, j])
        return key

    def _regress(
        self,
        servable: Servable,
        sig_name: str,
        inp: input_pb2.Input,
        result: regression_pb2.RegressionResult,
        timeout_ms: int,
    ) -> str:
        key, sig = signature.select(servable.meta_graph.signature_def, sig_name)
        if sig.method_name != signature.REGRESS_METHOD:
            raise invalid_argument(
                f"Expected regression signature method_name to be "
                f"{signature.REGRESS_METHOD}. Was: {sig.method_name}"
            )
        input_alias = _single_input(sig)
        if REGRESS_OUTPUTS not in sig.outputs:
            raise invalid_argument(
                f"No regression outputs found in signature. Expected output named {REGRESS_OUTPUTS}"
            )
        examples = serialized_examples(inp)
        out = servable.run(key, {input_alias: examples}, [REGRESS_OUTPUTS], timeout_ms)
        values = out[REGRESS_OUTPUTS]
        n = len(examples)
        if not (values.shape == (n,) or values.shape == (n, 1)):
            raise invalid_argument(
                f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] "
                f"but got {list(values.shape)}"
            )
        for v in values.reshape(-1):
            result.regressions.add(value=float(v))
        return key


def _single_input(sig) -> str:  # type: ignore[no-untyped-def]
    if len(sig.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    return next(iter(sig.inputs))


def serialized_examples(inp: input_pb2.Input) -> np.ndarray:
    """The request's tf.Examples as a string tensor [N], context merged as TF Serving does."""
    which = inp.WhichOneof("kind")
    if which == "example_list":
        blobs = [e.SerializeToString() for e in inp.example_list.examples]
    elif which == "example_list_with_context":
        ctx = inp.example_list_with_context.context
        blobs = []
        for e in inp.example_list_with_context.examples:
            merged = example_pb2.Example()
            merged.CopyFrom(ctx)
            merged.MergeFrom(e)
            blobs.append(merged.SerializeToString())
    else:
        raise invalid_argument("Input is empty.")
    if not blobs:
        raise invalid_argument("Input is empty.")
    arr = np.empty(len(blobs), dtype=object)
    arr[:] = blobs
    return arr


def _as_str(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
