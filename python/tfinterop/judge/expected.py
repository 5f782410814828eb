"""Expected failures: one reviewed list per client, each entry saying how the row fails.

`expected_failures/<client>.txt` (package data, so `tfinterop verify` finds them
anywhere), one entry a line, `#` comments:

    mode/model/case-glob  OUTCOME  "message substring"  reason...

The pattern's three parts are fnmatch globs; the case part may also be `@runs`
(cases that run the model and expect outputs over that mode) or `@error` (cases
expecting an error over that mode). OUTCOME is a canonical code name (over REST
matched through the HTTP status TF Serving maps it to), `HTTP:<status>` (REST
rows only), or `mismatch` (the client answered and the judge found a
difference). The substring must occur in the error message (for `mismatch`: in
the judge's detail); `""` accepts any. A listed row that fails as stated is an
expected failure; one that passes, fails otherwise, is missing or is skipped
fails the suite, and so does an entry that matches no row (a stale entry).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from tfinterop.golden.cases.manifest import ManifestCase
from tfinterop.harness import registry
from tfinterop.judge import codes
from tfinterop.serving.errors import Code, ToolError, UsageError

if TYPE_CHECKING:  # compare loads TensorFlow; reading --expect files must not (verify_plan)
    from tfinterop.judge.compare import Outcome

PACKAGE_DIR = "tfinterop/judge/expected_failures"
_HTTP = re.compile(r"HTTP:([1-5][0-9][0-9])")


@dataclass(frozen=True)
class ExpectedFailure:
    client: str
    source: str  # file:line, for messages
    pattern: str  # mode/model/case-glob
    outcome: str  # a code name, HTTP:<status> or mismatch
    substring: str
    reason: str

    @property
    def stated(self) -> str:
        """The expectation as written: `OUTCOME "substring"`."""
        return f'{self.outcome} "{self.substring}"'

    @property
    def mode_glob(self) -> str:
        return self.pattern.split("/")[0]

    @property
    def model_glob(self) -> str:
        return self.pattern.split("/")[1]

    def covers(self, mode: str, model: str, case: ManifestCase) -> bool:
        """Whether the pattern names this row (whatever its outcome)."""
        mode_glob, model_glob, case_glob = self.pattern.split("/")
        if not (fnmatch.fnmatchcase(mode, mode_glob) and fnmatch.fnmatchcase(model, model_glob)):
            return False
        if case_glob == "@runs":
            return case.expected_error(mode) is None and case.api != "metadata"
        if case_glob == "@error":
            return case.expected_error(mode) is not None
        return fnmatch.fnmatchcase(case.id, case_glob)

    def fails_as_stated(self, mode: str, outcome: Outcome) -> bool:
        """Whether a failed row failed with this entry's outcome and message."""
        if outcome.status != "fail":
            return False
        if self.outcome == "mismatch":
            return outcome.mismatch and self.substring in outcome.detail
        err = outcome.error
        if outcome.wrote != "error" or err is None:
            return False
        http = _HTTP.fullmatch(self.outcome)
        if http:
            same = codes.status_matches(int(http.group(1)), err, mode)
        else:
            same = codes.error_matches(self.outcome, err, mode)
        return same and self.substring in err.message


@dataclass(frozen=True)
class Verdict:
    kind: str  # pass | expected | unexpected
    entry: ExpectedFailure | None  # the entry that lists the row, if any
    message: str  # why, for the test's output and the report


def verdict(outcome: Outcome, mode: str, listed: list[ExpectedFailure]) -> Verdict:
    """The suite's verdict on one row given the entries whose pattern covers it."""
    if not listed:
        if outcome.status == "pass":
            return Verdict("pass", None, "")
        return Verdict("unexpected", None, f"{outcome.status}: {outcome.detail}")
    for entry in listed:
        if entry.fails_as_stated(mode, outcome):
            return Verdict("expected", entry, f"{entry.reason} [{happened(outcome, mode)}]")
    entry = listed[0]
    if outcome.status == "pass":
        return Verdict(
            "unexpected",
            entry,
            f"passes, but {entry.source} lists it as failing with {entry.stated}: remove the entry",
        )
    return Verdict(
        "unexpected", entry, f"{entry.source} expects {entry.stated}, but {happened(outcome, mode)}"
    )


