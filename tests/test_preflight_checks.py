"""Every preflight check, passing and failing, against moto plus seeded data.

moto (real data shipped with moto 5.2.1): zones, instance type offerings by zone ID,
DescribeInstanceTypes, VPCs, subnets and their free addresses, VPC attributes, `vpc` Service Quotas,
RunInstances DryRun. Seeded (moto has none; see tests/preflight_fixtures.py): EC2 Service Quotas,
capacity reservations, capacity blocks and their status, capacity block offerings. Local Zones are
not in moto's zone data, so the opt-in check runs against a hand-written snapshot.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import (  # noqa: E402
    NOW, REGION, Seed, make_session, plan, pool, reservation, standard_seed,
)

import test_block_times  # noqa: E402 (the block-times check's tests, listed in COVERAGE)

from planner.catalog.quotas import load_quotas  # noqa: E402
from planner.findings import Level  # noqa: E402
from planner.preflight import REGISTRY, run  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402
from planner.preflight.snapshot import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, SnapshotAccount  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def live(seed: Seed | None = None, region: str = REGION) -> LiveAccount:
    session = make_session(region)
    (seed or standard_seed()).install(session)
    return LiveAccount(region, session=session, max_attempts=2)


def check(result, check_id: str):
    return [f for f in result.findings if f.check_id == check_id]


def errors(result, check_id: str):
    return [f for f in check(result, check_id) if f.level == Level.ERROR]


def preflight(p, seed=None, **kw):
    return run(p, live(seed, p.region), now=NOW, **kw)


# -- registry -------------------------------------------------------------------------------------
# Each id -> (passing test, failing test) in this module.
COVERAGE = {
    "preflight.zone.exists": ("test_zone_exists_by_name_and_id", "test_zone_missing_suggests"),
    "preflight.zone.opt-in": ("test_local_zone_opted_in", "test_local_zone_not_opted_in"),
    "preflight.offering.zone": ("test_offered_in_zone", "test_type_not_offered_in_zone_lists_zones"),
    "preflight.catalog.instance-type": ("test_catalog_agrees", "test_catalog_stale"),
    "preflight.efa.interfaces": ("test_efa_fits", "test_efa_on_type_without_efa"),
    "preflight.quota.vcpus": ("test_quota_exactly_enough", "test_quota_short_by_one_instance"),
    "preflight.quota.spot": ("test_spot_quota_ok", "test_spot_quota_short"),
    "preflight.quota.capacity-blocks": ("test_block_quota_ok_by_name", "test_block_quota_short_by_name"),
    "preflight.capacity.reservation": ("test_reservation_matches", "test_reservation_wrong_az"),
    "preflight.capacity.dates": ("test_reservation_dates_cover", "test_block_ends_too_early"),
    "preflight.capacity.block-times": ("test_block_times_match_a_date_time_start",
                                       "test_block_opening_after_the_spec_start_is_an_error"),
    "preflight.capacity.ultraserver": ("test_ultraserver_block_ok", "test_ultraserver_block_impaired_wrong_type"),
    "preflight.capacity.offering": ("test_block_offered_with_price", "test_block_not_offered"),
    "preflight.capacity.shared": ("test_reservation_shared_within_capacity", "test_two_pools_overflow_one_reservation"),
    "preflight.capacity.platform": ("test_ami_platform_matches_reservation", "test_rhel_ami_into_linux_reservation"),
    "preflight.quota.limits": ("test_account_limits_within_quota", "test_auto_scaling_group_quota_short"),
    "preflight.subnet.existing": ("test_existing_subnet_ok", "test_existing_subnet_wrong_zone_or_missing"),
    "preflight.subnet.free-ips": ("test_existing_subnet_ok", "test_slash28_too_small_for_p5_pool"),
    "preflight.subnet.public-ip": ("test_private_reused_subnet_ok_for_efa", "test_reused_subnet_with_public_ips_refuses_efa_pool"),
    "preflight.subnet.cidr": ("test_new_subnet_fits", "test_new_subnet_overlaps_and_outside"),
    "preflight.vpc.dns": ("test_vpc_dns_on", "test_vpc_dns_off_and_missing"),
    "preflight.quota.vpc": ("test_vpc_quotas_ok", "test_network_interface_quota_short"),
    "preflight.launch.dry-run": ("test_launch_dry_run_ok", "test_launch_dry_run_insufficient_capacity"),
    "preflight.ami.compatible": ("test_ami_fits", "test_ami_wrong_arch_small_root_or_missing"),
}


def test_registry_ids_docs_and_coverage():
    ids = REGISTRY.ids()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(COVERAGE), "every check needs a passing and a failing test"
    docs = open(os.path.join(ROOT, "docs", "preflight.md"), encoding="utf-8").read()
    for info in REGISTRY:
        assert info.doc and len(info.doc) > 80, info.check_id
        assert info.check_id.startswith("preflight.")
        assert f"`{info.check_id}`" in docs, f"{info.check_id} missing from docs/preflight.md"
        for name in COVERAGE[info.check_id]:
            assert callable(globals().get(name) or getattr(test_block_times, name, None)), name


# -- zones ---------------------------------------------------------------------------------------
def test_zone_exists_by_name_and_id(aws):
    result = preflight(plan(pool("a", zone="us-east-1a"), pool("b", zone="use1-az4", zone_is_id=True)))
    assert check(result, "preflight.zone.exists") == []


def test_zone_missing_suggests(aws):
    result = preflight(plan(pool(zone="us-east-1z")))
    f, subnet = check(result, "preflight.zone.exists")  # the pool's zone and its planned subnet's
    assert subnet.message == "subnet subnet-us-east-1z: zone us-east-1z does not exist in us-east-1"
    assert f.level == Level.ERROR and f.pool == "gpu"
    assert f.message == "pool gpu: zone us-east-1z does not exist in us-east-1"
    assert "us-east-1" in f.hint
    assert (f.source.file, f.source.line) == ("spec.yaml", 10)


def test_local_zone_opt_in_is_read_with_all_zones_from_the_live_api(aws):
    """moto answers everything but the zones; DescribeAvailabilityZones is seeded with moto's six
    us-east-1 zones plus the Dallas Local Zone not opted in (moto has no Local Zones)."""
    region_zones = make_session(REGION).client("ec2").describe_availability_zones()["AvailabilityZones"]
    dallas = {"ZoneName": "us-east-1-dfw-2a", "ZoneId": "use1-dfw2-az1", "ZoneType": "local-zone", "State": "available",
              "OptInStatus": "not-opted-in", "GroupName": "us-east-1-dfw-2", "NetworkBorderGroup": "us-east-1-dfw-2",
              "RegionName": REGION}
    seed = standard_seed()
    seed.zones = region_zones + [dallas]
    result = preflight(plan(pool(zone="us-east-1-dfw-2a", line=14)), seed)
    [f] = errors(result, "preflight.zone.opt-in")
    assert (f.pool, f.source.line) == ("gpu", 14)
    assert "--group-name us-east-1-dfw-2 --opt-in-status opted-in" in f.hint
    asked = [body for op, body in seed.requests if op == "DescribeAvailabilityZones"]
    assert asked and all(b.get("AllAvailabilityZones") == "true" for b in asked), asked


def _zones_snapshot(opt_in: str) -> SnapshotAccount:
    """Hand-written snapshot (moto has no Local Zones): one regular zone and the Dallas Local Zone."""
    zones = [
        {"name": "us-east-1a", "id": "use1-az6", "type": "availability-zone", "state": "available",
         "opt_in": "opt-in-not-required", "group": "us-east-1"},
        {"name": "us-east-1-dfw-2a", "id": "use1-dfw2-az1", "type": "local-zone", "state": "available",
         "opt_in": opt_in, "group": "us-east-1-dfw-2"},
    ]
    return SnapshotAccount({"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "region": REGION,
                            "availability_zones": {"value": zones}})


def test_local_zone_opted_in():
    result = run(plan(pool(zone="us-east-1-dfw-2a")), _zones_snapshot("opted-in"), now=NOW)
    assert check(result, "preflight.zone.opt-in") == []
    assert check(result, "preflight.zone.exists") == []


def test_local_zone_not_opted_in():
    result = run(plan(pool(zone="us-east-1-dfw-2a")), _zones_snapshot("not-opted-in"), now=NOW)
    [f] = check(result, "preflight.zone.opt-in")
    assert f.level == Level.ERROR
    assert "us-east-1-dfw-2a (use1-dfw2-az1, a local-zone) is not opted in" in f.message
    assert "--group-name us-east-1-dfw-2 --opt-in-status opted-in" in f.hint


# -- offerings (moto's offerings data are real) ----------------------------------------------------
def test_offered_in_zone(aws):
    result = preflight(plan(pool(instance_type="p5.48xlarge", zone="us-east-1a")))
    assert check(result, "preflight.offering.zone") == []


def test_type_not_offered_in_zone_lists_zones(aws):
    # moto 5.2.1: p5en.48xlarge is offered in use1-az2 (us-east-1c) and use1-az6 (us-east-1a) only.
    result = preflight(plan(pool(instance_type="p5en.48xlarge", efa_interfaces=16, interfaces=17, zone="us-east-1b")))
    [f] = check(result, "preflight.offering.zone")
    assert f.level == Level.ERROR
    assert f.message == ("p5en.48xlarge is not offered in us-east-1b (use1-az1); zones of us-east-1 that offer it: "
                         "us-east-1c (use1-az2), us-east-1a (use1-az6)")


def test_type_not_listed_in_the_zone_of_its_reservation_is_a_warning_that_says_why(aws):
    # A reservation is capacity in that zone whatever the offerings list says: a warning, not an error.
    p = pool(instance_type="p5en.48xlarge", efa_interfaces=16, interfaces=17, zone="us-east-1b",
             capacity={"type": "capacity-reservation", "reservation_id": "cr-1"})
    [f] = check(preflight(plan(p)), "preflight.offering.zone")
    assert f.level == Level.WARNING
    assert f.message.endswith("(the pool launches into an existing reservation, so this may be a listing gap)")


# -- instance type facts ---------------------------------------------------------------------------
def test_catalog_agrees(aws):
    result = preflight(plan(pool(instance_type="p5.48xlarge")))
    assert check(result, "preflight.catalog.instance-type") == []


def test_catalog_stale(aws):
    from planner.catalog import load_catalog
    import dataclasses

    real = load_catalog()
    stale = dataclasses.replace(real.instance("p5.48xlarge"), network_cards=16, efa_max_interfaces=16)
    catalog = dataclasses.replace(real, instance_types={**real.instance_types, "p5.48xlarge": stale})
    result = run(plan(pool()), live(), now=NOW, catalog=catalog)
    [f] = check(result, "preflight.catalog.instance-type")
    assert f.level == Level.WARNING
    assert "catalog is stale for p5.48xlarge" in f.message
    assert "max EFA interfaces: catalog 16, account 32" in f.message
    assert "network cards: catalog 16, account 32" in f.message


def test_efa_fits(aws):
    result = preflight(plan(pool(efa_interfaces=32, interfaces=33)))
    assert check(result, "preflight.efa.interfaces") == []


def test_efa_on_type_without_efa(aws):
    result = preflight(plan(pool("cpu", "m7i.large", vcpus=2, efa=True, efa_interfaces=1, interfaces=2),
                            pool("gpu", efa_interfaces=40, interfaces=41)))
    msgs = {f.pool: f.message for f in errors(result, "preflight.efa.interfaces")}
    assert msgs["cpu"] == "pool uses EFA but m7i.large does not support EFA"
    assert msgs["gpu"] == "pool plans 40 EFA interfaces per instance; p5.48xlarge allows 32"


# -- vCPU quotas (EC2 quota codes are seeded: moto has none) ----------------------------------------
def test_quota_exactly_enough(aws):
    result = preflight(plan(pool(instances=4)), standard_seed(ec2_quotas={"L-417A185B": 4 * 192}))
    assert check(result, "preflight.quota.vcpus") == []


def test_quota_short_by_one_instance(aws):
    result = preflight(plan(pool(instances=4)), standard_seed(ec2_quotas={"L-417A185B": 3 * 192}))
    [f] = check(result, "preflight.quota.vcpus")
    assert f.level == Level.ERROR and f.pool == "gpu"
    assert f.message == ("Running On-Demand P instances: quota L-417A185B is 576 vCPUs, the plan needs 768 "
                         "(gpu 4 x p5.48xlarge); short by 192 vCPUs (~1 x p5.48xlarge). Request an increase to 768")
    assert f.hint.endswith("--service-code ec2 --quota-code L-417A185B --desired-value 768")


def test_quota_nets_out_reservations(aws):
    seed = standard_seed(ec2_quotas={"L-417A185B": 192}, reservations=[reservation("cr-1", count=4)])
    p = plan(pool("odcr", instances=5, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    assert check(preflight(p, seed), "preflight.quota.vcpus") == []  # 4 reserved + 1 on quota
    p = plan(pool("odcr", instances=6, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    [f] = check(preflight(p, seed), "preflight.quota.vcpus")
    assert "the plan needs 384" in f.message and "short by 192" in f.message


def test_quota_counts_no_reservation_it_cannot_read(aws):
    """Reservations unreadable: the check cannot assume the reservation holds any of the pool's
    instances, so all of them need quota (one instance short is an error) and the message says why."""
    seed = standard_seed(ec2_quotas={"L-417A185B": 3 * 192},
                         errors={"DescribeCapacityReservations": ("UnauthorizedOperation", "not authorized")})
    p = plan(pool("odcr", instances=4, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    f, partial = check(preflight(p, seed), "preflight.quota.vcpus")
    assert (f.level, partial.level) == (Level.ERROR, Level.WARNING)
    assert partial.message.startswith("could not check 'On-demand vCPU quotas cover the plan' in full: ")
    assert "the plan needs 768 (odcr 4 x p5.48xlarge); short by 192 vCPUs" in f.message
    assert "[reservation of pool odcr not counted (" in f.message


def test_quota_unreadable_is_a_warning_not_a_pass(aws):
    result = preflight(plan(pool()), Seed(ec2_quotas={}))
    [f] = check(result, "preflight.quota.vcpus")
    assert f.level == Level.WARNING
    assert f.message.startswith("could not check Running On-Demand P instances (on-demand vCPUs): "
                                "NoSuchResourceException")


def test_quota_buckets_from_data():
    from planner.catalog.quotas import bucket_for

    q = load_quotas()
    assert bucket_for(q, "p6-b200.48xlarge", "on-demand").code == "L-417A185B"
    assert bucket_for(q, "g6e.48xlarge", "on-demand").code == "L-DB2E81BA"
    assert bucket_for(q, "trn2.48xlarge", "capacity-block").code == "L-64569A79"
    assert bucket_for(q, "p6-b200.48xlarge", "capacity-block").code is None  # UNCONFIRMED: by name
    assert bucket_for(q, "m7i.large", "on-demand").code == "L-1216C47A"


def test_spot_quota_ok(aws):
    result = preflight(plan(pool(capacity={"type": "spot"})), standard_seed(ec2_quotas={"L-C4BD4855": 768}))
    assert check(result, "preflight.quota.spot") == []
    assert check(result, "preflight.quota.vcpus") == []  # spot needs no on-demand quota


def test_spot_quota_short(aws):
    result = preflight(plan(pool(capacity={"type": "spot"})), standard_seed(ec2_quotas={"L-C4BD4855": 0}))
    [f] = errors(result, "preflight.quota.spot")
    assert "All P5 Spot Instance Requests: quota L-C4BD4855 is 0 vCPUs, the plan needs 768" in f.message


def _planned_block(instances=2):
    return pool("b200", "p6-b200.48xlarge", instances, efa_interfaces=8, interfaces=9, zone="us-east-1a",
                capacity={"type": "capacity-block", "planned": True, "start": "2026-12-01", "days": 7,
                          "end": "2026-12-08"})


def test_block_quota_ok_by_name(aws):
    result = preflight(plan(_planned_block()), standard_seed(ec2_quotas={"L-TESTP6B2": 384}))
    assert check(result, "preflight.quota.capacity-blocks") == []


def test_block_quota_short_by_name(aws):
    result = preflight(plan(_planned_block()), standard_seed(ec2_quotas={"L-TESTP6B2": 192}))
    [f] = check(result, "preflight.quota.capacity-blocks")
    assert f.level == Level.ERROR
    assert "code L-TESTP6B2 found by quota name at run time; the mapping is UNCONFIRMED" in f.message
    assert "short by 192 vCPUs" in f.message


# -- capacity reservations and blocks (all seeded: moto has none) ----------------------------------
def _odcr_pool(**cap):
    return pool("odcr", instances=4, zone="us-east-1a",
                capacity={"type": "capacity-reservation", "reservation_id": "cr-1", **cap})


def test_reservation_matches(aws):
    result = preflight(plan(_odcr_pool()), standard_seed(reservations=[reservation("cr-1", zone_id="use1-az6")]))
    assert check(result, "preflight.capacity.reservation") == []


def test_reservation_wrong_az(aws):
    seed = standard_seed(reservations=[reservation("cr-1", zone="us-east-1d", zone_id="use1-az4")])
    [f] = check(preflight(plan(_odcr_pool()), seed), "preflight.capacity.reservation")
    assert f.level == Level.ERROR
    assert f.message == "cr-1 is in us-east-1d (use1-az4), the pool is in us-east-1a (use1-az6)"


@pytest.mark.parametrize("res, expected", [
    pytest.param(None, "capacity reservation cr-1 does not exist in us-east-1", id="missing"),
    pytest.param(reservation("cr-1", count=3), "cr-1 reserve 3 instances; the pool launches 4", id="too-small"),
    pytest.param(reservation("cr-1", "p5en.48xlarge"), "cr-1 reserves p5en.48xlarge, the pool launches p5.48xlarge",
                 id="wrong-type"),
    pytest.param(reservation("cr-1", kind="capacity-block"),
                 "cr-1 is a capacity block, but the pool's capacity type is capacity-reservation", id="wrong-kind"),
    pytest.param(reservation("cr-1", state="expired"), "cr-1 is expired", id="expired"),
    pytest.param(reservation("cr-1", platform="Windows"), "cr-1 is for platform Windows; ultraplan pools launch Linux",
                 id="windows"),
])
def test_reservation_mismatches(aws, res, expected):
    seed = standard_seed(reservations=[res] if res else [])
    msgs = [f.message for f in errors(preflight(plan(_odcr_pool()), seed), "preflight.capacity.reservation")]
    assert expected in msgs


def test_reservation_dates_cover(aws):
    seed = standard_seed(reservations=[reservation("cr-1", start="2026-11-01T11:30:00Z", end="2026-12-20T11:30:00Z")])
    p = plan(_odcr_pool(start="2026-12-01", days=14, end="2026-12-15"))
    assert check(preflight(p, seed), "preflight.capacity.dates") == []


def test_block_ends_too_early(aws):
    seed = standard_seed(reservations=[reservation("cr-1", kind="capacity-block", start="2026-12-01T11:30:00Z",
                                                   end="2026-12-08T11:30:00Z")])
    p = plan(pool(instances=4, capacity={"type": "capacity-block", "reservation_id": "cr-1", "start": "2026-12-01",
                                         "days": 14, "end": "2026-12-15"}))
    [f] = check(preflight(p, seed), "preflight.capacity.dates")
    assert f.level == Level.ERROR
    assert f.message == "cr-1 ends 2026-12-08, the pool needs it until 2026-12-15"


def _ultra_pool():
    return pool("us", "p6e-gb200.36xlarge", 36, vcpus=144, kind="ultraserver", ultraserver_type="u-p6e-gb200x72",
                per_ultraserver=18, efa_interfaces=4, interfaces=5, zone="us-east-1a",
                capacity={"type": "capacity-block", "reservation_id": "cr-u1", "start": "2026-11-20", "days": 14,
                          "end": "2026-12-04"})


def _ultra_seed(us_type="u-p6e-gb200x72", interconnect="ok", total=36):
    return standard_seed(
        reservations=[reservation("cr-u1", "p6e-gb200.36xlarge", total, kind="capacity-block", block_id="cb-1",
                                  start="2026-11-20T11:30:00Z", end="2026-12-04T11:30:00Z")],
        blocks=[{"CapacityBlockId": "cb-1", "UltraserverType": us_type, "AvailabilityZone": "us-east-1a",
                 "AvailabilityZoneId": "use1-az6", "CapacityReservationIds": ["cr-u1"], "State": "active",
                 "StartDate": datetime(2026, 11, 20, 11, 30, tzinfo=timezone.utc),
                 "EndDate": datetime(2026, 12, 4, 11, 30, tzinfo=timezone.utc)}],
        block_status=[{"CapacityBlockId": "cb-1", "InterconnectStatus": interconnect, "TotalCapacity": total,
                       "TotalUnavailableCapacity": 0}],
    )


def test_ultraserver_block_ok(aws):
    result = preflight(plan(_ultra_pool()), _ultra_seed())
    assert check(result, "preflight.capacity.ultraserver") == []
    assert check(result, "preflight.capacity.reservation") == []


def test_ultraserver_block_found_from_its_reservation_list(aws):
    """A reservation answer without CapacityBlockId (an older answer or snapshot lacks it) is matched to
    its block through the block's CapacityReservationIds: no false 'not part of a block' error."""
    seed = _ultra_seed()
    seed.reservations[0].pop("CapacityBlockId")
    assert check(preflight(plan(_ultra_pool()), seed), "preflight.capacity.ultraserver") == []


