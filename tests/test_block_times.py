"""preflight.capacity.block-times: the spec's block start and end against each reservation's
StartDate and EndDate, on Plans compiled from specs (instance and UltraServer blocks), live and
through an account snapshot.

moto has no capacity reservations: DescribeCapacityReservations is seeded (tests/preflight_fixtures.py
`Seed`), answered through the LiveAccount's real client, pagination and normalisation.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import NOW, REGION, make_session, reservation, standard_seed  # noqa: E402

import planner  # noqa: E402
from planner.findings import Level  # noqa: E402
from planner.preflight import capture, load_snapshot, run, save_snapshot  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402

CID = "preflight.capacity.block-times"

INSTANCE_BLOCK = """\
name: blocks
region: us-east-1
availability_zone: us-east-1a
tags: {{team: t, cost-center: "1"}}
network: {{vpc_cidr: 10.0.0.0/16}}
compute:
  - name: gpu
    instance_type: p5.48xlarge
    count: 2
    capacity: {{type: capacity-block, reservation_id: cr-0123456789abcdef0, start: {start}, days: 14}}
"""

ULTRA_BLOCK = """\
name: blocks
region: us-east-1
availability_zone: us-east-1-dfw-2a
tags: {{team: t, cost-center: "1"}}
network: {{vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}}
compute:
  - name: nvl
    ultraserver: u-p6e-gb200x72
    count: 2
    ami: ami-0123456789abcdef0
    capacity:
      type: capacity-block
      reservation_ids: [cr-0123456789abcdef0, cr-0123456789abcdef1]
      start: {start}
      days: 14
"""


def _reservations(kind: str, start: str, end: str = "2026-12-15T11:30:00Z") -> list[dict]:
    if kind == "instance":
        return [reservation("cr-0123456789abcdef0", "p5.48xlarge", 2, kind="capacity-block", state="scheduled",
                            start=start, end=end)]
    return [reservation(f"cr-0123456789abcdef{i}", "p6e-gb200.36xlarge", 18, zone="us-east-1-dfw-2a",
                        zone_id="use1-dfw2-az1", kind="capacity-block", state="scheduled", start=start, end=end)
            for i in range(2)]


def _account(kind: str, start: str, end: str = "2026-12-15T11:30:00Z") -> LiveAccount:
    session = make_session(REGION)
    standard_seed(reservations=_reservations(kind, start, end)).install(session)
    return LiveAccount(REGION, session=session, max_attempts=1)


def _plan(write_spec, kind: str, start: str):
    return planner.compile_spec(write_spec((INSTANCE_BLOCK if kind == "instance" else ULTRA_BLOCK).format(start=start)))


def _found(plan, account):
    return [(f.level, f.message, f.hint) for f in run(plan, account, now=NOW).findings if f.check_id == CID]


KINDS = [pytest.param("instance", id="instance-block"), pytest.param("ultraserver", id="ultraserver-blocks")]


@pytest.mark.parametrize("kind", KINDS)
def test_block_times_match_a_date_time_start(aws, write_spec, kind):
    plan = _plan(write_spec, kind, "2026-12-01T14:05:00Z")
    assert plan.pools[0]["capacity"]["starts_at"] == "2026-12-01T14:05:00Z"
    assert _found(plan, _account(kind, "2026-12-01T14:05:00Z")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_block_opening_after_the_spec_start_is_an_error(aws, write_spec, kind):
    """The spec gives a date (11:30 UTC assumed); the reservation opens at 14:05: the scale-out would
    come first. One finding for all of a pool's reservations."""
    ids = "cr-0123456789abcdef0" if kind == "instance" else "cr-0123456789abcdef0, cr-0123456789abcdef1"
    verb = "opens" if kind == "instance" else "open"
    assert _found(_plan(write_spec, kind, "2026-12-01"), _account(kind, "2026-12-01T14:05:00Z")) == [(
        Level.ERROR, f"{ids} {verb} at 2026-12-01T14:05:00Z (StartDate), 2 h 35 min after the spec's capacity.start is "
        "2026-12-01T11:30:00Z (a date: 11:30 UTC assumed): the groups would scale out into a block that is not open and "
        "their launches fail until it opens", "set capacity.start: 2026-12-01T14:05:00Z (the reservation's StartDate)")]


def test_block_opening_earlier_is_a_warning(aws, write_spec):
    [(level, message, _)] = _found(_plan(write_spec, "instance", "2026-12-01T14:05:00Z"),
                                   _account("instance", "2026-12-01T11:30:00Z"))
    assert level == Level.WARNING
    assert message.endswith("2 h 35 min before the spec's capacity.start is 2026-12-01T14:05:00Z: the paid block runs "
                            "that long before the groups scale out")


def test_extended_block_is_a_warning_naming_the_new_end(aws, write_spec):
    [(level, message, hint)] = _found(_plan(write_spec, "ultraserver", "2026-12-01"),
                                      _account("ultraserver", "2026-12-01T11:30:00Z", end="2026-12-22T11:30:00Z"))
    assert level == Level.WARNING
    assert "end at 2026-12-22T11:30:00Z (EndDate), 7 d after the spec's block ends 2026-12-15T11:30:00Z (extended?)" in message
    assert hint == "set capacity.end: 2026-12-22 (the reservation's EndDate; drop days)"


