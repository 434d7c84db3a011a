"""Issue 20's speed targets for fleets, measured in process with CPU time (time.process_time: one core):

    python bench/fleet_bench.py [--runs 3]

- plan + check of a ~500K-GPU fleet (11 cells of 640 GB200/GB300 UltraServers, 506,880 GPUs):
  load the fleet file and every cell's spec, compile one Plan per cell, check every limit per
  cell, the fabrics and the fleet budget (each cell priced like `ultraplan cost`)   <= 1 s CPU
- the same, for 2x and 4x the cells and for 2x the pools per cell: linear in cells and pools
  (CPU per cell and per pool is printed: about constant when linear)
- `solve goals/frontier-fleet.yaml` (the 7-year deal over a dozen cells, written as a fleet and
  priced back and checked)                                                          <= 60 s

The policy pack and preflight are not part of "plan + check" here: they run per cell as they run per
spec (bench/scale_bench.py measures them). Prints the median of --runs after one warm-up.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CELL_SPEC = """\
name: bench-{cell}
region: us-east-1
availability_zone: us-east-1-dfw-2a
tags: {{team: t, cost-center: "1"}}
network:
  vpc_cidr: 10.0.0.0/16
  region_zone: use1-az4
compute:
{pools}"""
POOL = """\
  - name: {kind}-{i}
    ultraserver: u-p6e-{kind}x72
    count: {count}
    capacity: {{type: capacity-reservation, reservation_id: cr-0{n:016x}}}
    ami: ami-0123456789abcdef0
    start: {start}
"""


def write_fleet(folder: str, cells: int, pools_per_kind: int = 1) -> int:
    """A fleet of `cells` cells, each 380 GB200 + 260 GB300 UltraServers in 2 x `pools_per_kind` pools."""
    os.makedirs(os.path.join(folder, "cells"), exist_ok=True)
    entries, increases, n = [], [], 0
    for c in range(cells):
        pools = ""
        for kind, total, start in (("gb200", 380, "2026-12-01"), ("gb300", 260, "2027-07-01")):
            for i in range(pools_per_kind):
                n += 1
                pools += POOL.format(kind=kind, i=i, count=total // pools_per_kind, n=n, start=start)
        with open(os.path.join(folder, "cells", f"c{c:02d}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(CELL_SPEC.format(cell=c, pools=pools))
        entries.append(f"  - {{name: c{c:02d}, account: \"5{c:011d}\", region: us-east-1, zones: [us-east-1-dfw-2a], "
                       f"region_zone: use1-az4, spec: cells/c{c:02d}.yaml, quotas: {{auto-scaling-groups: 700, "
                       f"network-interfaces: 60000, on-demand-p: 1700000, elastic-ips: 5}}}}")
        increases.append(f"  - {{name: f{c:02d}, pools: [c{c:02d}/gb200-0, c{c:02d}/gb300-0]}}")
    rates = os.path.join(ROOT, "examples", "frontier", "rates.yaml")
    text = ("fleet: bench\nterm: {start: 2026-12-01, months: 84}\nbudget: {total_usd: 1.0e12}\n"
            f"rates: {rates}\nfabrics:\n" + "\n".join(increases) + "\ncells:\n" + "\n".join(entries) + "\n")
    with open(os.path.join(folder, "fleet.yaml"), "w", encoding="utf-8") as fh:
        fh.write(text)
    return cells * (380 + 260) * 72


def plan_and_check(folder: str) -> tuple[float, dict]:
    from planner.cost import estimate
    from planner.fleet import load_fleet, plan_fleet
    from planner.fleet.check import check_fleet

    began = time.process_time()
    fleet = plan_fleet(load_fleet(folder))
    planned = time.process_time()
    result = check_fleet(fleet, {cp.name: estimate(cp.plan) for cp in fleet.cells})
    done = time.process_time()
    errors = [f for f in result.findings if f.level.name == "ERROR"]
    assert not errors, errors[0].message
    s = fleet.summary()
    return done - began, {"plan": planned - began, "check": done - planned, "gpus": s["gpus"],
                          "resources": s["resources"], "pools": sum(len(c.plan.pools) for c in fleet.cells)}


def median_run(folder: str, runs: int) -> tuple[float, dict]:
    plan_and_check(folder)  # warm-up: imports, catalog and price files
    results = [plan_and_check(folder) for _ in range(runs)]
    cpu = statistics.median(r[0] for r in results)
    return cpu, next(r[1] for r in results if r[0] == cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-solve", action="store_true", help="skip the solve measurement")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, cells, per_kind in (("~500K GPUs: 11 cells", 11, 1), ("2x cells: 22", 22, 1),
                                       ("4x cells: 44", 44, 1), ("11 cells, 2x pools", 11, 2)):
            folder = os.path.join(tmp, f"{cells}-{per_kind}")
            write_fleet(folder, cells, per_kind)
            cpu, info = median_run(folder, args.runs)
            rows.append((label, cpu, info, cells))
    print(f"{'fleet':<24} {'GPUs':>9} {'pools':>6} {'resources':>10} {'plan s':>7} {'check s':>8} {'CPU s':>7} "
          f"{'ms/cell':>8} {'ms/pool':>8}")
    for label, cpu, info, cells in rows:
        print(f"{label:<24} {info['gpus']:>9,} {info['pools']:>6} {info['resources']:>10,} {info['plan']:>7.3f} "
              f"{info['check']:>8.3f} {cpu:>7.3f} {1000 * cpu / cells:>8.1f} {1000 * cpu / info['pools']:>8.1f}")
    print(f"target: plan + check of the ~500K-GPU fleet <= 1 s CPU: "
          f"{'met' if rows[0][1] <= 1.0 else 'MISSED'} ({rows[0][1]:.3f} s)")
    if not args.no_solve:
        import datetime as dt

        from planner.solve import load_goals, solve

        doc = load_goals(os.path.join(ROOT, "goals", "frontier-fleet.yaml"))
        with tempfile.TemporaryDirectory() as tmp:
            began, wall = time.process_time(), time.perf_counter()
            sol = solve(doc, out_path=tmp, time_limit=60.0, today=dt.date(2026, 12, 1))
            cpu, wall = time.process_time() - began, time.perf_counter() - wall
        print(f"solve goals/frontier-fleet.yaml ({len(doc.goals.cells)} cells, {doc.goals.term.months} months, "
              f"{len(sol.offers)} offers): {cpu:.2f} s CPU, {wall:.2f} s wall (HiGHS {sol.seconds:.2f} s, {sol.status}); "
              f"fleet check {len(sol.fleet['check_errors'])} error(s); cost differs by "
              f"${abs(sol.cost_check['difference_usd']):.2f}; target <= 60 s: {'met' if cpu <= 60 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
