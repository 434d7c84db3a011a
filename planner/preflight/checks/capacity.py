"""Capacity reservations and capacity blocks: the ones a pool names, and the ones it still has to buy."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from ...findings import Finding, Level
from ...records import pool_of
from ..account import AccountError
from ..context import Context
from .quotas import wants_block
from .registry import check

BAD_STATES = {"expired", "cancelled", "failed", "payment-failed", "unsupported"}
LATER_STATES = {"pending", "scheduled", "payment-pending", "assessing", "delayed"}


def _placed_pools(ctx: Context) -> Iterable[dict[str, Any]]:
    for pool in ctx.pools:
        if pool_of(pool).capacity.names_capacity():
            yield pool


def _day(text: str | None) -> date | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).date() if "T" in str(text) else date.fromisoformat(str(text))


def pool_window(pool: dict[str, Any]) -> tuple[date | None, date | None]:
    """The days a pool needs its capacity: the capacity dates, else the schedule, else open."""
    return pool_of(pool).capacity_window()


def _lookup(ctx: Context, pool: dict[str, Any]):
    """(reservations of the pool that exist, ids that do not)."""
    ids = ctx.pool_reservation_ids(pool)
    known = ctx.reservations()
    return [known[i] for i in ids if i in known], [i for i in ids if i not in known]


@check("preflight.capacity.reservation", Level.ERROR, "Reservations and blocks match their pools")
def reservation_matches(ctx: Context) -> Iterable[Finding]:
    """Every capacity reservation or capacity block a pool launches into (each of
    `capacity.reservation_ids`, its `reservation_id`, or the members of its resource group) exists in
    the region, is active (a scheduled one is a warning), is of the kind the pool asks for (capacity
    block vs on-demand reservation), reserves the pool's instance type in the pool's zone (compared by
    zone ID), for Linux when the pool boots a default image, and reserves as many instances as the
    pool launches into it: each of `reservation_ids` exactly one UltraServer's instances (more is a
    warning), a single id the whole pool (fewer still available is a warning), a resource group's
    members together. Fix: correct the reservation id, zone or type in the spec, or buy/extend the
    capacity."""
    cid = "preflight.capacity.reservation"
    for pool in _placed_pools(ctx):
        try:
            found, missing = _lookup(ctx, pool)
        except AccountError as err:
            yield ctx.could_not(cid, "capacity reservations", err, pool=pool)
            continue
        cap = pool_of(pool).capacity
        for rid in missing:
            yield ctx.finding(cid, Level.ERROR, f"capacity reservation {rid} does not exist in {ctx.plan.region}",
                              hint="check the reservation id and the region", pool=pool)
        if cap.resource_group_arn and not found and not missing:
            yield ctx.finding(cid, Level.ERROR, f"resource group {cap.resource_group_arn} holds no capacity "
                              "reservations", pool=pool)
        want_block = cap.block
        complete = []
        for r in found:
            gap = ctx.lacking(cid, r, ["instance_type", "total", "available", "state"], f"reservation {r['id']}",
                              operation="DescribeCapacityReservations", pool=pool)
            if gap is None:
                complete.append(r)
            else:
                yield gap
        if len(complete) < len(found):
            continue  # the pool's totals would count a reservation whose size is unknown
        try:
            zone = ctx.pool_zone(pool)
        except AccountError:
            zone = None
        for r in found:
            yield from _one_reservation(ctx, cid, pool, r, want_block, zone)
        yield from _not_active_yet(ctx, cid, pool, found)
        if cap.reservation_ids:
            yield from _per_ultraserver_sizes(ctx, cid, pool, found)
        elif found:
            total = sum(int(r.get("total") or 0) for r in found)
            available = sum(int(r.get("available") or 0) for r in found)
            ids = ", ".join(r["id"] for r in found)
            if total < int(pool["instances"]):
                yield ctx.finding(cid, Level.ERROR, f"{ids} reserve {total} instances; the pool launches "
                                  f"{pool['instances']}", hint="buy more capacity or lower the pool's count", pool=pool)
            elif all(r.get("state") == "active" for r in found) and available < int(pool["instances"]):
                yield ctx.finding(cid, Level.WARNING, f"{ids}: only {available} of {total} reserved instances are "
                                  f"still available; the pool launches {pool['instances']}", pool=pool)


def _not_active_yet(ctx: Context, cid: str, pool: dict[str, Any], found: list[dict[str, Any]]) -> Iterable[Finding]:
    """One warning a pool and state for reservations that are not active yet (a pool of N UltraServer
    blocks would otherwise repeat it N times)."""
    by_state: dict[str, list[str]] = {}
    for r in found:
        if r.get("state") in LATER_STATES:
            by_state.setdefault(r["state"], []).append(r["id"])
    for state, ids in by_state.items():
        verb = "is" if len(ids) == 1 else "are"
        yield ctx.finding(cid, Level.WARNING, f"{', '.join(ids)} {verb} {state}, not active yet", pool=pool)


def _per_ultraserver_sizes(ctx: Context, cid: str, pool: dict[str, Any], found: list[dict[str, Any]]) -> Iterable[Finding]:
    """Each of `reservation_ids` holds one UltraServer: exactly the UltraServer's instances."""
    demand = ctx.reservation_demand(pool)
    for r in found:
        total, need = int(r.get("total") or 0), demand.get(r["id"], 0)
        if total < need:
            yield ctx.finding(cid, Level.ERROR, f"{r['id']} reserves {total} instances; its UltraServer group launches "
                              f"{need}", hint="each id of capacity.reservation_ids must be one whole UltraServer block",
                              pool=pool)
        elif total > need:
            yield ctx.finding(cid, Level.WARNING, f"{r['id']} reserves {total} instances; its UltraServer group launches "
                              f"{need}, so {total - need} stay idle", hint="is this id more than one UltraServer?",
                              pool=pool)
        elif r.get("state") == "active" and int(r.get("available") or 0) < need:
            yield ctx.finding(cid, Level.WARNING, f"{r['id']}: only {r.get('available')} of {total} reserved instances "
                              f"are still available; its UltraServer group launches {need}", pool=pool)


