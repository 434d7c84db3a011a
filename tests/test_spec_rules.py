"""Every spec rule (planner/spec/rules) has an id, a docstring and a source, fires on a spec that
breaks it (a failing case per id, below) and stays quiet on one that keeps it (the base spec and
the passing variants); docs/rules.md is generated from the registry; `policies.skip` skips only
skippable rules; SARIF names each mistake by its own rule id."""
from __future__ import annotations

import ast
import dataclasses
import json
import os
import re

import pytest

from conftest import BASE_SPEC, ROOT
from planner.catalog import ServiceOffer, load_catalog
from planner.errors import SpecError
from planner.records import ScheduleRecord
from planner.spec.rules import DECLARED, load_rules
from planner.spec.rules.docs import rules_markdown
from planner.spec.load import parse_spec

REGISTRY = load_rules()
CAT = load_catalog()
POOL = "  - name: gpu\n    instance_type: p5.48xlarge\n    count: 2\n"
UDFW = BASE_SPEC.replace("us-east-1a", "us-east-1-dfw-2a").replace(
    "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  region_zone: us-east-1a").replace(
    "instance_type: p5.48xlarge\n    count: 2", "ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0\n    count: 2\n"
    "    capacity: {type: capacity-block, start: 2026-12-01, days: 7, reservation_ids: [cr-0123456789abcdef0, "
    "cr-0123456789abcdef1]}")
LUSTRE = "storage:\n  lustre: {capacity_gib: 2400, deployment: PERSISTENT_2, throughput_per_tib: 125}\n"


# ~20 KB that gzip cannot shrink under EC2's 16 KB user data limit (fixed seed: the same every run).
NOISE = __import__("base64").b64encode(__import__("random").Random(0).randbytes(15000)).decode()


def pool(extra: str, base: str = BASE_SPEC) -> str:
    """The base spec with `extra` lines added to its pool."""
    return base.replace("    count: 2\n", "    count: 2\n" + extra, 1)


def dfw_without(service: str):
    lz = CAT.local_zone("us-east-1-dfw-2a")
    return dataclasses.replace(CAT, local_zones={lz.name: dataclasses.replace(
        lz, services={**lz.services, service: ServiceOffer("no", "test")})})


def p5_on_an_architecture_without_images():
    """Every bundled type has a default image now; a p5 of an architecture amis.yaml has none for."""
    p5 = CAT.instance_types["p5.48xlarge"]
    return dataclasses.replace(CAT, instance_types={**CAT.instance_types,
                                                    "p5.48xlarge": dataclasses.replace(p5, architecture="riscv64")})


def another_region_dfw():
    lz = CAT.local_zone("us-east-1-dfw-2a")
    return dataclasses.replace(CAT, local_zones={lz.name: dataclasses.replace(lz, parent_region="us-east-2")})


