"""The serving APIs over the model manager, as TF Serving's ServerCore-backed impls behave.

Every method raises ServingError with TF Serving's canonical code; the gRPC
and REST front ends only translate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    input_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop.server import predict_plan
from tfinterop.server.manager import ModelManager
from tfinterop.serving import predict, signature, tensor_codec
from tfinterop.serving.errors import Code, ServingError, invalid_argument
from tfinterop.serving.servable import Servable

CLASSIFY_INPUTS = "inputs"
CLASSIFY_CLASSES = "classes"
CLASSIFY_SCORES = "scores"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"

Observer = Callable[[str, str, Code, float], None]  # model, api, code, seconds


class Core:
    """`method_name_check` is TF Serving's --enable_signature_method_name_check (default off:
    Classify and Regress then take any signature whose inputs and outputs fit, as TF2
    exports whose signatures all say predict need)."""

    def __init__(
        self,
        manager: ModelManager,
        observe: Observer | None = None,
        method_name_check: bool = False,
    ) -> None:
        self.manager = manager
        self._observe = observe
        self.method_name_check = method_name_check
        self._plans = predict_plan.Plans()

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
            return self._plans.predict(servable, request, timeout_ms, self.method_name_check)

        return self._timed(request.model_spec.name, "Predict", run)

    def metadata(
        self, request: get_model_metadata_pb2.GetModelMetadataRequest
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        predict.check_metadata_fields(request)
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
        return self._examples_api(
            "Classify",
            _classification_fetches,
            self._run_classification,
            request,
            response,
            timeout_ms,
        )

    def regress(
        self, request: regression_pb2.RegressionRequest, timeout_ms: int = 0
    ) -> regression_pb2.RegressionResponse:
        response = regression_pb2.RegressionResponse()
        return self._examples_api(
            "Regress", _regression_fetches, self._run_regression, request, response, timeout_ms
        )

    def _examples_api(
        self,
        api: str,
        fetches: Callable[[Any, bool], Any],
        runner: Callable[..., None],
        request: Any,
        response: Any,
        timeout_ms: int,
    ) -> object:
        """classifier.cc RunClassify / regressor.cc RunRegress: resolve the servable, the
        signature (Get{Classification,Regression}SignatureDef) and the examples, then run."""

        def run() -> object:
            if not request.HasField("model_spec"):
                raise invalid_argument("Missing ModelSpec")
            servable = self.manager.get(request.model_spec)
            key, sig = _examples_signature(servable, request.model_spec.signature_name)
            fetches(sig, self.method_name_check)
            examples = serialized_examples(request.input)
            runner(servable, key, sig, examples, response.result, timeout_ms)
            predict.set_model_spec(response.model_spec, servable, key)
            return response

        return self._timed(request.model_spec.name, api, run)

    def multi_inference(
        self, request: inference_pb2.MultiInferenceRequest, timeout_ms: int = 0
    ) -> inference_pb2.MultiInferenceResponse:
        """multi_inference.cc: the servable of the first task, then every task checked, then run."""
        first = request.tasks[0].model_spec if request.tasks else None
        if first is None or not first.name:
            raise invalid_argument("Found ModelSpec with an empty model name.")
        servable = self.manager.get(first)
        signatures = servable.meta_graph.signature_def
        seen: set[str] = set()
        plans: list[tuple[Any, str, Any]] = []
        for task in request.tasks:
            if not task.model_spec.name:
                raise invalid_argument("Found ModelSpec with an empty model name.")
            if task.model_spec.name != first.name:
                raise invalid_argument(
                    "All ModelSpecs in a MultiInferenceRequest must access the same model name."
                )
            key = task.model_spec.signature_name or signature.DEFAULT_SIGNATURE
            if key in seen:
                raise invalid_argument(f"Duplicate evaluation of signature: {key}")
            seen.add(key)
            sig = signatures.get(key)
            if sig is None:
                raise invalid_argument(f"Requested signature not found in model graph: {key}")
            if task.method_name == signature.CLASSIFY_METHOD:
                _classification_fetches(sig, self.method_name_check)
            elif task.method_name == signature.REGRESS_METHOD:
                _regression_fetches(sig, self.method_name_check)
            else:
                raise ServingError(
                    Code.UNIMPLEMENTED, f"Unsupported signature method_name: {task.method_name}"
                )
            plans.append((task, key, sig))
        examples = serialized_examples(request.input)
        response = inference_pb2.MultiInferenceResponse()
        for task, key, sig in plans:
            result = response.results.add()
            # TF Serving runs all tasks in one Session::Run; per task gives the same
            # answers for every model without state.
            if task.method_name == signature.CLASSIFY_METHOD:
                self._run_classification(
                    servable, key, sig, examples, result.classification_result, timeout_ms
                )
            else:
                self._run_regression(
                    servable, key, sig, examples, result.regression_result, timeout_ms
                )
            predict.set_model_spec(result.model_spec, servable, key)
        return response

    def _run_classification(
        self,
        servable: Servable,
        key: str,
        sig: Any,
        examples: np.ndarray,
        result: classification_pb2.ClassificationResult,
        timeout_ms: int,
    ) -> None:
        """PostProcessClassificationResult: shapes, dtypes and batch sizes as TF Serving checks."""
        fetch = _classification_fetches(sig, self.method_name_check)
        out = servable.run(key, {CLASSIFY_INPUTS: examples}, fetch, timeout_ms)
        n = len(examples)
        classes = out.get(CLASSIFY_CLASSES)
        scores = out.get(CLASSIFY_SCORES)
        for name, arr, dtype in (
            (CLASSIFY_CLASSES, classes, "DT_STRING"),
            (CLASSIFY_SCORES, scores, "DT_FLOAT"),
        ):
            if arr is None:
                continue
            if arr.ndim != 2:
                raise invalid_argument(
                    f"Expected Tensor shape: [batch_size num_classes] but got {_shape(arr)}"
                )
            if _dtype_name(arr) != dtype:
                raise invalid_argument(
                    f"Expected {name} Tensor of {dtype}. Got: {_dtype_name(arr)}"
                )
            if arr.shape[0] != n:
                raise invalid_argument(
                    f"Expected {name} output batch size of {n}. Got: {arr.shape[0]}"
                )
        if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
            raise invalid_argument(
                "Tensors class and score should match in dim_size(1). Got "
                f"{classes.shape[1]} vs. {scores.shape[1]}"
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

    def _run_regression(
        self,
        servable: Servable,
        key: str,
        sig: Any,
        examples: np.ndarray,
        result: regression_pb2.RegressionResult,
        timeout_ms: int,
    ) -> None:
        """PostProcessRegressionResult, in TF Serving's order of checks."""
        fetch = _regression_fetches(sig, self.method_name_check)
        out = servable.run(key, {REGRESS_INPUTS: examples}, fetch, timeout_ms)
        values = out[REGRESS_OUTPUTS]
        n = len(examples)
        if not (values.ndim == 1 or (values.ndim == 2 and values.shape[1] == 1)):
            raise invalid_argument(
                "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] "
                f"but got {_shape(values)}"
            )
        if values.shape[0] != n:
            raise invalid_argument(
                f"Input batch size did not match output batch size: {n} vs. {values.shape[0]}"
            )
        if _dtype_name(values) != "DT_FLOAT":
            raise invalid_argument(
                f"Expected output Tensor of DT_FLOAT.  Got: {_dtype_name(values)}"
            )
        for v in values.reshape(-1):
            result.regressions.add(value=float(v))


