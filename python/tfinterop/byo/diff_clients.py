"""`diff --clients`: each client runs A's case set and B's in process, in one run per client.

A client's B answers are set against its own A answers: the change its users
would see. A case the client skips, or one whose result is missing, is listed
with the reason, not compared; a client whose run did not finish is named with
its log, and makes the diff exit 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tfinterop.byo.diff_replay import Pairs
from tfinterop.byo.diff_values import Answer, outputs_of
from tfinterop.golden.cases.manifest import Case
from tfinterop.harness import registry, run_clients
from tfinterop.judge.results import read_error, read_skip_reason, result_files
from tfinterop.serving import apis

MODE = "inproc"


def run(
    build: Path, a_model: str, b_model: str, b_cases: list[Case], clients: list[str]
) -> dict[str, tuple[Pairs, list[dict[str, str]], str]]:
    """Per client: (case id -> (A's answer, B's answer), cases not compared, why the run did
    not finish or "")."""
    root = registry.clients_root()
    out = build / "results"
    print(
        f"[diff] clients: {', '.join(clients)} in process on A and B", file=sys.stderr, flush=True
    )
    failed = run_clients.run_all(
        root, [build / "cases" / a_model, build / "cases" / b_model], out, clients, [MODE]
    )
    logs = {f.client: f.log for f in failed if f.log is not None}
    table = registry.clients()
    found = {}
    for client in clients:
        folders = [out / client / MODE / model for model in (a_model, b_model)]
        failure = ""
        if not all((f / "run.json").is_file() for f in folders):
            log = logs.get(client, out / "logs")
            failure = f"{client} {MODE} did not finish its run (see {log})"
        pairs: Pairs = {}
        skipped: list[dict[str, str]] = []
        for case in b_cases:
            if MODE not in case.transports or case.api not in table[client].apis.get(MODE, ()):
                continue
            got = [_answer(folder, case) for folder in folders]
            a, b = got
            if isinstance(a, Answer) and isinstance(b, Answer):
                pairs[case.id] = (a, b)
            else:
                why = "; ".join(
                    f"{s}: {g}" for s, g in zip("AB", got, strict=True) if isinstance(g, str)
                )
                skipped.append({"side": client, "case": case.id, "why": why})
        found[client] = (pairs, skipped, failure)
    return found


def _answer(folder: Path, case: Case) -> Answer | str:
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
    try:
        response = apis.parse_response(case.api, path.read_bytes())
        return Answer(outputs=outputs_of(case.api, response))
    except Exception as e:
        return f"{path.name} does not decode as a {case.api} response: {e}"
