"""Property: whatever the plan, preflight returns findings and never raises (demo snapshot, no AWS)."""
from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import NOW, plan, pool  # noqa: E402

from planner.catalog.quotas import build_quotas  # noqa: E402
from planner.findings import Level  # noqa: E402
from planner.preflight import load_snapshot, run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAPSHOT = load_snapshot(os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json"))
TYPES = ["p5.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "p6e-gb200.36xlarge", "m7i.large", "g6e.48xlarge",
         "trn2.48xlarge", "x9.nothing"]
ZONES = ["us-east-1a", "us-east-1b", "use1-az4", "us-east-1-dfw-2a", "us-east-1z"]
RESERVATIONS = [None, "cr-0aa11bb22cc33dd44", "cr-0123456789abcdef0", "cr-0a0000000000000a1", "cr-missing"]

pools = st.builds(
    lambda i, t, n, z, cap, rid, planned, ips, subnet, ami: pool(
        f"p{i}", t, n, zone=z, zone_is_id=not z.startswith("us-"), ips=ips, existing_subnet_id=subnet, ami=ami,
        capacity={"type": cap, "reservation_id": rid, "planned": planned, "start": "2026-12-01", "days": 14,
                  "end": "2026-12-15"}),
    st.integers(0, 10_000), st.sampled_from(TYPES), st.integers(1, 50_000), st.sampled_from(ZONES),
    st.sampled_from(["on-demand", "spot", "capacity-reservation", "capacity-block"]), st.sampled_from(RESERVATIONS),
    st.booleans(), st.integers(1, 33), st.sampled_from([None, "subnet-missing"]),
    st.sampled_from([None, "ami-0123456789abcdef0", "ami-missing"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pools, min_size=1, max_size=5, unique_by=lambda p: p["name"]))
def test_preflight_never_raises(ps):
    result = run(plan(*ps), SNAPSHOT, now=NOW)
    assert result.calls == 0
    for f in result.findings:
        assert f.level in Level and f.message and f.check_id.startswith("preflight.")
        assert "internal error" not in f.message, f.message


def test_quota_data_is_validated():
    import pytest

    with pytest.raises(ValueError, match="neither a code nor name_words"):
        build_quotas({"buckets": [{"id": "x", "title": "x", "service": "ec2", "market": "spot", "code": None}]})
    with pytest.raises(ValueError, match="unknown market"):
        build_quotas({"buckets": [{"id": "x", "title": "x", "service": "ec2", "market": "odd", "code": "L-1"}]})
