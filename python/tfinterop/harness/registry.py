"""The one list of clients: clients.json (package data), read here.

Each entry says how to start the client (`command`, relative to the checkout),
how to build it, the modes it runs, the APIs it sends per mode, and the tensor
dtypes its own runtime cannot carry per mode (with the answer such a request
gets and why). The interop runner, the judge, the benchmarks, doctor and the
tests read this; tests/clients checks every client's `info` against it.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

FORMAT = 1
# TF Serving's three, then the Open Inference Protocol's two (docs/CONTRACT.md).
MODES = ("inproc", "grpc", "rest", "v2grpc", "v2rest")
APIS = ("predict", "classify", "regress", "multi_inference", "metadata")


def checkout() -> Path:
    """The source checkout this package runs from: the registry's commands are relative to it
    (build/bin holds its clients), and tests/ holds the pytest wrapper re-run commands name."""
    return Path(__file__).resolve().parents[3]


def in_checkout() -> bool:
    """True when the package runs from a source checkout (an editable install), False when it
    was installed from a wheel: then the clients live in the per-user cache (client_cache)."""
    root = checkout()
    return (root / "Makefile").is_file() and (root / "clients" / "go" / "go.mod").is_file()


def clients_root() -> Path:
    """Where the registry's client commands are: the checkout, or the installed package's cache."""
    if in_checkout():
        return checkout()
    from tfinterop.harness import client_cache

    return client_cache.root()


# A command starting with this runs from the folder of the running interpreter's scripts
# (the virtualenv's bin/): the Python client comes with the package, wherever it is installed.
SCRIPTS = "{bin}/"


@dataclass(frozen=True)
class Client:
    name: str
    language: str
    command: tuple[str, ...]  # program and leading arguments; the program relative to the root
    build: str | None  # the make target that builds it; None: it comes with the virtualenv
    toolchain: tuple[str, ...]  # the programs that build needs
    install: str | None  # how to get them
    modes: tuple[str, ...]
    apis: dict[str, tuple[str, ...]]  # mode -> APIs the client sends in that mode
    unsupported_dtypes: dict[str, tuple[str, ...]]  # mode -> TensorFlow dtype names
    unsupported_reason: str | None = None  # why; {dtype} is the dtype's name
    unsupported_code: str | None = None  # the canonical code such a request gets
    unsupported_message: str | None = None  # a substring of that answer; {dtype} as above

    def program(self, root: Path) -> Path:
        if self.command[0].startswith(SCRIPTS):
            return Path(sys.executable).parent / self.command[0].removeprefix(SCRIPTS)
        return root / self.command[0]

    def missing_tools(self) -> list[str]:
        """The build's programs not on PATH."""
        return [p for p in self.toolchain if shutil.which(p) is None]

    def argv(self, root: Path, *args: str) -> list[str]:
        """The command line that runs `args` (e.g. "run", "--mode", ...) from any folder."""
        return [str(self.program(root)), *self.command[1:], *args]

    def built(self, root: Path) -> bool:
        return self.program(root).is_file()


def _client(entry: dict[str, Any]) -> Client:
    name = entry.get("name", "?")
    modes = tuple(entry["modes"])
    if not set(modes) <= set(MODES):
        raise ValueError(f"clients.json: {name}: modes {modes} not within {MODES}")
    apis = {mode: tuple(entry["apis"][mode]) for mode in modes}
    for mode, names in apis.items():
        if not set(names) <= set(APIS):
            raise ValueError(f"clients.json: {name}/{mode}: unknown API in {names}")
    unsupported = {mode: tuple(entry["unsupported_dtypes"][mode]) for mode in modes}
    if any(unsupported.values()) and not (
        entry.get("unsupported_reason")
        and entry.get("unsupported_code")
        and entry.get("unsupported_message")
    ):
        raise ValueError(f"clients.json: {name}: unsupported dtypes need a reason, code, message")
    return Client(
        name=entry["name"],
        language=entry["language"],
        command=tuple(entry["command"]),
        build=entry["build"],
        toolchain=tuple(entry["toolchain"]),
        install=entry.get("install"),
        modes=modes,
        apis=apis,
        unsupported_dtypes=unsupported,
        unsupported_reason=entry.get("unsupported_reason"),
        unsupported_code=entry.get("unsupported_code"),
        unsupported_message=entry.get("unsupported_message"),
    )


@functools.cache
def clients() -> dict[str, Client]:
    """Every client, in the registry's order (the order of matrix rows and reports)."""
    doc = json.loads(resources.files(__package__).joinpath("clients.json").read_text())
    if doc.get("format") != FORMAT:
        raise ValueError(f"clients.json: format {doc.get('format')!r}, expected {FORMAT}")
    table = {entry["name"]: _client(entry) for entry in doc["clients"]}
    if len(table) != len(doc["clients"]):
        raise ValueError("clients.json: a client name appears twice")
    return table


def names() -> tuple[str, ...]:
    return tuple(clients())


def client(name: str) -> Client:
    """The named client; KeyError naming the known ones."""
    table = clients()
    if name not in table:
        raise KeyError(f"{name!r} is not a client; the registry has {', '.join(table)}")
    return table[name]


def check_selection(client_names: list[str] | None, mode_names: list[str] | None) -> None:
    """UsageError for a --clients or --modes value the registry does not have: the one check
    interop and judge make, which the command line makes before either loads TensorFlow."""
    from tfinterop.serving.errors import UsageError

    table = clients()
    for name in client_names or []:
        if name not in table:
            raise UsageError(f"--clients: {name!r} is not one of {', '.join(table)}")
    for mode in mode_names or []:
        if mode not in MODES:
            raise UsageError(f"--modes: {mode!r} is not one of {', '.join(MODES)}")
