"""`ultraplan solve GOALS --out SPEC`: the cheapest (or largest) purchase plan that meets the goals."""
from __future__ import annotations

import json
import click

from ..errors import EXIT_FINDINGS
from .common import format_option, now_option
from .failure import echo_error


@click.command("solve")
@click.argument("goals", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(),
              help="Where to write the produced spec; with goals cells, the folder of the produced fleet.")
@format_option()
@click.option("--time-limit", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
              help="Seconds HiGHS may search; the gap to the best bound is reported when the limit is hit.")
@click.option("--no-explain", is_flag=True, help="Skip the re-solves that measure what relaxing each binding constraint buys.")
@now_option()
def solve(goals: str, out: str, fmt: str, time_limit: float, no_explain: bool) -> None:
    """Find the mix of UltraServers, instances, capacity blocks, reservations, on-demand and savings
    plans, bought when, that meets GOALS' GPU ramp at the lowest cost (or gives the most GPU-hours
    within the budget), within quotas and zones; write it to --out as a phased spec.

    Exits 1 when the goals are infeasible (naming the constraint and the smallest change that fixes
    it), 2 for an invalid goals file. See docs/solve.md.
    """
    from .. import clock
    from ..solve import Infeasible, load_goals
    from ..solve import solve as run
    from ..solve.spec_out import write_text
    from ..solve.text import solution_json, solution_text

    doc = load_goals(goals)
    import os

    if doc.goals.cells and os.path.exists(out) and not os.path.isdir(out):
        from ..errors import UsageError

        raise UsageError(f"--out {out}: goals with cells write a fleet (fleet.yaml and cells/*.yaml): give a folder")
    if not doc.goals.cells and os.path.isdir(out):
        from ..errors import UsageError

        raise UsageError(f"--out {out} is a folder: give the spec file to write")
    try:
        sol = run(doc, out_path=out, time_limit=time_limit, today=clock.today(), explain=not no_explain,
                  progress=_progress)
    except Infeasible as exc:
        if fmt == "json":
            click.echo(json.dumps({"status": "infeasible", "problems": exc.problems}, indent=1))
        else:
            lines = [f"infeasible: the goals in {goals} cannot all be met"]
            for p in exc.problems:
                lines += [f"  {p['constraint']}: {p['message']}", f"    fix: {p['fix']}"]
            click.echo(_wrap(lines))
            for p in exc.problems:  # a command to paste: alone on its line, never wrapped
                if p.get("command"):
                    click.echo(p["command"])
        raise SystemExit(EXIT_FINDINGS)
    if sol.fleet:  # already written, cell by cell, then priced back and checked from the files
        click.echo(solution_json(sol, out) if fmt == "json" else _wrap(solution_text(sol, out).split("\n")))
        if sol.fleet["check_errors"]:
            echo_error("error: ", f"the written fleet fails its check: {sol.fleet['check_errors'][0]['message']}")
            raise SystemExit(EXIT_FINDINGS)
        return
    write_text(out, sol.spec_text)
    click.echo(solution_json(sol, out) if fmt == "json" else _wrap(solution_text(sol, out).split("\n")))


def _progress(message: str) -> None:
    """Progress on stderr (stdout stays the result), wrapped to the terminal like the rest."""
    from .common import wrap_lines

    for line in wrap_lines(f"solve: {message}"):
        click.echo(line, err=True)


def _wrap(lines: list[str]) -> str:
    """Fit the terminal (80 columns in a pipe or CI log): long lines wrap under their own indent."""
    import textwrap

    from .common import terminal_width

    width = terminal_width()
    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out.append(textwrap.fill(line, width=width, subsequent_indent=indent, break_on_hyphens=False,
                                 break_long_words=False) if len(line) > width else line)
    return "\n".join(out)
