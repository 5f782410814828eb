"""Keep TensorFlow's start-up chatter off the terminal unless asked (`--verbose`, TFINTEROP_VERBOSE=1).

TF_CPP_MIN_LOG_LEVEL does not reach everything: TensorFlow 2.21 writes absl
lines (cudart_stub, cuInit, cpu_feature_guard, "All log messages before
absl::InitializeLog()") to file descriptor 2 from C++ before and regardless of
that setting. So besides the environment and Python's loggers and warnings,
fd 2 is replaced by a pipe into a small filter process that drops only lines
of TensorFlow's log shapes and passes every other byte unchanged. A process,
not a thread: it outlives a crash of the filtered process (a segfault's
faulthandler traceback, a CHECK failure) and drains until every writer, the
children that inherited fd 2 included, has closed the pipe.

Run as a script (`python -I -S quiet.py`) it is that filter: stdin to stdout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import subprocess
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

VERBOSE_ENV = "TFINTEROP_VERBOSE"

# Severity I/W/E of absl/glog lines ("I0512 14:03:07.081846   11871 cudart_stub.cc:31] ...";
# before absl::InitializeLog the date is 0000 and the seconds field the Unix time:
# "I0000 00:00:1796119137.081846") and of TensorFlow's older own format
# ("2024-05-01 12:00:00.123456: W tensorflow/core/util/port.cc:113] ...").
# F (fatal) lines pass: the process is about to abort and that line says why.
NOISE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"
    # cpu_feature_guard's message spans two lines; this is the second.
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$"
    # TensorFlow's Python logger in logging's default format (a child not set up by the CLI).
    rb"|(?:INFO|WARNING):(?:tensorflow|absl):"
    # TF Lite's own logger, when an interpreter starts (--prefer_tflite_model).
    rb"|INFO: Created TensorFlow Lite \S+ delegate for CPU\.$)"
)
# The rest of a multi-line TensorFlow message, which absl writes raw after its prefixed
# first line: tab-indented lines ("\tWhile importing function: ...", "\twhen importing
# GraphDef to MLIR module in GrapplerHook", "\t [[node]]") and a missing kernel's
# "Registered devices:"/"Registered kernels:" lines with the kernel list under them.
# Dropped only right after a dropped line; other indented lines (a traceback) pass.
CONTINUATION = re.compile(
    rb"^(?:\t|Registered (?:devices|kernels):|  (?:<no registered kernels>|device='))"
)
# A partial line is held this long for the rest of it before it is passed on as it is.
PARTIAL_LINE_WAIT_S = 0.1
NOISY_LOGGERS = ("absl", "tensorflow", "h5py")
NOISY_WARNING_MODULES = r"(tensorflow|keras|tf_keras|absl|h5py|google\.protobuf)(\.|$)"


def is_noise(line: bytes) -> bool:
    """True for one line (without its newline) that TensorFlow's runtime, not the tool, wrote."""
    return NOISE.match(line.rstrip(b"\r")) is not None


def is_continuation(line: bytes) -> bool:
    """True for a line that, right after a dropped line, belongs to the same TF message."""
    return CONTINUATION.match(line.rstrip(b"\r")) is not None


