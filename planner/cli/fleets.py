"""The fleet side of every command: a fleet file (or a folder holding fleet.yaml) given to validate,
plan, cost, policy, preflight or check goes through every cell with the same steps as a spec, reported
per cell and for the fleet.

Each command calls `fleet_target(paths)` first and hands a fleet here; a spec takes its usual path,
untouched. The work is the library's (planner.fleet.run, planner.fleet.text); this module prints.
Exit codes are the commands' own: 2 invalid, 1 a gate failed (a cell over a limit, a fabric split,
the fleet budget), 3 unverified, 4 a bug.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import EXIT_FINDINGS, EXIT_INVALID, SpecError, UsageError
from ..findings import Level


def fleet_target(paths: tuple[str, ...] | list[str] | str | None) -> str | None:
    """The fleet file among the command's arguments, or None when they are specs."""
    from ..fleet import fleet_file_of, is_fleet

    if paths is None:
        return None
    items = [paths] if isinstance(paths, str) else list(paths)
    fleets = [p for p in items if p and is_fleet(p)]
    if not fleets:
        return None
    if len(items) > 1:
        raise UsageError(f"{fleets[0]} is a fleet: give it alone (one fleet per run; its cells are its specs)")
    return fleet_file_of(fleets[0])


def load(path: str, **kwargs: Any):
    from ..fleet import load_fleet, plan_fleet

    return plan_fleet(load_fleet(path), **kwargs)


def _echo(lines: list[str]) -> None:
    """Lines fit the terminal (80 columns in a pipe or CI log): a long one wraps under its own indent."""
    import textwrap

    from .common import terminal_width

    width = terminal_width()
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        click.echo(textwrap.fill(line, width=width, subsequent_indent=indent, break_on_hyphens=False,
                                 break_long_words=False) if len(line) > width else line)


def validate(path: str, fmt: str) -> None:
    from ..fleet.text import validate_json, validate_text
    from .common import terminal_width

    try:
        fleet = load(path)
    except SpecError as exc:
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "fleet": path, "issues": [i.to_json() for i in exc.issues]}, indent=1))
        else:
            click.echo(exc.render_text(terminal_width()), err=True)
        sys.exit(EXIT_INVALID)
    if fmt == "json":
        click.echo(json.dumps(validate_json(path, fleet), indent=1))
    else:
        _echo(validate_text(path, fleet))


def plan(path: str, fmt: str, out: str | None, shard_size: int) -> None:
    """Per cell its stacks and summary, then the fleet's totals; `--out DIR` writes plan-<cell>.json."""
    import os

    from ..fleet.text import plan_json, plan_text
    from .files import write_output

    fleet = load(path, shard_size=shard_size)
    if out:
        if os.path.exists(out) and not os.path.isdir(out):
            raise UsageError(f"--out {out}: a fleet writes one Plan per cell: give a folder")
        os.makedirs(out, exist_ok=True)
        for cp in fleet.cells:
            write_output(os.path.join(out, f"plan-{cp.name}.json"), cp.plan.dumps())
    if fmt == "json":
        click.echo(json.dumps(plan_json(fleet), indent=1, default=str))
        return
    _echo(plan_text(fleet) + ([f"{len(fleet.cells)} Plans written to {out}/plan-<cell>.json"] if out else []))


def cost(path: str, fmt: str, prices: Any = None, rates: Any = None, now: Any = None) -> None:
    from ..fleet.check import fleet_cost
    from ..fleet.text import cost_json, cost_text, estimates, over_budget

    fleet = load(path)
    est = estimates(fleet, prices, rates, now)
    total = fleet_cost(fleet, est)
    if fmt == "json":
        click.echo(json.dumps(cost_json(fleet, est, total), indent=1, default=str))
    else:
        _echo(cost_text(fleet, est, total))
    if over_budget(est, total):
        raise SystemExit(EXIT_FINDINGS)


def check(path: str, fmt: str, fail_on: str, reports: dict[str, str | None], *, policy: bool = True,
          cost_step: bool = True, preflight: bool = True, fleet_checks: bool = True, command: str = "check") -> None:
    """Every cell through cost, policy and preflight (against its own snapshot), its limits checked;
    then the fleet's own checks (fabrics, the fleet budget). One report, one exit code."""
    from ..fleet.run import check_fleet_run
    from .reporting import emit_report

    result = check_fleet_run(path, Level.parse(fail_on), policy=policy, cost=cost_step, preflight=preflight,
                             fleet_checks=fleet_checks, command=command)
    emit_report(result.report, fmt, reports)
    if result.exit_override == EXIT_INVALID:
        click.echo("error: the fleet file or a cell's spec is invalid (see the report above)", err=True)
    sys.exit(result.exit_code)
