"""Each pool's instance type is offered in the pool's zone (DescribeInstanceTypeOfferings by zone ID)."""
from __future__ import annotations

from typing import Iterable

from ...findings import Finding, Level
from ...records import pool_of
from ..account import AccountError
from ..context import Context
from .registry import check


@check("preflight.offering.zone", Level.ERROR, "Instance type offered in the pool's zone")
def offered_in_zone(ctx: Context) -> Iterable[Finding]:
    """Each pool's instance type is offered in the pool's availability zone, compared by zone ID
    (one batched DescribeInstanceTypeOfferings for all types). When it is not, the finding lists
    the zones of the region that do offer it. Pools that launch into an existing reservation or
    capacity block get a warning instead of an error: that capacity is already placed. Fix: move
    the pool to a listed zone, or pick a type offered where the pool is."""
    cid = "preflight.offering.zone"
    try:
        offers = ctx.offerings()
        ctx.zones()
    except AccountError as err:
        yield ctx.could_not(cid, "instance type offerings", err)
        return
    names = {z["id"]: z["name"] for z in ctx.zones()}
    for pool in ctx.pools:
        zone = ctx.pool_zone(pool)
        if zone is None:
            continue  # preflight.zone.exists reports it
        itype = pool["instance_type"]
        zones = offers.get(itype, [])
        if zone["id"] in zones:
            continue
        placed = pool_of(pool).capacity.names_reservation()
        level = Level.WARNING if placed else Level.ERROR
        where = f"{zone['name']} ({zone['id']})"
        if zones:
            listing = ", ".join(f"{names.get(z, z)} ({z})" for z in zones)
            msg = f"{itype} is not offered in {where}; zones of {ctx.plan.region} that offer it: {listing}"
            hint = "move the pool to one of those zones"
        else:
            msg = f"{itype} is not offered in any zone of {ctx.plan.region}"
            hint = "pick another region or instance type"
        if placed:
            msg += " (the pool launches into an existing reservation, so this may be a listing gap)"
        yield ctx.finding(cid, level, msg, hint=hint, pool=pool)
