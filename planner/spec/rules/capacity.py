"""How a pool buys its capacity: on demand, spot, a Capacity Reservation or a Capacity Block (and
the reservation ids, dates and lengths that go with them)."""
from __future__ import annotations

from typing import Iterator

from ...errors import SpecIssue
from .registry import REGISTRY, PoolContext, SpecContext

# Capacity Blocks: 1-14 days in 1-day steps, then 7-day steps up to 182 (aws-gpu-facts.md, EC2 User Guide).
BLOCK_DAYS_HINT = "1 to 14 days, or a multiple of 7 up to 182"
BLOCKS = "EC2 User Guide, Capacity Blocks for ML"
RESERVED = ("capacity-reservation", "capacity-block")


def block_length_ok(days: int) -> bool:
    """A Capacity Block length AWS sells: 1-14 days, or 7-day steps up to 182 (EC2 User Guide,
    ec2-capacity-blocks)."""
    return 1 <= days <= 14 or (days <= 182 and days % 7 == 0)


def _names_reservation(cap) -> bool:
    return bool(cap.reservation_id or cap.reservation_ids or cap.resource_group_arn)


@REGISTRY.pool("spec.capacity.ultraserver-purchase", source="planner/catalog UltraServer capacity_types; " + BLOCKS)
def ultraserver_purchase(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """An UltraServer pool buys its UltraServers the ways EC2 sells them (Capacity Blocks or
    reservations), never on demand or spot."""
    ultra, cap = pc.ultra, pc.capacity
    if ultra and cap.type not in ultra.capacity_types:
        yield ctx.issue(pc.path + ("capacity", "type"), f"{ultra.name} cannot be bought as {cap.type}",
                        f"use one of: {', '.join(ultra.capacity_types)}")


@REGISTRY.pool("spec.capacity.reservation-named", source="EC2 User Guide, Capacity Reservations; " + BLOCKS)
def reservation_named(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A capacity-reservation or capacity-block pool names what it launches into (`reservation_id`,
    `reservation_ids` or `resource_group_arn`), or says the block is not bought yet (`planned: true`)."""
    pool, ultra, cap = pc.pool, pc.ultra, pc.capacity
    if cap.type in RESERVED and not (_names_reservation(cap) or cap.planned):
        many = ultra and pool.count > 1
        yield ctx.issue(pc.path + ("capacity", "reservation_ids" if many else "reservation_id"),
                        f"a {cap.type} pool needs " + ("reservation_ids (one cr-... per UltraServer)" if many
                                                      else "reservation_id (cr-...)") + " or resource_group_arn",
                        "if the block is not bought yet, set capacity.planned: true")


@REGISTRY.pool("spec.capacity.reservation-ids-exclusive", source="ultraplan spec format")
def reservation_ids_exclusive(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """`reservation_ids` stands alone: not with `reservation_id`, not with `resource_group_arn`."""
    cap, path = pc.capacity, pc.path + ("capacity", "reservation_ids")
    if cap.reservation_ids is None:
        return
    if cap.reservation_id:
        yield ctx.issue(path, "give reservation_id or reservation_ids, not both", "reservation_ids: one id per UltraServer")
    if cap.resource_group_arn:
        yield ctx.issue(path, "give reservation_ids or resource_group_arn, not both")


@REGISTRY.pool("spec.capacity.reservation-ids-ultraserver", source=BLOCKS)
def reservation_ids_ultraserver(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """`reservation_ids` (one reservation per UltraServer) belongs to UltraServer pools; an instance
    pool names its one reservation with `reservation_id`."""
    if pc.capacity.reservation_ids is not None and not pc.ultra:
        yield ctx.issue(pc.path + ("capacity", "reservation_ids"),
                        "reservation_ids lists one reservation per UltraServer; an instance pool takes reservation_id",
                        "reservation_id: cr-...")


@REGISTRY.pool("spec.capacity.reservation-ids-count", source=BLOCKS + " (each UltraServer is one Capacity Block)")
def reservation_ids_count(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """One UltraServer is one Capacity Block and one reservation ("each UltraServer corresponds to one
    Capacity Block"), so an UltraServer block pool of N names N reservations, and a group bound to
    one of them launches only that UltraServer."""
    pool, ultra, cap = pc.pool, pc.ultra, pc.capacity
    path = pc.path + ("capacity", "reservation_ids")
    if cap.reservation_ids is None:
        if ultra and cap.type == "capacity-block" and cap.reservation_id and pool.count > 1:
            yield ctx.issue(path, f"{pool.count} x {ultra.name} are {pool.count} Capacity Blocks, one reservation each; "
                            f"reservation_id names 1 for {pool.count} UltraServers",
                            f"list {pool.count} ids: reservation_ids: [cr-..., ...] (one per UltraServer), or target a "
                            "resource_group_arn of UltraServer blocks")
    elif ultra and len(cap.reservation_ids) != pool.count:
        yield ctx.issue(path, f"{len(cap.reservation_ids)} reservation ids for {pool.count} UltraServers (count: {pool.count}): "
                        "each UltraServer is its own Capacity Block", f"list exactly {pool.count} ids, one per UltraServer")


@REGISTRY.pool("spec.capacity.reservation-ids-unique", source=BLOCKS)
def reservation_ids_unique(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """No reservation id is listed twice in one UltraServer pool: one reservation holds one UltraServer."""
    if not pc.ultra or pc.capacity.reservation_ids is None:
        return
    seen: dict[str, int] = {}
    for i, rid in enumerate(pc.capacity.reservation_ids):
        if rid in seen:
            yield ctx.issue(pc.path + ("capacity", "reservation_ids", i),
                            f"{rid} is listed twice (also item {seen[rid]}): one reservation holds one UltraServer",
                            "each UltraServer needs its own reservation id")
        seen.setdefault(rid, i)


@REGISTRY.pool("spec.capacity.ultraserver-only", source="planner/catalog ultraserver_only (EC2 User Guide, UltraServers)")
def ultraserver_only(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A type EC2 sells only as whole UltraServers (the GB200 and GB300 members) is not a plain
    instance pool: the pool names the UltraServer and counts UltraServers."""
    itype = pc.itype
    if not pc.ultra and itype.ultraserver_only:
        kinds = sorted(u.name for u in ctx.catalog.ultraservers.values() if u.member == itype.name) or ["<type>"]
        yield ctx.issue(pc.path + ("instance_type",), f"{itype.name} is sold only as whole UltraServers, not as single instances",
                        f"use ultraserver: {' or '.join(kinds)} (count in UltraServers) on capacity-block")


@REGISTRY.pool("spec.capacity.usage-class", source="EC2 DescribeInstanceTypes SupportedUsageClasses (catalog usage_classes)",
               skippable=True)
def usage_class(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool buys its type the ways EC2 sells it: spot, on-demand or capacity-block only where the
    type's usage classes include it (reservations hold on-demand capacity). The usage classes are a
    catalog fact that may be out of date: skippable with a reason."""
    itype, ultra = pc.itype, pc.ultra
    if not ultra and itype.ultraserver_only:
        return  # spec.capacity.ultraserver-only says what to do instead
    wanted = {"on-demand": "on-demand", "spot": "spot", "capacity-block": "capacity-block"}.get(pc.capacity.type)
    if wanted is None or (ultra and wanted != "capacity-block"):
        return  # UltraServer purchase types are spec.capacity.ultraserver-purchase's
    if itype.sold_as(wanted) is False:
        how = ", ".join(itype.usage_classes) or "nothing"
        yield ctx.issue(pc.path + ("capacity", "type"), f"{itype.name} is not sold as {wanted} (EC2 sells it as: {how}; "
                        "DescribeInstanceTypes SupportedUsageClasses)", f"use one of: {how}")


@REGISTRY.pool("spec.capacity.block-start", source=BLOCKS)
def block_start(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A capacity-block pool gives the day its block starts: a block is bought for fixed dates."""
    if pc.capacity.type == "capacity-block" and pc.capacity.start is None:
        yield ctx.issue(pc.path + ("capacity", "start"), "a capacity-block pool needs its start date", "e.g. start: 2026-12-01")


@REGISTRY.pool("spec.capacity.block-days", source=BLOCKS)
def block_days(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A capacity-block pool gives the block's length: `days`, or an `end` date."""
    cap = pc.capacity
    if cap.type == "capacity-block" and cap.days is None and cap.end is None:
        yield ctx.issue(pc.path + ("capacity", "days"), "a capacity-block pool needs days (or end)", BLOCK_DAYS_HINT)


@REGISTRY.pool("spec.capacity.block-length", source=BLOCKS + " (1-14 days, then 7-day steps up to 182)")
def block_length(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A Capacity Block lasts a length AWS sells: 1 to 14 days, or a multiple of 7 days up to 182,
    whether given as `days` or as `start` to `end`."""
    cap = pc.capacity
    if cap.type != "capacity-block":
        return
    if cap.days is not None and not block_length_ok(cap.days):
        yield ctx.issue(pc.path + ("capacity", "days"), f"{cap.days} days is not a Capacity Block length", BLOCK_DAYS_HINT)
    elif cap.days is None and cap.start and cap.end and cap.end > cap.start and not block_length_ok((cap.end - cap.start).days):
        yield ctx.issue(pc.path + ("capacity", "end"), f"start {cap.start} to end {cap.end} is {(cap.end - cap.start).days} "
                        "days, not a Capacity Block length", BLOCK_DAYS_HINT)


@REGISTRY.pool("spec.capacity.days-only-blocks", source="ultraplan spec format")
def days_only_blocks(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """`capacity.days` is a Capacity Block's length; other capacity types run from `start` to `end`."""
    if pc.capacity.type != "capacity-block" and pc.capacity.days is not None:
        yield ctx.issue(pc.path + ("capacity", "days"), "days applies only to capacity-block pools")


@REGISTRY.pool("spec.capacity.reservation-purchase", source="EC2 User Guide, Capacity Reservations")
def reservation_purchase(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """An on-demand or spot pool names no reservation: a reservation is targeted by a
    capacity-reservation or capacity-block pool."""
    cap = pc.capacity
    if cap.type in ("on-demand", "spot") and _names_reservation(cap):
        yield ctx.issue(pc.path + ("capacity", "type"), f"a reservation is given but the pool buys {cap.type}",
                        "set type: capacity-reservation or capacity-block, or remove reservation_id")


@REGISTRY.pool("spec.capacity.window-order", source="ultraplan spec format")
def capacity_window_order(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """The capacity's `end` is after its `start`."""
    cap = pc.capacity
    if cap.start and cap.end and cap.end <= cap.start:
        yield ctx.issue(pc.path + ("capacity", "end"), f"end {cap.end} is not after start {cap.start}")


@REGISTRY.pool("spec.capacity.days-agree", source="ultraplan spec format")
def days_agree(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """When `start`, `end` and `days` are all given, `end - start` is `days`."""
    cap = pc.capacity
    if cap.start and cap.end and cap.days and (cap.end - cap.start).days != cap.days:
        yield ctx.issue(pc.path + ("capacity", "days"), f"days {cap.days} disagrees with start {cap.start} to end {cap.end}",
                        "give days or end, not both")


@REGISTRY.pool("spec.capacity.drain-seconds", source="ultraplan spec format (the hook before a block ends)")
def drain_seconds(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """`drain_seconds` (how long before a Capacity Block ends the nodes are drained) applies only to
    capacity-block pools."""
    if pc.capacity.drain_seconds is not None and pc.capacity.type != "capacity-block":
        yield ctx.issue(pc.path + ("capacity", "drain_seconds"),
                        "drain_seconds applies only to capacity-block pools (the hook before the block ends)",
                        "remove drain_seconds")


@REGISTRY.spec("spec.capacity.shared-block", source=BLOCKS + " (one UltraServer per block reservation)")
def shared_block(ctx: SpecContext) -> Iterator[SpecIssue]:
    """An UltraServer Capacity Block reservation holds exactly one UltraServer, so two pools naming
    the same one overflow it (ParallelCluster sums every user of a reservation; ordinary
    reservations are summed by preflight, which knows their size)."""
    owner: dict[str, tuple[int, str]] = {}
    for i, pool in enumerate(ctx.spec.compute):
        cap = pool.capacity
        if cap.type != "capacity-block" or not pool.ultraserver or pool.ultraserver not in ctx.catalog.ultraservers:
            continue
        ids = [(("reservation_ids", j), rid) for j, rid in enumerate(cap.reservation_ids or [])]
        ids += [(("reservation_id",), cap.reservation_id)] if cap.reservation_id else []
        for where, rid in ids:
            if rid in owner and owner[rid][0] != i:
                first, name = owner[rid]
                yield ctx.issue(("compute", i, "capacity") + where,
                                f"{rid} is also pool '{name}''s (compute[{first}], line {ctx.doc.line('compute', first)}): an "
                                "UltraServer Capacity Block holds one UltraServer, so two pools overflow it",
                                "give each UltraServer of each pool its own reservation id")
            owner.setdefault(rid, (i, pool.name))
