"""Options and helpers shared by the commands."""
from __future__ import annotations

import click

FORMAT_CHOICES = ["text", "json"]


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
