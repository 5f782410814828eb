"""Golden responses for the zoo: Python in-process for predict/metadata, the serving core for
Classify/Regress/MultiInference (server APIs, with no in-process equivalent)."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import Message

from tfinterop import model_config
from tfinterop.cases.manifest import Case
from tfinterop.errors import ServingError
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


class CaseBook:
    """Collects cases for one model, computing goldens with the reference."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.cases: list[Case] = []

    def ok(self, case_id: str, description: str, api: str, request: Message, **kw) -> None:  # type: ignore[no-untyped-def]
        response = self.reference.call(api, request)
        self.cases.append(
            Case(case_id, api, request, response=response, description=description, **kw)
        )

    def err(
        self, case_id: str, description: str, api: str, request: Message, code: str, **kw
    ) -> None:  # type: ignore[no-untyped-def]
        try:
            self.reference.call(api, request)
        except ServingError as e:
            if e.code.name != code:
                raise AssertionError(
                    f"{case_id}: reference gave {e.code.name}, want {code}: {e.message}"
                ) from None
        else:
            raise AssertionError(f"{case_id}: reference succeeded, want {code}")
        self.cases.append(Case(case_id, api, request, error=code, description=description, **kw))


def metadata_request(model: str, version: int) -> Message:
    from tensorflow_serving.apis import get_model_metadata_pb2

    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = model
    req.model_spec.version.value = version
    req.metadata_field.append("signature_def")
    return req
