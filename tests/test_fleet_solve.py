"""`ultraplan solve` with goals `cells:` (planner/solve/cells.py, fleet_out.py): the MILP with a cell
dimension writes a fleet that `check` passes and `cost` matches to the cent; goals whose cell limits
cannot hold exit 1 naming the cell, the quota and the increase to request; fabrics stay in one cell."""
from __future__ import annotations

import json
import os
import textwrap

import pytest

from planner.cli import main
from planner.errors import SpecError
from planner.solve import load_goals

GOALS = """\
name: ramp
region: us-east-1
term: {{start: 2027-01-01, months: 24}}
budget: {{total_usd: 2.0e10}}
targets:
  - {{date: 2027-01-01, gpus: 20000}}
  - {{date: 2028-01-01, gpus: 40000}}
options:
  - {{ultraserver: u-p6e-gb200x72, purchase: [capacity-reservation], ami: ami-0123456789abcdef0{fabric}}}
rates: {rates}
cells:
  - {{name: a1, account: "111111111111", region: us-east-1, zones: [us-east-1-dfw-2a], region_zone: use1-az4,
     quotas: {{auto-scaling-groups: {asg1}, network-interfaces: 60000, on-demand-p: 2000000}}}}
  - {{name: a2, account: "222222222222", region: us-east-1, zones: [us-east-1-dfw-2a], region_zone: use1-az4,
     quotas: {{auto-scaling-groups: {asg2}, network-interfaces: 60000, on-demand-p: 2000000}}}}
"""


def write_goals(tmp_path, asg1=400, asg2=400, fabric=""):
    rates = os.path.abspath("goals/frontier-rates.yaml")
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS.format(asg1=asg1, asg2=asg2, fabric=fabric, rates=rates))
    return str(path)


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def test_a_fleet_is_written_that_check_passes_and_cost_matches_to_the_cent(capsys, tmp_path):
    goals = write_goals(tmp_path)
    out = tmp_path / "fleet"
    code, text, _ = run(capsys, "solve", goals, "--out", str(out), "--format", "json", "--no-explain")
    assert code in (0, None)
    sol = json.loads(text)
    assert sorted(os.listdir(out / "cells")) == ["a1.yaml", "a2.yaml"]  # 556 UltraServers need both cells
    assert sol["fleet"]["check_errors"] == []
    code, cost_text, _ = run(capsys, "cost", str(out), "--format", "json")
    cost = json.loads(cost_text)
    assert code in (0, None)
    assert cost["total_usd"] == sol["cost_check"]["cost_total_usd"]
    assert abs(cost["total_usd"] - sol["cost_check"]["solver_total_usd"]) < 0.005
    assert abs(round(sol["total_usd"], 2) - cost["total_usd"]) < 0.005
    code, _, _ = run(capsys, "check", str(out))
    assert code == 0


def test_each_cell_holds_its_limits(tmp_path, capsys):
    goals = write_goals(tmp_path, asg1=100, asg2=600)
    code, text, _ = run(capsys, "solve", goals, "--out", str(tmp_path / "f"), "--format", "json", "--no-explain")
    cells = json.loads(text)["fleet"]["cells"]
    # a1 may hold at most 100 UltraServers (a group each): 100 x 72 GPUs
    assert cells.get("a1", {"gpus": 0})["gpus"] <= 100 * 72
    assert sum(c["gpus"] for c in cells.values()) >= 40000


def test_a_fabric_keeps_its_options_in_one_cell(tmp_path, capsys):
    goals = write_goals(tmp_path, asg1=600, asg2=600, fabric=", fabric: east")
    out = tmp_path / "f"
    code, text, _ = run(capsys, "solve", goals, "--out", str(out), "--format", "json", "--no-explain")
    assert code in (0, None)
    cells = json.loads(text)["fleet"]["cells"]
    assert len(cells) == 1
    fleet_text = (out / "fleet.yaml").read_text()
    assert "fabrics:" in fleet_text and "name: east" in fleet_text


def test_infeasible_cell_limits_name_the_cell_quota_and_increase(tmp_path, capsys):
    goals = write_goals(tmp_path, asg1=300, asg2=300, fabric=", fabric: east")
    code, text, _ = run(capsys, "solve", goals, "--out", str(tmp_path / "f"))
    assert code == 1 and not (tmp_path / "f").exists()
    words = " ".join(text.split())
    assert "Auto Scaling groups per region (L-CDE20ADC)" in words and "allows 300 (stated)" in words
    assert "request 556 for cell" in words
    assert ("aws service-quotas request-service-quota-increase --region us-east-1 --service-code autoscaling "
            "--quota-code L-CDE20ADC --desired-value 556") in text.splitlines()


def test_goals_cells_errors_name_the_field(tmp_path):
    text = GOALS.format(asg1=1, asg2=1, fabric="", rates="x.yaml").replace("region: us-east-1, zones: [us-east-1-dfw-2a], region_zone: use1-az4,\n     quotas: {auto-scaling-groups: 1,",
                                                                      "region: us-east-2, zones: [us-east-1-dfw-2a], region_zone: use1-az4,\n     quotas: {auto-scaling-groupz: 1,", 1)
    text = text.replace("ami: ami-0123456789abcdef0}", "ami: ami-0123456789abcdef0, cells: [a3]}")
    path = tmp_path / "g.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as exc:
        load_goals(str(path))
    paths = {i.path: i for i in exc.value.issues}
    assert "options[0].cells[0]" in paths and "no cell named 'a3'" in paths["options[0].cells[0]"].message
    assert "cells[0].region" in paths and paths["cells[0].region"].line == 12
    assert "cells[0].quotas.auto-scaling-groupz" in paths
