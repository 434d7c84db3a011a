"""Time-safe Capacity Blocks (docs/capacity.md, docs/clock.md): a Plan made at any moment deploys.

Before a block opens its groups start empty and scale out on a schedule; once it has opened they are
sized to run it and only the scale-in stays scheduled; past the scale-in the spec is refused (exit 2)
naming the capacity field, its line and the dates. Through the library (`now=`), the CLI (`--now`) and
the environment (ULTRAPLAN_NOW), for UltraServer and instance blocks. The suite's own clock is
2026-11-23T12:00:00Z (tests/conftest.py).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import yaml

import planner
from planner.change.diff import GATED, HARMLESS, diff
from planner.errors import SpecError, UsageError
from planner.plan.model import Plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GB200 = "examples/gb200-capacity-block.yaml"  # 4 UltraServers on one Capacity Block each
SCHEDULE = "aws:autoscaling/schedule:Schedule"
ASG = "aws:autoscaling/group:Group"

INSTANCE_BLOCK = """\
name: p5-block
region: us-east-1
availability_zone: us-east-1a
tags: {team: t, cost-center: "1"}
network: {vpc_cidr: 10.0.0.0/16}
compute:
  - name: gpu
    instance_type: p5.48xlarge
    count: 4
    capacity: {type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}
