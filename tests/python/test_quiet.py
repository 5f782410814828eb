"""Quiet by default: TensorFlow's runtime lines never reach the terminal, the tool's own lines do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfinterop.util import quiet

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TFINTEROP = Path(sys.executable).parent / "tfinterop"

# Lines TensorFlow 2.21 writes on this machine's kind (CPU only), verbatim.
TF_LINES = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"I0000 00:00:1796119137.081846   11871 cudart_stub.cc:31] Could not find cuda drivers on "
    b"your machine, GPU will not be used.",
    b"I0000 00:00:1796119313.794091   18540 cpu_feature_guard.cc:227] This TensorFlow binary is "
    b"optimized to use available CPU instructions in performance-critical operations.",
    b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    b"with the appropriate compiler flags.",
    b"E0000 00:00:1796119142.991791   11871 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    b"CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    b"E0000 00:00:1796119239.731633   17499 node_def_util.cc:682] NodeDef mentions attribute "
    b"use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset>",
    b"I1201 10:08:34.748967   26371 mlir_graph_optimization_pass.cc:437] MLIR V1 optimization "
    b"pass is not enabled",
    b"W0512 14:03:07.5 1 tensorflow/core/framework/op_kernel.cc:1857] OP_REQUIRES failed",
    b"2024-05-01 12:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations "
    b"are on. You may see slightly different numerical results.",
    b"WARNING:tensorflow:From loader.py:48: load is deprecated",
    b"INFO:absl:Function `serve` contains input name(s) with unsupported characters",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
]
# Lines that must pass unchanged: the tool's own, a user's error, a crash.
KEPT_LINES = [
    b"tfinterop: error: --saved-model /x does not exist",
    b"Traceback (most recent call last):",
    b'  File "/work/main/python/tfinterop/cli.py", line 248, in main',
    b"RuntimeError: Failed to bind to address 127.0.0.1:47277",
    b"F0000 00:00:1796119142.991791   11871 check.cc:10] Check failed: ok",
    b"[interop] go/grpc: 120/334 cases (10s)",
    b"loading mnist version 1 from /work/main/build/models/mnist/1",
    b"mnist version 1 is AVAILABLE",
    b"the log said I0000 00:00:1.5 1 a.cc:1] mid-line, which is not a log line",
    b"\xff\xfe not UTF-8 \x00 bytes",
    b"INFO: Created a TF Lite model folder (the tool's own INFO line)",
    b"",
]
# What the brief's users saw; checked without quiet.NOISE so the test does not grade itself.
SEEN_NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cuInit|cpu_feature_guard|oneDNN custom operations|"
    r"To enable the following instructions|NodeDef mentions attribute|^[IWE]\d{4} \d\d:\d\d:",
    re.M,
)


@pytest.mark.parametrize("line", TF_LINES)
def test_tensorflow_runtime_lines_are_noise(line: bytes) -> None:
    assert quiet.is_noise(line)
    assert quiet.is_noise(line + b"\r")


@pytest.mark.parametrize("line", KEPT_LINES)
def test_tool_error_and_crash_lines_are_not_noise(line: bytes) -> None:
    assert not quiet.is_noise(line)


def test_filter_drops_only_noise_and_keeps_other_bytes_exactly() -> None:
    stream = b"".join(
        line + b"\n" for pair in zip(TF_LINES, KEPT_LINES, strict=True) for line in pair
    )
    f = quiet.LineFilter()
    # Fed in awkward pieces: lines split across reads are judged whole.
    out = b"".join(f.feed(stream[i : i + 7]) for i in range(0, len(stream), 7)) + f.flush()
    assert out == b"".join(line + b"\n" for line in KEPT_LINES)


# Multi-line messages TensorFlow 2.21 wrote here, verbatim: a custom op whose library is not
# loaded (Grappler's MLIR import) and a Python op without its kernel (the C API).
MULTI_LINE_TF = [
    b"E0000 00:00:1796141388.335556   10826 tfg_optimizer_hook.cc:135] tfg_optimizer{any("
    b"tfg-consolidate-attrs,tfg-toposort)} failed: INVALID_ARGUMENT: Unable to find OpDef for "
    b"TfiAffine\n\tWhile importing function: __inference_f_19\n\twhen importing GraphDef to "
    b"MLIR module in GrapplerHook\n",
    b"E0000 00:00:1796141408.301226   11274 meta_optimizer.cc:967] function_optimizer failed: "
    b"INVALID_ARGUMENT: No OpKernel was registered to support Op 'EagerPyFunc' used by {{node "
    b"StatefulPartitionedCall/StatefulPartitionedCall/EagerPyFunc}} with these attrs: "
    b'[token="pyfunc_0"]\nRegistered devices: [CPU]\nRegistered kernels:\n  <no registered '
    b"kernels>\n\n\t [[StatefulPartitionedCall/StatefulPartitionedCall/EagerPyFunc]]\n",
]


@pytest.mark.parametrize("step", [1, 5, 64, 1 << 16])
def test_a_dropped_lines_continuation_lines_go_with_it(step: int) -> None:
    stream = b"".join(m + b"kept after it\n" for m in MULTI_LINE_TF)
    f = quiet.LineFilter()
    out = b"".join(f.feed(stream[i : i + step]) for i in range(0, len(stream), step)) + f.flush()
    assert out == b"kept after it\n" * len(MULTI_LINE_TF)


def test_indented_and_blank_lines_of_the_tool_pass_after_noise() -> None:
    kept = b'\n  File "/work/main/python/tfinterop/cli.py", line 248, in main\n\n'
    f = quiet.LineFilter()
    assert f.feed(TF_LINES[4] + b"\n" + kept) + f.flush() == kept
    # A blank line after noise waits for the next line, and the pause releases it.
    f = quiet.LineFilter()
    assert f.feed(TF_LINES[4] + b"\n\n") == b""
    assert f.has_partial_line and f.flush() == b"\n"


def test_unfinished_line_waits_then_passes_and_its_rest_follows() -> None:
    f = quiet.LineFilter()
    assert f.feed(b"progress 50%") == b""
    assert f.has_partial_line
    assert f.flush() == b"progress 50%"
    assert f.feed(b" then done\n" + TF_LINES[1] + b"\nnext\n") == b" then done\nnext\n"


def test_rest_of_a_dropped_unfinished_line_is_dropped_too() -> None:
    f = quiet.LineFilter()
    assert f.feed(TF_LINES[1][:80]) == b""
    assert f.flush() == b""
    assert f.feed(TF_LINES[1][80:] + b"\nkept\n") == b"kept\n"


def test_pump_copies_until_end_of_file_and_survives_a_closed_reader() -> None:
    src_r, src_w = os.pipe()
    dst_r, dst_w = os.pipe()
    os.write(src_w, TF_LINES[0] + b"\nkept\nno newline at the end")
    os.close(src_w)
    quiet.pump(src_r, dst_w)
    os.close(dst_w)
    assert os.read(dst_r, 1 << 16) == b"kept\nno newline at the end"
    # A reader that went away (`tfinterop ... 2>&1 | head -1`) must not stall the writer.
    src_r, src_w = os.pipe()
    gone_r, gone_w = os.pipe()
    os.close(gone_r)
    os.write(src_w, b"x\n" * 1000)
    os.close(src_w)
    quiet.pump(src_r, gone_w)  # returns at end of file, no BrokenPipeError
    assert os.read(src_r, 1) == b""
    for fd in (src_r, gone_w, dst_r):
        os.close(fd)


def _child(code: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_filtered_process_its_children_and_its_crash_output_reach_stderr() -> None:
    r = _child(
        f"""
        import os, subprocess, sys
        from tfinterop.util import quiet
        quiet.configure(verbose=False)
        os.write(2, {TF_LINES[1]!r} + b"\\nparent line\\n")
        subprocess.run([sys.executable, "-c",
            "import os; os.write(2, {TF_LINES[4]!r} + b'\\\\nchild line\\\\n')"], check=True)
        print("to stdout", flush=True)
        sys.stderr.write("python stderr line\\n")
        sys.stderr.flush()
        os.abort()  # no clean-up runs: the filter must still deliver what came before
        """,
        TFINTEROP_VERBOSE="",
    )
    assert r.returncode == -6
    assert r.stdout == b"to stdout\n"
    assert r.stderr == b"parent line\nchild line\npython stderr line\n"


def test_warnings_from_tensorflow_modules_are_hidden_others_shown() -> None:
    r = _child(
        """
        import warnings
        from tfinterop.util import quiet
        quiet.configure(verbose=False)
        warnings.warn_explicit("from keras", UserWarning, "layer.py", 1, module="keras.src.layer")
        warnings.warn_explicit("from tf", UserWarning, "ops.py", 1, module="tensorflow.python.ops")
        warnings.warn_explicit("from the user", UserWarning, "mine.py", 1, module="mine")
        """,
        TFINTEROP_VERBOSE="",
    )
    assert b"from the user" in r.stderr
    assert b"from keras" not in r.stderr and b"from tf" not in r.stderr


def test_verbose_leaves_stderr_alone_and_tells_children() -> None:
    assert quiet.verbose_requested(True, {})
    assert quiet.verbose_requested(False, {"TFINTEROP_VERBOSE": "1"})
    assert not quiet.verbose_requested(False, {"TFINTEROP_VERBOSE": "0"})
    r = _child(
        f"""
        import os
        from tfinterop.util import quiet
        assert quiet.configure(verbose=True) is None
        os.write(2, {TF_LINES[1]!r} + b"\\n")
        print(os.environ["TFINTEROP_VERBOSE"])
        """
    )
    assert r.stderr == TF_LINES[1] + b"\n"
    assert r.stdout == b"1\n"


def _tfinterop(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    if not (BUILD / "models" / "mnist").is_dir():
        pytest.fail("run `make export` first: build/models/mnist is missing")
    return subprocess.run(
        [str(TFINTEROP), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TFINTEROP_VERBOSE": "", **env},
    )


def test_doctor_on_a_custom_op_model_without_its_library_prints_no_tensorflow_lines() -> None:
    if not (BUILD / "models" / "custom_op").is_dir():
        pytest.fail("run `make export` first: build/models/custom_op is missing")
    r = _tfinterop("doctor", "--saved-model", "build/models/custom_op")
    both = r.stdout + r.stderr
    assert r.returncode == 1, both  # the op's library is not given: a problem
    assert "TfiAffine" in r.stdout and "--op-library" in r.stdout
    assert SEEN_NOISE.search(both) is None, both
    assert not re.search(r"GrapplerHook|While importing function|Registered kernels", both), both


def test_doctor_prints_its_report_and_no_tensorflow_lines() -> None:
    # Even with TensorFlow's own logging turned all the way up: quiet unless asked.
    r = _tfinterop("doctor", "--saved-model", "build/models/mnist", TF_CPP_MIN_LOG_LEVEL="0")
    both = r.stdout + r.stderr
    assert r.returncode == 0, both
    assert SEEN_NOISE.search(both) is None, both
    assert "SavedModel" in r.stdout and "No blocking problem found" in r.stdout
    # mnist has two signatures: one progress line each, per runtime.
    assert "C API: signature 'serving_default' ran (" in r.stderr


def test_record_prints_its_summary_and_no_tensorflow_lines(tmp_path: Path) -> None:
    out = tmp_path / "build"
    r = _tfinterop(
        "record", "--saved-model", "build/models/mnist", "--name", "quiet", "--out", str(out)
    )
    both = r.stdout + r.stderr
    assert r.returncode == 0, both
    assert SEEN_NOISE.search(both) is None, both
    assert "cases for quiet version" in r.stdout
    assert "signature 'serve' recorded (1/2, " in r.stderr
    assert (out / "cases" / "quiet" / "manifest.json").exists()


def test_user_error_still_shows_in_quiet_mode(tmp_path: Path) -> None:
    r = _tfinterop("doctor", "--saved-model", str(tmp_path / "missing"))
    assert r.returncode == 1
    assert r.stderr.startswith("tfinterop: error: ") and "holds no SavedModel" in r.stderr


def test_verbose_shows_tensorflow_lines() -> None:
    r = _tfinterop(
        "--verbose", "doctor", "--saved-model", "build/models/mnist", TF_CPP_MIN_LOG_LEVEL="0"
    )
    assert r.returncode == 0, r.stderr
    assert any(quiet.is_noise(line.encode()) for line in r.stderr.splitlines()), r.stderr
