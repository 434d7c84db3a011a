"""Pricing logic on small hand-written Plans (docs/plan-format.md) and a tiny hand-written catalog,
so a price update never breaks these tests."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from planner.catalog.prices import build_prices
from planner.cost import estimate
from planner.cost.diff import diff_reports
from planner.errors import SpecError, UsageError
from planner.plan.model import Plan


def entry(usd, unit="instance-hour", **extra):
    return {"usd": usd, "unit": unit, "source": f"tiny:{usd}", "as_of": "2026-01-01", **extra}


PRICES = build_prices([{
    "region": "us-east-1",
    "items": {
        "gpu.big": {"on-demand": entry(10.0), "capacity-block": entry(6.0)},
        "cpu.small": {"on-demand": entry(1.0)},
        "gb.member": {"on-demand": entry(None, reason="blocks only")},
        "u-gb": {"on-demand": entry(None, "ultraserver-hour", reason="blocks only"),
                 "capacity-block": entry(100.0, "ultraserver-hour")},
        "new.chip": {"on-demand": entry(None, reason="no public price")},
        "ebs-gp3": {"on-demand": entry(0.073, "GB-month")},
        "nat-gateway": {"on-demand": entry(0.5, "gateway-hour")},
        "nat-gateway-data": {"on-demand": entry(0.05, "GB")},
        "public-ipv4": {"on-demand": entry(0.25, "address-hour")},
        "s3-gateway-endpoint": {"on-demand": entry(0.0, "endpoint-hour")},
        "fsx-lustre:PERSISTENT_2:125": {"on-demand": entry(0.146, "GB-month")},
    },
}], free={"types": {"aws:ec2/vpc:Vpc": "free", "aws:ec2/launchTemplate:LaunchTemplate": "free"}})


def pool(name, itype, count, *, capacity=None, schedule=None, ultra=None, per=None, line=10, accel="GPU X"):
    return {"name": name, "kind": "ultraserver" if ultra else "instance", "instance_type": itype,
            "ultraserver_type": ultra, "count": count, "instances": count * (per or 1),
            "instances_per_ultraserver": per, "accelerator": accel, "family": itype.split(".")[0],
            "capacity": capacity or {"type": "on-demand"}, "schedule": schedule, "root_volume_gib": 100,
            "source": {"file": "spec.yaml", "line": line}}


def resources_for(p):
    per = p["instances_per_ultraserver"]
    out = [{"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": f"lt-{p['name']}", "pool": p["name"],
            "inputs": {"instanceType": p["instance_type"],
                       "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "volumeType": "gp3"}}]}}]
    if per:
        out += [{"type": "aws:autoscaling/group:Group", "name": f"asg-{p['name']}-u{i:04d}", "pool": p["name"],
                 "inputs": {"desiredCapacity": per}} for i in range(1, p["count"] + 1)]
    else:
        out.append({"type": "aws:autoscaling/group:Group", "name": f"asg-{p['name']}", "pool": p["name"],
                    "inputs": {"desiredCapacity": p["count"]}})
    return out


def make_plan(pools, budget=None, extra=(), region="us-east-1"):
    compute = [r for p in pools for r in resources_for(p)]
    return Plan.from_json({"name": "t", "region": region, "spec_file": "spec.yaml", "pools": pools, "budget": budget,
                           "stacks": [{"name": "network", "resources": list(extra)}, {"name": "compute-1", "resources": compute}]})


def by_resource(report):
    return {line.resource: line for line in report.lines}


NOW = date(2027, 1, 1)


def test_on_demand_pool_hourly_monthly_and_term():
    r = estimate(make_plan([pool("gpu", "gpu.big", 3)], {"term_months": 2, "start": "2027-01-01"}), PRICES)
    asg = by_resource(r)["asg-gpu"]
    assert (asg.quantity, asg.unit, asg.unit_price_usd, asg.hourly_usd) == (3, "instance-hour", 10.0, 30.0)
    assert asg.monthly_usd == pytest.approx(30 * 730)
    assert asg.source == "tiny:10.0"
    assert asg.term_usd == pytest.approx(30 * (31 + 28) * 24)  # Jan + Feb 2027, real hours
    vol = by_resource(r)["lt-gpu"]
    assert (vol.quantity, vol.unit) == (300, "GB-hour") and vol.unit_price_usd == pytest.approx(0.073 / 730)
    assert vol.list_price == "0.073 USD per GB-month"
    assert r.hourly_usd == pytest.approx(sum(l.quantity * l.unit_price_usd for l in r.lines))
    assert [m.month for m in r.timeline] == ["2027-01", "2027-02"]
    assert r.total_usd == pytest.approx(sum(l.term_usd for l in r.lines))


def test_capacity_block_costs_only_for_its_days():
    p = pool("blk", "gpu.big", 2, capacity={"type": "capacity-block", "start": "2027-01-10", "days": 14})
    r = estimate(make_plan([p], {"term_months": 3, "start": "2027-01-01"}), PRICES, now=NOW)
    asg = by_resource(r)["asg-blk"]
    assert asg.market == "capacity-block" and asg.unit_price_usd == 6.0
    assert asg.term_usd == pytest.approx(2 * 6.0 * 14 * 24)
    assert [round(m.usd) for m in r.timeline][1:] == [0, 0]  # nothing after the block
    assert not asg.active_now  # 2027-01-01 is before the block starts
    assert r.hourly_usd == pytest.approx(0.0)


def test_capacity_block_across_a_month_boundary_splits_hours():
    p = pool("blk", "gpu.big", 1, capacity={"type": "capacity-block", "start": "2027-01-25", "end": "2027-02-04"})
    r = estimate(make_plan([p], {"term_months": 2, "start": "2027-01-01"}), PRICES)
    blk = [l for l in r.lines if l.resource == "asg-blk"][0]
    months = {m.month: m.usd for m in r.timeline}
    vol = by_resource(r)["lt-blk"]
    assert months["2027-01"] == pytest.approx((blk.hourly_usd + vol.hourly_usd) * 7 * 24)
    assert months["2027-02"] == pytest.approx((blk.hourly_usd + vol.hourly_usd) * 3 * 24)


def test_phases_by_schedule_and_months():
    p1 = pool("phase1", "gpu.big", 1, schedule={"start": "2027-01-01", "end": "2027-04-01", "months": None})
    p2 = pool("phase2", "cpu.small", 2, schedule={"start": "2027-04-01", "end": None, "months": 2}, accel=None)
    r = estimate(make_plan([p1, p2], {"term_months": 6, "start": "2027-01-01"}), PRICES)
    asg2 = by_resource(r)["asg-phase2"]
    assert asg2.window.end == date(2027, 6, 1) and asg2.phase == "2027-04-01 → 2027-06-01"
    assert asg2.term_usd == pytest.approx(2 * 1.0 * (30 + 31) * 24)
    months = [m.month for m in r.timeline if m.usd > 0]
    assert months == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
    assert {s.name for s in r.by_phase} == {"2027-01-01 → 2027-04-01", "2027-04-01 → 2027-06-01"}
    assert {s.name for s in r.by_generation} == {"gpu (GPU X)", "cpu (CPU)"}
    assert sum(s.share for s in r.by_generation) == pytest.approx(1.0)
    # hourly "now" at the term start: only phase 1 runs
    assert r.hourly_usd == pytest.approx(by_resource(r)["asg-phase1"].hourly_usd + by_resource(r)["lt-phase1"].hourly_usd)


def test_months_without_start_count_from_the_term_start():
    p = pool("p", "cpu.small", 1, schedule={"start": None, "end": None, "months": 1}, accel=None)
    r = estimate(make_plan([p], {"term_months": 3, "start": "2027-03-01"}), PRICES)
    assert by_resource(r)["asg-p"].window.end == date(2027, 4, 1)


def test_block_without_start_runs_its_days_from_the_term_start():
    p = pool("blk", "gpu.big", 1, capacity={"type": "capacity-block", "days": 7})
    r = estimate(make_plan([p], {"term_months": 2, "start": "2027-03-01"}), PRICES)
    asg = by_resource(r)["asg-blk"]
    assert (asg.window.start, asg.window.end) == (date(2027, 3, 1), date(2027, 3, 8))
    assert asg.term_usd == pytest.approx(6.0 * 7 * 24)


def test_ultraserver_block_priced_per_ultraserver_hour():
    p = pool("gb", "gb.member", 3, ultra="u-gb", per=18, capacity={"type": "capacity-block", "start": "2027-01-01", "days": 7})
    r = estimate(make_plan([p], {"term_months": 1, "start": "2027-01-01"}), PRICES)
    groups = [l for l in r.lines if l.resource.startswith("asg-gb-u")]
    assert len(groups) == 3
    assert all((g.quantity, g.unit, g.unit_price_usd) == (1.0, "UltraServer-hour", 100.0) for g in groups)
    assert by_resource(r)["lt-gb"].quantity == 3 * 18 * 100  # a root volume per member instance


def test_capacity_reservation_is_priced_at_on_demand_and_says_so():
    p = pool("odcr", "gpu.big", 2, capacity={"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0"})
    line = by_resource(estimate(make_plan([p]), PRICES, now=NOW))["asg-odcr"]
    assert line.market == "on-demand" and line.unit_price_usd == 10.0
    assert "capacity reservation: billed at the on-demand rate" in line.source


def test_reservation_of_a_blocks_only_type_uses_the_block_rate_and_says_so():
    p = pool("gb", "gb.member", 1, ultra="u-gb", per=18, capacity={"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0"})
    line = by_resource(estimate(make_plan([p]), PRICES, now=NOW))["asg-gb-u0001"]
    assert line.market == "capacity-block" and line.unit_price_usd == 100.0
    assert "no on-demand rate: priced at the public capacity-block rate" in line.source


def test_unknown_prices_are_unpriced_with_reasons_never_zero():
    plan = make_plan([pool("new", "new.chip", 4), pool("sp", "gpu.big", 1, capacity={"type": "spot"})],
                     extra=[{"type": "aws:ec2/weird:Thing", "name": "odd", "inputs": {}}])
    r = estimate(plan, PRICES, now=NOW)
    reasons = {u.resource: u.reason for u in r.unpriced}
    assert "no public price" in reasons["asg-new"]
    assert "no spot price for gpu.big" in reasons["asg-sp"]
    assert reasons["odd"] == "no pricing rule for resource type aws:ec2/weird:Thing"
    assert "asg-new" not in by_resource(r) and "asg-sp" not in by_resource(r)
    assert r.to_json()["unpriced"][0]["reason"]


def test_network_lines_usage_and_free_resources():
    extra = [{"type": "aws:ec2/vpc:Vpc", "name": "vpc", "inputs": {}},
             {"type": "aws:ec2/natGateway:NatGateway", "name": "nat-a", "inputs": {}},
             {"type": "aws:ec2/eip:Eip", "name": "nat-eip-a", "inputs": {}},
             {"type": "aws:ec2/vpcEndpoint:VpcEndpoint", "name": "s3-endpoint",
              "inputs": {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"}},
             {"type": "aws:fsx/lustreFileSystem:LustreFileSystem", "name": "lustre",
              "inputs": {"storageCapacity": 2400, "deploymentType": "PERSISTENT_2", "perUnitStorageThroughput": 125}}]
    r = estimate(make_plan([pool("c", "cpu.small", 1, accel=None)], extra=extra), PRICES, now=NOW)
    lines = by_resource(r)
    assert lines["nat-a"].hourly_usd == 0.5 and lines["nat-eip-a"].hourly_usd == 0.25
    assert lines["s3-endpoint"].unit_price_usd == 0.0 and lines["s3-endpoint"].source == "tiny:0.0"
    assert lines["lustre"].monthly_usd == pytest.approx(2400 * 0.146)
    assert [u.item for u in r.usage] == ["nat-gateway-data"]
    assert r.free == {"aws:ec2/vpc:Vpc": 1, "aws:ec2/launchTemplate:LaunchTemplate": 1}
    assert lines["nat-a"].generation == "shared" and lines["nat-a"].phase == "whole term"


# -- budget gates ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "budget, status",
    [
        pytest.param({"monthly_usd": 1_000_000}, "ok", id="monthly-ok"),
        pytest.param({"monthly_usd": 7_500}, "warning", id="monthly-above-90pct"),
        pytest.param({"monthly_usd": 7_000}, "over", id="monthly-over"),
        pytest.param({"total_usd": 10_000_000}, "ok", id="total-ok"),
        pytest.param({"total_usd": 80_000}, "over", id="total-over"),
    ],
)
def test_budget_gates(budget, status):
    # 1 × gpu.big: 10 $/h; a 31-day month costs 7,440 $ (+ 100 GiB root volume); 12 months ≈ 87.7 K$
    budget = {"term_months": 12, "start": "2027-01-01", "source": {"file": "spec.yaml", "line": 30}, **budget}
    r = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES)
    assert r.budget.status == status


def test_over_budget_says_by_how_much_and_which_pools():
    budget = {"monthly_usd": 5_000, "term_months": 1, "start": "2027-01-01"}
    r = estimate(make_plan([pool("big", "gpu.big", 1), pool("small", "cpu.small", 1, accel=None)], budget), PRICES)
    gate = r.budget.gates[0]
    assert gate.status == "over" and gate.at == "2027-01"
    assert gate.over_by_usd == pytest.approx(gate.actual_usd - 5_000)
    assert [d.name for d in gate.drivers] == ["big", "small"]
    assert "over by $" in r.budget.messages[0] and "driven by big" in r.budget.messages[0]
    assert r.to_json()["budget"]["monthly"]["status"] == "over"


def test_unpriced_items_turn_ok_into_warning():
    r = estimate(make_plan([pool("new", "new.chip", 1)], {"monthly_usd": 1e9, "term_months": 1}), PRICES, now=NOW)
    assert r.budget.status == "warning"
    assert "could not price 1 item(s)" in r.budget.messages[-1]


def test_no_budget_is_ok_and_term_is_assumed():
    r = estimate(make_plan([pool("c", "cpu.small", 1, accel=None)]), PRICES, now=NOW)
    assert r.budget.status == "ok" and not r.budget.configured
    assert r.term.assumed and r.term.months == 12 and r.term.start == NOW


# -- bad input -----------------------------------------------------------------------------------------------
def test_pool_dates_out_of_order_name_the_field_and_line():
    p = pool("p", "gpu.big", 1, schedule={"start": "2027-05-01", "end": "2027-02-01", "months": None}, line=17)
    with pytest.raises(SpecError) as exc:
        estimate(make_plan([p]), PRICES)
    assert str(exc.value) == "spec.yaml:17: compute[0].end: pool p: end 2027-02-01 is not after start 2027-05-01"


def test_term_shorter_than_a_pool_is_a_spec_error():
    p = pool("late", "gpu.big", 1, schedule={"start": "2027-01-01", "end": "2028-01-01", "months": None}, line=12)
    budget = {"term_months": 6, "start": "2027-01-01", "source": {"file": "spec.yaml", "line": 40}}
    with pytest.raises(SpecError) as exc:
        estimate(make_plan([p], budget), PRICES)
    issue = exc.value.issues[0]
    assert (issue.path, issue.line) == ("budget.term_months", 40)
    assert "pool late (line 12) runs until 2028-01-01" in issue.message
    assert issue.hint == "raise term_months to at least 12 or end the pool earlier"


def test_pool_starting_after_the_term_is_a_spec_error():
    p = pool("later", "gpu.big", 1, schedule={"start": "2028-02-01", "end": None, "months": None})
    with pytest.raises(SpecError, match="ends 2027-07-01, before pool later .* starts"):
        estimate(make_plan([p], {"term_months": 6, "start": "2027-01-01"}), PRICES)


def test_pool_before_the_term_start_is_a_spec_error():
    p = pool("early", "gpu.big", 1, schedule={"start": "2026-06-01", "end": None, "months": None})
    with pytest.raises(SpecError, match="budget.start: the term starts 2027-01-01, but pool early"):
        estimate(make_plan([p], {"term_months": 6, "start": "2027-01-01"}), PRICES)


@pytest.mark.parametrize("key, value", [("monthly_usd", 0), ("total_usd", -5), ("term_months", 0)])
def test_zero_or_negative_budget_values_are_spec_errors(key, value):
    with pytest.raises(SpecError, match=f"budget.{key}: must be a number greater than 0"):
        estimate(make_plan([pool("c", "cpu.small", 1)], {key: value, "term_months": 12} | {key: value}), PRICES)


def test_region_without_prices_prices_every_line_as_unpriced_saying_why():
    report = estimate(make_plan([pool("c", "cpu.small", 1)], {"monthly_usd": 1000}, region="eu-nowhere-9"), PRICES)
    assert report.lines == [] and report.unpriced
    assert all("no prices for region eu-nowhere-9" in u.reason and "catalog refresh --prices --region eu-nowhere-9"
               in u.reason for u in report.unpriced)
    assert report.budget.status == "warning"  # could not price: never "ok", never a crash


# -- diff -------------------------------------------------------------------------------------------------------
def test_diff_per_resource():
    budget = {"term_months": 1, "start": "2027-01-01"}
    old_plan = make_plan([pool("gpu", "gpu.big", 2), pool("gone", "cpu.small", 1, accel=None)], budget)
    new_plan = make_plan([pool("gpu", "gpu.big", 3), pool("added", "cpu.small", 1, accel=None)], budget)
    d = diff_reports(estimate(old_plan, PRICES), estimate(new_plan, PRICES))
    changes = {x.resource: x for x in d.resources}
    assert changes["asg-gpu"].change == "changed"
    assert changes["asg-gpu"].monthly_delta_usd == pytest.approx(10 * 730)
    assert changes["asg-gpu"].term_delta_usd == pytest.approx(10 * 31 * 24)
    assert changes["asg-gone"].change == "removed" and changes["asg-added"].change == "added"
    assert d.monthly_delta_usd == pytest.approx(sum(x.monthly_delta_usd for x in d.resources))
    assert d.to_json()["term_delta_usd"] == pytest.approx(d.term_delta_usd)


def test_estimate_does_not_mutate_the_plan():
    plan = make_plan([pool("gpu", "gpu.big", 2)], {"monthly_usd": 10, "term_months": 2})
    before = copy.deepcopy(plan.to_json())
    estimate(plan, PRICES, now=NOW)
    assert plan.to_json() == before


def test_cost_output_flags_block_prices_older_than_their_quarter():
    """The GB200 block rate was quoted in Q3 2026: on 2026-12-01 it is stale and the line, the JSON and
    the text say so; on 2026-09-30 (same quarter) nothing is flagged."""
    from datetime import date

    import planner
    from planner.cost import estimate
    from planner.cost.render import render_text

    plan = planner.compile_spec("examples/gb200-capacity-block.yaml")
    report = estimate(plan, today=date(2026, 12, 1))
    assert [s["item"] for s in report.stale_prices] == ["u-p6e-gb200x72"]
    blocks = [line for line in report.lines if line.market == "capacity-block"]
    assert blocks and all("quarter" in line.stale for line in blocks)
    assert report.to_json()["prices"]["stale"][0]["as_of"] == "2026-09-19"
    text = render_text(report)
    assert "Stale prices (1)" in text and "STALE" in text
    assert estimate(plan, today=date(2026, 9, 30)).stale_prices == []


def test_nat_data_processing_is_listed_per_gb_when_the_price_file_leaves_the_unit_blank():
    """NAT gateway data processing is billed per GB (Amazon VPC pricing): a price file (`--prices`)
    whose nat-gateway-data entry has an empty `unit` still lists the usage-based charge per GB."""
    blank = build_prices([{"region": "us-east-1", "items": {
        "cpu.small": {"on-demand": entry(0.5)},
        "nat-gateway": {"on-demand": entry(0.5, "gateway-hour")},
        "nat-gateway-data": {"on-demand": entry(0.045, "")}}}])
    nat = {"type": "aws:ec2/natGateway:NatGateway", "name": "nat-a", "inputs": {}}
    r = estimate(make_plan([pool("c", "cpu.small", 1, accel=None)], extra=[nat]), blank, now=NOW)
    assert [(u.resource, u.item, u.unit, u.unit_price_usd) for u in r.usage] == [
        ("nat-a", "nat-gateway-data", "GB", 0.045)]
    assert r.to_json()["usage_based"][0]["unit"] == "GB"


def test_a_pool_that_ends_the_day_it_starts_is_refused():
    """A hand-written Plan (`ultraplan cost plan.json`) whose pool ends the day it starts runs for no
    hour: the estimate refuses it with the field and line, as for reversed dates, rather than pricing
    an empty window (the spec's own rule stops it before a compiled Plan)."""
    p = pool("p", "gpu.big", 1, schedule={"start": "2027-03-01", "end": "2027-03-01", "months": None}, line=21)
    with pytest.raises(SpecError) as exc:
        estimate(make_plan([p]), PRICES)
    assert str(exc.value) == "spec.yaml:21: compute[0].end: pool p: end 2027-03-01 is not after start 2027-03-01"
