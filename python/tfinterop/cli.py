"""The `tfinterop` command: parses arguments and dispatches; each command lives in its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from tfinterop import quiet
from tfinterop.errors import ServingError, ToolError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tfinterop", description=__doc__)
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"debug logging and TensorFlow's own log lines (also {quiet.VERBOSE_ENV}=1)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("export", help="train and export the MNIST SavedModels, config and cases")
    e.add_argument("--out", type=Path, default=Path("build"), help="build folder (default build)")
    e.add_argument("--dataset", default="auto", help="auto | mnist | digits (default auto)")
    e.add_argument(
        "--exporter",
        default="keras,seed",
        help="comma list of keras (model.export) and seed (tf.saved_model.save)",
    )
    e.add_argument(
        "--epochs",
        type=int,
        nargs=2,
        metavar=("V1", "V2_EXTRA"),
        help="epochs for version 1 and further epochs for version 2",
    )

    pr = sub.add_parser("protos", help="write the API FileDescriptorSet for code generation")
    pr.add_argument("--out", type=Path, default=Path("build/protos/serving.pb"))

    r = sub.add_parser("run", help="replay case sets through a client transport")
    r.add_argument("--client", default="python", choices=["python"])
    r.add_argument("--mode", required=True, choices=["inproc", "grpc", "rest"])
    r.add_argument(
        "--cases",
        type=Path,
        action="append",
        required=True,
        help="case folder (build/cases/<model>); repeatable",
    )
    r.add_argument("--out", type=Path, default=Path("build/results"))
    r.add_argument("--model-config", type=Path, help="model config (default: the manifest's)")
    r.add_argument("--target", help="gRPC host:port (default 127.0.0.1:8500)")
    r.add_argument("--rest", help="REST base URL (default http://127.0.0.1:8501)")

    cb = sub.add_parser(
        "bench", help="the Python client's bench: one JSON line (see docs/CONTRACT.md)"
    )
    cb.add_argument("--client", default="python", choices=["python"])
    cb.add_argument("--mode", required=True, choices=["inproc", "grpc", "rest"])
    cb.add_argument("--cases", type=Path, required=True)
    cb.add_argument("--case", required=True)
    cb.add_argument("--requests", type=int, default=1000)
    cb.add_argument("--concurrency", type=int, default=1)
    cb.add_argument("--warmup", type=int, default=50)
    cb.add_argument("--model-config", type=Path)
    cb.add_argument("--target")
    cb.add_argument("--rest")

    i = sub.add_parser("interop", help="run every client in every mode over the case sets")
    i.add_argument(
        "--cases",
        type=Path,
        action="append",
        help="case folder; repeatable (default: every folder in build/cases)",
    )
    i.add_argument("--out", type=Path, default=Path("build/results"))
    i.add_argument("--clients", default=os.environ.get("TFINTEROP_CLIENTS", "python,go,java,cpp"))
    i.add_argument("--modes", default="inproc,grpc,rest")

    bs = sub.add_parser(
        "bench-suite", help="every client x mode x concurrency, with references (make bench)"
    )
    bs.add_argument("--out", type=Path, default=Path("build/report"))
    bs.add_argument("--clients", default="python,go,java,cpp")
    bs.add_argument("--repetitions", type=int, default=3)

    rp = sub.add_parser("report", help="write build/report/index.html")
    rp.add_argument("--out", type=Path, default=Path("build/report"))
    rp.add_argument("--build", type=Path, default=Path("build"))

    b = sub.add_parser("bench-server", help="the bundled server's throughput and latency")
    b.add_argument("--requests", type=int, default=3000)
    b.add_argument("--concurrency", default="1,8,32")
    b.add_argument("--out", type=Path, default=Path("build/report"))

    rec = sub.add_parser("record", help="record golden cases for any SavedModel")
    rec.add_argument(
        "--saved-model", type=Path, required=True, help="SavedModel folder or versioned base folder"
    )
    rec.add_argument("--name", help="model name (default: the folder's name)")
    rec.add_argument(
        "--inputs",
        type=Path,
        help='inputs: .npz (keys "alias" or "signature/alias") or TF Serving REST JSON bodies '
        '({"signature_name"?, "inputs": ...} or {"signature_name"?, "instances": [...]}; '
        "a list of them, one per signature)",
    )
    rec.add_argument(
        "--warmup",
        action="store_true",
        help="also write assets.extra/tf_serving_warmup_requests into the recorded copy",
    )
    rec.add_argument("--out", type=Path, default=Path("build"))

    ver = sub.add_parser("verify", help="record, run every built client in every mode, judge")
    ver.add_argument(
        "--saved-model",
        type=Path,
        action="append",
        required=True,
        help="SavedModel or versioned base folder; repeatable: one server and one client run "
        "per mode for all of them, one verdict each",
    )
    ver.add_argument("--name", help="model name (one --saved-model only)")
    ver.add_argument("--inputs", type=Path, help="inputs file (one --saved-model only)")
    ver.add_argument(
        "--build",
        type=Path,
        default=Path("build"),
        help="where the copy, cases, results and report go (default build)",
    )
    ver.add_argument(
        "--clients",
        default="python,go,java,cpp",
        help="comma-separated clients (default all four; one that is not built is an error)",
    )
    ver.add_argument(
        "--expect",
        type=Path,
        action="append",
        default=[],
        help="your accepted differences (expected-failure entries, docs/CONTRACT.md); repeatable",
    )
    ver.add_argument(
        "--allow-uncovered",
        action="store_true",
        help="exit 0 although some signature ran in no case that expects outputs",
    )

    jd = sub.add_parser(
        "judge", help="judge client results against case sets (a client run on its own)"
    )
    jd.add_argument(
        "--cases",
        type=Path,
        action="append",
        required=True,
        help="a case folder (manifest.json inside) or a folder of them; repeatable",
    )
    jd.add_argument(
        "--results",
        type=Path,
        required=True,
        help="the results root the clients wrote (--out): RESULTS/<client>/<mode>/<model>/",
    )
    jd.add_argument("--clients", help="comma-separated (default: every client under --results)")
    jd.add_argument("--modes", help="comma-separated (default: every mode the clients ran)")
    jd.add_argument(
        "--expect", type=Path, action="append", default=[], help="accepted differences; repeatable"
    )
    jd.add_argument(
        "--report", type=Path, help="also write interop.json, interop.md, failures.json here"
    )

    doc = sub.add_parser(
        "doctor", help="fast preflight: load and run in Python and the C++ loader, explain"
    )
    doc.add_argument(
        "--saved-model", type=Path, required=True, help="SavedModel or versioned base folder"
    )
    doc.add_argument(
        "--inputs",
        type=Path,
        help="inputs to run the signatures with, as for record: .npz, or TF Serving REST JSON "
        '({"inputs": ...} or {"instances": [...]}, a list of them for several signatures)',
    )
    doc.add_argument(
        "--fix",
        type=Path,
        metavar="OUT",
        help="for a Keras 3 tf.saved_model.save export the C API cannot run: write a repaired "
        "copy to OUT/<version>/ (a new or empty folder) and check it; your folder is not modified",
    )

    s = sub.add_parser("serve", help="TF Serving-compatible model server (gRPC and REST)")
    from tfinterop.server.flags import add_flags

    add_flags(s)
    return p


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "export":
        from tfinterop import export, train

        exporters = tuple(x.strip() for x in args.exporter.split(",") if x.strip())
        epochs = train.Epochs(*args.epochs) if args.epochs else None
        export.run(export.ExportOptions(args.out, args.dataset, exporters, epochs))
        return 0
    if args.command == "protos":
        from tfinterop import protos

        n = protos.write(args.out)
        print(f"{args.out}: {n} files")
        return 0
    if args.command == "run":
        from tfinterop import runner

        return runner.main_run(
            args.mode, args.cases, args.out, args.model_config, args.target, args.rest
        )
    if args.command == "bench":
        import json

        from tfinterop import client_bench

        result = client_bench.bench(
            args.mode,
            args.cases,
            args.case,
            args.requests,
            args.concurrency,
            args.warmup,
            args.model_config,
            args.target,
            args.rest,
        )
        print(json.dumps(result))
        return 0
    if args.command == "interop":
        from tfinterop import interop

        cases = args.cases or sorted(p.parent for p in Path("build/cases").glob("*/manifest.json"))
        if not cases:
            raise ToolError("no case sets under build/cases; run `make export` first")
        names = [c.strip() for c in args.clients.split(",") if c.strip()]
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        from tfinterop.judge.report import checkout

        interop.run_all(checkout(), cases, args.out, names, modes)
        return 0
    if args.command == "report":
        from tfinterop import report

        print(report.write(args.build, args.out))
        return 0
    if args.command == "bench-suite":
        from tfinterop import bench

        names = [c.strip() for c in args.clients.split(",") if c.strip()]
        bench.run(Path.cwd(), args.out, names, args.repetitions)
        print(args.out / "bench.md")
        return 0
    if args.command == "bench-server":
        from tfinterop import bench_server

        levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
        bench_server.run(Path.cwd(), args.requests, levels, args.out)
        return 0
    if args.command == "record":
        from tfinterop.byo import record, verify

        rec_result = record.record(args.saved_model, args.out, args.name, args.inputs, args.warmup)
        print(verify.summary(rec_result))
        print(
            f"cases: {args.out / 'cases' / rec_result.name}; config: {args.out / 'models' / 'models.config'}"
        )
        return 0
    if args.command == "verify":
        from tfinterop.byo import verify

        if len(args.saved_model) > 1 and (args.name or args.inputs):
            raise UsageError("--name and --inputs apply to one --saved-model only")
        return verify.verify(
            args.saved_model,
            args.name,
            args.inputs,
            args.build,
            clients=_csv(args.clients),
            expect=args.expect,
            allow_uncovered=args.allow_uncovered,
        )
    if args.command == "judge":
        from tfinterop.judge import command

        return command.main(
            args.cases,
            args.results,
            _csv(args.clients) if args.clients else None,
            _csv(args.modes) if args.modes else None,
            args.expect,
            args.report,
        )
    if args.command == "doctor":
        from tfinterop.byo import doctor

        return doctor.main(args.saved_model, args.inputs, args.fix)
    if args.command == "serve":
        from tfinterop.server import serve

        return serve.main(args)
    raise UsageError(f"unknown command {args.command}")


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        print(f"tfinterop: usage error: {e}", file=sys.stderr)
        return 2
    verbose = quiet.verbose_requested(args.verbose, os.environ)
    # Before anything imports TensorFlow: its C++ runtime logs from the first import on.
    stderr_filter = quiet.configure(verbose)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        return _dispatch_reporting_errors(args)
    finally:
        if stderr_filter is not None:
            stderr_filter.close()


def _dispatch_reporting_errors(args: argparse.Namespace) -> int:
    try:
        return dispatch(args)
    except UsageError as e:
        print(f"tfinterop: usage error: {e}", file=sys.stderr)
        return 2
    except (ToolError, ServingError) as e:
        print(f"tfinterop: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tfinterop: interrupted", file=sys.stderr)
        return 130
