"""Fail closed against real faults: preflight talks HTTP to a moto server through a loopback fault
proxy (tests/fault_proxy.py) that denies, throttles, garbles, truncates, resets or delays every call.

moto server: the real EC2 / Service Quotas answers for `pass`; nothing is seeded (EC2 quotas are
absent in moto, so those checks are unverified even then). What is asserted is the gate: a check
that could not run is unverified with its AWS operation and error, never passed, and `check` /
`preflight` exit 3; with every call delayed 30 s a short --timeout ends the run (exit 3) after one
request. No timing asserts: `bench/fail_closed_bench.py` prints the times.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from fault_proxy import FaultProxy, moto_server  # noqa: E402
from preflight_fixtures import FAKE_ENV, UNSET_ENV  # noqa: E402

from planner.cli import main  # noqa: E402

from conftest import BASE_SPEC as SPEC  # noqa: E402
# Checks this spec makes ask AWS, and the first operation each one needs.
ASKS = {
    "preflight.zone.exists": "describe_availability_zones",
    "preflight.zone.opt-in": "describe_availability_zones",
    "preflight.offering.zone": "describe_instance_type_offerings",
    "preflight.catalog.instance-type": "describe_instance_types",
    "preflight.efa.interfaces": "describe_instance_types",
    "preflight.quota.vcpus": "get_service_quota",
    "preflight.quota.vpc": "get_service_quota",
    "preflight.quota.limits": "get_service_quota",
    "preflight.ami.compatible": "get_parameter",  # the pool's default image: resolve:ssm: as EC2 resolves it
}


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text(SPEC)
    return str(path)


@pytest.fixture
def through(moto_url, monkeypatch):
    """Point the default credential chain at a fault proxy in front of moto."""
    import botocore.retries.adaptive as adaptive
    import botocore.retries.standard as standard

    # Keep botocore's retry decisions, drop its waiting (backoff delay, client-side rate limit).
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(adaptive.ClientRateLimiter, "on_sending_request", lambda self, request, **kw: None)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    for k in UNSET_ENV:
        monkeypatch.delenv(k, raising=False)
    proxies = []

    def start(mode: str, delay: float = 30.0) -> FaultProxy:
        proxy = FaultProxy(moto_url, mode, delay).__enter__()
        proxies.append(proxy)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        return proxy

    yield start
    for p in proxies:
        p.__exit__(None, None, None)


def ultraplan(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_denied_everywhere_is_unverified_in_text_json_and_sarif(through, spec, capsys, tmp_path):
    through("deny")
    sarif_path = tmp_path / "out.sarif"
    code, out, _ = ultraplan(capsys, "check", spec, "--preflight", "--format", "json", "--sarif", str(sarif_path))
    assert code == 3
    report = json.loads(out)
    assert report["verdict"] == "UNVERIFIED" and report["exit_code"] == 3
    by_id = {}
    for u in report["unverified"]:
        by_id.setdefault(u["policy"], []).append(u)
    for check_id, operation in ASKS.items():
        assert report["status"][check_id] == "unverified", check_id
        assert check_id not in report["passed"]
        assert operation in {u["operation"] for u in by_id[check_id]}, check_id
        assert {u["error"] for u in by_id[check_id]} == {"denied"}
    assert not [v for v in report["violations"] if v["category"] == "preflight"], "unverified is not a violation"
    step = next(s for s in report["steps"] if s["name"] == "preflight")
    assert step["status"] == "unverified"

    sarif = json.loads(sarif_path.read_text())
    run = sarif["runs"][0]
    open_results = {r["ruleId"]: r for r in run["results"] if r.get("kind") == "open"}
    assert set(ASKS) <= set(open_results)
    assert all(r["level"] == "none" and r["properties"]["status"] == "unverified" for r in open_results.values())
    assert open_results["preflight.zone.exists"]["properties"]["operation"] == "describe_availability_zones"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 3
    assert not set(ASKS) & set(run["properties"]["passed"])

    code, out, _ = ultraplan(capsys, "check", spec, "--preflight")
    assert code == 3
    assert "unverified preflight.zone.exists" in out and "operation describe_availability_zones, denied" in out
    assert out.rstrip().splitlines()[-1].startswith("UNVERIFIED:")


def test_accepting_every_unverified_check_by_id_exits_0(through, spec, capsys):
    through("deny")
    accepts = [a for cid in ASKS for a in ("--accept-unverified", f"{cid}=read-only role pending")]
    code, out, _ = ultraplan(capsys, "check", spec, "--preflight", "--format", "json", *accepts)
    report = json.loads(out)
    assert code == 0, report["summary"]
    assert all(report["status"][cid] == "unverified" for cid in ASKS), "accepted is still not passed"
    assert {u["accepted"] for u in report["unverified"]} == {"read-only role pending"}


def test_every_call_delayed_30s_ends_at_the_deadline(through, spec, capsys):
    proxy = through("delay", delay=30)
    code, out, err = ultraplan(capsys, "check", spec, "--preflight", "--timeout", "1.5", "--format", "json")
    assert code == 3
    report = json.loads(out)
    errors = {u["error"] for u in report["unverified"]}
    assert errors <= {"deadline", "timeout"} and "deadline" in errors
    assert all(report["status"][cid] == "unverified" for cid in ASKS)
    assert proxy.requests <= 2, "after the deadline no further call is made"


@pytest.mark.parametrize("mode, kinds", [
    pytest.param("reset", {"reset", "unreachable"}, id="reset"),
    pytest.param("garbage", {"unreadable"}, id="garbage"),
    pytest.param("truncate", {"unreadable", "reset"}, id="truncated"),
    pytest.param("throttle", {"throttled"}, id="throttled"),
])
def test_faults_are_unverified_never_passed(through, spec, capsys, mode, kinds):
    through(mode)
    code, out, err = ultraplan(capsys, "preflight", spec, "--format", "json", "--timeout", "20")
    assert code == 3, err
    result = json.loads(out)
    assert result["status"]["preflight.zone.exists"] == "unverified"
    assert not set(ASKS) & set(result["passed"])
    found = {e["error"] for u in result["unverified"] for e in u["errors"]}
    assert found and found <= kinds | {"deadline"}, found


def test_through_the_proxy_moto_answers(through, spec, capsys):
    through("pass")
    code, out, _ = ultraplan(capsys, "preflight", spec, "--format", "json")
    result = json.loads(out)
    assert result["status"]["preflight.zone.exists"] == "passed"
    assert result["status"]["preflight.offering.zone"] == "passed"
    # moto has no EC2 Service Quotas: the vCPU quota is unverified (not found), never passed; and moto
    # ships no DLAMI SSM parameter, so the pool's default image does not resolve: a verdict (exit 1),
    # which outranks unverified (3).
    assert result["status"]["preflight.quota.vcpus"] == "unverified"
    assert result["status"]["preflight.ami.compatible"] == "failed" and code == 1


def test_explain_permissions_prints_the_policy_derived_from_the_code(capsys):
    from planner.preflight.live import OPERATIONS

    code, out, _ = ultraplan(capsys, "preflight", "--explain-permissions")
    doc = json.loads(out)
    assert code == 0 and doc["Version"] == "2012-10-17" and len(doc["Statement"]) == 1
    actions = doc["Statement"][0]["Action"]
    assert "ec2:DescribeAvailabilityZones" in actions and "servicequotas:GetServiceQuota" in actions
    assert "ec2:RunInstances" not in actions, "read-only unless --launch-dry-run"
    assert len(actions) == len({op for m, ops in OPERATIONS.items() if m not in ("launch_dry_run", "default_image")
                                for op in ops})
    code, out, _ = ultraplan(capsys, "preflight", "--explain-permissions", "--launch-dry-run")
    assert json.loads(out)["Statement"][1]["Action"] == ["ec2:RunInstances", "ssm:GetParameter"]


def test_docs_show_the_same_policy():
    from planner.preflight.live import permissions_policy

    text = open(os.path.join(os.path.dirname(__file__), "..", "docs", "preflight.md"), encoding="utf-8").read()
    block = text.split("## IAM permissions", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == permissions_policy(launch_dry_run=True)


def test_an_undeclared_aws_call_is_refused_as_a_bug(fake_aws_env):
    from planner.preflight.live import LiveAccount

    account = LiveAccount("us-east-1")
    with pytest.raises(RuntimeError, match="does not declare"):
        account._request("ec2", "terminate_instances", InstanceIds=["i-1"])


def test_the_specs_skip_list_skips_preflight_checks(through, tmp_path, capsys):
    through("deny")
    skips = "".join(f"    {cid}: read-only role pending\n" for cid in ASKS)
    path = tmp_path / "cluster.yaml"
    path.write_text(SPEC + "policies:\n  skip:\n" + skips)
    code, out, _ = ultraplan(capsys, "check", str(path), "--preflight", "--format", "json")
    report = json.loads(out)
    assert code == 0, report["summary"]
    assert all(report["status"][cid] == "skipped" for cid in ASKS)
    assert {cid for cid, _ in [(s["policy"], s["reason"]) for s in report["skipped"]]} >= set(ASKS)


def test_an_unknown_preflight_id_in_the_skip_list_is_exit_2(tmp_path, capsys):
    path = tmp_path / "cluster.yaml"
    path.write_text(SPEC + "policies:\n  skip:\n    preflight.zone.exist: typo\n")
    code, _, err = ultraplan(capsys, "preflight", str(path), "--account", "examples/accounts/demo-us-east-1.json")
    assert code == 2 and "cluster.yaml:13" in err and "policies.skip.preflight.zone.exist" in err
    assert "unknown preflight check 'preflight.zone.exist'" in " ".join(err.split())
    assert "did you mean 'preflight.zone.exists'?" in err