def _one_reservation(ctx: Context, cid: str, pool: dict[str, Any], r: dict[str, Any], want_block: bool,
                     zone: dict[str, Any] | None) -> Iterable[Finding]:
    rid, state = r["id"], r.get("state")
    if state in BAD_STATES:
        yield ctx.finding(cid, Level.ERROR, f"{rid} is {state}", hint="buy or create new capacity", pool=pool)
    is_block = r.get("reservation_type") == "capacity-block"
    if want_block != is_block:
        kind = "a capacity block" if is_block else "an on-demand capacity reservation"
        yield ctx.finding(cid, Level.ERROR, f"{rid} is {kind}, but the pool's capacity type is "
                          f"{pool_of(pool).capacity.type}", hint="set the pool's capacity type to match", pool=pool)
    if r.get("instance_type") != pool["instance_type"]:
        yield ctx.finding(cid, Level.ERROR, f"{rid} reserves {r.get('instance_type')}, the pool launches "
                          f"{pool['instance_type']}", pool=pool)
    if zone is not None:
        same = r["zone_id"] == zone["id"] if r.get("zone_id") else r.get("zone") == zone["name"]
        if not same:
            yield ctx.finding(cid, Level.ERROR, f"{rid} is in {r.get('zone')} ({r.get('zone_id')}), the pool is in "
                              f"{zone['name']} ({zone['id']})",
                              hint=f"set the pool's availability_zone to {r.get('zone')} "
                                   f"(or zone ID {r.get('zone_id')})", pool=pool)
    if r.get("placement_group_arn") and not pool.get("placement_group"):
        group = r["placement_group_arn"].rsplit("/", 1)[-1]
        yield ctx.finding(cid, Level.ERROR, f"{rid} is bound to cluster placement group {group}; instances launched "
                          "outside it do not use the reservation",
                          hint="use a reservation without a placement group, or launch in that group", pool=pool)
    platform = r.get("platform") or ""
    # With the pool's own AMI, preflight.capacity.platform compares the two; the default images are Linux/UNIX.
    if platform and not platform.startswith("Linux") and not pool.get("ami"):
        yield ctx.finding(cid, Level.ERROR, f"{rid} is for platform {platform}; ultraplan pools launch Linux",
                          pool=pool)