def test_ultraserver_pool_without_its_size_is_not_judged_on_whole_ultraservers(aws):
    """A hand-written Plan whose UltraServer pool lacks instances_per_ultraserver cannot say what a
    whole UltraServer is (the policy ultraserver-whole reports the missing size): no guessed error."""
    p = _ultra_pool()
    p["instances_per_ultraserver"] = None
    msgs = [f.message for f in errors(preflight(plan(p), _ultra_seed(total=27)), "preflight.capacity.ultraserver")]
    assert not [m for m in msgs if "not whole UltraServers" in m]


def test_ultraserver_block_found_from_its_own_id(aws):
    """A block answer that does not list the reservation is still found by the reservation's
    CapacityBlockId."""
    seed = _ultra_seed()
    seed.blocks[0]["CapacityReservationIds"] = []
    assert check(preflight(plan(_ultra_pool()), seed), "preflight.capacity.ultraserver") == []


def test_a_block_not_open_yet_is_a_warning_and_its_interconnect_is_not_asked(aws):
    seed = _ultra_seed()
    seed.blocks[0]["State"] = "scheduled"
    seed.errors = {"DescribeCapacityBlockStatus": ("UnauthorizedOperation", "not authorized")}
    found = check(preflight(plan(_ultra_pool()), seed), "preflight.capacity.ultraserver")
    assert [(f.level, f.message) for f in found] == [
        (Level.WARNING, "block cb-1 is scheduled; its interconnect is checked once active")]
    assert "DescribeCapacityBlockStatus" not in [op for op, _ in seed.requests]


