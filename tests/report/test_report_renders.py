"""The HTML report opens from disk and renders: a headless Chromium screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "build" / "report"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed (Debian package chromium; .ci/run installs it)")


def test_report_renders_in_headless_chromium() -> None:
    index = REPORT / "index.html"
    assert index.exists(), "run `make report` first"
    text = index.read_text()
    assert "http://" not in text.replace("http://127.0.0.1", "") and "https://" not in text, (
        "page must not fetch"
    )
    shot = REPORT / "screenshot.png"
    shot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1400,2200",
                f"--screenshot={shot}",
                index.as_uri(),
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1300
    # A rendered page has text and coloured cells, not one flat colour.
    assert np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0).shape[0] > 50
