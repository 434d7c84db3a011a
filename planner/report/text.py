"""Terminal report (rich): steps, findings worst first, skips, and the verdict.

Fits the console's width: prose wraps, a spec problem shows its line with a caret under the value,
and a fix that is a shell command (`aws ...`) stands alone on its line, never wrapped, so it pastes
as one command.
"""
from __future__ import annotations

import io
import os
import re

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..findings import Finding, Level
from .model import Entry
from .grouping import by_cause
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
        self.console, self.items = console, []  # Text.wrap needs the console itself

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


def print_text(report: Report, console: Console, *, quiet: bool = False) -> None:
    out = _Batch(console)
    _print_report(report, out, quiet=quiet)
    out.flush()


# Wrapped lines of a finding or a step are indented under their start; a step summary never gets a
# column narrower than this (it moves under the step instead).
HANG = 4
MIN_COLUMN = 20


def _hanging(text: Text, console: "_Batch", indent: int = HANG, max_lines: int | None = None) -> bool:
    """Print `text` wrapped to the console width, every line after the first indented by `indent`;
    at most `max_lines` lines, the last ending in '…'. Returns whether it was cut."""
    width = console.width
    lines = list(text.wrap(console.console, width, overflow="fold"))
    if len(lines) > 1:  # the first line takes the whole width, the rest wrap under it, indented
        head = len(lines[0].plain)
        while head < len(text.plain) and text.plain[head] == " ":
            head += 1
        rest = text[head:]
        lines = lines[:1] + list(rest.wrap(console.console, max(MIN_COLUMN, width - indent), overflow="fold"))
    cut = max_lines is not None and len(lines) > max_lines
    if cut:
        lines = lines[:max_lines]
        last = lines[-1]
        last.rstrip()
        room = (width - indent if len(lines) > 1 else width) - 3
        if last.cell_len > room:
            last.truncate(room)
        last.append("...")  # ASCII: a byte-counting `awk 'length > 80'` sees the same width
    for i, line in enumerate(lines):
        line.rstrip()
        console.print(line if i == 0 else Text(" " * indent) + line, soft_wrap=True)
    return cut


def _print_steps(steps, console: "_Batch", indent: str = " ") -> None:
    """One line a step: status, name, summary; the summary wraps under its own start, or, when that
    column would be narrower than MIN_COLUMN, under the step."""
    if not steps:
        return
    name_w = max(len(s.name) for s in steps)
    status_w = max(len(s.status) for s in steps)
    prefix_w = len(indent) + status_w + 1 + name_w + 1
    width = console.width
    for s in steps:
        head = Text(indent)
        head.append(f"{s.status:<{status_w}}", style=_STEP_STYLE.get(s.status, ""))
        head.append(f" {s.name:<{name_w}} ")
        room = width - prefix_w
        if room >= MIN_COLUMN:
            body = Text(s.summary).wrap(console.console, room, overflow="fold")
            for i, line in enumerate(body or [Text("")]):
                line.rstrip()
                console.print((head if i == 0 else Text(" " * prefix_w)) + line, soft_wrap=True)
        else:
            head.rstrip()
            console.print(head, soft_wrap=True)
            _hanging(Text(" " * (len(indent) + HANG)) + Text(s.summary), console, len(indent) + HANG)


def _folder(report: Report) -> str | None:
    """The folder all specs of a run over many specs share: printed once, paths shown below it."""
    files = [p.spec_file for p in report.parts if p.spec_file]
    if len(files) < 2 or len(files) != len(report.parts):
        return None
    try:
        base = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
    except ValueError:  # different drives
        return None
    return base if base not in ("", os.sep) else None


def _short(path: str | None, base: str | None) -> str:
    if not path or not base:
        return path or ""
    full = os.path.abspath(path)
    return os.path.relpath(full, base) if full.startswith(base + os.sep) else path


def _spec_headers(report: Report, console: "_Batch", base: str | None = None) -> None:
    """`check` on many specs, a CI log: a header line per spec (file, name, verdict, cost), its steps
    on the line under it; the findings of all specs follow, grouped by cause."""
    for part in report.parts:
        head = Text(f"{_short(part.spec_file, base) or part.name or '?'}")
        if part.name and part.name != part.spec_file:
            head.append(f" ({part.name})")
        head.append(f": {part.verdict}", style="bold green" if part.exit_code == 0 else "bold red")
        cost = part.extra.get("cost") if isinstance(part.extra.get("cost"), dict) else None
        if cost and cost.get("monthly_usd") is not None:
            head.append(f", ${cost['monthly_usd']:,.0f}/month")
        _hanging(head, console)
        steps = Text("   ")
        for i, step in enumerate(part.steps):
            if i:
                steps.append(", ")
            steps.append(f"{step.name} ")
            steps.append(step.status, style=_STEP_STYLE.get(step.status, ""))
        _hanging(steps, console, HANG + 3)


def _places(places: list[tuple[str, int | None]], first_file: str, shown: int = 3) -> str:
    """`:24, :30, b.yaml:9, … +2`: a line in the first finding's file by its number alone."""
    out = []
    for file, line in places[:shown]:
        at = f":{line}" if line else ""
        out.append(at if file == first_file and at else os.path.basename(file) + at)
    return ", ".join(out) + (f" and {len(places) - shown} more" if len(places) > shown else "")


