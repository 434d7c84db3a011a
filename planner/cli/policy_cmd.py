"""`ultraplan policy SPEC` (run the policy pack offline), `ultraplan policy list`, and
`ultraplan policy pulumi-config SPEC` (the spec's policy settings for `pulumi preview --policy-pack-config`).

`policy` is a group whose unknown first argument is taken as the SPEC of `policy run`, so both
`ultraplan policy cluster.yaml` and `ultraplan policy list` work.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import EXIT_INVALID, SpecError, UsageError
from .common import now_option, terminal_width
from .reporting import emit_report, report_options


def load_plan_or_spec(spec: str | None, plan_path: str | None) -> Any:
    """The Plan to check: compiled from SPEC, or read from a Plan JSON (`ultraplan plan --out`, or a
    SPEC that is a Plan by its content, as `ultraplan cost` takes it)."""
    if plan_path:
        from ..plan.model import load_plan

        return load_plan(plan_path)
    if not spec:
        raise UsageError("give a SPEC file, or --plan PLAN.json")
    from .files import load_plan_or_spec as load

    return load(spec)


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
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
              help="Check a Plan JSON (from `ultraplan plan --out`) instead of compiling SPEC.")
@report_options
@now_option()
def run(specs: tuple[str, ...], plan_path: str | None, fmt: str, fail_on: str, reports: dict[str, str | None]) -> None:
    """Run every policy over each SPEC's Plan and report violations (default subcommand). SPEC may be
    several files or a folder: one report, the worst exit code."""
    from policies.report import policy_report

    from ..findings import Level
    from ..run.stages import policies_of
    from ..report.merge import merge
    from ..run import monthly_cost
    from .files import expand_specs

    if plan_path and specs:
        raise UsageError("give SPEC files or --plan PLAN.json, not both")
    from . import fleets

    fleet = fleets.fleet_target(specs)
    if fleet:
        return fleets.check(fleet, fmt, fail_on, reports, cost_step=False, preflight=False, fleet_checks=False,
                               command="policy")
    files = expand_specs(specs) if specs else [None]
    done, invalid = [], []
    for spec in files:
        try:
            plan = load_plan_or_spec(spec, plan_path)
            report = policy_report(policies_of(plan, monthly_cost=monthly_cost), name=plan.name,
                                   fail_on=Level.parse(fail_on))
        except SpecError as exc:
            if len(files) == 1:
                raise
            invalid.append(exc)  # the other specs are still checked; exit 2 at the end
            continue
        report.spec_file = report.spec_file or plan.spec_file or spec
        done.append(report)
    if done:
        report = merge(done, "policy")
        emit_report(report, fmt, reports)
    for exc in invalid:
        click.echo(exc.render_text(terminal_width()), err=True)
    sys.exit(EXIT_INVALID if invalid else report.exit_code)


@policy.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def list_policies(fmt: str) -> None:
    """List the rules: id, kind, default enforcement level, settings and description."""
    from policies import load_rules
    from policies.docs import policies_markdown, policies_text, policy_json

    registry = load_rules()
    if fmt == "json":
        click.echo(json.dumps([policy_json(p) for p in registry], indent=2))
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

    plan = planner.compile_spec(spec)
    resolve(plan.policies, load_rules(), spec_file=plan.spec_file)  # the same errors as `policy SPEC`
    text = json.dumps(pulumi_policy_config(plan.policies), indent=2)
    if out:
        from .files import write_output

        write_output(out, text + "\n")
    else:
        click.echo(text)
