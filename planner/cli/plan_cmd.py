"""`ultraplan plan`: compile a spec into a Plan, preview it, diff it against the deployed one."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_FINDINGS, UsageError
from .common import format_option, now_option
from .files import write_output
from .failure import echo_error


def _console():
    from .common import console

    return console(soft_wrap=False)


@click.command()
@click.argument("spec", type=click.Path(), metavar="SPEC|FLEET")
@format_option(["text", "json", "markdown"])
@click.option("--out", type=click.Path(), help="Write the Plan JSON here (atomically); for a fleet, a folder of plan-<cell>.json.")
@click.option("--diff", "old", type=click.Path(dir_okay=False),
              help="Show changes against an earlier Plan JSON (the one deployed); its subnets keep their CIDRs.")
@click.option("--previous", type=click.Path(dir_okay=False),
              help="The Plan deployed now, without showing a diff: its subnets keep their CIDRs while their pools fit.")
@click.option("--expect-no-changes", is_flag=True,
              help="With --diff: exit 1 if anything would change (a drift gate, like `pulumi preview --expect-no-changes`).")
@click.option("--shard-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Most resources in one compute stack.")
@click.option("--expand", is_flag=True, help="List every resource instead of collapsing long runs.")
@now_option()
def plan(spec: str, fmt: str, out: str | None, old: str | None, previous: str | None, expect_no_changes: bool,
         shard_size: int, expand: bool) -> None:
    """Compile SPEC into a Plan: Pulumi stacks of resources, previewed like `pulumi preview`.

    Text output shows the stack tree and a summary; `--format json` prints the Plan (or, with
    --diff, the changes: totals by class, each change with its cause, `pulumi state move` commands).
    Exit 0, or 1 with --expect-no-changes when something changes.
    """
    import planner
    from ..plan.model import load_plan
    from . import fleets

    fleet = fleets.fleet_target(spec)
    if fleet:
        if old or previous or expect_no_changes:
            raise UsageError("--diff/--previous/--expect-no-changes compare one Plan: give one cell's spec, or use "
                             "`ultraplan rollout FLEET --diff OLD` for a fleet")
        return fleets.plan(fleet, fmt, out, shard_size)
    if expect_no_changes and not old:
        raise UsageError("--expect-no-changes compares against a Plan: give --diff OLD.json")
    if old and previous and old != previous:
        raise UsageError("--diff and --previous name two different Plans; --diff alone also keeps the addresses")
    before = load_plan(old or previous) if (old or previous) else None
    result = planner.compile_spec(spec, shard_size=shard_size, previous=before)
    changes, moves = None, []
    if old:
        from ..change.diff import diff
        from ..change.moves import state_moves

        changes = diff(before, result)
        moves = state_moves(changes, result.name)
    if out:
        write_output(out, result.dumps())
    _render(result, fmt, changes, moves, old, expand, out)
    if expect_no_changes and changes:
        echo_error("error: ", f"{len(changes)} change(s) against {old}; --expect-no-changes wants none")
        sys.exit(EXIT_FINDINGS)


def _render(result, fmt: str, changes, moves, old: str | None, expand: bool, out: str | None) -> None:
    if fmt in ("json", "markdown") and changes is not None:
        from ..change.report import diff_json, diff_markdown

        address_notes = [n for n in result.notes if n.get("topic") == "addresses"]
        if fmt == "json":
            click.echo(json.dumps(diff_json(result.name, changes, moves, against=old, notes=address_notes), indent=1, default=str))
        else:
            click.echo(diff_markdown(result.name, changes, moves, against=old))
        return
    if fmt == "json":
        click.echo(result.dumps())
        return
    if fmt == "markdown":  # without --diff: the summary and the stacks
        from ..change.report import plan_markdown

        click.echo(plan_markdown(result))
        return
    from ..plan.preview import diff_tree, move_commands, notes_view, plan_tree, pools_table, summary_table

    console = _console()
    if changes is not None:
        console.print(diff_tree(changes, title=f"Changes to {result.name} against {old}", moves=moves))
        for command in move_commands(moves):
            console.print(command, soft_wrap=True, markup=False)
    else:
        console.print(plan_tree(result, expand=expand))
    console.print()
    console.print(pools_table(result))
    console.print(summary_table(result))
    notes = notes_view(result)
    if notes is not None:
        console.print()
        console.print(notes)
    if out:
        console.print(f"\nPlan written to {out}")
