"""Dtypes a client or transport cannot carry: one table, read by doctor before a user runs verify.

Each row is a (client, mode) and the tensor dtypes it refuses, with the answer the
row gets and where that behaviour comes from; a client's own rows come from the client
registry (harness/clients.json). A row either is what TF Serving itself
answers (REST: the recorded cases already expect it, so the signature is only
covered by an error over that mode) or a limitation of one client's runtime (TF
Java in-process: the row fails unless the user accepts it with `verify --expect`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tensorflow.core.framework import types_pb2

from tfinterop.harness import registry
from tfinterop.serving import tensor_codec

EVERY_CLIENT = "*"
CLIENTS = registry.names()


@dataclass(frozen=True)
class Limit:
    client: str  # a client name, or EVERY_CLIENT for a transport's own limit
    mode: str  # inproc, grpc or rest
    direction: str  # "input" or "output"
    dtypes: frozenset[int]
    code: str  # the canonical code the row answers with
    message: str  # a substring of that answer's message; {dtype} is the dtype's name
    reason: str  # why, naming the source; {dtype} is the dtype's name
    recorded: bool  # True: TF Serving's own answer, which the recorded cases expect

    @property
    def who(self) -> str:
        return f"{self.mode} (every client)" if self.client == EVERY_CLIENT else self.mode_path

    @property
    def mode_path(self) -> str:
        return f"{self.client}/{self.mode}"

    def clients(self) -> tuple[str, ...]:
        return CLIENTS if self.client == EVERY_CLIENT else (self.client,)


# tensorflow_serving/util/json_tensor.cc: AddValueToTensor (requests) and
# AddSingleValueAndAdvance (responses) have cases for float, double, int8/16/32, uint8,
# int64, uint32, uint64, bool and string only.
_JSON_MISSING = frozenset(
    {
        types_pb2.DT_HALF,
        types_pb2.DT_BFLOAT16,
        types_pb2.DT_UINT16,
        types_pb2.DT_COMPLEX64,
        types_pb2.DT_COMPLEX128,
    }
)


def _dtype(name: str) -> int:
    by_name = {d.name: d.enum for d in tensor_codec.DTYPES.values()}
    if name not in by_name:
        raise ValueError(f"clients.json: {name!r} is not a TensorFlow dtype name")
    return by_name[name]


def _client_limits() -> tuple[Limit, ...]:
    """The registry's rows (harness/clients.json): each client's runtime refuses its
    unsupported dtypes both ways, with one answer."""
    return tuple(
        Limit(
            c.name,
            mode,
            side,
            frozenset(_dtype(n) for n in names),
            c.unsupported_code or "",
            c.unsupported_message or "",
            c.unsupported_reason or "",
            recorded=False,
        )
        for c in registry.clients().values()
        for mode, names in c.unsupported_dtypes.items()
        if names
        for side in ("input", "output")
    )


LIMITS: tuple[Limit, ...] = (
    *_client_limits(),
    Limit(
        EVERY_CLIENT,
        "rest",
        "input",
        _JSON_MISSING,
        "UNIMPLEMENTED",
        "Conversion of JSON Value",
        "TF Serving's REST API converts no JSON value to {dtype} (json_tensor.cc AddValueToTensor: "
        'UNIMPLEMENTED "Conversion of JSON Value ... to type: {dtype}")',
        recorded=True,
    ),
    Limit(
        EVERY_CLIENT,
        "rest",
        "output",
        _JSON_MISSING,
        "INVALID_ARGUMENT",
        "Failed to write JSON value for tensor type: {dtype}",
        "TF Serving's REST API cannot write a {dtype} answer (json_tensor.cc "
        'AddSingleValueAndAdvance: INVALID_ARGUMENT "Failed to write JSON value for tensor '
        'type: {dtype}", for an output holding values)',
        recorded=True,
    ),
)


@dataclass(frozen=True)
class Refusal:
    """One tensor of one signature that one limit refuses."""

    limit: Limit
    alias: str
    dtype: int

    @property
    def dtype_name(self) -> str:
        return tensor_codec.dtype_name(self.dtype)

    @property
    def reason(self) -> str:
        return self.limit.reason.format(dtype=self.dtype_name)

    @property
    def message(self) -> str:
        return self.limit.message.format(dtype=self.dtype_name)


def refusals(inputs: dict[str, int], outputs: dict[str, int]) -> list[Refusal]:
    """What the table refuses of a predict signature's tensors ({alias: dtype} each), in
    table order. Classify and regress carry tf.Examples, not tensors: they have none."""
    out = []
    for limit in LIMITS:
        tensors = inputs if limit.direction == "input" else outputs
        out += [
            Refusal(limit, alias, dtype)
            for alias, dtype in sorted(tensors.items())
            if dtype in limit.dtypes
        ]
    return out