def test_ultraserver_block_impaired_wrong_type(aws):
    result = preflight(plan(_ultra_pool()), _ultra_seed(us_type="u-p6e-gb200x36", interconnect="impaired", total=45))
    msgs = [f.message for f in errors(result, "preflight.capacity.ultraserver")]
    assert "cr-u1 reserves 45 instances, not whole UltraServers of 18" in msgs
    assert "block cb-1 is for u-p6e-gb200x36, the pool wants u-p6e-gb200x72" in msgs
    assert "block cb-1 interconnect is impaired, not ok" in msgs


def test_block_offered_with_price(aws):
    offer = {"InstanceType": "p6-b200.48xlarge", "AvailabilityZone": "us-east-1a", "InstanceCount": 2,
             "StartDate": datetime(2026, 12, 1, 11, 30, tzinfo=timezone.utc),
             "EndDate": datetime(2026, 12, 8, 11, 30, tzinfo=timezone.utc), "CapacityBlockDurationHours": 168,
             "UpfrontFee": "33210.24", "CurrencyCode": "USD"}
    result = preflight(plan(_planned_block()), standard_seed(offerings=[offer]))
    [f] = check(result, "preflight.capacity.offering")
    assert f.level == Level.INFO
    assert f.message == ("capacity block offered for 2 x p6-b200.48xlarge in us-east-1a, 2026-12-01T11:30:00Z to "
                         "2026-12-08T11:30:00Z: USD 33,210.24 upfront")


