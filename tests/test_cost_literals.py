"""Cost details the mutation bench found unpinned: the JSON report's documented keys, the budget
message's figures, the UltraServer-priced-per-member note, a group whose pool record lacks the
instance type (read from its launch template), and a block device without a size."""
from __future__ import annotations

from datetime import date

from test_cost_estimate import NOW, PRICES, by_resource, make_plan, pool, resources_for

import planner
from planner.cost import estimate
from planner.plan.model import Plan

# Every key docs/cost.md documents for `ultraplan cost --format json` (paths; [] is any list item).
JSON_KEYS = {
    "plan", "region", "currency", "now", "hourly_usd", "monthly_usd", "peak_month", "peak_month.month", "peak_month.usd",
    "term", "term.start", "term.end", "term.months", "term.assumed", "term.total_usd", "timeline", "timeline.[].month",
    "timeline.[].usd", "breakdown", "breakdown.generation", "breakdown.phase", "breakdown.pool",
    "breakdown.pool.[].name", "breakdown.pool.[].usd", "breakdown.pool.[].share", "breakdown.pool.[].unpriced",
    "breakdown.phase.[].name", "budget", "budget.status", "budget.configured", "budget.messages", "budget.monthly",
    "budget.monthly.name", "budget.monthly.limit_usd", "budget.monthly.actual_usd", "budget.monthly.used_pct",
    "budget.monthly.status", "budget.monthly.over_by_usd", "budget.monthly.at", "budget.monthly.drivers",
    "budget.monthly.drivers.[].name", "budget.monthly.drivers.[].usd", "budget.monthly.drivers.[].share",
    "budget.monthly.source", "budget.monthly.source.file", "budget.monthly.source.line", "budget.total",
    "budget.total.limit_usd", "budget.total.actual_usd", "lines", "lines.[].resource", "lines.[].type", "lines.[].pool",
    "lines.[].item", "lines.[].market", "lines.[].quantity", "lines.[].unit", "lines.[].unit_price_usd",
    "lines.[].hourly_usd", "lines.[].monthly_usd", "lines.[].term_usd", "lines.[].active_now", "lines.[].runs",
    "lines.[].runs.start", "lines.[].runs.end", "lines.[].generation", "lines.[].phase", "lines.[].list_price",
    "lines.[].price_basis", "lines.[].source", "lines.[].stale", "lines.[].as_of", "lines.[].note",
    "lines.[].spec_source", "lines.[].spec_source.file", "lines.[].spec_source.line", "unpriced", "unpriced.[].resource",
    "unpriced.[].item", "unpriced.[].market", "unpriced.[].reason", "coverage", "coverage.accelerator_hours",
    "coverage.accelerator_hours_priced", "coverage.priced_share", "coverage.unpriced_pools", "usage_based",
    "usage_based.[].resource", "usage_based.[].item", "usage_based.[].unit", "usage_based.[].unit_price_usd",
    "usage_based.[].source", "usage_based.[].note", "free", "prices", "prices.as_of", "prices.files", "prices.stale",
    "prices.stale.[].item", "prices.stale.[].market", "prices.stale.[].as_of", "prices.stale.[].reason",
    "prices.rate_card",
}


def key_paths(value, prefix=""):
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(prefix + k)
            if not prefix.startswith("free"):
                out |= key_paths(v, prefix + k + ".")
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, prefix + "[].")
    return out


def test_json_report_has_every_documented_key():
    report = estimate(planner.compile_spec("examples/gb200-capacity-block.yaml"), now=date(2026, 11, 23))
    doc = report.to_json()
    missing = JSON_KEYS - key_paths(doc)
    assert not missing, sorted(missing)
    assert doc["now"] == "2026-11-23" and doc["budget"]["configured"] is True
    assert [p["name"] for p in doc["breakdown"]["phase"]] == ["2026-12-07 → 2027-06-07", "whole term"]
    assert doc["prices"]["files"] and all(f.endswith(".yaml") for f in doc["prices"]["files"])


def test_budget_message_gives_the_share_in_percent():
    budget = {"monthly_usd": 10_000, "term_months": 12, "start": "2027-01-01", "source": {"file": "spec.yaml", "line": 30}}
    r = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES)
    # 1 x 10 USD/h over January's 744.7 h... as the cost model counts the month: 7,447 USD.
    assert r.budget.messages == ("monthly budget: peak month 2027-01 $7,447 is 74.5 % of $10,000",)
    [gate] = [g for g in r.budget.gates if g.name == "monthly"]
    assert gate.to_json()["limit_usd"] == 10_000


