"""Refused, throttled and unreachable calls never crash preflight; call counts do not grow with instances.

moto answers EC2/VPC/`vpc` quotas; EC2 quotas and capacity are seeded (tests/preflight_fixtures.py).
Throttling and AccessDenied are injected at `before-send`, below botocore's retry logic, so the
retries really happen (the backoff delay is patched to zero to keep the test fast).
"""
from __future__ import annotations

import os
import socket
import sys

import pytest
from moto import mock_aws

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import (  # noqa: E402
    FAKE_ENV, NOW, REGION, inject_error, make_session, plan, pool, reservation, standard_seed,
)

from planner.findings import Level, Status  # noqa: E402
from planner.preflight import REGISTRY, run  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402


@pytest.fixture
def env(fake_aws_env, monkeypatch):
    import botocore.retries.adaptive as adaptive
    import botocore.retries.standard as standard

    # Keep botocore's retry decisions, drop its waiting: no backoff delay, no client-side rate limit.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(adaptive.ClientRateLimiter, "on_sending_request", lambda self, request, **kw: None)


@pytest.fixture
def aws(env):
    with mock_aws():
        yield


def account(seed=None, max_attempts=3, **kw):
    session = make_session(REGION)
    (seed or standard_seed()).install(session)
    return LiveAccount(REGION, session=session, max_attempts=max_attempts, **kw), session


def by_id(result, check_id):
    return [f for f in result.findings if f.check_id == check_id]


def test_throttling_is_retried_then_a_warning(aws):
    acc, session = account(max_attempts=3)
    attempts: list[int] = []
    inject_error(session, "DescribeInstanceTypeOfferings", "RequestLimitExceeded", "Request limit exceeded.",
                 status=503, counter=attempts)
    result = run(plan(pool()), acc, now=NOW)
    assert len(attempts) == 3  # botocore's adaptive mode retried twice
    [f] = by_id(result, "preflight.offering.zone")
    assert f.level == Level.WARNING
    assert f.message == ("could not check instance type offerings: RequestLimitExceeded: Request limit exceeded. "
                         "(still throttled after 2 retries)")
    assert f.hint == "re-run later, or from a snapshot"
    assert by_id(result, "preflight.zone.exists") == []  # the other checks still ran
    assert not result.unreachable


def test_access_denied_is_a_warning_per_check(aws):
    # Seeded at before-call: the seeded quotas would otherwise answer before any HTTP request.
    acc, _ = account(standard_seed(errors={"GetServiceQuota": ("AccessDeniedException", "User is not authorized")}))
    result = run(plan(pool()), acc, now=NOW)
    [f] = by_id(result, "preflight.quota.vcpus")
    assert f.level == Level.WARNING
    assert f.message == ("could not check Running On-Demand P instances (on-demand vCPUs): AccessDeniedException: "
                         "User is not authorized (the credentials may not call get_service_quota)")
    vpc = by_id(result, "preflight.quota.vpc")
    assert {f.level for f in vpc} == {Level.WARNING}
    assert any(f.message.startswith("could not check Network interfaces per Region (L-DF5E4CA3)") for f in vpc)


def test_ec2_access_denied_everywhere(aws):
    acc, session = account()
    for op in ("DescribeAvailabilityZones", "DescribeInstanceTypeOfferings", "DescribeInstanceTypes"):
        inject_error(session, op, "UnauthorizedOperation", "You are not authorized to perform this operation.")
    result = run(plan(pool()), acc, now=NOW)
    levels = {f.check_id: f.level for f in result.findings}
    for cid in ("preflight.zone.exists", "preflight.offering.zone", "preflight.catalog.instance-type",
                "preflight.efa.interfaces"):
        assert levels[cid] == Level.WARNING, cid
    assert all("could not check" in f.message for f in result.findings if f.level == Level.WARNING)


def test_unimplemented_operation_is_a_warning(aws):
    # No seed: moto itself answers DescribeCapacityReservations, which it does not implement.
    session = make_session(REGION)
    acc = LiveAccount(REGION, session=session, max_attempts=1)
    p = plan(pool(capacity={"type": "capacity-reservation", "reservation_id": "cr-1"}))
    result = run(p, acc, now=NOW)
    [f] = by_id(result, "preflight.capacity.reservation")
    assert f.level == Level.WARNING
    assert f.message.startswith("could not check capacity reservations: not supported by this endpoint")


