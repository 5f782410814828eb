"""Recording cases: goldens computed by a reference, negative cases checked against it."""

from __future__ import annotations

from typing import Protocol

from google.protobuf.message import Message

from tfinterop.cases.manifest import Case
from tfinterop.errors import ServingError


class Answers(Protocol):
    """Anything that answers a case api: a transport, or the zoo's Reference."""

    def call(self, api: str, request: Message) -> Message: ...


class CaseBook:
    """Collects cases for one model, computing goldens with the reference."""

    def __init__(self, reference: Answers) -> None:
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
