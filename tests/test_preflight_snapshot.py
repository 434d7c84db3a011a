"""Account snapshots: a round trip gives the same findings as the live run; the format is versioned.

Live side: moto (zones, offerings, instance types, VPCs, subnets, `vpc` quotas) plus the seeded EC2
quotas, reservations, blocks and offerings of tests/preflight_fixtures.py, plus one injected
AccessDenied, so that failures are captured and replayed too.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import (  # noqa: E402
    NOW, REGION, inject_error, make_session, plan, pool, reservation, standard_seed,
)

from planner.errors import UsageError  # noqa: E402
from planner.findings import Level  # noqa: E402
from planner.preflight import capture, load_snapshot, run, save_snapshot  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402


def _seed():
    offer = {"InstanceType": "p6-b200.48xlarge", "AvailabilityZone": "us-east-1a", "InstanceCount": 2,
             "StartDate": datetime(2026, 12, 1, 11, 30, tzinfo=timezone.utc),
             "EndDate": datetime(2026, 12, 8, 11, 30, tzinfo=timezone.utc), "CapacityBlockDurationHours": 168,
             "UpfrontFee": "33210.24", "CurrencyCode": "USD"}
    return standard_seed(
        ec2_quotas={"L-417A185B": 576, "L-1216C47A": 1000, "L-TESTP6B2": 192},
        reservations=[reservation("cr-1", zone="us-east-1d", zone_id="use1-az4", end="2026-12-08T11:30:00Z")],
        offerings=[offer],
    )


def _account():
    session = make_session(REGION)
    _seed().install(session)
    inject_error(session, "DescribeSecurityGroups", "UnauthorizedOperation", "not allowed")
    return LiveAccount(REGION, session=session, max_attempts=1)


def _rich_plan():
    """Pools that make most checks report something (errors, warnings, infos)."""
    return plan(
        pool("gpu", instances=4),                                                          # quota short by 1
        pool("h200", "p5en.48xlarge", 2, efa_interfaces=16, interfaces=17, zone="us-east-1b"),  # not offered
        pool("odcr", instances=2, capacity={"type": "capacity-reservation", "reservation_id": "cr-1",
                                            "start": "2026-12-01", "end": "2026-12-15"}),  # wrong AZ, dates
        pool("b200", "p6-b200.48xlarge", 2, efa_interfaces=8, interfaces=9,
             capacity={"type": "capacity-block", "planned": True, "start": "2026-12-01", "days": 7,
                       "end": "2026-12-08"}),                                              # offered, quota by name
        pool("cpu", "m7i.large", 2, vcpus=2, efa=False, zone="use1-az6", zone_is_id=True),
    )


def test_round_trip_gives_the_same_findings(aws, tmp_path):
    p = _rich_plan()
    live_result = run(p, _account(), now=NOW)
    assert live_result.calls > 0
    levels = {f.level for f in live_result.findings}
    assert levels == {Level.ERROR, Level.WARNING, Level.INFO}

    snapshot_account = _account()
    doc = capture(snapshot_account, p)
    path = tmp_path / "account.json"
    save_snapshot(doc, str(path))
    replay = run(p, load_snapshot(str(path)), now=NOW)

    assert replay.calls == 0
    assert [f.to_json() for f in replay.findings] == [f.to_json() for f in live_result.findings]
    assert json.loads(path.read_text())["version"] == 1


def test_snapshot_without_the_data_warns_not_passes(aws, tmp_path):
    doc = capture(_account(), None)  # no spec: no reservation groups or block offering queries
    path = tmp_path / "a.json"
    save_snapshot(doc, str(path))
    p = plan(pool("b200", "p6-b200.48xlarge", 2, efa_interfaces=8, interfaces=9,
                  capacity={"type": "capacity-block", "planned": True, "start": "2026-12-01", "days": 7}),
             pool("x", "p4de.24xlarge", 1, vcpus=96, efa_interfaces=4, interfaces=5))
    result = run(p, load_snapshot(str(path)), now=NOW)
    [f] = [f for f in result.findings if f.check_id == "preflight.capacity.offering"]
    assert f.level == Level.WARNING
    assert "is not in the snapshot taken" in f.message
    assert "--spec" in f.hint


def test_snapshot_format_is_checked(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "ultraplan-account-snapshot", "version": 99, "region": REGION}))
    with pytest.raises(UsageError, match="snapshot version 99 is not supported"):
        load_snapshot(str(bad))
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(UsageError, match="not an ultraplan account snapshot"):
        load_snapshot(str(bad))
    with pytest.raises(UsageError, match="no such account snapshot"):
        load_snapshot(str(tmp_path / "missing.json"))
