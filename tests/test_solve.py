"""`ultraplan solve`: goals -> MIP (HiGHS) -> phased spec that validates and costs what the solver says.

No AWS: prices come from the bundled catalog, quotas from the goals file. The exhaustive-enumeration
test re-derives the optimum without the solver, by trying every whole-unit purchase plan.
"""
from __future__ import annotations

import itertools
import json
import os
import textwrap

import pytest

import planner
from planner.cost import estimate
from planner.errors import SpecError
from planner.solve import Infeasible, load_goals, parse_goals, solve
from planner.solve.offers import Periods
from planner.solve.spec_out import block_lengths, layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


SMALL = """\
    name: tiny
    region: us-east-1
    term: {start: 2027-01-01, months: 3}
    targets:
      - {date: 2027-01-01, gpus: 16}
      - {date: 2027-03-01, gpus: 24}
    options:
      - {instance_type: p5en.48xlarge, purchase: [on-demand, capacity-block], zones: [us-east-1b]}
      - {instance_type: p6-b200.48xlarge, purchase: [on-demand], zones: [us-east-1b]}
    limits:
      quotas: {L-4F9BB70B: 192}   # p5en capacity blocks: one instance's vCPUs
    objective: min-cost
"""


def exhaustive_optimum(doc, offers, periods) -> float:
    """The cheapest plan found by trying every count of every offer in every period (no solver)."""
    from planner.solve.model import requirements

    reqs = requirements(doc, periods)
    top = {o.id: -(-max(n for r in reqs for n, _ in r.per_period) // o.gpus_per_unit) for o in offers}
    best = float("inf")
    cells = [(o, t) for o in offers for t in range(periods.months) if o.period_cost[t] is not None]
    for counts in itertools.product(*[range(top[o.id] + 1) for o, _ in cells]):
        online = {}
        cost = 0.0
        for (o, t), n in zip(cells, counts):
            online[(o.id, t)] = n
            cost += n * o.period_cost[t]
        if cost >= best:
            continue
        ok = all(sum(o.gpus_per_unit * online.get((o.id, t), 0) for o in offers if r.matches(o)) >= need
                 for r in reqs for t, (need, _) in enumerate(r.per_period))
        for o in offers:  # the quota: vCPUs of p5en blocks online
            if o.quota_code in doc.quotas:
                for t in range(periods.months):
                    used = sum(x.vcpus_per_unit * online.get((x.id, t), 0) for x in offers if x.quota_code == o.quota_code)
                    ok = ok and used <= doc.quotas[o.quota_code]
        ok = ok and all(sum(online.get((o.id, t), 0) for o in offers if o.purchase == "capacity-block") <= 256
                        for t in range(periods.months))
        if ok:
            best = cost
    return best


def test_small_goals_solver_cost_equals_exhaustive_optimum(tmp_path):
    doc = load_goals(write(tmp_path, "goals.yaml", SMALL))
    sol = solve(doc, out_path=str(tmp_path / "out.yaml"), explain=False)
    assert sol.status == "optimal"
    optimum = exhaustive_optimum(doc, sol.offers, sol.periods)
    assert sol.objective_usd == pytest.approx(optimum, abs=0.005)
    # the quota binds: at most one p5en block instance, the rest on demand
    cb = next(o for o in sol.offers if o.purchase == "capacity-block")
    assert max(sol.units[cb.id]) == 1


def test_produced_spec_validates_and_costs_what_the_solver_says(tmp_path):
    doc = load_goals(os.path.join(ROOT, "goals", "small.yaml"))
    out = tmp_path / "solved.yaml"
    sol = solve(doc, out_path=str(out), explain=False)
    out.write_text(sol.spec_text)
    report = estimate(planner.compile_spec(str(out)))
    assert report.total_usd == pytest.approx(sol.total_usd, abs=0.01)  # to the cent
    assert not report.unpriced and report.budget.status in ("ok", "warning")
    assert report.total_usd <= doc.goals.budget.total_usd
    assert sum(sol.explanation["cost_by_year"].values()) == pytest.approx(sol.total_usd, abs=0.01)
    assert sum(sol.explanation["cost_by_option"].values()) == pytest.approx(sol.total_usd, abs=0.01)
    # every target date is met by what the spec runs
    for target in doc.goals.targets:
        online = sum(p["gpus"] for p, w in _pool_windows(report) if w[0] <= target.date < w[1])
        assert online >= target.gpus, target
    # savings plans and rate card show up as negotiated lines with their source
    negotiated = [line for line in report.lines if line.price_basis == "negotiated"]
    assert negotiated and all("rate card example-ppa" in line.source for line in negotiated)


def _pool_windows(report):
    """(GPUs, [start, end)) of every group line the cost report priced."""
    return [({"gpus": _gpus(line)}, (line.window.start or report.term.start, line.window.end or report.term.end))
            for line in report.lines if line.resource_type == "aws:autoscaling/group:Group"]


def _gpus(line) -> int:
    per = {"p5en.48xlarge": 8, "p6-b200.48xlarge": 8, "u-p6e-gb200x72": 72}
    return int(round(line.quantity * per[line.item]))


def test_solve_is_deterministic(tmp_path):
    doc = load_goals(os.path.join(ROOT, "goals", "small.yaml"))
    a = solve(doc, out_path=str(tmp_path / "a.yaml"), explain=False).spec_text
    b = solve(doc, out_path=str(tmp_path / "a.yaml"), explain=False).spec_text
    assert a == b


def test_quota_limited_ramp_is_infeasible_naming_the_quota(tmp_path):
    # 3 p5en instances are needed from March; the on-demand P quota holds one (192 vCPUs), blocks none.
    text = SMALL.replace("L-4F9BB70B: 192}", "L-4F9BB70B: 0, L-417A185B: 192}").replace(
        "      - {instance_type: p6-b200.48xlarge, purchase: [on-demand], zones: [us-east-1b]}\n", "")
    doc = load_goals(write(tmp_path, "goals.yaml", text))
    with pytest.raises(Infeasible) as err:
        solve(doc, explain=False)
    problems = err.value.problems
    assert err.value.exit_code == 1
    assert any(p["constraint"] == "limits: quota L-417A185B" for p in problems), problems
    quota = next(p for p in problems if p["constraint"] == "limits: quota L-417A185B")
    assert "request L-417A185B = 576 vCPUs (+384)" in quota["fix"] and "allows 192 vCPUs" in quota["message"]


def test_budget_below_the_cheapest_mix_is_infeasible_naming_the_budget(tmp_path):
    doc = load_goals(write(tmp_path, "goals.yaml", SMALL + "    budget: {total_usd: 100000}\n"))
    with pytest.raises(Infeasible) as err:
        solve(doc, explain=False)
    (problem,) = err.value.problems
    assert problem["constraint"] == "budget.total_usd"
    assert "raise budget.total_usd by $" in problem["fix"]
    # the smallest change really is enough: with the budget it names, the goals solve
    needed = float(problem["fix"].split(" to $")[1].split(", or")[0].replace(",", ""))
    ok = load_goals(write(tmp_path, "goals2.yaml", SMALL + f"    budget: {{total_usd: {needed + 1:.0f}}}\n"))
    assert solve(ok, explain=False).total_usd <= needed + 1


def test_cli_infeasible_exits_1_and_writes_nothing(tmp_path, capsys):
    from planner.cli import main

    goals = write(tmp_path, "goals.yaml", SMALL + "    budget: {total_usd: 100000}\n")
    out = tmp_path / "out.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["solve", goals, "--out", str(out)])
    assert exc.value.code == 1
    assert "budget.total_usd" in capsys.readouterr().out
    assert not out.exists()


def test_cli_json_gives_purchases_objective_and_binding(tmp_path, capsys):
    from planner.cli import main

    out = tmp_path / "out.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["solve", write(tmp_path, "goals.yaml", SMALL), "--out", str(out), "--format", "json"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "optimal" and data["total_usd"] > 0
    assert data["purchases"] and {"pool", "item", "purchase", "count"} <= set(data["purchases"][0])
    assert any(b["constraint"].startswith("limits: quota L-4F9BB70B") for b in data["binding"])
    assert abs(data["cost_check"]["difference_usd"]) < 0.01
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(out)])
    assert exc.value.code == 0