# rule id -> (a spec that breaks it, the catalog to check against or None for the bundled one)
FAILING = {
    "spec.region.known": (BASE_SPEC.replace("region: us-east-1", "region: us-east-9"), None),
    "spec.region.zone": (BASE_SPEC.replace("availability_zone: us-east-1a", "availability_zone: us-west-2a"), None),
    "spec.region.zone-known": (BASE_SPEC.replace("availability_zone: us-east-1a", "availability_zone: us-east-1z"), None),
    "spec.dates.planning-window": (pool("    start: 2150-01-01\n"), None),
    "spec.network.one-vpc": (BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_cidr: 10.0.0.0/16\n  vpc_id: vpc-0123456789abcdef0\n"
                                               "  subnet_id: subnet-0123456789abcdef0"), None),
    "spec.network.existing-vpc-subnet": (BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_id: vpc-0123456789abcdef0"), None),
    "spec.network.secondary-cidrs-new-vpc": (BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_id: vpc-0123456789abcdef0\n"
                                                               "  subnet_id: subnet-0123456789abcdef0\n"
                                                               "  secondary_cidrs: [10.1.0.0/16]"), None),
    "spec.network.cidr-syntax": (BASE_SPEC.replace("10.0.0.0/16", "10.0.0.1/16"), None),
    "spec.network.cidr-size": (BASE_SPEC.replace("10.0.0.0/16", "10.0.0.0/8"), None),
    "spec.network.cidr-private": (BASE_SPEC.replace("10.0.0.0/16", "8.8.0.0/16"), None),
    "spec.network.cidr-overlap": (BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_cidr: 10.0.0.0/16\n"
                                                    "  secondary_cidrs: [10.0.128.0/17]"), None),
    "spec.local-zone.region-zone": (BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_cidr: 10.0.0.0/16\n"
                                                      "  region_zone: us-east-1-dfw-2a"), None),
    "spec.local-zone.parent-region": (UDFW, another_region_dfw()),
    "spec.local-zone.capacity-blocks": (UDFW, dfw_without("capacity_blocks")),
    "spec.local-zone.efa": (UDFW, dfw_without("ec2_efa")),
    "spec.local-zone.services": (BASE_SPEC.replace("us-east-1a", "us-east-1-bos-1a"), None),
    "spec.pool.name-unique": (BASE_SPEC + POOL, None),
    "spec.pool.type-choice": (pool("    ultraserver: u-p6e-gb200x72\n"), None),
    "spec.pool.ultraserver-known": (BASE_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x99"), None),
    "spec.pool.instance-type-known": (BASE_SPEC.replace("p5.48xlarge", "p5.96xlarge"), None),
    "spec.pool.default-image": (BASE_SPEC, p5_on_an_architecture_without_images()),
    "spec.pool.default-image-root-device": (pool("    root_device_name: /dev/sda1\n"), None),
    "spec.pool.efa-supported": (BASE_SPEC.replace("p5.48xlarge", "m7i.2xlarge") .replace("count: 2", "count: 2\n    efa: true"), None),
    "spec.pool.zone-in-region": (pool("    availability_zone: us-west-2b\n"), None),
    "spec.pool.zone-existing-subnet": (pool("    availability_zone: us-east-1b\n", BASE_SPEC.replace(
        "  vpc_cidr: 10.0.0.0/16", "  vpc_id: vpc-0123456789abcdef0\n  subnet_id: subnet-0123456789abcdef0")), None),
    "spec.pool.ultraserver-zone": (UDFW.replace("us-east-1-dfw-2a", "us-east-1b").replace("  region_zone: us-east-1a\n", ""), None),
    "spec.pool.end-or-months": (pool("    end: 2027-06-01\n    months: 3\n"), None),
    "spec.pool.window-order": (pool("    start: 2027-06-01\n    end: 2027-05-01\n"), None),
    "spec.pool.placement-group-reserved": (pool("    placement_group: true\n    capacity: {type: capacity-reservation, "
                                                "reservation_id: cr-0123456789abcdef0}\n"), None),
    "spec.pool.placement-group-strategy": (BASE_SPEC.replace("p5.48xlarge", "t3.medium").replace(
        "count: 2", "count: 2\n    placement_group: true\n    ami: ami-0123456789abcdef0"), None),
    "spec.pool.tag-count": (BASE_SPEC.replace("tags: {team: t, cost-center: \"1\"}", "tags: {"
                                              + ", ".join(f"k{i}: v" for i in range(30)) + "}") .replace(
        "count: 2", "count: 2\n    tags: {" + ", ".join(f"p{i}: v" for i in range(20)) + "}"), None),
    "spec.capacity.ultraserver-purchase": (UDFW.replace("type: capacity-block, start: 2026-12-01, days: 7, reservation_ids: "
                                                        "[cr-0123456789abcdef0, cr-0123456789abcdef1]", "type: on-demand"), None),
    "spec.capacity.reservation-named": (pool("    capacity: {type: capacity-reservation}\n"), None),
    "spec.capacity.reservation-ids-exclusive": (UDFW.replace("days: 7,", "days: 7, reservation_id: cr-0123456789abcdef2,"), None),
    "spec.capacity.reservation-ids-ultraserver": (pool("    capacity: {type: capacity-reservation, reservation_ids: "
                                                       "[cr-0123456789abcdef0]}\n"), None),
    "spec.capacity.reservation-ids-count": (UDFW.replace(", cr-0123456789abcdef1]", "]"), None),
    "spec.capacity.reservation-ids-unique": (UDFW.replace("cr-0123456789abcdef1", "cr-0123456789abcdef0"), None),
    "spec.capacity.ultraserver-only": (BASE_SPEC.replace("p5.48xlarge", "p6e-gb200.36xlarge").replace(
        "count: 2", "count: 2\n    ami: ami-0123456789abcdef0"), None),
    "spec.capacity.usage-class": (BASE_SPEC.replace("p5.48xlarge", "m7i.2xlarge").replace(
        "count: 2", "count: 2\n    capacity: {type: capacity-block, start: 2026-12-01, days: 7, planned: true}"), None),
    "spec.capacity.block-start": (pool("    capacity: {type: capacity-block, days: 7, planned: true}\n"), None),
    "spec.capacity.block-days": (pool("    capacity: {type: capacity-block, start: 2026-12-01, planned: true}\n"), None),
    "spec.capacity.block-length": (pool("    capacity: {type: capacity-block, start: 2026-12-01, days: 15, planned: true}\n"), None),
    "spec.capacity.days-only-blocks": (pool("    capacity: {type: on-demand, days: 7}\n"), None),
    "spec.capacity.reservation-purchase": (pool("    capacity: {type: on-demand, reservation_id: cr-0123456789abcdef0}\n"), None),
    "spec.capacity.window-order": (pool("    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0, "
                                        "start: 2027-02-01, end: 2027-01-01}\n"), None),
    "spec.capacity.days-agree": (pool("    capacity: {type: capacity-block, planned: true, start: 2026-12-01, "
                                      "end: 2026-12-08, days: 14}\n"), None),
    "spec.capacity.drain-seconds": (pool("    capacity: {type: on-demand, drain_seconds: 600}\n"), None),
    "spec.capacity.shared-block": (UDFW.replace("    count: 2\n", "    count: 1\n").replace(
        ", cr-0123456789abcdef1]", "]") + UDFW[UDFW.index("  - name: gpu"):].replace("name: gpu", "name: gpu2").replace(
        "    count: 2\n", "    count: 1\n").replace(", cr-0123456789abcdef1]", "]"), None),
    "spec.storage.lustre-reserve-ips": (BASE_SPEC + LUSTRE.replace("}", ", reserve_ips: 0}"), None),
    "spec.storage.lustre-capacity": (BASE_SPEC + LUSTRE.replace("capacity_gib: 2400, ", ""), None),
    "spec.storage.lustre-size": (BASE_SPEC + LUSTRE.replace("2400", "2500"), None),
    "spec.storage.lustre-throughput": (BASE_SPEC + LUSTRE.replace("125", "300"), None),
    "spec.storage.lustre-efa": (BASE_SPEC + "storage:\n  lustre: {capacity_gib: 4800, deployment: PERSISTENT_2, "
                                "throughput_per_tib: 500, efa: true}\n", None),
    "spec.storage.lustre-in-transit": (BASE_SPEC + LUSTRE.replace("PERSISTENT_2, throughput_per_tib: 125", "SCRATCH_1"), None),
    "spec.cluster.name-collision": (UDFW.replace("us-east-1-dfw-2a", "us-east-1-dfw-2a") + POOL.replace("gpu", "gpu-u0001"), None),
    "spec.budget.limit": (BASE_SPEC + "budget: {term_months: 12}\n", None),
    "spec.policies.skip-reason": (BASE_SPEC + "policies:\n  skip: {no-public-ip: ' '}\n", None),
    "spec.policies.skip-spec-rule": (BASE_SPEC + "policies:\n  skip: {spec.pool.tag-count: we know}\n", None),
    "spec.user-data.readable": (BASE_SPEC + "user_data: {file: no-such-file.sh}\n", None),
    "spec.user-data.size": (BASE_SPEC + "user_data: |\n  #!/bin/bash\n  : " + NOISE + "\n", None),
    # declared rules, checked where their data is
    "spec.yaml.readable": ("name: [unclosed\n", None),
    "spec.yaml.duplicate-key": (BASE_SPEC + "name: again\n", None),
    "spec.shape.unknown-key": (pool("    instance_typo: x\n"), None),
    "spec.shape.required": (BASE_SPEC.replace("region: us-east-1\n", ""), None),
    "spec.shape.pattern": (BASE_SPEC.replace("name: demo", "name: Bad_Name"), None),
    "spec.shape.choice": (pool("    capacity: {type: reserved}\n"), None),
    "spec.shape.range": (BASE_SPEC.replace("count: 2", "count: 0"), None),
    "spec.shape.type": (BASE_SPEC.replace("count: 2", "count: many"), None),
    "spec.shape.value": (BASE_SPEC.replace("team: t", "'aws:team': t"), None),
}
# Declared rules found after parsing: by the compiler, the cost timeline, the policy settings.
PIPELINE = {
    "spec.network.pool-fits-subnet": BASE_SPEC.replace("count: 2", "count: 70000"),
    "spec.network.subnets-fit": BASE_SPEC.replace("10.0.0.0/16", "10.0.0.0/28").replace("count: 2", "count: 64"),
    "spec.budget.term": pool("    start: 2030-01-01\n") + "budget: {monthly_usd: 1000000, start: 2027-01-01, term_months: 12}\n",
    "spec.budget.rates": BASE_SPEC + "budget: {monthly_usd: 1000000, rates: no-such-card.yaml}\n",
    "spec.policies.known-id": BASE_SPEC + "policies:\n  config: {no-public-ipp: advisory}\n",
    "spec.policies.level": BASE_SPEC + "policies:\n  config: {no-public-ip: loud}\n",
    "spec.policies.setting": BASE_SPEC + "policies:\n  config:\n    required-tags: {tags: team}\n",
}
# Declared rules that only a hand-written Plan can break (the spec rules catch the spec first).
PLAN_ONLY = {
    "spec.budget.amount": lambda plan: plan.budget.update(monthly_usd=-1),
    "spec.cost.pool-window": lambda plan: plan.pools.__setitem__(0, dataclasses.replace(
        plan.pools[0], schedule=ScheduleRecord(start="2027-06-01", end="2027-01-01"))),
}
SAVINGS = "spec.budget.savings-plans"


