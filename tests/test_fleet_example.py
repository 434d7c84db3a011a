"""The frontier fleet (examples/frontier/) passes `ultraplan check`, and a spec is a one-cell fleet:
with unbounded quotas and one cell, the fleet's Plan is today's single-spec Plan (a property)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

import planner
from conftest import ROOT
from planner.cli import main
from planner.findings import Level
from planner.fleet import load_fleet, plan_fleet
from planner.fleet.check import check_fleet
from planner.fleet.quotas import entries
from support.fuzz import valid_spec

FRONTIER = os.path.join("examples", "frontier")


def test_frontier_fleet_check_exits_0_with_every_limit_held_or_depended_on(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", FRONTIER, "--format", "json"])
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert exc.value.code == 0, [v for v in report["violations"] if v["level"] == "error"]
    fleet = report["fleet"]
    assert fleet["cost"]["budget"]["total"]["status"] == "ok"
    assert fleet["cost"]["total_usd"] <= 38_000_000_000
    assert {d["cell"] for d in fleet["dependencies"]} == {"gpu-1", "gpu-2", "gpu-3", "gpu-4", "gpu-5", "cpu-1", "cpu-2"}
    over = [x for x in fleet["limits"] if x["value"] is not None and x["needed"] > x["value"]]
    depended = {(d["cell"], d["quota"]) for d in fleet["dependencies"]}
    assert over and all((x["cell"], x["quota"]) in depended for x in over)  # over a limit only with an increase stated
    steps = {s["name"]: s["status"] for s in report["steps"]}
    assert all(steps[f"preflight (cell {c})"] in ("ok", "warning") for c in ("gpu-1", "cpu-2"))


def test_frontier_fleet_is_the_public_deployment():
    fleet = plan_fleet(load_fleet(FRONTIER))
    summary = fleet.summary()
    assert summary["gpus"] == 5 * 640 * 72 and summary["cells"] == 7
    kinds = {p["ultraserver_type"] for c in fleet.cells for p in c.plan.pools}
    assert {"u-p6e-gb200x72", "u-p6e-gb300x72"} <= kinds
    gb300 = [p for c in fleet.cells for p in c.plan.pools if p["ultraserver_type"] == "u-p6e-gb300x72"]
    assert all(p["schedule"]["start"] >= "2027-01-01" for p in gb300)
    assert sum(p["vcpus"] for c in fleet.cells for p in c.plan.pools if p["kind"] == "instance") >= 1_000_000
    card = fleet.doc.rate_card
    assert "ILLUSTRATIVE" in card.source


def test_frontier_snapshots_are_what_the_generator_writes(tmp_path):
    before = {n: open(os.path.join(FRONTIER, "accounts", n), "rb").read() for n in os.listdir(os.path.join(FRONTIER, "accounts"))}
    subprocess.run([sys.executable, os.path.join("tools", "frontier_snapshots.py")], check=True, cwd=ROOT)
    after = {n: open(os.path.join(FRONTIER, "accounts", n), "rb").read() for n in before}
    assert before == after


def test_frontier_over_budget_fails(capsys, tmp_path):
    import shutil

    shutil.copytree(FRONTIER, tmp_path / "f")
    path = tmp_path / "f" / "fleet.yaml"
    path.write_text(path.read_text().replace("total_usd: 38000000000", "total_usd: 30000000000"))
    with pytest.raises(SystemExit) as exc:
        main(["check", str(tmp_path / "f"), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1
    assert any(v["policy"] == "fleet.budget.total" for v in report["violations"])


UNBOUNDED = {key: 10**12 for key in entries()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(valid_spec())
def test_one_cell_with_unbounded_quotas_is_todays_single_spec_plan(tmp_path, spec):
    folder = tmp_path / f"case{abs(hash(json.dumps(spec, sort_keys=True, default=str)))}"
    folder.mkdir(exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    zones = sorted({spec["availability_zone"], *(p.get("availability_zone") for p in spec["compute"] if p.get("availability_zone"))})
    fleet = {"fleet": "one", "cells": [{"name": "c1", "account": "000000000001", "region": spec["region"], "zones": zones,
                                        "quotas": UNBOUNDED, "spec": "spec.yaml"}]}
    (folder / "fleet.yaml").write_text(yaml.safe_dump(fleet, sort_keys=False))
    try:
        single = planner.compile_spec(str(folder / "spec.yaml"))
    except planner.SpecError:
        with pytest.raises(planner.SpecError):
            plan_fleet(load_fleet(str(folder)))
        return
    fp = plan_fleet(load_fleet(str(folder)))
    cell_plan = fp.cells[0].plan.to_json()
    assert cell_plan.pop("cell")["cell"] == "c1"
    assert cell_plan == single.to_json()
    assert not [f for f in check_fleet(fp).findings if f.level >= Level.WARNING]
