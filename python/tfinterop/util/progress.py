"""Progress of long steps: plain lines on stderr at a steady pace, alike in a terminal and a CI log
(no carriage-return animation, which a log file shows as one endless line)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

EVERY_S = 5.0


class Ticker:
    """While the block runs, calls `report(elapsed_s)` every `every_s` seconds from a
    daemon thread; a report that raises ends the ticking, not the step."""

    def __init__(self, report: Callable[[float], None], every_s: float = EVERY_S) -> None:
        self._report = report
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self._start = 0.0

    def __enter__(self) -> Ticker:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self._report(time.monotonic() - self._start)
            except Exception:  # a progress line is never worth failing the step for
                return


class Countdown:
    """A fixed plan of `total` steps; `done(what)` says one finished step with how many remain."""

    def __init__(self, prefix: str, total: int) -> None:
        self.prefix = prefix
        self.total = total
        self.finished = 0
        self._start = time.monotonic()

    def done(self, what: str) -> None:
        self.finished += 1
        say(
            f"{self.prefix} {what} ({self.finished}/{self.total} done, "
            f"{self.total - self.finished} to go, {time.monotonic() - self._start:.0f}s)"
        )


_WRITE = threading.Lock()


def say(line: str, stream: TextIO | None = None) -> None:
    """One progress line, flushed at once (the step it reports on may run for minutes). One
    write under a lock: clients run in parallel threads, and print() writes the line and its
    newline apart, so two threads' lines could run together."""
    out = stream if stream is not None else sys.stderr
    with _WRITE:
        out.write(line + "\n")
        out.flush()
