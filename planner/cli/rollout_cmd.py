"""`ultraplan rollout FLEET [--diff OLD]`: the fleet (or a change to it) as ordered waves with a blast radius."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_FINDINGS, UsageError
from .common import now_option
from .files import write_output
from .failure import echo_error


def _versions(items: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "/" not in key or not value.strip().isdigit() or int(value) < 1:
            raise UsageError(f"--current-version {item}: expected CELL/POOL=N (the launch template version running now)")
        out[key.strip()] = int(value)
    return out


@click.command()
@click.argument("fleet", type=click.Path(), metavar="FLEET")
@click.option("--diff", "old", type=click.Path(),
              help="The fleet deployed now (fleet file or folder): roll out only the change from it.")
@click.option("--current-version", "versions", multiple=True, metavar="CELL/POOL=N",
              help="The launch template version a pool runs now (default: the old fleet's pin), so pins are numbers.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github-matrix"]), default="text", show_default=True,
              help="text; json (every wave, unit and pin); github-matrix (strategy.matrix for GitHub Actions).")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the output here (atomically).")
@now_option()
def rollout(fleet: str, old: str | None, versions: tuple[str, ...], fmt: str, out: str | None) -> None:
    """Turn FLEET (or a change to it) into ordered rollout waves with a blast radius.

    With --diff, only the change from OLD to FLEET: cells and stacks in dependency order, the canary
    cell first, at most rollout.max_gpus accelerators and rollout.max_domains NVLink domains changed
    or terminated per wave, stop on the first failure. A launch-template change moves each group's
    pinned template version wave by wave (docs/fleet.md).

    Exit 0; 1 when a single step is larger than one wave may be (named in the output); 2 bad input.
    """
    from ..fleet.rollout import matrix, plan_rollout, text
    from . import fleets

    path = fleets.fleet_target(fleet)
    if path is None:
        raise UsageError(f"{fleet}: not a fleet file (a YAML mapping with `fleet:` and `cells:`) or a folder holding "
                         "fleet.yaml; a single spec has no waves: `ultraplan plan SPEC`")
    before = None
    if old:
        old_path = fleets.fleet_target(old)
        if old_path is None:
            raise UsageError(f"--diff {old}: not a fleet file or folder")
        before = fleets.load(old_path)
    result = plan_rollout(fleets.load(path), before, _versions(versions))
    if fmt == "json":
        body = json.dumps(result.to_json(), indent=1)
    elif fmt == "github-matrix":
        body = json.dumps(matrix(result), separators=(",", ":"))
    else:
        from .common import terminal_width

        body = "\n".join(text(result, terminal_width()))
    if out:
        write_output(out, body + "\n")
    click.echo(body)
    for w in result.over:
        units = ", ".join(u.id for u in w.units)
        echo_error("error: ", f"wave {w.index} changes {w.gpus:,} accelerators / {w.domains:,} domains in one step "
                   f"({units}), over rollout.max_gpus {result.max_gpus:,} / max_domains {result.max_domains:,}: "
                   "split the pool or lower --shard-size so each stack changes less")
    if result.over:
        sys.exit(EXIT_FINDINGS)
