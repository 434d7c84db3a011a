"""`ultraplan preflight SPEC`: read-only checks of a spec against an AWS account or a snapshot."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_FINDINGS, EXIT_SERVICE, UsageError
from .common import format_option, spec_argument

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def load_plan_or_spec(path: str):
    """A spec (YAML) is compiled; a Plan JSON written by `ultraplan plan --out` is read as is."""
    if path.endswith(".json"):
        from ..plan import load_plan

        return load_plan(path)
    import planner

    return planner.plan_file(path)


def _progress(fmt: str):
    def say(message: str) -> None:
        click.echo(f"preflight {message}", err=True)

    return say


def render_text(result, plan, fail_on: str = "error") -> None:
    """One block a finding, worst first: level, check id, pool and spec line, message, hint."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    from ..report.text import is_command
    from .common import console as make_console, paste

    console = make_console()
    console.print(f"[bold]preflight[/bold] {escape(plan.name)} ({result.region}) against {escape(result.account)}: "
                  f"{len(result.checks)} checks, {result.calls} AWS calls")
    for f in sorted(result.findings, key=lambda f: -f.level):
        level = f.level.name.lower()
        where = f.source.file or ""
        if f.source.line:
            where += f":{f.source.line}"
        pool = f" pool {escape(f.pool)}" if f.pool else ""
        console.print(f"[{LEVEL_STYLE[level]}]{level:7}[/] [bold]{f.check_id}[/bold]{pool} [dim]{escape(where)}[/dim]")
        console.print(Padding(Text(f.message), (0, 0, 0, 8), expand=False))  # wrapped lines keep the indent
        if f.hint and is_command(f.hint):
            console.print("        [dim]→ run:[/dim]")
            paste(console, f.hint)  # alone and unwrapped, so pasting it runs one command
        elif f.hint:
            console.print(Padding(Text(f"→ {f.hint}", style="dim"), (0, 0, 0, 8), expand=False))
    for check_id, reason in result.skipped.items():
        console.print(f"[dim]skipped {check_id}: {escape(reason)}[/dim]")
    counts = result.to_json()["summary"]
    from ..findings import Level

    failed = result.worst is not None and result.worst >= Level.parse(fail_on)
    verdict = "[bold red]FAIL[/]" if failed else "[bold green]PASS[/]"
    console.print(f"{verdict}: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} info")


@click.command()
@spec_argument
@click.option("--account", "snapshot", type=click.Path(dir_okay=False),
              help="Run against an account snapshot (from `ultraplan account snapshot`) instead of AWS; "
                   "needs no credentials.")
@format_option()
@click.option("--launch-dry-run", is_flag=True,
              help="Also call RunInstances with DryRun=true for every pool (live accounts only).")
@click.option("--region", help="Region to check (default: the spec's region).")
@click.option("--skip", "skips", multiple=True, metavar="ID=REASON",
              help="Skip a check by id, with a reason (echoed in the report). Repeatable.")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]), default="error", show_default=True,
              help="Exit 1 when a finding at this level or worse exists.")
def preflight(spec: str, snapshot: str | None, fmt: str, launch_dry_run: bool, region: str | None,
              skips: tuple[str, ...], fail_on: str) -> None:
    """Check SPEC against an AWS account, read-only: zones, offerings, EFA limits, vCPU and VPC
    quotas, reservations and capacity blocks, subnets.

    Exit 0 when no check found an error; 1 when one did; 2 for a bad spec or option; 3 when AWS
    could not be reached at all. Progress goes to stderr. Uses the default AWS credential chain
    (AWS_PROFILE, AWS_ENDPOINT_URL, ...).
    """
    from ..findings import Level
    from ..preflight import REGISTRY, live_account, load_snapshot, run

    skip = {}
    for item in skips:
        check_id, _, reason = item.partition("=")
        if REGISTRY.get(check_id) is None:
            import difflib

            close = difflib.get_close_matches(check_id, REGISTRY.ids(), n=1)
            raise UsageError(f"--skip {check_id}: no such check" + (f" (did you mean {close[0]}?)" if close else ""))
        if not reason.strip():
            raise UsageError(f"--skip {check_id}: give a reason (--skip {check_id}=why)")
        skip[check_id] = reason.strip()

    plan = load_plan_or_spec(spec)
    if region:
        from ..validate import known_regions

        if region not in known_regions():
            import difflib

            close = difflib.get_close_matches(region, list(known_regions()), n=1)
            raise UsageError(f"--region {region}: not an AWS region" + (f" (did you mean {close[0]}?)" if close else ""))
        plan.region = region
    if snapshot:
        if launch_dry_run:
            raise UsageError("--launch-dry-run needs a live account; drop --account")
        account = load_snapshot(snapshot)
        if account.region != plan.region:
            raise UsageError(f"{snapshot} is a snapshot of {account.region}; the spec is in {plan.region} "
                             f"(take one with `ultraplan account snapshot --region {plan.region}`)")
    else:
        account = live_account(plan.region)
    # Progress only when AWS is asked (a snapshot run takes milliseconds).
    result = run(plan, account, launch_dry_run=launch_dry_run, progress=None if snapshot else _progress(fmt),
                 skip=skip)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=1))
    else:
        render_text(result, plan, fail_on)
    if result.unreachable:
        reasons = sorted({f.reason for f in account.failures})
        click.echo(f"error: AWS could not be reached: {'; '.join(reasons)}", err=True)
        sys.exit(EXIT_SERVICE)
    if result.worst is not None and result.worst >= Level.parse(fail_on):
        sys.exit(EXIT_FINDINGS)
