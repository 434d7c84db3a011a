"""Inputs, round 2 (what an independent fuzzer found): YAML merge keys, files a spec names that are
special or huge, numbers that overflow, facts a snapshot lacks, and validate agreeing with cost."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import BASE_SPEC
from planner.cli import main
from planner.spec.yamlload import load


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


# -- YAML merge keys: explicit keys override merged ones ---------------------------------------------
MERGE_SPEC = BASE_SPEC.replace("  - name: gpu\n", "  - &pool\n    name: gpu\n") + (
    "  - <<: *pool\n"
    "    name: gpu2\n"
    "    count: 4\n")


@pytest.mark.parametrize("text", [
    "a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  p: 3\n",
    "a: &x {p: 1}\nb: &y {p: 2, r: 1}\nc:\n  <<: [*x, *y]\n",
    "a: &x {p: 1}\nb: &z\n  <<: *x\n  p: 2\nc:\n  <<: *z\n  s: 1\n",
    "a: &x {p: 1}\nb:\n  <<: *x\nc:\n  <<: *x\n  p: 5\n",
])
def test_merge_keys_read_as_pyyaml_reads_them(text):
    assert load(text)[0] == yaml.safe_load(text)


@pytest.mark.parametrize("text, line", [
    ("a: {p: 1, p: 2}\n", 1),
    ("a: &x {p: 1}\nb:\n  <<: *x\n  q: 1\n  q: 2\n", 5),
])
def test_an_explicit_key_twice_is_still_a_duplicate(text, line):
    from planner.errors import SpecError
    with pytest.raises(SpecError) as info:
        load(text)
    assert "duplicate key" in str(info.value) and info.value.issues[0].line == line


def test_a_merge_of_a_scalar_is_an_error_at_its_line():
    from planner.errors import SpecError
    with pytest.raises(SpecError) as info:
        load("a: &x 1\nb:\n  <<: *x\n")
    assert "merge key" in str(info.value)


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "policy"])
def test_the_merge_key_idiom_plans_both_pools(capsys, write_spec, command):
    path = write_spec(MERGE_SPEC)
    code, out, err = run(capsys, command, path, *(["--format", "json"] if command == "plan" else []))
    assert code == 0, err
    if command == "plan":
        pools = {p["name"]: p["count"] for p in json.loads(out)["pools"]}
        assert pools == {"gpu": 2, "gpu2": 4}


# -- numbers are bounded where they enter ------------------------------------------------------------
def _unbounded_numbers(schema: dict, defs: dict, where: str = "") -> list[str]:
    """Every integer or number in a JSON Schema without both a lower and an upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _unbounded_numbers(defs[name], defs, where) if name not in _SEEN.setdefault(id(defs), set()) \
            and not _SEEN[id(defs)].add(name) else []
    found = []
    if schema.get("type") in ("integer", "number") and "enum" not in schema and "const" not in schema:
        low = "minimum" in schema or "exclusiveMinimum" in schema
        high = "maximum" in schema or "exclusiveMaximum" in schema
        if not (low and high):
            found.append(where or "<root>")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded_numbers(sub, defs, where)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded_numbers(sub, defs, f"{where}.{name}" if where else name)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded_numbers(schema["additionalProperties"], defs, f"{where}.*")
    if isinstance(schema.get("items"), dict):
        found += _unbounded_numbers(schema["items"], defs, f"{where}[]")
    return found


_SEEN: dict[int, set[str]] = {}


def _models():
    from planner.spec.ratecard import RateCard
    from planner.solve.goals import Goals
    from planner.spec.model import ClusterSpec
    return [ClusterSpec, RateCard, Goals]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_numeric_field_has_a_documented_range(model):
    schema = model.model_json_schema()
    _SEEN.pop(id(schema.get("$defs", {})), None)
    assert _unbounded_numbers(schema, schema.get("$defs", {})) == []


def test_the_bound_check_sees_an_unbounded_field():
    schema = {"properties": {"a": {"type": "integer", "minimum": 0}, "b": {"type": "number", "minimum": 0, "maximum": 1}}}
    assert _unbounded_numbers(schema, {}) == ["a"]


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "policy", "check"])
@pytest.mark.parametrize("field, value", [
    ("capacity_tib", "1.0e+306"), ("capacity_tib", ".inf"), ("capacity_gib", "1" + "0" * 30)])
