"""Rate cards and savings plans in `ultraplan cost`: negotiated prices override list prices as stated,
every line says list or negotiated and where its price comes from, a commitment is paid for its term."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest

import planner
from planner.cost import estimate
from planner.errors import SpecError
from planner.spec.ratecard import load_rate_card

SPEC = """\
    name: rated
    region: us-east-1
    availability_zone: us-east-1b
    compute:
      - name: h200
        instance_type: p5en.48xlarge
        count: 4
      - name: head
        instance_type: m7i.4xlarge
        count: 1
    budget: {total_usd: 100000000, term_months: 12, start: 2027-01-01}
"""

CARD = """\
    name: acme-2027
    source: "Private pricing addendum, signed 2026-11-20"
    rates:
      - {family: p5en, purchase: on-demand, discount_pct: 25, start: 2027-07-01}
      - {instance_type: m7i.4xlarge, usd_per_hour: 0.5}
"""


def _files(tmp_path, spec=SPEC, card=CARD):
    (tmp_path / "rates.yaml").write_text(textwrap.dedent(card))
    (tmp_path / "spec.yaml").write_text(textwrap.dedent(spec))
    return str(tmp_path / "spec.yaml"), str(tmp_path / "rates.yaml")


def _group_cost(report, pool):
    return sum(line.term_usd for line in report.lines if line.pool == pool and line.resource_type.endswith("group:Group"))


def test_rate_card_changes_totals_as_stated_and_every_line_names_its_source(tmp_path):
    spec, rates = _files(tmp_path)
    plan = planner.compile_spec(spec)
    listed = estimate(plan, today=dt.date(2026, 12, 1))
    rated = estimate(plan, today=dt.date(2026, 12, 1), rates=load_rate_card(rates))

    hours_h1 = (dt.date(2027, 7, 1) - dt.date(2027, 1, 1)).days * 24
    hours_h2 = (dt.date(2028, 1, 1) - dt.date(2027, 7, 1)).days * 24
    list_rate = 63.296 * 4
    assert _group_cost(listed, "h200") == pytest.approx(list_rate * (hours_h1 + hours_h2))
    # 25 % off from 2027-07-01 only: the first half stays at list
    assert _group_cost(rated, "h200") == pytest.approx(list_rate * hours_h1 + 0.75 * list_rate * hours_h2)
    assert _group_cost(rated, "head") == pytest.approx(0.5 * (hours_h1 + hours_h2))
    saved = listed.total_usd - rated.total_usd
    assert saved == pytest.approx(0.25 * list_rate * hours_h2 + (0.8064 - 0.5) * (hours_h1 + hours_h2))

    for line in rated.lines:
        assert line.price_basis in ("list", "negotiated") and line.source
        if line.price_basis == "negotiated":
            assert "rate card acme-2027 (Private pricing addendum, signed 2026-11-20)" in line.source
            assert line.list_price.startswith("list ")
    bases = {(line.pool, line.window.start, line.price_basis) for line in rated.lines if line.pool == "h200"
             and line.resource_type.endswith("group:Group")}
    assert bases == {("h200", dt.date(2027, 1, 1), "list"), ("h200", dt.date(2027, 7, 1), "negotiated")}
    assert rated.to_json()["prices"]["rate_card"]["name"] == "acme-2027"


def test_budget_rates_in_the_spec_are_read_relative_to_it(tmp_path):
    spec, _ = _files(tmp_path, SPEC.replace("start: 2027-01-01}", "start: 2027-01-01, rates: rates.yaml}"))
    report = estimate(planner.compile_spec(spec))
    assert any(line.price_basis == "negotiated" for line in report.lines)


def test_cost_cli_takes_rates_and_marks_lines(tmp_path, capsys):
    from planner.cli import main

    spec, rates = _files(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["cost", spec, "--rates", rates])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "Rate card: acme-2027" in out and "] negotiated: rate card acme-2027" in out and "] list: " in out


@pytest.mark.parametrize("card, path, words", [
    pytest.param("name: x\nsource: contract\nrates:\n  - {family: p5en, discount_pct: 120}\n", "rates[0].discount_pct",
                 "less than 100", id="discount-over-100"),
    pytest.param("name: x\nsource: contract\nrates:\n  - {family: p5en, usd_per_hour: 3}\n", "rates[0]",
                 "usd_per_hour needs instance_type or ultraserver", id="family-with-price"),
    pytest.param("name: x\nsource: contract\nrates:\n  - {instance_type: p5en.48xlarge, ultraserver: u-p6e-gb200x72, discount_pct: 5}\n",
                 "rates[0]", "exactly one of", id="two-selectors"),
    pytest.param("name: x\nsource: contract\nrates:\n  - {family: p5en, purchase: reserved, discount_pct: 5}\n",
                 "rates[0].purchase", "is not allowed", id="unknown-purchase"),
    pytest.param("name: x\nrates:\n  - {family: p5en, discount_pct: 5}\n", "source", "required", id="no-source"),
])
def test_rate_card_errors_name_field_and_line(tmp_path, card, path, words):
    f = tmp_path / "r.yaml"
    f.write_text(card)
    with pytest.raises(SpecError) as err:
        load_rate_card(str(f))
    issue = next(i for i in err.value.issues if i.path == path)
    assert words in issue.message and issue.file == str(f) and issue.line is not None


SP_SPEC = """\
    name: committed
    region: us-east-1
    availability_zone: us-east-1b
    compute:
      - {name: h200, instance_type: p5en.48xlarge, count: 2, start: 2027-01-01, end: 2027-04-01}
    budget:
      total_usd: 100000000
      term_months: 24
      start: 2027-01-01
      rates:
        name: sp
        source: "contract"
        rates:
          - {family: p5en, purchase: savings-plan-1y, discount_pct: 30}
      savings_plans:
        - {type: compute, years: 1, start: 2027-01-01, pools: [h200]}
