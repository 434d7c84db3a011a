"""How a command that fails says so on stderr: an error wrapped to the terminal, and an internal
error (a bug: exit 4) with what to put in the report."""
from __future__ import annotations

import sys

import click

from ..errors import EXIT_INTERNAL

ISSUES_URL = "https://github.com/ultraplan/ultraplan/issues"

# Lines a person pastes into a shell: printed whole, never wrapped (a wrapped command runs as two).
_PASTE = ("python3 -m pip ", "pip ", "aws ", "ultraplan ", "pulumi ")


def echo_error(prefix: str, message: str) -> None:
    """An error on stderr, wrapped to the terminal (80 columns in a pipe or CI log), each wrapped
    line indented under its start; a command to paste, or a path longer than a line, stays whole
    on its own line."""
    import textwrap

    from .common import terminal_width

    width = terminal_width()
    for i, line in enumerate(message.splitlines() or [""]):
        text = (prefix if i == 0 else "") + line
        if line.lstrip().startswith(_PASTE) or len(text) <= width:
            click.echo(text, err=True)
            continue
        # A path longer than a line stands whole on its own line: cut, it could not be copied.
        for part in textwrap.wrap(text, width, subsequent_indent="    ", break_on_hyphens=False,
                                  break_long_words=False):
            click.echo(part, err=True)


def show_click_error(exc: click.ClickException) -> None:
    """A bad command line as click says it (usage, the help hint, the error), the error wrapped like
    every other error line (click prints it on one line, however long the path in it)."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.\n"
        click.echo(f"{ctx.get_usage()}\n{hint}", err=True, color=ctx.color)
    echo_error("Error: ", exc.format_message())


def internal_error(exc: BaseException, argv: list[str] | None) -> None:
    """Exit 4 with a message that says this is a bug and what to put in the report."""
    import os
    import shlex
    import traceback
    from importlib import metadata

    try:
        version = metadata.version("ultraplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        version = "unknown"
    args = sys.argv[1:] if argv is None else argv
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {os.path.basename(frame.filename)}:{frame.lineno}" if frame else ""
    echo_error("internal error: ", f"{type(exc).__name__}: {exc}{where}")
    echo_error("", f"This is a bug in ultraplan {version}, not a verdict on your spec. Please report it at {ISSUES_URL} "
                   f"with the command line (ultraplan {shlex.join(args)}), the version and this message; "
                   "set ULTRAPLAN_DEBUG=1 to print the traceback.")
    if os.environ.get("ULTRAPLAN_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    sys.exit(EXIT_INTERNAL)
