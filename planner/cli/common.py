"""Options and helpers shared by the commands: formats, the terminal's width and colour.

Human output fits the terminal (80 columns when it is not a terminal, e.g. a CI log) and wraps
prose; a command the user must paste is printed on its own line and never wrapped (`paste`).
Colour: `--color auto|always|never` on the root group; `auto` follows the terminal and NO_COLOR.
"""
from __future__ import annotations

import os
import shutil
from typing import Any

import click

FORMAT_CHOICES = ["text", "json"]
COLOR_CHOICES = ["auto", "always", "never"]
DEFAULT_WIDTH = 80

_color = "auto"


def format_option(choices: list[str] | None = None):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices or FORMAT_CHOICES),
        default="text",
        show_default=True,
        help="Output format; machine formats go to stdout, progress to stderr.",
    )


NOW_HELP = ("The planning clock: an ISO 8601 date or date-time in UTC (2026-12-06, 2026-12-06T09:30:00Z). "
            "Default: the ULTRAPLAN_NOW environment variable, else the system clock. Capacity Blocks are planned "
            "for this moment (docs/clock.md).")


def now_option(help_text: str = NOW_HELP, expose: bool = False):
    """`--now`: the command runs with the planning clock set (planner.clock.using) until it ends.
    With `expose`, the command also receives the moment (an aware UTC datetime, or None)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        from .. import clock
        from ..errors import UsageError

        try:
            moment = clock.parse(value, "--now")
        except UsageError as exc:
            raise click.BadParameter(str(exc).partition(": ")[2] or str(exc)) from None
        ctx.with_resource(clock.using(moment, "--now"))
        return moment

    return click.option("--now", "now", metavar="DATE[TIME]", callback=callback, expose_value=expose,
                        help=help_text)


spec_argument = click.argument("spec", type=click.Path(dir_okay=False))
specs_argument = click.argument("specs", nargs=-1, required=True, type=click.Path(), metavar="SPEC|FOLDER...")

# Worst first, as one report ranks them (planner.report.model): invalid input stops a run; a real
# finding is a verdict whatever else could not be checked; then a bug; then could-not-verify.
_EXIT_RANK = {2: 5, 1: 4, 4: 3, 3: 2, 0: 0}


def worst_exit(codes: list[int]) -> int:
    """One exit code for several specs: the worst, ranked 2, 1, 4, 3, 0."""
    return max(codes, key=lambda c: _EXIT_RANK.get(c, 1), default=0)


_quiet = False


def set_quiet(ctx: Any, _param: Any, value: bool) -> bool:
    """--quiet: the text report leaves out info findings (and says how many)."""
    global _quiet
    _quiet = bool(value)
    return value


def quiet() -> bool:
    return _quiet


def wrap_lines(text: str, indent: int = 4) -> list[str]:
    """`text` wrapped to the terminal width, lines after the first indented (stderr progress lines)."""
    import textwrap

    width = terminal_width()
    lines = textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False,
                          break_long_words=False) or [""]
    out = []
    for line in lines:  # a word (a path) longer than a line is cut, the rest indented below it
        while len(line) > width:
            out.append(line[:width])
            line = " " * indent + line[width:]
        out.append(line)
    return out


def set_color(mode: str) -> None:
    global _color
    _color = mode


def color_mode() -> str:
    return _color


def use_color(stderr: bool = False) -> bool:
    """Whether human output gets colour: --color always, or auto on a terminal without NO_COLOR."""
    import sys

    if _color == "always":
        return True
    if _color == "never" or os.environ.get("NO_COLOR"):
        return False
    return (sys.stderr if stderr else sys.stdout).isatty()


def terminal_width() -> int:
    """COLUMNS when set, else the terminal's width, else 80 (pipes and CI logs)."""
    return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def console(stderr: bool = False, **kwargs: Any):
    """A rich Console of the terminal's width that honours --color and NO_COLOR."""
    from rich.console import Console

    options: dict[str, Any] = {"highlight": False, "width": terminal_width(), "stderr": stderr}
    if _color == "never":
        options.update(no_color=True, color_system=None)
    elif _color == "always":
        options.update(force_terminal=True, no_color=False)
        if os.environ.get("NO_COLOR"):
            # rich reads NO_COLOR itself; an explicit --color always wins over the environment.
            options["_environ"] = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    options.update(kwargs)
    return Console(**options)


def paste(console_: Any, command: str) -> None:
    """A command to copy into a shell: alone on its line, never wrapped or cropped, whatever the width."""
    console_.print(command, soft_wrap=True, markup=False, highlight=False, style="bold" if _color != "never" else None)
