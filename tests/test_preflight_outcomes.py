"""The capacity checks' branches that had no failing case, each with the finding it must give, and
passing cases that exercise the check (a reservation that is looked up and compared, not a Plan the
check has nothing to say about: `== []` alone cannot tell "passed" from "returned early", so each
pass also asserts the check's status and that the account was asked).
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import NOW, REGION, make_session, plan, pool, reservation, standard_seed  # noqa: E402

from planner.findings import Level  # noqa: E402
from planner.preflight import run  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def preflight(p, seed):
    session = make_session(REGION)
    seed.install(session)
    account = LiveAccount(REGION, session=session, max_attempts=1)
    return run(p, account, now=NOW), seed


def of(result, check_id):
    return [(f.level, f.message) for f in result.findings if f.check_id == check_id]


def odcr_pool(instances=4, **cap):
    return pool("odcr", instances=instances, zone="us-east-1a",
                capacity={"type": "capacity-reservation", "reservation_id": "cr-1", **cap})


def ultra_pool(ultraservers=2, **cap):
    return pool("us", "p6e-gb200.36xlarge", 18 * ultraservers, vcpus=144, kind="ultraserver",
                ultraserver_type="u-p6e-gb200x72", per_ultraserver=18, efa_interfaces=4, interfaces=5, zone="us-east-1a",
                capacity={"type": "capacity-block", "reservation_id": "cr-u1", "start": "2026-11-20", "days": 14,
                          "end": "2026-12-04", **cap})


def ultra_seed(total=36, state="active", interconnect="ok", unavailable=0, in_block=True):
    return standard_seed(
        reservations=[reservation("cr-u1", "p6e-gb200.36xlarge", total, kind="capacity-block",
                                  block_id="cb-1" if in_block else None,
                                  start="2026-11-20T11:30:00Z", end="2026-12-04T11:30:00Z")],
        blocks=[{"CapacityBlockId": "cb-1", "UltraserverType": "u-p6e-gb200x72", "AvailabilityZone": "us-east-1a",
                 "AvailabilityZoneId": "use1-az6", "CapacityReservationIds": ["cr-u1"] if in_block else [],
                 "State": state, "StartDate": utc(2026, 11, 20, 11, 30), "EndDate": utc(2026, 12, 4, 11, 30)}],
        block_status=[{"CapacityBlockId": "cb-1", "InterconnectStatus": interconnect, "TotalCapacity": total,
                       "TotalUnavailableCapacity": unavailable}],
    )


# -- preflight.capacity.dates ---------------------------------------------------------------------
DATES = "preflight.capacity.dates"


def test_reservation_that_starts_after_the_pool_needs_it_is_an_error(aws):
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-12-03T11:30:00Z", end="2026-12-31T11:30:00Z")])
    result, _ = preflight(plan(odcr_pool(start="2026-12-01", end="2026-12-15")), seed)
    assert of(result, DATES) == [(Level.ERROR, "cr-1 starts 2026-12-03, the pool needs it from 2026-12-01")]


def test_reservation_that_starts_later_than_today_for_an_undated_pool_is_an_error(aws):
    """No pool start: the pool needs the capacity from today (NOW is 2026-11-23)."""
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-11-24T11:30:00Z", end=None)])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, DATES) == [(Level.ERROR, "cr-1 starts 2026-11-24, the pool needs it from 2026-11-23")]


def test_reservation_that_has_ended_is_an_error(aws):
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-10-01T11:30:00Z", end="2026-11-20T11:30:00Z")])
    result, _ = preflight(plan(odcr_pool(start="2026-10-01")), seed)
    assert of(result, DATES) == [(Level.ERROR, "cr-1 ended 2026-11-20")]


def test_reservation_with_an_end_for_an_open_ended_pool_is_a_warning(aws):
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-11-01T11:30:00Z", end="2026-12-31T11:30:00Z")])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, DATES) == [(Level.WARNING, "cr-1 ends 2026-12-31; the pool has no end date")]


def test_reservation_that_covers_the_pool_exactly_passes(aws):
    """Starts on the pool's first day and ends on its last: compared, and passes (one day either way
    fails, above)."""
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-12-01T11:30:00Z", end="2026-12-15T11:30:00Z")])
    result, seed = preflight(plan(odcr_pool(start="2026-12-01", days=14, end="2026-12-15")), seed)
    assert of(result, DATES) == [] and result.statuses()[DATES].value == "passed"
    assert any(op == "DescribeCapacityReservations" for op, _ in seed.requests)


def test_unlimited_reservation_for_an_open_ended_pool_passes(aws):
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-11-01T11:30:00Z", end=None)])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, DATES) == [] and result.statuses()[DATES].value == "passed"


# -- preflight.capacity.ultraserver -----------------------------------------------------------------
ULTRA = "preflight.capacity.ultraserver"


def test_unavailable_block_instances_are_an_error(aws):
    result, _ = preflight(plan(ultra_pool()), ultra_seed(unavailable=3))
    assert of(result, ULTRA) == [(Level.ERROR, "block cb-1: 3 of 36 instances are unavailable")]


def test_reservation_outside_any_ultraserver_block_is_an_error(aws):
    result, _ = preflight(plan(ultra_pool()), ultra_seed(in_block=False))
    assert of(result, ULTRA) == [(Level.ERROR, "cr-u1 is not part of an UltraServer capacity block")]


def test_block_not_active_yet_is_a_warning_and_its_interconnect_is_not_asked(aws):
    result, seed = preflight(plan(ultra_pool()), ultra_seed(state="scheduled"))
    assert of(result, ULTRA) == [(Level.WARNING, "block cb-1 is scheduled; its interconnect is checked once active")]
    assert not [op for op, _ in seed.requests if op == "DescribeCapacityBlockStatus"]


def test_interconnect_without_status_is_unverified_never_a_pass(aws):
    """AWS answers nothing for the block: the check cannot tell, so it says so (unverified), fail closed."""
    seed = ultra_seed()
    seed.block_status = []
    result, _ = preflight(plan(ultra_pool()), seed)
    assert of(result, ULTRA) == [(Level.WARNING, "could not check block cb-1's interconnect: the "
                                                 "DescribeCapacityBlockStatus answer lacks interconnect")]
    assert result.statuses()[ULTRA].value == "unverified"


def test_whole_ultraservers_on_a_healthy_block_pass(aws):
    result, seed = preflight(plan(ultra_pool()), ultra_seed())
    assert of(result, ULTRA) == [] and result.statuses()[ULTRA].value == "passed"
    assert [body.get("CapacityBlockId.1") for op, body in seed.requests if op == "DescribeCapacityBlockStatus"] == ["cb-1"]


# -- preflight.capacity.reservation: the warnings -------------------------------------------------
RES = "preflight.capacity.reservation"


def test_fewer_available_than_the_pool_launches_is_a_warning(aws):
    seed = standard_seed(reservations=[reservation("cr-1", count=4, available=2, end=None)])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, RES) == [(Level.WARNING, "cr-1: only 2 of 4 reserved instances are still available; "
                                               "the pool launches 4")]


def test_an_ultraserver_id_holding_more_than_one_ultraserver_is_a_warning(aws):
    """One id per UltraServer (capacity.reservation_ids): each must be exactly one UltraServer's instances."""
    result, _ = preflight(plan(ultra_pool(ultraservers=1, reservation_id=None, reservation_ids=["cr-u1"])),
                          ultra_seed(total=36))
    assert (Level.WARNING, "cr-u1 reserves 36 instances; its UltraServer group launches 18, so 18 stay idle") \
        in of(result, RES)


