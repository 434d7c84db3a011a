"""Fleets (planner/fleet): the fleet file, one Plan per cell, limits per cell, fabrics, fleet cost,
and every command taking a fleet. Fleets here are small, written into tmp_path; AWS is never called
(quotas come from the fleet file or an account snapshot written by the test)."""
from __future__ import annotations

import json
import os
import textwrap

import pytest

from planner.cli import main
from planner.errors import SpecError
from planner.findings import Level
from planner.fleet import load_fleet, plan_fleet
from planner.fleet.check import check_fleet
from planner.fleet.fabrics import FABRIC_CHECKS
from planner.fleet.limits import REGISTRY

CELL = """\
  - name: {name}
    account: "{account}"
    region: us-east-1
    zones: [{zone}]
{extra}    spec:
      name: {name}
      tags: {{team: t, cost-center: "1"}}
      compute:
{pools}"""
P5_POOL = "        - {{name: {pool}, instance_type: p5.48xlarge, count: {count}}}\n"


def fleet_text(cells: list[dict], head: str = "") -> str:
    body = []
    for i, c in enumerate(cells):
        pools = "".join(P5_POOL.format(pool=p, count=n) for p, n in c.get("pools", [("gpu", 2)]))
        extra = "".join(f"    {line}\n" for line in c.get("extra", []))
        body.append(CELL.format(name=c.get("name", f"c{i + 1}"), account=c.get("account", f"{i + 1:012d}"),
                                zone=c.get("zone", "us-east-1a"), extra=extra, pools=pools))
    return "fleet: demo\n" + head + "cells:\n" + "".join(body)


@pytest.fixture
def write_fleet(tmp_path):
    def write(text: str, name: str = "fleet.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return str(path)

    return write


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def findings(path: str, check_id: str | None = None):
    fleet = plan_fleet(load_fleet(path))
    result = check_fleet(fleet)
    return [f for f in result.findings if check_id is None or f.check_id == check_id], result


# -- the fleet file --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, path, line, message", [
    pytest.param(fleet_text([{"name": "A1"}]), "cells[0].name", 3, "'A1' is not valid here", id="cell-name-not-dns"),
    pytest.param(fleet_text([{}, {"name": "c1"}]), "cells[1].name", 12, "used twice", id="duplicate-cell"),
    pytest.param(fleet_text([{"extra": ["quotas: {auto-scaling-group: 10}"]}]), "cells[0].quotas.auto-scaling-group", 7,
                 "unknown quota", id="unknown-quota"),
    pytest.param(fleet_text([{"pools": [("gpu", 0)]}]), "cells[0].spec.compute[0].count", 11, "too small for count",
                 id="inline-spec-error-path"),
    pytest.param(fleet_text([{"zone": "us-east-1b"}]).replace("count: 2}", "count: 2, availability_zone: us-east-1a}"),
                 "cells[0].spec.compute[0].availability_zone", 11, "not one of cell c1's zones", id="pool-zone-outside-cell"),
    pytest.param(fleet_text([{}], "rollout: {max_gpus: 8, max_domains: 1, canary: c9}\n"), "rollout.canary", 2,
                 "no cell named 'c9'", id="canary-unknown"),
    pytest.param(fleet_text([{}], "quota_increases: [{cell: c1, quota: L-NOPE, value: 3}]\n"),
                 "quota_increases[0].quota", 2, "unknown quota", id="increase-unknown-quota"),
    pytest.param(fleet_text([{}], "fabrics: [{name: f, pools: [c1/gpus]}]\n"), "fabrics[0].pools[0]", 2,
                 "cell c1 has no pool 'gpus'", id="fabric-unknown-pool"),
])
def test_fleet_errors_name_the_field_and_line(write_fleet, text, path, line, message):
    with pytest.raises(SpecError) as exc:
        load_fleet(write_fleet(text))
    hits = [i for i in exc.value.issues if i.path == path]
    assert hits, [i.render() for i in exc.value.issues]
    assert hits[0].line == line and message in hits[0].message, hits[0].render()