def rules_of(text: str, catalog=None) -> set[str]:
    try:
        parse_spec(text, "spec.yaml", catalog)
    except SpecError as exc:
        return {i.rule for i in exc.issues}
    return set()


def pipeline_rules(write_spec, text: str) -> set[str]:
    from planner.run import stages as pipeline

    try:
        pipeline.validate(write_spec(text))
    except SpecError as exc:
        return {i.rule for i in exc.issues}
    return set()


def test_every_rule_has_an_id_a_docstring_a_source_and_a_failing_case():
    ids = REGISTRY.ids()
    assert len(ids) == len(set(ids)) and len(ids) > 60
    for rule in REGISTRY:
        assert re.fullmatch(r"spec(\.[a-z0-9-]+)+", rule.id), rule.id
        assert rule.doc and rule.title and rule.source, rule.id
    covered = set(FAILING) | set(PIPELINE) | set(PLAN_ONLY) | {SAVINGS}
    assert covered == set(ids), f"no failing case: {set(ids) - covered}; unknown: {covered - set(ids)}"


@pytest.mark.parametrize("rule_id", sorted(FAILING))
def test_each_spec_rule_fires_on_a_spec_that_breaks_it(rule_id):
    text, catalog = FAILING[rule_id]
    assert rule_id in rules_of(text, catalog)


