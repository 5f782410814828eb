"""`tfinterop diff`: two versions of a model on the same requests, before one is rolled out.

A's cases are recorded (`record`, into --build), then every case that runs a
signature of A is replayed on B with the request's model_spec pointed at B:
through the golden reference's runtime (tf.saved_model.load with TF Serving's
rules, in this process) and, with --clients, through each listed client in
process (or in each of --modes: grpc, rest, v2grpc and v2rest go through one
bundled server serving A and B), which runs A's case set and B's in one run (a
client's B answers are compared with its own A answers in the same mode, so
what is measured is the change the client's users see, not the client's
distance from Python).

B is copied into --build next to A, as the model `<name>-against`, and gets a
case set of its own (A's requests, B's golden answers), so a client's B run is
an ordinary case-set run and can be judged like any other.

Exit status: 0; 1 when a signature changed (unless --allow-signature-changes),
an error appeared or changed its code (unless --allow-new-errors), or a
threshold (--max-abs, --max-flip-rate) was passed; 2 bad usage; 3 when the
comparison could not run (a model that does not load, a client that could not run).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinterop.byo import diff_report, diff_signatures, diff_text, model_folder
from tfinterop.byo.diff_replay import Pairs, Replay, Side, replays
from tfinterop.byo.record import record
from tfinterop.serving import signature
from tfinterop.serving.errors import UsageError
from tfinterop.util import atomic

DEFAULT_LATENCY_RUNS = 20


@dataclass(frozen=True)
class Options:
    clients: list[str]
    max_abs: float | None = None
    max_flip_rate: float | None = None
    allow_signature_changes: bool = False
    allow_new_errors: bool = False
    latency_runs: int = DEFAULT_LATENCY_RUNS
    modes: tuple[str, ...] = ("inproc",)


def _progress(line: str) -> None:
    print(f"[diff] {line}", file=sys.stderr, flush=True)


def sides(
    saved_model: Path, against: Path | None, versions: list[int] | None
) -> tuple[Path, Side, Side]:
    """(what `record` is given, A, B): the latest version of each folder, or two versions of
    one base folder. UsageError/ToolError before anything is written."""
    if (against is None) == (versions is None):
        raise UsageError("give either --against B or --versions V1,V2")
    base = saved_model.resolve()
    found, versioned = model_folder.versions(saved_model)
    if versions is not None:
        if len(versions) != 2 or versions[0] == versions[1]:
            raise UsageError(f"--versions takes two different version numbers, not {versions}")
        if not versioned:
            raise UsageError(
                f"--versions needs a base folder of numbered versions; {saved_model} is one "
                "SavedModel (compare it with --against)"
            )
        missing = [v for v in versions if v not in found]
        if missing:
            raise UsageError(
                f"--versions {','.join(map(str, versions))}: {saved_model} has no version "
                f"{', '.join(map(str, missing))} (it has {', '.join(map(str, sorted(found)))})"
            )
        a, b = (Side(found[v], v) for v in versions)
        return a.path, a, b
    assert against is not None
    theirs, _ = model_folder.versions(against, "--against")
    a_version, b_version = max(found), max(theirs)
    return base, Side(found[a_version], a_version), Side(theirs[b_version], b_version)


def check(options: Options) -> None:
    """UsageError for a threshold or count out of range."""
    if options.max_flip_rate is not None and not 0 <= options.max_flip_rate <= 1:
        raise UsageError(f"--max-flip-rate {options.max_flip_rate:g}: give a share from 0 to 1")
    if options.max_abs is not None and not options.max_abs >= 0:
        raise UsageError(f"--max-abs {options.max_abs:g}: give a bound of 0 or more")
    if options.latency_runs < 0:
        raise UsageError(f"--latency-runs {options.latency_runs}: give 0 or more")
    from tfinterop.harness import registry

    unknown = [m for m in options.modes if m not in registry.MODES]
    if unknown or not options.modes or len(set(options.modes)) != len(options.modes):
        raise UsageError(
            f"--modes {','.join(options.modes)}: distinct modes from {', '.join(registry.MODES)}"
        )
    if options.modes != ("inproc",) and not options.clients:
        raise UsageError("--modes says how the clients run: give --clients too")


def main(
    saved_model: Path,
    against: Path | None,
    versions: list[int] | None,
    name: str | None,
    inputs: Path | None,
    build: Path,
    json_path: Path | None,
    options: Options,
) -> int:
    """`tfinterop diff`: the table on stdout, progress on stderr; the exit status of the verdict
    (a ToolError, which the command line turns into 3, when it cannot run)."""
    check(options)
    data = run(saved_model, against, versions, name, inputs, build, options)
    text = json.dumps(diff_report.jsonable(data), indent=2) + "\n"
    atomic.write_text(build / "diff.json", text)
    if json_path is not None:
        atomic.write_text(json_path, text)
    print(diff_text.render(data), end="", flush=True)
    return int(data["verdict"]["exit"])


def run(
    saved_model: Path,
    against: Path | None,
    versions: list[int] | None,
    name: str | None,
    inputs: Path | None,
    build: Path,
    options: Options,
) -> dict[str, Any]:
    """Record, replay, compare; the report's data (diff_report renders it)."""
    source, a, b = sides(saved_model, against, versions)
    build = build.resolve()
    if options.clients:
        from tfinterop.byo import verify
        from tfinterop.harness import registry

        root = registry.clients_root()
        verify.plan([source], name, inputs, options.clients, [], root)
    _progress(f"record: A = {a.path} into {build}")
    rec = record(source, build, name, inputs)
    replay = Replay(build, rec.name, rec.version, b, options.modes)
    changes = diff_signatures.compare(
        signature.read_meta_graph(a.path), signature.read_meta_graph(b.path)
    )
    replayed = [c for c in rec.cases if replays(c, rec.name)]
    _progress(f"replay: {len(replayed)} cases of A on B = {b.path} (tf.saved_model.load)")
    pairs, no_answer, b_cases = replay.run(replayed)
    answers: dict[str, Pairs] = {diff_report.REFERENCE: pairs}
    cannot_run: list[str] = []
    if options.clients:
        from tfinterop.byo import diff_clients

        found = diff_clients.run(
            build, rec.name, replay.b_name, b_cases, options.clients, options.modes
        )
        for client, (client_pairs, skipped, failure) in found.items():
            answers[client] = client_pairs
            no_answer += skipped
            if failure:
                cannot_run.append(failure)
    latency = replay.latency(replayed, pairs, options.latency_runs)
    return diff_report.assemble(
        name=rec.name,
        a={"path": str(a.path), "version": a.version},
        b={"path": str(b.path), "version": b.version},
        recorded=len(rec.cases),
        changes=changes,
        signatures=diff_signatures.signature_keys(signature.read_meta_graph(a.path)),
        cases={c.id: c for c in replayed},
        answers=answers,
        no_answer=no_answer,
        latency=latency,
        options=options,
        cannot_run=cannot_run,
    )
