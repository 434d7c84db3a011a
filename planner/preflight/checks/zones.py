"""Region and zones: every zone the plan names exists, is available and is opted in."""
from __future__ import annotations

from typing import Any, Iterable

from ...findings import Finding, Level
from ..account import AccountError
from ..context import Context
from .registry import check


def _named_zones(ctx: Context) -> Iterable[tuple[str, bool | None, dict[str, Any] | None, str]]:
    """(zone, is_id, pool, what) for every pool zone and every subnet zone of the plan."""
    for pool in ctx.pools:
        if pool.get("availability_zone"):
            yield pool["availability_zone"], pool.get("availability_zone_is_id"), pool, f"pool {pool['name']}"
    for subnet in (ctx.plan.network or {}).get("subnets", []) or []:
        if subnet.get("availability_zone"):
            yield subnet["availability_zone"], None, None, f"subnet {subnet.get('name')}"


@check("preflight.zone.exists", Level.ERROR, "Zones exist in the region")
def zone_exists(ctx: Context) -> Iterable[Finding]:
    """Every availability zone the plan names (zone name or zone ID) exists in the region and is
    available. Zone names differ between accounts, zone IDs do not: the finding shows both, and
    later checks compare by zone ID. Fix: use one of the zones listed, or pin the zone by ID."""
    cid = "preflight.zone.exists"
    try:
        zones = ctx.zones()
    except AccountError as err:
        yield ctx.could_not(cid, f"the zones of {ctx.plan.region}", err)
        return
    if not zones:
        yield ctx.finding(cid, Level.ERROR, f"region {ctx.plan.region} reports no availability zones",
                          hint="check the region name and that the account has it enabled")
        return
    seen = set()
    for name, is_id, pool, what in _named_zones(ctx):
        if (name, what) in seen:
            continue
        seen.add((name, what))
        zone = ctx.zone(name, is_id)
        if zone is None:
            close = ctx.zone_suggestions(name)
            known = ", ".join(f"{z['name']} ({z['id']})" for z in zones if z.get("type") == "availability-zone")
            hint = f"did you mean {' or '.join(close)}?" if close else f"zones in {ctx.plan.region}: {known}"
            yield ctx.finding(cid, Level.ERROR, f"{what}: zone {name} does not exist in {ctx.plan.region}",
                              hint=hint, pool=pool)
        elif (gap := ctx.lacking(cid, zone, ["state"], f"{what}: zone {name}", operation="DescribeAvailabilityZones",
                                 pool=pool)) is not None:
            yield gap
        elif zone.get("state") != "available":
            yield ctx.finding(cid, Level.ERROR,
                              f"{what}: zone {zone['name']} ({zone['id']}) is {zone['state']}, not available",
                              pool=pool)


@check("preflight.zone.opt-in", Level.ERROR, "Local Zones are opted in")
def zone_opted_in(ctx: Context) -> Iterable[Finding]:
    """Local Zones and Wavelength Zones (e.g. the Dallas Local Zone us-east-1-dfw-2a that sells
    GB200 UltraServer blocks) must be opted in before anything launches there; the status is read
    with DescribeAvailabilityZones(AllAvailabilityZones=true), which also lists zones not opted in.
    Fix: opt the zone group in (`aws ec2 modify-availability-zone-group --group-name G
    --opt-in-status opted-in`)."""
    cid = "preflight.zone.opt-in"
    try:
        ctx.zones()
    except AccountError:
        return  # preflight.zone.exists already said it could not check
    seen = set()
    for name, is_id, pool, what in _named_zones(ctx):
        zone = ctx.zone(name, is_id)
        if zone is None or zone.get("opt_in") != "not-opted-in" or zone["name"] in seen:
            continue
        seen.add(zone["name"])
        group = zone.get("group") or zone["name"]
        yield ctx.finding(
            cid, Level.ERROR,
            f"{what}: zone {zone['name']} ({zone['id']}, a {zone.get('type')}) is not opted in",
            hint=f"aws ec2 modify-availability-zone-group --region {ctx.plan.region} "
                 f"--group-name {group} --opt-in-status opted-in",
            pool=pool,
        )