def test_a_number_that_would_overflow_is_an_input_error_at_its_line(capsys, write_spec, command, field, value):
    path = write_spec(BASE_SPEC + f"storage:\n  lustre: {{{field}: {value}, deployment: PERSISTENT_2, throughput_per_tib: 250}}\n")
    code, out, err = run(capsys, command, path)
    assert code == 2, (out, err)
    assert f"{path}:12:" in out + err and f"storage.lustre.{field}" in out + err


# -- validate refuses what cost and check refuse: the files and commitments a budget names -----------
SP_BASE = BASE_SPEC.replace("    count: 2\n", "    count: 2\n  - name: spot\n    instance_type: p5.48xlarge\n"
                            "    count: 1\n    capacity: {type: spot}\n")
BUDGET = "budget:\n  monthly_usd: 10000000\n  start: 2027-01-01\n  term_months: 12\n"


@pytest.mark.parametrize("extra, message", [
    pytest.param("  rates: no-such-card.yaml\n", "no such rate card", id="rates-missing"),
    pytest.param("  rates: /dev/zero\n", "not a file", id="rates-device"),
    pytest.param("  savings_plans:\n  - {type: compute, years: 1, start: 2027-01-01, pools: [gpu]}\n"
                 "  - {type: compute, years: 1, start: 2027-06-01, pools: [gpu]}\n",
                 "already covered by savings_plans[0]", id="sp-overlap"),
    pytest.param("  savings_plans:\n  - {type: compute, years: 1, start: 2027-01-01, pools: [gpux]}\n",
                 "no pool named 'gpux'", id="sp-unknown-pool"),
    pytest.param("  savings_plans:\n  - {type: compute, years: 1, start: 2027-01-01, pools: [spot]}\n",
                 "pays for on-demand usage only", id="sp-spot-pool"),
])
@pytest.mark.parametrize("command", ["validate", "cost", "check", "policy", "plan"])
def test_validate_gives_the_verdict_cost_gives(capsys, write_spec, extra, message, command):
    path = write_spec(SP_BASE + BUDGET + extra)
    code, out, err = run(capsys, command, path)
    assert code == 2, (out, err)
    assert message in " ".join((out + err).split())  # text output wraps at 80 columns


def test_a_fifo_rate_card_is_refused_without_blocking(capsys, tmp_path, write_spec):
    import os
    fifo = tmp_path / "card.yaml"
    os.mkfifo(fifo)
    path = write_spec(SP_BASE + BUDGET + f"  rates: {fifo}\n")
    for command in ("validate", "cost"):
        code, out, err = run(capsys, command, path)
        assert code == 2 and "not a file" in " ".join((out + err).split())
    code, out, err = run(capsys, "cost", "examples/p5-on-demand-fsx.yaml", "--rates", str(fifo))
    assert code == 2 and "not a file" in " ".join((out + err).split())


def test_an_oversized_rate_card_is_refused_before_reading(capsys, tmp_path, write_spec):
    card = tmp_path / "card.yaml"
    with open(card, "wb") as fh:
        fh.truncate(5 * 1024 * 1024)  # sparse: a size, not 5 MB of reading
    code, out, err = run(capsys, "cost", write_spec(SP_BASE + BUDGET + f"  rates: {card}\n"))
    assert code == 2 and "the limit is 4 MiB" in " ".join((out + err).split())


def test_a_goals_file_that_is_a_device_is_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, "solve", "/dev/zero", "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and "not a file" in " ".join((out + err).split())


# -- a missing fact is unverified (exit 3), never a failure or a pass -------------------------------
DEMO = "examples/accounts/demo-us-east-1.json"


