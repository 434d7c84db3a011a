"""The report formats: SARIF 2.1.0 (checked against the schema's shape and GitHub code scanning's
needs), JUnit XML, JSON, Markdown and text, and the gate they all share."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from xml.etree import ElementTree as ET

import pytest
from test_policy_fixtures import mutate, remove, resource

from planner.findings import Finding, Level, Source
from planner.report import FORMATS, Entry, Report, RuleInfo, Step, render, to_json, to_sarif
from policies import load_rules
from policies.report import policy_report
from policies.runner import run_policies


def broken_plan():
    def change(d):
        remove(d, "efa-sg-egress-self")
        resource(d, "lt-train")["inputs"]["networkInterfaces"][0]["associatePublicIpAddress"] = "true"
        del resource(d, "asg-train")["inputs"]["placementGroup"]
        d["policies"]["skip"] = {"vpc-dns-enabled": "shared VPC owned by the network team"}
        d["policies"]["lines"]["policies.skip.vpc-dns-enabled"] = 42

    return mutate(change)


@pytest.fixture
def report():
    rep = policy_report(run_policies(broken_plan()), name="demo")
    rep.entries.append(Entry(Finding("preflight.quota.vcpus", Level.ERROR, "P quota 384 < 1152 vCPUs",
                                     pool="train", source=Source("examples/demo.yaml", 10)), "preflight"))
    rep.steps = [Step("validate", "ok", "fine"), Step("preflight", "failed", "1 error")]
    return rep


# -- SARIF ---------------------------------------------------------------------------------------
# The SARIF 2.1.0 schema as published on SchemaStore (sarif-2.1.0-rtm.5, the one our "$schema" names),
# vendored from the npm package @microsoft/jest-sarif 1.0.0-beta.0 (MIT): tests run offline.
SARIF_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")


def validate_sarif(sarif: dict) -> None:
    """The whole SARIF 2.1.0 schema with its uri formats checked, plus the spec's rules on bases:
    a uri with a uriBaseId is relative; one without is absolute; a base is absolute and ends in '/'."""
    import jsonschema

    with open(SARIF_SCHEMA_FILE, encoding="utf-8") as fh:
        schema = json.load(fh)
    checker = jsonschema.FormatChecker()  # every format, uri-reference included (not a draft-04 one)
    assert "uri-reference" in checker.checkers, "install jsonschema[format-nongpl] to check uri formats"
    jsonschema.Draft4Validator(schema, format_checker=checker).validate(sarif)
    for run in sarif["runs"]:
        for base in run.get("originalUriBaseIds", {}).values():
            assert urllib.parse.urlparse(base["uri"]).scheme == "file" and base["uri"].endswith("/"), base
        for result in run["results"]:
            for loc in result.get("locations", []) + [s["location"] for s in result.get("suppressions", [])
                                                       if "location" in s]:
                art = loc["physicalLocation"]["artifactLocation"]
                parsed = urllib.parse.urlparse(art["uri"])
                if "uriBaseId" in art:
                    assert not parsed.scheme and not art["uri"].startswith("/"), art
                    assert art["uriBaseId"] in run["originalUriBaseIds"], art
                else:
                    assert parsed.scheme == "file" and parsed.path.startswith("/"), art


def test_sarif_matches_the_2_1_0_schema(report):
    sarif = json.loads(render(report, "sarif"))
    validate_sarif(sarif)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")


def test_schema_check_rejects_a_bare_absolute_path(report):
    sarif = to_sarif(report)
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "/abs/spec.yaml"
    with pytest.raises(AssertionError):
        validate_sarif(sarif)


@pytest.mark.parametrize("where", ["inside", "outside", "with space"])
def test_sarif_uris_valid_for_absolute_and_relative_paths(where, tmp_path):
    root = tmp_path / "repo"
    spec = {"inside": root / "clusters" / "a.yaml", "outside": tmp_path / "elsewhere" / "a.yaml",
            "with space": root / "my clusters" / "a b.yaml"}[where]
    for given in (str(spec), os.path.relpath(spec)):
        rep = Report("policy", spec_file=given, entries=[Entry(Finding("x", Level.ERROR, "m", source=Source(given, 3)))],
                     skipped=[("y", "not here")])
        sarif = to_sarif(rep, root=str(root))
        validate_sarif(sarif)
        art = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        if where == "outside":
            assert art == {"uri": spec.as_uri()}
        else:
            assert art["uriBaseId"] == "%SRCROOT%"
            assert urllib.parse.unquote(art["uri"]) == os.path.relpath(spec, root)


def test_sarif_skips_are_suppressions_with_their_reason(report):
    run = to_sarif(report)["runs"][0]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["vpc-dns-enabled"]
    (sup,) = suppressed[0]["suppressions"]
    assert sup["kind"] == "inSource" and sup["justification"] == "shared VPC owned by the network team"
    assert sup["location"]["physicalLocation"]["region"]["startLine"] == 42  # the policies.skip line
    assert run["tool"]["driver"]["rules"][suppressed[0]["ruleIndex"]]["id"] == "vpc-dns-enabled"


def test_sarif_results_point_at_spec_lines_and_rules(report):
    sarif = to_sarif(report)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "ultraplan"
    assert len({r["id"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"], rule["id"]
    by_rule = {r["ruleId"]: r for r in run["results"] if not r.get("suppressions")}
    # Without its self egress rule efa-sg fails the EFA rule and the reachability proof of node <-> node;
    # the public IP on a multi-interface launch breaks the security rule and the launch-time rule.
    assert set(by_rule) == {"efa-sg-self-rules", "nodes-reach-each-other", "no-public-ip", "launch-rules",
                            "efa-placement-group", "preflight.quota.vcpus"}
    for result in by_rule.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "examples/demo.yaml"  # repository-relative for code scanning
        assert loc["region"]["startLine"] >= 1
        assert result["partialFingerprints"]
    assert by_rule["no-public-ip"]["level"] == "error"
    assert by_rule["no-public-ip"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert by_rule["efa-sg-self-rules"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert by_rule["efa-placement-group"]["level"] == "warning"
    help_text = next(r for r in rules if r["id"] == "no-public-ip")["help"]["text"]
    assert "Remediation: Remove associatePublicIpAddress" in help_text
    assert next(r for r in rules if r["id"] == "efa-placement-group")["defaultConfiguration"]["level"] == "warning"


def test_sarif_makes_absolute_paths_repository_relative(tmp_path):
    spec = tmp_path / "clusters" / "a.yaml"
    rep = Report("policy", spec_file=str(spec),
                 entries=[Entry(Finding("x", Level.ERROR, "m", source=Source(str(spec), None)))])
    result = to_sarif(rep, root=str(tmp_path))["runs"][0]["results"][0]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "clusters/a.yaml"
    assert loc["region"]["startLine"] == 1, "no line known: the file's first line, never 0"


# -- JUnit ---------------------------------------------------------------------------------------
def test_junit_one_case_per_rule_failures_and_skips(report):
    root = ET.fromstring(render(report, "junit").split("\n", 1)[1])
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"ultraplan.steps", "ultraplan.policy", "ultraplan.preflight"}
    policy = suites["ultraplan.policy"]
    cases = {c.get("name"): c for c in policy.findall("testcase")}
    assert int(policy.get("tests")) == len(cases) == len(load_rules())
    assert cases["no-public-ip"].find("failure") is not None
    assert "examples/demo.yaml:10 lt-train: [mandatory]" in cases["no-public-ip"].find("failure").text
    assert cases["vpc-dns-enabled"].find("skipped").get("message") == "skipped: shared VPC owned by the network team"
    assert cases["efa-placement-group"].find("failure") is None, "advisory stays below --fail-on error"
    assert cases["imdsv2-required"].find("failure") is None
    assert cases["launch-rules"].find("failure") is not None, "a public IP on a multi-interface launch"
    assert int(policy.get("failures")) == 4 and int(policy.get("skipped")) == 1
    steps = {c.get("name"): c for c in suites["ultraplan.steps"].findall("testcase")}
    assert steps["preflight"].find("failure") is not None
    assert int(root.get("failures")) == 6


def test_junit_fail_on_warning_fails_advisory_rules(report):
    report.fail_on = Level.WARNING
    root = ET.fromstring(render(report, "junit").split("\n", 1)[1])
    case = next(c for c in root.iter("testcase") if c.get("name") == "efa-placement-group")
    assert case.find("failure").get("type") == "advisory"


# -- JSON, Markdown, text ------------------------------------------------------------------------
def test_json_has_violations_and_passed(report):
    data = json.loads(render(report, "json"))
    assert data["ok"] is False and data["exit_code"] == 1
    v = next(v for v in data["violations"] if v["policy"] == "no-public-ip")
    assert v == {"policy": "no-public-ip", "level": "mandatory", "severity": "error", "category": "policy",
                 "resource": "lt-train", "pool": "train",
                 "message": "network interface card 0 device 0 sets associatePublicIpAddress on an accelerated instance type",
                 "hint": v["hint"], "source": {"file": "examples/demo.yaml", "line": 10}}
    assert next(v for v in data["violations"] if v["policy"] == "efa-placement-group")["level"] == "advisory"
    assert "imdsv2-required" in data["passed"] and "no-public-ip" not in data["passed"]
    assert data["skipped"] == [{"policy": "vpc-dns-enabled", "reason": "shared VPC owned by the network team",
                                "source": {"file": "examples/demo.yaml", "line": 42}}]
    assert [s["name"] for s in data["steps"]] == ["validate", "preflight"]


def test_markdown_and_text_show_violations_skips_and_verdict(report):
    md = render(report, "markdown")
    assert md.startswith("## ❌ ultraplan policy: demo")
    assert "| mandatory | `no-public-ip` | 1 | `examples/demo.yaml:10` |" in md  # one row per rule
    assert "- `examples/demo.yaml:10` **lt-train**: network interface card 0" in md  # folded details
    assert "- `vpc-dns-enabled`: shared VPC owned by the network team" in md
    text = render(report, "text")
    assert "skipped vpc-dns-enabled: shared VPC owned by the network team" in text
    passed = len(load_rules()) - 5 - 1 - 1  # 5 violated (launch-rules too), 1 skipped, max-monthly-cost not applicable
    assert f"FAIL: 1 advisory, 1 error, 4 mandatory, {passed} passed, 1 skipped (fail on error)" in text


def test_gate_follows_fail_on():
    warn = Entry(Finding("a", Level.WARNING, "w"), "policy", "advisory")
    rep = Report("policy", entries=[warn])
    assert (rep.ok, rep.exit_code) == (True, 0)
    rep.fail_on = Level.WARNING
    assert (rep.ok, rep.exit_code) == (False, 1)
    clean = Report("check", steps=[Step("cost", "failed", "budget over")])
    assert clean.exit_code == 1, "a failed step fails the gate even without findings"


def test_every_format_renders_an_empty_report():
    rep = Report("policy", spec_file="x.yaml", rules=[RuleInfo("r", "R", "help")], passed=["r"])
    for fmt in FORMATS:
        assert render(rep, fmt)
    assert to_json(rep)["violations"] == [] and to_sarif(rep)["runs"][0]["results"] == []
    with pytest.raises(ValueError, match="unknown report format 'html'"):
        render(rep, "html")


def test_report_package_imports_neither_pulumi_nor_boto3():
    code = ("import sys, planner.report, policies.runner, policies.report; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_policy', 'pulumi_aws', 'boto3')]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_new_format_is_one_module_and_one_registry_line(tmp_path, monkeypatch):
    """tests/support/csvfmt.py plus one register_format line: `render`, `--format` and `--csv FILE`
    of a reporting command all know it, with no other file touched."""
    import click
    from click.testing import CliRunner

    import planner.report as reports
    from planner.cli.reporting import emit_report, report_options

    monkeypatch.setattr(reports, "FORMATS", dict(reports.FORMATS))
    reports.register_format("csv", "support.csvfmt:render_csv", "Also write CSV here.")
    rep = Report("check", spec_file="x.yaml")
    rep.entries.append(Entry(Finding("spec.pool.name-unique", Level.ERROR, "duplicate pool name 'gpu'",
                                     source=Source("x.yaml", 12)), "spec"))
    assert render(rep, "csv") == "id,level,file,line,message\nspec.pool.name-unique,error,x.yaml,12,duplicate pool name 'gpu'\n"

    @click.command()
    @report_options
    def demo(fmt, fail_on, reports):
        emit_report(rep, fmt, reports)

    out = tmp_path / "r.csv"
    result = CliRunner().invoke(demo, ["--format", "csv", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("id,level,file,line,message") and out.read_text() == render(rep, "csv")
    assert "--csv" in CliRunner().invoke(demo, ["--help"]).output
