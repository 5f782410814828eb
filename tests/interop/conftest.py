"""Writes build/report/interop.{json,md}, failures.json and interop.junit.xml after the
interop tests run (the JUnit file from tfinterop.judge.junit, as `verify --junit-xml`)."""

from __future__ import annotations

import pytest

from tfinterop.judge import junit, report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.interop import test_interop

    report.write(test_interop.JUDGEMENT, test_interop.REPORT_DIR)
    junit.write_xml(test_interop.REPORT_DIR / "interop.junit.xml", [test_interop.JUDGEMENT])
    print(f"\ninterop matrix: {test_interop.REPORT_DIR / 'interop.md'}")
