"""vCPU quotas per Service Quotas bucket: on-demand, spot and capacity blocks.

What each pool needs, by the capacity it launches into:
- on-demand: all its vCPUs count against the on-demand bucket of its class (P, G/VT, Trn, ...);
- capacity-reservation: the reservation already holds on-demand quota for what it reserves, so
  only the vCPUs beyond the reserved instances count (an unreadable reservation covers nothing);
- spot: all its vCPUs count against the spot bucket;
- capacity-block: a block already bought holds its quota; one the spec still has to buy counts
  against the capacity-block bucket of its family.
Running instances outside the plan also use these quotas; this check does not count them (that
would grow with the account's instances), so a pass means "the quota covers the plan".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ...catalog.quotas import QuotaBucket, bucket_for
from ...findings import Finding, Level
from ...records import pool_of
from ..account import AccountError
from ..context import Context, known_quota
from .registry import check


@dataclass
class Need:
    bucket: QuotaBucket
    vcpus: int = 0
    pools: list[dict[str, Any]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _covered_instances(ctx: Context, pool: dict[str, Any], notes: list[str]) -> int:
    try:
        ids = ctx.pool_reservation_ids(pool)
        reservations = ctx.reservations()
    except AccountError as err:
        notes.append(f"reservation of pool {pool['name']} not counted ({err.reason})")
        return 0
    covered = sum(int(reservations[i].get("total") or 0) for i in ids
                  if i in reservations and reservations[i].get("instance_type") == pool["instance_type"])
    return min(covered, int(pool["instances"]))


def pool_needs(ctx: Context, pool: dict[str, Any], market: str, notes: list[str]) -> int:
    """vCPUs a pool needs from the `market` quota buckets (see the module docstring)."""
    cap = pool_of(pool).capacity.type
    per, instances = int(pool["vcpus_per_instance"]), int(pool["instances"])
    if market == "on-demand":
        if cap == "on-demand":
            return per * instances
        if cap == "capacity-reservation":
            return per * (instances - _covered_instances(ctx, pool, notes))
        return 0
    if market == "spot":
        return per * instances if cap == "spot" else 0
    if market == "capacity-block" and cap == "capacity-block":
        return per * instances if wants_block(pool) else 0
    return 0


def wants_block(pool: dict[str, Any]) -> bool:
    """A capacity block the spec wants but has not bought yet (`planned`, or no reservation named)."""
    return pool_of(pool).capacity.wants_block()


def resolve_quota(ctx: Context, bucket: QuotaBucket) -> tuple[dict[str, Any], str]:
    """The quota's current value, and a note when the code came from a name lookup (UNCONFIRMED)."""
    if bucket.code:
        return ctx.quota(bucket.service, bucket.code), ""
    matches = [q for q in ctx.quota_list(bucket.service) if bucket.matches_name(q.get("name") or "")]
    if not matches:
        raise AccountError("list_service_quotas",
                           f"no {bucket.service} quota named like '{' '.join(bucket.name_words)}' "
                           f"(the code for {bucket.title} is UNCONFIRMED)", "not-found")
    q = known_quota(matches[0])
    return q, f" (code {q['code']} found by quota name at run time; the mapping is UNCONFIRMED)"


def _quota_findings(ctx: Context, cid: str, market: str, label: str) -> Iterable[Finding]:
    needs: dict[str, Need] = {}
    for pool in ctx.pools:
        notes: list[str] = []
        vcpus = pool_needs(ctx, pool, market, notes)
        if vcpus <= 0 and not notes:
            continue
        bucket = ctx.quotas and bucket_for(ctx.quotas, pool["instance_type"], market)
        if not bucket:
            yield ctx.unverified(cid, f"could not check the {label} quota of {pool['instance_type']}: no quota "
                                 "bucket known for it (planner/catalog/quotas.yaml)", error="no-quota-code", pool=pool)
            continue
        need = needs.setdefault(bucket.id, Need(bucket))
        need.vcpus += vcpus
        need.pools.append(pool)
        need.notes += notes
        need.parts.append(f"{pool['name']} {vcpus // int(pool['vcpus_per_instance'])} x {pool['instance_type']}")
    for need in needs.values():
        yield from _compare(ctx, cid, need, label)


def _compare(ctx: Context, cid: str, need: Need, label: str) -> Iterable[Finding]:
    b, first = need.bucket, need.pools[0]
    single = first if len(need.pools) == 1 else None
    try:
        quota, how = resolve_quota(ctx, b)
    except AccountError as err:
        yield ctx.could_not(cid, f"{b.title} ({label})", err, pool=single, source=ctx.source_of(first))
        return
    value = int(quota.get("value") or 0)
    notes = f" [{'; '.join(need.notes)}]" if need.notes else ""
    if need.vcpus <= value:
        return
    gap = need.vcpus - value
    per = int(first["vcpus_per_instance"])
    instances = -(-gap // per)
    msg = (f"{b.title}{how}: quota {quota['code']} is {value:,} vCPUs, the plan needs {need.vcpus:,} "
           f"({', '.join(need.parts)}); short by {gap:,} vCPUs (~{instances:,} x {first['instance_type']}). "
           f"Request an increase to {need.vcpus:,}{notes}")
    hint = (f"aws service-quotas request-service-quota-increase --region {ctx.plan.region} "
            f"--service-code {b.service} --quota-code {quota['code']} --desired-value {need.vcpus}")
    yield ctx.finding(cid, Level.ERROR, msg, hint=hint, pool=single, source=ctx.source_of(first))


@check("preflight.quota.vcpus", Level.ERROR, "On-demand vCPU quotas cover the plan")
def on_demand_vcpus(ctx: Context) -> Iterable[Finding]:
    """The on-demand vCPU quota of each bucket (P L-417A185B, G/VT L-DB2E81BA, Trn L-2C3B7624,
    Standard L-1216C47A) covers the vCPUs the plan's on-demand pools need there, less what existing
    capacity reservations already hold. The finding shows the gap and the exact value to request.
    An unreadable quota is a warning, never a pass."""
    yield from _quota_findings(ctx, "preflight.quota.vcpus", "on-demand", "on-demand vCPUs")


@check("preflight.quota.spot", Level.ERROR, "Spot vCPU quotas cover the plan")
def spot_vcpus(ctx: Context) -> Iterable[Finding]:
    """The spot vCPU quota of each bucket (P5 L-C4BD4855, P4/P3/P2 L-7212CCBC, G/VT L-3819A6DF,
    Trn L-6B0D517C) covers the vCPUs of the plan's spot pools. Shows the gap and the value to request."""
    yield from _quota_findings(ctx, "preflight.quota.spot", "spot", "spot vCPUs")


@check("preflight.quota.capacity-blocks", Level.ERROR, "Capacity-block vCPU quotas cover blocks to buy")
def capacity_block_vcpus(ctx: Context) -> Iterable[Finding]:
    """The capacity-block vCPU quota of each family (P5 L-DA6814F2, P5e L-C45F30BC, P5en
    L-4F9BB70B, P4d L-2C8F52B3, Trn2 L-64569A79; P6 codes UNCONFIRMED and looked up by name)
    covers the capacity blocks the spec still has to buy. Blocks already bought hold their quota."""
    yield from _quota_findings(ctx, "preflight.quota.capacity-blocks", "capacity-block", "capacity-block vCPUs")
