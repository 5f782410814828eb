"""Recording cases: every golden, and every expected code, comes from tfinterop.golden."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from tfinterop.golden import Answer, Reference, v2
from tfinterop.golden.cases.manifest import TRANSPORTS, Case, V2Case


class CaseBook:
    """Collects cases for one model; `ok` and `err` state what the author expects, the golden
    reference says what TF Serving answers, and a disagreement stops the export.

    A predict case that goes through a server (grpc among its transports) also gets its v2
    form (golden.v2) and the v2 modes that carry it."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.cases: list[Case] = []

    def ok(self, case_id: str, description: str, api: str, request: Message, **kw: Any) -> None:
        answer = self._answer(case_id, api, request, kw)
        if answer.error is not None:
            raise AssertionError(
                f"{case_id}: TF Serving answers {answer.error.code.name}: {answer.error.message}"
            )
        self._add_v2(api, request, answer, kw)
        self.cases.append(
            Case(
                case_id,
                api,
                request,
                response=answer.response,
                description=description,
                transport_errors=answer.transport_errors,
                **kw,
            )
        )

    def err(
        self, case_id: str, description: str, api: str, request: Message, code: str, **kw: Any
    ) -> None:
        answer = self._answer(case_id, api, request, kw)
        if answer.error is None:
            raise AssertionError(f"{case_id}: TF Serving answers with a response, want {code}")
        if answer.error.code.name != code:
            raise AssertionError(
                f"{case_id}: TF Serving answers {answer.error.code.name}, want {code}: "
                f"{answer.error.message}"
            )
        if kw.get("error_message", "") not in answer.error.message:
            raise AssertionError(
                f"{case_id}: the answer's message lacks {kw['error_message']!r}: "
                f"{answer.error.message}"
            )
        self._add_v2(api, request, answer, kw)
        self.cases.append(
            Case(
                case_id,
                api,
                request,
                error=code,
                description=description,
                transport_errors=answer.transport_errors,
                **kw,
            )
        )

    @staticmethod
    def _add_v2(api: str, request: Message, answer: Answer, kw: dict[str, Any]) -> None:
        entry, kw["transports"] = with_v2(
            api, request, answer, tuple(kw.get("transports", TRANSPORTS))
        )
        if entry is not None:
            kw["v2"] = entry

    def _answer(self, case_id: str, api: str, request: Message, kw: dict[str, Any]) -> Answer:
        """The golden for the case's transports; an author's transport_errors must agree."""
        stated = kw.pop("transport_errors", None)
        answer = self.reference.answer(
            api,
            request,
            transports=kw.get("transports", TRANSPORTS),
            rest_format=kw.get("rest_format", "columnar"),
            case=case_id,
        )
        if stated is not None and dict(stated) != answer.transport_errors:
            raise AssertionError(
                f"{case_id}: transport_errors {dict(stated)} stated, TF Serving's rules give "
                f"{answer.transport_errors}"
            )
        return answer


def with_v2(
    api: str, request: Message, answer: Answer, transports: tuple[str, ...]
) -> tuple[V2Case | None, tuple[str, ...]]:
    """A predict case's v2 form and its transports with the v2 modes that carry it: for a
    case that goes through a server (grpc among its transports); (None, transports) else."""
    if api != "predict" or "grpc" not in transports:
        return None, transports
    found = v2.form(request, answer.response, answer.error)
    if found is None:
        return None, transports
    entry, modes = found
    return entry, (*transports, *modes)