def test_cell_spec_file_in_another_region_is_an_error(write_fleet, tmp_path):
    (tmp_path / "c.yaml").write_text("name: c\nregion: us-east-2\navailability_zone: us-east-2a\n"
                                     "compute: [{name: gpu, instance_type: p5.48xlarge, count: 1}]\n")
    text = fleet_text([{}]).split("    spec:")[0] + "    spec: c.yaml\n"
    with pytest.raises(SpecError) as exc:
        load_fleet(write_fleet(text))
    assert any("region us-east-2 is not the cell's (us-east-1)" in i.message for i in exc.value.issues)


def test_a_folder_stands_for_its_fleet_file(write_fleet, tmp_path):
    write_fleet(fleet_text([{}]))
    assert [c.name for c in plan_fleet(load_fleet(str(tmp_path))).cells] == ["c1"]


def test_each_cell_is_its_own_plan_with_its_identity(write_fleet):
    path = write_fleet(fleet_text([{}, {"extra": ["assume_role_arn: arn:aws:iam::000000000002:role/deploy"]}]))
    fleet = plan_fleet(load_fleet(path))
    assert [c.plan.name for c in fleet.cells] == ["c1", "c2"]
    assert fleet.cells[1].plan.cell == {"fleet": "demo", "cell": "c2", "account": "000000000002", "region": "us-east-1",
                                        "stack_prefix": "demo-c2",
                                        "assume_role_arn": "arn:aws:iam::000000000002:role/deploy"}
    assert fleet.summary()["gpus"] == 32


# -- limits per cell: one failing and one passing case per check ------------------------------------
# (check id, fleet cells that stay within the limit, fleet cells over it)
LIMIT_CASES = {
    "fleet.limit.auto-scaling-groups": ([{"extra": ["quotas: {auto-scaling-groups: 1, on-demand-p: 100000}"]}],
                                        [{"pools": [("a", 1), ("b", 1)],
                                          "extra": ["quotas: {auto-scaling-groups: 1, on-demand-p: 100000}"]}]),
    "fleet.limit.launch-templates": ([{"extra": ["quotas: {launch-templates: 2, on-demand-p: 100000}"]}],
                                     [{"pools": [("a", 1), ("b", 1), ("c", 1)],
                                       "extra": ["quotas: {launch-templates: 2, on-demand-p: 100000}"]}]),
    "fleet.limit.placement-groups": ([{"extra": ["quotas: {placement-groups: 1, on-demand-p: 100000}"]}],
                                     [{"pools": [("a", 1), ("b", 1)],
                                       "extra": ["quotas: {placement-groups: 1, on-demand-p: 100000}"]}]),
    "fleet.limit.network-interfaces": ([{"pools": [("gpu", 100)], "extra": ["quotas: {on-demand-p: 100000}"]}],
                                       [{"pools": [("gpu", 200)], "extra": ["quotas: {on-demand-p: 100000}"]}]),
    "fleet.limit.vcpus": ([{"extra": ["quotas: {L-417A185B: 384}"]}], [{"extra": ["quotas: {L-417A185B: 383}"]}]),
    "fleet.limit.elastic-ips": ([{"extra": ["quotas: {elastic-ips: 1, on-demand-p: 100000}"]}],
                                [{"extra": ["quotas: {elastic-ips: 0, on-demand-p: 100000}"]}]),
    "fleet.limit.nat-gateways-per-zone": ([{"extra": ["quotas: {nat-gateways-per-zone: 1, on-demand-p: 100000}"]}],
                                          [{"extra": ["quotas: {nat-gateways-per-zone: 0, on-demand-p: 100000}"]}]),
    "fleet.limit.rules-per-security-group": ([{"extra": ["quotas: {rules-per-security-group: 2, on-demand-p: 100000}"]}],
                                             [{"extra": ["quotas: {rules-per-security-group: 1, on-demand-p: 100000}"]}]),
}


@pytest.mark.parametrize("check_id", sorted(LIMIT_CASES))
def test_limit_passes_within_and_fails_over(write_fleet, check_id):
    within, over = LIMIT_CASES[check_id]
    assert not [f for f in findings(write_fleet(fleet_text(within), "ok.yaml"), check_id)[0] if f.level >= Level.WARNING]
    bad = findings(write_fleet(fleet_text(over), "over.yaml"), check_id)[0]
    assert [f.level for f in bad] == [Level.ERROR], [f.message for f in bad]
    assert bad[0].message.startswith("cell c1: ") and "short by" in bad[0].message
    assert ("(default)" if check_id == "fleet.limit.network-interfaces" else "(stated)") in bad[0].message