def test_block_not_offered(aws):
    [f] = check(preflight(plan(_planned_block())), "preflight.capacity.offering")
    assert f.level == Level.WARNING
    assert f.message == "no capacity block offered for 2 x p6-b200.48xlarge, 7 days from 2026-12-01"


# -- subnets and the VPC (moto) ----------------------------------------------------------------------
def _vpc(cidr="10.1.0.0/16", subnets=(("10.1.0.0/24", "us-east-1a"),), dns=True):
    ec2 = make_session(REGION).client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    if dns:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ids = [ec2.create_subnet(VpcId=vpc, CidrBlock=c, AvailabilityZone=z)["Subnet"]["SubnetId"] for c, z in subnets]
    return vpc, ids


def test_existing_subnet_ok(aws):
    vpc, [sid] = _vpc()
    p = plan(pool(instances=16, existing_subnet_id=sid), vpc_id=vpc, subnets=[])
    result = preflight(p)
    assert check(result, "preflight.subnet.existing") == []
    assert check(result, "preflight.subnet.free-ips") == []


def test_private_reused_subnet_ok_for_efa(aws):
    vpc, [sid] = _vpc()  # moto: a new subnet does not map public IPs on launch
    result = preflight(plan(pool(existing_subnet_id=sid), vpc_id=vpc, subnets=[]))
    assert check(result, "preflight.subnet.public-ip") == []


