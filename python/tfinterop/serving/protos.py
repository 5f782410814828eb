"""`tfinterop protos`: one FileDescriptorSet of the serving APIs (TF Serving, v2) for codegen."""

from __future__ import annotations

import importlib
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor

from tfinterop.util import atomic

# Everything clients need: the serving APIs, the model config they read, the
# SavedModel/MetaGraphDef the C++ client parses, and the Open Inference Protocol (v2):
# Triton's grpc_service.proto (package inference, with its model_config.proto), as the
# pinned tritonclient generated it. Dependencies follow transitively.
MODULES = (
    "tensorflow_serving.apis.prediction_service_pb2",
    "tensorflow_serving.apis.model_service_pb2",
    "tensorflow_serving.apis.prediction_log_pb2",
    "tensorflow_serving.apis.session_service_pb2",
    "tensorflow_serving.config.model_server_config_pb2",
    "tensorflow_serving.config.monitoring_config_pb2",
    "tensorflow.core.protobuf.saved_model_pb2",
    "tensorflow.core.example.example_pb2",
    "tritonclient.grpc.service_pb2",
)


def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """Files in dependency order (each file after the files it imports)."""
    ordered: list[FileDescriptor] = []
    seen: set[str] = set()

    def visit(fd: FileDescriptor) -> None:
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            visit(dep)
        ordered.append(fd)

    for module in MODULES:
        try:
            visit(importlib.import_module(module).DESCRIPTOR)
        except ModuleNotFoundError:
            continue  # optional file not shipped by this tensorflow-serving-api
    fds = descriptor_pb2.FileDescriptorSet()
    for fd in ordered:
        proto = fds.file.add()
        fd.CopyToProto(proto)
    return fds


def main(out: Path) -> int:
    """`tfinterop protos`: prints the file and how many .proto files it holds."""
    print(f"{out}: {write(out)} files")
    return 0


def write(path: Path) -> int:
    fds = descriptor_set()
    atomic.write_bytes(path, fds.SerializeToString(deterministic=True))
    return len(fds.file)
