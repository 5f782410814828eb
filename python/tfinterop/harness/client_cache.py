"""The Go, Java and C++ clients of an installed tfinterop: built on first use, per user.

A wheel built by `make dist` carries the clients' sources as package data
(tfinterop/client_sources/{go,java,cpp}, with DIGEST, the hash of them all). They
are copied into `$TFINTEROP_CACHE`, else `$XDG_CACHE_HOME/tfinterop`, else
`~/.cache/tfinterop`, in a folder named for the package version and that digest,
laid out like a checkout (clients/<lang>, build/protos/serving.pb, build/bin), so
each client's own Makefile builds it there unchanged. Builds log to
<cache>/logs/<client>.log; the terminal gets one progress line per client.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from tfinterop.harness import registry
from tfinterop.serving.errors import ToolError

SOURCES = "client_sources"
DIGEST = "DIGEST"


def shipped() -> Traversable | None:
    """The clients' sources inside the installed package, or None (a checkout has none)."""
    folder = resources.files("tfinterop").joinpath(SOURCES)
    return folder if folder.joinpath(DIGEST).is_file() else None


def key() -> str:
    """The cache folder's name: the package version and the shipped sources' digest."""
    try:
        version = importlib.metadata.version("tfinterop")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    src = shipped()
    digest = src.joinpath(DIGEST).read_text().strip()[:12] if src else "checkout"
    return f"{version}-{digest}"


def base() -> Path:
    if os.environ.get("TFINTEROP_CACHE"):
        return Path(os.environ["TFINTEROP_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tfinterop"


def root() -> Path:
    """This package version's client folder (it need not exist yet)."""
    return base() / key()


@dataclass(frozen=True)
class Built:
    client: str
    ok: bool
    detail: str  # the program built, or why not
    seconds: float = 0.0


def _progress(line: str) -> None:
    print(f"[clients] {line}", file=sys.stderr, flush=True)


def _tf_dir() -> str:
    """The tensorflow wheel's package folder: the C API headers and libraries Go and C++ use."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("tensorflow is not installed in this environment")
    return str(next(iter(spec.submodule_search_locations)))


def _copy_tree(src: Traversable, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        target = dest / item.name
        if item.is_dir():
            _copy_tree(item, target)
        elif isinstance(item, Path):
            shutil.copy2(item, target)  # keeps the executable bit of scripts
        else:
            target.write_bytes(item.read_bytes())


def _prepare(folder: Path, lang: str) -> None:
    """Sources (once per cache key) and the descriptor set every client generates from."""
    src = shipped()
    if src is None:
        raise ToolError("this tfinterop has no client sources (install a wheel from `make dist`)")
    dest = folder / "clients" / lang
    if not (dest / ".complete").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        _copy_tree(src.joinpath(lang), dest)
        (dest / ".complete").write_text("")
    protos = folder / "build" / "protos" / "serving.pb"
    if not protos.is_file():
        from tfinterop.serving import protos as protos_module

        protos_module.write(protos)


def _make_args(name: str, tf_dir: str) -> list[str]:
    """The client's own `make build`, with the TensorFlow wheel of this environment."""
    if name == "cpp":  # the client only: its unit tests are the checkout's business
        return [f"CMAKE_FLAGS=-DTFINTEROP_TF_DIR={tf_dir}", "TARGETS=tfinterop-cpp"]
    if name == "go":
        return [f"TF_DIR={tf_dir}"]
    return []


def build(names: list[str], force: bool = False) -> list[Built]:
    """Build the named clients into the cache; a missing toolchain is reported, not raised."""
    folder = root()
    table = registry.clients()
    results: list[Built] = []
    for name in names:
        client = table[name]
        program = client.program(folder)
        if client.build is None:
            results.append(Built(name, program.is_file(), str(program)))
            continue
        if program.is_file() and not force:
            results.append(Built(name, True, str(program)))
            continue
        missing = client.missing_tools()
        if missing:
            why = f"needs {', '.join(missing)} on PATH: {client.install}"
            _progress(f"{name}: cannot build: {why}")
            results.append(Built(name, False, why))
            continue
        lang = name  # clients/<name> holds its sources, in the checkout and in the package
        _prepare(folder, lang)
        log = folder / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        _progress(f"{name}: building into {folder} (log: {log})")
        started = time.monotonic()
        cmd = ["make", "-C", str(folder / "clients" / lang), "build", *_make_args(name, _tf_dir())]
        with log.open("w") as out:
            code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
        took = time.monotonic() - started
        if code != 0 or not program.is_file():
            tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
            _progress(f"{name}: build failed after {took:.0f}s (exit {code}); last lines:\n{tail}")
            results.append(Built(name, False, f"build failed (exit {code}); see {log}", took))
            continue
        _progress(f"{name}: built in {took:.0f}s: {program}")
        results.append(Built(name, True, str(program), took))
    return results


def ensure(names: list[str]) -> None:
    """Build whatever of `names` is not built yet; ToolError naming each one that cannot be."""
    failed = [b for b in build(names) if not b.ok]
    if failed:
        others = ",".join(n for n in names if n not in {b.client for b in failed}) or "python"
        lines = "; ".join(f"{b.client}: {b.detail}" for b in failed)
        raise ToolError(f"{lines}. Leave them out with --clients {others}")


def listing() -> str:
    """`tfinterop clients list`: each client, where it is, built or not, and what it needs."""
    folder = registry.clients_root()
    rows = [f"clients in {folder}" + ("" if registry.in_checkout() else " (cache)")]
    for name, client in registry.clients().items():
        program = client.program(folder)
        state = "built" if program.is_file() else "not built"
        missing = client.missing_tools()
        tools = (
            f"toolchain: missing {', '.join(missing)} ({client.install})"
            if missing
            else "toolchain: ok"
            if client.toolchain
            else "comes with the package"
        )
        rows.append(f"  {name:<7} {client.language:<7} {state:<10} {program}  {tools}")
    return "\n".join(rows) + "\n"


def main(action: str, names: list[str], force: bool) -> int:
    """`tfinterop clients build|list`."""
    if action == "list":
        print(listing(), end="")
        return 0
    if registry.in_checkout():
        raise ToolError(
            "this tfinterop runs from a checkout: build its clients with `make clients`"
        )
    results = build(names, force)
    for b in results:
        print(f"{b.client}: {'built' if b.ok else 'NOT BUILT'}: {b.detail}")
    return 0 if all(b.ok for b in results) else 3
