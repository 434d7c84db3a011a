"""Every kind of bad input named in the design issue gets exit-2 SpecError naming field, line and fix."""
from __future__ import annotations

import pytest

from conftest import BASE_SPEC
from planner.errors import SpecError
from planner.spec.load import parse_spec


def issues_of(text: str):
    with pytest.raises(SpecError) as info:
        parse_spec(text, "spec.yaml")
    return info.value.issues


def one(text: str, path: str):
    found = [i for i in issues_of(text) if i.path == path]
    assert found, f"no issue at {path}: {issues_of(text)}"
    return found[0]


POOL2 = BASE_SPEC + "  - name: head\n    instance_type: m7i.4xlarge\n    count: 1\n"
# An UltraServer capacity-block pool; {count} UltraServers, {cap} the reservation part of `capacity`.
def ultra(count: int, cap: str) -> str:
    return BASE_SPEC.replace("us-east-1a", "us-east-1-dfw-2a").replace(
        "instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0").replace(
        "count: 2", f"count: {count}\n    capacity: {{type: capacity-block, {cap}, start: 2026-12-01, days: 14}}")

CASES = [
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2: 3"), "", 10, "a ':' YAML did not expect", id="yaml-syntax"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: [2"), "", 11, "a list opened with '[' at line 10 is not closed", id="yaml-unclosed"),
    pytest.param(BASE_SPEC.replace("count: 2", "coutn: 2"), "compute[0].coutn", 10, "unknown key 'coutn'", id="unknown-key"),
    pytest.param(BASE_SPEC.replace("instance_type: p5.48xlarge", "instance_type: p5.48xlarg"), "compute[0].instance_type", 9,
                 "unknown instance type 'p5.48xlarg'", id="unknown-instance-type"),
    pytest.param(BASE_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x7"), "compute[0].ultraserver", 9,
                 "unknown UltraServer type", id="unknown-ultraserver"),
    pytest.param(BASE_SPEC.replace("count: 2", "ultraserver: u-p6e-gb200x72\n    count: 2"), "compute[0]", 8,
                 "not both", id="both-types"),
    pytest.param(BASE_SPEC.replace("    instance_type: p5.48xlarge\n", ""), "compute[0]", 8, "exactly one of", id="neither-type"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 0"), "compute[0].count", 10, "the number 0 is too small for count", id="zero-count"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: -3"), "compute[0].count", 10, "the number -3 is too small for count", id="negative-count"),
    pytest.param(POOL2.replace("count: 1", "count: 1\n    efa: true"), "compute[1].efa", 14, "does not support EFA", id="efa-unsupported"),
    pytest.param(BASE_SPEC.replace("10.0.0.0/16", "10.0.0.300/16"), "network.vpc_cidr", 6, "not a valid IPv4 CIDR", id="invalid-cidr"),
    pytest.param(BASE_SPEC.replace("10.0.0.0/16", "10.0.0.0/8"), "network.vpc_cidr", 6, "between /16 and /28", id="cidr-too-big"),
    pytest.param(BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  secondary_cidrs: [10.0.128.0/17]"),
                 "network.secondary_cidrs[0]", 7, "overlaps network.vpc_cidr", id="overlapping-cidrs"),
    pytest.param(BASE_SPEC.replace("us-east-1a", "us-west-2a"), "availability_zone", 3, "not in region us-east-1", id="az-not-in-region"),
    pytest.param(BASE_SPEC.replace("us-east-1a", "usw2-az1"), "availability_zone", 3, "not in region us-east-1", id="zone-id-not-in-region"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: capacity-block, start: 2026-12-01, days: 7}"),
                 "compute[0].capacity.reservation_id", 11, "needs reservation_id", id="block-without-reservation"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: capacity-block, reservation_id: cr-0123456789abcdef0}"),
                 "compute[0].capacity.start", 11, "needs its start date", id="block-without-dates"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 20}"),
                 "compute[0].capacity.days", 11, "not a Capacity Block length", id="block-bad-days"),
    pytest.param(POOL2.replace("name: head", "name: gpu"), "compute[1].name", 11, "duplicate pool name 'gpu'", id="duplicate-pool"),
    pytest.param(BASE_SPEC.replace("name: demo", "name: Demo_Cluster"), "name", 1, "'Demo_Cluster' is not a valid name", id="name-not-dns-safe"),
    pytest.param(BASE_SPEC.replace("name: gpu", "name: gpu.pool"), "compute[0].name", 8, "'gpu.pool' is not a valid name", id="pool-name-not-dns-safe"),
    pytest.param(BASE_SPEC.replace("region: us-east-1", "region: us-east-9"), "region", 2, "unknown region", id="unknown-region"),
    pytest.param(BASE_SPEC + "compute: []\n", "compute", 11, "duplicate key 'compute'", id="duplicate-key"),
    pytest.param(BASE_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72").replace("us-east-1a", "us-east-1-dfw-2a"),
                 "compute[0].capacity.type", 8, "cannot be bought as on-demand", id="ultraserver-on-demand"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    placement_group: true\n    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}"),
                 "compute[0].placement_group", 11, "insufficient-capacity", id="placement-group-on-reservation"),
    pytest.param(BASE_SPEC + "policies: {skip: {no-public-ip: ''}}\n", "policies.skip.no-public-ip", 11, "needs a reason", id="skip-without-reason"),
    pytest.param(ultra(4, "reservation_id: cr-0123456789abcdef0"), "compute[0].capacity.reservation_ids", 12,
                 "4 x u-p6e-gb200x72 are 4 Capacity Blocks, one reservation each; reservation_id names 1 for 4 UltraServers",
                 id="n-ultraservers-one-id"),
    pytest.param(ultra(3, "reservation_ids: [cr-0123456789abcdef0, cr-0123456789abcdef1]"),
                 "compute[0].capacity.reservation_ids", 12, "2 reservation ids for 3 UltraServers (count: 3)", id="ids-count-mismatch"),
    pytest.param(ultra(2, "reservation_ids: [cr-0123456789abcdef0, cr-0123456789abcdef0]"),
                 "compute[0].capacity.reservation_ids[1]", 12, "cr-0123456789abcdef0 is listed twice", id="ids-duplicate"),
    pytest.param(ultra(2, "reservation_ids: [cr-0123456789abcdef0, cr-XYZ]"), "compute[0].capacity.reservation_ids[1]", 12,
                 "'cr-XYZ' is not a valid reservation id", id="ids-bad-id"),
    pytest.param(ultra(1, "reservation_ids: [cr-0123456789abcdef0], reservation_id: cr-0123456789abcdef0"),
                 "compute[0].capacity.reservation_ids", 12, "not both", id="id-and-ids"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: capacity-reservation, reservation_ids: [cr-0123456789abcdef0]}"),
                 "compute[0].capacity.reservation_ids", 11, "an instance pool takes reservation_id", id="ids-on-instance-pool"),
    pytest.param(ultra(1, "reservation_id: cr-0123456789abcdef0, drain_seconds: 10"),
                 "compute[0].capacity.drain_seconds", 12, "the number 10 is too small for drain_seconds", id="drain-too-short"),
    pytest.param(ultra(1, "reservation_id: cr-0123456789abcdef0, drain_seconds: 9000"),
                 "compute[0].capacity.drain_seconds", 12, "the number 9000 is too large for drain_seconds", id="drain-too-long"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: on-demand, drain_seconds: 600}"),
                 "compute[0].capacity.drain_seconds", 11, "applies only to capacity-block pools", id="drain-on-demand"),
]


