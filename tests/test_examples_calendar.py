"""The bundled examples do not rot with the calendar.

A Capacity Block has fixed dates: once it ends, a spec naming it is refused (exit 2, docs/clock.md), so
an example whose block has ended breaks the README's first command and `check examples/` for every
new user. The suite's clock is pinned (tests/conftest.py), which hides that; these tests run the
examples, the goals and the docs' specs at the pinned clock and at a clock 150 days later (both exit
0), and once on the real clock with a month's notice, so an example is moved forward long before a
user meets an ended block. Capacity Blocks run up to 182 days (planner/catalog/capacity_blocks.yaml,
EC2 User Guide "Capacity Blocks for ML"), so the examples' blocks are bought for 26 weeks.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SUITE_NOW

PINNED = dt.datetime.fromisoformat(SUITE_NOW.replace("Z", "+00:00"))
LATER = PINNED + dt.timedelta(days=150)
CLOCKS = [pytest.param(PINNED, id="pinned"), pytest.param(LATER, id="150-days-later")]
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
FLEET = os.path.join(ROOT, "examples", "frontier")
# Each small example against the demo snapshot of its Region (examples/accounts/); frontier.yaml is left
# out on purpose: its quotas exceed any demo account (its header says so; examples/frontier/ is the
# same deal as a fleet with stated quota increases, and passes preflight below).
SNAPSHOTS = {
    "gb200-capacity-block.yaml": "demo-us-east-1.json",
    "mixed-p5en-p6.yaml": "demo-us-east-1.json",
    "p5-on-demand-fsx.yaml": "demo-us-east-1.json",
    "trn2-ultraserver.yaml": "demo-us-east-2.json",
}


def stamp(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def ultraplan(*args: str, now: dt.datetime | None, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """`ultraplan ARGS` with the planning clock at `now` (None: the real clock, no ULTRAPLAN_NOW)."""
    env = {k: v for k, v in os.environ.items() if k != "ULTRAPLAN_NOW"}
    if now is not None:
        env["ULTRAPLAN_NOW"] = stamp(now)
    env.update(COLUMNS="80", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd,
                          env={**env, "PYTHONPATH": ROOT}, timeout=600)


def test_every_example_is_covered():
    assert {os.path.basename(e) for e in EXAMPLES} == set(SNAPSHOTS) | {"frontier.yaml"}


# `check examples/` takes every spec of the folder; a fleet is checked alone (its cells are its specs).
TARGETS = [("examples/", "PASS: 5 specs"), ("examples/frontier/", "PASS: 8 specs")]


def check_all(now: dt.datetime) -> list[str]:
    """What fails of `check examples/` and `check examples/frontier/` at `now` (empty: all exit 0)."""
    failed = []
    for target, verdict in TARGETS:
        proc = ultraplan("check", target, now=now)
        tail = " ".join(proc.stdout[-400:].split())
        if proc.returncode != 0 or verdict not in tail:
            failed.append(f"check {target} at {stamp(now)}: exit {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    return failed


@pytest.mark.parametrize("now", CLOCKS)
def test_check_passes_every_example_and_the_fleet(now):
    assert check_all(now) == []


@pytest.mark.parametrize("now", CLOCKS)
@pytest.mark.parametrize("example", sorted(SNAPSHOTS))
def test_each_small_example_passes_preflight_against_its_demo_snapshot(example, now):
    account = os.path.join("examples", "accounts", SNAPSHOTS[example])
    proc = ultraplan("check", f"examples/{example}", "--account", account, now=now)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def _solve_then_check(goals: str, now: dt.datetime, tmp_path) -> None:
    out = tmp_path / "solved.yaml"
    proc = ultraplan("solve", goals, "--out", str(out), "--no-explain", now=now)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    proc = ultraplan("check", str(out), now=now)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("now", CLOCKS)
def test_small_goals_solve_to_a_spec_that_passes_check(now, tmp_path):
    _solve_then_check("goals/small.yaml", now, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("now", CLOCKS)
def test_frontier_goals_solve_to_a_spec_that_passes_check(now, tmp_path):
    _solve_then_check("goals/frontier.yaml", now, tmp_path)


def test_the_readme_first_command_passes_on_the_real_clock():
    """`ultraplan plan examples/gb200-capacity-block.yaml` as a user runs it today: no ULTRAPLAN_NOW."""
    proc = ultraplan("plan", "examples/gb200-capacity-block.yaml", now=None)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_example_still_passes_a_month_from_the_real_today():
    """The canary: this fails 30 days before an example's Capacity Block ends on the real calendar
    (move the example's block, its demo snapshot and tests/preflight_fixtures.py forward then); the
    pinned clocks above cannot see the calendar move."""
    month_ahead = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=30)
    assert check_all(month_ahead) == []


def test_a_block_that_ends_within_150_days_is_caught(tmp_path):
    """The check above can fail: the GB200 example with its old 14-day block passes at the pinned
    clock and is refused 150 days later, naming the block's field."""
    folder = tmp_path / "examples"
    folder.mkdir()
    text = open(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml"), encoding="utf-8").read()
    doc = yaml.safe_load(text)
    days = doc["compute"][0]["capacity"]["days"]
    (folder / "gb200.yaml").write_text(text.replace(f"days: {days}", "days: 14", 1))
    shutil.copytree(os.path.join(ROOT, "goals"), tmp_path / "goals")  # nothing relative breaks
    assert ultraplan("check", str(folder), now=PINNED).returncode == 0
    late = ultraplan("check", str(folder), now=LATER)
    assert late.returncode == 2
    assert "compute[0].capacity.days" in late.stdout + late.stderr and "has ended" in " ".join(late.stdout.split())