LUSTRE_CELL = """\
fleet: demo
cells:
  - name: c1
    account: "000000000001"
    region: us-east-1
    zones: [us-east-1a]
    quotas: {{on-demand-p: 100000, lustre-persistent-2-storage: {quota}}}
    spec:
      name: c1
      compute: [{{name: gpu, instance_type: p5.48xlarge, count: 1}}]
      storage: {{lustre: {{capacity_gib: 2400, deployment: PERSISTENT_2, throughput_per_tib: 250}}}}
"""


def test_lustre_storage_limit(write_fleet):
    assert not findings(write_fleet(LUSTRE_CELL.format(quota=2400), "ok.yaml"), "fleet.limit.lustre-storage")[0]
    bad = findings(write_fleet(LUSTRE_CELL.format(quota=1200), "over.yaml"), "fleet.limit.lustre-storage")[0]
    assert bad[0].level == Level.ERROR and "needs 2,400" in bad[0].message and "L-8F1B9C74" in bad[0].message


def test_every_limit_check_has_a_case_and_a_docstring():
    ids = {info.check_id for info in REGISTRY}
    assert ids == set(LIMIT_CASES) | {"fleet.limit.lustre-storage"}
    assert all(info.doc for info in list(REGISTRY) + list(FABRIC_CHECKS))


def test_over_a_default_names_the_default_and_the_request(write_fleet):
    bad = findings(write_fleet(fleet_text([{"pools": [("gpu", 200)], "extra": ["quotas: {on-demand-p: 100000}"]}])),
                   "fleet.limit.network-interfaces")[0][0]
    assert "quota 5,000 (default)" in bad.message and "needs 6,601" in bad.message
    assert bad.hint == ("aws service-quotas request-service-quota-increase --region us-east-1 --service-code vpc "
                        "--quota-code L-DF5E4CA3 --desired-value 6601")


def test_a_stated_increase_is_a_dependency_and_a_short_one_is_not(write_fleet):
    cells = [{"pools": [("gpu", 200)], "extra": ["quotas: {on-demand-p: 100000}"]}]
    enough = "quota_increases: [{cell: c1, quota: network-interfaces, value: 7000, reference: case-1}]\n"
    found, result = findings(write_fleet(fleet_text(cells, enough), "a.yaml"), "fleet.limit.network-interfaces")
    assert [f.level for f in found] == [Level.INFO] and "depends on the increase to 7,000" in found[0].message
    assert [d.to_json() for d in result.dependencies] == [{
        "cell": "c1", "quota": "network-interfaces", "code": "L-DF5E4CA3", "needed": 6601, "current": 5000,
        "requested": 7000, "reference": "case-1"}]
    short = "quota_increases: [{cell: c1, quota: L-DF5E4CA3, value: 6000}]\n"
    found, _ = findings(write_fleet(fleet_text(cells, short), "b.yaml"), "fleet.limit.network-interfaces")
    assert found[0].level == Level.ERROR and "(6,000) is not enough" in found[0].message


def test_an_unknown_quota_is_a_warning_never_a_pass(write_fleet):
    found = findings(write_fleet(fleet_text([{}])), "fleet.limit.vcpus")[0]
    assert [f.level for f in found] == [Level.WARNING] and "the quota is unknown" in found[0].message


def test_snapshot_quotas_and_counts_are_used(write_fleet, tmp_path):
    with open("examples/accounts/demo-us-east-1.json", encoding="utf-8") as fh:
        snap = json.load(fh)
    snap["service_quotas"]["items"]["autoscaling/L-CDE20ADC"]["value"] = 3.0
    snap["counts"]["items"]["auto_scaling_groups"] = 2
    (tmp_path / "acct.json").write_text(json.dumps(snap))
    found = findings(write_fleet(fleet_text([{"extra": ["account_snapshot: acct.json"]}])),
                     "fleet.limit.auto-scaling-groups")[0]
    assert not found  # 1 the plan adds + 2 the account holds = the quota of 3
    snap["counts"]["items"]["auto_scaling_groups"] = 3
    (tmp_path / "acct.json").write_text(json.dumps(snap))
    found = findings(write_fleet(fleet_text([{"extra": ["account_snapshot: acct.json"]}])),
                     "fleet.limit.auto-scaling-groups")[0]
    assert found[0].level == Level.ERROR and "needs 4 (1 the plan adds, 3 the account holds), quota 3 (snapshot)" in found[0].message


