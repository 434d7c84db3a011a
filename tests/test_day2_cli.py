"""Day-2 safety on the command line: `plan --diff` (text, JSON, Markdown: totals first),
`--expect-no-changes`, and `check --diff` as a gate with `changes.allow_replace`."""
from __future__ import annotations

import json
import os

import pytest

from conftest import ROOT
from test_cli_plan import run

FSX = os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")
TO_PERSISTENT_1 = ("deployment: PERSISTENT_2, throughput_per_tib: 500", "deployment: PERSISTENT_1, throughput_per_tib: 200")


@pytest.fixture
def deployed(tmp_path):
    """The example as deployed (its Plan JSON) and a copy of its spec to edit."""
    spec = tmp_path / "cluster.yaml"
    with open(FSX, encoding="utf-8") as fh:
        # efa: false: the diffs below are about the file system alone (an EFA-enabled one also swaps
        # its all-traffic security-group rules for port rules when it leaves PERSISTENT_2).
        spec.write_text(fh.read().replace("throughput_per_tib: 500}", "throughput_per_tib: 500, efa: false}"))
    old = tmp_path / "deployed.json"
    assert run("plan", str(spec), "--out", str(old), "--format", "json").returncode == 0
    return spec, old


def edit(spec, old: str, new: str, extra: str = "") -> None:
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new) + extra)


def test_expect_no_changes_passes_unchanged_and_fails_changed(deployed):
    spec, old = deployed
    same = run("plan", str(spec), "--diff", str(old), "--expect-no-changes")
    assert same.returncode == 0 and "No changes." in same.stdout
    edit(spec, "count: 64", "count: 65")
    changed = run("plan", str(spec), "--diff", str(old), "--expect-no-changes")
    assert changed.returncode == 1
    assert "1 change(s)" in changed.stderr and "--expect-no-changes" in changed.stderr


def test_expect_no_changes_without_a_plan_to_compare_is_a_usage_error(deployed):
    spec, _ = deployed
    proc = run("plan", str(spec), "--expect-no-changes")
    assert proc.returncode == 2 and "--diff" in proc.stderr


def test_diff_json_keeps_its_shape_and_adds_totals_classes_and_chains(deployed):
    spec, old = deployed
    edit(spec, "count: 64", "count: 500")
    data = json.loads(run("plan", str(spec), "--diff", str(old), "--format", "json").stdout)
    assert {"name", "counts", "changes"} <= set(data)  # the fields earlier versions had
    assert list(data)[:4] == ["name", "against", "counts", "totals"]  # totals before the changes
    assert data["totals"]["destroys-data"]["resources"] == ["lustre"]
    assert data["totals"]["terminates-capacity"]["instances"] == 66
    lustre = next(c for c in data["changes"] if c["name"] == "lustre")
    assert {"op", "name", "type", "stack", "source", "inputs"} <= set(lustre)
    assert (lustre["op"], lustre["class"]) == ("replace", "destroys-data")
    assert lustre["chain"] == [{"resource": "lustre", "input": "subnetIds", "refers_to": "subnet-us-east-1a"}]
    assert any("no longer holds" in n["message"] for n in data["notes"])


def test_diff_text_and_markdown_show_totals_before_the_changes(deployed):
    spec, old = deployed
    edit(spec, *TO_PERSISTENT_1)
    text = run("plan", str(spec), "--diff", str(old)).stdout
    assert text.index("destroys data: 1 change (lustre)") < text.index("▸ storage")
    assert "deploymentType: 'PERSISTENT_2' → 'PERSISTENT_1'" in text and "(forces" in text
    md = run("plan", str(spec), "--diff", str(old), "--format", "markdown").stdout
    assert md.index("🛑 destroys data: 1 change (lustre)") < md.index("| op | resource |")
    assert "| `+-` replace | `lustre` | storage | destroys data | deploymentType changed |" in md


def test_check_diff_fails_on_lost_data_and_passes_when_allowed(deployed):
    spec, old = deployed
    edit(spec, *TO_PERSISTENT_1)
    blocked = run("check", str(spec), "--diff", str(old), "--format", "json")
    assert blocked.returncode == 1
    report = json.loads(blocked.stdout)
    (finding,) = [f for f in report["violations"] if f["policy"] == "change.destroys-data"]
    assert finding["resource"] == "lustre" and finding["source"]["line"] == 19  # the storage.lustre line
    assert report["diff"]["totals"]["destroys-data"]["changes"] == 1

    edit(spec, "", "", 'changes:\n  allow_replace:\n    lustre: "moving to PERSISTENT_1 for the benchmark"\n')
    allowed = run("check", str(spec), "--diff", str(old), "--format", "json")
    assert allowed.returncode == 0, allowed.stdout
    ids = [f["policy"] for f in json.loads(allowed.stdout)["violations"]]
    assert "change.allowed" in ids and "change.destroys-data" not in ids


def test_renaming_a_pool_counts_its_resources_as_moves_in_the_footer(deployed):
    spec, old = deployed
    edit(spec, "- name: gpu", "- name: trainers")
    proc = run("plan", str(spec), "--diff", str(old))
    assert proc.returncode == 0
    words = " ".join(proc.stdout.replace("│", " ").split())
    # Placement group, launch template and group: each updated (tags) and moved to the new pool's stack.
    assert "~ 3 to update, +- 0 to replace, - 0 to delete, > 3 to move" in words
    assert proc.stdout.count("pulumi state rename") == 3 and "pulumi state move" in proc.stdout
