"""`ultraplan runtime`: the Slurm topology.yaml and the Kueue Topology, per example, as golden files
(pytest --update-golden), parsed back and checked against the Plan: one block per UltraServer, always."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

import planner
from conftest import BASE_SPEC, EXAMPLES, ROOT, SMALL_EXAMPLES
from planner.runtime import names
from planner.runtime.topology import kueue_topology, slurm_topology

GOLDEN = os.path.join(ROOT, "tests", "data", "golden", "runtime")
SCRIPT = os.path.join(ROOT, "planner", "runtime", "ultraplan-node.sh")


def expand(hostlist: str) -> list[str]:
    """A Slurm hostlist expression of the one form we write, prefix-[01-18], read independently."""
    m = re.fullmatch(r"(.*)-\[(\d+)-(\d+)\]", hostlist)
    if not m:
        return [hostlist]
    prefix, lo, hi = m.group(1), m.group(2), m.group(3)
    return [f"{prefix}-{k:0{len(lo)}d}" for k in range(int(lo), int(hi) + 1)]


def domains_in_plan(plan) -> dict[str, list[str]]:
    """pool -> the ultraplan:nvlink-domain value of each of its groups, read from the ASG resources."""
    by_name = plan.by_name()
    return {p["name"]: [{t["key"]: t["value"] for t in by_name[g].inputs["tags"]}[names.DOMAIN_TAG] for g in p["groups"]]
            for p in plan.pools if p["kind"] == "ultraserver"}


@pytest.fixture(scope="module")
def plans():
    return {os.path.basename(p): planner.compile_spec(os.path.relpath(p, ROOT)) for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_one_block_per_ultraserver_with_the_hostnames_the_nodes_set(path, plans):
    plan = plans[os.path.basename(path)]
    topologies = yaml.safe_load(slurm_topology(plan))
    assert [list(t)[0] for t in topologies] == ["topology"] * len(topologies)  # "Must be the first attribute"
    assert sum(1 for t in topologies if t["cluster_default"]) == 1
    block_topologies = {t["topology"]: t["block"] for t in topologies if "block" in t}
    ultra = {p["name"]: p for p in plan.pools if p["kind"] == "ultraserver"}
    assert set(block_topologies) == set(ultra)
    domains = domains_in_plan(plan)
    for pool, block in block_topologies.items():
        size = ultra[pool]["instances_per_ultraserver"]
        assert block["block_sizes"] == [size]
        assert len(block["blocks"]) == ultra[pool]["count"]  # one block = one UltraServer
        assert [b["block"] for b in block["blocks"]] == domains[pool]
        for b in block["blocks"]:
            hosts = expand(b["nodes"])
            assert hosts == [f"{b['block']}-{k:02d}" for k in range(1, size + 1)]  # the program's printf '%s-%02d'
    all_hosts = [h for block in block_topologies.values() for b in block["blocks"] for h in expand(b["nodes"])]
    assert len(all_hosts) == len(set(all_hosts)) == sum(p["instances"] for p in ultra.values())
    assert {"topology": "flat", "cluster_default": not ultra, "flat": True} in topologies


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_kueue_topology_levels_are_the_labels_the_nodes_publish(path, plans):
    plan = plans[os.path.basename(path)]
    docs = [d for d in yaml.safe_load_all(kueue_topology(plan)) if d]
    ultra = [p["name"] for p in plan.pools if p["kind"] == "ultraserver"]
    if not ultra:
        assert docs == []
        return
    (topology,) = [d for d in docs if d["kind"] == "Topology"]
    assert topology["apiVersion"] == "kueue.x-k8s.io/v1beta2"
    levels = [lv["nodeLabel"] for lv in topology["spec"]["levels"]]
    # Kueue's rules: 1-16 unique levels, kubernetes.io/hostname only last.
    assert 1 <= len(levels) <= 16 and len(set(levels)) == len(levels) and levels[-1] == "kubernetes.io/hostname"
    assert levels == [names.LABEL_NVLINK_DOMAIN, names.LABEL_HOSTNAME]
    flavors = [d for d in docs if d["kind"] == "ResourceFlavor"]
    assert [f["spec"]["nodeLabels"][names.LABEL_POOL] for f in flavors] == ultra
    assert all(f["spec"]["topologyName"] == topology["metadata"]["name"] for f in flavors)
    # Every label key named here is one the boot program writes to /etc/ultraplan/node-labels.
    script = open(SCRIPT).read()
    used = set(levels[:-1]) | {k for f in flavors for k in f["spec"]["nodeLabels"]}
    assert all(f"printf '{key}=%s" in script for key in used), used


@pytest.mark.parametrize("path", SMALL_EXAMPLES, ids=os.path.basename)
def test_runtime_files_match_their_golden_files(path, plans, update_golden):
    plan = plans[os.path.basename(path)]
    folder = os.path.join(GOLDEN, os.path.basename(path).replace(".yaml", ""))
    for name, text in (("topology.yaml", slurm_topology(plan)), ("kueue-topology.yaml", kueue_topology(plan))):
        golden = os.path.join(folder, name)
        if update_golden or not os.path.exists(golden):
            os.makedirs(folder, exist_ok=True)
            with open(golden, "w", encoding="utf-8") as fh:
                fh.write(text)
            if not update_golden:
                pytest.fail(f"golden file {golden} was missing and has been written; review it and rerun")
        with open(golden, encoding="utf-8") as fh:
            assert text == fh.read(), f"{name} of {path} changed: run pytest --update-golden and review the diff"


def run(*args: str):
    return subprocess.run([sys.executable, "-m", "planner", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_writes_both_files_and_says_what_it_wrote(tmp_path):
    out = tmp_path / "sched"
    done = run("runtime", "examples/gb200-capacity-block.yaml", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(out)) == ["kueue-topology.yaml", "topology.yaml"]
    assert "  trainers: 4 blocks of 18 nodes, one per UltraServer\n    first trainers-u0001-[01-18]\n" in done.stdout
    # 80 columns, but for the paths written, each alone on its line
    assert max(len(line) for line in done.stdout.splitlines() if not line.startswith("wrote ")) <= 80
    as_json = json.loads(run("runtime", "examples/gb200-capacity-block.yaml", "--out", str(out), "--format", "json").stdout)
    assert as_json["pools"] == [{"pool": "trainers", "blocks": 4, "block_size": 18, "first": "trainers-u0001-[01-18]"}]


def test_cli_reads_a_plan_too(tmp_path):
    plan_path = tmp_path / "plan.json"
    assert run("plan", "examples/trn2-ultraserver.yaml", "--out", str(plan_path)).returncode == 0
    done = run("runtime", str(plan_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    topology = yaml.safe_load((tmp_path / "out" / "topology.yaml").read_text())
    assert topology[0]["block"]["block_sizes"] == [4]  # u-trn2x64: 4 trn2u instances


def test_cli_invalid_spec_and_bad_out_exit_2(tmp_path, write_spec):
    bad = write_spec(BASE_SPEC.replace("count: 2", "count: 0"))
    done = run("runtime", bad, "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "compute[0].count" in done.stderr and not (tmp_path / "o").exists()
    afile = tmp_path / "file"
    afile.write_text("")
    done = run("runtime", "examples/gb200-capacity-block.yaml", "--out", str(afile))
    assert done.returncode == 2 and "Traceback" not in done.stderr