def _snapshot_without(tmp_path, section: str, key: str) -> str:
    data = json.loads(open(DEMO, encoding="utf-8").read())
    items = data[section].get("items") or data[section].get("value")
    for value in (items.values() if isinstance(items, dict) else items):
        if isinstance(value, dict):
            value.pop(key, None)
    path = tmp_path / f"without-{key}.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("spec, section, key, check_id", [
    ("examples/p5-on-demand-fsx.yaml", "instance_types", "efa_supported", "preflight.efa.interfaces"),
    ("examples/p5-on-demand-fsx.yaml", "instance_types", "max_efa_interfaces", "preflight.efa.interfaces"),
    ("examples/p5-on-demand-fsx.yaml", "instance_types", "vcpus", "preflight.catalog.instance-type"),
    ("examples/p5-on-demand-fsx.yaml", "images", "state", "preflight.ami.compatible"),
    ("examples/p5-on-demand-fsx.yaml", "images", "root_gib", "preflight.ami.compatible"),
    ("examples/gb200-capacity-block.yaml", "capacity_reservations", "total", "preflight.capacity.reservation"),
    ("examples/gb200-capacity-block.yaml", "capacity_reservations", "instance_type", "preflight.capacity.reservation"),
    ("examples/p5-on-demand-fsx.yaml", "availability_zones", "state", "preflight.zone.exists"),
])
def test_a_snapshot_missing_a_fact_leaves_the_check_unverified(capsys, tmp_path, spec, section, key, check_id):
    code, out, _ = run(capsys, "preflight", spec, "--account", _snapshot_without(tmp_path, section, key),
                       "--format", "json")
    findings = json.loads(out)["findings"]
    mine = [f for f in findings if f["id"] == check_id]
    assert code == 3, findings
    assert mine and all(f.get("unverified") for f in mine), mine
    assert any(key in f["message"] for f in mine)
    assert not [f for f in findings if f["level"] == "error" and not f.get("unverified")]


@pytest.mark.parametrize("spec", ["examples/p5-on-demand-fsx.yaml", "examples/gb200-capacity-block.yaml"])
def test_the_complete_snapshot_verifies_those_checks(capsys, spec):
    code, out, _ = run(capsys, "preflight", spec, "--account", DEMO, "--format", "json")
    findings = json.loads(out)["findings"]
    assert not [f for f in findings if f.get("unverified")], findings
    assert code == 0


# -- a rule that crashes is one verdict: exit 4 naming the rule, in every command -------------------
@pytest.fixture
def crashing_rule(monkeypatch):
    import dataclasses

    from policies.registry import load_rules

    registry = load_rules()
    victim = registry._policies["nodes-reach-lustre"]

    def boom(*args, **kwargs):
        raise ValueError("planted crash")

    monkeypatch.setitem(registry._policies, victim.id, dataclasses.replace(victim, func=boom))
    return victim.id


@pytest.mark.parametrize("command", [("policy",), ("check",), ("policy", "--plan"), ("check", "--plan")])
def test_a_crashing_rule_is_exit_4_in_every_command(capsys, tmp_path, crashing_rule, command):
    plan = tmp_path / "plan.json"
    assert run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(plan))[0] == 0
    target = str(plan) if "--plan" in command else "examples/p5-on-demand-fsx.yaml"
    code, out, err = run(capsys, *command, target)
    assert code == 4, out + err
    assert crashing_rule in out + err and "planted crash" in " ".join((out + err).split())


def test_a_crash_does_not_hide_a_real_violation(capsys, tmp_path, crashing_rule, write_spec):
    # The order every report follows: a real finding is the verdict (1) whatever else crashed.
    path = write_spec(BASE_SPEC.replace('tags: {team: t, cost-center: "1"}\n', "") +
                      "storage:\n  lustre: {capacity_gib: 2400, deployment: PERSISTENT_2, throughput_per_tib: 250}\n"
                      "policies:\n  config:\n    required-tags: {tags: [team]}\n")
    assert run(capsys, "check", path)[0] == 1
    assert run(capsys, "policy", path)[0] == 1


REUSE_SUBNET = BASE_SPEC.replace("network:\n  vpc_cidr: 10.0.0.0/16\n",
                                 "network: {vpc_id: vpc-4ef3dd8bc31ebe379, subnet_id: subnet-5ba73534e4e1a6786}\n")


@pytest.mark.parametrize("drop, unverified", [(False, False), (True, True)], ids=["complete", "without-available-ips"])
def test_a_reused_subnet_without_its_free_addresses_is_unverified(capsys, tmp_path, write_spec, drop, unverified):
    snapshot = _snapshot_without(tmp_path, "subnets", "available_ips") if drop else DEMO
    code, out, _ = run(capsys, "preflight", write_spec(REUSE_SUBNET), "--account", snapshot, "--format", "json")
    mine = [f for f in json.loads(out)["findings"] if f["id"] == "preflight.subnet.free-ips"]
    assert bool(mine and all(f.get("unverified") for f in mine)) is unverified, mine
    assert code == (3 if unverified else 0)
