"""Golden responses for the zoo: Python in-process for predict/metadata, the serving core for
Classify/Regress/MultiInference (server APIs, with no in-process equivalent)."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import Message

from tfinterop import model_config
from tfinterop.transports.inproc import InprocTransport

SERVER_APIS = ("classify", "regress", "multi_inference")


class Reference:
    """Answers any case api; asserts negative cases really fail with their code."""

    def __init__(self, config: Path) -> None:
        self._inproc = InprocTransport(config)
        self._config = config
        self._core = None
        self._loaded: set[str] = set()

    def _server_core(self, models: set[str]):  # type: ignore[no-untyped-def]
        """A serving core holding just the models asked for so far."""
        from tfinterop.server import session_servable
        from tfinterop.server.core import Core
        from tfinterop.server.manager import ModelManager

        if self._core is None:
            self._core = Core(ModelManager(session_servable.load))
        if not models <= self._loaded:
            self._loaded |= models
            entries = model_config.parse_config(self._config)
            self._core.manager.set_config([e for e in entries if e.name in self._loaded])
        return self._core

    def call(self, api: str, request: Message) -> Message:
        if api in SERVER_APIS:
            names = (
                {t.model_spec.name for t in request.tasks}
                if api == "multi_inference"
                else {
                    request.model_spec.name  # type: ignore[attr-defined]
                }
            )
            return getattr(self._server_core(names), api)(request)  # type: ignore[no-any-return]
        return self._inproc.call(api, request)


def metadata_request(model: str, version: int) -> Message:
    from tensorflow_serving.apis import get_model_metadata_pb2

    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = model
    req.model_spec.version.value = version
    req.metadata_field.append("signature_def")
    return req
