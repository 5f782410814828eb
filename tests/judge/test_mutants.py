"""The judge's tests catch a broken judge: each named mutation, applied by monkeypatching a
judge function, must make at least one test of tests/judge fail, and every test must be
failed by at least one mutation (no test that cannot fail).

The suite runs in-process (pytest.main on tests/judge without this file), once unmutated
(it must pass) and once per mutation.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfinterop.golden.cases.manifest import ManifestCase
from tfinterop.judge import (
    codes,
    compare,
    expected,
    junit,
    matrix,
    precision,
    report,
    results,
    values,
)
from tfinterop.judge.compare import Outcome
from tfinterop.judge.expected import ExpectedFailure, Verdict
from tfinterop.judge.values import Tolerance, ValueCheck

HERE = Path(__file__).resolve().parent
Patch = Callable[[pytest.MonkeyPatch], None]


def _wrap(mp: pytest.MonkeyPatch, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    mp.setattr(owner, name, make(getattr(owner, name)))


# ---- values -----------------------------------------------------------------------------


def nan_equals_nothing(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            if (np.isnan(want.astype(np.float64)) & np.isnan(got.astype(np.float64))).any():
                return ValueCheck(f"{name}: NaN != NaN")
            return orig(name, want, got, exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def nan_equals_anything(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            nan = np.isnan(want.astype(np.float64)) | np.isnan(got.astype(np.float64))
            return orig(name, want, np.where(nan, want, got).astype(want.dtype), exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def nan_payload_must_match_when_exact(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            if exact:
                uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[want.dtype.itemsize]
                if not np.array_equal(want.view(uint), got.view(uint)):
                    return ValueCheck(f"{name}: bits differ")
            return orig(name, want, got, exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def ignore_sign_in_ulp(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda x: abs(orig(x))

    _wrap(mp, values, "_ordered", make)


def ulp_from_raw_bits(mp: pytest.MonkeyPatch) -> None:
    def ordered(x: np.generic) -> int:
        size = np.dtype(x.dtype).itemsize
        return int(np.asarray(x).view({2: np.int16, 4: np.int32, 8: np.int64}[size]))

    mp.setattr(values, "_ordered", ordered)


def exact_compares_values_not_bits(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            if exact:
                return orig(name, want, got, False, Tolerance(0.0, 0.0))
            return orig(name, want, got, exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def tolerance_bound_exclusive(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            shrunk = Tolerance(float(np.nextafter(tol.atol, 0)), float(np.nextafter(tol.rtol, 0)))
            return orig(name, want, got, exact, shrunk)

        return f

    _wrap(mp, values, "_floats", make)


def tolerance_one_ulp_loose(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            if exact:
                return orig(name, want, got, exact, tol)
            loose = Tolerance(float(np.nextafter(tol.atol, 1)), float(np.nextafter(tol.rtol, 1)))
            with np.errstate(invalid="ignore"):
                near = np.abs(np.nextafter(got, want) - want) < np.abs(got - want)
            return orig(name, want, np.where(near, np.nextafter(got, want), got), exact, loose)

        return f

    _wrap(mp, values, "_floats", make)


def rtol_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda name, want, got, exact, tol: orig(
            name, want, got, exact, Tolerance(tol.atol, 0.0)
        )

    _wrap(mp, values, "_floats", make)


def rtol_relative_to_got(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            with np.errstate(all="ignore"):
                scale = np.abs(got.astype(np.float64)) / np.abs(want.astype(np.float64))
            bigger = float(np.nanmax(np.where(np.isfinite(scale), scale, 1.0), initial=1.0))
            return orig(name, want, got, exact, Tolerance(tol.atol, tol.rtol * max(bigger, 1.0)))

        return f

    _wrap(mp, values, "_floats", make)


def infinity_within_tolerance(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            w, g = want.astype(np.float64), got.astype(np.float64)
            inf = (np.isinf(w) | np.isinf(g)) & ~np.isnan(w) & ~np.isnan(g)
            if not exact and tol.rtol >= 1:
                return orig(name, want, np.where(inf, want, got).astype(want.dtype), exact, tol)
            return orig(name, want, got, exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def inf_minus_inf_is_a_match(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            w, g = want.astype(np.float64), got.astype(np.float64)
            both_inf = np.isinf(w) & np.isinf(g)
            return orig(name, want, np.where(both_inf, want, got).astype(want.dtype), exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def integers_through_float64(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray) -> Any:
            if want.dtype.kind in "iu":
                return orig(name, want.astype(np.float64), got.astype(np.float64))
            return orig(name, want, got)

        return f

    _wrap(mp, values, "_exactly", make)


def integers_off_by_one_accepted(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray) -> Any:
            if want.dtype.kind in "iu":
                near = np.abs(want.astype(np.float64) - got.astype(np.float64)) <= 1
                return orig(name, want, np.where(near, want, got).astype(want.dtype))
            return orig(name, want, got)

        return f

    _wrap(mp, values, "_exactly", make)


def strings_decoded_with_replacement(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray) -> Any:
            if want.dtype == np.object_:
                dec = np.vectorize(lambda b: b.decode("utf-8", "replace").encode(), otypes=[object])
                return orig(name, dec(want), dec(got))
            return orig(name, want, got)

        return f

    _wrap(mp, values, "_exactly", make)


def strings_cut_at_nul(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray) -> Any:
            if want.dtype == np.object_:
                cut = np.vectorize(lambda b: b.split(b"\0")[0], otypes=[object])
                return orig(name, cut(want), cut(got))
            return orig(name, want, got)

        return f

    _wrap(mp, values, "_exactly", make)


def complex_imag_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want: np.ndarray, got: np.ndarray, exact: bool, tol: Tolerance) -> Any:
            return ValueCheck() if name.endswith(".imag") else orig(name, want, got, exact, tol)

        return f

    _wrap(mp, values, "_floats", make)


def argmax_ignored(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(compare, "argmax_agreement", lambda name, want, got: "")


def argmax_ties_break_by_first_index(mp: pytest.MonkeyPatch) -> None:
    def agreement(name: str, want: np.ndarray, got: np.ndarray) -> str:
        if want.ndim and not np.array_equal(np.argmax(want, -1), np.argmax(got, -1)):
            return f"{name}: argmax differs"
        return ""

    mp.setattr(compare, "argmax_agreement", agreement)


def argmax_of_the_first_row_only(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda name, want, got: orig(name, want[..., :1, :], got[..., :1, :])

    _wrap(mp, compare, "argmax_agreement", make)


# ---- compare ----------------------------------------------------------------------------


def dtype_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want_p: Any, got_p: Any, *rest: Any) -> Any:
            return ValueCheck() if want_p.dtype != got_p.dtype else orig(name, want_p, got_p, *rest)

        return f

    _wrap(mp, compare, "compare_tensor", make)


def shape_ignored_when_sizes_agree(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(name: str, want_p: Any, got_p: Any, *rest: Any) -> Any:
            want_n = int(np.prod([d.size for d in want_p.tensor_shape.dim]))
            got_n = int(np.prod([d.size for d in got_p.tensor_shape.dim]))
            if want_n == got_n:
                got_p = type(got_p).FromString(got_p.SerializeToString())
                got_p.tensor_shape.CopyFrom(want_p.tensor_shape)
            return orig(name, want_p, got_p, *rest)

        return f

    _wrap(mp, compare, "compare_tensor", make)


def ignore_extra_outputs(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda want, got: orig(want, got & want)

    _wrap(mp, compare, "_output_names", make)


def ignore_missing_outputs(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda want, got: orig(want & got, got)

    _wrap(mp, compare, "_output_names", make)


def model_spec_ignored(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(compare, "_compare_spec", lambda want, got: "")


def model_spec_compared_over_rest(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda case, want, got, mode, exact: orig(case, want, got, "grpc", exact)

    _wrap(mp, compare, "_compare_response", make)


def transport_errors_ignored(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ManifestCase, "expected_error", lambda self, mode: self.error)


def missing_counts_as_pass(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(*args: Any) -> Outcome:
            out = orig(*args)
            return Outcome("pass", wrote=out.wrote) if out.status == "missing" else out

        return f

    _wrap(mp, compare, "compare", make)
    mp.setattr(matrix, "compare", compare.compare)


def skipped_counts_as_pass(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(*args: Any) -> Outcome:
            out = orig(*args)
            return Outcome("pass", wrote=out.wrote) if out.status == "skipped" else out

        return f

    _wrap(mp, compare, "compare", make)
    mp.setattr(matrix, "compare", compare.compare)


def first_of_several_result_files(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(folder: Path, case_id: str) -> dict[str, Path]:
            found = orig(folder, case_id)
            return dict(list(found.items())[:1])

        return f

    _wrap(mp, results, "result_files", make)
    mp.setattr(compare, "result_files", results.result_files)


def an_error_where_a_response_is_expected_passes(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(want: str | None, err: Any, mode: str) -> Outcome:
            return (
                Outcome("pass", wrote="error", error=err) if want is None else orig(want, err, mode)
            )

        return f

    _wrap(mp, compare, "_judge_error", make)


def a_response_where_an_error_is_expected_passes(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(case: ManifestCase, folder: Path, mode: str, exact: bool) -> Outcome:
            out = orig(case, folder, mode, exact)
            if out.wrote == "response" and "got a response" in out.detail:
                return Outcome("pass", wrote="response")
            return out

        return f

    _wrap(mp, compare, "compare", make)
    mp.setattr(matrix, "compare", compare.compare)


# ---- v2 ---------------------------------------------------------------------------------


def v2_model_version_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(want: Any, got: Any, *args: Any) -> Any:
            got = type(got).FromString(got.SerializeToString())
            got.model_version = want.model_version
            return orig(want, got, *args)

        return f

    _wrap(mp, compare, "compare_v2", make)


def v2_raw_contents_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(response: Any) -> Any:
            response = type(response).FromString(response.SerializeToString())
            del response.raw_output_contents[:]
            return orig(response)

        return f

    _wrap(mp, compare.v2, "output_arrays", make)


def v2_datatype_ignored(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda response: {k: ("?", a) for k, (_, a) in orig(response).items()}

    _wrap(mp, compare.v2, "output_arrays", make)


def v2_output_order_judged(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(want: Any, got: Any, *args: Any) -> Any:
            if [o.name for o in got.outputs] != [o.name for o in want.outputs]:
                return ValueCheck("outputs out of order")
            return orig(want, got, *args)

        return f

    _wrap(mp, compare, "compare_v2", make)


def v2_rows_judged_against_the_predict_golden(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ManifestCase, "response_bytes", lambda self, mode: self.read("response"))


def v2_errors_from_the_predict_case(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda self, mode: orig(self, mode.removeprefix("v2"))

    _wrap(mp, ManifestCase, "expected_error", make)


def v2rest_compared_by_code(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(codes, "REST_MODES", ("rest",))


# ---- codes ------------------------------------------------------------------------------


def rest_compared_by_code(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(codes, "error_matches", lambda want, err, mode: err.code == want)


def grpc_compared_by_http_status(mp: pytest.MonkeyPatch) -> None:
    def matches(want: str, err: Any, mode: str) -> bool:
        w = codes.http_status_for(want)
        return w is not None and codes.rest_status(err) == w

    mp.setattr(codes, "error_matches", matches)


def rest_status_from_the_code_only(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(codes, "rest_status", lambda err: codes.http_status_for(err.code))


def any_error_matches(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(codes, "error_matches", lambda want, err, mode: True)


def http_entries_match_grpc_rows(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(
        codes,
        "status_matches",
        lambda want, err, mode: codes.http_status_for(err.code) == want,
    )


# ---- precision --------------------------------------------------------------------------


def tolerance_always(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(precision, "bit_exact_required", lambda row, producer: False)


def exact_always(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(precision, "bit_exact_required", lambda row, producer: True)


def exact_when_both_fields_are_missing(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(precision, "bit_exact_required", lambda row, producer: row == producer)


def exact_from_the_version_and_free_text(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(results_root: Path, client: str, mode: str, model: str) -> str:
            build = orig(results_root, client, mode, model)
            run = precision._read_json(results_root / client / mode / model / "run.json")
            runtime = run.get("runtime", {})
            if mode == "inproc" and not build and "wheel" in str(runtime.get("library", "")):
                return f"pip:tensorflow=={runtime.get('tensorflow', '')}"
            return build

        return f

    _wrap(mp, precision, "row_build", make)


def clients_runtime_for_every_mode(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda results_root, client, mode, model: orig(results_root, client, "inproc", model)

    _wrap(mp, precision, "row_build", make)


def server_build_for_every_mode(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda results_root, client, mode, model: orig(results_root, client, "grpc", model)

    _wrap(mp, precision, "row_build", make)


# ---- expected failures ------------------------------------------------------------------


def xfail_any_status(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(ExpectedFailure, "fails_as_stated", lambda self, mode, o: o.status != "pass")


def ignore_message_substring(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.fails_as_stated
    mp.setattr(
        ExpectedFailure,
        "fails_as_stated",
        lambda self, mode, o: orig(dataclasses.replace(self, substring=""), mode, o),
    )


def substring_case_insensitive(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.fails_as_stated

    def f(self: ExpectedFailure, mode: str, o: Outcome) -> bool:
        if o.error is not None:
            o = dataclasses.replace(
                o, error=dataclasses.replace(o.error, message=o.error.message.lower())
            )
        return orig(dataclasses.replace(self, substring=self.substring.lower()), mode, o)

    mp.setattr(ExpectedFailure, "fails_as_stated", f)


def mismatch_matches_any_failure(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.fails_as_stated

    def f(self: ExpectedFailure, mode: str, o: Outcome) -> bool:
        if self.outcome == "mismatch":
            return o.status == "fail" and self.substring in (
                o.detail + (o.error.message if o.error else "")
            )
        return orig(self, mode, o)

    mp.setattr(ExpectedFailure, "fails_as_stated", f)


def codes_match_a_mismatch(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.fails_as_stated
    mp.setattr(
        ExpectedFailure,
        "fails_as_stated",
        lambda self, mode, o: orig(self, mode, o) or (o.mismatch and self.outcome != "mismatch"),
    )


def listed_passes_are_fine(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(outcome: Outcome, mode: str, listed: list[ExpectedFailure]) -> Verdict:
            if outcome.status == "pass":
                return Verdict("pass", None, "")
            return orig(outcome, mode, listed)

        return f

    _wrap(mp, expected, "verdict", make)


def listed_rows_never_fail(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(outcome: Outcome, mode: str, listed: list[ExpectedFailure]) -> Verdict:
            v = orig(outcome, mode, listed)
            return (
                Verdict("expected", v.entry, v.message)
                if listed and outcome.status != "pass"
                else v
            )

        return f

    _wrap(mp, expected, "verdict", make)


def last_entry_wins(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda outcome, mode, listed: orig(outcome, mode, list(reversed(listed)))

    _wrap(mp, expected, "verdict", make)


def no_stale_entries(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda *a, **k: dataclasses.replace(orig(*a, **k), stale=[])

    _wrap(mp, matrix, "judge", make)


def out_of_scope_entries_are_stale(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(build: Path, clients: list[str], models: Any = None, expected_dir: Any = None) -> Any:
            full = orig(build, clients, None, expected_dir)
            j = orig(build, clients, models, expected_dir)
            return dataclasses.replace(j, entries=full.entries, stale=full.stale)

        return f

    _wrap(mp, matrix, "judge", make)


def at_runs_includes_error_cases(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.covers

    def covers(self: ExpectedFailure, mode: str, model: str, case: ManifestCase) -> bool:
        mode_glob, model_glob, case_glob = self.pattern.split("/")
        if case_glob == "@runs":
            return fnmatch.fnmatchcase(mode, mode_glob) and fnmatch.fnmatchcase(model, model_glob)
        return orig(self, mode, model, case)

    mp.setattr(ExpectedFailure, "covers", covers)


def at_error_ignores_transport_errors(mp: pytest.MonkeyPatch) -> None:
    orig = ExpectedFailure.covers

    def covers(self: ExpectedFailure, mode: str, model: str, case: ManifestCase) -> bool:
        mode_glob, model_glob, case_glob = self.pattern.split("/")
        if case_glob in ("@runs", "@error"):
            heads = fnmatch.fnmatchcase(mode, mode_glob) and fnmatch.fnmatchcase(model, model_glob)
            want_error = case.error is not None
            return heads and (
                want_error if case_glob == "@error" else not want_error and case.api != "metadata"
            )
        return orig(self, mode, model, case)

    mp.setattr(ExpectedFailure, "covers", covers)


def naive_line_parser(mp: pytest.MonkeyPatch) -> None:
    def parse_line(line: str, client: str, where: str) -> ExpectedFailure:
        pattern, outcome, rest = [*line.split(None, 2), "", ""][:3]
        _, substring, reason = [*rest.split('"', 2), "", ""][:3]
        return ExpectedFailure(client, where, pattern, outcome, substring, reason.strip())

    mp.setattr(expected, "_parse_line", parse_line)


def lists_read_from_the_working_folder(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda client, folder=None: orig(
            client, folder if folder is not None else Path("tests/expected_failures")
        )

    _wrap(mp, expected, "load", make)


# ---- report -----------------------------------------------------------------------------


def failures_without_stale_entries(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda judgement, folder: orig(dataclasses.replace(judgement, stale=[]), folder)

    _wrap(mp, report, "write", make)


def failures_without_rerun(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(report, "rerun_command", lambda row, judgement: "")


def report_counts_listed_passes_as_passes(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def f(row: Any) -> dict[str, Any]:
            out = orig(row)
            if out["status"] == "pass":
                out["verdict"] = "pass"
            return out

        return f

    _wrap(mp, report, "row_json", make)


# ---- JUnit XML and JSON rows -------------------------------------------------------------


def junit_missing_is_a_failure(mp: pytest.MonkeyPatch) -> None:
    def kind(self: junit.CiRow) -> str:
        if self.verdict == "skipped":
            return "skipped"
        return "failure" if self.verdict == "unexpected" else "pass"

    mp.setattr(junit.CiRow, "junit", property(kind))


def junit_message_without_rerun(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(junit.CiRow, "message", lambda self: f"[{self.outcome}] {self.case}: {self.detail}")


def junit_leaves_out_cases_that_do_not_apply(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        return lambda judgement: [r for r in orig(judgement) if r.verdict != "skipped"]

    _wrap(mp, junit, "ci_rows", make)


def junit_expected_failures_fail(mp: pytest.MonkeyPatch) -> None:
    orig = junit.CiRow.junit.fget  # type: ignore[attr-defined]

    def kind(self: junit.CiRow) -> str:
        return "failure" if self.verdict == "expected" else str(orig(self))

    mp.setattr(junit.CiRow, "junit", property(kind))


MUTATIONS: dict[str, Patch] = {
    "NaN equals nothing": nan_equals_nothing,
    "NaN equals anything": nan_equals_anything,
    "NaN payload must match when exact": nan_payload_must_match_when_exact,
    "ignore sign in ULP": ignore_sign_in_ulp,
    "ULP from raw two's-complement bits": ulp_from_raw_bits,
    "exact compares values, not bits": exact_compares_values_not_bits,
    "tolerance bound exclusive": tolerance_bound_exclusive,
    "tolerance one ULP loose": tolerance_one_ulp_loose,
    "rtol ignored": rtol_ignored,
    "rtol relative to got": rtol_relative_to_got,
    "infinity within a wide tolerance": infinity_within_tolerance,
    "inf - inf is a match": inf_minus_inf_is_a_match,
    "integers through float64": integers_through_float64,
    "integers off by one accepted": integers_off_by_one_accepted,
    "strings decoded as UTF-8 with replacement": strings_decoded_with_replacement,
    "strings cut at NUL": strings_cut_at_nul,
    "complex imaginary part ignored": complex_imag_ignored,
    "argmax ignored": argmax_ignored,
    "argmax ties break by first index": argmax_ties_break_by_first_index,
    "argmax of the first row only": argmax_of_the_first_row_only,
    "dtype ignored": dtype_ignored,
    "shape ignored when sizes agree": shape_ignored_when_sizes_agree,
    "ignore extra outputs": ignore_extra_outputs,
    "ignore missing outputs": ignore_missing_outputs,
    "model_spec ignored": model_spec_ignored,
    "model_spec compared over REST": model_spec_compared_over_rest,
    "transport_errors ignored": transport_errors_ignored,
    "missing counts as pass": missing_counts_as_pass,
    "skipped counts as pass": skipped_counts_as_pass,
    "first of several result files": first_of_several_result_files,
    "an error where a response is expected passes": an_error_where_a_response_is_expected_passes,
    "a response where an error is expected passes": a_response_where_an_error_is_expected_passes,
    "v2 model_version ignored": v2_model_version_ignored,
    "v2 raw contents ignored": v2_raw_contents_ignored,
    "v2 datatype ignored": v2_datatype_ignored,
    "v2 output order judged": v2_output_order_judged,
    "v2 rows judged against the predict golden": v2_rows_judged_against_the_predict_golden,
    "v2 errors from the predict case": v2_errors_from_the_predict_case,
    "v2 REST compared by code": v2rest_compared_by_code,
    "REST compared by code": rest_compared_by_code,
    "gRPC compared by HTTP status": grpc_compared_by_http_status,
    "REST status from the code only": rest_status_from_the_code_only,
    "any error matches": any_error_matches,
    "HTTP entries match gRPC rows": http_entries_match_grpc_rows,
    "tolerance always": tolerance_always,
    "exact always": exact_always,
    "exact when both fields are missing": exact_when_both_fields_are_missing,
    "exact from the version and free text": exact_from_the_version_and_free_text,
    "client's runtime for every mode": clients_runtime_for_every_mode,
    "server's build for every mode": server_build_for_every_mode,
    "xfail any status": xfail_any_status,
    "ignore message substring": ignore_message_substring,
    "substring case-insensitive": substring_case_insensitive,
    "mismatch matches any failure": mismatch_matches_any_failure,
    "codes match a mismatch": codes_match_a_mismatch,
    "listed passes are fine": listed_passes_are_fine,
    "listed rows never fail": listed_rows_never_fail,
    "last entry wins": last_entry_wins,
    "no stale entries": no_stale_entries,
    "out-of-scope entries are stale": out_of_scope_entries_are_stale,
    "@runs includes error cases": at_runs_includes_error_cases,
    "@error ignores transport_errors": at_error_ignores_transport_errors,
    "naive line parser": naive_line_parser,
    "lists read from the working folder": lists_read_from_the_working_folder,
    "failures.json without stale entries": failures_without_stale_entries,
    "failures without re-run commands": failures_without_rerun,
    "report counts listed passes as passes": report_counts_listed_passes_as_passes,
    "JUnit: a missing result is a failure, not an error": junit_missing_is_a_failure,
    "JUnit: failure message without the re-run command": junit_message_without_rerun,
    "JUnit: cases that do not apply left out": junit_leaves_out_cases_that_do_not_apply,
    "JUnit: expected failures fail": junit_expected_failures_fail,
}


class _Failures:
    """A pytest plugin collecting the node ids that failed (setup, call or teardown)."""

    def __init__(self) -> None:
        self.failed: set[str] = set()
        self.passed: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.add(report.nodeid)
        elif report.passed and report.when == "call":
            self.passed.add(report.nodeid)


def _run_suite(patch: Patch | None) -> _Failures:
    """tests/judge without this file, in-process; a mutated run stops at its first failure."""
    plugin = _Failures()
    # The suite writes hundreds of small files per run: keep them in memory when we can.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as basetemp:
        args = [str(HERE), f"--ignore={Path(__file__).resolve()}", f"--basetemp={basetemp}"]
        args += ["-q", "--no-header", "-p", "no:cacheprovider"]
        if patch is not None:
            args.append("-x")
        with pytest.MonkeyPatch.context() as mp:
            if patch is not None:
                patch(mp)
            code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise AssertionError(f"the judge suite did not run (exit {code})")
    return plugin


@pytest.fixture(scope="module")
def unmutated() -> _Failures:
    return _run_suite(None)


def test_the_unmutated_suite_passes(unmutated: _Failures) -> None:
    assert unmutated.passed and not unmutated.failed, sorted(unmutated.failed)


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_is_caught(unmutated: _Failures, name: str) -> None:
    if unmutated.failed:
        pytest.fail("the unmutated suite fails: mutations prove nothing")
    caught = _run_suite(MUTATIONS[name]).failed
    assert caught, f"no test of tests/judge fails when the judge has {name!r}"