def verbose_requested(flag: bool, environ: Mapping[str, str]) -> bool:
    """--verbose, or TFINTEROP_VERBOSE set to 1/true/yes/on."""
    return flag or environ.get(VERBOSE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class LineFilter:
    """Splits a byte stream into lines and drops the noise; keeps a partial line until told.

    Right after a dropped line, the lines that continue its TensorFlow message go too
    (CONTINUATION); a blank line there waits for the next line to tell which it is.
    """

    def __init__(self) -> None:
        self._pending = b""
        # The fate of the current line when its start was already decided by `flush`.
        self._keep_rest: bool | None = None
        self._in_noise = False  # the last line was dropped: its continuation lines go too
        self._held_blank: bytes | None = None  # a blank line after a dropped one, undecided

    @property
    def has_partial_line(self) -> bool:
        """Whether bytes wait for the rest of their line (or a blank line for the next)."""
        return bool(self._pending) or self._held_blank is not None

    def feed(self, data: bytes) -> bytes:
        """The bytes to pass on for `data`; an unfinished last line waits for more."""
        *lines, self._pending = (self._pending + data).split(b"\n")
        out = []
        for line in lines:
            if self._keep_rest is not None:
                keep = self._keep_rest
                self._keep_rest = None
            elif self._in_noise and self._held_blank is None and not line.rstrip(b"\r"):
                self._held_blank = line
                continue
            elif self._in_noise and is_continuation(line):
                self._held_blank = None  # it was part of the message too
                continue
            else:
                out.append(self._release_blank())
                keep = not is_noise(line)
            self._in_noise = not keep
            if keep:
                out.append(line + b"\n")
        return b"".join(out)

    def _release_blank(self) -> bytes:
        held, self._held_blank = self._held_blank, None
        return b"" if held is None else held + b"\n"

    def flush(self) -> bytes:
        """Decide the unfinished line now (the writer paused mid-line: a prompt, a crash);
        the rest of that line, when it comes, shares its fate."""
        line, self._pending = self._pending, b""
        if self._keep_rest is None and line and self._in_noise and is_continuation(line):
            self._held_blank = None
            self._keep_rest = False
        blank = self._release_blank()
        if not line:
            self._in_noise = self._in_noise and not blank
            return blank
        if self._keep_rest is None:
            self._keep_rest = not is_noise(line)
        return blank + (line if self._keep_rest else b"")


def pump(src: int, dst: int) -> None:
    """Copy `src` to `dst` through a LineFilter until `src` reaches end of file."""
    lines = LineFilter()
    while True:
        wait = PARTIAL_LINE_WAIT_S if lines.has_partial_line else None
        ready, _, _ = select.select([src], [], [], wait)
        if not ready:
            dst = _write(dst, lines.flush())
            continue
        chunk = os.read(src, 1 << 16)
        if not chunk:
            break
        dst = _write(dst, lines.feed(chunk))
    _write(dst, lines.flush())


def _write(dst: int, data: bytes) -> int:
    """Write all of `data`; once the reader is gone (-1), keep draining and drop it."""
    while data and dst >= 0:
        try:
            data = data[os.write(dst, data) :]
        except OSError:
            return -1
    return dst


@dataclass
class StderrFilter:
    """fd 2 redirected into a filter process; `close` puts the original fd 2 back."""

    process: subprocess.Popen[bytes]
    original_fd: int

    def close(self, wait_s: float = 5.0) -> None:
        """Restore fd 2 and let the filter drain; a child still holding the pipe keeps it alive."""
        sys.stderr.flush()
        os.dup2(self.original_fd, 2)
        os.close(self.original_fd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=wait_s)


def filter_stderr() -> StderrFilter | None:
    """Route fd 2 (this process and every child that inherits it) through the filter.
    Returns None, leaving fd 2 as it is, when the filter process cannot be started."""
    sys.stderr.flush()
    try:
        original = os.dup(2)
    except OSError:  # no fd 2 at all: nothing reaches a terminal anyway
        return None
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__)],
            stdin=read_end,
            stdout=original,
            stderr=original,
            # Ctrl-C in a terminal signals the foreground group; the filter must live on
            # to pass the interrupted process's last lines, and ends at end of file.
            start_new_session=True,
        )
    except OSError:
        for fd in (read_end, write_end, original):
            os.close(fd)
        return None
    os.close(read_end)
    os.dup2(write_end, 2)
    os.close(write_end)
    return StderrFilter(process, original)


def configure(verbose: bool) -> StderrFilter | None:
    """Set up logging of TensorFlow for this process and the children it starts; call before
    TensorFlow is imported. Quiet: returns the running StderrFilter (close it at exit)."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"  # the bundled server and Python client it starts too
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=NOISY_WARNING_MODULES)
    return filter_stderr()


if __name__ == "__main__":
    pump(sys.stdin.fileno(), sys.stdout.fileno())