@pytest.mark.parametrize("snippet, path, words", [
    pytest.param("term: {start: 2027-01-01, months: 3}", "term.months", "required field is missing",
                 id="missing-months"),
    pytest.param("zones: [us-east-1b]}\n      - {instance_type: p6-b200", "options[0].zones[0]", "not in region",
                 id="zone-not-in-region"),
    pytest.param("objective: min-cost", "objective", "is not allowed", id="bad-objective"),
])
def test_goals_errors_name_field_line_and_fix(tmp_path, snippet, path, words):
    bad = {"missing-months": SMALL.replace("term: {start: 2027-01-01, months: 3}", "term: {start: 2027-01-01}"),
           "zone-not-in-region": SMALL.replace("zones: [us-east-1b]}\n      - {instance_type: p6-b200",
                                               "zones: [eu-west-1a]}\n      - {instance_type: p6-b200"),
           "bad-objective": SMALL.replace("objective: min-cost", "objective: cheapest")}
    key = {"term.months": "missing-months", "options[0].zones[0]": "zone-not-in-region", "objective": "bad-objective"}[path]
    with pytest.raises(SpecError) as err:
        load_goals(write(tmp_path, "goals.yaml", bad[key]))
    issue = next(i for i in err.value.issues if i.path == path)
    assert words in issue.message and issue.line is not None and issue.file.endswith("goals.yaml")


def test_unknown_type_in_goals_suggests_the_right_one():
    with pytest.raises(SpecError) as err:
        parse_goals(textwrap.dedent(SMALL).replace("p6-b200.48xlarge", "p6-b200.48xlage"), "g.yaml")
    issue = err.value.issues[0]
    assert issue.path == "options[1].instance_type" and issue.line == 9 and "p6-b200.48xlarge" in issue.hint


