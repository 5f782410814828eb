"""`diff --clients`: each client runs A's case set and B's, in one run per client.

In process by default; `--modes` adds the server modes (grpc, rest, v2grpc,
v2rest), through one bundled server that serves A and B side by side. Each
(client, mode) is a side of its own, named `client/mode`. A client's B answers
are set against its own A answers in the same mode: the change its users would see. A case the client skips, or one whose result is missing, is listed
with the reason, not compared; a client whose run did not finish is named with
its log, and makes the diff exit 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tfinterop.byo.diff_replay import Pairs
from tfinterop.byo.diff_values import Answer, outputs_of
from tfinterop.golden.cases.manifest import V2_MODES, Case
from tfinterop.harness import registry, run_clients
from tfinterop.judge.results import read_error, read_skip_reason, result_files
from tfinterop.serving import apis, v2

DEFAULT_MODES = ("inproc",)


def side_name(client: str, mode: str) -> str:
    return f"{client}/{mode}"


def run(
    build: Path,
    a_model: str,
    b_model: str,
    b_cases: list[Case],
    clients: list[str],
    modes: tuple[str, ...] = DEFAULT_MODES,
) -> dict[str, tuple[Pairs, list[dict[str, str]], str]]:
    """Per side (client/mode): (case id -> (A's answer, B's answer), cases not compared, why
    the run did not finish or "")."""
    root = registry.clients_root()
    out = build / "results"
    where = "in process" if modes == ("inproc",) else f"in {', '.join(modes)}"
    print(f"[diff] clients: {', '.join(clients)} {where} on A and B", file=sys.stderr, flush=True)
    failed = run_clients.run_all(
        root, [build / "cases" / a_model, build / "cases" / b_model], out, clients, list(modes)
    )
    logs = {f.client: f.log for f in failed if f.log is not None}
    table = registry.clients()
    found = {}
    for client in clients:
        for mode in modes:
            if mode not in table[client].modes:
                continue
            folders = [out / client / mode / model for model in (a_model, b_model)]
            listed = [c for c in b_cases if mode in c.transports]
            failure = ""
            if listed and not all((f / "run.json").is_file() for f in folders):
                log = logs.get(client, out / "logs")
                failure = f"{client} {mode} did not finish its run (see {log})"
            pairs: Pairs = {}
            skipped: list[dict[str, str]] = []
            for case in listed:
                if case.api not in table[client].apis.get(mode, ()):
                    continue
                got = [_answer(folder, case, mode) for folder in folders]
                a, b = got
                if isinstance(a, Answer) and isinstance(b, Answer):
                    pairs[case.id] = (a, b)
                else:
                    why = "; ".join(
                        f"{s}: {g}" for s, g in zip("AB", got, strict=True) if isinstance(g, str)
                    )
                    skipped.append({"side": side_name(client, mode), "case": case.id, "why": why})
            found[side_name(client, mode)] = (pairs, skipped, failure)
    return found


def _answer(folder: Path, case: Case, mode: str) -> Answer | str:
    """The client's answer, or why there is none."""
    files = result_files(folder, case.id)
    if len(files) != 1:
        return f"{len(files)} result files for {case.id} in {folder}"
    kind, path = next(iter(files.items()))
    if kind == "skipped.json":
        return f"skipped: {read_skip_reason(path)}"
    if kind == "error.json":
        try:
            err = read_error(path)
        except ValueError as e:
            return str(e)
        return Answer(code=err.code, message=err.message)
    kind = "v2 ModelInferResponse" if mode in V2_MODES else f"{case.api} response"
    try:
        if mode in V2_MODES:
            from tritonclient.grpc import service_pb2

            response = service_pb2.ModelInferResponse.FromString(path.read_bytes())
            return Answer(outputs={k: arr for k, (_, arr) in v2.output_arrays(response).items()})
        response = apis.parse_response(case.api, path.read_bytes())
        return Answer(outputs=outputs_of(case.api, response))
    except Exception as e:
        return f"{path.name} does not decode as a {kind}: {e}"
