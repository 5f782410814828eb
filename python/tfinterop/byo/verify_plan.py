"""The checks `tfinterop verify` makes before it writes anything, none of which needs
TensorFlow: the flags, the clients, the model folders, --inputs, --op-library and the --expect
files. The command line runs them before it imports verify (which loads TensorFlow), so a
mistyped flag or path answers in a fraction of a second, and then starts the bundled server
(`start_server`), whose own start-up (importing TensorFlow, loading the models) then overlaps
verify's; verify.plan runs them again for callers of the module."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tfinterop.byo import model_folder
from tfinterop.byo.early_server import EarlyServer, serve_config
from tfinterop.harness import registry
from tfinterop.judge.expected import ExpectedFailure, user_entries
from tfinterop.serving.errors import ToolError, UsageError


@dataclass(frozen=True)
class Settled:
    """The models, their names, the clients, the op libraries and the --expect entries a run
    will use."""

    saved_models: list[Path]
    names: list[str]
    clients: list[str]
    op_libraries: list[Path]
    entries: list[ExpectedFailure]


def check_server_flags(target: str | None, rest: str | None) -> None:
    """--target and --rest come together: REST has no port to guess (TF Serving's REST API
    is off unless --rest_api_port names one), and rows sent to a guessed URL would fail
    as UNAVAILABLE instead of telling the user."""
    if (target is None) != (rest is None):
        given, lacking = ("--rest", "--target") if target is None else ("--target", "--rest")
        raise UsageError(
            f"{given} needs {lacking}: an existing server's gRPC HOST:PORT and REST URL "
            "come together (--target host:8500 --rest http://host:8501)"
        )
    if target is not None and (not target.rpartition(":")[2].isdigit() or ":" not in target):
        raise UsageError(f"--target {target!r} is not HOST:PORT")
    if rest is not None and not rest.startswith(("http://", "https://")):
        raise UsageError(f"--rest {rest!r} is not an http:// or https:// URL")


def settle(
    saved_models: list[Path],
    name: str | None,
    inputs: Path | None,
    clients: list[str],
    root: Path,
    op_libraries: list[Path] | None = None,
    expect: list[Path] | None = None,
) -> Settled:
    """UsageError/ToolError for anything here that would stop the run. An installed
    tfinterop builds the clients it lacks here, into its per-user cache."""
    if len(saved_models) > 1 and (name or inputs):
        raise UsageError("--name and --inputs apply to one --saved-model only")
    table = registry.clients()
    unknown = [c for c in clients if c not in table]
    if unknown or not clients:
        raise UsageError(f"--clients {','.join(clients)}: choose from {', '.join(table)}")
    unbuilt = [c for c in clients if not table[c].built(root)]
    if unbuilt and not registry.in_checkout():
        from tfinterop.harness import client_cache

        client_cache.ensure(unbuilt)
        unbuilt = [c for c in clients if not table[c].built(root)]
    if unbuilt:
        others = ",".join(c for c in clients if c not in unbuilt) or "python"
        builds = " and ".join(sorted({table[c].build or "make venv" for c in unbuilt}))
        raise ToolError(
            f"client(s) {', '.join(unbuilt)} not built in {root}: run `{builds}` there, "
            f"or leave them out with --clients {others}"
        )
    if inputs is not None and not inputs.is_file():
        raise UsageError(f"--inputs {inputs} does not exist")
    names = []
    for path in saved_models:
        _, versioned = model_folder.versions(path, error=UsageError)
        names.append(name or model_folder.default_name(path.resolve(), versioned))
    if len(set(names)) != len(names):
        raise UsageError(f"two models record under one name: {', '.join(names)}; use --name")
    libraries = [p.resolve() for p in op_libraries or []]
    for lib in libraries:
        if not lib.is_file():
            raise UsageError(f"--op-library {lib} does not exist")
    return Settled(saved_models, names, clients, libraries, user_entries(expect or [], clients))


def start_server(settled: Settled, build: Path) -> EarlyServer:
    """The bundled server on the settled models, starting on a thread (EarlyServer): its
    config goes to build/serve, its log to build/results/server.log."""
    build = build.resolve()
    config = serve_config(settled.saved_models, settled.names, build / "serve")
    extra = [f"--op_library={lib}" for lib in settled.op_libraries]
    print(
        f"[verify] server: starting the bundled server on {', '.join(settled.names)}",
        file=sys.stderr,
        flush=True,
    )
    return EarlyServer(config, settled.names, build / "results" / "server.log", extra)
