"""The typed pool record (planner/records.py): built by the compiler, written and read back as JSON,
refused field by field when a hand-edited Plan holds the wrong shape, and documented from the model."""
from __future__ import annotations

import json
import math
import os
import re

import pytest

from conftest import ROOT
from planner.cli import main
from planner.records import CapacityRecord, PoolRecord, ScheduleRecord

GB200 = "examples/gb200-capacity-block.yaml"
DEMO = "examples/accounts/demo-us-east-1.json"


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def _resource(data, name):
    return next(r for s in data["stacks"] for r in s["resources"] if r["name"] == name)


def _pool(data, name):
    return next(p for p in data["pools"] if p["name"] == name)


# Each class of hand edit that reached code unchecked (issue 19, issue 22), and the field named.
EDITS = [
    pytest.param(lambda d: _pool(d, "trainers")["capacity"].update(reservation_ids="cr-0123456789abcdef0"),
                 "pools[0].capacity.reservation_ids: expected a list, got text", id="reservation-ids-text"),
    pytest.param(lambda d: _resource(d, "vpc").update(options="protect"), "options: expected an object, got text",
                 id="options-text"),
    pytest.param(lambda d: _resource(d, "lt-trainers")["inputs"]["blockDeviceMappings"].__setitem__(0, "/dev/xvda"),
                 "inputs.blockDeviceMappings[0]: expected an object, got text", id="block-device-mapping-text"),
    pytest.param(lambda d: d["budget"].update(savings_plans=["sp-1"]), "budget.savings_plans[0]: expected an object",
                 id="savings-plan-text"),
    pytest.param(lambda d: _resource(d, "lt-trainers")["inputs"]["networkInterfaces"][0]["subnetId"].pop("attr"),
                 "networkInterfaces[0].subnetId.attr: required field is missing", id="reference-without-attr"),
    pytest.param(lambda d: _resource(d, "efa-sg-egress-https")["inputs"].update(fromPort="https"),
                 "inputs.fromPort: expected an integer, got text", id="rule-port-text"),
    pytest.param(lambda d: d["network"]["subnets"][0].update(ips_needed=math.nan),
                 "network.subnets[0].ips_needed: expected a finite number, got NaN or infinity", id="subnet-ips-nan"),
    pytest.param(lambda d: _pool(d, "trainers")["capacity"].update(end="soon"),
                 "pools[0].capacity.end: expected a date (YYYY-MM-DD), got 'soon'", id="block-end-not-a-date"),
    pytest.param(lambda d: _resource(d, "subnet-us-east-1-dfw-2a")["inputs"].update(cidrBlock="x"),
                 "inputs.cidrBlock: expected a CIDR block (e.g. 10.0.0.0/24), got text", id="subnet-cidr-not-a-cidr"),
    pytest.param(lambda d: d.update(region="cr-0123456789abcdef0"), "region: unknown region 'cr-0123456789abcdef0'",
                 id="unknown-region"),
    pytest.param(lambda d: _pool(d, "trainers").update(interfaces=[1]),
                 "pools[0].interfaces[0]: expected an object, got a number", id="interface-number"),
]


@pytest.fixture(scope="module")
def gb200_plan(tmp_path_factory):
    from planner.run.stages import validate

    os.chdir(ROOT)
    return json.loads(validate(GB200).plan.dumps())


@pytest.mark.parametrize("edit, field", EDITS)
def test_a_hand_edited_plan_is_refused_naming_the_file_and_field(capsys, tmp_path, gb200_plan, edit, field):
    data = json.loads(json.dumps(gb200_plan))
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    commands = [("cost", str(path)), ("policy", "--plan", str(path)), ("check", "--plan", str(path)),
                ("preflight", str(path), "--account", DEMO), ("plan", GB200, "--diff", str(path)),
                ("check", GB200, "--diff", str(path))]
    for command in commands:
        code, _, err = run(capsys, *command)
        assert code == 2, (command, err)
        assert f"{path}: " in " ".join(err.split()) and field in " ".join(err.split()), (command, err)
        assert err.count("does not exist") == 0  # one error, not one per character of a text


