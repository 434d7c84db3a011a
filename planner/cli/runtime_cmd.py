"""`ultraplan runtime SPEC --out DIR`: the scheduler topology of a Plan (planner/runtime/topology.py)."""
from __future__ import annotations

import json
import os

import click

from ..errors import UsageError
from .common import format_option
from .files import write_output

FILES = ("topology.yaml", "kueue-topology.yaml")


@click.command("runtime")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for topology.yaml (Slurm) and kueue-topology.yaml (Kubernetes); created if missing.")
@format_option()
def runtime(spec: str, out_dir: str, fmt: str) -> None:
    """Write what a scheduler needs to place jobs inside NVLink domains: a Slurm topology.yaml
    (topology/block, one block per UltraServer, named with the hostnames the nodes set at boot) and
    a Kueue Topology with a ResourceFlavor per UltraServer pool (the node labels the nodes publish).

    SPEC may also be a Plan JSON. See docs/runtime.md. Exit 2 for an invalid spec or an --out that
    cannot be written.
    """
    from ..runtime.topology import kueue_topology, slurm_topology, summary
    from .files import load_plan_or_spec

    plan = load_plan_or_spec(spec)
    try:
        texts = {FILES[0]: slurm_topology(plan), FILES[1]: kueue_topology(plan)}
    except ValueError as exc:  # a hand-made Plan whose UltraServer groups lack their domain tag
        raise UsageError(f"{spec}: {exc}") from None
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError(f"--out {out_dir}: not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: cannot create ({exc.strerror or exc})") from None
    for name, text in texts.items():
        write_output(os.path.join(out_dir, name), text)
    pools = summary(plan)
    if fmt == "json":
        click.echo(json.dumps({"cluster": plan.name, "files": [os.path.join(out_dir, n) for n in FILES],
                               "pools": pools}, indent=1))
        return
    for name in FILES:  # a path alone on its line, never wrapped
        click.echo(f"wrote {os.path.join(out_dir, name)}")
    for p in pools:
        click.echo(f"  {p['pool']}: {p['blocks']} blocks of {p['block_size']} nodes, one per UltraServer")
        click.echo(f"    first {p['first']}")
    if not pools:
        click.echo("  no UltraServer pools: a flat Slurm topology, no Kueue Topology")
