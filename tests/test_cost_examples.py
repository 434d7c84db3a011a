"""`ultraplan cost` on every example and on small specs: JSON invariants, budget exit codes, Markdown
and --diff output, the frontier figure, and the time it takes."""
from __future__ import annotations

import json
import os
from unittest import mock

import pytest

import planner
from conftest import BASE_SPEC, EXAMPLES
from planner.cli import main
from planner.cost import estimate


def cost(capsys, *args):
    # A wide terminal: these tests read the content; tests/test_terminal_fit.py checks 80 columns.
    with pytest.raises(SystemExit) as exc, mock.patch.dict(os.environ, {"COLUMNS": "200"}):
        main(["cost", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


@pytest.fixture(scope="module")
def reports():
    return {os.path.basename(p): estimate(planner.compile_spec(p)) for p in EXAMPLES}


@pytest.mark.parametrize("example", [os.path.basename(p) for p in EXAMPLES])
def test_every_example_prices_and_hourly_is_the_sum_of_its_lines(example, reports):
    data = json.loads(json.dumps(reports[example].to_json()))
    for key in ("currency", "hourly_usd", "monthly_usd", "term", "lines", "unpriced", "budget"):
        assert key in data
    assert data["currency"] == "USD" and {"months", "total_usd"} <= set(data["term"])
    assert data["budget"]["status"] in ("ok", "warning", "over")
    assert data["lines"], "an example with no priced line"
    for line in data["lines"]:
        assert line["hourly_usd"] == pytest.approx(line["quantity"] * line["unit_price_usd"])
        assert line["monthly_usd"] == pytest.approx(line["hourly_usd"] * 730)
        assert line["source"] and line["unit"]
    active = [l for l in data["lines"] if l["active_now"]]
    assert data["hourly_usd"] == pytest.approx(sum(l["quantity"] * l["unit_price_usd"] for l in active))
    assert data["monthly_usd"] == pytest.approx(data["hourly_usd"] * 730)
    assert data["term"]["total_usd"] == pytest.approx(sum(m["usd"] for m in data["timeline"]))
    assert data["term"]["total_usd"] == pytest.approx(sum(l["term_usd"] for l in data["lines"]))
    assert len(data["timeline"]) == data["term"]["months"]


@pytest.mark.parametrize("example", [os.path.basename(p) for p in EXAMPLES])
def test_every_unpriced_item_is_explained(example, reports):
    for item in reports[example].unpriced:
        assert item.reason and item.item, item
        assert not item.reason.startswith("no pricing rule"), item  # every resource type the compiler emits is known


def test_which_example_items_are_unpriced(reports):
    """The documented gaps (docs/cost.md): GB300 and Trainium2 prices, FSx tiers above 125 MB/s/TiB,
    c7i, and us-east-2 storage. Anything else unpriced is a regression."""
    seen = {(name, u.item) for name, r in reports.items() for u in r.unpriced}
    assert seen <= {
        ("frontier.yaml", "u-p6e-gb300x72"), ("frontier.yaml", "fsx-lustre:PERSISTENT_2:250"),
        ("gb200-capacity-block.yaml", "fsx-lustre:PERSISTENT_2:250"),
        ("mixed-p5en-p6.yaml", "fsx-lustre:PERSISTENT_2:250"),
        ("p5-on-demand-fsx.yaml", "fsx-lustre:PERSISTENT_2:500"),
        ("trn2-ultraserver.yaml", "u-trn2x64"), ("trn2-ultraserver.yaml", "c7i.8xlarge"),
        ("trn2-ultraserver.yaml", "ebs-gp3"), ("trn2-ultraserver.yaml", "fsx-lustre:PERSISTENT_2:250"),
    }, seen


def test_frontier_term_cost_at_its_rate_card_with_generation_and_phase_shares(capsys, reports):
    """frontier.yaml prices through its (illustrative) negotiated rate card: GB300, which has no public
    price, is priced only by the card's usd_per_hour, and the term total sits under the $75B budget."""
    r = reports["frontier.yaml"]
    assert r.term.months == 84
    gens = {s.name.split(" ")[0]: s for s in r.by_generation}
    assert {"p6e-gb200", "p6e-gb300", "m7i", "shared"} <= set(gens)
    assert gens["p6e-gb300"].unpriced == 0  # priced by the rate card's usd_per_hour, not a list price
    assert r.coverage["unpriced_pools"] == [] and r.coverage["priced_share"] == 1.0
    assert sum(s.share for s in r.by_generation) == pytest.approx(1.0)
    assert {s.name for s in r.by_phase} >= {"2026-12-01 → term end", "2027-07-01 → term end"}
    code, out, _ = cost(capsys, "examples/frontier.yaml")
    assert "vs budget.total_usd $75,000,000,000 ($75.00B)" in out
    assert "Rate card: frontier-illustrative" in out and "negotiated" in out
    assert "By generation" in out and "By phase" in out
    assert code == 0


def test_the_frontier_plan_prices_month_by_month_over_its_term():
    """How fast is bench/cost_bench.py's business (no timing asserts here); this pins what it prices."""
    plan = planner.compile_spec("examples/frontier.yaml")
    report = estimate(plan)
    data = report.to_json()
    assert report.term.months == 84 and len(report.timeline) == 84
    assert data["timeline"][0]["month"] == "2026-12"


# -- budget exit codes -------------------------------------------------------------------------------------
def spec_with_budget(write_spec, budget: str) -> str:
    return write_spec(BASE_SPEC + f"budget: {budget}\n")


def test_under_budget_exits_0(write_spec, capsys):
    code, out, _ = cost(capsys, spec_with_budget(write_spec, "{monthly_usd: 1000000, term_months: 12}"), "--now", "2027-01-01")
    assert code == 0 and "Budget: OK" in out


def test_over_budget_exits_1_and_says_why(write_spec, capsys):
    code, out, _ = cost(capsys, spec_with_budget(write_spec, "{monthly_usd: 50000, term_months: 12}"), "--now", "2027-01-01")
    assert code == 1
    assert "Budget: OVER" in out and "over by $" in out and "driven by gpu" in out


def test_above_90_percent_warns_but_exits_0(write_spec, capsys):
    # 2 × p5.48xlarge at 55.04 $/h: a 31-day month is 81,899.52 $ plus 400 GiB of gp3 and a NAT gateway
    code, out, _ = cost(capsys, spec_with_budget(write_spec, "{monthly_usd: 85000, term_months: 12}"), "--now", "2027-01-01")
    assert code == 0 and "Budget: WARNING" in out and "(above 90%)" in out


def test_json_budget_block(write_spec, capsys):
    code, out, _ = cost(capsys, spec_with_budget(write_spec, "{monthly_usd: 50000, total_usd: 1000000, term_months: 12}"),
                        "--format", "json", "--now", "2027-01-01")
    data = json.loads(out)
    assert code == 1
    assert data["budget"]["status"] == "over"
    assert data["budget"]["monthly"]["status"] == "over" and data["budget"]["total"]["status"] == "warning"
    assert data["budget"]["monthly"]["drivers"][0]["name"] == "gpu"


def test_bad_dates_exit_2_with_the_line(write_spec, capsys):
    spec = write_spec(BASE_SPEC + "    start: 2027-01-01\n    end: 2030-01-01\nbudget: {monthly_usd: 1000000000, term_months: 12}\n")
    code, _, err = cost(capsys, spec)
    assert code == 2
    assert "budget.term_months" in err and "runs until 2030-01-01" in err


# -- markdown and diff -------------------------------------------------------------------------------------
def test_markdown_for_a_pull_request(capsys):
    code, out, _ = cost(capsys, "examples/gb200-capacity-block.yaml", "--format", "markdown")
    assert code == 0
    assert out.startswith("### ultraplan cost: `gb200-pretrain` (us-east-1)")
    assert "| | Hourly now | Monthly run rate | Term total |" in out
    assert "**Budget:** ⚠️ warning" in out
    assert "| Generation | Term | Share |" in out and "<details><summary>Lines</summary>" in out
    assert "`asg-trainers-u0001 … asg-trainers-u0004 (×4)` | trainers | 4 | UltraServer-hour | $761.904 |" in out
    assert "**Could not price (1)**" in out and "fsx-lustre:PERSISTENT_2:250" in out


def test_diff_against_an_older_plan(write_spec, tmp_path, capsys):
    old_plan = planner.compile_spec(write_spec(BASE_SPEC, "old.yaml"))
    old_path = tmp_path / "old-plan.json"
    old_path.write_text(old_plan.dumps())
    new_spec = write_spec(BASE_SPEC.replace("count: 2", "count: 3"), "new.yaml")

    code, out, _ = cost(capsys, new_spec, "--diff", str(old_path), "--format", "markdown", "--now", "2027-01-01")
    assert code == 0
    assert "### ultraplan cost diff: `demo` → `demo`" in out
    assert "| Monthly run rate | $80,427 | $120,622 | +$40,195 (+50.0%) |" in out
    assert "| ~ | `asg-gpu` | gpu | +$40,179 | +$482,150 |" in out

    code, out, _ = cost(capsys, new_spec, "--diff", str(old_path), "--format", "json", "--now", "2027-01-01")
    data = json.loads(out)
    assert data["monthly_delta_usd"] == pytest.approx(55.04 * 730 + 200 * 0.08)
    assert {r["resource"] for r in data["resources"]} == {"asg-gpu", "lt-gpu"}

    code, out, _ = cost(capsys, new_spec, "--diff", str(old_path), "--now", "2027-01-01")
    assert "Monthly run rate: $80,427 → $120,622: +$40,195 (+50.0%)" in out


def test_text_table_lists_lines_with_sources(capsys):
    code, out, _ = cost(capsys, "examples/p5-on-demand-fsx.yaml", "--now", "2027-01-01")
    assert code == 0
    assert "Cost of " in out and "instance-hour" in out and "$55.04" in out
    # Every line says list or negotiated, and sources name an AWS page or API, never a repository path.
    assert "] list: AWS Price List API (service AmazonEC2" in out and "aws-gpu-facts" not in out and "../" not in out
    assert "Usage-based, not in the estimate" in out and "nat-gateway-data" in out