@pytest.mark.parametrize("text,path,line,message", CASES)
def test_bad_input_names_field_line_and_problem(text, path, line, message):
    issue = one(text, path)
    assert message in issue.message
    assert issue.line == line
    assert issue.file == "spec.yaml"
    assert issue.render().startswith(f"spec.yaml:{line}: ")


def test_unknown_key_suggests_closest():
    issue = one(BASE_SPEC.replace("count: 2", "coutn: 2"), "compute[0].coutn")
    assert issue.hint == "did you mean 'count'?"


def test_unknown_type_suggests_close_matches():
    issue = one(BASE_SPEC.replace("p5.48xlarge", "p5en.48xlrge"), "compute[0].instance_type")
    assert "p5en.48xlarge" in issue.hint


def test_all_problems_are_reported_together():
    text = BASE_SPEC.replace("us-east-1a", "us-west-2a") + "  - name: gpu\n    instance_type: m7i.4xlarge\n    count: 1\n"
    paths = {i.path for i in issues_of(text)}
    assert {"availability_zone", "compute[1].name"} <= paths


def test_spec_must_be_a_mapping():
    assert issues_of("- a\n- b\n")[0].message.startswith("the spec must be a YAML mapping")


def test_missing_file_is_a_spec_error(tmp_path):
    from planner.spec.load import load_spec

    with pytest.raises(SpecError) as info:
        load_spec(str(tmp_path / "nope.yaml"))
    assert "no such file" in str(info.value)


def test_numeric_tag_values_are_accepted_as_text():
    doc = parse_spec(BASE_SPEC.replace('"1"', "4711"), "spec.yaml")
    assert doc.spec.tags["cost-center"] == "4711"


