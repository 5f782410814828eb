"""A's recorded cases on A and on B through the golden reference's runtime, in this process.

B is copied into the build folder next to A's copy, as the model
`<name>-against` of the same model config, and each case is sent twice: as
recorded, and with its model_spec naming B (a pinned version becomes B's).
The B answers also make a case set of their own (A's requests, B's goldens),
which the clients then run like any other: in process, and through the bundled
server (which serves A and B side by side) over TF Serving's gRPC and REST and the
Open Inference Protocol, with B's REST golden and v2 form written as `record`
writes A's.
"""

from __future__ import annotations

import copy
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinterop.byo.diff_report import REFERENCE
from tfinterop.byo.diff_values import Answer, outputs_of
from tfinterop.golden import Answer as GoldenAnswer
from tfinterop.golden import GoldenError, Reference, metadata_request, producer
from tfinterop.golden.cases import manifest
from tfinterop.golden.cases.book import with_v2
from tfinterop.golden.cases.manifest import V2_MODES, Case
from tfinterop.serving import model_config
from tfinterop.serving.errors import ServingError
from tfinterop.util import atomic

REPLAYED_APIS = ("predict", "classify", "regress")
AGAINST_SUFFIX = "-against"

Pairs = dict[str, tuple[Answer, Answer]]


@dataclass(frozen=True)
class Side:
    """One version being compared: the user's folder and its version number."""

    path: Path
    version: int


def replays(case: Case, name: str) -> bool:
    """Whether the case runs a signature of the model (not metadata, not another model)."""
    return case.api in REPLAYED_APIS and case.request.model_spec.name == name


def pointed_at(request: Any, name: str, version: int) -> Any:
    """The request with its model_spec naming `name`; a pinned version becomes `version`."""
    out = copy.deepcopy(request)
    out.model_spec.name = name
    if out.model_spec.WhichOneof("version_choice") is not None:
        out.model_spec.version.value = version
    return out


