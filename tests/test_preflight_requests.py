"""The requests preflight sends, in full, captured where botocore hands them to AWS (moto plus the
seeded answers of tests/preflight_fixtures.py, whose DescribeCapacityBlockOfferings answers like AWS:
duration, count, dates and the 64-instance cap all decide what comes back).

Capacity-block offerings for an instance pool and for an UltraServer pool, the reservation and block
reads, and the interconnect status: each request is compared whole, so a wrong duration (days x 12),
a dropped 64-instance cap, a count of instances where UltraServers are asked, or dates off by a day
fail here.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import (  # noqa: E402
    NOW, REGION, make_session, plan, pool, reservation, standard_seed,
)

from planner.findings import Level  # noqa: E402
from planner.preflight import run  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402

OFFERING = "preflight.capacity.offering"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def run_live(p, seed):
    session = make_session(REGION)
    seed.install(session)
    return run(p, LiveAccount(REGION, session=session, max_attempts=1), now=NOW)


def requests(seed, operation):
    return [body for op, body in seed.requests if op == operation]


def instance_block(instances=100, days=14, start="2026-12-01", end="2026-12-15"):
    return pool("gpu", "p5.48xlarge", instances, zone="us-east-1a",
                capacity={"type": "capacity-block", "planned": True, "start": start, "days": days, "end": end})


def ultra_block(ultraservers=2, days=7, start="2026-12-01", end="2026-12-08"):
    return pool("nvl", "p6e-gb200.36xlarge", 18 * ultraservers, kind="ultraserver", ultraserver_type="u-p6e-gb200x72",
                per_ultraserver=18, zone="us-east-1a", efa_interfaces=4, interfaces=5,
                capacity={"type": "capacity-block", "planned": True, "start": start, "days": days, "end": end})


def test_instance_block_offering_query_is_sent_in_full(aws):
    """100 p5 for 14 days from 2026-12-01: 336 hours, one 64-instance block asked (the per-block
    maximum), start range that day, end range through the pool's last day."""
    offer = {"InstanceType": "p5.48xlarge", "AvailabilityZone": "us-east-1a", "InstanceCount": 64,
             "StartDate": utc(2026, 12, 1, 11, 30), "EndDate": utc(2026, 12, 15, 11, 30),
             "CapacityBlockDurationHours": 336, "UpfrontFee": "1234567.00", "CurrencyCode": "USD"}
    seed = standard_seed(offerings=[offer])
    result = run_live(plan(instance_block()), seed)
    assert requests(seed, "DescribeCapacityBlockOfferings") == [{
        "Action": "DescribeCapacityBlockOfferings", "Version": "2016-11-15", "CapacityDurationHours": 336,
        "InstanceType": "p5.48xlarge", "InstanceCount": 64,
        "StartDateRange": "2026-12-01T00:00:00Z", "EndDateRange": "2026-12-16T00:00:00Z"}]
    [f] = [f for f in result.findings if f.check_id == OFFERING]
    assert (f.level, f.message) == (Level.INFO, "capacity block offered for 64 x p5.48xlarge in us-east-1a, "
                                    "2026-12-01T11:30:00Z to 2026-12-15T11:30:00Z: USD 1,234,567.00 upfront "
                                    "(the pool needs 2 blocks of up to 64)")


def test_ultraserver_block_offering_query_asks_for_ultraservers(aws):
    """Two GB200 NVL72 UltraServers for 7 days: UltraserverType and UltraserverCount (not 36
    instances), 168 hours, the pool's dates."""
    offer = {"UltraserverType": "u-p6e-gb200x72", "InstanceType": "p6e-gb200.36xlarge", "UltraserverCount": 2,
             "InstanceCount": 36, "AvailabilityZone": "us-east-1a", "StartDate": utc(2026, 12, 1, 11, 30),
             "EndDate": utc(2026, 12, 8, 11, 30), "CapacityBlockDurationHours": 168, "UpfrontFee": "500000.00",
             "CurrencyCode": "USD"}
    seed = standard_seed(offerings=[offer])
    result = run_live(plan(ultra_block()), seed)
    assert requests(seed, "DescribeCapacityBlockOfferings") == [{
        "Action": "DescribeCapacityBlockOfferings", "Version": "2016-11-15", "CapacityDurationHours": 168,
        "UltraserverType": "u-p6e-gb200x72", "UltraserverCount": 2,
        "StartDateRange": "2026-12-01T00:00:00Z", "EndDateRange": "2026-12-09T00:00:00Z"}]
    [f] = [f for f in result.findings if f.check_id == OFFERING]
    assert (f.level, f.message) == (Level.INFO, "capacity block offered for 2 x u-p6e-gb200x72 in us-east-1a, "
                                    "2026-12-01T11:30:00Z to 2026-12-08T11:30:00Z: USD 500,000.00 upfront")


