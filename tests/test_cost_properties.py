"""Property-based: for any small Plan (random pools, markets, dates and budgets) `estimate` either
returns a report whose totals add up, or raises a SpecError naming a field; never anything else."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cost import estimate
from planner.errors import SpecError
from test_cost_estimate import PRICES, make_plan, pool

TYPES = ["gpu.big", "cpu.small", "new.chip", "unknown.type"]
CAPACITY = ["on-demand", "capacity-reservation", "capacity-block", "spot"]
DAY0 = date(2027, 1, 1)


@st.composite
def pools(draw):
    out = []
    for i in range(draw(st.integers(1, 4))):
        cap = {"type": draw(st.sampled_from(CAPACITY))}
        schedule = None
        if cap["type"] == "capacity-block":
            cap["start"] = (DAY0 + timedelta(days=draw(st.integers(-40, 400)))).isoformat()
            cap["days"] = draw(st.integers(1, 182))
        elif draw(st.booleans()):
            start = DAY0 + timedelta(days=draw(st.integers(-40, 400)))
            end = start + timedelta(days=draw(st.integers(-30, 700)))
            schedule = {"start": start.isoformat(),
                        "end": end.isoformat() if draw(st.booleans()) else None,
                        "months": None}
            if schedule["end"] is None:
                schedule["months"] = draw(st.one_of(st.none(), st.integers(1, 30)))
        out.append(pool(f"p{i}", draw(st.sampled_from(TYPES)), draw(st.integers(1, 50)), capacity=cap,
                        schedule=schedule, line=10 + i))
    return out


budgets = st.one_of(st.none(), st.fixed_dictionaries({
    "monthly_usd": st.one_of(st.none(), st.floats(1, 1e9)),
    "total_usd": st.one_of(st.none(), st.floats(1, 1e11)),
    "term_months": st.integers(1, 60),
    "start": st.one_of(st.none(), st.just("2027-01-01")),
}))


@settings(max_examples=120, deadline=None)
@given(pools(), budgets)
def test_totals_add_up_or_a_spec_error_names_a_field(pool_list, budget):
    plan = make_plan(pool_list, budget)
    try:
        r = estimate(plan, PRICES, now=DAY0)
    except SpecError as exc:
        assert exc.issues and all(i.path for i in exc.issues)
        return
    assert r.hourly_usd == pytest.approx(sum(l.quantity * l.unit_price_usd for l in r.lines if l.active_now))
    assert r.total_usd == pytest.approx(sum(l.term_usd for l in r.lines), rel=1e-9, abs=1e-6)
    assert len(r.timeline) == r.term.months
    assert all(l.unit_price_usd >= 0 and l.source for l in r.lines)
    assert all(u.reason for u in r.unpriced)
    # every pool's groups are either priced or unpriced, never dropped
    groups = {res.name for res in plan.resources() if res.type == "aws:autoscaling/group:Group"}
    assert groups == {l.resource for l in r.lines if l.resource.startswith("asg-")} | \
        {u.resource for u in r.unpriced if u.resource.startswith("asg-")}
    assert r.budget.status in ("ok", "warning", "over")
    r.to_json()