def test_block_ending_early_on_the_same_day_is_an_error(aws, write_spec):
    [(level, message, _)] = _found(_plan(write_spec, "instance", "2026-12-01"),
                                   _account("instance", "2026-12-01T11:30:00Z", end="2026-12-15T09:00:00Z"))
    assert level == Level.ERROR
    assert message.endswith("before the spec's block ends 2026-12-15T11:30:00Z: EC2 reclaims the instances before the "
                            "groups scale in")


def test_days_apart_are_left_to_the_dates_check(aws, write_spec):
    """A block that starts a day late is preflight.capacity.dates' error; this check does not repeat it."""
    result = run(_plan(write_spec, "instance", "2026-12-01"), _account("instance", "2026-12-02T11:30:00Z"), now=NOW)
    assert [f for f in result.findings if f.check_id == CID] == []
    assert [f.level for f in result.findings if f.check_id == "preflight.capacity.dates"] == [Level.ERROR]


def test_snapshot_carries_start_and_end_dates(aws, write_spec, tmp_path):
    """`account snapshot` stores each reservation's StartDate/EndDate; the replay finds the same."""
    plan = _plan(write_spec, "ultraserver", "2026-12-01")
    path = str(tmp_path / "account.json")
    save_snapshot(capture(_account("ultraserver", "2026-12-01T14:05:00Z"), plan), path)
    snapshot = load_snapshot(path)
    assert snapshot.capacity_reservations()["cr-0123456789abcdef1"]["start"] == "2026-12-01T14:05:00Z"
    assert _found(plan, snapshot) == _found(plan, _account("ultraserver", "2026-12-01T14:05:00Z"))
    assert [level for level, _, _ in _found(plan, snapshot)] == [Level.ERROR]


def test_a_reservation_without_a_start_date_still_has_its_end_checked(aws, write_spec):
    """A reservation whose StartDate is missing (an account snapshot written by hand, or an answer
    without it) cannot be compared on its start: no start finding, no failed check, and its EndDate
    is still compared with the spec's end."""
    session = make_session(REGION)
    [r] = _reservations("instance", "2026-12-01T11:30:00Z", end="2026-12-15T09:00:00Z")
    r["StartDate"] = None
    standard_seed(reservations=[r]).install(session)
    found = run(_plan(write_spec, "instance", "2026-12-01"), LiveAccount(REGION, session=session, max_attempts=1),
                now=NOW).findings
    mine = [f for f in found if f.check_id == CID]
    assert [(f.level, f.unverified) for f in mine] == [(Level.ERROR, None)]
    assert mine[0].message.startswith("cr-0123456789abcdef0 ends at 2026-12-15T09:00:00Z (EndDate)")


def test_a_reservation_that_is_not_a_block_is_not_this_checks_business(aws, write_spec):
    """An On-Demand Capacity Reservation has no block times: when the reservations cannot be read, a
    reservation pool gets no 'could not check' from this check (preflight.capacity.reservation says it)."""
    spec = INSTANCE_BLOCK.format(start="2026-12-01").replace(
        "capacity: {type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 14}",
        "capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}")
    session = make_session(REGION)
    standard_seed(errors={"DescribeCapacityReservations": ("UnauthorizedOperation", "not authorized")}).install(session)
    result = run(planner.plan_file(write_spec(spec)), LiveAccount(REGION, session=session, max_attempts=1), now=NOW)
    assert [f for f in result.findings if f.check_id == CID] == []
    assert [f.check_id for f in result.findings if f.unverified is not None and "reservation" in f.check_id]


def test_a_plan_without_the_instants_takes_its_dates_at_11_30_utc(aws, write_spec):
    """A Plan written before `starts_at`/`ends_at` were recorded gives dates only: each is read as
    11:30 UTC, when AWS opens and closes blocks, so a block opening then matches and one opening
    later is the same error as with a date in the spec."""
    from planner.plan.model import Plan

    data = _plan(write_spec, "instance", "2026-12-01").to_json()
    for key in ("starts_at", "ends_at", "start_time_assumed"):
        data["pools"][0]["capacity"].pop(key, None)
    plan = Plan.from_json(data)
    assert _found(plan, _account("instance", "2026-12-01T11:30:00Z")) == []
    [(level, message, _)] = _found(plan, _account("instance", "2026-12-01T14:05:00Z"))
    assert level == Level.ERROR and "2 h 35 min after the spec's capacity.start is 2026-12-01T11:30:00Z" in message


def test_a_block_ending_days_early_is_left_to_the_dates_check(aws, write_spec):
    """A block that ends a day before the spec's end is preflight.capacity.dates' error, once."""
    result = run(_plan(write_spec, "instance", "2026-12-01"),
                 _account("instance", "2026-12-01T11:30:00Z", end="2026-12-14T11:30:00Z"), now=NOW)
    assert [f for f in result.findings if f.check_id == CID] == []
    assert [f.level for f in result.findings if f.check_id == "preflight.capacity.dates"] == [Level.ERROR]
