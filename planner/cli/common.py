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


spec_argument = click.argument("spec", type=click.Path(dir_okay=False))


def set_color(mode: str) -> None:
    global _color
    _color = mode


def color_mode() -> str:
    return _color


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
