"""What one change of a Plan diff costs: its class and, for running capacity, how much.

- **destroys data**: a file system or a standalone volume replaced or deleted (a replacement is a new,
  empty one; `retainOnDelete` keeps the old one in AWS, detached from the cluster);
- **terminates running capacity**: an auto-scaling group (or instance) replaced or deleted, scaled
  in, or moved off a subnet or placement group that is replaced (instances cannot stay in a subnet
  that is deleted), except a Capacity Block group at or past its scheduled scale-in at the planning
  clock (it holds nothing): with the instances and GPUs affected and, for Capacity Blocks, the paid
  instance-hours left in the block (a block is paid up front and ends at 11:30 UTC on its end date:
  EC2 User Guide, "Capacity Blocks for ML");
- **disrupts networking**: a VPC, subnet, route, gateway, endpoint or security group (rule) replaced or
  deleted;
- **harmless**: everything else (creates, in-place updates, moves carried over by `pulumi state move`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from planner import tokens as T

from .model import (CREATE, DELETE, DESTROYS_DATA, DISRUPTS_NETWORKING, HARMLESS, MOVE, REPLACE,
                   TERMINATES_CAPACITY, UPDATE, Change)
from ..plan.model import Plan
from ..records import pool_of

DATA_TYPES = {T.LUSTRE, T.EBS_VOLUME}
ASG = T.AUTOSCALING_GROUP
INSTANCE = T.INSTANCE
CAPACITY_TYPES = {ASG, INSTANCE}
NETWORK_TYPES = {
    T.VPC, T.VPC_CIDR, T.SUBNET,
    T.INTERNET_GATEWAY, T.EIP, T.NAT_GATEWAY,
    T.ROUTE_TABLE, T.ROUTE, T.ROUTE_TABLE_ASSOCIATION,
    T.VPC_ENDPOINT, T.SECURITY_GROUP,
    T.INGRESS_RULE, T.EGRESS_RULE,
}
# Inputs of a group that place its instances: when what they refer to is replaced, the instances
# must leave it (a subnet or placement group with instances in it cannot be deleted).
PLACING_INPUTS = {ASG: {"vpcZoneIdentifiers", "placementGroup"}, INSTANCE: {"subnetId", "placementGroup"}}
BLOCK_END_UTC = dt.time(11, 30)  # Capacity Blocks end at 11:30 UTC (EC2 User Guide)


def _instant(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def classify(change: Change, old: Plan, new: Plan, now: dt.datetime, by_name: dict[str, Change]) -> Change:
    if change.op in (CREATE, MOVE):
        return replace(change, klass=HARMLESS)
    if change.type in DATA_TYPES and change.op in (REPLACE, DELETE):
        return replace(change, klass=DESTROYS_DATA, impact=_data_note(change, old))
    if change.type in CAPACITY_TYPES:
        lost = 0 if _block_scaled_in(_pool(old, change.pool), now) else _instances_lost(change, old, new, by_name)
        if lost:
            return replace(change, klass=TERMINATES_CAPACITY, impact=_capacity(change, old, new, lost, now))
    if change.type in NETWORK_TYPES and change.op in (REPLACE, DELETE):
        return replace(change, klass=DISRUPTS_NETWORKING)
    return replace(change, klass=HARMLESS)


def _data_note(change: Change, old: Plan) -> dict[str, Any]:
    before = old.by_name().get(change.name)
    options = before.options if before is not None else {}
    notes = ["a replacement is a new, empty file system" if change.op == REPLACE else "the file system and its data go"]
    if options.get("retainOnDelete"):
        notes.append("retainOnDelete keeps the old one in AWS, detached from the cluster")
    if options.get("protect"):
        notes.append("protect is on: `pulumi up` refuses until it is lifted")
    return {"note": "; ".join(notes)}


def _size(resource: Any) -> int:
    if resource is None:
        return 0
    if resource.type == INSTANCE:
        return 1
    value = resource.inputs.get("desiredCapacity", resource.inputs.get("maxSize", 0))
    return value if isinstance(value, int) else 0


def _instances_lost(change: Change, old: Plan, new: Plan, by_name: dict[str, Change]) -> int:
    before = _size(old.by_name().get(change.name))
    if change.op in (REPLACE, DELETE):
        return before
    if change.op != UPDATE:
        return 0
    first = change.chain[0] if change.chain else None
    if first and first.input in PLACING_INPUTS.get(change.type, ()) and by_name.get(first.refers_to, change).op == REPLACE:
        return before
    return max(0, before - _size(new.by_name().get(change.name)))


def _block_scaled_in(pool: dict[str, Any] | None, now: dt.datetime) -> bool:
    """A Capacity Block group at or past its scheduled scale-in holds no instances: the schedule set
    it to zero and EC2 reclaims what is left before the end (docs/capacity.md). Removing an ended
    block's pool from the spec terminates nothing."""
    cap = pool_of(pool).capacity if pool else None
    if cap is None or not cap.block or cap.planned:
        return False
    try:
        scale_in = _instant(cap.scale_in_at) or _instant(cap.ends_at)
    except ValueError:
        return False
    if scale_in is None:
        return False
    return (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)) >= scale_in


def _pool(plan: Plan, name: str | None) -> dict[str, Any] | None:
    return next((p for p in plan.pools if p.get("name") == name), None) if name else None


def _capacity(change: Change, old: Plan, new: Plan, lost: int, now: dt.datetime) -> dict[str, Any]:
    pool = _pool(old, change.pool) or _pool(new, change.pool) or {}
    out: dict[str, Any] = {"instances": lost, "gpus": lost * int(pool.get("gpus_per_instance") or 0)}
    cap = pool_of(pool).capacity
    if cap.block:
        hours = _block_hours_left(cap, now)
        if hours is None:
            out["note"] = "capacity block without start/end dates in the Plan: paid hours at stake unknown"
        else:
            out["block_instance_hours"] = round(lost * hours, 1)
            out["note"] = (f"{hours:,.1f} paid hours left in the block for each instance "
                           f"(block ends {cap['end']} 11:30 UTC)")
    return out


def _block_hours_left(cap: dict[str, Any], now: dt.datetime) -> float | None:
    """Paid hours from `now` (or the block's start) to its end: the record's exact instants
    (`starts_at`/`ends_at`: a block's start is its reservation's StartDate, not always 11:30 UTC),
    else 11:30 UTC on its dates (Plans written before those fields)."""
    try:
        start = _instant(cap.get("starts_at")) or dt.datetime.combine(
            dt.date.fromisoformat(cap["start"]), BLOCK_END_UTC, dt.timezone.utc)
        end = _instant(cap.get("ends_at")) or dt.datetime.combine(
            dt.date.fromisoformat(cap["end"]), BLOCK_END_UTC, dt.timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (end - max(now, start)).total_seconds() / 3600)
