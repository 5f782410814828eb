"""`tfinterop diff`: mnist version 1 against version 2 (equal signatures, measured deltas), a
pair whose signatures differ, a pair whose top class flips, the exit codes, the figures'
rules and the HTML section. In-process (one TensorFlow import for the file) except the two
command-line runs, which check stdout, stderr and the exit status as CI sees them."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfinterop import cli
from tfinterop.byo import diff, diff_values
from tfinterop.harness import html_report, registry
from tfinterop.serving.errors import ToolError, UsageError

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT / "build" / "models" / "mnist"
FAST = diff.Options(clients=[], latency_runs=3)


def _save(path: Path, fn: Any) -> Path:
    import tensorflow as tf

    module = tf.Module()
    module.f = fn
    tf.saved_model.save(module, str(path / "1"), signatures={"serving_default": fn})
    return path


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sig_a/sig_b: input x renamed to features, ids int32 -> int64, output extra added.
    flip_a/flip_b: the same softmax with its two classes swapped."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("diff_models")

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 3], tf.float32, name="x"),
            tf.TensorSpec([None], tf.int32, name="ids"),
        ]
    )
    def sig_a(x, ids):  # type: ignore[no-untyped-def]
        return {"y": tf.reduce_sum(x, axis=1) + tf.cast(ids, tf.float32)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 3], tf.float32, name="features"),
            tf.TensorSpec([None], tf.int64, name="ids"),
        ]
    )
    def sig_b(features, ids):  # type: ignore[no-untyped-def]
        y = tf.reduce_sum(features, axis=1) + tf.cast(ids, tf.float32)
        return {"y": y, "extra": y * 2.0}

    def softmax(columns: list[int]) -> Any:
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def f(x):  # type: ignore[no-untyped-def]
            return {"probs": tf.nn.softmax(tf.gather(x, columns, axis=1))}

        return f

    return {
        "sig_a": _save(root / "sig_a", sig_a),
        "sig_b": _save(root / "sig_b", sig_b),
        "flip_a": _save(root / "flip_a", softmax([0, 1])),
        "flip_b": _save(root / "flip_b", softmax([1, 0])),
    }


def _main(
    tmp: Path, saved_model: Path, options: diff.Options = FAST, **kw: Any
) -> tuple[int, str, dict[str, Any]]:
    """diff.main's exit status, its stdout and the JSON it wrote."""
    out = io.StringIO()
    json_path = tmp / "report.json"
    with contextlib.redirect_stdout(out):
        status = diff.main(
            saved_model,
            kw.get("against"),
            kw.get("versions"),
            None,
            None,
            tmp / "build",
            json_path,
            options,
        )
    return status, out.getvalue(), json.loads(json_path.read_text())


