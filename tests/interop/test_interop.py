"""Every client's results against the goldens; one test per (client, mode, model, case)."""

from __future__ import annotations

import pytest

from tests.interop.matrix import Row, rows

ROWS = rows()


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_case_matches_golden(row: Row) -> None:
    if row.expected_failure:
        if row.status == "pass":
            pytest.fail(
                f"{row.id} passes but is listed as an expected failure "
                f"({row.expected_failure}); remove it from tests/expected_failures/{row.client}.txt"
            )
        pytest.xfail(f"{row.expected_failure} [{row.detail}]")
    if row.status != "pass":
        pytest.fail(
            f"{row.client} {row.mode} {row.model} {row.case}: {row.status}: {row.detail}\n"
            f"re-run: {row.rerun()}",
            pytrace=False,
        )


def test_some_rows_exist() -> None:
    assert ROWS, "no case sets under build/cases: run `make export`"
