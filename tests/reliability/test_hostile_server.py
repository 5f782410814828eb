"""Hostile input to the server: each answered with TF Serving's code, the server stays up, memory bounded."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import grpc
import numpy as np
import pytest
import requests
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.reliability.conftest import copy_mnist, rss_kib, write_config
from tests.reliability.figures import record
from tfinterop.harness.server_process import RunningServer, bundled_server
from tfinterop.serving import tensor_codec

MAX_MESSAGE = 4 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("hostile")
    config = write_config(tmp / "models.config", copy_mnist(tmp / "mnist"), policy="all")
    with bundled_server(
        config,
        ["mnist"],
        tmp / "server.log",
        extra=[f"--grpc_channel_arguments=grpc.max_receive_message_length={MAX_MESSAGE}"],
    ) as s:
        yield s


def _healthy(s: RunningServer) -> bool:
    return requests.get(f"{s.rest_url}/v1/models/mnist", timeout=10).status_code == 200


def _predict(s: RunningServer, tensor: tensor_pb2.TensorProto) -> grpc.StatusCode:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "mnist"
    req.inputs["image"].CopyFrom(tensor)
    stub = prediction_service_pb2_grpc.PredictionServiceStub(
        grpc.insecure_channel(s.target, options=[("grpc.max_send_message_length", 1 << 30)])
    )
    try:
        stub.Predict(req, timeout=30)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()  # type: ignore[no-any-return]


def _raw(s: RunningServer, body: bytes) -> grpc.StatusCode:
    channel = grpc.insecure_channel(s.target)
    call = channel.unary_unary(
        "/tensorflow.serving.PredictionService/Predict",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )
    try:
        call(body, timeout=30)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()  # type: ignore[no-any-return]


def _tensor(
    shape: list[int],
    dtype: int = types_pb2.DT_FLOAT,
    content: bytes = b"",
    strings: list[bytes] | None = None,
) -> tensor_pb2.TensorProto:
    t = tensor_pb2.TensorProto(dtype=dtype, tensor_content=content)
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    if strings:
        t.string_val.extend(strings)
    return t


def _random_bodies(n: int) -> list[bytes]:
    rng = random.Random(7)
    good = predict_pb2.PredictRequest()
    good.model_spec.name = "mnist"
    good.inputs["image"].CopyFrom(
        tensor_codec.from_ndarray(np.zeros((1, 28, 28), np.float32), content=True)
    )
    blob = good.SerializeToString()
    bodies = [blob[: rng.randrange(1, len(blob))] for _ in range(n // 2)]
    bodies += [
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512))) for _ in range(n - n // 2)
    ]
    return bodies


GRPC_CASES: dict[
    str, tuple[Callable[[RunningServer], list[grpc.StatusCode]], set[grpc.StatusCode]]
] = {
    "truncated or random bytes as a Predict body": (
        lambda s: [_raw(s, b) for b in _random_bodies(40)],
        {grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND},
    ),
    "tensor_content length disagrees with dtype x shape": (
        lambda s: [
            _predict(s, _tensor([1, 28, 28], content=b"\0" * n)) for n in (7, 3135, 3137, 100000)
        ],
        {grpc.StatusCode.INVALID_ARGUMENT},
    ),
    "shape claiming 10^12 elements": (
        lambda s: [_predict(s, _tensor([10**6, 10**6])), _predict(s, _tensor([10**12, 28, 28]))],
        {grpc.StatusCode.INVALID_ARGUMENT},
    ),
    "negative dimensions": (
        lambda s: [_predict(s, _tensor([-1, 28, 28])), _predict(s, _tensor([1, -28, 28]))],
        {grpc.StatusCode.INVALID_ARGUMENT},
    ),
    "huge string elements (2 x 1.5 MiB) to a float input": (
        lambda s: [_predict(s, _tensor([2], types_pb2.DT_STRING, strings=[b"x" * (3 << 19)] * 2))],
        {grpc.StatusCode.INVALID_ARGUMENT},
    ),
    "request above the maximum message size (6 MiB > 4 MiB)": (
        lambda s: [_predict(s, _tensor([2000, 28, 28], content=b"\0" * (2000 * 784 * 4)))],
        {grpc.StatusCode.RESOURCE_EXHAUSTED},
    ),
}


def _image(first: bytes) -> bytes:
    """A 1x28x28 predict body whose first value is the raw JSON token `first`."""
    row = b"[" + b", ".join([b"0.0"] * 28) + b"]"
    rows = [row] * 28
    rows[0] = b"[" + first + b", " + b", ".join([b"0.0"] * 27) + b"]"
    return b'{"inputs": {"image": [[' + b", ".join(rows) + b"]]}}"


REST_CASES: dict[str, tuple[list[tuple[str, str, bytes, dict[str, str]]], set[int]]] = {
    "malformed JSON": (
        [
            ("POST", "/v1/models/mnist:predict", b, {})
            for b in (b"{", b'{"inputs": [1,]}', b"\xff\xfe", b'{"inputs": [1] "x"}', b"nul\x00")
        ],
        {400},
    ),
    "100,000-deep nesting": (
        [
            ("POST", "/v1/models/mnist:predict", b"[" * 100000 + b"]" * 100000, {}),
            (
                "POST",
                "/v1/models/mnist:predict",
                b'{"inputs":' + b"[" * 100000 + b"]" * 100000 + b"}",
                {},
            ),
        ],
        {400},
    ),
    "numbers out of range": (
        [
            ("POST", "/v1/models/mnist:predict", _image(n), {})
            for n in (b"1e400", b"-1e400", b"1e39", b"-3.5e38")
        ],
        {400},
    ),
    "wrong content type (ignored, as TF Serving does)": (
        [
            ("POST", "/v1/models/mnist:predict", _image(b"0.5"), {"Content-Type": ct})
            for ct in ("application/x-www-form-urlencoded", "text/plain", "image/png")
        ],
        {200},
    ),
    "unknown verb": (
        [("POST", "/v1/models/mnist:explode", b"{}", {}), ("PATCH", "/v1/models/mnist", b"", {})],
        {400},
    ),
    "model names with ../, %2F or NUL": (
        [
            ("POST", "/v1/models/" + name + ":predict", b'{"inputs": [1.0]}', {})
            for name in ("..%2F..%2Fetc%2Fpasswd", "mnist%2F..%2F..", "mni%00st", "%2e%2e")
        ],
        {404},
    ),
}


def test_hostile_inputs_get_their_codes_and_the_server_survives(server: RunningServer) -> None:
    rss_before = rss_kib(server.process.pid)
    failures = []
    for name, (run, allowed) in GRPC_CASES.items():
        codes = run(server)
        outcome = Counter(c.name for c in codes)
        ok = all(c in allowed for c in codes) and _healthy(server)
        record(
            "Hostile input (server)",
            {
                "name": f"gRPC: {name}",
                "tried": len(codes),
                "outcome": ", ".join(f"{k} x{v}" for k, v in outcome.items()),
                "server healthy after": _healthy(server),
            },
        )
        if not ok:
            failures.append(f"{name}: {dict(outcome)}")
    for name, (reqs, allowed_status) in REST_CASES.items():
        statuses = []
        for method, path, body, headers in reqs:
            r = requests.request(
                method, server.rest_url + path, data=body, headers=headers, timeout=30
            )
            statuses.append(r.status_code)
            if r.status_code != 200 and "error" not in r.json():
                failures.append(f"{name}: no error body for {path}")
        ok = all(st in allowed_status for st in statuses) and _healthy(server)
        record(
            "Hostile input (server)",
            {
                "name": f"REST: {name}",
                "tried": len(statuses),
                "outcome": ", ".join(f"HTTP {k} x{v}" for k, v in Counter(statuses).items()),
                "server healthy after": _healthy(server),
            },
        )
        if not ok:
            failures.append(f"{name}: {statuses}")
    rss_after = rss_kib(server.process.pid)
    record(
        "Hostile input (server)",
        {
            "name": "resident memory",
            "tried": "",
            "outcome": f"{rss_before // 1024} MiB before, {rss_after // 1024} MiB after",
            "server healthy after": _healthy(server),
        },
    )
    assert not failures, failures
    assert rss_after - rss_before < 200 * 1024, "memory grew by more than 200 MiB"


def test_nan_and_infinity_are_values_not_errors(server: RunningServer) -> None:
    image = [[["NaN" if (i + j) % 3 == 0 else "Infinity" for j in range(28)] for i in range(28)]]
    body = ('{"inputs": {"image": ' + str(image).replace("'", "") + "}}").encode()
    r = requests.post(f"{server.rest_url}/v1/models/mnist:predict", data=body, timeout=30)
    assert r.status_code == 200, r.text
    record(
        "Hostile input (server)",
        {
            "name": "REST: NaN/Infinity tokens as input values",
            "tried": 1,
            "outcome": f"HTTP {r.status_code} (accepted, as TF Serving does)",
            "server healthy after": _healthy(server),
        },
    )