def happened(outcome: Outcome, mode: str) -> str:
    """What a failed row did, in the terms an entry states."""
    if outcome.status == "missing":
        return f"it is missing ({outcome.detail})"
    if outcome.status == "skipped":
        return f"it was skipped ({outcome.detail})"
    if outcome.wrote == "error" and outcome.error is not None:
        err = outcome.error
        return f'the client got {codes.describe(err, mode)} "{err.message[:300]}"'
    if outcome.mismatch:
        return f'mismatch "{outcome.detail}"'
    return outcome.detail


def load(client: str, folder: Path | None = None) -> list[ExpectedFailure]:
    """The client's entries from `folder` (default: the package's lists); [] without a file."""
    path: Traversable = (
        Path(folder) / f"{client}.txt"
        if folder is not None
        else resources.files("tfinterop.judge").joinpath("expected_failures", f"{client}.txt")
    )
    if not path.is_file():
        return []
    shown = f"{PACKAGE_DIR}/{client}.txt" if folder is None else str(path)
    return parse(path.read_text(encoding="utf-8"), client, shown)


def user_entries(paths: list[Path], clients: list[str]) -> list[ExpectedFailure]:
    """The entries of every --expect file for `clients`; a missing or malformed one is a
    UsageError naming file and line (the command line names a file the run cannot use)."""
    out: list[ExpectedFailure] = []
    for path in paths:
        try:
            out += load_user(path, list(registry.names()))
        except ToolError as e:
            raise UsageError(str(e)) from None
    return [e for e in out if e.client in clients]


def load_user(path: Path, clients: list[str]) -> list[ExpectedFailure]:
    """A team's own accepted differences (`verify --expect FILE`, `judge --expect FILE`).

    A file named after a client (`java.txt`) holds that client's entries in the package
    lists' format; any other file's entries name the client first:
    `client/mode/model/case-glob  OUTCOME  "message substring"  reason`. Entries are held
    to the same rules: a listed row must fail as stated, and an entry that covers no row
    is stale.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ToolError(f"--expect {path}: {e}") from None
    if path.stem in clients and path.suffix == ".txt":
        return parse(text, path.stem, str(path))
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        client, _, rest = line.partition("/")
        if client not in clients:
            raise ToolError(
                f"{where}: {client!r} is not a client ({', '.join(clients)}); entries here read "
                '`client/mode/model/case-glob  OUTCOME  "message substring"  reason`'
            )
        try:
            out.append(_parse_line(rest, client, where))
        except ValueError as e:
            raise ToolError(f"{where}: {e}") from None
    return out


def parse(text: str, client: str, source: str) -> list[ExpectedFailure]:
    """Entries of one list; ToolError naming file and line for a malformed entry."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        try:
            out.append(_parse_line(line, client, where))
        except ValueError as e:
            raise ToolError(f"{where}: {e}") from None
    return out


def _parse_line(line: str, client: str, where: str) -> ExpectedFailure:
    parts = line.split(None, 2)
    if len(parts) < 3:
        raise ValueError('want `mode/model/case-glob  OUTCOME  "message substring"  reason`')
    pattern, outcome, rest = parts
    if len(pattern.split("/")) != 3 or not all(pattern.split("/")):
        raise ValueError(f"pattern {pattern!r} is not mode/model/case-glob")
    if not (
        outcome == "mismatch"
        or _HTTP.fullmatch(outcome)
        or (outcome in Code.__members__ and outcome != "OK")
    ):
        raise ValueError(
            f"outcome {outcome!r} is not a canonical code name, HTTP:<status> or mismatch"
        )
    substring, reason = _quoted(rest)
    if not reason:
        raise ValueError("no reason after the message substring")
    return ExpectedFailure(client, where, pattern, outcome, substring, reason)


def _quoted(text: str) -> tuple[str, str]:
    """A leading double-quoted string (\\" and \\\\ escaped) and what follows it."""
    if not text.startswith('"'):
        raise ValueError('the message substring must be double-quoted ("" accepts any message)')
    chars: list[str] = []
    i = 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            chars.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(chars), text[i + 1 :].strip()
        chars.append(c)
        i += 1
    raise ValueError("unterminated message substring")
