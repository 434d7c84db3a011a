"""One pipeline, one verdict: `validate` rejects (exit 2) every spec that `plan`, `cost`, `policy` or
`check` rejects, with the field, the line and a fix, and no spec makes any of them crash. Each case
below was a traceback or a disagreement between commands (issue 11)."""
from __future__ import annotations

import json
import os

import pytest

from conftest import BASE_SPEC, EXAMPLES
from planner.cli import main

HEAD = """\
name: demo
region: us-east-1
availability_zone: us-east-1a
tags: {team: t, cost-center: "1"}
"""

GB200 = ("ultraserver: u-p6e-gb200x72, capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}, "
         "ami: ami-0123456789abcdef0")


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


# (spec body after HEAD, field path in the error, words of the message)
REJECTED = [
    pytest.param("network: {vpc_cidr: 10.0.0.0/28}\ncompute:\n  - {name: a, instance_type: p5.48xlarge, count: 64}\n",
                 "network.vpc_cidr", "the subnets need", id="vpc-too-small"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 70000}\n",
                 "compute[0].count", "one subnet holds at most", id="pool-too-large-for-a-subnet"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\npolicies: {skip: {no-such-policy: why}}\n",
                 "policies.skip.no-such-policy", "unknown policy", id="unknown-skip-id"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "policies: {config: {required-tags: {tags: 5}}}\n",
                 "policies.config.required-tags", "must be", id="bad-policy-config"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, start: 2030-01-01}\n"
                 "budget: {monthly_usd: 1000000, term_months: 12, start: 2026-01-01}\n",
                 "budget.term_months", "before pool a", id="pool-after-the-term"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, capacity: {type: capacity-block, planned: true, "
                 "start: 2026-12-01, end: 2027-01-20}}\n",
                 "compute[0].capacity.end", "50 days, not a Capacity Block length", id="block-end-not-a-block-length"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, capacity: {type: capacity-block, planned: true, "
                 "start: 9999-12-31, days: 14}}\n",
                 "compute[0].capacity.start", "outside the planning window (2000-01-01 to 2100-12-31)", id="block-in-9999"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, start: 2026-01-01}\n"
                 "  - {name: b, instance_type: p5.48xlarge, count: 2, start: 9999-01-01}\n",
                 "compute[1].start", "outside the planning window", id="pool-in-9999"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, start: 2026-02-30}\n",
                 "", "'2026-02-30' cannot be read: day is out of range for month", id="impossible-date"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: " + "9" * 5000 + "}\n",
                 "compute[0].count", "5,000 digits", id="5000-digit-integer"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_tib: .inf, throughput_per_tib: 250}}\n",
                 "storage.lustre.capacity_tib", "finite number", id="capacity-inf"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_tib: .nan, throughput_per_tib: 250}}\n",
                 "storage.lustre.capacity_tib", "finite number", id="capacity-nan"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\nbudget: {monthly_usd: .inf}\n",
                 "budget.monthly_usd", "finite number", id="budget-inf"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_gib: 2400, throughput_per_tib: 250, reserve_ips: 0}}\n",
                 "storage.lustre.reserve_ips", "needs addresses in its subnet", id="lustre-reserve-ips-0"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_gib: 1000000000000000000000000000000, throughput_per_tib: 250}}\n",
                 "storage.lustre.capacity_gib", "is too large for capacity_gib", id="lustre-10e30-gib-bounded"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_gib: 2400, throughput_per_tib: 250, reserve_ips: 1000000000}}\n",
                 "storage.lustre.reserve_ips", "is too large for reserve_ips", id="lustre-reserve-ips-huge"),
    pytest.param("compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "storage: {lustre: {capacity_gib: 1200, deployment: SCRATCH_1}}\n",
                 "storage.lustre.deployment", "fsx-encrypted-in-vpc would always fail", id="scratch-1-fails-its-gate"),
]


@pytest.mark.parametrize("body, path, words", REJECTED)
def test_every_command_rejects_what_validate_rejects(capsys, write_spec, body, path, words):
    spec = write_spec(HEAD + body)
    code, out, err = run(capsys, "validate", spec, "--format", "json")
    assert code == 2, err
    issues = json.loads(out)["issues"]
    hit = [i for i in issues if words in i["message"]]
    assert hit, issues
    assert hit[0]["path"].startswith(path) and hit[0]["line"] is not None
    for command in ("plan", "cost", "policy", "check"):
        code, out, err = run(capsys, command, spec)
        assert code == 2, (command, out, err)
        assert "Traceback" not in out + err


