"""`tfinterop verify` starts the bundled server before its own process imports TensorFlow:
the server's start-up (its own TensorFlow import and the model load, about 4 s on 2 cores)
then overlaps verify's import instead of following it (issue #18's verify figure).

Checked in a fresh interpreter, since this one has TensorFlow loaded already: the server
start is replaced by a probe that reports whether TensorFlow was loaded at that moment and
ends the process, so no server starts and nothing is recorded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.byo.models import built

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import os, sys
from tfinterop import cli
from tfinterop.byo import verify_plan

def probe(settled, build):
    print("tensorflow loaded:", "tensorflow" in sys.modules, "models:", settled.names, flush=True)
    os._exit(0)

verify_plan.start_server = probe
sys.exit(cli.main(sys.argv[1:]))
"""


def _verify_args(model: Path, tmp_path: Path) -> list[str]:
    """`verify` on one model with the Python client only, under the probe."""
    build = str(tmp_path / "build")
    return [
        sys.executable,
        "-c",
        PROBE,
        "verify",
        "--saved-model",
        str(model),
        "--build",
        build,
        "--clients",
        "python",
    ]


def test_the_bundled_server_starts_before_tensorflow_loads(tmp_path: Path) -> None:
    model = built()["module_scorer"]
    done = subprocess.run(
        _verify_args(model, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "tensorflow loaded: False models: ['module_scorer']" in done.stdout, (
        done.stdout[-2000:] + done.stderr[-2000:]
    )


def test_with_a_target_no_bundled_server_starts(tmp_path: Path) -> None:
    model = built()["module_scorer"]
    done = subprocess.run(
        [*_verify_args(model, tmp_path), "--target", "127.0.0.1:1", "--rest", "http://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "tensorflow loaded" not in done.stdout
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
