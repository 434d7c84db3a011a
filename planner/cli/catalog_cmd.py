"""`ultraplan catalog ...`: maintain the bundled catalog (today: refresh prices from AWS)."""
from __future__ import annotations

import datetime as dt

import click

from ..errors import UsageError
from .common import wrap_lines


@click.group("catalog")
def catalog() -> None:
    """Inspect and refresh the bundled catalog (instance facts, prices)."""


@catalog.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_catalog(fmt: str) -> None:
    """The instance types, UltraServers and zones the catalog knows (what a spec may name)."""
    import json
    import textwrap

    from ..catalog import load_catalog
    from ..catalog import describe
    from .common import terminal_width

    cat = load_catalog()
    types = sorted(cat.instance_types.values(), key=lambda t: (t.accelerator is None, t.name))
    ultras = sorted(cat.ultraservers.values(), key=lambda u: u.name)
    zones: dict[str, list[str]] = {}
    for u in ultras:
        for zone in u.zones or ():
            zones.setdefault(zone, []).append(u.name)
    if fmt == "json":
        click.echo(json.dumps({
            "instance_types": [{"name": t.name, "description": describe.instance(t), "vcpus": t.vcpus,
                                "accelerator": describe.accelerators(t), "efa": describe.efa(t),
                                "source": t.source, "as_of": t.as_of} for t in types],
            "ultraservers": [{"name": u.name, "description": describe.ultraserver(u, cat), "member": u.member,
                              "instances": u.instances, "zones": list(u.zones) if u.zones else None,
                              "source": u.source, "as_of": u.as_of} for u in ultras],
            "zones": [{"zone": z, "ultraservers": names} for z, names in sorted(zones.items())]}, indent=1))
        return
    width = terminal_width()
    out: list[str] = []

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        out.append(title)
        name_w = max(len(name) for name, _ in rows) + 2
        for name, text in rows:
            wrapped = textwrap.wrap(text, max(20, width - name_w - 2), break_on_hyphens=False)
            out.append(f"  {name:<{name_w}}{wrapped[0]}")
            out.extend(" " * (name_w + 2) + more for more in wrapped[1:])
        out.append("")

    section(f"Instance types ({len(types)}): instance_type, count in instances",
            [(t.name, describe.instance(t)) for t in types])
    section(f"UltraServers ({len(ultras)}): ultraserver, count in UltraServers",
            [(u.name, describe.ultraserver(u, cat)) for u in ultras])
    section("Zones the catalog ties types to (other types: any zone that offers them, see preflight)",
            [(z, "UltraServers: " + ", ".join(names)) for z, names in sorted(zones.items())])
    out.append(f"Catalog as of {cat.as_of}; sources: EC2 DescribeInstanceTypes, the EC2 and EKS user guides "
               "(per entry: --format json).")
    click.echo("\n".join(textwrap.fill(line, width) if not line.startswith(" ") else line for line in out))


@catalog.command("refresh")
@click.option("--prices", "do_prices", is_flag=True,
              help="Refresh prices from the AWS Price List API: instance on-demand rates and every other item "
                   "the cost model prices (EBS gp3, FSx for Lustre tiers, NAT gateway, interface endpoints, public IPv4).")
@click.option("--region", required=True, help="Region whose prices to fetch, e.g. us-east-1.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="File to write (must not exist); default prices/<region>.<date>.yaml in the current "
                   "directory. Never inside the installed package.")
@click.option("--instance-type", "instance_types", multiple=True,
              help="Only these instance types (repeatable). With --instance-type and no --item, no other item is fetched.")
@click.option("--item", "items", multiple=True,
              help="Only these non-instance items (repeatable), e.g. fsx-lustre:PERSISTENT_2:250, nat-gateway. "
                   "With --item and no --instance-type, no instance type is fetched.")
def refresh(do_prices: bool, region: str, out: str | None, instance_types: tuple[str, ...],
            items: tuple[str, ...]) -> None:
    """Write a NEW dated price file from the AWS Price List API (pricing.get_products, read-only);
    existing prices are never edited. Prints the file's path on stdout and what changed on stderr.
    Needs AWS credentials allowed to call pricing:GetProducts. Exits 3 when AWS cannot be reached, or
    when some items could not be fetched (the others are written first)."""
    if not do_prices:
        raise UsageError("nothing to refresh: pass --prices")
    from ..catalog import load_catalog
    from ..catalog.prices import load_prices
    from ..catalog.refresh import default_path, fetch_all, make_client, write_new
    from ..catalog.refresh_products import ITEMS, NOT_FETCHED
    from ..errors import ServiceError

    for item in items:
        if item not in ITEMS:
            import difflib

            why = f" (not fetched: {NOT_FETCHED[item]})" if item in NOT_FETCHED else ""
            near = difflib.get_close_matches(item, ITEMS, n=1)
            raise UsageError(f"--item {item}: not an item refresh fetches{why}; "
                             + (f"did you mean {near[0]}? " if near else "") + "(the items: docs/cost.md, Refreshing prices)")
    today = dt.date.today()  # the day AWS was asked (the prices' as_of), not the planning clock
    types = list(instance_types) or ([] if items else sorted(load_catalog().instance_types))
    wanted = list(items) if items else ([] if instance_types else None)
    result = fetch_all(make_client(), region, types, wanted, today=today, current=load_prices())
    path = write_new(result, out or default_path(region, today))
    lines = [f"{len(result.items)} price(s) for {region} written to {path}; use it with "
             f"`budget: {{prices: [{path}]}}` in the spec (relative to the spec) or `--prices {path}`"]
    lines += [f"  {change}" for change in result.changes]
    if result.missing:
        lines.append(f"  no Price List rate for: {', '.join(result.missing)} (catalog entries kept)")
    if wanted is None:
        lines += [f"  not fetched: {item}: {why}" for item, why in NOT_FETCHED.items()]
    lines += [f"  could not fetch {item}: {why}" for item, why in result.failed.items()]
    if result.failed:
        lines.append("  the other prices are written; run the refresh again with --item / --instance-type "
                     "for the rest")
    for line in lines:  # within the terminal's width, continuations indented under their start
        for part in wrap_lines(line, indent=4 + len(line) - len(line.lstrip())):
            click.echo(part, err=True)
    click.echo(path)
    if result.failed:  # the reasons are listed above, within the terminal's width
        raise ServiceError(f"{len(result.failed)} item(s) could not be fetched from the Price List API")
