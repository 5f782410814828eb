"""The `tfinterop` command: parses arguments and dispatches; each command lives in its own module.

The Python client has its own command, `tfinterop-python` (tfinterop.client.cli).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tfinterop.harness import registry
from tfinterop.serving import command_line
from tfinterop.util import quiet

EXIT_STATUS = (
    "exit status: 0 every row passes; 1 a row failed (or an entry is stale, or a signature "
    "is not covered); 2 usage; 3 a client or the server could not run"
)


def build_parser() -> argparse.ArgumentParser:
    p = command_line.Parser(prog="tfinterop", description=__doc__)
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"debug logging and TensorFlow's own log lines (also {quiet.VERBOSE_ENV}=1)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=command_line.Parser)

    e = sub.add_parser("export", help="train and export the MNIST SavedModels, config and cases")
    e.add_argument("--out", type=Path, default=Path("build"), help="build folder (default build)")
    e.add_argument("--dataset", default="auto", help="auto | mnist | digits (default auto)")
    e.add_argument(
        "--exporter",
        type=_csv,
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
    e.set_defaults(handler=_export)

    op = sub.add_parser(
        "ops", help="build the custom-op library of the custom_op zoo model (make ops)"
    )
    op.add_argument(
        "--out", type=Path, default=Path("build"), help="build folder: writes OUT/ops/ (build)"
    )
    op.set_defaults(handler=_ops)

    pr = sub.add_parser("protos", help="write the API FileDescriptorSet for code generation")
    pr.add_argument("--out", type=Path, default=Path("build/protos/serving.pb"))
    pr.set_defaults(handler=_protos)

    i = sub.add_parser("interop", help="run every client in every mode over the case sets")
    i.add_argument(
        "--cases",
        type=Path,
        action="append",
        help="case folder; repeatable (default: every folder in build/cases)",
    )
    i.add_argument("--out", type=Path, default=Path("build/results"))
    i.add_argument(
        "--clients",
        type=_csv,
        default=os.environ.get("TFINTEROP_CLIENTS", ",".join(registry.names())),
        help="comma-separated (default every client of the registry, or TFINTEROP_CLIENTS)",
    )
    i.add_argument("--modes", type=_csv, default=",".join(registry.MODES))
    i.set_defaults(handler=_interop)

    bs = sub.add_parser(
        "bench-suite", help="every client x mode x concurrency, with references (make bench)"
    )
    bs.add_argument("--out", type=Path, default=Path("build/report"))
    bs.add_argument("--clients", type=_csv, default=",".join(registry.names()))
    bs.add_argument("--repetitions", type=int, default=3)
    bs.set_defaults(handler=_bench_suite)

    rp = sub.add_parser("report", help="write build/report/index.html")
    rp.add_argument("--out", type=Path, default=Path("build/report"))
    rp.add_argument("--build", type=Path, default=Path("build"))
    rp.set_defaults(handler=_report)

    b = sub.add_parser("bench-server", help="the bundled server's throughput and latency")
    b.add_argument("--requests", type=int, default=3000)
    b.add_argument("--concurrency", type=_int_csv, default="1,8,32")
    b.add_argument("--out", type=Path, default=Path("build/report"))
    b.set_defaults(handler=_bench_server)

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
    _op_library_flag(rec, "loaded before the model; the case set lists it (model.op_libraries)")
    rec.add_argument("--out", type=Path, default=Path("build"))
    rec.set_defaults(handler=_record)

    ver = sub.add_parser(
        "verify", help="record, run every built client in every mode, judge", epilog=EXIT_STATUS
    )
    ver.add_argument(
        "--saved-model",
        type=Path,
        action="append",
        required=True,
        help="SavedModel or versioned base folder; repeatable: one server and one client run "
        "per mode for all of them, one verdict each",
    )
    ver.add_argument(
        "--name",
        help="model name (one --saved-model only; default the folder's name): what the copy "
        "and cases are called, and with --target the model's name on that server",
    )
    ver.add_argument("--inputs", type=Path, help="inputs file (one --saved-model only)")
    _op_library_flag(
        ver,
        "for record, the bundled server and every client's inproc run (the recorded case "
        "sets list it)",
    )
    ver.add_argument(
        "--build",
        type=Path,
        default=Path("build"),
        help="where the copy, cases, results and report go (default build)",
    )
    ver.add_argument(
        "--clients",
        type=_csv,
        default=",".join(registry.names()),
        help="comma-separated clients (default every client; one that is not built is an error)",
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
    ver.add_argument(
        "--target",
        metavar="HOST:PORT",
        help="the gRPC address of an existing TF Serving-compatible server: the grpc and rest "
        "rows run against it instead of the bundled server. Needs --rest (no default: a "
        "guessed REST port would only turn every rest row into UNAVAILABLE). It must serve "
        "the model under --name, at the version verify records (the highest of --saved-model)",
    )
    ver.add_argument(
        "--rest",
        metavar="URL",
        help="that server's REST API (http://HOST:8501); needs --target",
    )
    _ci_flags(ver)
    ver.set_defaults(handler=_verify)

    jd = sub.add_parser(
        "judge",
        help="judge client results against case sets (a client run on its own)",
        epilog=EXIT_STATUS,
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
    jd.add_argument(
        "--clients", type=_csv, help="comma-separated (default: every client under --results)"
    )
    jd.add_argument(
        "--modes", type=_csv, help="comma-separated (default: every mode the clients ran)"
    )
    jd.add_argument(
        "--expect", type=Path, action="append", default=[], help="accepted differences; repeatable"
    )
    jd.add_argument(
        "--report", type=Path, help="also write interop.json, interop.md, failures.json here"
    )
    _ci_flags(jd)
    jd.set_defaults(handler=_judge)

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
    _op_library_flag(doc, "loaded before the model, in Python and the C API alike")
    doc.set_defaults(handler=_doctor)

    df = sub.add_parser(
        "diff", help="two versions of a model on A's recorded cases: signatures, values, errors"
    )
    df.add_argument(
        "--saved-model",
        type=Path,
        required=True,
        help="A: a SavedModel or versioned base folder (its latest version), or with --versions "
        "the base folder holding both",
    )
    which = df.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--against", type=Path, metavar="B", help="B: a SavedModel or versioned base folder"
    )
    which.add_argument(
        "--versions",
        type=_int_csv,
        metavar="V1,V2",
        help="two version numbers under --saved-model: A and B",
    )
    df.add_argument("--name", help="model name of A's copy and cases (default the folder's name)")
    df.add_argument("--inputs", type=Path, help="inputs for A's cases, as for record")
    df.add_argument(
        "--build",
        type=Path,
        default=Path("build/diff"),
        help="where the copies, cases, client results and diff.json go (default build/diff)",
    )
    df.add_argument(
        "--clients",
        type=_csv,
        default="",
        help="also replay through these clients in process (comma list; default none: only the "
        "reference runtime, tf.saved_model.load)",
    )
    df.add_argument(
        "--modes",
        type=_csv,
        default="inproc",
        help="the clients' modes (comma list of inproc, grpc, rest, v2grpc, v2rest; default "
        "inproc); the server modes go through one bundled server serving A and B",
    )
    df.add_argument("--json", type=Path, metavar="FILE", help="also write the report's data here")
    df.add_argument(
        "--max-abs",
        type=float,
        metavar="X",
        help="exit 1 when an output's max abs error is above X",
    )
    df.add_argument(
        "--max-flip-rate",
        type=float,
        metavar="R",
        help="exit 1 when a classifier-like output's share of argmax flips is above R (0..1)",
    )
    df.add_argument(
        "--allow-signature-changes",
        action="store_true",
        help="exit 0 although inputs, outputs, dtypes, shapes, methods or signatures changed",
    )
    df.add_argument(
        "--allow-new-errors",
        action="store_true",
        help="exit 0 although cases A answers fail on B or fail with another code",
    )
    df.add_argument(
        "--latency-runs",
        type=int,
        default=20,
        metavar="N",
        help="in-process calls per side for the latency median (default 20; 0 skips it)",
    )
    df.set_defaults(handler=_diff)

    cl = sub.add_parser(
        "clients", help="build or list the Go, Java and C++ clients (an installed tfinterop)"
    )
    cl.add_argument("action", choices=["build", "list"])
    cl.add_argument(
        "--clients",
        type=_csv,
        default=",".join(registry.names()),
        help="comma-separated clients to build (default every client)",
    )
    cl.add_argument("--force", action="store_true", help="build again although built")
    cl.set_defaults(handler=_clients)

    s = sub.add_parser("serve", help="TF Serving-compatible model server (gRPC and REST)")
    from tfinterop.server.flags import add_flags

    add_flags(s)
    s.set_defaults(handler=_serve)
    return p


def _op_library_flag(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--op-library",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help=f"a custom-op library (.so) the model needs, {what}; repeatable",
    )


def _ci_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--junit-xml",
        type=Path,
        metavar="FILE",
        help="also write JUnit XML: one testcase per client x mode x case, one testsuite per model",
    )
    p.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the same rows as JSON, with totals"
    )


# Their 1 means "a row failed"; a client or server that could not run is 3 (README, verify).
_EXIT_3_COMMANDS = frozenset({"verify", "judge", "interop", "diff"})


def _tool_error_status(args: argparse.Namespace) -> int:
    return 3 if args.command in _EXIT_3_COMMANDS else 1


def dispatch(args: argparse.Namespace) -> int:
    return args.handler(args)  # type: ignore[no-any-return]


# One function per command: import its module (TensorFlow loads only when a command needs
# it) and make one call.
def _export(a: argparse.Namespace) -> int:
    from tfinterop.models import export_checks

    export_checks.check(a.out, a.dataset, a.exporter)  # before TensorFlow loads
    from tfinterop.models import export

    return export.main(a.out, a.dataset, a.exporter, a.epochs)


def _ops(a: argparse.Namespace) -> int:
    from tfinterop.models import ops

    return ops.main(a.out)


def _protos(a: argparse.Namespace) -> int:
    from tfinterop.serving import protos

    return protos.main(a.out)


def _interop(a: argparse.Namespace) -> int:
    registry.check_selection(a.clients, a.modes)  # before TensorFlow loads
    from tfinterop.harness import run_clients

    return run_clients.main(a.cases, a.out, a.clients, a.modes)


def _report(a: argparse.Namespace) -> int:
    from tfinterop.harness import html_report

    return html_report.main(a.build, a.out)


def _bench_suite(a: argparse.Namespace) -> int:
    from tfinterop.bench import suite

    return suite.main(a.out, a.clients, a.repetitions)


def _bench_server(a: argparse.Namespace) -> int:
    from tfinterop.bench import server

    return server.main(a.requests, a.concurrency, a.out)


# record, verify, doctor and diff look at the model folder first, before TensorFlow loads.
def _record(a: argparse.Namespace) -> int:
    from tfinterop.byo import model_folder

    model_folder.versions(a.saved_model)
    from tfinterop.byo import record

    return record.main(a.saved_model, a.out, a.name, a.inputs, a.warmup, a.op_library)


def _verify(a: argparse.Namespace) -> int:
    from tfinterop.byo import verify_plan

    verify_plan.check_server_flags(a.target, a.rest)
    clients = a.clients or list(registry.names())
    settled = verify_plan.settle(
        a.saved_model, a.name, a.inputs, clients, registry.clients_root(), a.op_library, a.expect
    )
    # The bundled server imports TensorFlow and loads the models while this process imports
    # TensorFlow for record (each about 4 s on 2 cores), instead of after it.
    early = verify_plan.start_server(settled, a.build) if a.target is None else None
    try:
        from tfinterop.byo import verify

        return verify.main(
            a.saved_model,
            a.name,
            a.inputs,
            a.build,
            a.clients,
            a.expect,
            a.allow_uncovered,
            a.target,
            a.rest,
            a.junit_xml,
            a.json,
            a.op_library,
            early,
        )
    finally:
        if early is not None:
            early.close()


def _judge(a: argparse.Namespace) -> int:
    registry.check_selection(a.clients, a.modes)  # before TensorFlow loads
    from tfinterop.judge import command

    return command.main(
        a.cases, a.results, a.clients, a.modes, a.expect, a.report, a.junit_xml, a.json
    )


def _doctor(a: argparse.Namespace) -> int:
    from tfinterop.byo import model_folder

    model_folder.versions(a.saved_model)
    from tfinterop.byo import doctor

    return doctor.main(a.saved_model, a.inputs, a.fix, a.op_library)


def _diff(a: argparse.Namespace) -> int:
    from tfinterop.byo import model_folder

    model_folder.versions(a.saved_model)
    if a.against is not None:
        model_folder.versions(a.against, "--against")
    from tfinterop.byo import diff

    options = diff.Options(
        a.clients,
        a.max_abs,
        a.max_flip_rate,
        a.allow_signature_changes,
        a.allow_new_errors,
        a.latency_runs,
        tuple(a.modes),
    )
    return diff.main(
        a.saved_model, a.against, a.versions, a.name, a.inputs, a.build, a.json, options
    )


def _clients(a: argparse.Namespace) -> int:
    from tfinterop.harness import client_cache

    return client_cache.main(a.action, a.clients, a.force)


def _serve(a: argparse.Namespace) -> int:
    from tfinterop.server import serve

    return serve.main(a)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _int_csv(text: str) -> list[int]:
    try:
        return [int(part) for part in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma list of integers") from None


def main(argv: list[str] | None = None) -> int:
    return command_line.run("tfinterop", build_parser(), dispatch, argv, _tool_error_status)
