"""`ultraplan schema`: the JSON Schema of the spec, for editors and CI."""
from __future__ import annotations

import json

import click

from .files import write_output


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema here instead of stdout.")
@click.option("--fleet", "fleet", is_flag=True, help="The schema of a fleet file instead (docs/fleet.md).")
def schema(out: str | None, fleet: bool = False) -> None:
    """Print the JSON Schema of the spec, for editors (yaml-language-server) and CI: the catalog's
    instance types and UltraServers as completions, descriptions on every field.

    Use it with `# yaml-language-server: $schema=cluster.schema.json` at the top of a spec."""
    from ..spec.schema import spec_schema

    if fleet:
        from ..fleet.schema import fleet_schema

        text = json.dumps(fleet_schema(), indent=2)
    else:
        text = json.dumps(spec_schema(), indent=2)
    if out:
        write_output(out, text + "\n")
    else:
        click.echo(text)
