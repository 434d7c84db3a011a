"""The project's own error types, each with the exit code the CLI maps it to (see README: Exit codes),
and how a spec problem reads: where, an excerpt of the spec with a caret under the value, what is
wrong and what would be right, in our words rather than a library's.
"""
from __future__ import annotations

import os
import re
import stat
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

Span = tuple[int, int, int, int]  # start line, start column, end line, end column (1-based)

EXIT_OK = 0
EXIT_FINDINGS = 1  # a gate failed: mandatory policy violation, preflight error, budget exceeded
EXIT_INVALID = 2  # the spec or the command line is invalid
EXIT_UNVERIFIED = 3  # a check that was asked for could not verify (AWS unreachable, denied, throttled, deadline)
EXIT_SERVICE = EXIT_UNVERIFIED  # the older name
EXIT_INTERNAL = 4  # a bug in ultraplan: the message says so and asks for a report


@dataclass(frozen=True)
class SpecIssue:
    """One thing wrong with a spec: where (field path, file, line, column), what, and what would be right.

    `excerpt` is the spec line as written and `column`/`width` place the caret under the value;
    they are filled by `locate()` once the spec text is known, so every report can show them.
    """

    path: str
    message: str
    line: int | None = None
    file: str | None = None
    hint: str | None = None
    column: int | None = None  # 1-based
    width: int = 1
    excerpt: str | None = None
    # The id of the spec rule that found it (planner/spec/rules; docs/rules.md), None when unclassified.
    rule: str | None = field(default=None, compare=False)

    def where(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def render(self) -> str:
        """One line, as linters print them: file:line: path: message (hint)."""
        where = self.file or "<spec>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        text = f"{where}: {self.path or '<root>'}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def caret_lines(self, width: int = 80, indent: str = "  ") -> list[str]:
        """The spec line and a caret under the value, cropped around the caret to fit `width`."""
        if self.excerpt is None or self.line is None:
            return []
        gutter = f"{indent}{self.line:>4} | "
        blank = f"{indent}{'':>4} | "
        text = self.excerpt.expandtabs(1).rstrip()
        col = max(1, self.column or _first_non_space(text))
        span = max(1, min(self.width, len(text) - col + 1)) if text else 1
        room = max(20, width - len(gutter))
        start = 0
        if len(text) > room:  # crop: keep the caret visible, mark the cut with '…'
            start = max(0, min(col - 1 - room // 3, len(text) - room))
            text = ("…" if start else "") + text[start + (1 if start else 0):start + room - 1] + "…"
            text = text[:room]
            col = col - start
        span = min(span, max(1, room - col + 1))
        return [gutter + text, blank + " " * (col - 1) + "^" * span]

    def render_block(self, width: int = 80) -> list[str]:
        """Several lines: where and which field, what is wrong, the excerpt with a caret, the fix."""
        head = f"{self.where()}: {self.path or '<root>'}"
        # A file:line:column location is never cut (editors and terminals jump to it), even if the
        # path alone is wider than the terminal.
        lines = textwrap.wrap(head, width, subsequent_indent="    ", break_on_hyphens=False,
                              break_long_words=False) or [head]
        lines += textwrap.wrap(self.message, width, initial_indent="  ", subsequent_indent="  ",
                               break_on_hyphens=False)
        lines += self.caret_lines(width)
        if self.hint:
            lines += textwrap.wrap(f"fix: {self.hint}", width, initial_indent="  ", subsequent_indent="       ",
                                   break_on_hyphens=False)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line, "column": self.column,
                "file": self.file, "hint": self.hint, "excerpt": self.excerpt}


def _first_non_space(text: str) -> int:
    return len(text) - len(text.lstrip()) + 1


def _parse_path(path: str) -> tuple[Any, ...]:
    """`compute[0].capacity.type` -> ("compute", 0, "capacity", "type") (inverse of yamlload.dotted)."""
    out: list[Any] = []
    for part in re.findall(r"\[(\d+)\]|([^.\[\]]+)", path):
        out.append(int(part[0]) if part[0] else part[1])
    return tuple(out)


def locate(issues: Iterable[SpecIssue], text: str | None, spans: dict[Any, Span] | None,
           ) -> list[SpecIssue]:
    """The issues with excerpt and caret column filled in from the spec text and the loader's spans,
    sorted by file and line (then column) so a person reads them top to bottom."""
    rows = text.splitlines() if text is not None else []
    spans = spans or {}
    out = []
    for issue in issues:
        if issue.line is not None and rows and 1 <= issue.line <= len(rows):
            issue = replace(issue, excerpt=rows[issue.line - 1])
            if issue.column is None:
                column, width = _caret(issue, spans)
                issue = replace(issue, column=column, width=width)
            out.append(issue)
        else:
            out.append(issue)
    return sort_issues(out)


def with_excerpts(issues: Iterable[SpecIssue]) -> list[SpecIssue]:
    """Issues raised after loading (e.g. by the policy settings) get their excerpt from the file."""
    issues = list(issues)
    texts: dict[str, str | None] = {}
    out = []
    for issue in issues:
        if issue.excerpt is None and issue.file and issue.line:
            if issue.file not in texts:
                texts[issue.file] = _excerpt_text(issue.file)
            if texts[issue.file] is not None:
                issue = locate([issue], texts[issue.file], None)[0]
        out.append(issue)
    return out


# The most of a file read for excerpts: a spec's own limit (planner.inputs.MAX_SPEC_BYTES).
EXCERPT_FILE_BYTES = 4 * 1024 * 1024


def _excerpt_text(path: str) -> str | None:
    """The file's text for excerpts, or None: bounded, UTF-8, and a regular file only (the file named
    may be a FIFO or /dev/zero by now)."""
    try:
        with open_regular(path) as fh:
            data = fh.read(EXCERPT_FILE_BYTES + 1)
        return data.decode("utf-8-sig") if len(data) <= EXCERPT_FILE_BYTES else None
    except (OSError, ValueError):
        return None


def open_regular(path: str) -> "os.FileIO":
    """The file opened for reading only if it is a regular file: a FIFO, a device (/dev/zero) or a
    socket would block or never end. Opened without blocking and checked on the open descriptor, so
    a file swapped for a FIFO between a stat and the open cannot hang the reader either. (Here, not
    in planner.inputs, so that error excerpts read files the same way without importing the readers.)"""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _caret(issue: SpecIssue, spans: dict[Any, Span]) -> tuple[int | None, int]:
    if not spans:
        return _caret_by_key(issue)
    path = _parse_path(issue.path)
    # An unknown or duplicate key: under the key. A value on that line: under the value. Otherwise
    # (a missing key, a block value): under the key of the nearest field that is there.
    if issue.message.startswith(("unknown key", "duplicate key")) and ("key", path) in spans:
        return _on_line(spans[("key", path)], issue.line)
    exact = True
    while path:
        value, key = spans.get(path), spans.get(("key", path))
        # Under the value of the field itself; under the key of a parent standing in for a missing one.
        for span in ((value, key) if exact else (key, value)):
            if span and span[0] == issue.line:
                return _on_line(span, issue.line)
        path, exact = path[:-1], False
    return None, 1


def _caret_by_key(issue: SpecIssue) -> tuple[int | None, int]:
    """Without the loader's spans: under the value after `key:` on the line, else under the key."""
    path = _parse_path(issue.path)
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    text = issue.excerpt or ""
    match = re.search(r"(?:^|[\s{,])(" + re.escape(key) + r")\s*:\s*([^\s,}#][^,}#]*)?", text) if key else None
    if not match:
        return None, 1
    if match.group(2) and not issue.message.startswith(("unknown", "duplicate")):
        return match.start(2) + 1, len(match.group(2).rstrip())
    return match.start(1) + 1, len(key)


def _on_line(span: Span, line: int | None) -> tuple[int | None, int]:
    start_line, start_col, end_line, end_col = span
    if start_line != line:
        return None, 1
    return start_col, (end_col - start_col) if end_line == start_line and end_col > start_col else 1


def sort_issues(issues: Iterable[SpecIssue]) -> list[SpecIssue]:
    return sorted(issues, key=lambda i: (i.file or "", i.line or 0, i.column or 0, i.path))


# -- YAML syntax errors in our words --------------------------------------------------------------
def yaml_syntax_issue(exc: Any, file: str | None) -> SpecIssue:
    """A PyYAML MarkedYAMLError as a person would explain it, pointing at the line and column."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or str(exc)
    opened = exc.context_mark.line + 1 if exc.context_mark else None
    message, hint = _yaml_words(problem, opened)
    return SpecIssue("", message, line, file, hint, column=column)


def _yaml_words(problem: str, opened: int | None) -> tuple[str, str]:
    at = f" (the block starts at line {opened})" if opened else ""
    if problem.startswith("expected <block end>"):
        return (f"this line is indented differently from the block it belongs to{at}",
                "indent it exactly like the other keys (or '- ' items) of that block, with spaces")
    if problem.startswith("mapping values are not allowed"):
        return ("a ':' YAML did not expect: a key indented deeper than the one above, or a value that "
                "contains ': '", "line the key up with the keys above, or quote the value ('...')")
    if problem.startswith("expected ',' or ']'"):
        return (f"a list opened with '[' at line {opened} is not closed" if opened else "a '[' list is not closed",
                "close it with ']' on the same line, or write one '- item' a line")
    if problem.startswith("expected ',' or '}'"):
        return (f"a mapping opened with '{{' at line {opened} is not closed" if opened else "a '{' mapping is not closed",
                "close it with '}' on the same line, or write one 'key: value' a line")
    if "'\\t'" in problem:
        return "a tab character: YAML indents with spaces only", "replace the tab with spaces"
    if problem.startswith("could not find expected ':'"):
        return (f"a key without ':'{at}", "write 'key: value', or quote text that is not a key")
    if "end of stream" in problem and opened:
        return f"a quote or bracket opened at line {opened} is never closed", "close it on the line it opened"
    alias = re.match(r"found undefined alias '(.*)'", problem)
    if alias:
        return (f"'*{alias.group(1)}' refers to an anchor '&{alias.group(1)}' that is not defined",
                f"define '&{alias.group(1)}' before it or write the value out")
    return f"the YAML cannot be read: {problem}", "check indentation and quoting on that line"


# -- error types ----------------------------------------------------------------------------------
class UltraplanError(Exception):
    """Base class: the CLI catches it in one place and exits with `exit_code`."""

    exit_code = EXIT_INVALID


@dataclass
class SpecError(UltraplanError):
    """The spec is invalid; carries every issue found, not just the first."""

    issues: list[SpecIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(i.render() for i in self.issues)

    def render_text(self, width: int = 80) -> str:
        """Every issue as a block (excerpt and caret), one blank line between them."""
        n = len(self.issues)
        head = f"error: the spec is invalid ({n} problem{'s' if n != 1 else ''}):"
        blocks = ["\n".join(i.render_block(width)) for i in with_excerpts(self.issues)]
        return head + "\n" + "\n\n".join(blocks)


class UsageError(UltraplanError):
    """A command-line argument or input file (other than the spec) is invalid."""


class InputFileError(UsageError, ValueError):
    """A Plan, account snapshot or price file of the wrong shape or encoding: names the file and the field."""

    def __init__(self, file: str, field: str, message: str, hint: str | None = None) -> None:
        self.file, self.field, self.problem, self.hint = file, field, message, hint
        text = f"{file}: {field + ': ' if field else ''}{message}"
        super().__init__(text + (f" ({hint})" if hint else ""))


class ServiceError(UltraplanError):
    """An outside service could not be reached at all."""

    exit_code = EXIT_SERVICE


def verdict_exit_code(failed: bool, internal_errors: bool, unaccepted_unverified: bool) -> int:
    """The order every report follows: a real finding is a verdict whatever else could not be
    checked (1), then a crashed check (4), then a check that could not verify and was not accepted (3)."""
    if failed:
        return EXIT_FINDINGS
    if internal_errors:
        return EXIT_INTERNAL
    if unaccepted_unverified:
        return EXIT_UNVERIFIED
    return EXIT_OK
