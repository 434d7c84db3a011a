"""Property: for any generated spec, valid or broken, loading + compiling either yields a Plan or a
SpecError whose every issue names a field; no other exception (no traceback) ever escapes."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import compile_plan
from planner.catalog import load_catalog
from planner.errors import SpecError
from planner.plan import iter_refs
from planner.validate import parse_spec

CAT = load_catalog()
TYPES = sorted(CAT.instance_types) + ["p5.48xlarg", "x1.nope", ""]
ULTRAS = sorted(CAT.ultraservers) + ["u-nope"]
ZONES = ["us-east-1a", "us-east-1-dfw-2a", "use1-az4", "us-west-2b", "usw2-az1", "nowhere", ""]
anything = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=12),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))

capacity = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["on-demand", "spot", "capacity-reservation", "capacity-block", "bogus"]),
    "reservation_id": st.sampled_from(["cr-0123456789abcdef0", "cr-x", "r-1"]),
    "start": st.sampled_from(["2026-12-01", "2027-01-05", "not-a-date"]),
    "days": st.integers(-1, 200),
    "end": st.sampled_from(["2026-11-01", "2027-02-01"]),
    "planned": st.booleans(),
})

pool = st.fixed_dictionaries(
    {"name": st.sampled_from(["gpu", "head", "gpu", "Bad_Name", "a" * 50, "x-1"]),
     "count": st.one_of(st.integers(-2, 3000), anything)},
    optional={
        "instance_type": st.sampled_from(TYPES),
        "ultraserver": st.sampled_from(ULTRAS),
        "capacity": st.one_of(capacity, anything),
        "efa": st.one_of(st.booleans(), anything),
        "availability_zone": st.sampled_from(ZONES),
        "root_volume_gib": st.integers(0, 20000),
        "placement_group": st.booleans(),
        "coutn": st.integers(),
        "start": st.sampled_from(["2026-12-01", "2030-01-01"]),
        "months": st.integers(-1, 300),
    })

network = st.fixed_dictionaries({}, optional={
    "vpc_cidr": st.sampled_from(["10.0.0.0/16", "10.0.0.0/24", "10.0.0.0/28", "10.0.0.0/8", "192.168.1.0/24", "8.8.8.0/24", "garbage", "10.0.0.1/16"]),
    "secondary_cidrs": st.lists(st.sampled_from(["10.1.0.0/16", "10.0.0.0/16", "nope"]), max_size=2),
    "vpc_id": st.sampled_from(["vpc-0123456789abcdef0", "vpc-x"]),
    "subnet_id": st.sampled_from(["subnet-0123456789abcdef0"]),
    "egress": st.sampled_from(["nat", "none", "igw"]),
})

spec = st.fixed_dictionaries(
    {"name": st.sampled_from(["demo", "Demo", "x" * 45, "ok-1"]),
     "region": st.sampled_from(["us-east-1", "us-west-2", "us-east-9", "mars"]),
     "availability_zone": st.sampled_from(ZONES),
     "compute": st.one_of(st.lists(pool, min_size=0, max_size=3), anything)},
    optional={
        "network": st.one_of(network, anything),
        "tags": st.one_of(st.dictionaries(st.sampled_from(["team", "cost-center"]), st.one_of(st.text(max_size=4), st.integers())), anything),
        "storage": st.one_of(st.fixed_dictionaries({"lustre": st.fixed_dictionaries(
            {"capacity_tib": st.one_of(st.floats(-1, 5000, allow_nan=False), st.integers(0, 100))},
            optional={"deployment": st.sampled_from(["PERSISTENT_2", "SCRATCH_2", "NOPE"]),
                      "throughput_per_tib": st.sampled_from([125, 250, 300])})}), anything),
        "budget": st.one_of(st.fixed_dictionaries({}, optional={"monthly_usd": st.integers(-5, 10**7), "term_months": st.integers(-1, 300)}), anything),
        "policies": st.one_of(st.fixed_dictionaries({}, optional={"skip": st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(["", "why"]))}), anything),
        "extra_key": anything,
    })


# Types sold as single instances, each with the capacity types EC2 sells it as (catalog usage_classes).
CAPACITIES = {"on-demand": {"type": "on-demand"}, "spot": {"type": "spot"},
              "capacity-block": {"type": "capacity-block", "reservation_id": "cr-0123456789abcdef0",
                                 "start": "2026-12-01", "days": 14}}
TYPE_CAPACITY = sorted(
    [(name, CAPACITIES[u]) for name, t in CAT.instance_types.items() if not t.ultraserver_only
     for u in (t.usage_classes or ()) if u in CAPACITIES]
    + [(name, {"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0"})
       for name, t in CAT.instance_types.items() if not t.ultraserver_only],
    key=lambda tc: (tc[0], tc[1]["type"]))
valid_pool = st.sampled_from(TYPE_CAPACITY).flatmap(lambda tc: st.fixed_dictionaries(
    {"name": st.sampled_from(["gpu", "head", "b", "c"]), "instance_type": st.just(tc[0]),
     "count": st.integers(1, 4000), "capacity": st.just(tc[1])},
    optional={"ami": st.just("ami-0123456789abcdef0"),
              "efa": st.just(False), "availability_zone": st.sampled_from(["us-east-1a", "us-east-1b", "use1-az4"])}))
valid_ultra_pool = st.fixed_dictionaries(
    {"name": st.sampled_from(["nvl", "nvl2"]), "ultraserver": st.sampled_from(["u-p6e-gb200x72", "u-p6e-gb200x36"]),
     "count": st.integers(1, 300), "availability_zone": st.just("us-east-1-dfw-2a"), "ami": st.just("ami-0123456789abcdef0"),
     "capacity": st.just({"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0"})})
valid_spec = st.fixed_dictionaries(
    {"name": st.just("demo"), "region": st.just("us-east-1"), "availability_zone": st.sampled_from(["us-east-1a", "use1-az4"]),
     "compute": st.lists(st.one_of(valid_pool, valid_ultra_pool), min_size=1, max_size=4, unique_by=lambda p: p["name"])},
    optional={"network": st.sampled_from([{"vpc_cidr": "10.0.0.0/16", "region_zone": "use1-az4"},
                                          {"vpc_cidr": "10.0.0.0/20", "egress": "none"},
                                          {"vpc_cidr": "10.0.0.0/16", "secondary_cidrs": ["10.1.0.0/16"], "region_zone": "us-east-1b"},
                                          {"vpc_id": "vpc-0123456789abcdef0", "subnet_id": "subnet-0123456789abcdef0"}]),
              "storage": st.just({"lustre": {"capacity_tib": 112.5, "deployment": "PERSISTENT_2", "throughput_per_tib": 250}})})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(spec, valid_spec))
def test_no_traceback_and_every_rejection_names_a_field(data):
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        plan = compile_plan(parse_spec(text, "gen.yaml"), CAT)
    except SpecError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.path, f"issue without a field: {issue}"
            assert issue.message
            assert issue.line is None or issue.line >= 1
        return
    names = plan.by_name()
    for r in plan.resources():
        for ref in iter_refs(r.inputs):
            assert ref["$ref"] in names
    assert plan.summary["resources"] == len(names)


@settings(max_examples=150, deadline=None)
@given(valid_spec)
def test_valid_specs_compile_unless_the_network_is_too_small(data):
    """Specs built from valid parts compile; the only rejections are IP budgets, zones and a missing AMI
    for an accelerator with no default image, and they name the field."""
    try:
        plan = compile_plan(parse_spec(yaml.safe_dump(data, sort_keys=False), "gen.yaml"), CAT)
    except SpecError as exc:
        assert {i.path.split("[")[0].split(".")[0] for i in exc.issues} <= {"network", "compute"}, exc
        assert all("IPs" in i.message or "addresses" in i.message or "zone" in i.message.lower() or "no default image" in i.message
                   for i in exc.issues), exc
        return
    assert plan.summary["instances"] == sum(p["instances"] for p in plan.pools)
    for sub in plan.network["subnets"]:
        assert sub["ips_total"] is None or sub["ips_needed"] <= sub["ips_total"]