@pytest.fixture(scope="module")
def mnist(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    assert (MNIST / "1").is_dir() and (MNIST / "2").is_dir(), "run `make export` first"
    return _main(tmp_path_factory.mktemp("mnist_diff"), MNIST, versions=[1, 2])


# -- mnist 1 against 2 ----------------------------------------------------------------------
def test_mnist_versions_have_equal_signatures_and_measured_deltas(
    mnist: tuple[int, str, dict[str, Any]],
) -> None:
    status, text, data = mnist
    assert status == 0, text
    assert data["signatures"] == {
        "equal": True,
        "keys": ["serve", "serving_default"],
        "changes": [],
    }
    assert (data["a"]["version"], data["b"]["version"]) == (1, 2)
    rows = [r for r in data["outputs"] if r["elements"]]
    assert {r["signature"] for r in rows} == {"serve", "serving_default"}
    for r in rows:  # version 2 trained further: every probability moved
        assert r["output"] == "output_0" and r["dtype"] == "float32" and not r["note"]
        assert r["differ"] == r["elements"] and 0 < r["max_abs"] < 1, r
        assert r["max_ulp"] > 0 and r["max_rel"] > 0, r
        assert r["argmax_rows"] == r["shape"][0] and 0 <= r["argmax_flips"] <= r["argmax_rows"]
    flips = {f["signature"]: f for f in data["argmax"]}
    assert set(flips) == {"serve", "serving_default"}
    for f in flips.values():
        assert f["rows"] == 4 and f["share"] == f["flips"] / 4  # batch 1 + batch 3
    assert data["errors"] == [] and data["verdict"] == {"exit": 0, "reasons": []}
    assert data["latency"]["batch"] == 1 and data["latency"]["a_us"] > 0
    assert "signatures: equal (serve, serving_default)" in text
    assert "argmax flips (classifier-like outputs, all cases):" in text


def test_mnist_max_abs_below_the_measured_delta_exits_1(tmp_path: Path) -> None:
    status, _, data = _main(
        tmp_path, MNIST, diff.Options(clients=[], max_abs=1e-6, latency_runs=0), versions=[1, 2]
    )
    assert status == 1
    assert data["verdict"]["reasons"][0].startswith("--max-abs 1e-06: 4 output(s) above it")
    assert data["latency"] is None
    status, _, _ = _main(
        tmp_path, MNIST, diff.Options(clients=[], max_abs=1.0, latency_runs=0), versions=[1, 2]
    )
    assert status == 0


def test_clients_see_the_deltas_the_reference_sees(tmp_path: Path) -> None:
    """Go and C++ run the wheel's own TensorFlow through the C API, and the bundled server
    runs it for gRPC and both v2 modes: their B-against-A figures are the reference's, case
    by case. Over REST TF Serving refuses the empty batches on both sides ("No values in
    'instances' array"), so its rows are the reference's without them."""
    clients = ["go", "cpp"]
    modes = ("inproc", "grpc", "rest", "v2grpc", "v2rest")
    unbuilt = [c for c in clients if not registry.client(c).built(registry.clients_root())]
    assert not unbuilt, f"build {unbuilt} first (make clients)"
    status, text, data = _main(
        tmp_path,
        MNIST,
        diff.Options(clients=clients, latency_runs=0, modes=modes),
        versions=[1, 2],
    )
    assert status == 0, text
    sides = [f"{c}/{m}" for c in clients for m in modes]
    assert data["sides"] == ["reference", *sides]

    def figures(side: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if k != "side"}
            for r in data["outputs"]
            if r["side"] == side
        ]

    reference = figures("reference")
    assert len(reference) == 6
    for side in sides:
        want = [r for r in reference if "empty" not in r["case"]] if "/rest" in side else reference
        assert figures(side) == want, side
    alike = [s for s in sides if "/rest" not in s]
    assert data["same_as_reference"] == alike
    assert f"{', '.join(alike)}: the same figures as the reference, case by case" in text
    assert not data["cannot_run"] and not data["not_compared"]
    for mode in modes:
        assert (
            tmp_path / "build" / "results" / "go" / mode / "mnist-against" / "run.json"
        ).is_file(), mode


def test_modes_are_checked_before_anything_runs() -> None:
    with pytest.raises(UsageError, match="--modes inproc,grpc,grpc"):
        diff.check(diff.Options(clients=["go"], modes=("inproc", "grpc", "grpc")))
    with pytest.raises(UsageError, match="--modes v3"):
        diff.check(diff.Options(clients=["go"], modes=("v3",)))
    with pytest.raises(UsageError, match="give --clients too"):
        diff.check(diff.Options(clients=[], modes=("grpc",)))


# -- signatures that differ -----------------------------------------------------------------
def test_signature_changes_are_listed_exactly(tmp_path: Path, pairs: dict[str, Path]) -> None:
    status, text, data = _main(tmp_path, pairs["sig_a"], against=pairs["sig_b"])
    changes = [c["text"] for c in data["signatures"]["changes"]]
    assert changes == [
        "signature 'serving_default': input 'x' renamed? to 'features' (float32 [?,3])",
        "signature 'serving_default': input 'ids' dtype int32 -> int64",
        "signature 'serving_default': output 'extra' added (float32 [?])",
    ]
    assert [c["kind"] for c in data["signatures"]["changes"]] == [
        "input renamed?",
        "input dtype",
        "output added",
    ]
    # A's requests name x: B refuses each one A answered.
    assert data["errors"] and all(
        (e["change"], e["a"], e["b"]) == ("appears", "OK", "INVALID_ARGUMENT")
        for e in data["errors"]
    )
    assert data["outputs"] == [] and data["latency"] is None
    assert status == 1
    assert [r.split(" (")[0] for r in data["verdict"]["reasons"]] == [
        "3 signature change(s)",
        "3 case(s) that A answers fail on B or fail with another code, on reference",
    ]
    for line in changes:
        assert f"  {line}\n" in text