def _past_schedules(ctx: Context, cid: str) -> Iterable[Finding]:
    now = ctx.now.astimezone(timezone.utc) if ctx.now.tzinfo else ctx.now.replace(tzinfo=timezone.utc)
    for pool in _placed_pools(ctx):
        cap = pool_of(pool).capacity
        past = [f"{what} at {at}" for what, at in (("scale-out", cap.scale_out_at), ("scale-in", cap.scale_in_at))
                if at and datetime.fromisoformat(str(at).replace("Z", "+00:00")) <= now]
        if past:
            yield ctx.finding(cid, Level.WARNING, f"the block's scheduled {' and '.join(past)} "
                              f"{'is' if len(past) == 1 else 'are'} in the past: Auto Scaling refuses a scheduled "
                              "action that starts in the past", hint="re-plan now (`ultraplan plan`, or `pulumi up`, "
                              "which plans at deploy time): a Plan made after the block opened sizes its groups to run "
                              "it and schedules only the scale-in", pool=pool)


@check("preflight.capacity.dates", Level.ERROR, "Reservations and blocks cover the pool's dates")
def reservation_dates(ctx: Context) -> Iterable[Finding]:
    """The reservations and blocks a pool launches into cover the days the pool needs them: they
    start no later than the pool's start (or today) and end no earlier than its end. A reservation
    with an end date for a pool without one is a warning. A capacity block's scheduled scale-out or
    scale-in already in the past at the planning clock is a warning too (a Plan file made earlier):
    Auto Scaling refuses a scheduled action that starts in the past, and a Plan made now has none
    (docs/capacity.md). Fix: extend the block or move the dates; re-plan a Plan file made earlier."""
    cid = "preflight.capacity.dates"
    today = ctx.now.date()
    yield from _past_schedules(ctx, cid)
    for pool in _placed_pools(ctx):
        try:
            found, _ = _lookup(ctx, pool)
        except AccountError as err:
            yield ctx.could_not(cid, "reservation dates", err, pool=pool)
            continue
        start, end = pool_window(pool)
        need_start = start or today
        for r in found:
            r_start, r_end = _day(r.get("start")), _day(r.get("end"))
            if r_start and r_start > need_start:
                yield ctx.finding(cid, Level.ERROR, f"{r['id']} starts {r_start}, the pool needs it from {need_start}",
                                  hint="move the pool's start or buy an earlier block", pool=pool)
            if r_end is None or r.get("end_type") == "unlimited":
                continue
            if r_end < today:
                yield ctx.finding(cid, Level.ERROR, f"{r['id']} ended {r_end}", pool=pool)
            elif end is None:
                yield ctx.finding(cid, Level.WARNING, f"{r['id']} ends {r_end}; the pool has no end date",
                                  hint="extend the reservation or give the pool an end date", pool=pool)
            elif r_end < end:
                yield ctx.finding(cid, Level.ERROR, f"{r['id']} ends {r_end}, the pool needs it until {end}",
                                  hint="extend the capacity block or shorten the pool", pool=pool)


