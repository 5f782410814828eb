"""Bit-exact is required iff the row's TensorFlow build (run.json for inproc, server.json
for grpc/rest) equals the producer's; a missing field means tolerance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.judge.builders import PRODUCER_BUILD, Build, predict

WHEEL = PRODUCER_BUILD
JAVA = "tf-java:1.1.0:tensorflow==2.18.0"
GOLDEN = np.array([[0.25, 0.5, 0.25]], np.float32)
ONE_ULP_OFF = np.array([[0.25, np.nextafter(np.float32(0.5), np.float32(1)), 0.25]], np.float32)

# (id, mode, producer build, run.json runtime, server.json, bit-exact required)
SELECTION = [
    ("inproc same build", "inproc", WHEEL, {"tensorflow_build": WHEEL}, None, True),
    ("inproc TF Java", "inproc", WHEEL, {"tensorflow_build": JAVA}, None, False),
    (
        "inproc same version, no build field",
        "inproc",
        WHEEL,
        {"tensorflow": "2.21.0", "library": "libtensorflow_cc.so.2 from the tensorflow wheel"},
        None,
        False,
    ),
    ("inproc, producer lacks the field", "inproc", None, {"tensorflow_build": WHEEL}, None, False),
    ("inproc, both lack the field", "inproc", None, {"tensorflow": "2.21.0"}, None, False),
    ("inproc, empty fields", "inproc", "", {"tensorflow_build": ""}, None, False),
    ("inproc ignores the server", "inproc", WHEEL, {}, {"tensorflow_build": WHEEL}, False),
    (
        "grpc bundled server, same build",
        "grpc",
        WHEEL,
        {},
        {"server": "bundled", "tensorflow_build": WHEEL},
        True,
    ),
    (
        "rest bundled server, same build",
        "rest",
        WHEEL,
        {},
        {"server": "bundled", "tensorflow_build": WHEEL},
        True,
    ),
    (
        "grpc, server of another build",
        "grpc",
        WHEEL,
        {},
        {"tensorflow_build": "pip:tensorflow==2.20.0"},
        False,
    ),
    (
        "grpc external server",
        "grpc",
        WHEEL,
        {},
        {"server": "external", "tensorflow": "2.21.0"},
        False,
    ),
    ("rest without server.json", "rest", WHEEL, {}, None, False),
    (
        "grpc ignores the client's runtime",
        "grpc",
        WHEEL,
        {"tensorflow_build": WHEEL},
        {"server": "bundled"},
        False,
    ),
    ("grpc, producer lacks the field", "grpc", None, {}, {"tensorflow_build": WHEEL}, False),
]


@pytest.mark.parametrize(
    ("mode", "producer", "runtime", "server", "exact"),
    [c[1:] for c in SELECTION],
    ids=[c[0] for c in SELECTION],
)
def test_bit_exact_only_on_the_producers_build(
    tmp_path: Path,
    mode: str,
    producer: str | None,
    runtime: dict[str, str],
    server: dict[str, Any] | None,
    exact: bool,
) -> None:
    b = Build(tmp_path)
    b.case_set("m", [{"id": "ok", "response": predict({"y": GOLDEN})}], producer_build=producer)
    b.response(mode, "ok", predict({"y": ONE_ULP_OFF}))
    b.run_json(mode, runtime)
    if server is not None:
        b.server_json(server)
    row = b.row(mode, "ok")
    assert row.exact == exact
    # One ULP off is a failure exactly when bit-exactness is required.
    assert (row.outcome.status == "fail") == exact, row.outcome.detail
    if exact:
        assert "not bit-identical" in row.outcome.detail and "1 ULP" in row.outcome.detail


def test_a_bit_identical_answer_passes_on_the_same_build(tmp_path: Path) -> None:
    b = Build(tmp_path)
    b.case_set("m", [{"id": "ok", "response": predict({"y": GOLDEN})}])
    b.response("inproc", "ok", predict({"y": GOLDEN}))
    b.run_json("inproc", {"tensorflow_build": WHEEL})
    row = b.row("inproc", "ok")
    assert row.outcome.status == "pass" and row.outcome.worst == "bit-exact"
