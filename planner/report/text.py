"""Terminal report (rich): steps, findings grouped by level, skips, and the verdict."""
from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..findings import Level
from .model import FAILED, OK, Report

_LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "cyan"}
_STEP_STYLE = {OK: "green", FAILED: "bold red", "warning": "yellow", "skipped": "dim", "not-run": "dim"}


def print_text(report: Report, console: Console) -> None:
    title = f"ultraplan {report.command}" + (f" · {report.name}" if report.name else "")
    if report.spec_file:
        title += f" · {report.spec_file}"
    console.print(Text(title, style="bold"))
    if report.steps:
        steps = Table(show_header=False, box=None, padding=(0, 1))
        for s in report.steps:
            steps.add_row(Text(s.status, style=_STEP_STYLE.get(s.status, "")), s.name, s.summary)
        console.print(steps)
    # One finding a line, as linters print them (file:line: level rule [resource]: message), so CI
    # logs stay readable at any width and editors can jump to the spec line.
    for e in sorted(report.entries, key=lambda e: (-e.finding.level, e.finding.check_id, e.finding.resource or "")):
        f = e.finding
        where = (f.source.file or report.spec_file or "<spec>") + (f":{f.source.line}" if f.source.line else "")
        line = Text(f"{where}: ")
        line.append(e.level_label, style=_LEVEL_STYLE[f.level])
        line.append(f" {f.check_id}", style="bold")
        if f.resource or f.pool:
            line.append(f" [{f.resource or f.pool}]")
        line.append(f": {f.message}")
        console.print(line)
    for rid, reason in report.skipped:
        console.print(Text(f"skipped {rid}: {reason}", style="dim"))
    verdict_style = "bold green" if report.ok else "bold red"
    console.print(Text(report.summary_line(), style=verdict_style))


def render_text(report: Report, width: int = 120) -> str:
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=width, color_system=None, highlight=False))
    return buffer.getvalue()