@check("preflight.capacity.ultraserver", Level.ERROR, "UltraServer blocks: whole UltraServers, interconnect ok")
def ultraserver_blocks(ctx: Context) -> Iterable[Finding]:
    """UltraServer pools launch into UltraServer capacity blocks of the pool's UltraServer type,
    reserved in whole UltraServers (instances a multiple of the UltraServer size), whose
    interconnect status (DescribeCapacityBlockStatus) is `ok`. A block not active yet is a warning.
    Fix: buy blocks of the right UltraServer type, or wait for an impaired interconnect to recover."""
    cid = "preflight.capacity.ultraserver"
    for pool in _placed_pools(ctx):
        if pool.get("kind") != "ultraserver":
            continue
        size = int(pool.get("instances_per_ultraserver") or 1)
        try:
            found, _ = _lookup(ctx, pool)
            blocks = ctx.blocks() if pool_of(pool).capacity.block else {}
        except AccountError as err:
            yield ctx.could_not(cid, "UltraServer capacity blocks", err, pool=pool)
            continue
        by_reservation = {rid: b for b in blocks.values() for rid in b.get("reservation_ids", [])}
        pool_blocks = {}
        for r in found:
            if int(r.get("total") or 0) % size:
                yield ctx.finding(cid, Level.ERROR, f"{r['id']} reserves {r.get('total')} instances, not whole "
                                  f"UltraServers of {size}", pool=pool)
            if not pool_of(pool).capacity.block:
                continue
            block = blocks.get(r.get("capacity_block_id") or "") or by_reservation.get(r["id"])
            if block is None:
                yield ctx.finding(cid, Level.ERROR, f"{r['id']} is not part of an UltraServer capacity block",
                                  hint="UltraServer pools need UltraServer capacity blocks", pool=pool)
                continue
            pool_blocks[block["id"]] = block
            if block.get("ultraserver_type") != pool.get("ultraserver_type"):
                yield ctx.finding(cid, Level.ERROR, f"block {block['id']} is for {block.get('ultraserver_type')}, "
                                  f"the pool wants {pool.get('ultraserver_type')}", pool=pool)
        active = [b for b in pool_blocks.values() if b.get("state") == "active"]
        waiting: dict[str, list[str]] = {}
        for b in pool_blocks.values():
            if b.get("state") != "active":
                waiting.setdefault(str(b.get("state")), []).append(b["id"])
        for state, ids in waiting.items():
            what = f"block {ids[0]} is" if len(ids) == 1 else f"blocks {', '.join(ids)} are"
            yield ctx.finding(cid, Level.WARNING, f"{what} {state}; {'its' if len(ids) == 1 else 'their'} "
                              "interconnect is checked once active", pool=pool)
        if not active:
            continue
        try:
            status = ctx.block_status([b["id"] for b in active])
        except AccountError as err:
            yield ctx.could_not(cid, "UltraServer interconnect status", err, pool=pool)
            continue
        for b in active:
            s = status.get(b["id"])
            gap = ctx.lacking(cid, s or {}, ["interconnect"], f"block {b['id']}'s interconnect",
                              operation="DescribeCapacityBlockStatus", pool=pool)
            if gap is not None:
                yield gap
            elif s.get("interconnect") != "ok":
                yield ctx.finding(cid, Level.ERROR, f"block {b['id']} interconnect is "
                                  f"{(s or {}).get('interconnect', 'unknown')}, not ok",
                                  hint="contact AWS support before launching", pool=pool)
            elif s.get("unavailable"):
                yield ctx.finding(cid, Level.ERROR, f"block {b['id']}: {s['unavailable']} of {s.get('total')} "
                                  "instances are unavailable", pool=pool)


