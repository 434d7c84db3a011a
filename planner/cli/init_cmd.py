"""`ultraplan init`: write a starter spec (asks, or takes flags) that validates and passes `check`."""
from __future__ import annotations

import datetime as dt
import os
import sys

import click

from ..errors import UsageError

CAPACITY = ["on-demand", "spot", "capacity-reservation", "capacity-block"]
SCHEMA_FILE = "cluster.schema.json"


@click.command("init")
@click.option("--out", default="cluster.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Spec file to write (never overwritten without --force).")
@click.option("--name", help="Cluster name (DNS-safe). Default: the file name.")
@click.option("--region", help="AWS Region. Default: us-east-1.")
@click.option("--zone", help="Availability Zone name or ID. Default: the first zone of the Region that offers the type.")
@click.option("--instance-type", help="EC2 instance type of the GPU pool. Default: p5.48xlarge.")
@click.option("--count", type=click.IntRange(1), help="Instances in the GPU pool. Default: 2.")
@click.option("--capacity", type=click.Choice(CAPACITY), help="How the GPU pool's capacity is bought. Default: on-demand.")
@click.option("--ami", help="AMI id of the GPU pool; needed for types with no default image (Trainium).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask: take the defaults for what no flag gives.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def init(out: str, name: str | None, region: str | None, zone: str | None, instance_type: str | None,
         count: int | None, capacity: str | None, ami: str | None, yes: bool, force: bool) -> None:
    """Write a starter spec: one GPU pool and a head node, with the schema line for editors
    (yaml-language-server) and the schema file beside it. Asks for Region, zone, GPU type, count and
    capacity type on a terminal (or takes them as flags); the spec it writes validates and passes
    `ultraplan check`. Exit 2 when a value is not valid (nothing is written then)."""
    from .. import clock
    from ..catalog import load_catalog
    from ..catalog.zones import region_zones

    if os.path.exists(out) and not force:
        raise UsageError(f"{out} exists; choose another --out or pass --force")
    ask = not yes and _interactive()
    catalog = load_catalog()
    gpu_types = sorted(n for n, t in catalog.instance_types.items() if t.accelerator is not None)

    def value(given, prompt, default, **kw):
        if given is not None:
            return given
        return click.prompt(prompt, default=default, **kw) if ask else default

    region = value(region, "Region", "us-east-1")
    instance_type = value(instance_type, "GPU instance type", "p5.48xlarge", type=click.Choice(gpu_types))
    if instance_type not in catalog.instance_types:
        import difflib

        close = difflib.get_close_matches(instance_type, gpu_types, n=3)
        raise UsageError(f"--instance-type {instance_type}: not in the catalog"
                         + (f"; did you mean {' or '.join(close)}?" if close else f" (one of {', '.join(gpu_types)})"))
    known = region_zones(region)
    offering = list(known.accelerated.get(instance_type, ())) if known else []
    if known and not offering:
        raise UsageError(f"--instance-type {instance_type}: no zone of {region} offers it in the catalog "
                         f"(planner/catalog/zones.yaml); try another Region or type")
    from ..catalog import default_image

    if default_image(catalog.instance_types[instance_type]) is None and not ami:
        ami = value(None, f"AMI id for {instance_type} (no default image with its drivers)", None)
        if not ami:
            raise UsageError(f"{instance_type} has no default image ultraplan can vouch for: give --ami ami-... "
                             "(an image with the accelerator's drivers and EFA)")
    zone = value(zone, f"Availability Zone (name or ID; {instance_type} in: {', '.join(offering) or 'unknown'})",
                 offering[0] if offering else f"{region}a")
    count = value(count, "Instances in the GPU pool", 2, type=click.IntRange(1))
    capacity = value(capacity, "Capacity type", "on-demand", type=click.Choice(CAPACITY))
    name = name or _dns_name(os.path.splitext(os.path.basename(out))[0])
    text = starter_spec(name=name, region=region, zone=zone, instance_type=instance_type, count=count,
                        capacity=capacity, today=clock.today(), ami=ami)

    from ..errors import SpecError
    from ..spec.load import parse_spec

    try:
        parse_spec(text, out)  # never write a spec that does not validate
    except SpecError as exc:
        from .common import terminal_width

        raise UsageError("the starter spec would not validate:\n" + exc.render_text(terminal_width())) from None
    from .files import write_output

    folder = os.path.dirname(os.path.abspath(out))
    schema_path = os.path.join(folder, SCHEMA_FILE)
    if not os.path.exists(schema_path):
        import json

        from ..spec.schema import spec_schema

        write_output(schema_path, json.dumps(spec_schema(), indent=2) + "\n")
    write_output(out, text)
    click.echo(f"wrote {out} ({instance_type} x{count}, {capacity}, {zone}); next: ultraplan check {out}", err=True)
    click.echo(out)


def _interactive() -> bool:
    """Ask only a person at a terminal; in a pipe or CI take the defaults."""
    return sys.stdin.isatty()


def _dns_name(text: str) -> str:
    import re

    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40] or "cluster"
    return name if name[0].isalpha() else f"c-{name}"[:40]


def starter_spec(*, name: str, region: str, zone: str, instance_type: str, count: int, capacity: str,
                 today: dt.date, ami: str | None = None) -> str:
    """The starter spec's text: pure (tests call it), `today` passed in for a capacity block's start."""
    cap = {
        "on-demand": "",
        "spot": "    capacity: {type: spot}\n",
        "capacity-reservation": ("    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}"
                                 "  # your reservation's id\n"),
        # A block not bought yet: preflight looks up offerings; it starts four weeks out (AWS sells
        # blocks up to 8 weeks ahead) and runs 14 days.
        "capacity-block": (f"    capacity: {{type: capacity-block, planned: true, start: {today + dt.timedelta(days=28)}, "
                           "days: 14}\n"),
    }[capacity]
    return f"""# yaml-language-server: $schema={SCHEMA_FILE}
# A starter spec written by `ultraplan init`. Check it with `ultraplan check`.
# Fields: README.md "The spec"; capacity types: docs/capacity.md.
name: {name}
region: {region}
availability_zone: {zone}
tags: {{team: my-team, cost-center: "0000"}}   # every resource carries these
network:
  vpc_cidr: 10.0.0.0/16
compute:
  - name: gpu
    instance_type: {instance_type}
    count: {count}
{f"    ami: {ami}{chr(10)}" if ami else ""}{cap}  - name: head
    instance_type: m7i.4xlarge
    count: 1
"""