class Replay:
    """A (already recorded into `build`) and B side by side in one golden Reference."""

    def __init__(
        self, build: Path, a_name: str, a_version: int, b: Side, modes: tuple[str, ...] = ()
    ) -> None:
        """Copies B into build and loads both; GoldenError when either does not load.
        `modes` are the client modes B's case set is written for (REST and the v2 modes
        need goldens of their own; in process and gRPC share the reference's answer)."""
        self.build = build
        self.b = b
        self.modes = modes
        self.b_name = a_name + AGAINST_SUFFIX
        self._ref = Reference(self._add_b())
        for model, version in ((a_name, a_version), (self.b_name, b.version)):
            # Metadata loads the version: a model tf.saved_model.load refuses stops here.
            self._ref.call("metadata", metadata_request(model, version))

    def _add_b(self) -> Path:
        """B's version into build/models/<b_name>/<version>/, and into the model config."""
        models = self.build / "models"
        with atomic.staged_dir(models / self.b_name) as tmp:
            shutil.copytree(self.b.path, tmp / str(self.b.version), symlinks=False)
        config = models / "models.config"
        entries = {e.name: e for e in model_config.parse_config(config)}
        entries[self.b_name] = model_config.ModelEntry(
            name=self.b_name, base_path=(models / self.b_name).resolve()
        )
        atomic.write_text(
            config, model_config.render_config(sorted(entries.values(), key=lambda e: e.name))
        )
        return config

    def on_b(self, request: Any) -> Any:
        return pointed_at(request, self.b_name, self.b.version)

    def run(self, cases: list[Case]) -> tuple[Pairs, list[dict[str, str]], list[Case]]:
        """(case id -> (A's answer, B's), cases the golden cannot answer with why, B's case set
        cases); B's case set is written to build/cases/<b_name>/."""
        pairs: Pairs = {}
        no_answer: list[dict[str, str]] = []
        b_cases: list[Case] = []
        for case in cases:
            b_request = self.on_b(case.request)
            try:
                _, _, a_answer = self._answer(case.api, case.request)
                b_response, b_error, b_answer = self._answer(case.api, b_request)
            except GoldenError as e:
                no_answer.append({"side": REFERENCE, "case": case.id, "why": str(e)})
                continue
            pairs[case.id] = (a_answer, b_answer)
            b_cases.append(self._b_case(case, b_request, b_response, b_error, b_answer))
        self._write_b_cases(b_cases)
        return pairs, no_answer, b_cases

    def _answer(self, api: str, request: Any) -> tuple[Any, ServingError | None, Answer]:
        """The golden's response (None for an error), its error, and the answer they make."""
        try:
            response = self._ref.call(api, request)
        except ServingError as e:
            return None, e, Answer(code=e.code.name, message=e.message)
        return response, None, Answer(outputs=outputs_of(api, response))

    def _b_case(
        self,
        case: Case,
        request: Any,
        response: Any,
        error: ServingError | None,
        answer: Answer,
    ) -> Case:
        """A's case as B answers it, over the transports of A's case that `modes` asks for:
        gRPC (and in process) from the reference's answer, REST from B's own REST golden
        (left out, with the reason on stderr, when none exists), the v2 modes from B's v2
        form."""
        wanted = set(self.modes) | {"grpc"}  # with_v2 writes a v2 form only beside grpc
        transports = tuple(t for t in case.transports if t in wanted and t not in V2_MODES) or (
            "grpc",
        )
        transport_errors: dict[str, str] = {}
        if "rest" in transports:
            try:
                golden = self._ref.answer(
                    case.api,
                    request,
                    transports=("grpc", "rest"),
                    rest_format=case.rest_format,
                    case=case.id,
                )
                transport_errors = golden.transport_errors
            except GoldenError as e:
                print(f"[diff] {case.id} on B is not replayed over REST: {e}", file=sys.stderr)
                transports = tuple(t for t in transports if t != "rest")
        v2_entry = None
        if set(case.transports) & set(V2_MODES) & wanted:
            v2_entry, with_modes = with_v2(
                case.api, request, GoldenAnswer(response, error), transports
            )
            # Only the v2 modes A's case lists: the two sides run the same modes.
            transports = tuple(t for t in with_modes if t not in V2_MODES or t in case.transports)
            if not set(transports) & set(V2_MODES):
                v2_entry = None
        common: dict[str, Any] = {
            "description": f"{case.description}; replayed on the version compared with A",
            "transports": transports,
            "transport_errors": transport_errors,
            "rest_format": case.rest_format,
            "v2": v2_entry,
        }
        if answer.code is not None:
            return Case(case.id, case.api, request, error=answer.code, **common)
        return Case(
            case.id, case.api, request, response=response, tolerance=dict(case.tolerance), **common
        )

    def _write_b_cases(self, cases: list[Case]) -> None:
        from tfinterop.models import export

        manifest.write(
            self.build / "cases" / self.b_name,
            manifest.CaseSet(
                model=self.b_name,
                config="../../models/models.config",
                producer={
                    **export.runtime_versions(),
                    "source": str(self.b.path),
                    "recorded_by": "tfinterop diff (A's requests, B's answers)",
                    **producer(c.api for c in cases),
                },
                cases=cases,
            ),
        )

    def latency(self, cases: list[Case], pairs: Pairs, runs: int) -> dict[str, Any] | None:
        """Median of `runs` in-process calls of one predict case on each side, A and B in
        turn so both see the same machine; a batch-1 case when there is one. None when no
        predict case with rows was answered on both sides, or runs is 0."""
        answered = [
            c
            for c in cases
            if c.api == "predict"
            and c.id in pairs
            and all(side.outputs is not None for side in pairs[c.id])
            and _batch_of(c) != 0
        ]
        if runs <= 0 or not answered:
            return None
        case = next((c for c in answered if _batch_of(c) == 1), answered[0])
        requests = (case.request, self.on_b(case.request))
        times: tuple[list[float], list[float]] = ([], [])
        for request in requests:  # warm-up: the first call traces and allocates
            self._ref.call("predict", request)
        print(f"[diff] latency: {runs} calls of {case.id} on each side", file=sys.stderr)
        for _ in range(runs):
            for request, spent in zip(requests, times, strict=True):
                start = time.perf_counter()
                self._ref.call("predict", request)
                spent.append((time.perf_counter() - start) * 1e6)
        return {
            "case": case.id,
            "batch": _batch_of(case),
            "runs": runs,
            "a_us": round(statistics.median(times[0]), 1),
            "b_us": round(statistics.median(times[1]), 1),
        }


def _batch_of(case: Case) -> int | None:
    """The first dimension every input of a predict request shares, else None."""
    dims = {t.tensor_shape.dim[0].size for t in case.request.inputs.values() if t.tensor_shape.dim}
    return next(iter(dims)) if len(dims) == 1 else None
