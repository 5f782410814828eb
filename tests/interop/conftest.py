"""Writes build/report/interop.{json,md} after the interop tests run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interop.matrix import build_dir, write_report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.interop import test_interop

    folder = Path(os.environ.get("TFINTEROP_REPORT_DIR", build_dir() / "report"))
    write_report(test_interop.ROWS, folder)
    print(f"\ninterop matrix: {folder / 'interop.md'}")
