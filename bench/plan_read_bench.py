"""Plan read benchmark: what the typed Plan reader (planner.plan.load_plan) costs on the frontier Plan.

    python bench/plan_read_bench.py            # 5 reads, median of each stage
    python bench/plan_read_bench.py --runs 11

Stages: JSON parse, the typed shape check (pool records, references, inputs by type token), and
building the records (Plan.from_json); then load_plan end to end (file read included).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.chdir(ROOT)
    os.environ.setdefault("ULTRAPLAN_NOW", "2026-11-02T09:00:00Z")
    from planner.run.stages import validate
    from planner.plan.model import Plan, _plan_shape, load_plan

    plan = validate("examples/frontier.yaml").plan
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "frontier.json")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(plan.dumps())
        text = open(path, encoding="utf-8").read()
        data = json.loads(text)
        shape = _plan_shape()
        rows = {
            "json parse": _median(lambda: json.loads(text), args.runs),
            "typed check": _median(lambda: shape.check(data, ()), args.runs),
            "records (from_json)": _median(lambda: Plan.from_json(data), args.runs),
            "load_plan (all)": _median(lambda: load_plan(path), args.runs),
        }
    resources = sum(1 for _ in plan.resources())
    print(f"frontier Plan: {len(text) / 1e6:.1f} MB, {resources:,} resources, {len(plan.pools)} pools; "
          f"median of {args.runs}")
    for name, seconds in rows.items():
        print(f"  {name:<22} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
