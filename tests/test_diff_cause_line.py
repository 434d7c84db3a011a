"""A day-2 gate finding points at the spec line that was edited (planner/gate.py, planner/diff.py).

When a zone changes, FSx for Lustre is replaced because its subnet input now refers to another
subnet: nobody edited the Lustre lines, so the error must name the zone field's line (the subnet's
source is the line that puts it in its zone, planner/compile/network.py), for `network.region_zone`
and for the cluster's `availability_zone`. A change to Lustre's own field still points at Lustre.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def _line_of(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


def _gate(tmp_path, example: str, old_text: str, new_text: str) -> tuple[int, list[dict], str]:
    (tmp_path / "old.yaml").write_text(old_text)
    spec = tmp_path / "cluster.yaml"
    spec.write_text(new_text)
    deployed = tmp_path / "deployed.json"
    run = [sys.executable, "-m", "planner"]
    subprocess.run([*run, "plan", str(tmp_path / "old.yaml"), "--out", str(deployed)], check=True, capture_output=True,
                   cwd=ROOT)
    proc = subprocess.run([*run, "check", str(spec), "--diff", str(deployed), "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT)
    text = subprocess.run([*run, "check", str(spec), "--diff", str(deployed)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}).stdout
    found = [v for v in json.loads(proc.stdout)["violations"] if v["policy"] == "change.destroys-data"]
    return proc.returncode, found, text


def _example(name: str) -> str:
    return open(os.path.join(ROOT, "examples", name), encoding="utf-8").read()


@pytest.mark.parametrize("example, old, new, field", [
    pytest.param("gb200-capacity-block.yaml", "  region_zone: use1-az4", "  region_zone: use1-az6", "  region_zone:",
                 id="network.region_zone"),
    pytest.param("p5-on-demand-fsx.yaml", "availability_zone: us-east-1a", "availability_zone: us-east-1b",
                 "availability_zone:", id="availability_zone"),
])
def test_lustre_replaced_by_a_zone_change_points_at_the_zone_line(tmp_path, example, old, new, field):
    text = _example(example)
    assert old in text
    code, [finding], report = _gate(tmp_path, example, text, text.replace(old, new, 1))
    line = _line_of(text, field)
    assert code == 1
    assert finding["resource"] == "lustre" and finding["source"]["line"] == line, finding
    assert "subnetIds changed" in finding["message"]
    assert f"cluster.yaml:{line}: error change.destroys-data [lustre]" in " ".join(report.split())
    assert _line_of(text, "storage:") + 1 != line  # not the Lustre line


def test_a_change_of_lustres_own_field_still_points_at_lustre(tmp_path):
    text = _example("p5-on-demand-fsx.yaml")
    old = "deployment: PERSISTENT_2, throughput_per_tib: 500"
    assert old in text
    code, [finding], _ = _gate(tmp_path, "p5-on-demand-fsx.yaml", text,
                               text.replace(old, "deployment: PERSISTENT_2, throughput_per_tib: 500, kms_key_id: "
                                                 "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
    assert code == 1
    assert finding["source"]["line"] == _line_of(text, "  lustre:"), finding