"""


def test_savings_plan_is_paid_for_its_whole_term_used_or_not(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent(SP_SPEC))
    report = estimate(planner.compile_spec(str(tmp_path / "s.yaml")), today=dt.date(2026, 12, 1))
    sp = [line for line in report.lines if line.market == "savings-plan-1y"]
    assert len(sp) == 1 and sp[0].window.start == dt.date(2027, 1, 1) and sp[0].window.end == dt.date(2028, 1, 1)
    assert sp[0].unit_price_usd == pytest.approx(63.296 * 0.7) and "used or not" in sp[0].note
    months = {m.month: m.usd for m in report.timeline}
    # the pool stops in April; the commitment is still paid in December, and not after its year
    assert months["2027-12"] == pytest.approx(2 * 63.296 * 0.7 * 31 * 24 + 0.045 * 31 * 24 + 0.005 * 31 * 24, rel=1e-6)
    assert months["2028-02"] < 100


def test_savings_plan_without_a_rate_is_unpriced_with_the_published_range(tmp_path):
    text = SP_SPEC.replace("purchase: savings-plan-1y", "purchase: savings-plan-3y")
    (tmp_path / "s.yaml").write_text(textwrap.dedent(text))
    report = estimate(planner.compile_spec(str(tmp_path / "s.yaml")))
    (u,) = [u for u in report.unpriced if u.market == "savings-plan-1y"]
    assert "up to 66 %" in u.reason and "purchase: savings-plan-1y" in u.reason


def test_savings_plan_naming_a_missing_pool_is_a_spec_error(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent(SP_SPEC.replace("pools: [h200]", "pools: [h20]")))
    with pytest.raises(SpecError) as err:
        estimate(planner.compile_spec(str(tmp_path / "s.yaml")))
    assert err.value.issues[0].path == "budget.savings_plans[0].pools[0]" and "h200" in err.value.issues[0].hint


def test_gb300_is_priced_only_by_a_negotiated_dollar_rate(tmp_path):
    spec = """\
        name: gb300
        region: us-east-1
        availability_zone: us-east-1-dfw-2a
        network: {vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}
        compute:
          - name: nvl72
            ultraserver: u-p6e-gb300x72
            count: 2
            ami: ami-0123456789abcdef0
            capacity: {type: capacity-reservation, planned: true}
        budget: {total_usd: 100000000, term_months: 1, start: 2027-07-01}
    """
    (tmp_path / "g.yaml").write_text(textwrap.dedent(spec))
    plan = planner.compile_spec(str(tmp_path / "g.yaml"))
    assert estimate(plan).unpriced  # no public GB300 price
    card = tmp_path / "r.yaml"
    card.write_text("name: c\nsource: contract\nrates:\n  - {ultraserver: u-p6e-gb300x72, usd_per_hour: 200}\n")
    report = estimate(plan, rates=load_rate_card(str(card)))
    groups = [line for line in report.lines if line.resource_type.endswith("group:Group")]
    assert not [u for u in report.unpriced if u.resource_type.endswith("group:Group")]
    assert sum(line.term_usd for line in groups) == pytest.approx(2 * 200 * 31 * 24)
    assert all(line.price_basis == "negotiated" for line in groups)


def test_a_negotiated_rate_prices_an_unpriced_pool_only_while_the_pool_runs(tmp_path):
    # A GB300 pool that stops mid-term is paid at the card's $/hour for its own days, not to the term's
    # end, even when the card's rate changes after the pool has stopped.
    spec = """\
        name: gb300
        region: us-east-1
        availability_zone: us-east-1-dfw-2a
        network: {vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}
        compute:
          - name: nvl72
            ultraserver: u-p6e-gb300x72
            count: 2
            ami: ami-0123456789abcdef0
            capacity: {type: capacity-reservation, planned: true}
            start: 2027-07-01
            end: 2027-07-16
        budget: {total_usd: 100000000, term_months: 1, start: 2027-07-01}
    """
    (tmp_path / "g.yaml").write_text(textwrap.dedent(spec))
    card = tmp_path / "r.yaml"
    card.write_text("name: c\nsource: contract\nrates:\n  - {ultraserver: u-p6e-gb300x72, usd_per_hour: 200}\n"
                    "  - {ultraserver: u-p6e-gb300x72, usd_per_hour: 150, start: 2027-07-20}\n")
    report = estimate(planner.plan_file(str(tmp_path / "g.yaml")), rates=load_rate_card(str(card)))
    groups = [line for line in report.lines if line.resource_type.endswith("group:Group")]
    assert sum(line.term_usd for line in groups) == pytest.approx(2 * 200 * 15 * 24)
    assert {(line.window.start, line.window.end) for line in groups} == {(dt.date(2027, 7, 1), dt.date(2027, 7, 16))}


def test_a_family_entry_beats_a_generation_entry_listed_before_it(tmp_path):
    # More specific wins, whatever the order in the file: p5en (family) over p5 (generation).
    spec, _ = _files(tmp_path)
    plan = planner.plan_file(spec)
    card = tmp_path / "order.yaml"
    card.write_text("name: c\nsource: contract\nrates:\n  - {generation: p5, discount_pct: 10}\n"
                    "  - {family: p5en, discount_pct: 25}\n")
    listed = _group_cost(estimate(plan), "h200")
    assert _group_cost(estimate(plan, rates=load_rate_card(str(card))), "h200") == pytest.approx(listed * 0.75)


def test_an_instance_rate_prices_an_unpriced_ultraserver_pool_per_instance_hour(tmp_path):
    spec = """\
        name: gb300
        region: us-east-1
        availability_zone: us-east-1-dfw-2a
        network: {vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}
        compute:
          - name: nvl72
            ultraserver: u-p6e-gb300x72
            count: 2
            ami: ami-0123456789abcdef0
            capacity: {type: capacity-reservation, planned: true}
        budget: {total_usd: 100000000, term_months: 1, start: 2027-07-01}
    """
    (tmp_path / "g.yaml").write_text(textwrap.dedent(spec))
    card = tmp_path / "r.yaml"
    card.write_text("name: c\nsource: contract\nrates:\n  - {instance_type: p6e-gb300.36xlarge, usd_per_hour: 10}\n")
    report = estimate(planner.plan_file(str(tmp_path / "g.yaml")), rates=load_rate_card(str(card)))
    groups = [line for line in report.lines if line.resource_type.endswith("group:Group")]
    assert {(line.unit, line.unit_price_usd, line.quantity) for line in groups} == {("instance-hour", 10.0, 18.0)}
    assert sum(line.term_usd for line in groups) == pytest.approx(2 * 18 * 10 * 31 * 24)


def test_pool_hours_before_a_savings_plan_starts_are_billed_at_their_own_purchase_option(tmp_path):
    """A pool running from January under a plan that starts in April: January to March are on-demand
    at list price, April on is the plan's (rates.py `_subtract` keeps the piece before the cut)."""
    text = SP_SPEC.replace("end: 2027-04-01", "end: 2027-07-01").replace(
        "start: 2027-01-01, pools: [h200]", "start: 2027-04-01, pools: [h200]")
    (tmp_path / "s.yaml").write_text(textwrap.dedent(text))
    report = estimate(planner.compile_spec(str(tmp_path / "s.yaml")), today=dt.date(2026, 12, 1))
    groups = [line for line in report.lines if line.pool == "h200" and line.resource_type.endswith("group:Group")]
    before = [line for line in groups if line.market == "on-demand"]
    assert [(line.window.start, line.window.end, line.price_basis) for line in before] == [
        (dt.date(2027, 1, 1), dt.date(2027, 4, 1), "list")]
    hours = (dt.date(2027, 4, 1) - dt.date(2027, 1, 1)).days * 24
    assert before[0].term_usd == pytest.approx(2 * 63.296 * hours)
    months = {m.month: m.usd for m in report.timeline}
    assert months["2027-02"] >= 2 * 63.296 * 28 * 24  # February's bill has the two instances


def test_the_rate_functions_the_solver_shares_are_the_modules_public_names():
    """`planner.cost.rates` exports what the offer solver and a library user price with
    (`from planner.cost.rates import *`): each name in `__all__` exists, in_force among them."""
    import planner.cost.rates as rates

    names: dict = {}
    exec("from planner.cost.rates import *", names)  # fails on a name __all__ lists that is not there
    assert {"in_force", "unit_price", "Applier", "sp_window"} <= set(names)
    assert all(callable(getattr(rates, n)) for n in rates.__all__)
    # and they price: no card, list price; the generation of a family
    assert names["in_force"](None, {"family": "p5en"}, "on-demand", dt.date(2027, 1, 1)) is None
    assert names["generation"]("p6e-gb200") == "p6"
