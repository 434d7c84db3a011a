"""A preflight result for a person: one block a finding, worst first, then every check's status
and the verdict, printed on the rich console the caller passes (the CLI's, at the terminal's width)."""
from __future__ import annotations

from typing import Any, Callable

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_result(result: Any, plan: Any, console: Any, fail_on: str = "error",
                 paste: Callable[[Any, str], None] | None = None) -> None:
    """One block a finding, worst first: level (or UNVERIFIED with the AWS operation), check id,
    pool and spec line, message, hint; then every check's status and the verdict."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    from ..findings import Level
    from ..report.text import is_command

    paste = paste or (lambda c, command: c.print(command, soft_wrap=True, markup=False, highlight=False))
    console.print(f"[bold]preflight[/bold] {escape(plan.name)} ({result.region}) against {escape(result.account)}: "
                  f"{len(result.checks)} checks, {result.calls} AWS calls")
    for f in sorted(result.findings, key=lambda f: (f.unverified is not None, -f.level)):
        level = "unverified" if f.unverified is not None else f.level.name.lower()
        style = "bold magenta" if f.unverified is not None else LEVEL_STYLE[level]
        where = f.source.file or ""
        if f.source.line:
            where += f":{f.source.line}"
        pool = f" pool {escape(f.pool)}" if f.pool else ""
        console.print(f"[{style}]{level:7}[/] [bold]{f.check_id}[/bold]{pool} [dim]{escape(where)}[/dim]")
        console.print(Padding(Text(f.message), (0, 0, 0, 8), expand=False))  # wrapped lines keep the indent
        if f.unverified is not None and f.unverified.operation:
            console.print(f"        [dim]operation {escape(f.unverified.operation)}: {escape(f.unverified.error)}[/dim]")
        if f.hint and is_command(f.hint):
            console.print("        [dim]→ run:[/dim]")
            paste(console, f.hint)  # alone and unwrapped, so pasting it runs one command
        elif f.hint:
            console.print(Padding(Text(f"→ {f.hint}", style="dim"), (0, 0, 0, 8), expand=False))
    for check_id, reason in result.skipped.items():
        console.print(f"[dim]skipped {check_id}: {escape(reason)}[/dim]")
    for check_id in result.unverified():
        if check_id in result.accepted:
            console.print(f"[dim]accepted unverified {check_id}: {escape(result.accepted[check_id])}[/dim]")
    counts = result.to_json()["summary"]
    code = result.exit_code(Level.parse(fail_on))
    verdict = {0: "[bold green]PASS[/]", 1: "[bold red]FAIL[/]", 3: "[bold magenta]UNVERIFIED[/]",
               4: "[bold red]ERROR[/]"}[code]
    passed = sum(1 for st in result.statuses().values() if st.value == "passed")
    console.print(f"{verdict}: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} info; "
                  f"{passed} checks passed, {counts['unverified']} unverified")
