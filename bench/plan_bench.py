"""Plan benchmark: wall time and peak RSS of planning 1K, 10K, 100K and 500K-GPU specs (each in a
fresh process, so RSS is that plan's own), and the ratio of Plan time to Pulumi's mock runtime
registering the same resources on a spec small enough for the mocks.

    python bench/plan_bench.py            # all sizes
    python bench/plan_bench.py --quick    # 1K and 10K only

Targets (issue 2): frontier plan <= 1 s and <= 300 MB on 2 cores, time linear in UltraServers,
Plan >= 100x faster than the mocks.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPUS_PER_ULTRASERVER = 72
MAX_ULTRASERVERS_PER_POOL = 1800  # 1,800 x 18 instances fits one /16 subnet (an EFA pool never spans subnets)


def spec_for(gpus: int) -> str:
    """A GB200 NVL72 cluster of about `gpus` GPUs, split into pools that each fit one subnet."""
    ultras = max(1, round(gpus / GPUS_PER_ULTRASERVER))
    pools, left, i = [], ultras, 0
    while left:
        n = min(left, MAX_ULTRASERVERS_PER_POOL)
        pools.append(f"""\
  - name: nvl-{i}
    ultraserver: u-p6e-gb200x72
    count: {n}
    capacity: {{type: capacity-reservation, reservation_id: cr-0a000000000000{i:03x}}}
    ami: ami-0123456789abcdef0
""")
        left -= n
        i += 1
    blocks = max(0, (len(pools) + 1) // 2)
    secondary = ", ".join(f"10.{k}.0.0/16" for k in range(1, blocks + 1))
    return textwrap.dedent(f"""\
        name: bench
        region: us-east-1
        availability_zone: us-east-1-dfw-2a
        network:
          vpc_cidr: 10.0.0.0/16
          secondary_cidrs: [{secondary}]
        compute:
        """) + "".join(pools)


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import planner
t1 = time.perf_counter()
plan = planner.compile_spec(sys.argv[1])
t2 = time.perf_counter()
text = plan.dumps()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "plan_s": t2 - t1, "json_s": t3 - t2, "resources": plan.summary["resources"],
                  "ultraservers": plan.summary["ultraservers"], "gpus": plan.summary["gpus"],
                  "stacks": plan.summary["stacks"], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def mock_ratio() -> str:
    import planner

    try:
        from stacks.mockrun import register_under_mocks
    except ImportError as exc:  # pragma: no cover - stacks/ ships with the repo
        return f"mock comparison unavailable: {exc}"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(spec_for(GPUS_PER_ULTRASERVER * 200))
    planner.compile_spec(fh.name)  # warm: catalog and regions loaded once per process
    plan_s = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        plan = planner.compile_spec(fh.name)
        plan_s = min(plan_s, time.perf_counter() - t)
    shard = next(s.name for s in plan.stacks if s.name.startswith("compute-"))
    n_shard = len(plan.stack(shard).resources)
    mock_s, registered = register_under_mocks(plan, shard)
    plan_per = plan_s / plan.summary["resources"]
    mock_per = mock_s / max(1, registered)
    return (f"mocks: {registered} resources of {shard} registered in {mock_s:.2f} s ({mock_per * 1e3:.2f} ms each); "
            f"Plan: {plan.summary['resources']} resources in {plan_s * 1e3:.1f} ms ({plan_per * 1e6:.1f} µs each); "
            f"Plan is {mock_per / plan_per:,.0f}x faster per resource (shard had {n_shard})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 500_000]
    print(f"{'GPUs':>9} {'UltraServers':>12} {'resources':>9} {'stacks':>6} {'plan s':>7} {'json s':>7} {'import s':>8} {'peak RSS MB':>11} {'µs/UltraServer':>14}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for gpus in sizes:
            path = os.path.join(tmp, f"bench-{gpus}.yaml")
            with open(path, "w") as fh:
                fh.write(spec_for(gpus))
            r = measure(path)
            rows.append(r)
            print(f"{r['gpus']:>9,} {r['ultraservers']:>12,} {r['resources']:>9,} {r['stacks']:>6} {r['plan_s']:>7.3f} "
                  f"{r['json_s']:>7.3f} {r['import_s']:>8.3f} {r['peak_rss_mb']:>11.0f} {r['plan_s'] / r['ultraservers'] * 1e6:>14.1f}")
        if len(rows) >= 2:
            a, b = rows[-2], rows[-1]
            slope = (b["plan_s"] - a["plan_s"]) / (b["ultraservers"] - a["ultraservers"])
            print(f"marginal plan cost: {slope * 1e6:.1f} µs per UltraServer between {a['gpus']:,} and {b['gpus']:,} GPUs "
                  f"(the rest is a fixed ~{(a['plan_s'] - slope * a['ultraservers']) * 1e3:.0f} ms: YAML, validation, catalog)")
        frontier = measure(os.path.join(ROOT, "examples", "frontier.yaml"))
        print(f"examples/frontier.yaml: {frontier['gpus']:,} GPUs, {frontier['resources']:,} resources: plan {frontier['plan_s']:.3f} s, "
              f"JSON {frontier['json_s']:.3f} s, peak RSS {frontier['peak_rss_mb']:.0f} MB")
    print(mock_ratio())


if __name__ == "__main__":
    main()