# -- fabrics ------------------------------------------------------------------------------------------
def test_a_fabric_split_over_cells_is_an_error_and_one_cell_passes(write_fleet):
    two = fleet_text([{"pools": [("a", 1)]}, {"pools": [("b", 1)]}], "fabrics: [{name: f1, pools: [c1/a, c2/b]}]\n")
    bad = findings(write_fleet(two, "two.yaml"), "fleet.fabric.one-zone")[0]
    assert bad[0].level == Level.ERROR and "fabric f1 spans cells" in bad[0].message and bad[0].source.line == 2
    one = fleet_text([{"pools": [("a", 1), ("b", 1)]}], "fabrics: [{name: f1, pools: [c1/a, c1/b]}]\n")
    assert not findings(write_fleet(one, "one.yaml"), "fleet.fabric.one-zone")[0]


def test_a_fabric_split_over_zones_is_an_error(write_fleet):
    text = fleet_text([{"pools": [("a", 1), ("b", 1)]}], "fabrics: [{name: f1, pools: [c1/a, c1/b]}]\n")
    text = text.replace("zones: [us-east-1a]", "zones: [us-east-1a, us-east-1b]").replace(
        "{name: b, instance_type: p5.48xlarge, count: 1}", "{name: b, instance_type: p5.48xlarge, count: 1, availability_zone: us-east-1b}")
    bad = findings(write_fleet(text), "fleet.fabric.one-zone")[0]
    assert "spans zones" in bad[0].message


def test_largest_fabric_is_bound_by_the_tightest_quota(write_fleet):
    # p5.48xlarge: 33 interfaces (32 EFA + 1) and 192 vCPUs an instance.
    text = fleet_text([{"extra": ["quotas: {network-interfaces: 1000, on-demand-p: 100000}"]}])
    _, result = findings(write_fleet(text))
    largest = result.fabrics["c1"]
    assert largest["units"] == (1000 - 1) // 33 and largest["bound_by"].startswith("Network interfaces per Region")
    assert largest["gpus"] == largest["units"] * 8