def test_reused_subnet_with_public_ips_refuses_efa_pool(aws):
    vpc, [sid] = _vpc()
    make_session(REGION).client("ec2").modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    efa = pool("gpu", existing_subnet_id=sid, line=12)
    head = pool("head", "m7i.4xlarge", 1, efa=False, existing_subnet_id=sid, line=20)
    [f] = errors(preflight(plan(efa, head, vpc_id=vpc, subnets=[])), "preflight.subnet.public-ip")
    assert f.pool == "gpu" and f.source.line == 12, "the error names the pool's line"
    assert f"subnet {sid} auto-assigns public IPv4 addresses (MapPublicIpOnLaunch)" in f.message
    assert "33 network interfaces" in f.message
    assert f"--subnet-id {sid} --no-map-public-ip-on-launch" in f.hint


def test_existing_subnet_wrong_zone_or_missing(aws):
    vpc, [sid] = _vpc(subnets=(("10.1.0.0/24", "us-east-1b"),))
    p = plan(pool("a", existing_subnet_id=sid), pool("b", existing_subnet_id="subnet-0000000000000dead"),
             vpc_id=vpc, subnets=[])
    msgs = {f.pool: f.message for f in errors(preflight(p), "preflight.subnet.existing")}
    assert msgs["a"] == f"subnet {sid} is in us-east-1b (use1-az1), the pool is in us-east-1a (use1-az6)"
    assert msgs["b"] == "subnet subnet-0000000000000dead does not exist in us-east-1"


def test_reused_subnet_in_another_vpc_is_an_error(aws):
    vpc, _ = _vpc()
    _, [other] = _vpc(cidr="10.2.0.0/16", subnets=(("10.2.0.0/24", "us-east-1a"),))
    [f] = errors(preflight(plan(pool("a", existing_subnet_id=other), vpc_id=vpc, subnets=[])), "preflight.subnet.existing")
    assert f.pool == "a" and f.message.startswith(f"subnet {other} is in vpc-") and f.message.endswith(
        f", not in the spec's VPC {vpc}")


def test_slash28_too_small_for_p5_pool(aws):
    vpc, [sid] = _vpc(subnets=(("10.1.0.0/28", "us-east-1a"),))  # 16 addresses, 11 usable
    p = plan(pool(instances=16, ips=1, existing_subnet_id=sid), vpc_id=vpc, subnets=[])
    [f] = errors(preflight(p), "preflight.subnet.free-ips")
    assert f.message == f"subnet {sid} (10.1.0.0/28) has 11 free addresses; the plan needs 16 (gpu 16 x 1 IPs)"
    # With `efa` interfaces (one IP each) a single p5 needs 32 addresses.
    p = plan(pool(instances=1, ips=32, existing_subnet_id=sid), vpc_id=vpc, subnets=[])
    [f] = errors(preflight(p), "preflight.subnet.free-ips")
    assert "has 11 free addresses; the plan needs 32" in f.message


def test_a_pool_record_without_its_ip_count_needs_one_address_an_instance(aws):
    # A hand-written Plan may leave ips_per_instance out: one primary address per instance, said so.
    vpc, [sid] = _vpc(subnets=(("10.1.0.0/28", "us-east-1a"),))
    p = pool(instances=16, existing_subnet_id=sid)
    p["ips_per_instance"] = None
    [f] = errors(preflight(plan(p, vpc_id=vpc, subnets=[])), "preflight.subnet.free-ips")
    assert f.message == f"subnet {sid} (10.1.0.0/28) has 11 free addresses; the plan needs 16 (gpu 16 x 1 IPs)"


def _subnet_snapshot(sid: str, **subnet) -> SnapshotAccount:
    """Hand-written snapshot of one reused subnet (moto always answers AvailableIpAddressCount, and
    cannot fill a subnet): what DescribeSubnets said of it, normalised as the live account does."""
    record = {"id": sid, "vpc_id": "vpc-0123456789abcdef0", "cidr": "10.1.0.0/28", "zone": "us-east-1a",
              "zone_id": "use1-az6", "map_public_ip": False, **subnet}
    return SnapshotAccount({"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "region": REGION,
                            "subnets": {"value": {sid: record}}})


@pytest.mark.parametrize("needed, flagged", [(0, False), (1, True)])
def test_a_full_reused_subnet_the_plan_puts_nothing_in_passes(needed, flagged):
    """A reused subnet the Plan's network lists without a pool (a hand-written Plan, docs/plan-format.md)
    needs the addresses its record says: none is no error even with no address free; one is."""
    sid = "subnet-0123456789abcdef0"
    shared = {"name": "shared", "availability_zone": "us-east-1a", "cidr": None, "existing_subnet_id": sid,
              "ips_needed": needed, "pools": []}
    p = plan(pool(), vpc_id="vpc-0123456789abcdef0", subnets=[shared])
    found = errors(run(p, _subnet_snapshot(sid, available_ips=0), now=NOW), "preflight.subnet.free-ips")
    assert [f.message for f in found] == (
        [f"subnet {sid} (10.1.0.0/28) has 0 free addresses; the plan needs 1"] if flagged else [])


