"""`ultraplan rules`: the spec rules (every condition a spec must meet), from the registry."""
from __future__ import annotations

import json

import click

from .common import terminal_width


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the spec rules: id, level, whether a spec may skip it, and what it checks."""
    from ..spec.rules import load_rules
    from ..spec.rules.docs import rule_json, rules_markdown, rules_text

    registry = load_rules()
    if fmt == "json":
        click.echo(json.dumps([rule_json(r) for r in registry], indent=2))
    elif fmt == "markdown":
        click.echo(rules_markdown(registry), nl=False)
    else:
        click.echo(rules_text(registry, terminal_width()))