def test_block_without_dates_asks_for_the_duration_only(aws):
    """No start and no end: no date range at all (AWS then searches from now), a 1-day block 24 hours."""
    seed = standard_seed()
    p = plan(pool("gpu", "p5.48xlarge", 8, capacity={"type": "capacity-block", "planned": True, "days": 1}))
    result = run_live(p, seed)
    assert requests(seed, "DescribeCapacityBlockOfferings") == [{
        "Action": "DescribeCapacityBlockOfferings", "Version": "2016-11-15", "CapacityDurationHours": 24,
        "InstanceType": "p5.48xlarge", "InstanceCount": 8}]
    [f] = [f for f in result.findings if f.check_id == OFFERING]
    assert (f.level, f.message) == (Level.WARNING, "no capacity block offered for 8 x p5.48xlarge, 1 days from now")


@pytest.mark.parametrize("offer_change, why", [
    ({"CapacityBlockDurationHours": 168}, "an offering of another duration"),
    ({"InstanceCount": 32}, "an offering of another size"),
    ({"StartDate": utc(2026, 11, 30, 11, 30), "EndDate": utc(2026, 12, 14, 11, 30)}, "one that starts before the pool"),
    ({"StartDate": utc(2026, 12, 2, 11, 30), "EndDate": utc(2026, 12, 16, 11, 30)}, "one that ends after the pool"),
    ({"InstanceType": "p5en.48xlarge"}, "another instance type"),
])
def test_an_offering_that_does_not_fit_the_pool_is_not_offered(aws, offer_change, why):
    offer = {"InstanceType": "p5.48xlarge", "AvailabilityZone": "us-east-1a", "InstanceCount": 64,
             "StartDate": utc(2026, 12, 1, 11, 30), "EndDate": utc(2026, 12, 15, 11, 30),
             "CapacityBlockDurationHours": 336, "UpfrontFee": "1.00", "CurrencyCode": "USD", **offer_change}
    [f] = [f for f in run_live(plan(instance_block()), standard_seed(offerings=[offer])).findings
           if f.check_id == OFFERING]
    assert f.level == Level.WARNING and f.message.startswith("no capacity block offered for 64 x p5.48xlarge"), why


def test_reservation_and_block_reads_are_sent_in_full(aws):
    """A pool on a bought UltraServer block: the reservations and blocks are read once each, unfiltered
    and paged (the whole region, matched locally), and the interconnect status is asked for exactly
    the pool's active block."""
    rid, block = "cr-0123456789abcdef0", "cb-0123456789abcdef0"
    r = reservation(rid, "p6e-gb200.36xlarge", 18, zone="us-east-1a", zone_id="use1-az6", kind="capacity-block",
                    start="2026-11-20T11:30:00Z", end="2026-12-04T11:30:00Z", block_id=block)
    blocks = [{"CapacityBlockId": block, "UltraserverType": "u-p6e-gb200x72", "AvailabilityZone": "us-east-1a",
               "AvailabilityZoneId": "use1-az6", "CapacityReservationIds": [rid], "State": "active",
               "StartDate": utc(2026, 11, 20, 11, 30), "EndDate": utc(2026, 12, 4, 11, 30)}]
    status = [{"CapacityBlockId": block, "InterconnectStatus": "ok", "TotalCapacity": 18, "TotalUnavailableCapacity": 0}]
    seed = standard_seed(reservations=[r], blocks=blocks, block_status=status)
    p = plan(pool("nvl", "p6e-gb200.36xlarge", 18, kind="ultraserver", ultraserver_type="u-p6e-gb200x72",
                  per_ultraserver=18, zone="us-east-1a", efa_interfaces=4, interfaces=5,
                  capacity={"type": "capacity-block", "reservation_id": rid, "start": "2026-11-20", "days": 14,
                            "end": "2026-12-04"}))
    result = run_live(p, seed)
    assert requests(seed, "DescribeCapacityReservations") == [
        {"Action": "DescribeCapacityReservations", "Version": "2016-11-15", "MaxResults": 1000}]
    assert requests(seed, "DescribeCapacityBlocks") == [
        {"Action": "DescribeCapacityBlocks", "Version": "2016-11-15", "MaxResults": 1000}]
    assert requests(seed, "DescribeCapacityBlockStatus") == [
        {"Action": "DescribeCapacityBlockStatus", "Version": "2016-11-15", "CapacityBlockId.1": block}]
    assert requests(seed, "DescribeCapacityBlockOfferings") == []  # bought: nothing to look up
    assert [f for f in result.findings if f.check_id == "preflight.capacity.ultraserver"] == []
    assert result.statuses()["preflight.capacity.ultraserver"].value == "passed"