def test_a_subnet_answer_without_its_free_count_is_unverified_for_the_pool_that_reuses_it():
    sid = "subnet-0123456789abcdef0"
    p = plan(pool("gpu", existing_subnet_id=sid, line=12), vpc_id="vpc-0123456789abcdef0", subnets=[])
    [f] = check(run(p, _subnet_snapshot(sid, available_ips=None), now=NOW), "preflight.subnet.free-ips")
    assert f.unverified is not None and f.level == Level.WARNING
    assert f.message == (f"could not check free addresses of subnet {sid}: the DescribeSubnets answer lacks "
                         "available_ips")
    assert f.pool == "gpu" and f.source.line == 12, "the finding names the pool that reuses the subnet"


def test_new_slash28_too_small(aws):
    p = plan(pool(instances=16), subnets=[{"name": "subnet-a", "availability_zone": "us-east-1a",
                                           "cidr": "10.0.0.0/28", "existing_subnet_id": None, "ips_needed": 16}])
    [f] = errors(preflight(p), "preflight.subnet.free-ips")
    assert f.message == "new subnet subnet-a (10.0.0.0/28) has 11 usable addresses; the plan puts 16 there"


def test_new_subnet_fits(aws):
    vpc, _ = _vpc()
    p = plan(pool(), vpc_id=vpc, subnets=[{"name": "subnet-new", "availability_zone": "us-east-1a",
                                           "cidr": "10.1.1.0/24", "existing_subnet_id": None, "ips_needed": 4}])
    assert check(preflight(p), "preflight.subnet.cidr") == []


def test_new_subnet_overlaps_and_outside(aws):
    vpc, [sid] = _vpc()
    subnets = [{"name": "subnet-over", "availability_zone": "us-east-1a", "cidr": "10.1.0.128/25",
                "existing_subnet_id": None, "ips_needed": 4},
               {"name": "subnet-out", "availability_zone": "us-east-1a", "cidr": "10.9.0.0/24",
                "existing_subnet_id": None, "ips_needed": 4}]
    msgs = [f.message for f in errors(preflight(plan(pool(), vpc_id=vpc, subnets=subnets)), "preflight.subnet.cidr")]
    assert f"subnet subnet-over (10.1.0.128/25) overlaps {sid} (10.1.0.0/24)" in msgs
    assert "subnet subnet-out (10.9.0.0/24) is outside the VPC's CIDR 10.1.0.0/16" in msgs


def test_no_image_to_look_at_asks_ec2_for_none(aws):
    # The pool's SSM parameter does not exist (an error of its own): DescribeImages is not called.
    seed = standard_seed(errors={"DescribeImages": ("UnauthorizedOperation", "not authorized")})
    p = pool(image="resolve:ssm:/no/such/parameter")
    found = check(preflight(plan(p), seed), "preflight.ami.compatible")
    assert [f.level for f in found] == [Level.ERROR] and "does not exist in us-east-1" in found[0].message
    assert "DescribeImages" not in [op for op, _ in seed.requests]


def test_vpc_dns_on(aws):
    vpc, [sid] = _vpc()
    assert check(preflight(plan(pool(existing_subnet_id=sid), vpc_id=vpc, subnets=[])), "preflight.vpc.dns") == []


def test_vpc_dns_off_and_missing(aws):
    vpc, [sid] = _vpc(dns=False)  # moto, like AWS, leaves DNS hostnames off in a new VPC
    msgs = [f.message for f in check(preflight(plan(pool(existing_subnet_id=sid), vpc_id=vpc, subnets=[])),
                                     "preflight.vpc.dns")]
    assert msgs == [f"VPC {vpc} has dns hostnames off"]
    [f] = check(preflight(plan(pool(), vpc_id="vpc-0000000000000dead", subnets=[])), "preflight.vpc.dns")
    assert f.message == "VPC vpc-0000000000000dead does not exist in us-east-1"


def test_vpc_dns_is_skipped_by_the_id_its_findings_carry(aws):
    # `--skip ID` takes the id the report shows: skipping it drops the finding and says so.
    vpc, [sid] = _vpc(dns=False)
    result = preflight(plan(pool(existing_subnet_id=sid), vpc_id=vpc, subnets=[]),
                       skip={"preflight.vpc.dns": "DNS is managed elsewhere"})
    assert check(result, "preflight.vpc.dns") == []
    assert result.skipped["preflight.vpc.dns"] == "DNS is managed elsewhere"


# -- VPC quotas (moto's `vpc` quotas, one override seeded) ---------------------------------------------
def test_vpc_quotas_ok(aws):
    assert check(preflight(plan(pool(instances=4))), "preflight.quota.vpc") == []


def test_network_interface_quota_short(aws):
    seed = standard_seed(vpc_quotas={"L-DF5E4CA3": 100})
    [f] = check(preflight(plan(pool(instances=4, interfaces=33)), seed), "preflight.quota.vpc")
    assert f.level == Level.ERROR
    assert f.message.startswith("Network interfaces per Region: quota L-DF5E4CA3 is 100; the region has ")
    assert "the plan adds 132" in f.message


# -- launch dry run (moto answers DryRun; tests/test_launch_dry_run.py asserts the request itself) -----
def _compiled(text=None):
    from conftest import BASE_SPEC

    from planner import compile_plan
    from planner.spec.load import parse_spec

    return compile_plan(parse_spec(text or BASE_SPEC, "spec.yaml"))


def test_launch_dry_run_ok(aws):
    result = preflight(_compiled(), launch_dry_run=True)
    assert check(result, "preflight.launch.dry-run") == []
    assert "preflight.launch.dry-run" in result.checks


def test_launch_dry_run_insufficient_capacity(aws):
    from preflight_fixtures import inject_error

    session = make_session(REGION)
    standard_seed().install(session)
    inject_error(session, "RunInstances", "InsufficientInstanceCapacity", "We currently do not have sufficient capacity")
    result = run(_compiled(), LiveAccount(REGION, session=session, max_attempts=1), now=NOW, launch_dry_run=True)
    [f] = check(result, "preflight.launch.dry-run")
    assert f.level == Level.ERROR
    assert f.message == ("launch dry run (the Plan's launch template): InsufficientInstanceCapacity: AWS has not "
                         "enough p5.48xlarge capacity in us-east-1a right now")


def test_launch_dry_run_skipped_by_default_and_on_snapshots(aws):
    result = preflight(plan(pool()))
    assert "preflight.launch.dry-run" not in result.checks
    assert result.to_json()["skipped"] == [{"id": "preflight.launch.dry-run", "reason": "not asked for (--launch-dry-run)"}]
    snap = run(plan(pool()), _zones_snapshot("opted-in"), now=NOW, launch_dry_run=True)
    [f] = check(snap, "preflight.launch.dry-run")
    assert f.level == Level.WARNING and "needs a live account" in f.message