def test_records_round_trip_every_example_byte_for_byte():
    from conftest import SMALL_EXAMPLES
    from planner.run.stages import validate
    from planner.plan.model import Plan

    for path in SMALL_EXAMPLES:
        plan = validate(os.path.relpath(path, ROOT)).plan
        assert all(isinstance(p, PoolRecord) for p in plan.pools)
        text = plan.dumps()
        assert Plan.from_json(json.loads(text)).dumps() == text


def test_unknown_keys_from_a_newer_writer_are_kept():
    data = {"name": "a", "instance_type": "p5.48xlarge", "count": 1, "instances": 1, "vcpus_per_instance": 192,
            "capacity": {"type": "spot", "bid": "later"}, "future": [1]}
    record = PoolRecord.from_json(data)
    assert record.to_json()["future"] == [1] and record.to_json()["capacity"]["bid"] == "later"
    assert record["future"] == [1] and record.capacity.type == "spot"


def test_capacity_questions():
    named = CapacityRecord(type="capacity-block", reservation_ids=["cr-1", "cr-2", "cr-1"])
    assert named.names_capacity() and not named.wants_block()
    assert named.targets() == ["cr-1", "cr-2"] and named.first_target() == "cr-1"
    planned = CapacityRecord(type="capacity-block", planned=True, reservation_id="cr-9")
    assert not planned.names_capacity() and planned.wants_block()
    unnamed = CapacityRecord(type="capacity-reservation")
    assert not unnamed.names_capacity() and not unnamed.wants_block() and unnamed.targets() == []
    group = CapacityRecord(type="capacity-reservation", resource_group_arn="arn:aws:resource-groups:x")
    assert group.names_capacity() and group.targets() == []
    assert not CapacityRecord(type="on-demand", reservation_id="cr-1").names_capacity()


def test_when_a_pool_runs():
    import datetime as dt

    block = PoolRecord(capacity=CapacityRecord(type="capacity-block", start="2026-12-01", days=14),
                       schedule=ScheduleRecord(start="2026-11-01"))
    assert (block.window().start, block.window().end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 15))
    assert PoolRecord(capacity=CapacityRecord(type="capacity-block", days=7)).window().days == 7
    phase = PoolRecord(schedule=ScheduleRecord(months=6))
    assert phase.window().months == 6 and phase.window().start is None
    odcr = PoolRecord(capacity=CapacityRecord(type="capacity-reservation", start="2026-12-01", end="2026-12-15"))
    assert odcr.window().start is None  # cost: an ODCR pool runs by its schedule
    assert odcr.capacity_window() == (dt.date(2026, 12, 1), dt.date(2026, 12, 15))  # preflight: the dates it needs


def _table(section: str) -> dict[str, str]:
    text = open(os.path.join(ROOT, "docs", "plan-format.md"), encoding="utf-8").read()
    body = text.split(section, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in body.splitlines():
        m = re.match(r"\| (.+?) \| (.*) \|$", line)
        if m and not m.group(1).startswith(("key", "---")):
            for key in re.findall(r"`([a-z_]+)`", m.group(1)):
                rows[key] = m.group(2)
    return rows


def test_docs_list_every_field_of_the_pool_record_and_nothing_else():
    rows = _table("## A pool record (`pools[]`)")
    assert set(rows) == set(PoolRecord.fields_doc()), (
        f"docs/plan-format.md lacks {sorted(set(PoolRecord.fields_doc()) - set(rows))}, "
        f"lists unknown {sorted(set(rows) - set(PoolRecord.fields_doc()))}")
    for record, key in ((CapacityRecord, "capacity"), (ScheduleRecord, "schedule")):
        documented = set(re.findall(r'"([a-z_]+)":', rows[key]))
        assert documented == set(record.fields_doc()), (key, documented ^ set(record.fields_doc()))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-2E+400"])
def test_a_number_json_reads_as_nan_or_infinity_is_refused_where_it_is(capsys, tmp_path, gb200_plan, literal):
    data = json.loads(json.dumps(gb200_plan))
    data["network"]["subnets"][0]["ips_total"] = "@@"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data).replace('"@@"', literal))
    code, _, err = run(capsys, "cost", str(path))
    assert code == 2
    assert f"{path}: network.subnets[0].ips_total: expected a finite number, got NaN or infinity" in " ".join(err.split())
