"""Writes build/report/interop.{json,md} after the interop tests run."""

from __future__ import annotations

import pytest

from tests.interop.matrix import build_dir, write_report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.interop import test_interop

    write_report(test_interop.ROWS, build_dir() / "report")
    print(f"\ninterop matrix: {build_dir() / 'report' / 'interop.md'}")
