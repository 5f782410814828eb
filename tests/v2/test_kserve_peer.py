"""The suite's v2 rows against a real third-party v2 server: KServe's own ModelServer
serving the exported SavedModels (tests/v2/peers/kserve_tf.py), judged with the goldens.

Every row passes or fails exactly as tests/v2/peers/kserve_expected.txt states: an
unstated difference fails, and so does a stated one that KServe no longer shows (a stale
entry). Python and Go always run; Java and C++ when built. Needs build/venvs/kserve
(`make kserve-venv`); without it the test skips, unless TFINTEROP_KSERVE_PEER=required
(`make test-v2-peer` sets it), where a missing venv is a failure. Writes the matrix to
build/report/v2-kserve/ (docs/v2-peers.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.v2.peers import kserve_peer
from tfinterop.byo import verify
from tfinterop.golden.cases import manifest
from tfinterop.harness import registry
from tfinterop.harness.run_clients import FailedRun
from tfinterop.judge import report
from tfinterop.judge.matrix import Judgement

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
RESULTS = BUILD / "results-v2-kserve"
ALWAYS = ("python", "go")
VERIFY_EXPECTED = Path(__file__).resolve().parent / "peers" / "kserve_verify_expected.txt"


@pytest.fixture(scope="module")
def peer() -> Iterator[tuple[kserve_peer.Peer, list[manifest.Manifest]]]:
    if not (kserve_peer.VENV / "bin" / "python").is_file():
        why = f"{kserve_peer.VENV} is absent: `make kserve-venv` builds it (KServe from PyPI, once)"
        if os.environ.get("TFINTEROP_KSERVE_PEER") == "required":
            pytest.fail(why)
        pytest.skip(f"{why}; `make test-v2-peer` builds it and runs this test")
    if not (BUILD / "cases" / "mnist" / "manifest.json").is_file():
        pytest.fail("run `make export` first: no case sets under build/cases")
    with kserve_peer.serving(BUILD / "cases", RESULTS) as served:
        yield served


@pytest.fixture(scope="module")
def judged(
    peer: tuple[kserve_peer.Peer, list[manifest.Manifest]],
) -> tuple[Judgement, list[FailedRun], list[str]]:
    table = registry.clients()
    root = registry.clients_root()
    unbuilt = [c for c in ALWAYS if not table[c].built(root)]
    if unbuilt:
        pytest.fail(f"{', '.join(unbuilt)} not built: `make go`")
    clients = [c for c in registry.names() if c in ALWAYS or table[c].built(root)]
    judgement, failed = kserve_peer.run(*peer, RESULTS, BUILD / "report" / "v2-kserve", clients)
    return judgement, failed, clients


def test_every_client_run_finishes(judged: tuple[Judgement, list[FailedRun], list[str]]) -> None:
    _, failed, _ = judged
    assert not failed, "; ".join(f.describe() for f in failed)


def test_the_rows_are_kserves_answers(judged: tuple[Judgement, list[FailedRun], list[str]]) -> None:
    judgement, _, clients = judged
    info = json.loads((judgement.results / "server.json").read_text(encoding="utf-8"))
    assert info["server"] == "external"
    assert info["version"].startswith("kserve 0.21.0 "), info
    served = {m.model for m in kserve_peer.v2_case_sets(BUILD / "cases")}
    assert {"mnist", "multi_io", "text", "half_plus_two"} <= served
    ran = {(r.client, r.mode) for r in judgement.rows}
    assert ran == {(c, m) for c in clients for m in kserve_peer.MODES}


def test_every_row_passes_or_fails_as_kserve_expected_states(
    judged: tuple[Judgement, list[FailedRun], list[str]],
) -> None:
    judgement, _, _ = judged
    assert judgement.ok, report.render_summary(judgement)


def test_kserve_answers_mnist_and_multi_io_over_grpc_as_the_golden(
    judged: tuple[Judgement, list[FailedRun], list[str]],
) -> None:
    """The peer is a working v2 server, not a wall of stated failures: over gRPC, every
    mnist and multi_io case that expects outputs gets the golden's (FP16 included)."""
    judgement, _, _ = judged
    sets = {m.model: m for m in kserve_peer.v2_case_sets(BUILD / "cases")}
    runs = {
        (model, c.id)
        for model in ("mnist", "multi_io")
        for c in sets[model].cases
        if "v2grpc" in c.transports and c.expected_error("v2grpc") is None
    }
    rows = [r for r in judgement.rows if r.mode == "v2grpc" and (r.model, r.case) in runs]
    assert len(rows) == len(runs) * len({r.client for r in judgement.rows})
    bad = [f"{r.id}: {r.outcome.detail}" for r in rows if r.outcome.status != "pass"]
    assert not bad, bad


def test_verify_target_at_kserve_runs_the_v2_rows_and_states_its_differences(
    peer: tuple[kserve_peer.Peer, list[manifest.Manifest]], tmp_path: Path
) -> None:
    """`verify --target/--rest` at a server a team already runs, which speaks only v2: the
    model recorded, the in-process and v2 rows run against KServe (no TF Serving rows), and
    KServe's two differences on verify's own cases (a versioned v2 URL is HTTP 501; an
    unknown signature is INVALID_ARGUMENT) pass only as the --expect file states them."""
    server, _ = peer
    out = tmp_path / "verify.json"
    status = verify.main(
        [BUILD / "models" / "half_plus_two"],
        "half_plus_two",
        None,
        tmp_path / "build",
        list(ALWAYS),
        [VERIFY_EXPECTED],
        allow_uncovered=True,
        target=server.target,
        rest=server.rest,
        json_path=out,
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert status == 0, json.dumps(data, indent=1)[:3000]
    rows = {(r["client"], r["mode"]) for r in data["rows"]}
    assert rows == {(c, m) for c in ALWAYS for m in ("inproc", *kserve_peer.MODES)}
    assert not [r for r in data["rows"] if r["verdict"] == "unexpected"]
    failed = [r for r in data["rows"] if r["status"] == "fail"]
    assert {(r["mode"], r["verdict"]) for r in failed} == {
        ("v2rest", "expected"),
        ("v2grpc", "expected"),
    }, failed
    passed = {(r["client"], r["mode"]) for r in data["rows"] if r["status"] == "pass"}
    assert {(c, "v2grpc") for c in ALWAYS} <= passed, "KServe answered no v2 case as TF Serving"
