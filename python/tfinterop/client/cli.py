"""`tfinterop-python run|bench|info`: the Python client's command line, as every client's.

Flags, defaults, exit status and the `info` keys are docs/CONTRACT.md "Command line
(same in every language)": 0 when every case ran, 2 on bad usage, 1 when the client
itself could not run. stdout carries only the command's output.
"""

from __future__ import annotations

import argparse
import json
import platform
import urllib.parse
from importlib import metadata
from pathlib import Path
from typing import Any

from tfinterop.client.transports import APIS, DEFAULT_DEADLINE_MS, DEFAULT_REST, DEFAULT_TARGET
from tfinterop.serving import command_line
from tfinterop.util import quiet

CLIENT = "python"
PROG = "tfinterop-python"
MODES = tuple(APIS)


def _positive(text: str) -> int:
    value = _integer(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _not_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _rest_url(text: str) -> str:
    url = urllib.parse.urlsplit(text)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text


def _mode_list(text: str) -> list[str]:
    """`run --mode`: one mode or a comma-separated list of distinct modes (run in order)."""
    modes = text.split(",")
    for mode in modes:
        if mode not in MODES:
            what = "an empty mode" if not mode else f"unknown mode {mode!r}"
            raise argparse.ArgumentTypeError(f"{text!r} has {what}: choose from {', '.join(MODES)}")
    repeated = sorted({m for m in modes if modes.count(m) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{text!r} repeats {', '.join(repeated)}")
    return modes


def _add_transport_flags(p: argparse.ArgumentParser, several_modes: bool = False) -> None:
    if several_modes:
        p.add_argument(
            "--mode",
            required=True,
            type=_mode_list,
            metavar="MODE[,MODE...]",
            help=f"one of {', '.join(MODES)}, or a comma-separated list run in one process",
        )
    else:
        p.add_argument("--mode", required=True, choices=MODES)
    p.add_argument(
        "--model-config", type=Path, help="model config (inproc; default the manifest's)"
    )
    p.add_argument(
        "--op-library",
        type=Path,
        action="append",
        default=[],
        help="custom-op library to load before the model (inproc; repeatable; added to the "
        "case sets' model.op_libraries)",
    )
    p.add_argument(
        "--target", default=DEFAULT_TARGET, help=f"gRPC server (default {DEFAULT_TARGET})"
    )
    p.add_argument(
        "--rest", type=_rest_url, default=DEFAULT_REST, help=f"REST server (default {DEFAULT_REST})"
    )
    p.add_argument(
        "--deadline-ms",
        type=_positive,
        default=DEFAULT_DEADLINE_MS,
        help=f"per-request deadline over grpc and rest (default {DEFAULT_DEADLINE_MS})",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help=f"let TensorFlow's start-up lines through (also {quiet.VERBOSE_ENV}=1)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = command_line.Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=command_line.Parser)

    r = sub.add_parser("run", help="replay case sets, write results under OUT/python/<mode>/")
    _add_transport_flags(r, several_modes=True)
    r.add_argument("--cases", type=Path, action="append", required=True, help="repeatable")
    r.add_argument("--out", type=Path, required=True, help="the results root")
    r.set_defaults(handler=_run)

    b = sub.add_parser("bench", help="repeat one case, print one JSON line")
    _add_transport_flags(b)
    b.add_argument("--cases", type=Path, required=True)
    b.add_argument("--case", required=True, help="the case id to repeat")
    b.add_argument("--requests", type=_positive, required=True, help="measured requests")
    b.add_argument("--concurrency", type=_positive, required=True, help="requests in flight")
    b.add_argument("--warmup", type=_not_negative, default=10, help="unmeasured requests first")
    b.set_defaults(handler=_bench)

    i = sub.add_parser("info", help="print the client's capabilities as one JSON line")
    i.set_defaults(handler=_info, verbose=False)
    return p


def _connection(args: argparse.Namespace) -> tuple[Any, ...]:
    """The flags run and bench share, in the order runner.main and bench.bench take them."""
    return (args.model_config, args.target, args.rest, args.deadline_ms, args.op_library)


def _run(args: argparse.Namespace) -> int:
    from tfinterop.client import runner

    return runner.main(args.mode, args.cases, args.out, *_connection(args))


def _bench(args: argparse.Namespace) -> int:
    import json

    from tfinterop.client import bench

    figures = bench.bench(
        args.mode,
        args.cases,
        args.case,
        args.requests,
        args.concurrency,
        args.warmup,
        *_connection(args),
    )
    print(json.dumps(figures), flush=True)
    return 0


def _info(args: argparse.Namespace) -> int:
    print(json.dumps(info()))
    return 0


def info() -> dict[str, Any]:
    """The `info` object: exactly the keys docs/CONTRACT.md names."""
    runtime = {
        "tensorflow": metadata.version("tensorflow"),
        "library": "tensorflow wheel (tf.saved_model.load)",
        "grpc": metadata.version("grpcio"),
        "protobuf": metadata.version("protobuf"),
        "requests": metadata.version("requests"),
        "tensorflow-serving-api": metadata.version("tensorflow-serving-api"),
        "tritonclient": metadata.version("tritonclient"),
    }
    return {
        "client": CLIENT,
        "language": f"python {platform.python_version()}",
        "modes": list(MODES),
        "apis": {mode: list(apis) for mode, apis in APIS.items()},
        # serving.tensor_codec carries every TensorFlow dtype the suite uses, in-process and
        # as protos; REST's own refusals are TF Serving's answers, not this client's.
        "unsupported_dtypes": {mode: [] for mode in MODES},
        "runtime": runtime,
    }


def main(argv: list[str] | None = None) -> int:
    return command_line.run(PROG, build_parser(), _handle, argv)


def _handle(args: argparse.Namespace) -> int:
    return int(args.handler(args))