def test_name_collision_names_both_pools(capsys, write_spec):
    head = HEAD.replace("us-east-1a", "us-east-1-dfw-2a") + "network: {vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}\n"
    spec = write_spec(head + f"compute:\n  - {{name: x, {GB200}, count: 2}}\n"
                             "  - {name: x-u0001, instance_type: m7i.large, count: 1}\n")
    code, out, err = run(capsys, "validate", spec, "--format", "json")
    assert code == 2
    issue = json.loads(out)["issues"][0]
    assert issue["path"] == "compute[1].name" and issue["line"] == 8
    assert issue["message"].startswith("pool 'x-u0001' collides with the names generated for UltraServer 1 of pool 'x'")


def test_the_compiler_reports_a_duplicate_name_as_a_spec_error():
    """The backstop behind validate's collision check: never a bare ValueError."""
    from planner.compile.builder import Builder
    from planner.errors import SpecError

    b = Builder("s.yaml", "demo", {})
    b.add([], "aws:ec2/vpc:Vpc", "vpc", {}, line=3, pool="a")
    with pytest.raises(SpecError, match=r"pool 'b' \(line 9\) and pool 'a' \(line 3\) both generate the resource name 'vpc'"):
        b.add([], "aws:ec2/vpc:Vpc", "vpc", {}, line=9, pool="b")


def test_zone_names_are_normalised(write_spec):
    import planner

    spec = write_spec(HEAD + "compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2, availability_zone: us-east-1A}\n"
                             "  - {name: b, instance_type: p5.48xlarge, count: 2}\n")
    plan = planner.compile_spec(spec)
    assert [s["availability_zone"] for s in plan.network["subnets"]] == ["us-east-1a"]


def test_a_skipped_gate_lets_scratch_1_through(write_spec, capsys):
    spec = write_spec(HEAD + "compute:\n  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                             "storage: {lustre: {capacity_gib: 1200, deployment: SCRATCH_1}}\n"
                             "policies: {skip: {fsx-encrypted-in-vpc: 'scratch space for a benchmark, no real data'}}\n")
    code, _, err = run(capsys, "validate", spec)
    assert code == 0, err
    code, out, _ = run(capsys, "policy", spec)
    assert code == 0 and "fsx-encrypted-in-vpc" in out


def test_a_region_without_prices_is_a_warning_in_validate(capsys, write_spec):
    spec = write_spec("name: demo\nregion: ap-south-2\navailability_zone: ap-south-2a\n"
                      "compute:\n  - {name: a, instance_type: m7i.large, count: 2}\n")
    code, out, err = run(capsys, "validate", spec)
    assert code == 0 and "warning:" in err and "no prices for region ap-south-2" in err
    code, out, _ = run(capsys, "validate", spec, "--format", "json")
    assert code == 0 and json.loads(out)["warnings"][0]["id"] == "cost.prices"


def test_check_writes_every_report_on_an_invalid_spec(capsys, write_spec, tmp_path):
    spec = write_spec(HEAD + "network: {vpc_cidr: 10.0.0.0/28}\ncompute:\n  - {name: a, instance_type: p5.48xlarge, count: 64}\n")
    files = {fmt: tmp_path / f"r.{fmt}" for fmt in ("sarif", "junit", "markdown", "json")}
    args = [a for fmt, p in files.items() for a in (f"--{fmt}", str(p))]
    code, out, err = run(capsys, "check", spec, *args)
    assert code == 2
    for fmt, path in files.items():
        text = path.read_text()
        assert "the subnets need" in text, fmt
    sarif = json.loads(files["sarif"].read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "spec.network.subnets-fit"
    report = json.loads(files["json"].read_text())
    assert any(f["policy"] == "spec.network.subnets-fit" for f in report["violations"])


def test_check_reports_compiler_notes_as_findings(capsys, write_spec, tmp_path):
    out_json = tmp_path / "r.json"
    code, _, _ = run(capsys, "check", write_spec(BASE_SPEC), "--json", str(out_json))
    notes = [f for f in json.loads(out_json.read_text())["violations"] if f["policy"] == "plan.note"]
    assert notes and "no ami" in notes[0]["message"]


def test_check_on_an_unreadable_plan_json_still_writes_its_reports(capsys, tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("[1, 2")
    sarif = tmp_path / "r.sarif"
    code, _, err = run(capsys, "check", "--plan", str(bad), "--sarif", str(sarif))
    assert code == 2 and "error:" in err
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "input.invalid"


def test_a_term_as_long_as_the_window_costs_one_row_a_month():
    """A pool dated near the end of the planning window: the term is computed, not walked."""
    from datetime import date

    from planner.cost.timeline import Window, make_term, months_between

    assert months_between(date(2000, 1, 31), date(2100, 12, 31)) == 1211
    term = make_term(None, [Window(date(2000, 1, 1), None), Window(date(2100, 1, 1), date(2100, 12, 1))], date(2026, 1, 1))
    assert term.months == 1211 and term.assumed


@pytest.mark.parametrize("example", EXAMPLES, ids=[os.path.basename(e) for e in EXAMPLES])
def test_examples_pass_validate(capsys, example):
    code, _, err = run(capsys, "validate", example)
    assert code == 0, err
