"""The pool record of a Plan, typed: what the compiler decided for each compute pool.

One module owns the record: `PoolRecord` (with its `CapacityRecord`, `ScheduleRecord`, the
interface layout and the spec source) and the capacity block's `BlockWindow`. The compiler builds
them (planner/compile/pools.py), the Plan JSON is their `to_json`, the Plan reader is their
`from_json` after `shape()` has refused any field of the wrong type (exit 2, naming the file and
the field: planner.plan.load_plan). docs/plan-format.md lists the fields; tests/test_records.py
holds the two together.

Capacity questions are answered here, once: `CapacityRecord.names_capacity()` (the pool launches
into capacity that exists), `targets()` (the reservation ids it names, in group order), `wants_block()`
(a block to buy), and `PoolRecord.window()` (the days the pool runs, as written).

Records are read-only and also read like the JSON object they stand for (`pool["instances"]`,
`pool.get("ami")`), so consumers that only read a value need no record-specific code; capacity is
read through its methods.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

RESERVED = ("capacity-reservation", "capacity-block")
Date = typing.NewType("Date", str)  # YYYY-MM-DD
Timestamp = typing.NewType("Timestamp", str)  # YYYY-MM-DDTHH:MM:SSZ


class _Record(Mapping):
    """A frozen record that reads like its JSON object (a read-only Mapping over its fields and the
    unknown keys it keeps); compared with a dict or another record by content."""

    # Keys a newer writer may add: kept and written back, never read.
    extra: dict[str, Any]
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, key: str) -> Any:
        if key in _field_names(type(self)):
            return getattr(self, key)
        if key in self.extra:
            return self.extra[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from _field_names(type(self))
        yield from self.extra

    def __len__(self) -> int:
        return len(_field_names(type(self))) + len(self.extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in _field_names(type(self)))})"

    # -- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out = {name: _to_json(getattr(self, name)) for name in _field_names(type(self))}
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Any:
        """The record of a JSON object already checked against `shape()` (missing keys get their
        defaults; unknown keys are kept in `extra`)."""
        if isinstance(data, cls):
            return data
        data = data or {}
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for name in _field_names(cls):
            if name in data:
                values[name] = _from_json(hints[name], data[name])
        known = set(_field_names(cls))
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})

    @classmethod
    def shape(cls) -> Any:
        """The fileshape every JSON object of this record must fit, derived from the field types."""
        from .fileshape import Obj

        hints = _hints(cls)
        required = {n: _shape_of(hints[n]) for n in cls.REQUIRED}
        optional = {n: _shape_of(hints[n]) for n in _field_names(cls) if n not in cls.REQUIRED}
        return Obj(required, optional)

    @classmethod
    def fields_doc(cls) -> dict[str, str]:
        """Each field's name and the JSON type it holds (what docs/plan-format.md must list)."""
        hints = _hints(cls)
        return {n: _shape_of(hints[n]).name for n in _field_names(cls)}


def _field_names(cls: type) -> tuple[str, ...]:
    names = cls.__dict__.get("_names")
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name != "extra")
        cls._names = names
    return names


def _hints(cls: type) -> dict[str, Any]:
    hints = cls.__dict__.get("_type_hints")
    if hints is None:
        hints = typing.get_type_hints(cls)
        cls._type_hints = hints
    return hints


def _to_json(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_json()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _args(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp)


def _is_optional(tp: Any) -> tuple[bool, Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in _args(tp) if a is not type(None)]
        if len(rest) == 1 and len(_args(tp)) == 2:
            return True, rest[0]
    return False, tp


def _from_json(tp: Any, value: Any) -> Any:
    optional, inner = _is_optional(tp)
    if value is None:
        return None
    if isinstance(inner, type) and issubclass(inner, _Record):
        return inner.from_json(value)
    if typing.get_origin(inner) is list:
        (item,) = _args(inner)
        return [_from_json(item, v) for v in value] if isinstance(value, list) else value
    return value


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        isinstance(value, int) or math.isfinite(value))


def _shape_of(tp: Any) -> Any:
    from .fileshape import ANY, BOOL, INT, NUM, STR, ListOf, MapOf, Opt

    optional, inner = _is_optional(tp)
    if inner in (Date, Timestamp):
        shape = _DateShape(inner is Timestamp)
    elif isinstance(inner, type) and issubclass(inner, _Record):
        shape = inner.shape()
    elif typing.get_origin(inner) is list:
        shape = ListOf(_shape_of(_args(inner)[0]))
    elif typing.get_origin(inner) is dict:
        shape = MapOf(_shape_of(_args(inner)[1]))
    else:
        shape = {str: STR, int: INT, float: NUM, bool: BOOL}.get(inner, ANY)
    return Opt(shape) if optional else shape