def _examples_signature(servable: Servable, name: str) -> tuple[str, Any]:
    """Get{Classification,Regression}SignatureDef: a missing one is INVALID_ARGUMENT here,
    unlike Predict's FAILED_PRECONDITION."""
    key = name or signature.DEFAULT_SIGNATURE
    sig = servable.meta_graph.signature_def.get(key)
    if sig is None:
        raise invalid_argument(f"No signature was found with the name: {key}")
    return key, sig


def _classification_fetches(sig: Any, method_name_check: bool) -> list[str]:
    """PreProcessClassification: the signature fits Classify; the output aliases to fetch."""
    if method_name_check and sig.method_name != signature.CLASSIFY_METHOD:
        raise invalid_argument(
            f"Expected classification signature method_name to be "
            f"{signature.CLASSIFY_METHOD}. Was: {sig.method_name}"
        )
    if len(sig.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(sig.outputs) not in (1, 2):
        raise invalid_argument(f"Expected one or two output Tensors, found {len(sig.outputs)}")
    if CLASSIFY_INPUTS not in sig.inputs:
        raise invalid_argument(f"No classification inputs found in SignatureDef: {sig}")
    fetch = [a for a in (CLASSIFY_CLASSES, CLASSIFY_SCORES) if a in sig.outputs]
    if not fetch:
        raise invalid_argument(
            'Expected classification signature outputs to contain at least one of "classes" '
            f'or "scores". Signature was: {sig}'
        )
    return fetch


def _regression_fetches(sig: Any, method_name_check: bool) -> list[str]:
    """PreProcessRegression: the signature fits Regress; the output alias to fetch."""
    if method_name_check and sig.method_name != signature.REGRESS_METHOD:
        raise invalid_argument(
            f"Expected regression signature method_name to be "
            f"{signature.REGRESS_METHOD}. Was: {sig.method_name}"
        )
    if len(sig.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    if len(sig.outputs) != 1:
        raise invalid_argument("Expected one output Tensor.")
    if REGRESS_INPUTS not in sig.inputs:
        raise invalid_argument(f"No regression inputs found in SignatureDef: {sig}")
    if REGRESS_OUTPUTS not in sig.outputs:
        raise invalid_argument(f"No regression outputs found in SignatureDef: {sig}")
    return [REGRESS_OUTPUTS]


def _shape(arr: np.ndarray) -> str:
    """TensorShape::DebugString: [2,3,10]."""
    return "[" + ",".join(str(d) for d in arr.shape) + "]"


def _dtype_name(arr: np.ndarray) -> str:
    """The DataType name of an output array (DT_STRING for bytes)."""
    if arr.dtype.kind in ("O", "S", "U"):
        return "DT_STRING"
    for info in tensor_codec.DTYPES.values():
        if info.numpy == arr.dtype:
            return str(types_pb2.DataType.Name(info.enum))
    return str(arr.dtype)


def serialized_examples(inp: input_pb2.Input) -> np.ndarray:
    """The request's tf.Examples as a string tensor [N], as util.cc builds it.

    With a context, each element is the context's serialized bytes followed by the
    example's: parsing the concatenation merges them the protobuf way (a feature the
    example repeats replaces the context's).
    """
    which = inp.WhichOneof("kind")
    if which == "example_list":
        blobs = [e.SerializeToString() for e in inp.example_list.examples]
    elif which == "example_list_with_context":
        ctx = inp.example_list_with_context.context.SerializeToString()
        blobs = [ctx + e.SerializeToString() for e in inp.example_list_with_context.examples]
    else:
        blobs = []
    if not blobs:
        raise invalid_argument("Input is empty.")
    arr = np.empty(len(blobs), dtype=object)
    arr[:] = blobs
    return arr


def _as_str(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
