"""`ultraplan check`: validate + plan + cost + policy (+ preflight) in one run, one report, one exit code.

The failing cases are what a user does: compile a spec to a Plan JSON (`ultraplan plan --out`), edit
it (a public IP, a deleted self rule), and check the edited Plan with `check --plan`.
"""
from __future__ import annotations

import json
import os
from xml.etree import ElementTree as ET

import pytest

import planner
from conftest import BASE_SPEC, EXAMPLES
from planner.cli import main

P5 = "examples/p5-on-demand-fsx.yaml"


def check(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def check_json(capsys, *args):
    code, out, err = check(capsys, *args, "--format", "json")
    return code, json.loads(out), err


@pytest.mark.parametrize("example", [os.path.basename(p) for p in EXAMPLES])
def test_every_example_passes_check_with_no_mandatory_violation(capsys, example):
    code, report, _ = check_json(capsys, f"examples/{example}")
    steps = {s["name"]: s["status"] for s in report["steps"]}
    assert steps["plan"] == "ok"
    # what cost could not price (its stated reason) is the cost step's warning, not validate's twice
    cost = next(s for s in report["steps"] if s["name"] == "cost")
    assert steps["validate"] == "ok" and ("could not price" not in cost["summary"] or steps["cost"] == "warning")
    assert steps["policy"] == "ok", [v for v in report["violations"] if v["category"] == "policy"]
    assert steps["preflight"] == "skipped"
    assert not [v for v in report["violations"] if v["level"] == "mandatory"]
    assert report["cost"]["monthly_usd"] > 0
    # Every bundled example passes its own gate (README: examples pass `ultraplan check`).
    errors = [v for v in report["violations"] if v["severity"] == "error"]
    assert not errors and code == 0 and report["ok"] is True


def test_check_on_the_examples_folder_exits_0(capsys):
    code, report, _ = check_json(capsys, "examples/")
    assert code == 0, [v for v in report.get("violations", []) if v.get("severity") == "error"]


def edited_plan(tmp_path, edit):
    plan = planner.compile_spec(P5)
    data = plan.to_json()
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return str(path)


def _resource(data, name):
    return next(r for s in data["stacks"] for r in s["resources"] if r["name"] == name)


def public_ip(data):
    _resource(data, "lt-gpu")["inputs"]["networkInterfaces"][0]["associatePublicIpAddress"] = "true"


def no_self_ingress(data):
    for s in data["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["name"] != "efa-sg-ingress-self"]


@pytest.mark.parametrize("edit, policy, line", [
    pytest.param(public_ip, "no-public-ip", 9, id="public-ip"),
    pytest.param(no_self_ingress, "efa-sg-self-rules", None, id="missing-efa-self-rule"),
])
def test_check_fails_with_exit_1_on_a_mandatory_violation(capsys, tmp_path, edit, policy, line):
    code, report, _ = check_json(capsys, "--plan", edited_plan(tmp_path, edit))
    assert code == 1 and report["ok"] is False and report["exit_code"] == 1
    hits = [v for v in report["violations"] if v["policy"] == policy]
    assert hits and hits[0]["level"] == "mandatory"
    assert hits[0]["source"]["file"] == P5, "located at the spec that produced the resource"
    if line:
        assert hits[0]["source"]["line"] == line
    steps = {s["name"]: s["status"] for s in report["steps"]}
    assert steps["validate"] == "skipped" and steps["policy"] == "failed"


def test_check_writes_sarif_and_junit_in_the_same_run(capsys, tmp_path):
    sarif, junit, md = tmp_path / "u.sarif", tmp_path / "u.xml", tmp_path / "summary.md"
    code, out, _ = check(capsys, "--plan", edited_plan(tmp_path, public_ip), "--sarif", str(sarif),
                         "--junit", str(junit), "--markdown", str(md))
    assert code == 1
    assert "no-public-ip" in out and "FAIL" in out
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    hit = next(r for r in results if r["ruleId"] == "no-public-ip")
    assert hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == P5
    assert hit["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    root = ET.parse(junit).getroot()
    assert any(c.get("name") == "no-public-ip" and c.find("failure") is not None for c in root.iter("testcase"))
    assert md.read_text().startswith("## ❌ ultraplan check: p5-research")


def test_fail_on_warning_fails_on_the_budget_warning(capsys):
    code, report, _ = check_json(capsys, P5)
    assert code == 0
    assert any(v["severity"] == "warning" for v in report["violations"])
    code, report, _ = check_json(capsys, P5, "--fail-on", "warning")
    assert code == 1 and report["fail_on"] == "warning"


def test_budget_over_fails_the_gate(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "budget: {monthly_usd: 1000}\n")
    code, report, _ = check_json(capsys, spec)
    assert code == 1
    steps = {s["name"]: s["status"] for s in report["steps"]}
    assert steps["cost"] == "failed" and steps["policy"] == "ok"
    over = next(v for v in report["violations"] if v["policy"] == "cost.budget.monthly")
    assert over["severity"] == "error" and over["source"]["line"] == 11


def test_policy_ceiling_uses_the_cost_estimate(capsys, write_spec):
    spec = write_spec(BASE_SPEC + "policies:\n  config:\n    max-monthly-cost: {maxMonthlyUsd: 5000}\n")
    code, report, _ = check_json(capsys, spec)
    assert code == 1
    hit = next(v for v in report["violations"] if v["policy"] == "max-monthly-cost")
    assert "exceeds maxMonthlyUsd 5,000" in hit["message"] and hit["source"]["line"] == 13


def test_invalid_spec_exits_2_with_the_problems_in_the_report(capsys, write_spec):
    code, report, err = check_json(capsys, write_spec(BASE_SPEC.replace("count: 2", "count: 0")))
    assert code == 2
    assert report["violations"][0]["policy"] == "spec.shape.range"  # count: 0, under its spec rule's id
    assert report["violations"][0]["source"]["line"] == 10
    assert {s["name"]: s["status"] for s in report["steps"]}["policy"] == "not-run"
    assert "invalid" in err


@pytest.mark.parametrize("policies, path, hint, line, rule", [
    pytest.param("  skip:\n    no-public-ipp: legacy bastion\n", "policies.skip.no-public-ipp",
                 "did you mean 'no-public-ip'?", 13, "spec.policies.known-id", id="unknown-skip"),
    pytest.param("  config:\n    required-tag: {tags: [team]}\n", "policies.config.required-tag",
                 "did you mean 'required-tags'?", 13, "spec.policies.known-id", id="unknown-config"),
    pytest.param("  config:\n    required-tags: {tags: team}\n", "policies.config.required-tags.tags",
                 None, 13, "spec.policies.setting", id="schema"),
])
def test_bad_policy_settings_exit_2_naming_field_and_line(capsys, write_spec, policies, path, hint, line, rule):
    code, report, _ = check_json(capsys, write_spec(BASE_SPEC + "policies:\n" + policies))
    assert code == 2
    problem = next(v for v in report["violations"] if v["policy"] == rule)
    assert problem["message"].startswith(path + ": ")
    assert problem["source"]["line"] == line
    if hint:
        assert hint in problem["hint"]


def test_preflight_runs_from_an_account_snapshot(capsys, tmp_path):
    snap = tmp_path / "account.json"
    snap.write_text(json.dumps({"format": "ultraplan-account-snapshot", "version": 1, "region": "us-east-1",
                                "captured_at": "2026-11-23T00:00:00Z"}))
    code, report, _ = check_json(capsys, P5, "--account", str(snap))
    step = next(s for s in report["steps"] if s["name"] == "preflight")
    assert step["status"] == "unverified" and "snapshot" in step["summary"]
    unverified = [u for u in report["unverified"] if u["category"] == "preflight"]
    assert unverified, "an empty snapshot answers nothing: preflight says it could not check, never passes"
    assert all(u["error"] == "not-captured" and u["operation"] for u in unverified)
    assert not {u["policy"] for u in unverified} & set(report["passed"])
    assert code == 3


def test_bad_snapshot_is_a_usage_error(capsys, tmp_path):
    snap = tmp_path / "account.json"
    snap.write_text("{}")
    code, out, err = check(capsys, P5, "--account", str(snap))
    assert code == 2 and "not an ultraplan account snapshot" in err
    assert "not an ultraplan account snapshot" in out  # the report says why the run stopped, too


def test_check_needs_a_spec_or_a_plan(capsys):
    code, _, err = check(capsys)
    assert code == 2 and "give a SPEC file, or --plan PLAN.json" in err


def _empty_snapshot():
    from planner.preflight import SnapshotAccount

    return SnapshotAccount({"format": "ultraplan-account-snapshot", "version": 1, "region": "us-east-1",
                            "captured_at": "2026-11-23T00:00:00Z"}, label="seeded")


def test_live_preflight_asks_the_live_account_of_the_plan_region(capsys, monkeypatch):
    import planner.preflight as preflight

    asked = []
    monkeypatch.setattr(preflight, "live_account", lambda region, **kw: asked.append(region) or _empty_snapshot())
    code, report, err = check_json(capsys, P5, "--preflight")
    assert asked == ["us-east-1"]
    assert next(s for s in report["steps"] if s["name"] == "preflight")["status"] != "skipped"
    assert "[1/" in err, "progress goes to stderr"


def test_unreachable_aws_exits_3_after_the_report(capsys, monkeypatch):
    import planner.preflight as preflight
    from planner.preflight import PreflightResult

    monkeypatch.setattr(preflight, "live_account", lambda region, **kw: _empty_snapshot())
    from planner.findings import Finding, Level, Unverified

    denied = Finding("preflight.zone.exists", Level.WARNING, "could not check the zones of us-east-1: denied",
                     unverified=Unverified("describe_availability_zones", "denied", "AccessDenied"))
    monkeypatch.setattr(preflight, "run", lambda plan, account, **kw: PreflightResult(
        findings=[denied], calls=3, region="us-east-1", account="live", unreachable=True,
        checks=["preflight.zone.exists", "preflight.quota.vpc"]))
    code, report, _ = check_json(capsys, P5, "--preflight")
    assert code == 3
    assert next(s for s in report["steps"] if s["name"] == "preflight")["status"] == "unverified"
    assert report["status"]["preflight.zone.exists"] == "unverified"
    assert "preflight.zone.exists" not in report["passed"] and "preflight.quota.vpc" in report["passed"]
    [u] = report["unverified"]
    assert u["operation"] == "describe_availability_zones" and u["error"] == "denied"


def test_calls_that_succeeded_are_no_reason_for_exit_3(capsys, monkeypatch):
    # The old rule exited 3 when "AWS was unreachable" even after calls had answered; now only an
    # unverified check exits 3.
    import planner.preflight as preflight
    from planner.preflight import PreflightResult

    monkeypatch.setattr(preflight, "live_account", lambda region, **kw: _empty_snapshot())
    monkeypatch.setattr(preflight, "run", lambda plan, account, **kw: PreflightResult(
        findings=[], calls=3, region="us-east-1", account="live", checks=["preflight.zone.exists"]))
    code, report, _ = check_json(capsys, P5, "--preflight")
    assert code == 0 and report["status"]["preflight.zone.exists"] == "passed"


def test_a_missing_module_is_reported_as_not_run(capsys, monkeypatch):
    from planner.run import steps

    real = steps.optional_module
    monkeypatch.setattr(steps, "optional_module", lambda name: None if name == "planner.cost" else real(name))
    code, report, _ = check_json(capsys, P5)
    cost = next(s for s in report["steps"] if s["name"] == "cost")
    assert (cost["status"], cost["summary"]) == ("not-run", "planner.cost is not installed")
    assert code == 0 and "cost" not in report


def test_sarif_from_check_describes_its_own_findings(capsys, write_spec):
    code, out, _ = check(capsys, write_spec(BASE_SPEC + "budget: {monthly_usd: 1000}\n"), "--format", "sarif")
    assert code == 1
    run = json.loads(out)["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "cost.budget.monthly")
    assert "budget.monthly_usd" in rule["shortDescription"]["text"]
    result = next(r for r in run["results"] if r["ruleId"] == "cost.budget.monthly")
    assert result["level"] == "error" and result["locations"][0]["physicalLocation"]["region"]["startLine"] == 11


@pytest.mark.parametrize("budget", [
    pytest.param("budget: {monthly_usd: 100000}\n", id="with-budget"),
    pytest.param("", id="no-budget"),
])
def test_unpriced_region_is_one_could_not_price_verdict(capsys, write_spec, budget):
    """validate, cost and check agree on a Region without prices: a warning that says why (every line
    unpriced, the budget unchecked), exit 0 from all three; never 2 from one and 1 from another."""
    # af-south-1: the catalog sells none of our GPU types there, so no price file covers it
    spec = write_spec(BASE_SPEC.replace("us-east-1a", "af-south-1a").replace("us-east-1", "af-south-1") + budget)
    got, report, _ = check_json(capsys, spec)
    assert got == 0
    assert next(s for s in report["steps"] if s["name"] == "cost")["status"] == "warning"
    finding = next(v for v in report["violations"] if v["policy"] == "cost.prices")
    assert finding["severity"] == "warning" and "no prices for region af-south-1" in finding["message"]
    for command in ("validate", "cost"):
        with pytest.raises(SystemExit) as exc:
            main([command, spec])
        out = capsys.readouterr()
        assert exc.value.code == 0, (command, out.err)
        assert "no prices for region af-south-1" in out.out + out.err
