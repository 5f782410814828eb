"""Bring your own SavedModel: verify, end to end with every client, on the kinds of models
teams export (tests/byo/models.py), a model it cannot cover, and the seed article's export
before and after `doctor --fix`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.byo.models import KINDS, built
from tfinterop.harness import registry

ROOT = Path(__file__).resolve().parents[2]
ALL_CLIENTS = registry.names()
HEALTHY = sorted(k for k, kind in KINDS.items() if kind.healthy)
SEED = "seed_keras_save"


def _tfinterop(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _expect_file(folder: Path) -> Path:
    """The team's accepted differences: every `limits` row of the kinds, in the
    client-first format, with the code and message each client gives."""
    lines = ["# accepted: clients that cannot carry one of the model's dtypes"]
    for kind in KINDS.values():
        for client, mode in kind.limits:
            lines.append(
                f'{client}/{mode}/{kind.name}/@runs  UNIMPLEMENTED  "has no tensor type for"  '
                f"{client} cannot carry one of {kind.name}'s dtypes"
            )
    path = folder / "accepted.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _picky_model(path: Path) -> None:
    """A signature that refuses every synthesized input (values must be >= 100), so it runs
    only as an error case: verify must say it is not covered."""
    code = (
        "import tensorflow as tf\n"
        "class Picky(tf.Module):\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name='x')])\n"
        "  def f(self, x):\n"
        "    with tf.control_dependencies([tf.debugging.assert_greater_equal(x, 100.0)]):\n"
        "      return {'y': tf.identity(x) * 2.0}\n"
        "m = Picky()\n"
        f"tf.saved_model.save(m, {str(path / '1')!r}, signatures={{'serving_default': m.f}})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def models() -> dict[str, Path]:
    return built()


@pytest.fixture(scope="module")
def fixed(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`doctor --fix` on the seed article's own export (keras.Sequential +
    tf.saved_model.save): a repaired copy, the original untouched."""
    out = tmp_path_factory.mktemp("fix") / "seed_fixed"
    r = _tfinterop("doctor", "--saved-model", str(models[SEED]), "--fix", str(out))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def verified(
    models: dict[str, Path], fixed: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One verify run over every kind, the repaired seed and the picky model (one server,
    one client run per mode: the costly part is paid once), with the accepted differences."""
    work = tmp_path_factory.mktemp("verify")
    _picky_model(work / "picky")
    build = work / "build"
    args = ["verify", "--build", str(build), "--expect", str(_expect_file(work))]
    for folder in [*(models[k] for k in sorted(KINDS)), fixed, work / "picky"]:
        args += ["--saved-model", str(folder)]
    return _tfinterop(*args, cwd=work), build


def _rows(build: Path, name: str) -> list[dict[str, object]]:
    return json.loads((build / "report" / f"verify-{name}" / "interop.json").read_text())


@pytest.mark.parametrize("name", HEALTHY)
def test_a_healthy_model_passes_in_every_client_and_mode_and_is_covered(
    verified: tuple[subprocess.CompletedProcess[str], Path], name: str
) -> None:
    r, build = verified
    assert f"verify {name}: PASS (details" in r.stdout, r.stdout[-4000:] + r.stderr[-3000:]
    rows = _rows(build, name)
    assert {row["client"] for row in rows} == set(ALL_CLIENTS), "every client built and judged"
    assert {row["mode"] for row in rows} == set(registry.MODES)
    declared = set(KINDS[name].limits)
    for row in rows:
        if (row["client"], row["mode"]) in declared and row["verdict"] == "expected":
            continue
        assert row["status"] == "pass", row


def test_a_declared_limitation_is_an_expected_failure_not_a_red_verify(
    verified: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    limited = [k for k in HEALTHY if KINDS[k].limits]
    assert limited, "a kind with a client limitation (Java int8) must be in the set"
    _, build = verified
    for name in limited:
        rows = _rows(build, name)
        for client, mode in KINDS[name].limits:
            mine = [r for r in rows if (r["client"], r["mode"]) == (client, mode)]
            assert any(r["verdict"] == "expected" for r in mine), mine
            assert all(r["verdict"] != "unexpected" for r in mine), mine


def test_the_seed_export_fails_once_with_the_fix_and_its_repair_passes(
    verified: tuple[subprocess.CompletedProcess[str], Path], fixed: Path
) -> None:
    r, build = verified
    assert r.returncode == 1
    assert f"verify {SEED}: FAIL" in r.stdout
    assert "doctor --saved-model" in r.stdout and "--fix OUT" in r.stdout
    # One summary line per distinct failure, not one per row: the gRPC-coded rows, the REST
    # rows and the v2 REST rows (each answers with its own HTTP form), and the one hint.
    section = r.stdout[r.stdout.index(f"| client | mode | {SEED} |") :]
    section = section[: section.index(f"verify {SEED}:")]
    assert section.count("Could not find variable") <= 4, section
    assert f"verify {fixed.name}: PASS (details" in r.stdout, r.stdout[-3000:]
    assert all(row["status"] == "pass" for row in _rows(build, fixed.name))


def test_a_signature_run_only_by_error_cases_is_not_covered(
    verified: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    r, _ = verified
    assert "verify picky: PASS (1 signature not covered)" in r.stdout
    assert "only error cases (" in r.stdout
    assert "--allow-uncovered" in r.stdout


@pytest.mark.parametrize(
    ("rows_ok", "uncovered", "allow", "want"),
    [
        (True, 0, False, ("PASS", 0)),
        (True, 1, False, ("PASS (1 signature not covered)", 1)),
        (True, 2, True, ("PASS (2 signatures not covered)", 0)),
        (False, 1, True, ("FAIL", 1)),
    ],
)
def test_allow_uncovered_turns_only_the_coverage_verdict_into_exit_0(
    rows_ok: bool, uncovered: int, allow: bool, want: tuple[str, int]
) -> None:
    from tfinterop.byo.verify import verdict_of

    assert verdict_of(rows_ok, uncovered, allow) == want


def test_the_rerun_command_in_failures_json_works_when_pasted(
    verified: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    _, build = verified
    failures = json.loads((build / "report" / f"verify-{SEED}" / "failures.json").read_text())
    go_grpc = next(f for f in failures if (f["client"], f["mode"]) == ("go", "grpc"))
    r = subprocess.run(
        go_grpc["rerun"], shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    # The row still fails (the seed export is broken): the command ran the client and judged.
    assert r.returncode == 1, r.stdout + r.stderr[-2000:]
    assert "| go | grpc |" in r.stdout and "Could not find variable" in r.stdout
    assert str(build.resolve()) in go_grpc["rerun"], "the re-run honours --build"


def test_nothing_is_written_before_verify_knows_it_can_run(
    models: dict[str, Path], tmp_path: Path
) -> None:
    build = tmp_path / "build"
    bad_expect = tmp_path / "bad.txt"
    bad_expect.write_text('rust/grpc/m/*  INTERNAL  ""  not a client\n')
    for args, code in [
        (["--clients", "python,rust"], 2),
        (["--expect", str(bad_expect)], 2),
        (["--saved-model", str(tmp_path / "missing")], 2),
    ]:
        r = _tfinterop(
            "verify", "--saved-model", str(models["two_tower"]), "--build", str(build), *args
        )
        assert r.returncode == code, r.stderr
        assert not build.exists(), f"verify {args} wrote {list(build.rglob('*'))[:5]}"


def test_tf1_classify_and_regress_are_recorded(models: dict[str, Path], tmp_path: Path) -> None:
    r = _tfinterop("record", "--saved-model", str(models["tf1_examples"]), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    apis = {
        c["api"]
        for c in json.loads((tmp_path / "cases" / "tf1_examples" / "manifest.json").read_text())[
            "cases"
        ]
    }
    assert {"classify", "regress", "predict", "metadata"} <= apis


def test_warmup_file_is_written_and_replayed_by_the_server(
    models: dict[str, Path], tmp_path: Path
) -> None:
    from tfinterop.harness.server_process import bundled_server

    r = _tfinterop(
        "record", "--saved-model", str(models["module_scorer"]), "--out", str(tmp_path), "--warmup"
    )
    assert r.returncode == 0, r.stderr[-2000:]
    warmup = (
        tmp_path / "models" / "module_scorer" / "1" / "assets.extra" / "tf_serving_warmup_requests"
    )
    assert warmup.stat().st_size > 0
    log = tmp_path / "server.log"
    with bundled_server(tmp_path / "models" / "models.config", ["module_scorer"], log):
        pass
    # One warmup record per predict signature (serving_default and score_again).
    assert "replayed 2 warmup requests" in log.read_text()
    shutil.rmtree(tmp_path / "models")


def test_doctor_flags_py_function(tmp_path: Path) -> None:
    code = (
        "import tensorflow as tf\n"
        "class M(tf.Module):\n"
        "  @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name='x')])\n"
        "  def f(self, x):\n"
        "    return {'y': tf.py_function(lambda v: v * 2, [x], tf.float32)}\n"
        "m = M()\n"
        f"tf.saved_model.save(m, {str(tmp_path / 'py' / '1')!r}, signatures={{'serving_default': m.f}})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=300)
    r = _tfinterop("doctor", "--saved-model", str(tmp_path / "py"))
    assert r.returncode == 1
    assert "tf.py_function" in r.stdout
