"""`ultraplan catalog ...`: maintain the bundled catalog (today: refresh prices from AWS)."""
from __future__ import annotations

import datetime as dt

import click

from ..errors import UsageError


@click.group("catalog")
def catalog() -> None:
    """Inspect and refresh the bundled catalog (instance facts, prices)."""


@catalog.command("refresh")
@click.option("--prices", "do_prices", is_flag=True, help="Refresh on-demand instance prices from the AWS Price List API.")
@click.option("--region", required=True, help="Region whose prices to fetch, e.g. us-east-1.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="File to write (must not exist); default planner/catalog/prices/<region>.<date>.yaml.")
@click.option("--instance-type", "instance_types", multiple=True,
              help="Only these types (repeatable); default: every instance type in the catalog.")
def refresh(do_prices: bool, region: str, out: str | None, instance_types: tuple[str, ...]) -> None:
    """Write a NEW dated price file from the AWS Price List API (pricing.get_products, read-only);
    existing prices are never edited. Prints the file's path on stdout and what changed on stderr.
    Needs AWS credentials allowed to call pricing:GetProducts; exits 3 when AWS cannot be reached."""
    if not do_prices:
        raise UsageError("nothing to refresh: pass --prices")
    from ..catalog import load_catalog
    from ..catalog.prices import load_prices
    from ..catalog.refresh import default_path, fetch_on_demand, make_client, write_new

    today = dt.date.today()
    types = list(instance_types) or sorted(load_catalog().instance_types)
    result = fetch_on_demand(make_client(), region, types, today=today, current=load_prices())
    path = write_new(result, out or default_path(region, today))
    click.echo(f"{len(result.items)} on-demand price(s) for {region} written to {path}", err=True)
    for change in result.changes:
        click.echo(f"  {change}", err=True)
    if result.missing:
        click.echo(f"  no Price List rate for: {', '.join(result.missing)} (catalog entries kept)", err=True)
    click.echo(path)
