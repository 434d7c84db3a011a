"""`ultraplan account snapshot`: capture, read-only, everything preflight reads into a JSON file."""
from __future__ import annotations

import json

import click

from ..errors import ServiceError, UsageError
from .common import format_option, now_option


@click.group()
def account() -> None:
    """Work with AWS account data preflight reads."""


@account.command()
@click.option("--region", help="Region to capture (default: the --spec's region).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Write the snapshot JSON here.")
@click.option("--spec", "specs", multiple=True, type=click.Path(dir_okay=False),
              help="Also capture what this spec needs (its types, AMIs, VPC, reservation groups, capacity block "
                   "offerings). Repeatable.")
@click.option("--note", default="", help="Free text stored in the snapshot.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=120.0, show_default=True,
              help="Overall deadline in seconds; questions left when it passes are stored as failed (deadline).")
@format_option()
@now_option()
def snapshot(region: str | None, out: str, specs: tuple[str, ...], note: str, timeout: float, fmt: str) -> None:
    """Capture zones, offerings, instance facts, quotas, reservations, capacity blocks, VPCs,
    subnets and counts of one region (read-only calls only) for `ultraplan preflight --account`.

    Exit 3 when AWS could not be reached at all (nothing is written).
    """
    from ..preflight import capture, live_account, save_snapshot
    from .files import load_plan_or_spec

    plans = [load_plan_or_spec(s) for s in specs]
    region = region or (plans[0].region if plans else None)
    if not region:
        raise UsageError("give --region (or --spec, whose region is used)")
    for spec, plan in zip(specs, plans):
        if plan.region != region:
            raise UsageError(f"--spec {spec} is in {plan.region}, not {region}")
    acc = live_account(region, timeout=timeout)
    doc = capture(acc, plans, progress=lambda m: click.echo(f"snapshot {m}", err=True), note=note)
    failures = acc.failures
    if failures and acc.calls <= len(failures) and all(f.kind == "unreachable" for f in failures):
        raise ServiceError(f"AWS could not be reached: {failures[0].reason}")
    try:
        save_snapshot(doc, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror})") from None
    summary = {"out": out, "region": region, "calls": acc.calls, "failed": len(failures),
               "failures": sorted({f"{f.operation}: {f.reason}" for f in failures})}
    if fmt == "json":
        click.echo(json.dumps(summary, indent=1))
    else:
        click.echo(f"wrote {out}: {region}, {acc.calls} AWS calls, {len(failures)} refused")
        for line in summary["failures"]:
            click.echo(f"  could not capture {line}", err=True)
