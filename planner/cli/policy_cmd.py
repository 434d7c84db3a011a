"""`ultraplan policy SPEC` (run the policy pack offline), `ultraplan policy list`, and
`ultraplan policy pulumi-config SPEC` (the spec's policy settings for `pulumi preview --policy-pack-config`).

`policy` is a group whose unknown first argument is taken as the SPEC of `policy run`, so both
`ultraplan policy cluster.yaml` and `ultraplan policy list` work.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Callable

import click

from ..errors import EXIT_INVALID, SpecError, UsageError
from .common import now_option, terminal_width

REPORT_FORMATS = ["text", "json", "sarif", "junit", "markdown"]


# -- shared with `check` ------------------------------------------------------------------------
def _set_quiet(ctx: Any, param: Any, value: bool) -> bool:
    from .common import set_quiet

    return set_quiet(ctx, param, value)


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --fail-on and the extra report files (one run, several formats, for CI)."""
    options = [
        click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True,
                     help="Report on stdout; machine formats go to stdout, progress to stderr."),
        click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
                     help="Exit 1 when a finding is at this level or above (mandatory policy = error, advisory = warning)."),
        click.option("--sarif", "sarif_out", type=click.Path(dir_okay=False), help="Also write SARIF 2.1.0 here."),
        click.option("--junit", "junit_out", type=click.Path(dir_okay=False), help="Also write JUnit XML here."),
        click.option("--markdown", "markdown_out", type=click.Path(dir_okay=False),
                     help="Also write Markdown here (e.g. $GITHUB_STEP_SUMMARY)."),
        click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the JSON report here."),
        click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=_set_quiet,
                     help="Text report: leave out info findings (counted in one line)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def emit_report(report: Any, fmt: str, files: dict[str, str | None]) -> None:
    """Print the report in `fmt` on stdout and write the extra files (atomically)."""
    from ..report import render
    from .common import check_distinct_outputs, write_output

    check_distinct_outputs({f"--{k}": v for k, v in files.items()})
    for file_fmt, path in files.items():
        if path:
            write_output(path, render(report, file_fmt), f"--{file_fmt}")
    if fmt == "text":
        from ..report import print_text
        from .common import console, quiet

        print_text(report, console(), quiet=quiet())
    else:
        click.echo(render(report, fmt))


def load_plan_or_spec(spec: str | None, plan_file: str | None) -> Any:
    """The Plan to check: compiled from SPEC, or read from a Plan JSON (`ultraplan plan --out`, or a
    SPEC that is a Plan by its content, as `ultraplan cost` takes it)."""
    if plan_file:
        from ..plan import load_plan

        return load_plan(plan_file)
    if not spec:
        raise UsageError("give a SPEC file, or --plan PLAN.json")
    from .common import load_plan_or_spec as load

    return load(spec)


def monthly_cost(plan: Any) -> float:
    """The cost module's run-rate estimate, handed to the policy runner (rules never import cost)."""
    from .. import cost

    return cost.estimate(plan).monthly_usd


# -- the group ----------------------------------------------------------------------------------
class SpecDefaultGroup(click.Group):
    """A group that runs `default_command` when the first argument is not one of its commands."""

    default_command = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=SpecDefaultGroup)
def policy() -> None:
    """Run the policy pack on a spec offline (`policy SPEC`), or list its rules (`policy list`).

    The same rules run inside `pulumi preview --policy-pack policies`. Exit codes: 0 no violation at
    --fail-on or above; 1 violations; 2 invalid spec or policy settings.
    """


