"""Every bundled example validates and plans; small ones match their golden Plan (pytest --update-golden)."""
from __future__ import annotations

import json
import os

import pytest

import planner
from conftest import EXAMPLES, ROOT, SMALL_EXAMPLES

GOLDEN = os.path.join(ROOT, "tests", "data", "golden")


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_plans_with_the_documented_shape(path):
    plan = planner.compile_spec(os.path.relpath(path, ROOT))
    data = json.loads(plan.dumps())
    assert {"name", "region", "summary", "stacks", "pools"} <= set(data)
    assert {"gpus", "instances", "ultraservers", "vcpus", "resources", "stacks"} <= set(data["summary"])
    assert data["summary"]["resources"] == sum(len(s["resources"]) for s in data["stacks"])
    assert data["summary"]["stacks"] == len(data["stacks"])
    for stack in data["stacks"]:
        for r in stack["resources"]:
            assert r["type"].startswith("aws:") and r["type"].count(":") == 2
            assert {"type", "name", "inputs", "depends_on", "source"} <= set(r)
            assert r["source"]["line"] >= 1
    assert [s["name"] for s in data["stacks"]][0] == "network"


@pytest.mark.parametrize("path", SMALL_EXAMPLES, ids=os.path.basename)
def test_example_matches_golden_plan(path, update_golden):
    rel = os.path.relpath(path, ROOT)
    text = planner.compile_spec(rel).dumps(indent=1)  # indented so a reviewer can read the golden diff
    golden = os.path.join(GOLDEN, os.path.basename(path).replace(".yaml", ".plan.json"))
    if update_golden or not os.path.exists(golden):
        with open(golden, "w", encoding="utf-8") as fh:
            fh.write(text)
        if not update_golden:
            pytest.fail(f"golden file {golden} was missing and has been written; review it and rerun")
    with open(golden, encoding="utf-8") as fh:
        assert json.loads(text) == json.load(fh), f"plan of {rel} changed: run pytest --update-golden and review the diff"


def test_frontier_is_half_a_million_gpus_in_bounded_resources():
    plan = planner.compile_spec("examples/frontier.yaml")
    s = plan.summary
    assert 450_000 <= s["gpus"] <= 550_000
    assert s["ultraservers"] == s["nvlink_domains"] == 6944
    # Resource count grows with UltraServers, never with GPUs.
    assert s["resources"] < s["ultraservers"] + 100
    assert all(len(st.resources) <= 500 for st in plan.stacks)
    assert len({p["instance_type"] for p in plan.pools}) >= 3  # GB200, GB300 and the head nodes
    assert all(sub["ips_used"] <= sub["ips_total"] for sub in s["subnets"])
