"""Collapsed stacks, the text both profilers `make bench` runs write (py-spy's `--format raw`,
async-profiler's `collapsed`): one line a stack, `root;...;leaf count`."""

from __future__ import annotations


def stacks(collapsed: str) -> list[tuple[list[str], int]]:
    """Each stack, innermost frame first, with its sample count; a line that is not a stack
    (no count after the last space) is skipped."""
    out = []
    for line in collapsed.splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            out.append((frames.split(";")[::-1], int(count)))
    return out
