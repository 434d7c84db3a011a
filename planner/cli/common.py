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

SPEC_SUFFIXES = (".yaml", ".yml")


def expand_specs(paths: tuple[str, ...] | list[str]) -> list[str]:
    """Files as given; a folder stands for every spec under it (.yaml/.yml, sorted, hidden folders
    skipped): goals files, rate cards, account snapshots, price files and YAML that is not
    ultraplan's are skipped there with a note on stderr naming the command that takes them. A file
    named on its own that is one of those is a usage error saying so. Each file once, in the order
    given. A folder without specs is a usage error."""
    from ..errors import UsageError
    from ..filekind import FOREIGN, PLAN, SPEC, kind_of

    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _fleet_folder(os.path.join(folder, d)))
                for name in sorted(files):
                    if not name.endswith(SPEC_SUFFIXES):
                        continue
                    file = os.path.join(folder, name)
                    kind = kind_of(file)
                    if kind.kind in (SPEC, PLAN):
                        found.append(file)
                    else:
                        for line in wrap_lines(f"note: skipped {file}: {kind.note}"):
                            click.echo(line, err=True)
            if not found:
                raise UsageError(f"{path}: no .yaml or .yml spec in this folder")
            out += found
        else:
            kind = kind_of(path) if os.path.isfile(path) else None
            if kind is not None and kind.kind not in (SPEC, PLAN, FOREIGN):
                raise UsageError(f"{path} is {kind.note}")
            out.append(path)
    seen: set[str] = set()
    return [p for p in out if not (os.path.abspath(p) in seen or seen.add(os.path.abspath(p)))]


def _fleet_folder(path: str) -> bool:
    """A folder holding a fleet (fleet.yaml with cells): its files are a fleet's, not specs, so a walk
    over specs leaves it out and says so; give the folder on its own to run the fleet."""
    from ..fleet.load import FLEET_FILE, is_fleet

    if not os.path.isfile(os.path.join(path, FLEET_FILE)) or not is_fleet(path):
        return False
    import click

    for line in wrap_lines(f"note: {path} is a fleet: left out of this run of specs (give it on its own: it "
                           "checks its cells)"):
        click.echo(line, err=True)
    return True


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




def load_plan_or_spec(path: str, **compile_kwargs):
    """A Plan (told by its format marker, never by the file's extension) is read as is; anything
    else is a spec, validated and compiled. So a spec saved as JSON gets the verdict it gets in YAML."""
    from ..inputs import is_plan_file

    if is_plan_file(path):
        from ..plan import load_plan

        return load_plan(path)
    import planner

    return planner.plan_file(path, **compile_kwargs)


def check_distinct_outputs(paths: dict[str, str | None]) -> None:
    """Two outputs to one file would leave whichever was written last: a usage error (exit 2).
    Paths are compared after following symlinks."""
    import os

    from ..errors import UsageError

    seen: dict[str, str] = {}
    for option, path in paths.items():
        if not path or path == "-":
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both write {path}: give each output its own file")
        seen[key] = option


def write_output(path: str, text: str, option: str = "--out") -> None:
    """Write an output file atomically (0644 under the usual umask, a symlink's target is replaced);
    a path that cannot be written is a usage error naming the option (exit 2), never a traceback."""
    from ..errors import UsageError
    from ..plan import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
