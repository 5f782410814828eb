"""What `tfinterop` and `tfinterop-python` do around a command: parse, quiet TensorFlow,
set up logging, and turn errors into the exit status docs/CONTRACT.md gives (2 bad usage,
1 could not do its job, 130 interrupted), each as one line on stderr.

A command may give "could not do its job" another status: `tfinterop verify`, `judge`
and `interop` answer 3, because their 1 means "a row failed" and CI must tell the two
apart. The clients' status stays the contract's 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from tfinterop.serving.errors import ServingError, ToolError, UsageError
from tfinterop.util import quiet


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def run(
    prog: str,
    parser: argparse.ArgumentParser,
    handler: Callable[[argparse.Namespace], int],
    argv: list[str] | None = None,
    tool_error_status: Callable[[argparse.Namespace], int] = lambda args: 1,
) -> int:
    """Parse `argv` with `parser` (which must define --verbose) and call `handler`;
    a ToolError or ServingError exits with `tool_error_status(args)`."""
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        print(f"{prog}: usage error: {e}", file=sys.stderr)
        return 2
    verbose = quiet.verbose_requested(args.verbose, os.environ)
    # Before anything imports TensorFlow: its C++ runtime logs from the first import on.
    stderr_filter = quiet.configure(verbose)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    try:
        return handler(args)
    except UsageError as e:
        print(f"{prog}: usage error: {e}", file=sys.stderr)
        return 2
    except (ToolError, ServingError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return tool_error_status(args)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    finally:
        if stderr_filter is not None:
            stderr_filter.close()
