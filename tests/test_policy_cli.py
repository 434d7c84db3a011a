"""`ultraplan policy SPEC`, `ultraplan policy list`, `ultraplan policy pulumi-config SPEC`."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import planner
from conftest import BASE_SPEC, ROOT
from planner.cli import main
from policies import load_rules

P5 = "examples/p5-on-demand-fsx.yaml"


def policy(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(["policy", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def test_policy_spec_and_policy_run_spec_are_the_same(capsys):
    code, out, _ = policy(capsys, P5, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["violations"] == [] and "no-public-ip" in data["passed"]
    code2, out2, _ = policy(capsys, "run", P5, "--format", "json")
    assert (code2, json.loads(out2)["passed"]) == (0, data["passed"])


def test_policy_list_prints_every_rule_with_its_level(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["policy", "list", "--format", "json"])
    assert exc.value.code == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rules] == load_rules().ids()
    assert {r["id"]: r["level"] for r in rules}["efa-placement-group"] == "advisory"
    with pytest.raises(SystemExit):
        main(["policy", "list"])
    text = capsys.readouterr().out
    for policy_id in load_rules().ids():
        assert policy_id in text
    assert "mandatory" in text and "advisory" in text


def test_policy_on_an_edited_plan_fails_in_sarif(capsys, tmp_path):
    data = planner.compile_spec(P5).to_json()
    lt = next(r for s in data["stacks"] for r in s["resources"] if r["name"] == "lt-gpu")
    lt["inputs"]["metadataOptions"]["httpTokens"] = "optional"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    code, out, _ = policy(capsys, "--plan", str(path), "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    # The security rule, and the launch-time table's imds-settings rule (IMDSv2 is one of its rows).
    assert [(r["ruleId"], r["level"]) for r in results] == [("imdsv2-required", "error"), ("launch-rules", "error")]


def test_unknown_policy_in_the_spec_exits_2_with_a_suggestion(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "policies:\n  skip:\n    imdsv2-requird: old AMI\n")
    code, out, err = policy(capsys, spec)
    assert code == 2 and out == ""
    assert ".yaml:13:" in err and "policies.skip.imdsv2-requird\n  unknown policy 'imdsv2-requird'\n" in err
    assert "    13 |     imdsv2-requird: old AMI\n       |     ^^^^^^^^^^^^^^\n" in err
    assert "  fix: did you mean 'imdsv2-required'?" in err


def test_skip_without_reason_exits_2(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "policies:\n  skip:\n    no-public-ip: ''\n")
    code, _, err = policy(capsys, spec)
    assert code == 2 and "policies.skip.no-public-ip" in err and "reason" in err


def test_skip_is_echoed_in_text_output(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "policies:\n  skip:\n    vpc-dns-enabled: shared VPC\n")
    code, out, _ = policy(capsys, spec)
    assert code == 0
    assert "skipped vpc-dns-enabled: shared VPC" in out and "1 skipped" in out


def test_pulumi_config_export(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "policies:\n  config: {all: mandatory, required-tags: {tags: [team]}}\n"
                                  "  skip: {vpc-dns-enabled: shared VPC}\n")
    code, out, _ = policy(capsys, "pulumi-config", spec)
    assert code == 0
    assert json.loads(out) == {"all": "mandatory", "required-tags": {"tags": ["team"]},
                               "vpc-dns-enabled": {"enforcementLevel": "disabled"}}


def test_policy_as_a_user_runs_it():
    proc = subprocess.run([sys.executable, "-m", "planner", "policy", P5], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "PASS" in proc.stdout


def test_sarif_gives_the_security_policies_a_security_severity(capsys):
    """GitHub code scanning ranks an alert as a security alert (critical/high/...) only when its rule
    carries `security-severity` and the tag `security`: the six security policies do, at their
    severity; the others (capacity, cost, reachability) are not security alerts."""
    code, out, _ = policy(capsys, P5, "--format", "sarif")
    assert code == 0
    rules = {r["id"]: r["properties"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    assert {rid: p["security-severity"] for rid, p in rules.items() if "security-severity" in p} == {
        "iam-no-wildcard-actions": "9.5", "imdsv2-required": "8.0", "ebs-encrypted": "8.0", "no-public-ip": "8.0",
        "node-subnet-private": "8.0", "fsx-encrypted-in-vpc": "8.0"}
    assert all("security" in rules[rid]["tags"] for rid in ("iam-no-wildcard-actions", "imdsv2-required"))


def test_sarif_tags_the_policies_that_guard_spend_as_cost(capsys):
    """Code scanning filters alerts by tag (`tag:cost`): the rules that stop a bill from growing (an
    instance type off the allowlist, the monthly ceiling, the tags cost allocation needs) carry `cost`;
    `governance` marks the allowlist and the tags too."""
    code, out, _ = policy(capsys, P5, "--format", "sarif")
    assert code == 0
    tags = {r["id"]: r["properties"]["tags"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    assert {rid for rid, t in tags.items() if "cost" in t} == {
        "instance-type-allowlist", "max-monthly-cost", "required-tags"}
    assert {rid for rid, t in tags.items() if "governance" in t} >= {"instance-type-allowlist", "required-tags"}