@check("preflight.capacity.offering", Level.WARNING, "Capacity blocks to buy are offered")
def block_offered(ctx: Context) -> Iterable[Finding]:
    """For a capacity block the spec wants but has not bought (no reservation id or resource
    group), DescribeCapacityBlockOfferings shows whether one is offered for the pool's type (or
    UltraServer type), size, duration and dates, in which zone and at what upfront price (an info
    finding). None offered, or none in the pool's zone, is a warning. Pools beyond 64 instances are
    asked for one 64-instance block (the per-block maximum)."""
    cid = "preflight.capacity.offering"
    for pool in ctx.pools:
        if not wants_block(pool):
            continue
        cap = pool_of(pool).capacity
        query = ctx.offering_query(pool)
        try:
            offers = ctx.block_offerings(query)
            zone = ctx.pool_zone(pool)
        except AccountError as err:
            yield ctx.could_not(cid, "capacity block offerings", err, pool=pool)
            continue
        what = (f"{query['count']} x {query['ultraserver_type']}" if query["ultraserver_type"]
                else f"{query['count']} x {query['instance_type']}")
        days = f"{cap.get('days')} days" if cap.get("days") else "1 day"
        blocks_needed = -(-int(pool["instances"]) // 64) if not query["ultraserver_type"] else 1
        more = f" (the pool needs {blocks_needed} blocks of up to 64)" if blocks_needed > 1 else ""
        if not offers:
            yield ctx.finding(cid, Level.WARNING, f"no capacity block offered for {what}, {days} from "
                              f"{cap.get('start') or 'now'}{more}",
                              hint="try other dates or a shorter duration", pool=pool)
            continue
        here = [o for o in offers if zone is None or o.get("zone") in (zone["name"], zone["id"])]
        best = min(here or offers, key=lambda o: float(o.get("upfront_fee") or 0))
        price = f"{best.get('currency') or 'USD'} {float(best.get('upfront_fee') or 0):,.2f} upfront"
        if not here:
            zones = sorted({o.get("zone") for o in offers})
            yield ctx.finding(cid, Level.WARNING, f"capacity blocks for {what} are offered only in "
                              f"{', '.join(zones)}, not in the pool's zone; cheapest {price}{more}", pool=pool)
        else:
            yield ctx.finding(cid, Level.INFO, f"capacity block offered for {what} in {best.get('zone')}, "
                              f"{best.get('start')} to {best.get('end')}: {price}{more}",
                              hint="buy it with `aws ec2 purchase-capacity-block` and put its reservation id "
                                   "in the spec", pool=pool)


@check("preflight.capacity.shared", Level.ERROR, "Reservations shared by pools hold all of them")
def shared_reservations(ctx: Context) -> Iterable[Finding]:
    """Demand is summed per reservation across every pool that names it (as ParallelCluster sums every
    user of a reservation): two pools, or two UltraServers of one pool, launching into one reservation
    need its total between them. Each pool sharing an overflowing reservation gets the error, naming
    the others. Resource groups are not summed (EC2 picks the member at launch). Fix: buy more
    capacity, give each pool its own reservation, or lower the counts."""
    cid = "preflight.capacity.shared"
    users: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for pool in _placed_pools(ctx):
        for rid, need in ctx.reservation_demand(pool).items():
            users.setdefault(rid, []).append((pool, need))
    shared = {rid: u for rid, u in users.items() if len(u) > 1}
    if not shared:
        return
    try:
        known = ctx.reservations()
    except AccountError as err:
        yield ctx.could_not(cid, "shared capacity reservations", err)
        return
    for rid, pools in shared.items():
        r = known.get(rid)
        if r is None:
            continue  # preflight.capacity.reservation reports a missing id
        total, need = int(r.get("total") or 0), sum(n for _, n in pools)
        if need <= total:
            continue
        parts = ", ".join(f"{p['name']} {n} (line {(p.get('source') or {}).get('line')})" for p, n in pools)
        for pool, n in pools:
            yield ctx.finding(cid, Level.ERROR, f"{rid} reserves {total} {r.get('instance_type')}; the pools sharing it "
                              f"launch {need} ({parts}), {need - total} more than it holds",
                              hint="give each pool its own reservation, buy more capacity, or lower the counts",
                              pool=pool)


def _platform_key(text: str) -> str:
    return " ".join(str(text).lower().replace("/", " ").split())


@check("preflight.capacity.platform", Level.ERROR, "Pool AMIs match their reservations' platform")
def ami_matches_reservation_platform(ctx: Context) -> Iterable[Finding]:
    """A pool's AMI has the platform of the reservations it launches into: DescribeImages
    PlatformDetails (Linux/UNIX, Red Hat Enterprise Linux, SUSE Linux, Ubuntu Pro, Windows, ...) equals
    the reservation's InstancePlatform. An instance "can't launch using an AMI with a different
    platform than the platform for your Capacity Block" (EC2 User Guide, capacity-blocks-launch), and
    an on-demand reservation only matches instances of its platform. Fix: use an AMI of the
    reservation's platform, or reserve capacity for the AMI's platform."""
    cid = "preflight.capacity.platform"
    pools = [p for p in _placed_pools(ctx) if p.get("ami")]
    if not pools:
        return
    try:
        images = ctx.images()
    except AccountError as err:
        yield ctx.could_not(cid, "the AMIs' platforms", err)
        return
    for pool in pools:
        img = images.get(pool["ami"])
        if img is None or not img.get("platform"):
            continue  # preflight.ami.compatible reports a missing image
        try:
            found, _ = _lookup(ctx, pool)
        except AccountError as err:
            yield ctx.could_not(cid, "reservation platforms", err, pool=pool)
            continue
        for r in found:
            if r.get("platform") and _platform_key(r["platform"]) != _platform_key(img["platform"]):
                yield ctx.finding(cid, Level.ERROR, f"AMI {pool['ami']} is {img['platform']}; {r['id']} reserves "
                                  f"{r['platform']} instances, so the pool cannot launch into it",
                                  hint=f"use a {r['platform']} AMI, or capacity reserved for {img['platform']}",
                                  pool=pool)