@pytest.mark.parametrize("state", ["scheduled", "payment-pending"])
def test_reservation_not_active_yet_is_a_warning(aws, state):
    seed = standard_seed(reservations=[reservation("cr-1", state=state, end=None, start="2026-11-01T11:30:00Z")])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, RES) == [(Level.WARNING, f"cr-1 is {state}, not active yet")]


def test_matching_reservation_with_room_to_spare_passes(aws):
    seed = standard_seed(reservations=[reservation("cr-1", count=6, available=4, end=None)])
    result, _ = preflight(plan(odcr_pool()), seed)
    assert of(result, RES) == [] and result.statuses()[RES].value == "passed"


# -- preflight.capacity.offering: only in another zone ---------------------------------------------
def test_block_offered_only_in_another_zone_is_a_warning(aws):
    offer = {"InstanceType": "p5.48xlarge", "AvailabilityZone": "us-east-1b", "InstanceCount": 8,
             "StartDate": utc(2026, 12, 1, 11, 30), "EndDate": utc(2026, 12, 8, 11, 30),
             "CapacityBlockDurationHours": 168, "UpfrontFee": "100.00", "CurrencyCode": "USD"}
    p = plan(pool("gpu", "p5.48xlarge", 8, zone="us-east-1a",
                  capacity={"type": "capacity-block", "planned": True, "start": "2026-12-01", "days": 7, "end": "2026-12-08"}))
    result, _ = preflight(p, standard_seed(offerings=[offer]))
    assert of(result, "preflight.capacity.offering") == [(Level.WARNING, "capacity blocks for 8 x p5.48xlarge are offered "
                                                          "only in us-east-1b, not in the pool's zone; cheapest USD 100.00 upfront")]
