"""The reference every golden comes from: TF Serving's rules over tf.saved_model.load.

`answer` gives, for one case, the response or the canonical error TF Serving
returns over gRPC (in-process clients must answer alike), and the transports
where the right answer differs (`transport_errors`, today only REST). A case
whose REST answer is a different response, or cannot be known, is refused
(GoldenError): it must leave rest out of its transports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from tensorflow_serving.apis import get_model_metadata_pb2

from tfinterop.golden import examples, predict, rest
from tfinterop.golden.cases.manifest import TRANSPORTS
from tfinterop.golden.models import Models
from tfinterop.golden.savedmodel import GoldenError
from tfinterop.serving import op_libraries as op_library
from tfinterop.serving.errors import ServingError

SERVER_APIS = ("classify", "regress", "multi_inference")

# The TF Serving source each API's rules are taken from.
RULES = {
    "predict": "predict_util.cc",
    "metadata": "get_model_metadata_impl.cc",
    "classify": "classifier.cc",
    "regress": "regressor.cc",
    "multi_inference": "multi_inference.cc",
}

_CALLS: dict[str, Callable[[Models, Any], Message]] = {
    "predict": predict.predict,
    "metadata": predict.metadata,
    "classify": examples.classify,
    "regress": examples.regress,
    "multi_inference": examples.multi_inference,
}


@dataclass(frozen=True)
class Answer:
    """TF Serving's answer to one case: exactly one of response and error."""

    response: Message | None
    error: ServingError | None
    transport_errors: dict[str, str] = field(default_factory=dict)


class Reference:
    """Answers case requests for the models of one TF Serving model config file.

    `op_libraries` are the custom-op libraries the case set loads (its manifest's
    model.op_libraries): loaded into this process first. An op another library
    registered in this process counts as missing for these models (GoldenError when a
    library does not load: no golden can be made without it).
    """

    def __init__(self, config: Path, op_libraries: Sequence[Path] = ()) -> None:
        own: set[str] = set()
        for path in op_libraries:
            try:
                own |= op_library.load(path).ops
            except ServingError as e:
                raise GoldenError(f"op library {path}: {e}") from None
        self._models = Models(config, frozenset(own))

    def call(self, api: str, request: Message) -> Message:
        """The gRPC answer: the response, or ServingError with TF Serving's code."""
        fn = _CALLS.get(api)
        if fn is None:
            raise GoldenError(f"unknown api {api!r}")
        return fn(self._models, request)

    def answer(
        self,
        api: str,
        request: Message,
        transports: Iterable[str] = TRANSPORTS,
        rest_format: str = "columnar",
        case: str = "",
    ) -> Answer:
        """The case's golden; GoldenError when no transport-independent golden exists."""
        transports = tuple(transports)
        case = case or api
        if api in SERVER_APIS and "inproc" in transports:
            raise GoldenError(f"{case}: {api} is a server API; inproc does not apply")
        response, error = self._outcome(lambda: self.call(api, request))
        transport_errors: dict[str, str] = {}
        if "rest" in transports:
            rest_response, rest_error = self._outcome(
                lambda: self._rest(api, request, rest_format, case)
            )
            if rest_error is not None:
                if error is None or rest_error.code != error.code:
                    transport_errors["rest"] = rest_error.code.name
            elif error is not None:
                raise GoldenError(
                    f"{case}: over gRPC TF Serving answers {error.code.name}, over REST it "
                    "answers with a response (the JSON body does not carry what fails); "
                    "leave rest out of the transports"
                )
            elif not _same_answer(api, response, rest_response):
                raise GoldenError(
                    f"{case}: over REST TF Serving computes a different response (the JSON "
                    "body changes the request); leave rest out of the transports"
                )
        return Answer(response, error, transport_errors)

    @staticmethod
    def _outcome(fn: Callable[[], Message]) -> tuple[Message | None, ServingError | None]:
        try:
            return fn(), None
        except ServingError as e:
            return None, e

    def _rest(self, api: str, request: Any, rest_format: str, case: str) -> Message:
        models = self._models
        if api == "predict":
            response = predict.predict(
                models, rest.predict_request(models, request, rest_format, case)
            )
            rest.check_predict_response(response, rest_format)
            return response
        if api == "metadata":
            return predict.metadata(models, rest.metadata_request(request))
        if api in ("classify", "regress"):
            return _CALLS[api](models, rest.examples_request(request))
        raise GoldenError(f"{case}: TF Serving's REST API has no {api} endpoint")


def _same_answer(api: str, grpc: Any, over_rest: Any) -> bool:
    """Equal where REST carries it: outputs (predict), results, or the whole metadata."""
    if api == "predict":
        return {k: v.SerializeToString(deterministic=True) for k, v in grpc.outputs.items()} == {
            k: v.SerializeToString(deterministic=True) for k, v in over_rest.outputs.items()
        }
    if api in ("classify", "regress"):
        return bool(grpc.result == over_rest.result)
    return bool(grpc == over_rest)


def metadata_request(model: str, version: int) -> get_model_metadata_pb2.GetModelMetadataRequest:
    """GetModelMetadata for the signature_def of one version (what REST's GET .../metadata asks)."""
    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = model
    req.model_spec.version.value = version
    req.metadata_field.append(predict.SIGNATURE_DEF_FIELD)
    return req


def producer(apis: Iterable[str]) -> dict[str, Any]:
    """Manifest producer fields: which runtime and rules made each API's goldens, and the TF build.

    `tensorflow_build` is what the judge compares with a client's
    runtime.tensorflow_build to demand bit-exact values.
    """
    import tensorflow as tf

    version = tf.__version__
    runtimes = {}
    for api in sorted(set(apis), key=list(RULES).index):
        runs = (
            "MetaGraphDef of saved_model.pb"
            if api == "metadata"
            else f"tf.saved_model.load (tensorflow {version})"
        )
        runtimes[api] = f"tfinterop.golden: {runs} + TF Serving {RULES[api]} rules"
    return {"golden_runtimes": runtimes, "tensorflow_build": f"pip:tensorflow=={version}"}
