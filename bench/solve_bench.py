"""How long `ultraplan solve` takes for a 7-year monthly ramp to 500K GPUs with 6 options (issue 13).

    python bench/solve_bench.py [--gpus 500000] [--months 84] [--time-limit 60] [--explain]

Writes a goals file (one target a month from 50,000 GPUs up to --gpus, GB300 from mid-2027, six
options: GB200 NVL72 and NVL36, GB300 NVL72, p6-b300, p6-b200, p5en; priced with the illustrative
frontier rate card) to a temporary folder, then prints the HiGHS time, the gap, the program's size,
the end-to-end time (goals -> spec -> priced back) and whether `ultraplan cost` agrees to the cent.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from planner.cost.timeline import add_months  # noqa: E402
from planner.solve import load_goals, solve  # noqa: E402
from planner.solve.model import build  # noqa: E402

AMI = "ami-0123456789abcdef0"


def goals_text(gpus: int, months: int, rates: str) -> str:
    start = dt.date(2027, 1, 1)
    lines = ["name: bench-ramp", "region: us-east-1", f"term: {{start: {start}, months: {months}}}",
             "budget: {total_usd: 400000000000}", "targets:"]
    first = 50_000
    for m in range(months):
        need = first + (gpus - first) * m // max(1, months - 1)
        lines.append(f"  - {{date: {add_months(start, m)}, gpus: {need}}}")
    lines.append(f"  - {{date: 2027-07-01, gpus: 20000, generation: gb300}}")
    lines += [
        "options:",
        f"  - {{ultraserver: u-p6e-gb200x72, purchase: [capacity-reservation, capacity-block], zones: [us-east-1-dfw-2a], ami: {AMI}}}",
        f"  - {{ultraserver: u-p6e-gb200x36, purchase: [capacity-block], zones: [us-east-1-dfw-2a], ami: {AMI}}}",
        f"  - {{ultraserver: u-p6e-gb300x72, purchase: [capacity-reservation], zones: [us-east-1-dfw-2a], from: 2027-07-01, ami: {AMI}}}",
        "  - {instance_type: p6-b300.48xlarge, purchase: [on-demand, savings-plan-3y], zones: [us-east-1b]}",
        "  - {instance_type: p6-b200.48xlarge, purchase: [on-demand, capacity-block], zones: [us-east-1b]}",
        "  - {instance_type: p5en.48xlarge, purchase: [on-demand, savings-plan-3y], zones: [us-east-1b]}",
        f"rates: {rates}",
        "objective: min-cost",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=84)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--explain", action="store_true", help="also time the relaxation re-solves")
    args = parser.parse_args()
    rates = os.path.join(ROOT, "goals", "frontier-rates.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "goals.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(goals_text(args.gpus, args.months, rates))
        began = time.perf_counter()
        doc = load_goals(path)
        sol = solve(doc, out_path=os.path.join(tmp, "solved.yaml"), time_limit=args.time_limit, explain=args.explain)
        total = time.perf_counter() - began
        prog = build(doc, sol.offers, sol.periods, sol.fixed_per_period).prog
    ints = sum(prog.integer)
    print(f"goals: {args.months} monthly targets up to {args.gpus:,} GPUs, {len(doc.goals.options)} options, "
          f"{len(sol.offers)} offers")
    print(f"program: {len(prog.cost):,} columns ({ints:,} integer), {len(prog.rows):,} rows")
    print(f"HiGHS: {sol.status}, gap {('%.4g %%' % (sol.gap * 100)) if sol.gap is not None else 'unknown'}, "
          f"{sol.seconds:.2f} s (time limit {args.time_limit:g} s, 1 thread)")
    print(f"end to end (goals -> spec -> priced back{' + relaxations' if args.explain else ''}): {total:.2f} s")
    print(f"plan: {len(sol.spec['compute'])} pools, total ${sol.total_usd:,.2f}; "
          f"`ultraplan cost` differs by ${abs(sol.cost_check['difference_usd']):.4f}")


if __name__ == "__main__":
    main()