class _DateShape:
    def __init__(self, timestamp: bool) -> None:
        self.timestamp = timestamp
        self.name = "a UTC time (YYYY-MM-DDTHH:MM:SSZ)" if timestamp else "a date (YYYY-MM-DD)"

    def check(self, value: Any, path: str) -> None:
        from .fileshape import _Mismatch

        try:
            ok = isinstance(value, str) and day(value) is not None
        except ValueError:
            ok = False
        if not ok:
            raise _Mismatch(path, f"expected {self.name}, got {value!r}"[:200])


DATE = _DateShape(False)


# -- the records --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SourceRef(_Record):
    """Where in the spec the pool is written."""

    file: str | None = None
    line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class InterfaceRecord(_Record):
    """One network interface of each instance: card, device index, `efa`/`efa-only`/`interface`."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("card", "device", "type")
    card: int = 0
    device: int = 0
    type: str = "interface"
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class ScheduleRecord(_Record):
    """When the pool runs (phases): dates as YYYY-MM-DD, or a number of months from the term's start."""

    start: Date | None = None
    end: Date | None = None
    months: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class CapacityRecord(_Record):
    """How the pool's instances are bought, and the capacity it launches into."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("type",)
    type: str = "on-demand"
    reservation_id: str | None = None
    # One id per UltraServer, in the order of the pool's `groups` (groups[i] targets reservation_ids[i]).
    reservation_ids: list[str] | None = None
    resource_group_arn: str | None = None
    start: Date | None = None
    days: int | None = None
    end: Date | None = None
    planned: bool = False
    # Capacity Block lifecycle (BlockWindow): when the block opens and ends, where the planning clock
    # falls (before-start | running), when the groups scale out and back to zero, and the drain hook.
    starts_at: Timestamp | None = None
    start_time_assumed: bool | None = None
    ends_at: Timestamp | None = None
    phase: str | None = None
    scale_out_at: Timestamp | None = None
    scale_in_at: Timestamp | None = None
    scale_in_lead_minutes: int | None = None
    drain_seconds: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def reserved(self) -> bool:
        """A capacity reservation or a capacity block (capacity placed for the pool, bought or not)."""
        return self.type in RESERVED

    @property
    def block(self) -> bool:
        return self.type == "capacity-block"

    def names_reservation(self) -> bool:
        """The spec names the capacity: reservation ids, one id, or a resource group."""
        return bool(self.reservation_ids or self.reservation_id or self.resource_group_arn)

    def names_capacity(self) -> bool:
        """The pool launches into reserved capacity that exists (named, not `planned`)."""
        return self.reserved and not self.planned and self.names_reservation()

    def wants_block(self) -> bool:
        """A capacity block the spec wants but has not bought yet (`planned`, or none named)."""
        return self.block and (self.planned or not self.names_reservation())

    @property
    def running(self) -> bool:
        """A capacity block that had opened when the Plan was made (`phase`, from the planning clock)."""
        return self.block and self.phase == "running"

    def targets(self) -> list[str]:
        """The reservation ids the pool launches into, each once, in group order (a resource
        group's members are only known to the account: see preflight's context)."""
        if self.reservation_ids:
            return list(dict.fromkeys(self.reservation_ids))
        return [self.reservation_id] if self.reservation_id else []

    def first_target(self) -> str | None:
        """The reservation the pool's first group (its first UltraServer) launches into."""
        return (self.reservation_ids or [None])[0] or self.reservation_id


@dataclass(frozen=True)
class RunWindow:
    """The days a pool runs, as its record says (None: open, resolved against the term by cost)."""

    start: dt.date | None = None
    end: dt.date | None = None
    days: int | None = None  # a planned block without dates: this many days from the term's start
    months: int | None = None  # a phase of this many months from its start (or the term's start)