# -- AMIs (moto's public AMI list) -------------------------------------------------------------------
def _ami(arch: str) -> tuple[str, int]:
    ec2 = make_session(REGION).client("ec2")
    img = next(i for i in ec2.describe_images(Owners=["amazon"])["Images"]
               if i["Architecture"] == arch and i.get("BlockDeviceMappings"))
    return img["ImageId"], img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"]


def test_ami_fits(aws):
    ami, size = _ami("x86_64")
    assert check(preflight(plan(pool(ami=ami, root_volume_gib=size))), "preflight.ami.compatible") == []


def test_ami_wrong_arch_small_root_or_missing(aws):
    ami, size = _ami("arm64")
    p = plan(pool("a", ami=ami, root_volume_gib=max(size - 1, 1)), pool("b", ami="ami-0000000000000dead"))
    msgs = {f.pool + ": " + f.message for f in errors(preflight(p), "preflight.ami.compatible")}
    assert f"a: AMI {ami} is arm64; p5.48xlarge runs x86_64" in msgs
    if size > 1:
        assert f"a: root volume of {size - 1} GiB is smaller than AMI {ami}'s {size} GiB snapshot" in msgs
    assert "b: AMI ami-0000000000000dead does not exist in us-east-1 or is not shared with this account" in msgs


def test_reservation_in_placement_group(aws):
    res = reservation("cr-1", zone_id="use1-az6")
    res["PlacementGroupArn"] = "arn:aws:ec2:us-east-1:123456789012:placement-group/pg-train"
    msgs = [f.message for f in errors(preflight(plan(_odcr_pool()), standard_seed(reservations=[res])),
                                      "preflight.capacity.reservation")]
    assert msgs == ["cr-1 is bound to cluster placement group pg-train; instances launched outside it do not use "
                    "the reservation"]


def test_ultraserver_resource_group(aws):
    seed = _ultra_seed()
    seed.reservations.append(reservation("cr-u2", "p6e-gb200.36xlarge", 18, kind="capacity-block", block_id="cb-1",
                                         start="2026-11-20T11:30:00Z", end="2026-12-04T11:30:00Z"))
    seed.reservations[0]["TotalInstanceCount"] = seed.reservations[0]["AvailableInstanceCount"] = 18
    seed.blocks[0]["CapacityReservationIds"] = ["cr-u1", "cr-u2"]
    arn = "arn:aws:resource-groups:us-east-1:123456789012:group/gb200-blocks"
    seed.groups = {arn: ["cr-u1", "cr-u2"], arn + "-empty": []}
    ok = _ultra_pool()
    ok["capacity"].update(reservation_id=None, resource_group_arn=arn)
    result = preflight(plan(ok), seed)
    for cid in ("preflight.capacity.reservation", "preflight.capacity.ultraserver", "preflight.capacity.dates"):
        assert check(result, cid) == [], cid
    empty = _ultra_pool()
    empty["capacity"].update(reservation_id=None, resource_group_arn=arn + "-empty")
    [f] = check(preflight(plan(empty), seed), "preflight.capacity.reservation")
    assert f.message == f"resource group {arn}-empty holds no capacity reservations"


def test_launch_dry_run_with_existing_subnet_and_efa(aws):
    from conftest import BASE_SPEC

    vpc, [sid] = _vpc()
    p = _compiled(BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", f"  vpc_id: {vpc}\n  subnet_id: {sid}"))
    from planner.preflight.checks.dry_run import launch_request
    from planner.preflight.context import Context

    req = launch_request(Context(p, None), p.pools[0], "ami-1", None)
    assert len(req["NetworkInterfaces"]) == 33 and req["NetworkInterfaces"][1]["InterfaceType"] == "efa-only"
    assert {i["SubnetId"] for i in req["NetworkInterfaces"]} == {sid}
    assert check(preflight(p, launch_dry_run=True), "preflight.launch.dry-run") == []


# -- per-UltraServer reservations, shared reservations, AMI platform (seeded) ------------------------
def _per_ultraserver_pool(ids=("cr-u1", "cr-u2"), **kw):
    return pool("us", "p6e-gb200.36xlarge", 18 * len(ids), vcpus=144, kind="ultraserver",
                ultraserver_type="u-p6e-gb200x72", per_ultraserver=18, efa_interfaces=4, interfaces=5,
                zone="us-east-1a", capacity={"type": "capacity-block", "reservation_ids": list(ids),
                                             "start": "2026-11-20", "days": 14, "end": "2026-12-04"}, **kw)


def _block(rid, total=18, **kw):
    return reservation(rid, "p6e-gb200.36xlarge", total, kind="capacity-block", start="2026-11-20T11:30:00Z",
                       end="2026-12-04T11:30:00Z", **kw)


def test_each_reservation_id_is_one_ultraserver(aws):
    seed = standard_seed(reservations=[_block("cr-u1"), _block("cr-u2", total=9)])
    msgs = [f.message for f in errors(preflight(plan(_per_ultraserver_pool()), seed), "preflight.capacity.reservation")]
    assert msgs == ["cr-u2 reserves 9 instances; its UltraServer group launches 18"]
    ok = standard_seed(reservations=[_block("cr-u1"), _block("cr-u2")])
    assert errors(preflight(plan(_per_ultraserver_pool()), ok), "preflight.capacity.reservation") == []


def test_reservation_shared_within_capacity(aws):
    a = pool("a", instances=4, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}, line=10)
    b = pool("b", instances=4, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}, line=20)
    seed = standard_seed(reservations=[reservation("cr-1", count=8)])
    assert check(preflight(plan(a, b), seed), "preflight.capacity.shared") == []


def test_two_pools_overflow_one_reservation(aws):
    a = pool("a", instances=4, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}, line=10)
    b = pool("b", instances=3, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}, line=20)
    seed = standard_seed(reservations=[reservation("cr-1", count=6)])
    found = errors(preflight(plan(a, b), seed), "preflight.capacity.shared")
    assert [(f.pool, f.source.line) for f in found] == [("a", 10), ("b", 20)]
    assert found[0].message == ("cr-1 reserves 6 p5.48xlarge; the pools sharing it launch 7 (a 4 (line 10), "
                                "b 3 (line 20)), 1 more than it holds")
    # Each pool alone fits, so the per-pool check says nothing: only the sum catches it.
    assert errors(preflight(plan(a, b), seed), "preflight.capacity.reservation") == []