@policy.command("run")
@click.argument("specs", nargs=-1, type=click.Path(), metavar="[SPEC|FOLDER]...")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="Check a Plan JSON (from `ultraplan plan --out`) instead of compiling SPEC.")
@report_options
@now_option()
def run(specs: tuple[str, ...], plan_file: str | None, fmt: str, fail_on: str, sarif_out: str | None,
        junit_out: str | None, markdown_out: str | None, json_out: str | None) -> None:
    """Run every policy over each SPEC's Plan and report violations (default subcommand). SPEC may be
    several files or a folder: one report, the worst exit code."""
    from policies.report import policy_report
    from policies.runner import run_policies

    from ..findings import Level
    from ..report.merge import merge
    from .common import expand_specs

    if plan_file and specs:
        raise UsageError("give SPEC files or --plan PLAN.json, not both")
    from . import fleet_cmd

    fleet = fleet_cmd.fleet_target(specs)
    if fleet:
        return fleet_cmd.check(fleet, fmt, fail_on, {"sarif": sarif_out, "junit": junit_out, "markdown": markdown_out,
                                                     "json": json_out}, cost_step=False, preflight=False,
                               fleet_checks=False, command="policy")
    files = expand_specs(specs) if specs else [None]
    reports, invalid = [], []
    for spec in files:
        try:
            plan = load_plan_or_spec(spec, plan_file)
            report = policy_report(run_policies(plan, monthly_cost=monthly_cost), name=plan.name,
                                   fail_on=Level.parse(fail_on))
        except SpecError as exc:
            if len(files) == 1:
                raise
            invalid.append(exc)  # the other specs are still checked; exit 2 at the end
            continue
        report.spec_file = report.spec_file or plan.spec_file or spec
        reports.append(report)
    if reports:
        report = merge(reports, "policy")
        emit_report(report, fmt, {"sarif": sarif_out, "junit": junit_out, "markdown": markdown_out, "json": json_out})
    for exc in invalid:
        click.echo(exc.render_text(terminal_width()), err=True)
    sys.exit(EXIT_INVALID if invalid else report.exit_code)


@policy.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def list_policies(fmt: str) -> None:
    """List the rules: id, kind, default enforcement level, settings and description."""
    from policies import load_rules

    registry = load_rules()
    if fmt == "json":
        click.echo(json.dumps([_policy_json(p) for p in registry], indent=2))
    elif fmt == "markdown":
        click.echo(policies_markdown(registry))
    else:
        click.echo(policies_text(registry, terminal_width()))


@policy.command("pulumi-config")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Write the JSON here instead of stdout.")
def pulumi_config(spec: str, out: str | None) -> None:
    """Print SPEC's `policies` settings as a `pulumi preview --policy-pack-config` file (skips disabled)."""
    import planner
    from policies import load_rules
    from policies.config import pulumi_policy_config, resolve

    plan = planner.plan_file(spec)
    resolve(plan.policies, load_rules(), spec_file=plan.spec_file)  # the same errors as `policy SPEC`
    text = json.dumps(pulumi_policy_config(plan.policies), indent=2)
    if out:
        from .common import write_output

        write_output(out, text + "\n")
    else:
        click.echo(text)


def policies_text(registry: Any, width: int) -> str:
    """id, level and kind on one line, the description (and settings) wrapped under it to `width`."""
    import textwrap

    idw = max(len(p.id) for p in registry)
    out = [f"{'policy':<{idw}}  {'level':<9}  kind"]
    for p in registry:
        settings = ", ".join((p.config_schema or {}).get("properties", {}))
        text = p.description + (f" [settings: {settings}]" if settings else "")
        out.append(f"{p.id:<{idw}}  {p.level:<9}  {p.kind}")
        out += textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)
    return "\n".join(out)


def _policy_json(p: Any) -> dict[str, Any]:
    return {"id": p.id, "kind": p.kind, "level": p.level, "severity": p.severity, "description": p.description,
            "remediation": p.remediation, "doc": p.doc, "resource_types": list(p.resource_types),
            "config_schema": p.config_schema, "tags": list(p.tags)}


def policies_markdown(registry: Any) -> str:
    """The rule reference of docs/policies.md, generated from the registry."""
    lines = ["| policy | level | kind | what it checks |", "|---|---|---|---|"]
    lines += [f"| `{p.id}` | {p.level} | {p.kind} | {p.description} |" for p in registry]
    for p in registry:
        lines += ["", f"### `{p.id}`", "", f"*{p.level}, {p.kind} rule, severity {p.severity}*", "", p.doc, "",
                  f"**Remediation:** {p.remediation}"]
        if p.resource_types:
            lines += ["", "Resource types: " + ", ".join(f"`{t}`" for t in p.resource_types)]
        props = (p.config_schema or {}).get("properties", {})
        if props:
            lines += ["", "Settings (`policies.config." + p.id + "`):", ""]
            for key, schema in props.items():
                default = f" (default `{json.dumps(schema['default'])}`)" if "default" in schema else ""
                lines.append(f"- `{key}` ({schema.get('type')}){default}: {schema.get('description', '')}")
    return "\n".join(lines) + "\n"
