"""The report model carries every check's status; no format shows or counts an unverified check as
passed (text, JSON, SARIF, JUnit, Markdown), and the gate exits 3 for it unless it is accepted."""
from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from planner.findings import Finding, Level, Source, Status, Unverified
from planner.report import Entry, Report, RuleInfo, render

DENIED = Unverified("describe_availability_zones", "denied", "UnauthorizedOperation: not allowed")


def report(accepted: dict[str, str] | None = None, failing: bool = False) -> Report:
    r = Report("check", spec_file="spec.yaml", name="demo")
    r.rules = [RuleInfo("preflight.zone.exists", "Zones exist", category="preflight"),
               RuleInfo("preflight.quota.vpc", "VPC quotas", category="preflight")]
    # A buggy caller lists the unverified check as passed too: the model must not believe it.
    r.passed = ["preflight.zone.exists", "preflight.quota.vpc"]
    r.entries = [Entry(Finding("preflight.zone.exists", Level.WARNING, "could not check the zones: denied",
                               source=Source("spec.yaml", 3), unverified=DENIED), "preflight")]
    if failing:
        r.entries.append(Entry(Finding("preflight.quota.vpc", Level.ERROR, "short by 3 VPCs"), "preflight"))
    r.accepted = dict(accepted or {})
    return r


def test_the_model_knows_each_status_and_the_gate():
    r = report()
    assert r.statuses() == {"preflight.zone.exists": Status.UNVERIFIED, "preflight.quota.vpc": Status.PASSED}
    assert r.passed_checks() == ["preflight.quota.vpc"]
    assert (r.exit_code, r.verdict) == (3, "UNVERIFIED")
    assert report(accepted={"preflight.zone.exists": "role pending"}).exit_code == 0
    assert report(failing=True).exit_code == 1, "a real failure wins over unverified"
    crashed = report()
    crashed.internal_errors = ["preflight.zone.exists"]
    assert (crashed.exit_code, crashed.verdict) == (4, "ERROR")


def test_json():
    data = json.loads(render(report(), "json"))
    assert data["status"]["preflight.zone.exists"] == "unverified"
    assert data["passed"] == ["preflight.quota.vpc"] and data["violations"] == []
    [u] = data["unverified"]
    assert (u["operation"], u["error"], u["accepted"]) == ("describe_availability_zones", "denied", None)
    assert data["exit_code"] == 3 and data["summary"].startswith("UNVERIFIED: no findings, 1 passed, 1 unverified")


def test_sarif():
    run = json.loads(render(report(), "sarif"))["runs"][0]
    [result] = run["results"]
    assert (result["kind"], result["level"]) == ("open", "none")
    assert result["properties"]["operation"] == "describe_availability_zones"
    assert run["properties"]["passed"] == ["preflight.quota.vpc"]
    assert run["invocations"][0]["executionSuccessful"] is False
    [note] = [n for n in run["invocations"][0]["toolExecutionNotifications"] if n["descriptor"]["id"] == "preflight.zone.exists"]
    assert note["level"] == "error" and "describe_availability_zones (denied)" in note["message"]["text"]


def test_junit():
    root = ET.fromstring(render(report(), "junit").split("\n", 1)[1])
    case = root.find(".//testcase[@name='preflight.zone.exists']")
    assert case.find("error") is not None and case.find("error").get("type") == "unverified"
    assert root.get("errors") == "1" and root.get("failures") == "0"


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_human_formats(fmt):
    text = render(report(), fmt)
    assert "unverified" in text.lower()
    if fmt == "markdown":
        passed = text.split("Passed rules", 1)[1]
        assert "preflight.zone.exists" not in passed
        assert text.startswith("## ❔")
    else:
        assert "operation describe_availability_zones, denied" in " ".join(text.split())
        assert text.rstrip().splitlines()[-1].startswith("UNVERIFIED")


def test_accepted_is_still_unverified_everywhere():
    r = report(accepted={"preflight.zone.exists": "role pending"})
    data = json.loads(render(r, "json"))
    assert data["status"]["preflight.zone.exists"] == "unverified" and data["unverified"][0]["accepted"] == "role pending"
    assert "preflight.zone.exists" not in data["passed"] and data["exit_code"] == 0
    assert "accepted: role pending" in render(r, "markdown") and "accepted: role pending" in render(r, "text")


def test_html_shows_the_verdict_not_pass():
    from planner.report.html import render_html

    page = render_html(report(), None)
    assert '<span class="verdict fail">UNVERIFIED</span>' in page
    assert ">PASS<" not in page
    passed = page.split("rules passed</summary>", 1)[1].split("</details>", 1)[0]
    assert "preflight.zone.exists" not in passed and "preflight.quota.vpc" in passed
