"""`ultraplan validate SPEC...`: every check that needs only the spec and the catalog."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_INVALID, SpecError
from .common import format_option, now_option, specs_argument


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
    from ..run.stages import validate as run_validate
    from .common import terminal_width
    from . import fleets
    from .files import expand_specs

    fleet = fleets.fleet_target(specs)
    if fleet:
        return fleets.validate(fleet, fmt)
    files = expand_specs(specs)
    results = []
    for path in files:
        try:
            result = run_validate(path)
            results.append((path, result.doc, [], result.warnings, result.skipped))
        except SpecError as exc:
            results.append((path, None, exc.issues, [], {}))
    invalid = [r for r in results if r[1] is None]
    if fmt == "json":
        click.echo(json.dumps(_validate_json(results), indent=1))
    else:
        from rich.text import Text

        from .common import console

        out, err = console(), console(stderr=True)
        for path, doc, issues, warnings, skipped in results:
            if doc is not None:
                s = doc.spec
                for w in warnings:
                    where = f"{w.source.file}:{w.source.line}: " if w.source.file and w.source.line else ""
                    _print_hanging(err, Text.assemble(("warning", "yellow"), f": {where}{w.message}"
                                                      + (f" ({w.hint})" if w.hint else "")))
                for rule_id, reason in skipped.items():  # a skip is echoed, never silent
                    click.echo(f"skipped: {rule_id}: {reason}", err=True)
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
              **({"name": doc.spec.name, "pools": len(doc.spec.compute)} if doc is not None else {}),
              **({"skipped": skipped} if skipped else {})}
             for path, doc, issues, warnings, skipped in results]
    out = {"valid": all(s["valid"] for s in specs), "issues": [i for s in specs for i in s["issues"]],
           "warnings": [w for s in specs for w in s["warnings"]]}
    if len(specs) == 1:
        out.update({k: v for k, v in specs[0].items() if k in ("name", "pools")})
    out["specs"] = specs
    return out