def _money(report: Report) -> str:
    """The specs' monthly cost together, for the summary line of a run over many specs."""
    specs = report.extra.get("specs") or []
    monthly = [s["cost"]["monthly_usd"] for s in specs if isinstance(s.get("cost"), dict)
               and s["cost"].get("monthly_usd") is not None]
    if not monthly:
        return ""
    unpriced = len(specs) - len(monthly)
    return f"${sum(monthly):,.0f}/month" + (f" ({unpriced} spec(s) not priced)" if unpriced else "")


def _print_report(report: Report, console: "_Batch", *, quiet: bool = False) -> None:
    base = _folder(report) if report.parts else None
    title = f"ultraplan {report.command}" + (f" · {report.name}" if report.name else "")
    if base:
        title += f" in {base}{os.sep}"
    if report.spec_file:
        title += f" · {report.spec_file}"
    _hanging(Text(title, style="bold"), console)
    if report.parts:
        _spec_headers(report, console, base)
    else:
        _print_steps(report.steps, console)
    # One finding a paragraph, as linters print them (file:line: level rule [resource]: message), so
    # editors can jump to the spec line; spec problems sorted by line, the rest worst first. Findings
    # of one rule with one cause (one missing tag on 34 resources) are one paragraph.
    entries = sorted(report.entries, key=lambda e: (-e.finding.level, e.finding.source.file or "",
                                                     e.finding.source.line or 0, e.finding.check_id,
                                                     e.finding.resource or ""))
    hidden = cut = 0
    many = bool(report.parts)
    infos: dict[str, list[Entry]] = {}
    for group in by_cause(entries, anywhere=many):
        e = group.first
        f = e.finding
        if quiet and f.level == Level.INFO and not e.unverified:
            hidden += len(group.entries)
            continue
        if many and f.level == Level.INFO and not e.unverified:  # a CI log over many specs counts them
            infos.setdefault(f.check_id, []).extend(group.entries)
            continue
        where = (_short(f.source.file, base) or report.spec_file or "<spec>") + (
            f":{f.source.line}" if f.source.line else "")
        line = Text(f"{where}: ")
        line.append(e.level_label, style="bold magenta" if e.unverified else _LEVEL_STYLE[f.level])
        line.append(f" {f.check_id}", style="bold")
        subject = group.subject()
        if subject:
            line.append(f" [{subject}]")
        line.append(f": {f.message}")
        places = group.places
        if len(places) > 1:
            line.append(f" (also at {_places(places[1:], places[0][0])})")
        if e.unverified and f.unverified.operation:
            line.append(f" [operation {f.unverified.operation}, {f.unverified.error}]")
        if e.unverified and f.check_id in report.accepted:
            line.append(f" (accepted: {report.accepted[f.check_id]})")
        # A log over many specs keeps a finding short: errors whole, a warning in 4 lines, an info in
        # one; the JSON, Markdown and HTML reports and a run on one spec carry every word.
        limit = None if not many or f.level == Level.ERROR or e.unverified else 4
        cut += _hanging(line, console, max_lines=limit)
        _print_excerpt(f, console)
        _print_hint(f.hint, console)
    for rid, items in infos.items():
        files = list(dict.fromkeys(os.path.basename(i.finding.source.file or "") for i in items))
        _hanging(Text(f"info {rid}: {len(items)} finding(s) in {', '.join(files)} (on one spec, "
                      f"`ultraplan check SPEC` prints them)", style="cyan"), console)
    skips: dict[tuple[str, str], list[str]] = {}
    for rid, reason in report.skipped:
        spec, sep, why = reason.partition(": ") if many else ("", "", reason)
        skips.setdefault((rid, why if sep else reason), []).append(spec)
    for (rid, reason), specs in skips.items():
        where = f" ({len(specs)} specs)" if len(specs) > 1 else (f" ({specs[0]})" if specs[0] else "")
        _hanging(Text(f"skipped {rid}{where}: {reason}", style="dim"), console, max_lines=2 if many else None)
    if hidden:
        _hanging(Text(f"{hidden} info finding(s) not shown (--quiet)", style="dim"), console)
    if cut:
        _hanging(Text(f"{cut} finding(s) shortened (...): `ultraplan check SPEC` on one spec, or --format "
                      "json|markdown, prints them whole", style="dim"), console)
    verdict_style = {0: "bold green", 3: "bold magenta"}.get(report.exit_code, "bold red")
    summary = report.summary_line()
    money = _money(report) if report.parts else ""
    if money:
        summary = summary.replace(": ", f": {len(report.parts)} specs, {money}; ", 1)
    _hanging(Text(summary, style=verdict_style), console)


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
        _hanging(Text(f"  fix: {hint}", style="dim"), console, indent=2)


def render_text(report: Report, width: int = 80, *, quiet: bool = False) -> str:
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=width, color_system=None, highlight=False), quiet=quiet)
    return buffer.getvalue()