def test_every_request_of_a_preflight_is_sent_in_full(aws):
    """One p5 pool on an on-demand reservation that holds it: each AWS call preflight makes, in order,
    with its whole request (no vCPU quota asked: the reservation holds the instances). A new call, a changed filter or quota code shows up here (update the list with the
    AWS page that says why)."""
    import json

    seed = standard_seed(reservations=[reservation("cr-1", end=None)])
    run_live(plan(pool("gpu", "p5.48xlarge", 4, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"})), seed)
    ec2 = {"Version": "2016-11-15"}
    sent = [(op, json.loads(body) if isinstance(body, bytes) else body) for op, body in seed.requests]
    assert sent == [
        ("DescribeAvailabilityZones", {"Action": "DescribeAvailabilityZones", **ec2, "AllAvailabilityZones": "true"}),
        ("DescribeInstanceTypeOfferings", {"Action": "DescribeInstanceTypeOfferings", **ec2, "LocationType": "availability-zone-id",
                                           "Filter.1.Name": "instance-type", "Filter.1.Value.1": "p5.48xlarge", "MaxResults": 1000}),
        ("DescribeInstanceTypes", {"Action": "DescribeInstanceTypes", **ec2, "InstanceType.1": "p5.48xlarge"}),
        ("DescribeCapacityReservations", {"Action": "DescribeCapacityReservations", **ec2, "MaxResults": 1000}),
        ("GetServiceQuota", {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"}),  # VPCs per Region
        ("DescribeVpcs", {"Action": "DescribeVpcs", **ec2, "MaxResults": 1000}),
        ("GetServiceQuota", {"ServiceCode": "vpc", "QuotaCode": "L-DF5E4CA3"}),  # Network interfaces per Region
        ("DescribeNetworkInterfaces", {"Action": "DescribeNetworkInterfaces", **ec2, "MaxResults": 1000}),
        ("GetServiceQuota", {"ServiceCode": "vpc", "QuotaCode": "L-E79EC296"}),  # Security groups per Region
        ("DescribeSecurityGroups", {"Action": "DescribeSecurityGroups", **ec2, "MaxResults": 1000}),
    ]


def test_the_cheapest_offering_in_the_pools_zone_is_reported(aws):
    def offer(fee, zone="us-east-1a"):
        return {"InstanceType": "p5.48xlarge", "AvailabilityZone": zone, "InstanceCount": 64,
                "StartDate": utc(2026, 12, 1, 11, 30), "EndDate": utc(2026, 12, 15, 11, 30),
                "CapacityBlockDurationHours": 336, "UpfrontFee": fee, "CurrencyCode": "USD"}
    seed = standard_seed(offerings=[offer("900.00"), offer("700.00"), offer("100.00", "us-east-1b"), offer("800.00")])
    [f] = [f for f in run_live(plan(instance_block()), seed).findings if f.check_id == OFFERING]
    assert f.level == Level.INFO and "USD 700.00 upfront" in f.message and "in us-east-1a" in f.message
