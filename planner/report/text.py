"""Terminal report (rich): steps, findings worst first, skips, and the verdict.

Fits the console's width: prose wraps, a spec problem shows its line with a caret under the value,
and a fix that is a shell command (`aws ...`) stands alone on its line, never wrapped, so it pastes
as one command.
"""
from __future__ import annotations

import io
import re

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..findings import Finding, Level
from .model import FAILED, OK, Report

_LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "cyan"}
_STEP_STYLE = {OK: "green", FAILED: "bold red", "warning": "yellow", "skipped": "dim", "not-run": "dim",
               "unverified": "bold magenta"}
COMMAND = re.compile(r"^(aws|ultraplan|pulumi) [a-z]")


def is_command(text: str | None) -> bool:
    """A hint the user pastes into a shell (printed unwrapped on its own line)."""
    return bool(text and COMMAND.match(text))


class _Batch:
    """Renderables printed in one console.print: a report of thousands of findings costs one render
    pass, not one per line (rich measures the console and wraps on every call). Lines that must not
    be wrapped or cropped (commands, excerpts) go out on their own, in order."""

    def __init__(self, console: Console) -> None:
        self.console, self.items = console, []

    @property
    def width(self) -> int:
        return self.console.width

    def print(self, renderable, soft_wrap: bool = False) -> None:
        if soft_wrap:
            self.flush()
            self.console.print(renderable, soft_wrap=True)
        else:
            self.items.append(renderable)

    def flush(self) -> None:
        if self.items:
            self.console.print(Group(*self.items))
            self.items = []


def print_text(report: Report, console: Console) -> None:
    out = _Batch(console)
    _print_report(report, out)
    out.flush()


def _print_report(report: Report, console: "_Batch") -> None:
    title = f"ultraplan {report.command}" + (f" · {report.name}" if report.name else "")
    if report.spec_file:
        title += f" · {report.spec_file}"
    console.print(Text(title, style="bold"))
    if report.steps:
        steps = Table(show_header=False, box=None, padding=(0, 1))
        steps.add_column(no_wrap=True)
        steps.add_column(no_wrap=True)
        steps.add_column(overflow="fold")
        for s in report.steps:
            steps.add_row(Text(s.status, style=_STEP_STYLE.get(s.status, "")), s.name, s.summary)
        console.print(steps)
    # One finding a paragraph, as linters print them (file:line: level rule [resource]: message), so
    # editors can jump to the spec line; spec problems sorted by line, the rest worst first.
    for e in sorted(report.entries, key=lambda e: (-e.finding.level, e.finding.source.file or "",
                                                   e.finding.source.line or 0, e.finding.check_id,
                                                   e.finding.resource or "")):
        f = e.finding
        where = (f.source.file or report.spec_file or "<spec>") + (f":{f.source.line}" if f.source.line else "")
        line = Text(f"{where}: ")
        line.append(e.level_label, style="bold magenta" if e.unverified else _LEVEL_STYLE[f.level])
        line.append(f" {f.check_id}", style="bold")
        if f.resource or f.pool:
            line.append(f" [{f.resource or f.pool}]")
        line.append(f": {f.message}")
        if e.unverified and f.unverified.operation:
            line.append(f" [operation {f.unverified.operation}, {f.unverified.error}]")
        if e.unverified and f.check_id in report.accepted:
            line.append(f" (accepted: {report.accepted[f.check_id]})")
        console.print(line)
        _print_excerpt(f, console)
        _print_hint(f.hint, console)
    for rid, reason in report.skipped:
        console.print(Text(f"skipped {rid}: {reason}", style="dim"))
    verdict_style = {0: "bold green", 3: "bold magenta"}.get(report.exit_code, "bold red")
    console.print(Text(report.summary_line(), style=verdict_style))


def _print_excerpt(f: Finding, console: "_Batch") -> None:
    if f.source.excerpt is None or f.source.line is None:
        return
    from ..errors import SpecIssue

    token = f.source.excerpt[(f.source.column or 1) - 1:]
    width = len(re.split(r"[\s,}\]]", token, maxsplit=1)[0]) or 1
    issue = SpecIssue("", "", f.source.line, column=f.source.column, width=width, excerpt=f.source.excerpt)
    for row in issue.caret_lines(console.width):
        console.print(Text(row), soft_wrap=True)  # already cropped to the width


def _print_hint(hint: str | None, console: "_Batch") -> None:
    if not hint:
        return
    if is_command(hint):
        console.print(Text("  fix: run", style="dim"))
        console.print(Text(hint), soft_wrap=True)  # one line, never wrapped: it is pasted into a shell
    else:
        console.print(Padding(Text(f"fix: {hint}", style="dim"), (0, 0, 0, 2), expand=False))


def render_text(report: Report, width: int = 80) -> str:
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=width, color_system=None, highlight=False))
    return buffer.getvalue()