"""


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def _block_of(path: str) -> tuple[dt.datetime, dt.datetime]:
    """The example's own block (start at 11:30 UTC, the catalog's assumption for a date), so these tests
    follow the example when its dates are moved forward (tests/test_examples_calendar.py keeps them current)."""
    cap = yaml.safe_load(open(os.path.join(ROOT, path), encoding="utf-8"))["compute"][0]["capacity"]
    start = dt.datetime.combine(cap["start"], dt.time(11, 30), tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(days=cap["days"])


BEFORE = utc("2026-11-23T12:00:00Z")  # the suite's clock (tests/conftest.py)
GB_START, GB_END = _block_of(GB200)
GB_RUNNING = GB_START + dt.timedelta(days=1)  # a moment the example's block is open
assert BEFORE < GB_START, "the suite's clock must fall before the GB200 example's block opens"


@pytest.fixture(params=["ultraserver", "instance"])
def block(request, write_spec):
    """(spec path, groups, instances per group, block start, block end, line of `days`, a moment the
    block runs) for each kind of block."""
    if request.param == "ultraserver":
        return (GB200, [f"asg-trainers-u000{i}" for i in range(1, 5)], 18, stamp(GB_START), stamp(GB_END), 21,
                GB_RUNNING)
    return (write_spec(INSTANCE_BLOCK), ["asg-gpu"], 4, "2026-12-01T11:30:00Z", "2026-12-08T11:30:00Z", 10,
            utc("2026-12-06T00:00:00Z"))


def schedules(plan: Plan) -> list:
    return [r for r in plan.resources() if r.type == SCHEDULE]


def test_before_the_start_the_groups_scale_out_on_a_schedule(block):
    path, groups, size, start, _, _, _ = block
    plan = planner.compile_spec(path, now=BEFORE)
    by = plan.by_name()
    for g in groups:
        assert {k: by[g].inputs.get(k) for k in ("minSize", "maxSize", "desiredCapacity")} == {
            "minSize": 0, "maxSize": size, "desiredCapacity": None}
        assert by[f"{g}-start"].inputs["startTime"] == start
        assert by[f"{g}-start"].inputs["desiredCapacity"] == size
    assert plan.pools[0]["capacity"]["phase"] == "before-start"
    assert plan.pools[0]["capacity"]["scale_out_at"] == start


def test_a_started_block_runs_now_with_no_action_in_the_past(block):
    path, groups, size, start, _, _, running = block
    plan = planner.compile_spec(path, now=running)
    by = plan.by_name()
    for g in groups:
        assert {k: by[g].inputs.get(k) for k in ("minSize", "maxSize", "desiredCapacity")} == {
            "minSize": size, "maxSize": size, "desiredCapacity": size}
        assert f"{g}-start" not in by
        assert by[f"{g}-end"].inputs["desiredCapacity"] == 0
    assert schedules(plan) and all(utc(s.inputs["startTime"]) > running for s in schedules(plan))
    cap = plan.pools[0]["capacity"]
    assert (cap["phase"], cap["scale_out_at"], cap["starts_at"]) == ("running", None, start)


def test_the_start_itself_is_running_and_a_second_before_is_not(block):
    path, start = block[0], block[3]
    at_start = planner.compile_spec(path, now=utc(start))
    assert at_start.pools[0]["capacity"]["phase"] == "running"
    assert all(utc(s.inputs["startTime"]) > utc(start) for s in schedules(at_start))
    just_before = planner.compile_spec(path, now=utc(start) - dt.timedelta(seconds=1))
    assert [s.inputs["startTime"] for s in schedules(just_before) if s.name.endswith("-start")][0] == start


@pytest.mark.parametrize("now, words", [
    pytest.param("end", "has ended", id="ended"),
    pytest.param("scale-in", "can no longer be scheduled", id="past-the-scale-in"),
])
def test_a_block_past_its_scale_in_is_a_spec_error(block, now, words):
    path, _, _, start, end, line, _ = block
    plan = planner.compile_spec(path, now=BEFORE)
    scale_in = plan.pools[0]["capacity"]["scale_in_at"]
    moment = utc(end) if now == "end" else utc(scale_in)
    with pytest.raises(SpecError) as err:
        planner.compile_spec(path, now=moment)
    [issue] = err.value.issues
    assert (issue.path, issue.line) == ("compute[0].capacity.days", line)
    assert words in issue.message
    assert f"from {start} to {end}" in issue.message
    assert f"it is {moment:%Y-%m-%dT%H:%M:%SZ} now" in issue.message


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_cli_planned_while_the_block_runs_runs_it_and_before_the_start_schedules_it():
    """The GB200 example planned a day into its block has no scheduled action in the past and its
    groups run the block; with --now before the start it has the scale-out."""
    running = json.loads(_cli("plan", GB200, "--now", stamp(GB_RUNNING), "--format", "json").stdout)
    by = {r["name"]: r for s in running["stacks"] for r in s["resources"]}
    assert not [n for n in by if n.endswith("-start")]
    assert all(utc(r["inputs"]["startTime"]) > GB_RUNNING for r in by.values() if r["type"] == SCHEDULE)
    assert by["asg-trainers-u0003"]["inputs"]["desiredCapacity"] == 18
    before = json.loads(_cli("plan", GB200, "--now", stamp(GB_START - dt.timedelta(hours=12)), "--format", "json").stdout)
    starts = [r for s in before["stacks"] for r in s["resources"] if r["name"].endswith("-start")]
    assert [r["inputs"]["startTime"] for r in starts] == [stamp(GB_START)] * 4


def test_cli_instance_block_today_before_and_after(write_spec):
    """The same through the CLI for an instance block (p5, 2026-12-01 for 7 days)."""
    path = write_spec(INSTANCE_BLOCK)
    today = json.loads(_cli("plan", path, "--now", "2026-12-06", "--format", "json").stdout)
    by = {r["name"]: r["inputs"] for s in today["stacks"] for r in s["resources"]}
    assert "asg-gpu-start" not in by and by["asg-gpu"]["desiredCapacity"] == 4
    assert by["asg-gpu-end"]["startTime"] == "2026-12-08T10:45:00Z"
    before = json.loads(_cli("plan", path, "--now", "2026-11-30", "--format", "json").stdout)
    assert {r["name"]: r["inputs"] for s in before["stacks"] for r in s["resources"]}["asg-gpu-start"]["startTime"] == \
        "2026-12-01T11:30:00Z"
    ended = _cli("plan", path, "--now", "2026-12-08T11:30:00Z")
    assert ended.returncode == 2 and f"{path}:10:" in ended.stderr and "compute[0].capacity.days" in ended.stderr


def test_cli_block_that_ended_exits_2_naming_field_line_and_dates():
    after = GB_END + dt.timedelta(hours=12, minutes=30)
    proc = _cli("plan", GB200, "--now", stamp(after))
    assert proc.returncode == 2
    assert "examples/gb200-capacity-block.yaml:21:13: compute[0].capacity.days" in proc.stderr
    text = " ".join(proc.stderr.split())
    assert (f"ran from {stamp(GB_START)} to {stamp(GB_END)} and has ended (it is {stamp(after)} now (--now))"
            in text)
    assert "Traceback" not in proc.stderr


def test_environment_variable_is_the_clock_and_now_overrides_it():
    env = {"ULTRAPLAN_NOW": stamp(GB_END + dt.timedelta(days=5))}
    ended = _cli("validate", GB200, env=env)
    assert ended.returncode == 2 and "(ULTRAPLAN_NOW)" in " ".join(ended.stderr.split())
    assert _cli("validate", GB200, "--now", stamp(GB_RUNNING), env=env).returncode == 0


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "check", "policy", "preflight", "report"])
def test_every_planning_command_takes_now(command, tmp_path):
    html = tmp_path / "report.html"
    proc = _cli(command, GB200, "--now", stamp(GB_END + dt.timedelta(days=1)), *(["--out", str(html)] if command == "report" else []))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    shown = proc.stdout + proc.stderr + (html.read_text() if command == "report" else "")
    assert "compute[0].capacity.days" in shown


@pytest.mark.parametrize("args, env, words", [
    pytest.param(["--now", "tomorrow"], {}, "Invalid value for '--now': 'tomorrow' is not an ISO 8601 date", id="option"),
    pytest.param([], {"ULTRAPLAN_NOW": "2026-13-01"}, "ULTRAPLAN_NOW: '2026-13-01' is not an ISO 8601 date", id="env"),
])
def test_a_bad_clock_is_a_usage_error(args, env, words):
    proc = _cli("plan", GB200, *args, env=env)
    assert proc.returncode == 2
    assert words in proc.stderr and "Traceback" not in proc.stderr


def test_clock_parses_dates_offsets_and_refuses_text():
    from planner import clock

    assert clock.parse("2026-12-06") == utc("2026-12-06T00:00:00Z")
    assert clock.parse("2026-12-06T09:30:00-05:00") == utc("2026-12-06T14:30:00Z")
    assert clock.parse("2026-12-06T09:30") == utc("2026-12-06T09:30:00Z")  # no offset: UTC
    with pytest.raises(UsageError, match="--now: 'soon' is not an ISO 8601"):
        clock.parse("soon")
    with clock.using("2026-12-06T01:02:03Z"):
        assert clock.reading() == (utc("2026-12-06T01:02:03Z"), "--now")
    assert clock.reading() == (BEFORE, "ULTRAPLAN_NOW")


@pytest.mark.parametrize("start, scale_out", [
    ("2026-12-01T14:05:00Z", "2026-12-01T14:05:00Z"),
    ("2026-12-01T09:05:00-05:00", "2026-12-01T14:05:00Z"),
    ('"2026-12-01T14:05:00Z"', "2026-12-01T14:05:00Z"),  # quoted: text, read the same way
])
def test_spec_start_may_carry_the_reservations_start_time(write_spec, start, scale_out):
    plan = planner.compile_spec(write_spec(INSTANCE_BLOCK.replace("start: 2026-12-01", f"start: {start}")), now=BEFORE)
    assert plan.by_name()["asg-gpu-start"].inputs["startTime"] == scale_out
    cap = plan.pools[0]["capacity"]
    assert (cap["start"], cap["starts_at"], cap["start_time_assumed"], cap["end"]) == (
        "2026-12-01", scale_out, False, "2026-12-08")


def test_a_bad_start_time_names_the_field(write_spec):
    with pytest.raises(SpecError) as err:
        planner.compile_spec(write_spec(INSTANCE_BLOCK.replace("start: 2026-12-01", 'start: "2026-12-01T25:00:00Z"')))
    assert [i.path for i in err.value.issues] == ["compute[0].capacity.start"]


# -- day 2 ----------------------------------------------------------------------------------------
def test_diff_from_before_the_start_to_after_is_harmless(block):
    path, groups, _, start, _, _, running = block
    changes = diff(planner.compile_spec(path, now=BEFORE), planner.compile_spec(path, now=running), now=running)
    assert changes and {c.klass for c in changes} == {HARMLESS}
    assert sorted((c.op, c.name) for c in changes) == sorted(
        [("update", g) for g in groups] + [("delete", f"{g}-start") for g in groups])
    fired = next(c for c in changes if c.op == "delete")
    assert fired.because.startswith(f"the block opened at {start}: this one-time scale-out has run")


def test_day2_gate_passes_across_the_start(tmp_path):
    old = tmp_path / "deployed.json"
    old.write_text(planner.compile_spec(GB200, now=BEFORE).dumps())
    proc = _cli("check", GB200, "--now", stamp(GB_RUNNING), "--diff", str(old), "--format", "json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    steps = {s["name"]: s["status"] for s in json.loads(proc.stdout)["steps"]}
    assert steps["diff"] == "ok" and steps["policy"] == "ok"


def test_a_refresh_that_dropped_fired_actions_is_not_undone_in_the_past(block):
    """`pulumi refresh` after the block opened removes the fired scale-outs from the state (the
    provider's read finds them gone). The next Plan does not contain them, so nothing re-creates
    them in the past; it only sizes the groups."""
    path, groups, _, _, _, _, running = block
    refreshed = json.loads(planner.compile_spec(path, now=BEFORE).dumps())
    for stack in refreshed["stacks"]:
        stack["resources"] = [r for r in stack["resources"] if not r["name"].endswith("-start")]
    deployed = Plan.from_json(refreshed)
    changes = diff(deployed, planner.compile_spec(path, now=running, previous=deployed), now=running)
    assert [c for c in changes if c.type == SCHEDULE] == []
    assert sorted(c.name for c in changes) == sorted(groups)
    assert not any(c.klass in GATED for c in changes)


@pytest.mark.parametrize("command", [["validate"], ["plan"], ["cost"], ["check"], ["policy", "run"], ["preflight"],
                                     ["report"], ["solve"], ["account", "snapshot"]], ids=" ".join)
def test_help_of_every_planning_command_offers_now(command):
    from click.testing import CliRunner

    from planner.cli import cli

    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "--now DATE[TIME]" in result.output, result.output


@pytest.mark.parametrize("now, gated", [(GB_END + dt.timedelta(hours=12, minutes=30), False),
                                        (GB_END - dt.timedelta(minutes=75), False), (GB_RUNNING, True)],
                         ids=["ended", "at-scale-in", "running"])
def test_removing_a_blocks_pool_terminates_nothing_once_it_has_scaled_in(write_spec, now, gated):
    """The way out of the ended-block error: drop the pool. Its groups are at zero from the scale-in
    (and EC2 reclaims the block at its end), so the day-2 gate lets the deletes through; while the
    block runs, the same change terminates its instances and is gated."""
    spec = open(os.path.join(ROOT, GB200), encoding="utf-8").read()
    deployed = planner.compile_spec(GB200, now=BEFORE)
    head_only = spec.split("  - name: trainers")[0] + "  - name: head" + spec.split("  - name: head")[1]
    changes = diff(deployed, planner.compile_spec(write_spec(head_only), now=now, previous=deployed), now=now)
    groups = [c for c in changes if c.type == ASG]
    assert [c.op for c in groups] == ["delete"] * 4
    assert {c.klass for c in groups} == ({"terminates-capacity"} if gated else {HARMLESS})
