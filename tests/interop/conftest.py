"""Writes build/report/interop.{json,md} and failures.json after the interop tests run."""

from __future__ import annotations

import pytest

from tfinterop.judge import report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.interop import test_interop

    report.write(test_interop.JUDGEMENT, test_interop.REPORT_DIR)
    print(f"\ninterop matrix: {test_interop.REPORT_DIR / 'interop.md'}")