def test_allowing_signature_changes_still_fails_on_new_errors(
    tmp_path: Path, pairs: dict[str, Path]
) -> None:
    allow_sig = diff.Options(clients=[], allow_signature_changes=True, latency_runs=0)
    status, _, data = _main(tmp_path, pairs["sig_a"], allow_sig, against=pairs["sig_b"])
    assert status == 1 and len(data["verdict"]["reasons"]) == 1
    allow_both = diff.Options(
        clients=[], allow_signature_changes=True, allow_new_errors=True, latency_runs=0
    )
    status, _, data = _main(tmp_path, pairs["sig_a"], allow_both, against=pairs["sig_b"])
    assert status == 0 and data["verdict"]["reasons"] == []


def test_swapped_classes_flip_every_row_and_fail_max_flip_rate(
    tmp_path: Path, pairs: dict[str, Path]
) -> None:
    options = diff.Options(clients=[], max_flip_rate=0.5, latency_runs=0)
    status, _, data = _main(tmp_path, pairs["flip_a"], options, against=pairs["flip_b"])
    assert data["signatures"]["equal"]
    [flips] = data["argmax"]
    assert (flips["output"], flips["flips"], flips["rows"], flips["share"]) == ("probs", 4, 4, 1.0)
    assert status == 1
    assert data["verdict"]["reasons"] == [
        "--max-flip-rate 0.5: reference serving_default probs flips 4/4 rows (100.0%)"
    ]
    relaxed = diff.Options(clients=[], max_flip_rate=1.0, latency_runs=0)
    assert _main(tmp_path, pairs["flip_a"], relaxed, against=pairs["flip_b"])[0] == 0


# -- usage and what cannot run --------------------------------------------------------------
def test_bad_version_choices_are_usage_errors(tmp_path: Path, pairs: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match=r"has no version 7 \(it has 1, 2\)"):
        diff.sides(MNIST, None, [1, 7])
    with pytest.raises(UsageError, match="two different version numbers"):
        diff.sides(MNIST, None, [2, 2])
    with pytest.raises(UsageError, match="is one SavedModel"):
        diff.sides(pairs["sig_a"] / "1", None, [1, 2])
    with pytest.raises(UsageError, match="either --against B or --versions"):
        diff.sides(MNIST, None, None)
    with pytest.raises(UsageError, match="--max-flip-rate 2"):
        diff.check(diff.Options(clients=[], max_flip_rate=2))
    with pytest.raises(ToolError, match=r"--against .* holds no SavedModel"):
        diff.sides(MNIST, tmp_path, None)