@dataclass(frozen=True, eq=False)
class PoolRecord(_Record):
    """What the compiler decided for one compute pool (docs/plan-format.md, "A pool record")."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("name", "instance_type", "count", "instances", "vcpus_per_instance")
    name: str = ""
    kind: str = "instance"
    instance_type: str = ""
    ultraserver_type: str | None = None
    count: int = 0
    instances: int = 0
    instances_per_ultraserver: int | None = None
    vcpus_per_instance: int = 0
    vcpus: int = 0
    gpus_per_instance: float | None = None
    gpus: float | None = None
    accelerator: str | None = None
    family: str | None = None
    architecture: str | None = None
    nvlink_domains: int | None = None
    efa: bool = False
    efa_interfaces_per_instance: int | None = None
    interfaces_per_instance: int | None = None
    interfaces: list[InterfaceRecord] | None = None
    ips_per_instance: int | None = None
    efa_bandwidth_gbps_per_instance: float | None = None
    availability_zone: str | None = None
    availability_zone_is_id: bool | None = None
    subnet: str | None = None
    existing_subnet_id: str | None = None
    capacity: CapacityRecord = field(default_factory=CapacityRecord)
    schedule: ScheduleRecord | None = None
    placement_group: str | None = None
    launch_template: str | None = None
    groups: list[str] = field(default_factory=list)
    root_volume_gib: int | None = None
    root_device_name: str | None = None
    ami: str | None = None
    image: str | None = None
    unconfirmed: list[str] = field(default_factory=list)
    catalog_source: str | None = None
    source: SourceRef = field(default_factory=SourceRef)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "PoolRecord":
        rec = super().from_json(data)
        if rec.capacity is None:  # `"capacity": null` in a hand-made Plan: on-demand, as a missing key
            object.__setattr__(rec, "capacity", CapacityRecord())
        return rec

    def window(self) -> RunWindow:
        """The days the pool runs: a capacity block from `capacity.start` (or the schedule's start)
        for `capacity.days` (or to `capacity.end`), whatever the schedule says; any other pool from
        `schedule.start` to `schedule.end` or `months` later. Dates are as written: the callers
        decide what a missing or reversed date means (cost: the term; preflight: open)."""
        cap, sched = self.capacity, self.schedule or ScheduleRecord()
        if cap.block:
            start = day(cap.start) or day(sched.start)
            end = day(cap.end)
            if end is None and cap.days and start is not None:
                end = start + dt.timedelta(days=int(cap.days))
            if start is None and end is None and cap.days:
                return RunWindow(days=int(cap.days))
            return RunWindow(start, end)
        return RunWindow(day(sched.start), day(sched.end), months=int(sched.months) if sched.months else None)

    def capacity_window(self) -> tuple[dt.date | None, dt.date | None]:
        """The days the pool needs its reserved capacity: the capacity's own dates (a reservation
        or block), else the schedule's, else open (None)."""
        cap, sched = self.capacity, self.schedule or ScheduleRecord()
        start = day(cap.start) or day(sched.start)
        end = day(cap.end) or day(sched.end)
        if end is None and start and cap.days:
            end = start + dt.timedelta(days=int(cap.days))
        return start, end


def day(value: Any) -> dt.date | None:
    """A record's date (YYYY-MM-DD, or the day of an ISO timestamp), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    text = str(value)
    if "T" in text:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    return dt.date.fromisoformat(text[:10])


def pool_of(value: Any) -> PoolRecord:
    """A PoolRecord from a record or its JSON object (hand-made Plans in tests and tools)."""
    return value if isinstance(value, PoolRecord) else PoolRecord.from_json(value)


# -- the capacity block's lifecycle -------------------------------------------------------------
@dataclass(frozen=True)
class BlockWindow:
    """When a Capacity Block opens and ends (UTC) and when its pool scales in (catalog
    capacity_blocks.yaml); `start_assumed`: the spec gave a date only, so the start time is the
    catalog's assumption rather than the reservation's StartDate."""

    start: dt.datetime
    end: dt.datetime
    reclaim_minutes: int
    drain_seconds: int
    margin_minutes: int
    start_assumed: bool = False

    @property
    def scale_out_at(self) -> str:
        return _utc(self.start)

    @property
    def scale_in(self) -> dt.datetime:
        return self.end - dt.timedelta(minutes=self.lead_minutes)

    @property
    def lead_minutes(self) -> int:
        """Minutes before the end at which the group scales in: EC2's reclaim lead, the drain, a margin."""
        return self.reclaim_minutes + -(-self.drain_seconds // 60) + self.margin_minutes

    @property
    def scale_in_at(self) -> str:
        return _utc(self.scale_in)


def _utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
