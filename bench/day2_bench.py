"""Day-2 benchmark: subnet placement time against the number of pools (it should grow linearly:
double the pools, about double the time), and `plan --diff` at frontier scale (plan twice + diff +
cascade for one more UltraServer).

    python bench/day2_bench.py
"""
from __future__ import annotations

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from planner import compile_plan, load_catalog  # noqa: E402
from planner.compile import addressing  # noqa: E402
from planner.compile.pools import resolve  # noqa: E402
from planner.change.diff import counts, diff  # noqa: E402
from planner.spec.load import load_spec, parse_spec  # noqa: E402

HEAD = """name: bench
region: us-east-1
availability_zone: us-east-1a
network: {vpc_cidr: 10.0.0.0/16, secondary_cidrs: [10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16]}
compute:
"""


def placement_seconds(pools: int, catalog) -> float:
    text = HEAD + "".join(f"  - name: p{i}\n    instance_type: m7i.4xlarge\n    count: 2\n" for i in range(pools))
    doc = parse_spec(text, "bench.yaml", catalog)
    resolved = resolve(doc, catalog)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        addressing.plan_subnets(doc, resolved, 64)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    catalog = load_catalog()
    print("subnet placement (best of 3):")
    last = None
    for n in (1000, 2000, 4000, 8000):
        t = placement_seconds(n, catalog)
        ratio = f"  x{t / last:.2f} for x2 pools" if last else ""
        print(f"  {n:>5} pools: {t * 1000:8.1f} ms{ratio}")
        last = t
    path = os.path.join(ROOT, "examples", "frontier.yaml")
    doc = load_spec(path, catalog)
    old = compile_plan(doc, catalog)
    grown = open(path, encoding="utf-8").read().replace("count: 1800", "count: 1801", 1)
    start = time.perf_counter()
    new = compile_plan(parse_spec(grown, path, catalog), catalog, previous=old)
    changes = diff(old, new)
    seconds = time.perf_counter() - start
    print(f"frontier.yaml + 1 UltraServer: plan with previous + diff {seconds:.2f} s "
          f"({sum(1 for _ in new.resources()):,} resources); changes {counts(changes)}")


if __name__ == "__main__":
    main()