@pytest.mark.parametrize("rule_id", sorted(PIPELINE))
def test_each_declared_rule_fires_where_it_is_checked(rule_id, write_spec):
    assert rule_id in pipeline_rules(write_spec, PIPELINE[rule_id])


@pytest.mark.parametrize("rule_id", sorted(PLAN_ONLY))
def test_a_hand_written_plan_breaking_a_declared_rule_gets_its_id(rule_id):
    import planner
    from planner.cost import estimate

    plan = planner.compile_spec(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"))
    if plan.budget is None:
        plan.budget = {"monthly_usd": 1.0, "source": {}}
    PLAN_ONLY[rule_id](plan)
    with pytest.raises(SpecError) as err:
        estimate(plan)
    assert rule_id in {i.rule for i in err.value.issues}


def test_savings_plans_naming_no_pool_get_their_id():
    import datetime as dt

    from planner.cost.rates import check_savings_plans
    from planner.findings import Source
    from planner.spec.ratecard import SavingsPlanUse

    sp = SavingsPlanUse(type="compute", years=1, start=dt.date(2027, 1, 1), pools=["nope"])
    with pytest.raises(SpecError) as err:
        check_savings_plans([sp], {"gpu": {"capacity": {"type": "on-demand"}}}, Source())
    assert {i.rule for i in err.value.issues} == {SAVINGS}
    check_savings_plans([sp.model_copy(update={"pools": ["gpu"]})], {"gpu": {"capacity": {"type": "on-demand"}}}, Source())


def test_the_base_spec_and_its_variants_break_no_rule(write_spec):
    assert rules_of(BASE_SPEC) == set()
    assert rules_of(UDFW) == set()
    assert rules_of(BASE_SPEC + LUSTRE) == set()
    assert pipeline_rules(write_spec, BASE_SPEC + LUSTRE) == set()


def test_every_rule_id_stamped_in_the_code_is_registered():
    stamped = set()
    for top in ("planner", "policies"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith(".py"):
                    text = open(os.path.join(folder, name), encoding="utf-8").read()
                    stamped |= set(re.findall(r'rule(?:: str)? ?=[^"\n]{0,30}"(spec\.[a-z0-9.-]+)"', text))
                    stamped |= set(re.findall(r'"(spec\.shape\.[a-z-]+)"', text))
    assert stamped and stamped <= set(REGISTRY.ids()), stamped - set(REGISTRY.ids())
    declared = {r.id for r in REGISTRY if r.scope == DECLARED}
    assert declared - stamped <= {"spec.policies.skip-reason"}, declared - stamped


def test_a_skippable_rule_is_skipped_with_its_reason_and_echoed(capsys, write_spec):
    from planner.cli import main

    text = BASE_SPEC.replace("10.0.0.0/16", "100.64.0.0/16")
    assert "spec.network.cidr-private" in rules_of(text)
    assert REGISTRY.get("spec.network.cidr-private").skippable
    skipped = text + "policies:\n  skip: {spec.network.cidr-private: carrier-grade NAT range owned by us}\n"
    assert rules_of(skipped) == set()
    path = write_spec(skipped)
    with pytest.raises(SystemExit):
        main(["check", path, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["status"]["spec.network.cidr-private"] == "skipped"
    assert any(s["policy"] == "spec.network.cidr-private" and "carrier-grade" in s["reason"] for s in report["skipped"])
    with pytest.raises(SystemExit) as info:
        main(["validate", path])
    assert info.value.code == 0
    assert "skipped: spec.network.cidr-private: carrier-grade NAT range owned by us" in capsys.readouterr().err


def test_a_rule_the_plan_depends_on_cannot_be_skipped():
    found = rules_of(BASE_SPEC.replace("p5.48xlarge", "p5.96xlarge")
                     + "policies:\n  skip: {spec.pool.instance-type-known: new type}\n")
    assert {"spec.policies.skip-spec-rule", "spec.pool.instance-type-known"} <= found


def test_the_fsx_spec_rule_asks_the_policy(monkeypatch):
    """No re-implementation: with the policy saying yes, the spec rule says yes too."""
    from policies import load_rules

    pack = load_rules()
    text = BASE_SPEC + LUSTRE.replace("PERSISTENT_2, throughput_per_tib: 125", "SCRATCH_1")
    assert "spec.storage.lustre-in-transit" in rules_of(text)
    policy = pack.get("fsx-encrypted-in-vpc")
    monkeypatch.setitem(pack._policies, policy.id, dataclasses.replace(policy, func=lambda resource, config: iter(())))
    assert "spec.storage.lustre-in-transit" not in rules_of(text)


FIVE = """\
name: demo
region: us-east-1
availability_zone: us-east-1a
tags: {team: t, cost-center: "1"}
network:
  vpc_cidr: 10.0.0.1/16
compute:
  - name: gpu
    instance_type: p5.96xlarge
    count: 2
  - name: gpu
    instance_type: p5.48xlarge
    count: 2
    capacity: {type: on-demand, drain_seconds: 600}
budget: {term_months: 12}
"""


def test_sarif_from_check_names_five_spec_mistakes_by_five_documented_rule_ids(capsys, write_spec, tmp_path):
    from planner.cli import main

    sarif_path = tmp_path / "r.sarif"
    with pytest.raises(SystemExit) as info:
        main(["check", write_spec(FIVE), "--sarif", str(sarif_path)])
    assert info.value.code == 2
    run = json.loads(sarif_path.read_text())["runs"][0]
    ids = [r["ruleId"] for r in run["results"]]
    assert sorted(ids) == sorted({"spec.network.cidr-syntax", "spec.pool.instance-type-known", "spec.pool.name-unique",
                                  "spec.capacity.drain-seconds", "spec.budget.limit"})
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    docs = open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8").read()
    for rid in ids:
        assert rules[rid]["fullDescription"]["text"] == REGISTRY.get(rid).doc + f"\n\nSource: {REGISTRY.get(rid).source}"
        assert f"### `{rid}`" in docs


MARKER = "<!-- generated by `ultraplan rules --format markdown`; tests/test_spec_rules.py keeps it in sync -->\n"


def test_rule_reference_in_docs_is_generated_from_the_registry(update_golden):
    path = os.path.join(ROOT, "docs", "rules.md")
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else MARKER
    head, _, reference = text.partition(MARKER)
    expected = rules_markdown(REGISTRY)
    if update_golden:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(head + MARKER + expected)
        return
    assert reference == expected, "docs/rules.md is stale: run pytest tests/test_spec_rules.py --update-golden"


def test_the_rule_modules_are_small_functions():
    """A rule is a small unit: no function in the rule modules over 40 lines."""
    import planner.spec.rules

    folder = os.path.dirname(planner.spec.rules.__file__)
    for name in os.listdir(folder):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    assert node.end_lineno - node.lineno < 40, f"{name}:{node.name}"


def test_run_order_is_the_module_order_whatever_was_imported_first():
    """planner.spec.load imports the capacity rules before load_rules runs; the registry still runs
    (and documents) the rules module by module, in the order the runner's contract names."""
    from planner.spec.rules.registry import _RULE_MODULES

    ranks = [_RULE_MODULES.index(r.module) for r in REGISTRY]
    assert ranks == sorted(ranks) and REGISTRY.ids()[0] == "spec.region.known"


def test_asking_the_policy_leaves_the_pack_in_its_own_order():
    """The FSx spec rule asks the policy pack; the pack's order (which every policy report lists)
    is the same whether a spec with Lustre was validated first or not."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, {root!r}); {first}"
            "from policies import load_rules; print(load_rules().ids())")
    spec = BASE_SPEC + LUSTRE
    first = f"from planner.spec.load import parse_spec; parse_spec({spec!r}, 'x.yaml'); "
    runs = [subprocess.run([sys.executable, "-c", code.format(root=ROOT, first=f)], capture_output=True, text=True,
                           cwd=ROOT, timeout=120) for f in ("", first)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert runs[0].stdout == runs[1].stdout


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param("- a list\n", id="not-a-mapping"),
    pytest.param('{"format": "ultraplan-plan", "version": 1}', id="a-plan"),
    pytest.param("name: x\n\tregion: y\n", id="tab"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: 2\n    start: 2026-02-30"), id="impossible-date"),
    pytest.param(FAILING["spec.shape.unknown-key"][0] + LUSTRE.replace("2400", "2500"), id="shape-and-meaning"),
])
def test_every_problem_a_spec_can_have_names_a_registered_rule(text, tmp_path):
    from planner.spec.load import load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(str(path))
    assert all(i.rule in REGISTRY for i in err.value.issues), [(i.rule, i.message) for i in err.value.issues]


def test_a_file_that_is_not_text_names_the_readable_rule(tmp_path):
    from planner.spec.load import load_spec

    path = tmp_path / "spec.yaml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SpecError) as err:
        load_spec(str(path))
    assert {i.rule for i in err.value.issues} == {"spec.yaml.readable"}
