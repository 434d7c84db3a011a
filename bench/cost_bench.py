"""How long pricing the frontier Plan takes (issue 3: "well under a second").

    python bench/cost_bench.py [SPEC] [--repeat N]

Compiles the spec once (not timed), then times `planner.cost.estimate(plan)` and `report.to_json()`
separately, best of N runs, with the price catalog already loaded (it is loaded once per process).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import planner  # noqa: E402
from planner.catalog.prices import load_prices  # noqa: E402
from planner.cost import estimate  # noqa: E402


def best_of(n: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=os.path.join(ROOT, "examples", "frontier.yaml"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    prices = load_prices()
    load_s = time.perf_counter() - start
    plan = planner.compile_spec(args.spec)
    resources = sum(1 for _ in plan.resources())

    est_s, report = best_of(args.repeat, lambda: estimate(plan, prices))
    json_s, _ = best_of(args.repeat, report.to_json)
    print(f"spec: {os.path.relpath(args.spec, ROOT)}  resources: {resources:,}  GPUs: {plan.summary.get('gpus', '?'):,}")
    print(f"lines: {len(report.lines):,} priced, {len(report.unpriced):,} unpriced; term {report.term.months} months")
    print(f"price catalog load: {load_s * 1000:.1f} ms (once per process)")
    print(f"estimate(plan):     {est_s * 1000:.1f} ms (best of {args.repeat})")
    print(f"report.to_json():   {json_s * 1000:.1f} ms (best of {args.repeat})")
    print(f"term total: ${report.total_usd:,.0f}  budget: {report.budget.status}")


if __name__ == "__main__":
    main()