def test_broken_check_becomes_a_warning(aws):
    class Broken(LiveAccount):
        def subnets(self):
            raise RuntimeError("boom")

    session = make_session(REGION)
    standard_seed().install(session)
    p = plan(pool(existing_subnet_id="subnet-1"), subnets=[])
    result = run(p, Broken(REGION, session=session), now=NOW)
    [f] = by_id(result, "preflight.subnet.existing")
    assert f.level == Level.WARNING
    assert f.message == ("could not check Reused subnets exist in the right zone and VPC: internal error "
                         "RuntimeError: boom (a bug in ultraplan: please report it)")
    assert result.statuses()["preflight.subnet.existing"] == Status.UNVERIFIED
    assert "preflight.subnet.existing" in result.internal_errors and result.exit_code() == 4


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_aws(env):
    acc = LiveAccount(REGION, endpoint_url=f"http://127.0.0.1:{_closed_port()}", max_attempts=1,
                      connect_timeout=0.5, read_timeout=0.5, session=make_session(REGION))
    result = run(plan(pool()), acc, now=NOW)
    assert result.unreachable
    assert acc.calls == 1  # after the first (retried) connection failure the rest fail without a call
    assert len(acc.failures) > 1 and {f.kind for f in acc.failures} == {"unreachable"}
    assert all(f.level == Level.WARNING for f in result.findings)
    assert any("could not reach AWS" in f.message for f in result.findings)


def test_no_credentials_is_unreachable(env, monkeypatch):
    for k in FAKE_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    acc = LiveAccount(REGION, max_attempts=1, session=make_session(REGION))
    result = run(plan(pool()), acc, now=NOW)
    assert result.unreachable
    assert any("no AWS credentials found" in f.message for f in result.findings)


def _calls(p):
    seed = standard_seed(reservations=[reservation("cr-1", count=100_000)])
    acc, _ = account(seed)
    return run(p, acc, now=NOW).calls


def test_calls_grow_with_types_not_instances(aws):
    small = _calls(plan(pool(instances=4)))
    huge = _calls(plan(pool(instances=40_000, ips=1),
                       subnets=[{"name": "s", "availability_zone": "us-east-1a", "cidr": "10.0.0.0/16",
                                 "existing_subnet_id": None, "ips_needed": 40_000}]))
    assert small == huge
    many_pools = _calls(plan(*[pool(f"p{i}", instances=1000) for i in range(20)]))
    assert many_pools == small  # same type, same zone: one batched question each
    odcr = pool("r", instances=50_000, capacity={"type": "capacity-reservation", "reservation_id": "cr-1"})
    assert _calls(plan(pool(instances=4), odcr)) == small + 1  # one DescribeCapacityReservations


def test_progress_is_reported(aws):
    acc, _ = account()
    lines: list[str] = []
    run(plan(pool()), acc, now=NOW, progress=lines.append)
    assert lines[0].startswith(f"[1/{len(REGISTRY) - 1}] preflight.zone.exists")  # all but the launch dry run
    assert len(lines) == len(REGISTRY) - 1  # all but the launch dry run


def test_frontier_call_count(aws):
    """examples/frontier.yaml (~500K GPUs, 125K instances) against moto plus the demo reservations:
    the call count is that of any plan with its types, zone and pools, whatever the instance counts."""
    import copy
    import dataclasses

    import planner
    from preflight_fixtures import DEMO, DEMO_QUOTAS, Seed

    demo = DEMO["us-east-1"]

    def calls(p):
        session = make_session(REGION)
        Seed(ec2_quotas=dict(DEMO_QUOTAS), reservations=demo["reservations"], blocks=demo["blocks"]).install(session)
        return run(p, LiveAccount(REGION, session=session), now=NOW).calls

    frontier = planner.compile_spec("examples/frontier.yaml")
    assert sum(p["instances"] for p in frontier.pools) > 100_000
    tiny = copy.deepcopy(frontier)
    tiny.pools = [dataclasses.replace(p, instances=1, count=1) for p in tiny.pools]  # records are frozen
    n = calls(frontier)
    assert n == calls(tiny)
    assert n <= 25, n  # 16 before the account-limit check: + 5 quotas, 1 quota list, 4 counts (docs/preflight.md)