# -- cost -------------------------------------------------------------------------------------------------
def test_fleet_cost_is_the_sum_of_the_cells_to_the_cent(capsys, write_fleet):
    path = write_fleet(fleet_text([{"pools": [("gpu", 3)]}, {"pools": [("gpu", 5)]}],
                                  "term: {start: 2027-01-01, months: 12}\nbudget: {total_usd: 1000000}\n"))
    code, out, _ = run(capsys, "cost", path, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["budget"]["total"]["status"] == "over"
    fleet = plan_fleet(load_fleet(path))
    cells = []
    for cp in fleet.cells:
        plan_path = os.path.join(os.path.dirname(path), f"{cp.name}.json")
        with open(plan_path, "w", encoding="utf-8") as fh:
            fh.write(cp.plan.dumps())
        code, out, _ = run(capsys, "cost", plan_path, "--format", "json")
        cells.append(round(json.loads(out)["term"]["total_usd"], 2))
    assert [data["cells"][c]["total_usd"] for c in ("c1", "c2")] == cells
    assert data["total_usd"] == round(sum(cells), 2)


# -- every command takes a fleet ------------------------------------------------------------------------
def test_commands_take_a_fleet(capsys, write_fleet, tmp_path):
    path = write_fleet(fleet_text([{"extra": ["quotas: {on-demand-p: 100000}"]}, {}]))
    code, out, _ = run(capsys, "validate", path)
    assert code == 0 and "fleet 'demo', 2 cell(s)" in out
    code, out, _ = run(capsys, "plan", str(tmp_path), "--out", str(tmp_path / "plans"))
    assert code == 0 and "Fleet total: 32 accelerators" in out
    assert sorted(os.listdir(tmp_path / "plans")) == ["plan-c1.json", "plan-c2.json"]
    code, out, _ = run(capsys, "policy", path, "--format", "json")
    assert code == 0 and json.loads(out)["name"].startswith("fleet demo")
    code, out, _ = run(capsys, "check", path, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["fleet"]["cost"]["total_usd"] > 0
    assert {s["name"] for s in report["steps"]} >= {"limits (fleet demo)", "cost (cell c1)", "preflight (cell c2)"}
    code, out, _ = run(capsys, "preflight", path, "--format", "json")
    assert code == 0
    code, _, err = run(capsys, "check", path, "examples/gb200-capacity-block.yaml")
    assert code == 2 and "give it alone" in err


def test_check_fails_on_a_cell_over_a_limit(capsys, write_fleet):
    path = write_fleet(fleet_text([{"extra": ["quotas: {on-demand-p: 10}"]}]))
    code, out, _ = run(capsys, "check", path, "--format", "json")
    assert code == 1
    assert any(v["policy"] == "fleet.limit.vcpus" and v["level"] == "error" for v in json.loads(out)["violations"])


def test_invalid_fleet_exits_2_with_the_line(capsys, write_fleet):
    code, _, err = run(capsys, "validate", write_fleet(fleet_text([{"name": "Bad"}])))
    assert code == 2 and "fleet.yaml:3" in err and "cells[0].name" in err


def test_a_folder_of_specs_leaves_a_fleet_folder_out_and_says_so(capsys, write_fleet, tmp_path):
    sub = tmp_path / "fleet1"
    sub.mkdir()
    (sub / "fleet.yaml").write_text(fleet_text([{}]))
    (tmp_path / "a.yaml").write_text(open("examples/p5-on-demand-fsx.yaml").read())
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 0 and "is a fleet: left out" in " ".join(err.split()) and out.count("ok:") == 1


def test_pools_that_do_not_run_together_are_not_counted_together(write_fleet):
    text = fleet_text([{"pools": [("a", 2), ("b", 2)], "extra": ["quotas: {L-417A185B: 384}"]}])
    text_phased = text.replace("{name: a, instance_type: p5.48xlarge, count: 2}",
                               "{name: a, instance_type: p5.48xlarge, count: 2, start: 2027-01-01, end: 2027-06-01}").replace(
        "{name: b, instance_type: p5.48xlarge, count: 2}",
        "{name: b, instance_type: p5.48xlarge, count: 2, start: 2027-06-01, end: 2027-12-01}")
    assert not findings(write_fleet(text_phased, "phased.yaml"), "fleet.limit.vcpus")[0]  # 2 x 192 at a time
    together = findings(write_fleet(text, "together.yaml"), "fleet.limit.vcpus")[0]
    assert together[0].level == Level.ERROR and "needs 768" in together[0].message


def test_docs_document_every_fleet_check():
    with open("docs/fleet.md", encoding="utf-8") as fh:
        docs = fh.read()
    for info in list(REGISTRY) + list(FABRIC_CHECKS):
        assert f"`{info.check_id}`" in docs, info.check_id


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "check", "rollout"])
def test_fleet_text_fits_80_columns(capsys, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "80")
    code, text, _ = run(capsys, command, "examples/frontier")
    long = [line for line in text.splitlines() if len(line) > 80 and not line.startswith("aws service-quotas ")]
    assert not long, long


def test_fleet_schema_accepts_the_frontier_fleet_and_flags_a_typo(capsys, tmp_path):
    import jsonschema
    import yaml

    code, out, _ = run(capsys, "schema", "--fleet")
    schema = json.loads(out)
    with open("examples/frontier/fleet.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["term"]["start"] = str(data["term"]["start"])
    jsonschema.validate(data, schema)
    inline = yaml.safe_load(fleet_text([{}]))
    jsonschema.validate(inline, schema)
    inline["cells"][0]["spec"]["compute"][0]["instance_type"] = "p5.48xlarg"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(inline, schema)
    data["cells"][0]["acount"] = data["cells"][0].pop("account")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_every_numeric_field_of_the_fleet_file_has_a_range():
    from planner.fleet.model import FleetFile
    from test_inputs_round2 import _unbounded_numbers

    schema = FleetFile.model_json_schema()
    assert _unbounded_numbers(schema, schema.get("$defs", {})) == []


def test_a_fifo_is_not_sniffed_as_a_fleet(tmp_path):
    from planner.fleet import is_fleet

    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    assert is_fleet(str(fifo)) is False  # returns at once: a blocking open would hang here
