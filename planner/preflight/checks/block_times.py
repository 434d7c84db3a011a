"""Capacity Block times: the spec's start and end against each reservation's StartDate and EndDate."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from ...clock import stamp as _stamp
from ...findings import Finding, Level
from ...records import pool_of
from ..account import AccountError
from ..context import Context
from .registry import check

# A plan without the exact instants (written before they were recorded) assumes 11:30 UTC on its dates.
_DEFAULT = time(11, 30, tzinfo=timezone.utc)


def _instant(text: Any) -> datetime | None:
    if not text:
        return None
    value = str(text)
    if "T" not in value:
        return datetime.combine(date.fromisoformat(value), _DEFAULT)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or "0 min"


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")


def _blocks(ctx: Context) -> Iterable[dict[str, Any]]:
    for pool in ctx.pools:
        cap = pool_of(pool).capacity
        if cap.block and cap.names_capacity() and cap.start:
            yield pool


@check("preflight.capacity.block-times", Level.ERROR, "Capacity Block times match the spec")
def block_times(ctx: Context) -> Iterable[Finding]:
    """A Capacity Block opens at its reservation's StartDate, which need not be 11:30 UTC (AWS fixes
    only the end at 11:30 UTC: EC2 API Reference, CapacityBlockOffering, DescribeCapacityReservations),
    and ends at its EndDate, later when the block was extended. The groups scale out at the spec's
    `capacity.start` (a date is taken as 11:30 UTC) and in before its end, so each reservation's
    StartDate and EndDate must equal them: a block that opens after the spec's start makes the
    scale-out launch into a block not open yet (an error), one that ends before the spec's end is
    reclaimed before the scale-in (an error); a block that opens earlier leaves paid hours unused and
    one that ends later (extended) is cut short (warnings). Days apart are preflight.capacity.dates'
    errors and not repeated here. Fix: give `capacity.start` as the reservation's StartDate date-time
    and `capacity.end` as its EndDate's date."""
    cid = "preflight.capacity.block-times"
    for pool in _blocks(ctx):
        cap = pool["capacity"]
        start = _instant(cap.get("starts_at") or cap.get("start"))
        end = _instant(cap.get("ends_at") or cap.get("end"))
        try:
            found = [r for rid in ctx.pool_reservation_ids(pool) if (r := ctx.reservations().get(rid))]
        except AccountError as err:
            yield ctx.could_not(cid, "capacity block times", err, pool=pool)
            continue
        starts: dict[datetime, list[str]] = {}
        ends: dict[datetime, list[str]] = {}
        for r in found:
            if r.get("reservation_type") not in (None, "capacity-block"):
                continue  # not a block: preflight.capacity.reservation says so
            if (r_start := _instant(r.get("start"))) is not None and start is not None and r_start != start:
                starts.setdefault(r_start, []).append(r["id"])
            if (r_end := _instant(r.get("end"))) is not None and end is not None and r_end != end:
                ends.setdefault(r_end, []).append(r["id"])
        # A Plan without the field (written before it) gave dates only.
        assumed = " (a date: 11:30 UTC assumed)" if cap.get("start_time_assumed", True) else ""
        for r_start, ids in sorted(starts.items()):
            yield from _start_finding(ctx, cid, pool, start, r_start, ids, assumed)
        for r_end, ids in sorted(ends.items()):
            yield from _end_finding(ctx, cid, pool, end, r_end, ids)


def _start_finding(ctx: Context, cid: str, pool: dict[str, Any], start: datetime, r_start: datetime, ids: list[str],
                   assumed: str) -> Iterable[Finding]:
    hint = f"set capacity.start: {_stamp(r_start)} (the reservation's StartDate)"
    said = f"the spec's capacity.start is {_stamp(start)}{assumed}"
    verb = "opens" if len(ids) == 1 else "open"
    if r_start > start:
        if r_start.date() > start.date():
            return  # preflight.capacity.dates: the block starts days after the pool needs it
        yield ctx.finding(cid, Level.ERROR, f"{_ids(ids)} {verb} at {_stamp(r_start)} (StartDate), {_span(r_start - start)} "
                          f"after {said}: the groups would scale out into a block that is not open and their launches "
                          "fail until it opens", hint=hint, pool=pool)
    else:
        yield ctx.finding(cid, Level.WARNING, f"{_ids(ids)} {verb} at {_stamp(r_start)} (StartDate), {_span(start - r_start)} "
                          f"before {said}: the paid block runs that long before the groups scale out", hint=hint,
                          pool=pool)


def _end_finding(ctx: Context, cid: str, pool: dict[str, Any], end: datetime, r_end: datetime,
                 ids: list[str]) -> Iterable[Finding]:
    verb = "ends" if len(ids) == 1 else "end"
    said = f"the spec's block ends {_stamp(end)}"
    hint = f"set capacity.end: {r_end.date().isoformat()} (the reservation's EndDate; drop days)"
    if r_end < end:
        if r_end.date() < end.date():
            return  # preflight.capacity.dates: the block ends days before the pool needs it
        yield ctx.finding(cid, Level.ERROR, f"{_ids(ids)} {verb} at {_stamp(r_end)} (EndDate), before {said}: EC2 reclaims "
                          "the instances before the groups scale in", hint=hint, pool=pool)
    else:
        yield ctx.finding(cid, Level.WARNING, f"{_ids(ids)} {verb} at {_stamp(r_end)} (EndDate), {_span(r_end - end)} after "
                          f"{said} (extended?): the groups scale in early and leave the rest of the block unused",
                          hint=hint, pool=pool)