def test_command_line_prints_the_table_on_stdout_and_progress_on_stderr(tmp_path: Path) -> None:
    args = ["diff", "--saved-model", str(MNIST), "--versions", "1,2", "--build", str(tmp_path)]
    r = subprocess.run(
        [sys.executable, "-m", "tfinterop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("diff mnist\n") and "diff mnist: exit 0" in r.stdout
    assert "[diff] replay: " in r.stderr and "[diff]" not in r.stdout
    assert "cpu_feature_guard" not in r.stderr and "absl::InitializeLog" not in r.stderr
    assert json.loads((tmp_path / "diff.json").read_text())["verdict"]["exit"] == 0


def test_a_model_that_is_not_there_exits_3_and_two_choices_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Verbose: the command line leaves this process's fd 2 alone (no filter process).
    monkeypatch.setenv("TFINTEROP_VERBOSE", "1")
    status = cli.main(["diff", "--saved-model", str(tmp_path / "nothing"), "--against", str(MNIST)])
    out, err = capsys.readouterr()
    assert status == 3 and "holds no SavedModel" in err and out == ""
    both = ["--versions", "1,2", "--against", str(MNIST)]
    assert cli.main(["diff", "--saved-model", str(MNIST), *both]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


# -- the figures ----------------------------------------------------------------------------
def test_float_figures_follow_the_nan_zero_and_ulp_rules() -> None:
    one = np.float32(1.0)
    a = np.array([one, 0.0, -0.0, np.nan, 2.0], np.float32)
    b = np.array([np.nextafter(one, np.float32(2)), 0.0, 0.0, np.nan, 2.0], np.float32)
    d = diff_values.delta("y", a, b)
    assert (d.differ, d.max_ulp) == (1, 1)
    assert d.max_abs == pytest.approx(2**-23) and d.max_rel == pytest.approx(2**-23)
    nan = diff_values.delta("y", np.array([np.nan, 1.0]), np.array([1.0, 1.0]))
    assert nan.max_abs == np.inf and nan.max_ulp == 0 and nan.differ == 1
    zero = diff_values.delta("y", np.array([0.0]), np.array([1e-30]))
    assert zero.max_rel == np.inf and zero.max_abs == pytest.approx(1e-30)


def test_integer_differences_are_exact_beyond_2_to_the_53() -> None:
    big = diff_values.delta("i", np.array([2**62], np.int64), np.array([-(2**62)], np.int64))
    assert big.max_abs == 2**63 and big.max_rel is None and big.max_ulp is None
    top = diff_values.delta("u", np.array([0], np.uint64), np.array([2**64 - 1], np.uint64))
    assert top.max_abs == 2**64 - 1
    odd = diff_values.delta("i", np.array([2**53 + 1], np.int64), np.array([2**53], np.int64))
    assert odd.max_abs == 1
    strings = diff_values.delta("s", np.array([b"a", b"b"], object), np.array([b"a", b"c"], object))
    assert (strings.differ, strings.max_abs) == (1, None)


def test_outputs_that_changed_dtype_or_exist_on_one_side_are_not_measured() -> None:
    a = {"y": np.zeros(2, np.float32), "gone": np.zeros(1, np.int32), "s": np.zeros((2, 1))}
    b = {"y": np.zeros(2, np.float64), "new": np.zeros(1, np.int32), "s": np.zeros((1, 2))}
    notes = {d.output: d.note for d in diff_values.compare(a, b)}
    assert notes == {
        "gone": "only in A's answer",
        "new": "only in B's answer",
        "s": "shape [2, 1] -> [1, 2]",
        "y": "dtype float32 -> float64",
    }


def test_classifier_like_outputs_and_their_flips() -> None:
    probs = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    embedding = np.array([[0.5, -1.5, 3.0]], np.float32)
    assert diff_values.classifier_like("output_0", probs)
    assert not diff_values.classifier_like("output_0", embedding)
    assert diff_values.classifier_like("logits", embedding)
    assert not diff_values.classifier_like("scores", np.array([0.1, 0.9], np.float32))
    tie = diff_values.delta("scores", np.array([[0.5, 0.5]]), np.array([[0.4, 0.6]]))
    assert (tie.argmax_rows, tie.argmax_flips) == (1, 0)  # a tie in A accepts either class
    swapped = diff_values.delta("output_0", probs, probs[:, ::-1].copy())
    assert (swapped.argmax_rows, swapped.argmax_flips) == (2, 2)


# -- the HTML report ------------------------------------------------------------------------
def test_the_html_report_has_a_diff_section(tmp_path: Path, pairs: dict[str, Path]) -> None:
    build = tmp_path / "build"
    _main(build, pairs["sig_a"], against=pairs["sig_b"])  # writes build/build/diff.json
    section = html_report.diff_html(build)
    assert "sig_a: version 1 &rarr; 1" in section and "exit 1" in section
    assert "input &#x27;x&#x27; renamed? to &#x27;features&#x27;" in section
    page = html_report.write(build, tmp_path / "report").read_text()
    assert "<h2>Version diff</h2>" in page and "renamed?" in page
    assert "No version diff yet" in html_report.diff_html(tmp_path / "empty")
