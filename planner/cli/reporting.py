"""The report options every reporting command takes (`--format`, `--fail-on`, and `--<format> FILE`
for each format the registry writes to files: planner.report.FORMATS), and printing a report."""
from __future__ import annotations

import functools
from typing import Any, Callable

import click

from .. import report as reports


def _set_quiet(ctx: Any, param: Any, value: bool) -> bool:
    from .common import set_quiet

    return set_quiet(ctx, param, value)


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --fail-on and one `--<format> FILE` per file format (one run, several formats, for
    CI). The command receives the files as `reports`: {format name: path or None}."""
    formats = reports.file_formats()

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["reports"] = {f.name: kwargs.pop(f"{f.name}_out") for f in formats}
        return func(*args, **kwargs)

    options = [
        click.option("--format", "fmt", type=click.Choice(list(reports.FORMATS)), default="text", show_default=True,
                     help="Report on stdout; machine formats go to stdout, progress to stderr."),
        click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=_set_quiet,
                     help="Text report: leave out info findings (counted in one line)."),
        click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
                     help="Exit 1 when a finding is at this level or above (mandatory policy = error, advisory = warning)."),
    ] + [click.option(f"--{f.name}", f"{f.name}_out", type=click.Path(dir_okay=False), help=f.file_help) for f in formats]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def emit_report(report: Any, fmt: str, files: dict[str, str | None]) -> None:
    """Print the report in `fmt` on stdout and write the extra files (atomically)."""
    from ..report import render
    from .files import check_distinct_outputs, write_output

    check_distinct_outputs({f"--{k}": v for k, v in files.items()})
    for file_fmt, path in files.items():
        if path:
            write_output(path, render(report, file_fmt), f"--{file_fmt}")
    if fmt == "text":
        from ..report import print_text
        from .common import console, quiet

        print_text(report, console(), quiet=quiet())
    else:
        click.echo(render(report, fmt))