def _rhel_image(ami="ami-0000000000000e1e1"):
    return {"ImageId": ami, "Name": "rhel-9", "Architecture": "x86_64", "State": "available",
            "PlatformDetails": "Red Hat Enterprise Linux", "RootDeviceName": "/dev/sda1",
            "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 10}}]}


def test_ami_platform_matches_reservation(aws):
    p = plan(pool("odcr", instances=4, ami="ami-0000000000000e1e1",
                  capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    seed = standard_seed(reservations=[reservation("cr-1", platform="Red Hat Enterprise Linux")],
                         images=[_rhel_image()])
    assert check(preflight(p, seed), "preflight.capacity.platform") == []


def test_rhel_ami_into_linux_reservation(aws):
    p = plan(pool("odcr", instances=4, ami="ami-0000000000000e1e1", line=12,
                  capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    seed = standard_seed(reservations=[reservation("cr-1")], images=[_rhel_image()])
    [f] = check(preflight(p, seed), "preflight.capacity.platform")
    assert f.level == Level.ERROR and (f.pool, f.source.line) == ("odcr", 12)
    assert f.message == ("AMI ami-0000000000000e1e1 is Red Hat Enterprise Linux; cr-1 reserves Linux/UNIX instances, "
                         "so the pool cannot launch into it")


# -- account limits (autoscaling and fsx quotas seeded; vpc quotas and counts from moto) ----------------
def _asg_plan(groups: int):
    resources = [{"type": "aws:ec2/vpc:Vpc", "name": "vpc", "inputs": {"cidrBlock": "10.0.0.0/16"}},
                 {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "lt-gpu", "inputs": {}}]
    resources += [{"type": "aws:autoscaling/group:Group", "name": f"asg-{i}", "inputs": {}} for i in range(groups)]
    return plan(pool(), resources=resources)


def test_account_limits_within_quota(aws):
    result = preflight(_asg_plan(3), standard_seed(other_quotas={("autoscaling", "L-CDE20ADC"): 500}))
    [info] = check(result, "preflight.quota.limits")
    assert info.level == Level.INFO
    assert "Auto Scaling groups per region 3 of 500" in info.message
    # No Service Quotas entry by that name (seeded ec2 list): the documented fixed limit, said so.
    assert "Launch templates per Region 1 of 5,000" in info.message


def test_auto_scaling_groups_exactly_at_the_quota_fit(aws):
    result = preflight(_asg_plan(500), standard_seed(other_quotas={("autoscaling", "L-CDE20ADC"): 500}))
    assert errors(result, "preflight.quota.limits") == []
    [info] = check(result, "preflight.quota.limits")
    assert "Auto Scaling groups per region 500 of 500" in info.message


def test_a_plan_that_fills_the_quota_with_the_regions_count_unknown_is_unverified(aws):
    # Exactly at the quota, whatever the region already holds decides: unknown is not a pass.
    seed = standard_seed(other_quotas={("autoscaling", "L-CDE20ADC"): 500},
                         errors={"DescribeAutoScalingGroups": ("AccessDenied", "not authorized")})
    found = check(preflight(_asg_plan(500), seed), "preflight.quota.limits")
    assert any(f.level == Level.WARNING and f.message.startswith(
        "could not check Auto Scaling groups per region (what the region holds now; the plan adds 500 of 500)")
        for f in found), [f.message for f in found]


def test_auto_scaling_group_quota_short(aws):
    result = preflight(_asg_plan(501), standard_seed(other_quotas={("autoscaling", "L-CDE20ADC"): 500}))
    [f] = errors(result, "preflight.quota.limits")
    assert f.message.startswith("Auto Scaling groups per region: quota L-CDE20ADC is 500; needed 501 (501 the plan "
                                "adds, 0 the region holds now), short by 1. Request an increase to 501")
    assert f.hint == ("aws service-quotas request-service-quota-increase --region us-east-1 --service-code autoscaling "
                      "--quota-code L-CDE20ADC --desired-value 501")


def test_a_limit_found_by_its_quota_name_is_held_to_that_quota(aws, monkeypatch):
    """Launch templates have no confirmed quota code: the quota is found by name in the account's
    list, and its value there is the limit (fail closed: at 0 the plan's one template does not fit),
    not the documented 5,000."""
    import preflight_fixtures

    monkeypatch.setitem(preflight_fixtures.EC2_QUOTA_NAMES, "L-0000LT00", "Launch templates per Region")
    seed = standard_seed(other_quotas={("autoscaling", "L-CDE20ADC"): 500})
    seed.ec2_quotas["L-0000LT00"] = 0
    [f] = errors(preflight(_asg_plan(3), seed), "preflight.quota.limits")
    assert f.message.startswith("Launch templates per Region (code L-0000LT00 found by quota name at run time): "
                                "quota L-0000LT00 is 0; needed 1")


def test_unreadable_limit_quota_is_a_warning(aws):
    result = preflight(_asg_plan(3), standard_seed(other_quotas={}))
    found = [f for f in check(result, "preflight.quota.limits") if f.level == Level.WARNING]
    assert any(f.message.startswith("could not check Auto Scaling groups per region (the plan needs 3)") for f in found)


def test_block_schedule_in_the_past_is_a_warning(aws):
    cap = {"type": "capacity-block", "reservation_id": "cr-1", "start": "2026-11-20", "days": 14, "end": "2026-12-04",
           "scale_out_at": "2026-11-20T11:30:00Z", "scale_in_at": "2026-12-04T10:45:00Z"}
    seed = standard_seed(reservations=[reservation("cr-1", kind="capacity-block", start="2026-11-20T11:30:00Z",
                                                   end="2026-12-04T11:30:00Z")])
    found = check(preflight(plan(pool(instances=4, capacity=cap)), seed), "preflight.capacity.dates")
    assert [(f.level, f.message) for f in found] == [
        (Level.WARNING, "the block's scheduled scale-out at 2026-11-20T11:30:00Z is in the past: Auto Scaling refuses "
                        "a scheduled action that starts in the past")]
    assert found[0].hint.startswith("re-plan now")


