"""tensorflow_model_server's flags (names, meanings, defaults), plus the few of our own."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8500, help="gRPC port (default 8500)")
    p.add_argument(
        "--rest_api_port",
        type=int,
        default=0,
        help="REST port; 0 disables REST (default 0; 8501 by convention)",
    )
    p.add_argument(
        "--rest_api_timeout_in_ms",
        type=int,
        default=30000,
        help="deadline of a REST request (default 30000)",
    )
    p.add_argument(
        "--grpc_socket_path",
        default="",
        help="also serve gRPC on this UNIX socket (relative or absolute path)",
    )
    p.add_argument("--rest_api_num_threads", type=int, default=0, help="accepted for compatibility")
    p.add_argument(
        "--grpc_channel_arguments",
        default="",
        help="comma list of gRPC server arguments, e.g. grpc.max_receive_message_length=4194304",
    )
    p.add_argument(
        "--grpc_max_threads",
        type=int,
        default=default_grpc_threads(),
        help="gRPC worker threads (default: 4 per schedulable CPU, as TF Serving's)",
    )
    p.add_argument("--model_name", default="default", help="model name with --model_base_path")
    p.add_argument("--model_base_path", default="", help="folder of numbered version folders")
    p.add_argument(
        "--model_config_file",
        type=Path,
        default=None,
        help="text-format ModelServerConfig (overrides --model_name/--model_base_path)",
    )
    p.add_argument(
        "--model_config_file_poll_wait_seconds",
        type=int,
        default=0,
        help="re-read --model_config_file this often; 0 reads it once (default 0)",
    )
    p.add_argument(
        "--file_system_poll_wait_seconds",
        type=int,
        default=1,
        help="look for new and removed versions this often; 0 looks once (default 1)",
    )
    p.add_argument(
        "--enable_batching",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        help="batch concurrent requests (default false)",
    )
    p.add_argument(
        "--batching_parameters_file", type=Path, default=None, help="text-format BatchingParameters"
    )
    p.add_argument(
        "--monitoring_config_file",
        type=Path,
        default=None,
        help="text-format MonitoringConfig: prometheus_config { enable: true path: ... }",
    )
    p.add_argument(
        "--enable_model_warmup",
        type=_bool,
        nargs="?",
        const=True,
        default=True,
        help="replay assets.extra/tf_serving_warmup_requests at load (default true)",
    )
    p.add_argument(
        "--enable_signature_method_name_check",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        help="Classify/Regress/Predict refuse signatures whose method_name does not fit "
        "(default false, so TF2 signatures, all predict, serve Classify and Regress)",
    )
    p.add_argument(
        "--prefer_tflite_model",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        help="serve model.tflite from a version folder that has one, instead of "
        "saved_model.pb; without one, the SavedModel (default false)",
    )
    p.add_argument(
        "--num_tflite_pools",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="TF Lite interpreters per loaded TF Lite model, one request each at a time "
        "(default: the schedulable CPUs)",
    )
    p.add_argument(
        "--num_tflite_interpreters_per_pool",
        type=int,
        default=1,
        help="accepted for compatibility: the bundled server runs each request on an "
        "interpreter of its own and does not batch inside a TF Lite model",
    )
    p.add_argument(
        "--allow_version_labels_for_unavailable_models",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        help="let a new version label name a version that is not loaded yet; without it a "
        "config with version_labels is refused at start-up (default false)",
    )
    p.add_argument(
        "--tensorflow_session_parallelism",
        type=int,
        default=0,
        help="threads for running a TensorFlow session (intra- and inter-op); 0 lets "
        "TensorFlow choose",
    )
    p.add_argument(
        "--tensorflow_intra_op_parallelism",
        type=int,
        default=0,
        help="threads to parallelize the execution of an individual op; 0 lets TensorFlow choose",
    )
    p.add_argument(
        "--tensorflow_inter_op_parallelism",
        type=int,
        default=0,
        help="operators that can run at once; 0 lets TensorFlow choose, -1 (with a positive "
        "intra-op value) runs them in the request's thread",
    )
    # Not in tensorflow_model_server, whose custom ops are linked into the binary at build
    # time (docs/SERVER.md "Custom ops"): the bundled server loads them before its models.
    p.add_argument(
        "--op_library",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="custom-op library (.so) to load before the models; repeatable (ours: TF Serving "
        "links custom ops in at build time)",
    )
    # Not in tensorflow_model_server, which listens on every interface: the bundled
    # server binds loopback unless told otherwise.
    p.add_argument(
        "--bind_address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens the server)",
    )
    p.add_argument(
        "--allowed_model_root",
        action="append",
        type=Path,
        default=None,
        help="base paths of models loaded by a config reload must lie under one of "
        "these folders (default: the folders of the startup models)",
    )
    p.add_argument(
        "--allow_any_model_path",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        help="let config reloads load models from any path",
    )


def default_grpc_threads() -> int:
    """server.h: grpc_max_threads = 4.0 * port::NumSchedulableCPUs()."""
    return 4 * len(os.sched_getaffinity(0))


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