def test_ultraserver_without_its_own_price_is_priced_per_member_and_says_so():
    p = pool("nvl", "gpu.big", 2, ultra="u-none", per=4,
             capacity={"type": "capacity-block", "start": "2027-01-01", "days": 7})
    r = estimate(make_plan([p], {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    lines = by_resource(r)
    assert (lines["asg-nvl-u0001"].item, lines["asg-nvl-u0001"].note) == (
        "gpu.big", "u-none has no capacity-block UltraServer price; priced per member instance")
    assert lines["asg-nvl-u0001"].quantity == 4


def test_group_priced_from_its_launch_template_when_the_pool_record_has_no_type():
    p = pool("gpu", "gpu.big", 2)
    compute = resources_for(p)
    compute[1]["inputs"]["launchTemplate"] = {"id": {"$ref": "lt-gpu", "attr": "id"}, "version": "1"}
    p = {**p, "instance_type": None}
    plan = Plan.from_json({"name": "t", "region": "us-east-1", "spec_file": "spec.yaml", "pools": [p], "budget": None,
                           "stacks": [{"name": "compute-1", "resources": compute}]})
    r = estimate(plan, PRICES, now=NOW)
    asg = by_resource(r)["asg-gpu"]
    assert (asg.item, asg.quantity, asg.unit_price_usd) == ("gpu.big", 2, 10.0)


def test_block_device_without_a_size_adds_no_volume_line():
    p = pool("gpu", "gpu.big", 2)
    compute = resources_for(p)
    compute[0]["inputs"]["blockDeviceMappings"] = [{"deviceName": "/dev/xvda", "ebs": {"volumeType": "gp3"}},
                                                   {"deviceName": "/dev/sdf", "ebs": {"volumeSize": 50}}]
    plan = Plan.from_json({"name": "t", "region": "us-east-1", "spec_file": "spec.yaml", "pools": [p], "budget": None,
                           "stacks": [{"name": "compute-1", "resources": compute}]})
    r = estimate(plan, PRICES, now=NOW)
    volumes = [line for line in r.lines if line.item == "ebs-gp3"]
    assert [(line.resource, line.quantity) for line in volumes] == [("lt-gpu", 100.0)]  # 2 x 50 GiB


def test_generation_comes_from_the_instance_type():
    """The generation a line is grouped under is the instance type's family and accelerator, read
    from the type itself (a pool record without `family`, as older Plans have, groups the same)."""
    from planner.cost.lines import generation_of

    assert generation_of({"instance_type": "p6e-gb200.36xlarge", "accelerator": "NVIDIA B200"}) == "p6e-gb200 (NVIDIA B200)"
    assert generation_of({"instance_type": "m7i.large", "family": "m7i"}) == "m7i (CPU)"
    assert generation_of({"family": "trn2", "accelerator": "AWS Trainium2"}) == "trn2 (AWS Trainium2)"


def test_money_is_shown_with_the_precision_of_its_size():
    from planner.cost.render import usd

    assert [usd(x) for x in (0, 0.0731, 0.5, 1.5, 12.345, 99.994, 150.4, 1_234_567.8, -2.5)] == [
        "$0", "$0.0731", "$0.5000", "$1.50", "$12.35", "$99.99", "$150", "$1,234,568", "-$2.50"]


def test_a_grouped_row_keeps_the_note_of_its_first_line():
    """Groups of one pool collapse into one row; the UltraServer per-member note stays on it."""
    from planner.cost.render import group_lines

    p = pool("nvl", "gpu.big", 2, ultra="u-none", per=4,
             capacity={"type": "capacity-block", "start": "2027-01-01", "days": 7})
    r = estimate(make_plan([p], {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    [row] = [row for row in group_lines(r.lines) if row.item == "gpu.big"]
    assert row.names == ["asg-nvl-u0001", "asg-nvl-u0002"]
    assert row.notes == {"u-none has no capacity-block UltraServer price; priced per member instance"}


def test_a_block_that_ends_when_it_starts_is_refused():
    import pytest

    from planner.errors import SpecError

    p = pool("gpu", "gpu.big", 1, capacity={"type": "capacity-block", "start": "2027-01-05", "end": "2027-01-05"})
    with pytest.raises(SpecError) as exc:
        estimate(make_plan([p], {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    assert [(i.path, i.message) for i in exc.value.issues] == [
        ("compute[0].capacity.end", "capacity block end 2027-01-05 is not after its start 2027-01-05")]


def test_text_and_markdown_name_unpriced_items_by_pool_or_shared():
    from planner.cost.render import _group_unpriced, render_markdown

    p = pool("new", "new.chip", 1)
    nat = {"type": "aws:ec2/natGateway:NatGateway", "name": "nat-x", "inputs": {}}
    r = estimate(make_plan([p, pool("gpu", "gpu.big", 1)], {"term_months": 1, "start": "2027-01-01"}, extra=[nat]),
                 PRICES, now=NOW)
    groups = _group_unpriced(r)
    assert any(g.startswith("asg-new [new] new.chip: ") for g in groups), groups
    md = render_markdown(r)
    # Phases and generations with nothing unpriced show no "+ 0 unpriced".
    assert "+ 0 unpriced" not in md and "+ 1 unpriced" in md


def test_text_diff_lists_each_changed_resource():
    from planner.cost.diff import diff_reports
    from planner.cost.render import render_diff_text

    budget = {"term_months": 1, "start": "2027-01-01"}
    old = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES, now=NOW)
    new = estimate(make_plan([pool("gpu", "gpu.big", 1), pool("cpu", "cpu.small", 2)], budget), PRICES, now=NOW)
    text = render_diff_text(diff_reports(old, new))
    rows = [line for line in text.splitlines() if "asg-cpu" in line]
    assert len(rows) == 1 and "+" in rows[0] and "cpu" in rows[0]


def _table_cells(text: str, header_word: str) -> tuple[list[str], list[list[str]]]:
    """The header names and the data rows' cells (padding kept) of the rich table under `header_word`."""
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if "┃" in line and header_word in line)
    names = [c.strip() for c in lines[head].split("┃")[1:-1]]
    rows = [line.split("│")[1:-1] for line in lines[head + 1:] if line.count("│") == len(names) + 1]
    return names, rows


def _aligned(cell: str, justify: str) -> bool:
    value = cell.strip()
    return cell == (" " + value.rjust(len(cell) - 2) + " " if justify == "right" else " " + value.ljust(len(cell) - 2) + " ")


def test_figures_line_up_on_the_right_and_names_on_the_left():
    # Quantities, prices and totals are read down a column: their last digits must line up.
    from planner.cost.render import render_text

    pools = [pool("gpu", "gpu.big", 12), pool("cpu", "cpu.small", 1)]
    r = estimate(make_plan(pools, {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    names, rows = _table_cells(render_text(r, width=160), "Resource")
    assert names[:8] == ["Resource", "Pool", "Qty", "Unit", "Unit price", "Hourly", "Monthly", "Term (1 mo)"]
    right = {"Qty", "Unit price", "Hourly", "Monthly", "Term (1 mo)", "Src"}
    assert len(rows) >= 2
    for row in rows:
        for name, cell in zip(names, row):
            assert _aligned(cell, "right" if name in right else "left"), (name, cell)
    # The rows differ in width in each figure column, so a left-aligned figure would show.
    for i, name in enumerate(names):
        if name in right - {"Src"}:
            assert len({len(row[i].strip()) for row in rows}) > 1, name


def test_diff_figures_line_up_on_the_right():
    from planner.cost.diff import diff_reports
    from planner.cost.render import render_diff_text

    budget = {"term_months": 1, "start": "2027-01-01"}
    old = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES, now=NOW)
    new = estimate(make_plan([pool("gpu", "gpu.big", 12), pool("cpu", "cpu.small", 1)], budget), PRICES, now=NOW)
    names, rows = _table_cells(render_diff_text(diff_reports(old, new)), "Resource")
    assert names == ["", "Resource", "Pool", "Monthly Δ", "Term Δ"]
    for row in rows:
        for name, cell in zip(names, row):
            assert _aligned(cell, "right" if "Δ" in name else "left"), (name, cell)
    for i in (3, 4):
        assert len({len(row[i].strip()) for row in rows}) > 1, names[i]


def test_a_pool_that_starts_mid_term_says_when_it_runs():
    # A pool with only a start (runs to the term's end) shows its dates, not the phase name.
    from planner.cost.render import group_lines

    late = pool("late", "gpu.big", 1, schedule={"start": "2027-01-15"})
    r = estimate(make_plan([late, pool("gpu", "cpu.small", 1)], {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    runs = {row.pool: row.runs for row in group_lines(r.lines) if row.item in ("gpu.big", "cpu.small")}
    assert runs == {"late": "2027-01-15 → term end", "gpu": "whole term"}


def test_budget_status_is_coloured_when_colour_is_on():
    from planner.cost.render import render_text

    budget = {"term_months": 1, "start": "2027-01-01"}
    over = estimate(make_plan([pool("gpu", "gpu.big", 1)], {**budget, "total_usd": 1}), PRICES, now=NOW)
    ok = estimate(make_plan([pool("gpu", "gpu.big", 1)], {**budget, "total_usd": 10**9}), PRICES, now=NOW)
    # rich's SGR codes: bold (1) red (31) / bold green (32), around the status word only.
    assert "Budget: \x1b[1;31mOVER\x1b[0m" in render_text(over, color=True)
    assert "Budget: \x1b[1;32mOK\x1b[0m" in render_text(ok, color=True)
    assert "\x1b[" not in render_text(ok, color=False)


def test_a_terminal_exactly_as_wide_as_the_table_shows_every_column():
    from planner.cost.render import render_text

    r = estimate(make_plan([pool("gpu", "gpu.big", 12), pool("cpu", "cpu.small", 1)],
                           {"term_months": 1, "start": "2027-01-01"}), PRICES, now=NOW)
    wide = render_text(r, width=200)
    table_width = max(len(line) for line in wide.splitlines() if "┃" in line)
    assert "hidden at this width" not in render_text(r, width=table_width)
    assert "hidden at this width" in render_text(r, width=table_width - 1)


def test_the_priced_share_is_shown_only_when_something_is_unpriced():
    from planner.cost.render import render_text

    budget = {"term_months": 1, "start": "2027-01-01"}
    priced = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES, now=NOW)
    partly = estimate(make_plan([pool("gpu", "gpu.big", 1), pool("new", "new.chip", 1)], budget), PRICES, now=NOW)
    assert "Priced:" not in render_text(priced)
    assert "(unpriced pools: new)" in render_text(partly)


def test_diff_per_resource_term_changes_add_up_to_the_term_total():
    """Each resource's term cost in a cost diff is the sum of its own lines, nothing more: an added
    resource's `new_term_usd` is what the new report charges for it, and the per-resource term
    deltas add up to the diff's term total (a reviewer reconciles the two)."""
    from planner.cost.diff import diff_reports

    budget = {"term_months": 1, "start": "2027-01-01"}
    old = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES, now=NOW)
    new = estimate(make_plan([pool("gpu", "gpu.big", 1), pool("cpu", "cpu.small", 2)], budget), PRICES, now=NOW)
    doc = diff_reports(old, new).to_json()
    (added,) = [r for r in doc["resources"] if r["resource"] == "asg-cpu"]
    charged = sum(line.term_usd for line in new.lines if line.resource == "asg-cpu")
    assert added["change"] == "added" and added["old_term_usd"] == 0.0
    assert abs(added["new_term_usd"] - charged) < 1e-6 and abs(added["term_delta_usd"] - charged) < 1e-6
    assert abs(sum(r["term_delta_usd"] for r in doc["resources"]) - doc["term_delta_usd"]) < 1e-6


def test_a_source_note_with_a_word_wider_than_the_terminal_is_folded_not_cut(tmp_path):
    """A rate card's source is often a contract URL longer than a line: in the 80-column sources
    list it folds onto the indented lines below, every character kept (a cut URL cannot be opened)."""
    import datetime as dt

    from test_cost_rates import SPEC, _files

    from planner.cost.render import render_text
    from planner.spec.ratecard import load_rate_card

    url = "https://contracts.example.com/aws/private-pricing/acme-2027/addendum-7/schedule-b-gpu-instances.pdf"
    card = f"""\
        name: acme-2027
        source: "{url}"
        rates:
          - {{instance_type: m7i.4xlarge, usd_per_hour: 0.5}}
    """
    spec, rates = _files(tmp_path, card=card)
    r = estimate(planner.compile_spec(spec), today=dt.date(2026, 12, 1), rates=load_rate_card(rates))
    lines = render_text(r, width=80).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("[") and "rate card acme-2027" in line)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    assert end - start >= 3 and all(len(line) <= 80 for line in lines[start:end])
    assert url in "".join(line.strip() for line in lines[start:end])
    assert "instance_type m7i.4xlarge any purchase: 0.5 USD/h" in " ".join(line.strip() for line in lines[start:end])


def test_diff_rows_group_resources_whose_changes_print_the_same():
    """`cost --diff` folds resources of one pool whose changes read the same into one row: amounts
    under $1 are shown to 4 decimals, so two nodes +$0.12341 and +$0.12342 over the term (prices with
    more decimals than shown, or float noise) both read +$0.1234 and make one "(×2)" row."""
    from planner.cost.diff import CostDiff, ResourceDelta
    from planner.cost.render import render_diff_text

    budget = {"term_months": 1, "start": "2027-01-01"}
    old = estimate(make_plan([pool("gpu", "gpu.big", 1)], budget), PRICES, now=NOW)
    deltas = (ResourceDelta("vol1", "gpu", "changed", 1.0, 1.01, 10.0, 10.12341),
              ResourceDelta("vol2", "gpu", "changed", 1.0, 1.01, 10.0, 10.12342))
    text = render_diff_text(CostDiff(old, old, deltas), width=100)
    rows = [line for line in text.splitlines() if "vol" in line]
    assert len(rows) == 1 and "vol1 … vol2 (×2)" in rows[0], text
    assert "+$0.2468" in rows[0] and "+$0.0200" in rows[0]
