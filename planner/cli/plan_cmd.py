"""`ultraplan validate`, `ultraplan plan` and `ultraplan schema`."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_FINDINGS, EXIT_INVALID, SpecError, UsageError
from .common import format_option, now_option, spec_argument, specs_argument, write_output


def _console():
    from .common import console

    return console(soft_wrap=False)


@click.command()
@specs_argument
@format_option()
@now_option()
def validate(specs: tuple[str, ...], fmt: str) -> None:
    """Run every check that needs only the spec and the catalog (no AWS, no Pulumi).

    The spec's fields and meaning, whether its pools fit their subnets and VPC, its policy
    settings and its dates against the budget term: the same checks `plan`, `cost`, `policy` and
    `check` run first, so they never reject a spec this accepts. A region without prices is a
    warning. SPEC may be several files or a folder (every .yaml/.yml under it). Exit 0 when all
    are valid; 2 with every problem of every spec (field path, YAML line, what would be right).
    """
    from ..pipeline import validate as run_validate
    from . import fleet_cmd
    from .common import expand_specs, terminal_width

    fleet = fleet_cmd.fleet_target(specs)
    if fleet:
        return fleet_cmd.validate(fleet, fmt)
    files = expand_specs(specs)
    results = []
    for path in files:
        try:
            result = run_validate(path)
            results.append((path, result.doc, [], result.warnings))
        except SpecError as exc:
            results.append((path, None, exc.issues, []))
    invalid = [r for r in results if r[1] is None]
    if fmt == "json":
        click.echo(json.dumps(_validate_json(results), indent=1))
    else:
        from rich.text import Text

        from .common import console

        out, err = console(), console(stderr=True)
        for path, doc, issues, warnings in results:
            if doc is not None:
                s = doc.spec
                for w in warnings:
                    where = f"{w.source.file}:{w.source.line}: " if w.source.file and w.source.line else ""
                    _print_hanging(err, Text.assemble(("warning", "yellow"), f": {where}{w.message}"
                                                      + (f" ({w.hint})" if w.hint else "")))
                _print_hanging(out, Text.assemble(("ok", "green"), f": {path}"))
                _print_hanging(out, Text(f"    cluster '{s.name}' in {s.region}, {len(s.compute)} pool(s)"))
            else:
                click.echo(SpecError(issues).render_text(terminal_width()), err=True)
        if len(files) > 1:
            click.echo(f"{len(files)} specs: {len(files) - len(invalid)} valid, {len(invalid)} invalid",
                       err=bool(invalid))
    if invalid:
        sys.exit(EXIT_INVALID)


def _print_hanging(con, text) -> None:
    """One message wrapped to the console width, lines after the first indented under it."""
    from rich.text import Text

    lines = text.wrap(con, con.width, overflow="fold")
    if len(lines) > 1:
        rest = text[len(lines[0].plain):]
        lines = list(lines)[:1] + list(rest.wrap(con, max(20, con.width - 4), overflow="fold"))
    for i, line in enumerate(lines):
        con.print(line if i == 0 else Text("    ") + line, soft_wrap=True)


def _validate_json(results: list) -> dict:
    specs = [{"file": path, "valid": doc is not None, "issues": [i.to_json() for i in issues],
              "warnings": [w.to_json() for w in warnings],
              **({"name": doc.spec.name, "pools": len(doc.spec.compute)} if doc is not None else {})}
             for path, doc, issues, warnings in results]
    out = {"valid": all(s["valid"] for s in specs), "issues": [i for s in specs for i in s["issues"]],
           "warnings": [w for s in specs for w in s["warnings"]]}
    if len(specs) == 1:
        out.update({k: v for k, v in specs[0].items() if k in ("name", "pools")})
    out["specs"] = specs
    return out


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
    from ..plan import load_plan
    from . import fleet_cmd

    fleet = fleet_cmd.fleet_target(spec)
    if fleet:
        if old or previous or expect_no_changes:
            raise UsageError("--diff/--previous/--expect-no-changes compare one Plan: give one cell's spec, or use "
                             "`ultraplan rollout FLEET --diff OLD` for a fleet")
        return fleet_cmd.plan(fleet, fmt, out, shard_size)
    if expect_no_changes and not old:
        raise UsageError("--expect-no-changes compares against a Plan: give --diff OLD.json")
    if old and previous and old != previous:
        raise UsageError("--diff and --previous name two different Plans; --diff alone also keeps the addresses")
    before = load_plan(old or previous) if (old or previous) else None
    result = planner.plan_file(spec, shard_size=shard_size, previous=before)
    changes, moves = None, []
    if old:
        from ..diff import diff
        from ..moves import state_moves

        changes = diff(before, result)
        moves = state_moves(changes, result.name)
    if out:
        write_output(out, result.dumps())
    _render(result, fmt, changes, moves, old, expand, out)
    if expect_no_changes and changes:
        click.echo(f"error: {len(changes)} change(s) against {old}; --expect-no-changes wants none", err=True)
        sys.exit(EXIT_FINDINGS)


def _render(result, fmt: str, changes, moves, old: str | None, expand: bool, out: str | None) -> None:
    if fmt in ("json", "markdown") and changes is not None:
        from ..diffreport import diff_json, diff_markdown

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
        from ..diffreport import plan_markdown

        click.echo(plan_markdown(result))
        return
    from ..preview import diff_tree, move_commands, notes_view, plan_tree, pools_table, summary_table

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


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema here instead of stdout.")
@click.option("--fleet", "fleet", is_flag=True, help="The schema of a fleet file instead (docs/fleet.md).")
def schema(out: str | None, fleet: bool = False) -> None:
    """Print the JSON Schema of the spec, for editors (yaml-language-server) and CI: the catalog's
    instance types and UltraServers as completions, descriptions on every field.

    Use it with `# yaml-language-server: $schema=cluster.schema.json` at the top of a spec."""
    from ..schema import spec_schema

    if fleet:
        from ..fleet.schema import fleet_schema

        text = json.dumps(fleet_schema(), indent=2)
    else:
        text = json.dumps(spec_schema(), indent=2)
    if out:
        write_output(out, text + "\n")
    else:
        click.echo(text)