# -- every problem at once, in our words, with an excerpt and a caret ------------------------------
SEVERAL = (BASE_SPEC.replace("region: us-east-1", "region: us-east")              # shape: a bad region (line 2)
           .replace("instance_type: p5.48xlarge", "instance_type: p5.48xlarg")  # meaning: unknown type (line 9)
           .replace("10.0.0.0/16", "10.0.0.0/8")                                # meaning: CIDR too big (line 6)
           + "    efa: maybe\n"                                                 # shape: not a boolean (line 11)
           + "policies:\n  skip:\n    no-public-ip:\n")                         # shape: a skip without reason (line 14)


def test_shape_errors_do_not_hide_meaning_errors_and_come_sorted_by_line():
    issues = issues_of(SEVERAL)
    assert [(i.line, i.path) for i in issues] == [
        (2, "region"), (6, "network.vpc_cidr"), (9, "compute[0].instance_type"), (11, "compute[0].efa"),
        (14, "policies.skip.no-public-ip")]


@pytest.mark.parametrize("text,path,message,hint", [
    pytest.param(BASE_SPEC + "policies:\n  skip:\n    no-public-ip:\n", "policies.skip.no-public-ip",
                 "skipping 'no-public-ip' needs a reason", "policies.skip.no-public-ip: <why", id="skip-without-reason"),
    pytest.param(BASE_SPEC.replace("region: us-east-1", "region: us-east"), "region",
                 "'us-east' is not an AWS region name", "did you mean us-east-", id="bad-region"),
    pytest.param(BASE_SPEC.replace("    count: 2", "   count: 2"), "",
                 "this line is indented differently from the block it belongs to", "indent it exactly like", id="bad-indent"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    ami: ami-xyz"), "compute[0].ami",
                 "'ami-xyz' is not a valid ami", "'ami-' and 8 to 17 hex digits", id="bad-ami"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: ondemand}"), "compute[0].capacity.type",
                 "'ondemand' is not a type ultraplan knows", "did you mean 'on-demand'?", id="bad-literal"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: two"), "compute[0].count",
                 "expected a whole number, got 'two'", "e.g. 4", id="not-a-number"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    start: soon"), "compute[0].start",
                 "expected a date, got 'soon'", "YYYY-MM-DD", id="bad-date"),
])
def test_messages_are_in_our_words(text, path, message, hint):
    issue = one(text, path)
    assert message in issue.message and hint in issue.hint
    for library_words in ("Input should", "String should match", "^[", "expected <block end>", "\\d"):
        assert library_words not in issue.message + issue.hint


def test_the_caret_sits_under_the_value():
    issue = one(SEVERAL, "compute[0].instance_type")
    assert issue.excerpt == "    instance_type: p5.48xlarg"
    lines = issue.render_block(80)
    assert lines[2:4] == ["     9 |     instance_type: p5.48xlarg", "       |                    ^^^^^^^^^^"]
    assert lines[-1] == "  fix: did you mean p5.48xlarge or p5e.48xlarge or p5en.48xlarge?"


def test_an_unknown_key_gets_the_caret_under_the_key():
    issue = one(BASE_SPEC.replace("count: 2", "coutn: 2"), "compute[0].coutn")
    assert issue.render_block(80)[3] == "       |     ^^^^^"


def test_a_long_spec_line_is_cropped_around_the_caret():
    text = BASE_SPEC.replace("count: 2", "count: 2\n    tags: {note: " + "x" * 100 + ", owner: 5, efa: 1}\n    efa: maybe")
    text = text.replace("    efa: maybe", "    ami: " + "a" * 120)
    issue = one(text, "compute[0].ami")
    rows = issue.render_block(60)
    assert all(len(r) <= 60 for r in rows), rows
    excerpt, caret = [r for r in rows if " | " in r]
    assert excerpt.endswith("…") and caret.rstrip().endswith("^")


def test_check_and_validate_show_the_same_messages_and_hints(tmp_path, capsys):
    from planner.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(SEVERAL)
    messages = {i.message for i in issues_of(SEVERAL)}
    hints = {i.hint for i in issues_of(SEVERAL)}
    for argv in (["validate", str(spec)], ["plan", str(spec)], ["check", str(spec)], ["check", str(spec), "--format", "json"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        out = capsys.readouterr()
        text = " ".join((out.out + out.err).split())  # wrapped lines are indented under their start
        assert info.value.code == 2, argv
        for m in messages:
            assert m.split(" (")[0][:30] in text, (argv, m)
        for h in hints:
            assert h[:25] in text, (argv, h)
