"""Text-format messages TF Serving reads whose .proto files the pip package lacks.

BatchingParameters (session_bundle_config.proto) and MonitoringConfig
(monitoring_config.proto) are declared here with TF Serving's field names, so
their files parse with protobuf's own text-format parser and its exact errors.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,
)
from google.protobuf.message import Message

from tfinterop.serving.errors import ToolError

_F = descriptor_pb2.FieldDescriptorProto


def _file() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(
        name="tfinterop/server_configs.proto",
        package="tensorflow.serving",
        dependency=["google/protobuf/wrappers.proto"],
        syntax="proto3",
    )

    def add(
        msg: descriptor_pb2.DescriptorProto,
        name: str,
        number: int,
        ftype: int,
        type_name: str = "",
        repeated: bool = False,
    ) -> None:
        f = msg.field.add(
            name=name,
            number=number,
            type=ftype,
            label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
        )
        if type_name:
            f.type_name = type_name

    b = fd.message_type.add(name="BatchingParameters")
    i64 = ".google.protobuf.Int64Value"
    add(b, "max_batch_size", 1, _F.TYPE_MESSAGE, i64)
    add(b, "batch_timeout_micros", 2, _F.TYPE_MESSAGE, i64)
    add(b, "max_enqueued_batches", 3, _F.TYPE_MESSAGE, i64)
    add(b, "num_batch_threads", 4, _F.TYPE_MESSAGE, i64)
    add(b, "thread_pool_name", 5, _F.TYPE_MESSAGE, ".google.protobuf.StringValue")
    add(b, "allowed_batch_sizes", 6, _F.TYPE_INT64, repeated=True)
    add(b, "pad_variable_length_inputs", 7, _F.TYPE_BOOL)
    add(b, "enable_large_batch_splitting", 8, _F.TYPE_MESSAGE, ".google.protobuf.BoolValue")
    add(b, "max_execution_batch_size", 9, _F.TYPE_MESSAGE, i64)

    p = fd.message_type.add(name="PrometheusConfig")
    add(p, "enable", 1, _F.TYPE_BOOL)
    add(p, "path", 2, _F.TYPE_STRING)
    m = fd.message_type.add(name="MonitoringConfig")
    add(m, "prometheus_config", 1, _F.TYPE_MESSAGE, ".tensorflow.serving.PrometheusConfig")
    return fd


_POOL = descriptor_pool.DescriptorPool()
_POOL.AddSerializedFile(
    descriptor_pb2.FileDescriptorProto.FromString(
        wrappers_pb2.DESCRIPTOR.serialized_pb
    ).SerializeToString()
)
_POOL.Add(_file())

BatchingParameters = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName("tensorflow.serving.BatchingParameters")
)
MonitoringConfig = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName("tensorflow.serving.MonitoringConfig")
)


def parse_file(path: Path, message_type: type[Message], what: str) -> Message:
    """Parse a text-format file; ToolError names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ToolError(f"cannot read {what} {path}: {e.strerror or e}") from None
    message = message_type()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as e:
        raise ToolError(f"{what} {path} does not parse: {e}") from None
    return message
