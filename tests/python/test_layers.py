"""Which part of tfinterop may import which: every import statement of the package, read with ast.

Each module belongs to the layer named by its first folder under python/tfinterop
(`tfinterop.serving.errors` is in `serving`; top-level modules are their own layer).
A module may import its own layer and what its row allows, nothing else; an entry
`a.b` allows that module or package and what lies below it only.

    layer     may import                                   why
    util      (nothing)                                    helpers with no serving knowledge
    serving   util                                         TF Serving's rules, the bottom
    golden    util, serving.{errors,apis,tensor_codec,     a golden never comes from the code
              model_config,op_libraries,v2}                it judges: not the validation the
                                                           server and client share
                                                           (serving.signature, .predict,
                                                           .servable), not server/client/judge;
                                                           op_libraries only loads kernels;
                                                           v2, like tensor_codec, is a codec
                                                           (tests/v2 holds it to tritonclient)
    models    util, serving, golden                        export records cases via golden
    server    util, serving                                the bundled server stands alone
    client    util, serving, golden.cases                  the Python client reads case sets;
                                                           knows no server, harness, registry
    harness   util, serving, golden.cases                  runs clients by their command line
    judge     util, serving.{errors,apis,tensor_codec,v2}, judges results against goldens;
              golden.cases, harness.registry               never the server, clients, models
    bench     util, serving, golden.cases, harness,        measures the server and clients
              client, server
    byo       util, serving, golden, models, client,       bring-your-own-model: records,
              server, harness, judge                       runs, judges
    cli       every layer                                  parses and dispatches
    __main__  cli
    __init__  (nothing)

Lazy imports inside functions and `if TYPE_CHECKING:` blocks count: an import is an
arrow wherever it is written. tests/python/test_golden.py checks the golden's rule a
second way, by what actually gets loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "tfinterop"

_GOLDEN_SERVING = (
    "serving.errors",
    "serving.apis",
    "serving.tensor_codec",
    "serving.model_config",
    "serving.op_libraries",
    "serving.v2",
)
ALLOWED: dict[str, tuple[str, ...]] = {
    "util": (),
    "serving": ("util",),
    "golden": ("util", *_GOLDEN_SERVING),
    "models": ("util", "serving", "golden"),
    "server": ("util", "serving"),
    "client": ("util", "serving", "golden.cases"),
    "harness": ("util", "serving", "golden.cases"),
    "judge": (
        "util",
        "serving.errors",
        "serving.apis",
        "serving.tensor_codec",
        "serving.v2",
        "golden.cases",
        "harness.registry",
    ),
    "bench": ("util", "serving", "golden.cases", "harness", "client", "server"),
    "byo": ("util", "serving", "golden", "models", "client", "server", "harness", "judge"),
    "cli": (
        "util",
        "serving",
        "golden",
        "models",
        "server",
        "client",
        "harness",
        "judge",
        "bench",
        "byo",
    ),
    "__main__": ("cli",),
    "__init__": (),
}


def module_name(path: Path) -> str:
    """`serving.errors` for python/tfinterop/serving/errors.py, `golden` for its __init__."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imported(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, target) for every tfinterop import in `source`, targets relative to tfinterop
    (`from tfinterop.serving import errors` -> `serving.errors`; a name imported from a
    module keeps the module as its prefix: `serving.errors.ServingError`)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                origin = ".".join(["tfinterop", *base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            out += [(node.lineno, f"{origin}.{a.name}") for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.lineno, node.args[0].value))
    return [
        (line, target.removeprefix("tfinterop."))
        for line, target in out
        if target == "tfinterop" or target.startswith("tfinterop.")
    ]


def layer_of(module: str) -> str:
    return module.split(".")[0]


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of `module` (relative to tfinterop) its layer may not make."""
    layer = layer_of(module)
    if layer not in ALLOWED:
        return [f"{module}: layer {layer!r} is not in the table (tests/python/test_layers.py)"]
    allowed = (layer, *ALLOWED[layer])
    bad = []
    for line, target in imported(source, module, is_package):
        if target == "tfinterop":
            bad.append(f"{module}:{line} imports the tfinterop package itself")
        elif not any(target == a or target.startswith(a + ".") for a in allowed):
            bad.append(
                f"{module}:{line} imports {target} (layer {layer} may import {', '.join(ALLOWED[layer]) or 'nothing'})"
            )
    return bad


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_imports_only_what_its_layer_allows() -> None:
    bad = [
        v
        for p in _modules()
        for v in violations(module_name(p), p.read_text(), p.name == "__init__.py")
    ]
    assert bad == [], "\n".join(bad)


def test_every_layer_of_the_table_exists() -> None:
    """A renamed folder must rename its row, or the row guards nothing."""
    layers = {layer_of(module_name(p)) for p in _modules()}
    assert set(ALLOWED) == layers


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("golden.reference", "from tfinterop.server import core\n"),
        ("golden.reference", "from tfinterop.serving import signature\n"),
        ("golden.cases.book", "def f():\n    from tfinterop.client.transports import inproc\n"),
        ("judge.compare", "from tfinterop.client import runner\n"),
        ("judge.compare", "from tfinterop.models.zoo import text\n"),
        ("server.core", "from tfinterop.harness.server_process import bundled_server\n"),
        ("server.core", "import tfinterop.judge.matrix\n"),
        ("client.runner", "from tfinterop.server import json_tensor\n"),
        ("client.runner", "from tfinterop.harness import registry\n"),
        ("client.runner", "from tfinterop.golden import Reference\n"),
        ("serving.predict", "from tfinterop.client.object_servable import ObjectServable\n"),
        ("serving.predict", "from ..client import runner\n"),
        ("util.atomic", "import importlib\nimportlib.import_module('tfinterop.serving.errors')\n"),
        ("util.atomic", "from tfinterop import serving\n"),
        ("newlayer.x", "import os\n"),
    ],
)
def test_a_wrong_import_is_caught(module: str, source: str) -> None:
    assert violations(module, source) != []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("golden.reference", "from tfinterop.serving.errors import ServingError\n"),
        ("golden.reference", "from . import examples\n"),
        ("client.runner", "from tfinterop.golden.cases import manifest\n"),
        ("judge.command", "from tfinterop.harness import registry\n"),
        ("server.core", "from .manager import ModelManager\n"),
        ("cli", "from tfinterop.byo import doctor\n"),
    ],
)
def test_an_allowed_import_passes(module: str, source: str) -> None:
    assert violations(module, source) == []
