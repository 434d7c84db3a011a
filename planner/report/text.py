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
    if report.entries:
        table = Table(show_lines=False, header_style="bold", expand=False)
        for col in ("level", "rule", "resource", "where", "message"):
            table.add_column(col, overflow="fold")
        for e in sorted(report.entries, key=lambda e: (-e.finding.level, e.finding.check_id, e.finding.resource or "")):
            f = e.finding
            where = f"{f.source.file or ''}:{f.source.line}" if f.source.line else (f.source.file or "")
            table.add_row(Text(e.level_label, style=_LEVEL_STYLE[f.level]), f.check_id,
                          f.resource or f.pool or "", where, f.message)
        console.print(table)
    for rid, reason in report.skipped:
        console.print(Text(f"skipped {rid}: {reason}", style="dim"))
    verdict_style = "bold green" if report.ok else "bold red"
    console.print(Text(report.summary_line(), style=verdict_style))


def render_text(report: Report, width: int = 120) -> str:
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=width, color_system=None, highlight=False))
    return buffer.getvalue()
