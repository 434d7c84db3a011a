"""`ultraplan check SPEC`: validate + plan + cost + policy (+ preflight) in one run, one report, one exit code.

Meant for CI: `ultraplan check cluster.yaml --sarif ultraplan.sarif --junit ultraplan.xml`.
Exit codes: 0 nothing at or above --fail-on; 1 the gate failed (a mandatory policy violation, a
preflight error, the budget exceeded); 2 the spec, its policy settings or the command line is
invalid (the report still lists the spec problems); 3 AWS could not be reached for preflight.
The run itself is the library's (planner.run.check); this module parses options and prints.
"""
from __future__ import annotations

import sys

import click

from ..errors import EXIT_INVALID, UltraplanError, UsageError
from ..findings import Level
from .common import now_option
from .reporting import emit_report, report_options
from .failure import echo_error


@click.command()
@click.argument("specs", nargs=-1, type=click.Path(), metavar="[SPEC|FOLDER]...")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
              help="Check a Plan JSON (from `ultraplan plan --out`, possibly edited) instead of compiling SPEC.")
@click.option("--account", "account_file", type=click.Path(dir_okay=False),
              help="Run preflight against an account snapshot (`ultraplan account snapshot`).")
@click.option("--preflight", "live", is_flag=True, help="Run preflight against the live account (read-only; needs credentials).")
@click.option("--launch-dry-run", is_flag=True, help="With preflight: also dry-run one launch per pool.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False),
              help="Also write the HTML report here (as `ultraplan report`: topology, cost chart, findings).")
@click.option("--diff", "old", type=click.Path(dir_okay=False),
              help="The Plan JSON deployed now: fail when the change destroys data or terminates running capacity "
                   "that the spec's changes.allow_replace does not allow; its subnets keep their CIDRs.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=None,
              help="With --preflight: overall deadline in seconds (default 120); what is left then is unverified.")
@click.option("--accept-unverified", "accepts", multiple=True, metavar="ID=REASON",
              help="Accept that check ID could not verify (it is still reported as unverified, never as "
                   "passed, but does not exit 3). Repeatable.")
@click.option("--shard-size", type=click.IntRange(1, 100_000), default=None,
              help="Most resources in one compute stack, as `plan --shard-size` (default 500): the policies and "
                   "the diff gate see the stacks `pulumi up` will.")
@report_options
@now_option()
def check(specs: tuple[str, ...], plan_path: str | None, account_file: str | None, live: bool, launch_dry_run: bool,
          html_out: str | None, old: str | None, timeout: float | None, accepts: tuple[str, ...],
          shard_size: int | None, fmt: str, fail_on: str, reports: dict[str, str | None]) -> None:
    """Validate, plan, price, policy-check (and preflight) SPEC in one run: one report, one exit code.

    SPEC may be several files or a folder (every .yaml/.yml under it): one report for all of them,
    the worst exit code. Exit 0 when nothing reaches --fail-on; 1 a gate failed (mandatory policy
    violation, preflight error, budget over, with --diff a change that destroys data or terminates
    running capacity not allowed by changes.allow_replace); 2 invalid spec, settings or options; 3 a
    preflight check could not verify (denied, throttled, unreachable, deadline) and was not accepted;
    4 an internal error (a bug).
    """
    from .. import run as library
    from ..findings import parse_accepts
    from ..report.merge import merge
    from .common import worst_exit
    from .files import expand_specs
    from .files import check_distinct_outputs

    accept = parse_accepts(accepts, library.accept_ids())
    check_distinct_outputs({**{f"--{k}": v for k, v in reports.items()}, "--html": html_out})  # before any work or any write
    from . import fleets

    fleet = fleets.fleet_target(specs)
    if fleet:
        if plan_path or account_file or live or old or html_out or launch_dry_run:
            raise UsageError("a fleet is checked cell by cell against each cell's account_snapshot: drop --plan, "
                             "--account, --preflight, --diff, --html and --launch-dry-run")
        return fleets.check(fleet, fmt, fail_on, reports)
    files: list[str | None] = list(expand_specs(specs)) if specs else [None]
    if plan_path and specs:
        raise UsageError("give SPEC files or --plan PLAN.json, not both")
    if html_out and len(files) > 1:
        raise UsageError("--html writes the report of one spec: give one SPEC, or run `ultraplan report` on each")
    try:
        snapshot = library.load_account(account_file)
    except UltraplanError as exc:  # the reports still say why the run stopped
        emit_report(library.stopped(files[0], Level.parse(fail_on), "preflight", exc).report, fmt, reports)
        echo_error("error: ", f"{exc}")
        sys.exit(exc.exit_code)
    before = None
    if old:
        from ..plan.model import load_plan

        if len(files) > 1:
            raise UsageError("--diff compares one cluster with its deployed Plan: give one SPEC (or --plan)")
        before = load_plan(old)  # a bad file stops the run before any work (exit 2)
    progress = (lambda msg: click.echo(msg, err=True)) if live else None
    results = []
    for spec in files:
        result = library.check(spec, plan_path=plan_path, previous=before, diff_against=old, account=snapshot,
                               account_asked=bool(account_file), live=live, launch_dry_run=launch_dry_run,
                               timeout=timeout, accept=accept, fail_on=Level.parse(fail_on), progress=progress,
                               shard_size=shard_size)
        if html_out:
            from ..run.pages import write_pages

            write_pages(result, html_out=html_out)
        results.append(result)
    emit_report(merge([r.report for r in results], "check"), fmt, reports)
    code = worst_exit([r.exit_code for r in results])
    messages = [r.input_message for r in results if r.input_message]
    for message in messages:
        echo_error("error: ", f"{message}")
    if code == EXIT_INVALID and not messages:
        click.echo("error: the spec or its policy settings are invalid (see the report above)", err=True)
    sys.exit(code)
