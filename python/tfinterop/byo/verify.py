"""`tfinterop verify`: record a SavedModel, run every client in every mode, judge, print the matrix.

Works from any folder: the clients are the ones built in the checkout this
package runs from (build/bin), the expected-failure lists are package data, and
the judge runs in-process (tfinterop.judge), not through pytest. Everything that
can stop the run (a missing model, an unbuilt client, a malformed --expect file)
is checked before anything is written.

The verdict per model: PASS when every row passes or fails as an expected-failure
entry states and every signature ran in a case that expects outputs; `PASS (n
signatures not covered)` when some did not (exit 1 unless --allow-uncovered);
FAIL otherwise.

Exit status: 0 every model passes; 1 a row failed (or a signature is not covered,
without --allow-uncovered); 2 usage (a flag, a --saved-model, --inputs or --expect
that does not parse or names nothing); 3 a client or the server could not run (a
client that is not built or exits non-zero without writing its results, a bundled
server that does not start, an existing server that does not answer or lacks the
model). With --target/--rest the grpc and rest rows run against an existing TF
Serving-compatible server instead of the bundled one; --name is the model's name
there, and the server must serve the version verify records (the highest).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tfinterop.byo import coverage, verify_plan
from tfinterop.byo.early_server import EarlyServer
from tfinterop.byo.model_folder import model_versions
from tfinterop.byo.record import Recorded, record, summary
from tfinterop.golden.cases import manifest
from tfinterop.harness import registry, run_clients
from tfinterop.judge import junit, matrix, report
from tfinterop.serving import model_config, signature
from tfinterop.serving.errors import ToolError, UsageError

KERAS_SAVE_MARK = "Could not find variable"


# What a verify run will do, settled before it writes anything.
Plan = verify_plan.Settled


def _progress(line: str) -> None:
    print(f"[verify] {line}", file=sys.stderr, flush=True)


def plan(
    saved_models: list[Path],
    name: str | None,
    inputs: Path | None,
    clients: list[str],
    expect: list[Path],
    root: Path,
    op_libraries: list[Path] | None = None,
) -> Plan:
    """Check everything that can stop the run; UsageError/ToolError before any write
    (verify_plan's checks, which the command line has run before this module loaded)."""
    return verify_plan.settle(saved_models, name, inputs, clients, root, op_libraries, expect)


def main(
    saved_models: list[Path],
    name: str | None,
    inputs: Path | None,
    build: Path,
    clients: list[str] | None,
    expect: list[Path],
    allow_uncovered: bool,
    target: str | None = None,
    rest: str | None = None,
    junit_xml: Path | None = None,
    json_path: Path | None = None,
    op_libraries: list[Path] | None = None,
    early: EarlyServer | None = None,
) -> int:
    """`tfinterop verify`; `early`: the bundled server the command line started already."""
    if len(saved_models) > 1 and (name or inputs):
        raise UsageError("--name and --inputs apply to one --saved-model only")
    verify_plan.check_server_flags(target, rest)
    return verify(
        saved_models,
        name,
        inputs,
        build,
        clients,
        expect,
        allow_uncovered,
        Outputs(junit_xml, json_path),
        target,
        rest,
        op_libraries,
        early,
    )


@dataclass(frozen=True)
class Outputs:
    """The CI files a run writes besides build/report (judge/junit.py)."""

    junit_xml: Path | None = None
    json: Path | None = None


def verify(
    saved_models: list[Path],
    name: str | None,
    inputs: Path | None,
    build: Path,
    clients: list[str] | None = None,
    expect: list[Path] | None = None,
    allow_uncovered: bool = False,
    outputs: Outputs = Outputs(),
    target: str | None = None,
    rest: str | None = None,
    op_libraries: list[Path] | None = None,
    early: EarlyServer | None = None,
) -> int:
    """Exit status 0 when every model passes (covered, or --allow-uncovered), 1 when one
    does not, 3 when a client could not run. Several models share one server and one
    client run per mode; `target`/`rest` name an existing server to use instead of the
    bundled one. `op_libraries` go to record, which lists them in each case set: the
    bundled server and every client's inproc run take them from there. `early` is a bundled
    server on these models started by the caller (verify_plan.start_server), who stops it;
    without one, and without `target`, verify starts and stops its own."""
    build = build.resolve()
    root = registry.clients_root()
    expect = expect or []
    p = plan(
        saved_models, name, inputs, clients or list(registry.names()), expect, root, op_libraries
    )
    own: EarlyServer | None = None
    v2_only = False
    if target is not None and rest is not None:
        v2_only = _speaks_only_v2(target, rest, p.names)
        if v2_only:
            # Triton, KServe, MLServer: no TF Serving API, so its grpc and rest rows go.
            _progress(
                f"server: {target} and {rest} speak the Open Inference Protocol only (no "
                "TF Serving ModelService): the grpc and rest rows are left out"
            )
        else:
            _progress(f"server: checking {target} and {rest} serve {', '.join(p.names)}")
            _check_served_versions(target, rest, p)
    elif early is None:
        # Started now, it loads the models while record computes the goldens.
        early = own = verify_plan.start_server(p, build)
    try:
        return _record_run_judge(
            p, build, inputs, expect, allow_uncovered, outputs, target, rest, early, v2_only
        )
    finally:
        if own is not None:
            own.close()


def _record_run_judge(
    p: Plan,
    build: Path,
    inputs: Path | None,
    expect: list[Path],
    allow_uncovered: bool,
    outputs: Outputs,
    target: str | None,
    rest: str | None,
    early: EarlyServer | None,
    v2_only: bool = False,
) -> int:
    root = registry.clients_root()
    recorded: list[Recorded] = []
    for saved_model, model_name in zip(p.saved_models, p.names, strict=True):
        _progress(f"record: {saved_model} into {build}")
        rec = record(saved_model, build, model_name, inputs, op_libraries=p.op_libraries)
        print(summary(rec), flush=True)
        recorded.append(rec)
    server = f"the server at {target} and {rest}" if target else "the bundled server"
    case_dirs = [build / "cases" / rec.name for rec in recorded]
    # Only the modes a recorded case lists: no empty matrix rows.
    sets = [manifest.read(d) for d in case_dirs]
    modes = [m for m in registry.MODES if any(m in c.transports for s in sets for c in s.cases)]
    if v2_only:
        modes = [m for m in modes if m == "inproc" or m.startswith("v2")]
    elif target and rest and not _speaks_v2(rest):
        # TF Serving has no Open Inference Protocol: its v2 rows would only say UNIMPLEMENTED.
        _progress(f"{rest} does not answer GET /v2/health/live: the v2 rows are left out")
        modes = [m for m in modes if not m.startswith("v2")]
    _progress(
        f"run: {', '.join(p.clients)} in {', '.join(modes)} (clients from {root}; "
        f"grpc and rest through {server})"
    )
    server_modes = [m for m in modes if m != "inproc"]
    running = early.server() if early is not None and server_modes else None
    failed = run_clients.run_all(
        root, case_dirs, build / "results", p.clients, modes, target, rest, running
    )
    status = 0
    judgements: list[matrix.Judgement] = []
    verdicts: dict[str, str] = {}
    for rec, saved_model in zip(recorded, p.saved_models, strict=True):
        judged = _judge_one(rec, saved_model, build, p, expect, allow_uncovered, tuple(modes))
        status |= judged.status
        judgements.append(judged.judgement)
        verdicts[rec.name] = judged.verdict
    junit.write(judgements, outputs.junit_xml, outputs.json, verdicts)
    for path in (outputs.junit_xml, outputs.json):
        if path is not None:
            _progress(f"wrote {path}")
    broken = [f for f in failed if f.could_not_run]
    for f in broken:
        print(f"verify: exit 3: could not run {f.describe()}", flush=True)
    return 3 if broken else status


def _check_served_versions(target: str, rest: str, p: Plan) -> None:
    """An existing server must answer, serve every model under its --name, and serve the
    version verify records (the highest), or every row would fail for a reason that is
    not the model's."""
    info = run_clients.probe_external(target, rest, p.names)
    for path, name in zip(p.saved_models, p.names, strict=True):
        served = info.versions.get(name)
        version = max(model_versions(path.resolve())[0])
        if served and version not in served:
            raise ToolError(
                f"the server at {target} serves {name!r} versions {served}, but verify records "
                f"version {version} of {path} (a bare SavedModel records as version 1): give "
                "--saved-model the versioned base folder the server reads"
            )


@dataclass(frozen=True)
class _Judged:
    judgement: matrix.Judgement
    verdict: str
    status: int


def _judge_one(
    rec: Recorded,
    saved_model: Path,
    build: Path,
    p: Plan,
    expect: list[Path],
    allow_uncovered: bool,
    modes: tuple[str, ...] = registry.MODES,
) -> _Judged:
    _progress(f"judge: {rec.name} for {', '.join(p.clients)}")
    cases = manifest.read(build / "cases" / rec.name)
    judgement = matrix.judge_sets(
        [cases],
        build / "results",
        p.clients,
        modes=modes,
        extra=p.entries,
        expect_files=tuple(expect),
    )
    folder = build / "report" / f"verify-{rec.name}"
    report.write(judgement, folder)
    print(report.render_summary(judgement), end="", flush=True)
    hint = _keras_save_hint(judgement, saved_model)
    if hint:
        print(hint, flush=True)
    cov = coverage.compute(cases, _meta(build, rec), _reasons(rec))
    print(coverage.render(cov), flush=True)
    uncovered = [c for c in cov if not c.covered]
    verdict, status = verdict_of(judgement.ok, len(uncovered), allow_uncovered)
    print(f"verify {rec.name}: {verdict} (details: {folder / 'failures.json'})", flush=True)
    if uncovered and not allow_uncovered and judgement.ok:
        print(
            f"verify {rec.name}: exit 1 because {len(uncovered)} signature(s) ran in no case "
            "that expects outputs; give inputs with --inputs, or accept it with --allow-uncovered",
            flush=True,
        )
    return _Judged(judgement, verdict, status)


def verdict_of(rows_ok: bool, uncovered: int, allow_uncovered: bool) -> tuple[str, int]:
    """The verdict line's word and the exit status for one model."""
    if not rows_ok:
        return "FAIL", 1
    if uncovered:
        plural = "s" if uncovered > 1 else ""
        return f"PASS ({uncovered} signature{plural} not covered)", 0 if allow_uncovered else 1
    return "PASS", 0


def _meta(build: Path, rec: Recorded):  # type: ignore[no-untyped-def]
    folder = model_config.version_folders(build / "models" / rec.name)[rec.version]
    return signature.read_meta_graph(folder)


def _reasons(rec: Recorded) -> dict[str, str]:
    """The recorder's reason per signature that no case covers."""
    return {key: why for (key, _), why in rec.uncovered.items()}


def _keras_save_hint(judgement: matrix.Judgement, saved_model: Path) -> str:
    """One line for the Keras 3 tf.saved_model.save export, whose failure every session-based
    row repeats: what it is, and the two commands that explain and repair it."""
    if not any(KERAS_SAVE_MARK in r.verdict.message for r in judgement.rows if not r.ok):
        return ""
    src = str(saved_model)
    return (
        f"\nThe rows failing with '{KERAS_SAVE_MARK}' share one cause: the model was written by "
        "Keras 3 with tf.saved_model.save, which session-based loaders (TF Serving, the C API, "
        f"TF Java) cannot run. `tfinterop doctor --saved-model {src}` explains it; "
        f"`tfinterop doctor --saved-model {src} --fix OUT` writes a servable copy "
        "(or export with model.export)."
    )


def _speaks_only_v2(target: str, rest: str, names: list[str]) -> bool:
    """An Open Inference Protocol server without TF Serving's API (Triton, KServe): REST
    answers /v2/health/live, and gRPC answers TF Serving's GetModelStatus UNIMPLEMENTED.
    (TF Serving answers it OK, or NOT_FOUND for a model it lacks, which the usual probe
    then reports.)"""
    if not _speaks_v2(rest):
        return False
    import grpc
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = names[0]
    with grpc.insecure_channel(target) as channel:
        try:
            model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(request, timeout=10)
        except grpc.RpcError as e:
            return bool(e.code() == grpc.StatusCode.UNIMPLEMENTED)
    return False


def _speaks_v2(rest: str) -> bool:
    """Whether the REST endpoint answers the Open Inference Protocol's liveness check."""
    import requests

    try:
        return requests.get(f"{rest.rstrip('/')}/v2/health/live", timeout=5).status_code == 200
    except requests.RequestException:
        return False
