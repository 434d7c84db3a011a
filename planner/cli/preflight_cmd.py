"""`ultraplan preflight SPEC`: read-only checks of a spec against an AWS account or a snapshot."""
from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_INTERNAL, EXIT_UNVERIFIED, UsageError
from .common import format_option, now_option
from .failure import echo_error

def load_plan_or_spec(path: str):
    """A spec is compiled; a Plan (by its format marker, not its extension) is read as is."""
    from .files import load_plan_or_spec as load

    return load(path)


def _progress(fmt: str):
    def say(message: str) -> None:
        from .common import wrap_lines

        for line in wrap_lines(f"preflight {message}"):  # a CI log is 80 columns: progress too
            click.echo(line, err=True)

    return say


def _explain(launch_dry_run: bool) -> None:
    from ..preflight.live import permissions_policy

    click.echo(json.dumps(permissions_policy(launch_dry_run), indent=2))


@click.command()
@click.argument("spec", required=False, type=click.Path(), metavar="[SPEC|FLEET]")
@click.option("--account", "snapshot", type=click.Path(dir_okay=False),
              help="Run against an account snapshot (from `ultraplan account snapshot`) instead of AWS; "
                   "needs no credentials.")
@format_option()
@click.option("--launch-dry-run", is_flag=True,
              help="Also call RunInstances with DryRun=true for every pool (live accounts only).")
@click.option("--region", help="Region to check (default: the spec's region).")
@click.option("--skip", "skips", multiple=True, metavar="ID=REASON",
              help="Skip a check by id, with a reason (echoed in the report). Repeatable.")
@click.option("--accept-unverified", "accepts", multiple=True, metavar="ID=REASON",
              help="Accept that check ID could not verify (still reported as unverified, never as passed; "
                   "no exit 3 for it). Repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=120.0, show_default=True,
              help="Overall deadline in seconds for the AWS calls; checks left when it passes are unverified.")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]), default="error", show_default=True,
              help="Exit 1 when a finding at this level or worse exists.")
@click.option("--explain-permissions", is_flag=True,
              help="Print the IAM policy document preflight needs (with --launch-dry-run: also RunInstances) and exit.")
@now_option()
def preflight(spec: str | None, snapshot: str | None, fmt: str, launch_dry_run: bool, region: str | None,
              skips: tuple[str, ...], accepts: tuple[str, ...], timeout: float, fail_on: str,
              explain_permissions: bool) -> None:
    """Check SPEC against an AWS account, read-only: zones, offerings, EFA limits, vCPU and VPC
    quotas, reservations and capacity blocks, subnets.

    Every check ends passed, failed, skipped or unverified (it could not run: access denied,
    throttled past retries, an unreadable answer, the deadline; the AWS operation is named).
    Exit 0 all checks passed; 1 a finding at --fail-on or worse; 2 a bad spec or option; 3 a check
    could not verify and was not accepted (--accept-unverified); 4 an internal error. Progress goes
    to stderr. Uses the default AWS credential chain (AWS_PROFILE, AWS_ENDPOINT_URL, ...).
    """
    from ..findings import Level, parse_accepts
    from ..preflight import REGISTRY, live_account, load_snapshot, run

    if explain_permissions:
        _explain(launch_dry_run)
        return
    if not spec:
        raise UsageError("give a SPEC file (or --explain-permissions)")
    skip = parse_accepts(skips, REGISTRY.ids(), "--skip")
    accept = parse_accepts(accepts, REGISTRY.ids())
    from . import fleets

    fleet = fleets.fleet_target(spec)
    if fleet:
        if snapshot or region or launch_dry_run or skip or accept:
            raise UsageError("a fleet is preflighted cell by cell against each cell's account_snapshot: drop "
                             "--account, --region, --launch-dry-run, --skip and --accept-unverified")
        return fleets.check(fleet, fmt if fmt in ("text", "json") else "text", fail_on,
                               {}, policy=False, cost_step=False, command="preflight")

    plan = load_plan_or_spec(spec)
    if region:
        from ..spec.load import known_regions

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
        account = live_account(plan.region, timeout=timeout)
    # Progress only when AWS is asked (a snapshot run takes milliseconds).
    result = run(plan, account, launch_dry_run=launch_dry_run, progress=None if snapshot else _progress(fmt),
                 skip=skip, accept=accept)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=1))
    else:
        from ..preflight.text import print_result
        from .common import console, paste

        print_result(result, plan, console(), fail_on, paste)
    code = result.exit_code(Level.parse(fail_on))
    if code == EXIT_UNVERIFIED:
        kinds = sorted({f.unverified.error for f in result.findings if f.unverified is not None})
        if result.unreachable:
            reasons = sorted({f.reason for f in account.failures})
            echo_error("error: ", f"AWS could not be reached: {'; '.join(reasons)}")
        echo_error("error: ", f"{len(result.unaccepted())} check(s) could not verify ({', '.join(kinds)}); "
                   "see the unverified findings above")
    elif code == EXIT_INTERNAL:
        echo_error("error: ", f"internal error in {', '.join(result.internal_errors)}: this is a bug in ultraplan; "
                   "please report it with the command line and `ultraplan --version`")
    if code:
        sys.exit(code)