def test_max_gpu_hours_stays_within_budget(tmp_path):
    text = SMALL.replace("objective: min-cost", "objective: max-gpu-hours") + "    budget: {total_usd: 5000000}\n"
    doc = load_goals(write(tmp_path, "goals.yaml", text))
    sol = solve(doc, explain=False)
    assert sol.total_usd <= 5_000_000
    assert sol.explanation["gpu_hours"] > 0
    # one more unit of the cheapest offer for one period would break the budget
    cheapest = min(c for o in sol.offers for c in o.period_cost if c)
    assert sol.total_usd + cheapest > 5_000_000 - cheapest


def test_frontier_goals_solve_within_budget_and_cost_agrees(tmp_path):
    doc = load_goals(os.path.join(ROOT, "goals", "frontier.yaml"))
    sol = solve(doc, out_path=str(tmp_path / "frontier.yaml"), explain=False)
    assert sol.status == "optimal"
    assert sol.total_usd <= 38e9
    assert abs(sol.cost_check["difference_usd"]) < 0.01 and sol.cost_check["unpriced"] == 0
    ramp = sol.explanation["ramp"]
    assert max(r["gpus"] for r in ramp) >= 300_000
    kinds = {p["ultraserver"] for p in sol.spec["compute"] if "ultraserver" in p}
    assert kinds == {"u-p6e-gb200x72", "u-p6e-gb300x72"}


def test_layers_rebuild_the_step_function():
    units = [2, 5, 5, 3, 0, 4]
    out = layers(units)
    rebuilt = [sum(c for c, a, b in out if a <= t < b) for t in range(len(units))]
    assert rebuilt == units


@pytest.mark.parametrize("days", [1, 14, 15, 28, 31, 182, 183, 365, 2557])
def test_block_lengths_are_lengths_aws_sells(days):
    parts = block_lengths(days)
    assert sum(parts) == days
    assert all(1 <= p <= 14 or (p % 7 == 0 and p <= 182) for p in parts)


def test_periods_are_the_cost_timelines_months():
    p = Periods(__import__("datetime").date(2027, 1, 1), 3)
    assert [p.hours(t) for t in range(3)] == [31 * 24.0, 28 * 24.0, 31 * 24.0]


def test_quotas_come_from_an_account_snapshot(tmp_path):
    """The demo snapshot's on-demand P quota (13,000 vCPUs) holds 67 p5en instances; p5en blocks have 0."""
    snapshot = os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json")
    goals = f"""\
        name: ramp
        region: us-east-1
        term: {{start: 2027-01-01, months: 12}}
        targets:
          - {{date: 2027-01-01, gpus: 800}}
        options:
          - {{instance_type: p5en.48xlarge, purchase: [on-demand, capacity-block], zones: [us-east-1b]}}
        limits:
          account: {snapshot}
    """
    with pytest.raises(Infeasible) as err:
        solve(load_goals(write(tmp_path, "goals.yaml", goals)), explain=False)
    (problem,) = err.value.problems
    assert "Running On-Demand P instances allows 13,000 vCPUs" in problem["message"]
    assert problem["command"].endswith("--quota-code L-417A185B --desired-value 19200")
    ok = solve(load_goals(write(tmp_path, "ok.yaml", goals.replace("gpus: 800", "gpus: 536"))), explain=False)
    assert max(sum(row) for row in zip(*ok.units.values())) == 67


def test_max_per_zone_spreads_the_plan_over_zones(tmp_path):
    text = SMALL.replace("zones: [us-east-1b]}\n      - {instance_type: p6-b200",
                         "zones: [us-east-1b, us-east-1c]}\n      - {instance_type: p6-b200")
    text = text.replace("quotas: {L-4F9BB70B: 192}   # p5en capacity blocks: one instance's vCPUs",
                        "max_per_zone: {us-east-1b: 8}")
    sol = solve(load_goals(write(tmp_path, "goals.yaml", text)), explain=False)
    zones = {o.zone for o in sol.offers for n in sol.units.get(o.id, []) if n}
    assert zones == {"us-east-1b", "us-east-1c"}
    for t in range(sol.periods.months):
        assert sum(sol.units[o.id][t] * o.gpus_per_unit for o in sol.offers if o.zone == "us-east-1b") <= 8


def test_check_budget_gate_passes_on_the_produced_spec(tmp_path, capsys):
    """`check` prices the produced spec with the same rate card and its budget gate passes (other
    gates, e.g. policies on planned capacity blocks, are not this test's business)."""
    from planner.cli import main

    out = tmp_path / "solved.yaml"
    doc = load_goals(os.path.join(ROOT, "goals", "small.yaml"))
    sol = solve(doc, out_path=str(out), explain=False)
    out.write_text(sol.spec_text)
    with pytest.raises(SystemExit):
        main(["check", str(out), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["cost"]["budget"]["status"] in ("ok", "warning")
    assert report["cost"]["total_usd"] == pytest.approx(sol.total_usd, abs=0.01)
    assert not [v for v in report["violations"] if v["policy"].startswith(("cost.budget", "max-monthly-cost"))]
