"""TF Serving's own test expectations, replayed black-box against a running server.

By default the bundled server is started once, on free ports, over the models
`tests/conformance/models` builds (cached under build/conformance/). With
TFINTEROP_TARGET (gRPC host:port) and TFINTEROP_REST (base URL) the same tests run
unchanged against any server that serves those models under the same names:
`python -m tests.conformance.models OUT` writes them and a models.config.

Every test names the TF Serving test it ports with `@pytest.mark.tfserving(file,
test)`. Where the bundled server differs on purpose, the test says why with
`@pytest.mark.bundled_differs(reason)` (docs/SERVER.md lists each): against the
bundled server it must fail (strict xfail), elsewhere it runs as written.
At the end the run writes build/report/conformance.{json,md}: expectations
ported per TF Serving test file and how many pass.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tfinterop.harness.server_process import bundled_server
from tfinterop.util import atomic

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TFINTEROP_BUILD", ROOT / "build"))
MODELS = BUILD / "conformance" / "models"
REPORT = BUILD / "report"


@dataclass(frozen=True)
class Target:
    """The server under test."""

    grpc: str  # host:port
    rest: str  # http://host:port
    bundled: bool


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tfserving(file, test): the TF Serving test this expectation is ported from"
    )
    config.addinivalue_line(
        "markers", "bundled_differs(reason): the bundled server differs here on purpose"
    )


def _external() -> bool:
    return bool(os.environ.get("TFINTEROP_TARGET"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("tfserving") is None:
            raise pytest.UsageError(f"{item.nodeid}: every conformance test needs @tfserving")
        differs = item.get_closest_marker("bundled_differs")
        if differs is not None and not _external():
            item.add_marker(pytest.mark.xfail(reason=differs.args[0], strict=True))


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    if _external():
        yield Target(
            os.environ["TFINTEROP_TARGET"],
            os.environ.get("TFINTEROP_REST", "http://127.0.0.1:8501").rstrip("/"),
            bundled=False,
        )
        return
    from tests.conformance.models import build_all

    config, names, flags = build_all(MODELS)
    log = tmp_path_factory.mktemp("conformance") / "server.log"
    with bundled_server(config, names, log, extra=flags) as s:
        yield Target(s.target, s.rest_url, bundled=True)


_outcomes: list[dict[str, str]] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("tfserving")
    if marker is None or (report.when != "call" and not (report.failed or report.skipped)):
        return
    differs = item.get_closest_marker("bundled_differs")
    if hasattr(report, "wasxfail"):
        status = "differs" if differs is not None else "xfail"
    else:
        status = report.outcome  # passed | failed | skipped
    _outcomes.append(
        {
            "test": item.nodeid,
            "tfserving_file": marker.args[0],
            "tfserving_test": marker.args[1] if len(marker.args) > 1 else "",
            "status": status,
            "differs": differs.args[0] if differs is not None else "",
        }
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _outcomes:
        return
    # One row per test (a setup failure and a call report would otherwise count twice).
    rows = list({o["test"]: o for o in _outcomes}.values())
    by_file: dict[str, Counter[str]] = {}
    for o in rows:
        by_file.setdefault(o["tfserving_file"], Counter())[o["status"]] += 1
    lines = [
        "# TF Serving conformance",
        "",
        f"Target: {'external ' + os.environ['TFINTEROP_TARGET'] if _external() else 'bundled server'}",
        "",
        "| TF Serving test | ported | pass | differ on purpose | fail |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    total: Counter[str] = Counter()
    for name in sorted(by_file):
        c = by_file[name]
        total += c
        lines.append(
            f"| `{name}` | {sum(c.values())} | {c['passed']} | {c['differs']} | "
            f"{c['failed'] + c['xfail'] + c['skipped']} |"
        )
    lines.append(
        f"| **all** | {sum(total.values())} | {total['passed']} | {total['differs']} | "
        f"{total['failed'] + total['xfail'] + total['skipped']} |"
    )
    differing = sorted({(o["test"], o["differs"]) for o in rows if o["differs"]})
    if differing:
        lines += ["", "## Where the bundled server differs on purpose", ""]
        lines += [f"- `{t}`: {why}" for t, why in differing]
    atomic.write_text(REPORT / "conformance.json", json.dumps(rows, indent=1) + "\n")
    atomic.write_text(REPORT / "conformance.md", "\n".join(lines) + "\n")
    table_start = lines.index("| TF Serving test | ported | pass | differ on purpose | fail |")
    session.config.stash[_summary_key] = "\n".join(
        lines[table_start : table_start + 3 + len(by_file)]
    )


_summary_key = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    text = config.stash.get(_summary_key, "")
    if text:
        terminalreporter.write_line("")
        terminalreporter.write_line(text)
        terminalreporter.write_line(f"(details: {REPORT / 'conformance.md'})")
