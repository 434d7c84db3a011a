"""Issue 11's speed targets, measured in one run, whole process (start-up and imports included):

    python bench/scale_bench.py [--runs 5]

- `ultraplan check` on 1,000 pools                      <= 2 s
- `ultraplan check` on the x5 frontier (~35,000 resources) <= 2.5 s
- `ultraplan check examples/frontier.yaml`              <= 0.6 s (2 cores)
- `ultraplan --help`                                    <= 0.2 s

Each command runs --runs times in a fresh process; the median wall and CPU (user + system) seconds
and the peak RSS are printed with the target, plus `python3 -c pass` as the floor of any process on
this machine. On a loaded machine wall time exceeds CPU time: quote CPU then, and say so.
Also prints the in-process time of each pipeline stage on the two large specs, so a miss can be
pinned on a stage.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))


def pools_spec(n: int = 1000) -> str:
    """`n` reserved p5 pools of 4 instances over four zones: the many-pools shape."""
    lines = ["name: pools", "region: us-east-1", "availability_zone: us-east-1a",
             "tags: {team: t, cost-center: '1'}", "network:", "  vpc_cidr: 10.0.0.0/16", "compute:"]
    for i in range(n):
        lines.append(f"  - {{name: pool-{i:04d}, instance_type: p5.48xlarge, count: 4, "
                     f"availability_zone: us-east-1{'abcd'[i % 4]}, "
                     f"capacity: {{type: capacity-reservation, reservation_id: cr-0{i:016x}}}, ami: ami-0123456789abcdef0}}")
    return "\n".join(lines) + "\n"


def frontier_x5_spec() -> str:
    from plan_bench import spec_for

    # the Dallas Local Zone has no confirmed NAT gateway: NAT goes to a zone of the region (network.region_zone)
    return spec_for(5 * 499_968).replace("  vpc_cidr: 10.0.0.0/16\n", "  vpc_cidr: 10.0.0.0/16\n  region_zone: use1-az4\n", 1)


def measure(args: list[str], runs: int) -> dict:
    walls, cpus, peak, code = [], [], 0.0, None
    for _ in range(runs + 1):  # one warm-up (page cache, .pyc)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(wall)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        peak = max(peak, after.ru_maxrss / 1024)
        code = proc.returncode
    return {"wall": statistics.median(walls[1:]), "cpu": statistics.median(cpus[1:]), "peak_mb": peak, "exit": code}


def stages(path: str) -> str:
    """In-process seconds of each pipeline stage (imports excluded: a warm-up run first)."""
    code = r"""
import sys, time
from planner.run import stages as pipeline
from planner.errors import UltraplanError
pipeline.validate(sys.argv[1])
t0 = time.perf_counter(); r = pipeline.validate(sys.argv[1]); t1 = time.perf_counter()
try:
    c = pipeline.cost_of(r.plan)
except UltraplanError:
    c = None
t2 = time.perf_counter()
res = pipeline.policies_of(r.plan, (lambda p: c.monthly_usd) if c else None); t3 = time.perf_counter()
n = sum(len(s.resources) for s in r.plan.stacks)
import contextlib, gc
pipeline.gc_paused = contextlib.nullcontext  # the same validate with the collector running throughout
gc.collect(); t4 = time.perf_counter(); pipeline.validate(sys.argv[1]); t5 = time.perf_counter()
print(f"{n:,} resources: validate+compile {t1-t0:.3f} s (GC running: {t5-t4:.3f} s), cost {t2-t1:.3f} s, "
      f"policy {t3-t2:.3f} s")
"""
    out = subprocess.run([sys.executable, "-c", code, path], cwd=ROOT, capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    cli = [py, "-m", "planner"]
    with tempfile.TemporaryDirectory() as tmp:
        pools = os.path.join(tmp, "pools-1000.yaml")
        x5 = os.path.join(tmp, "frontier-x5.yaml")
        with open(pools, "w", encoding="utf-8") as fh:
            fh.write(pools_spec())
        with open(x5, "w", encoding="utf-8") as fh:
            fh.write(frontier_x5_spec())
        rows = [
            ("python3 -c pass (floor)", [py, "-c", "pass"], None),
            ("ultraplan --help", cli + ["--help"], 0.2),
            ("check examples/frontier.yaml", cli + ["check", "examples/frontier.yaml", "--format", "json"], 0.6),
            ("check 1,000 pools", cli + ["check", pools, "--format", "json"], 2.0),
            ("check x5 frontier", cli + ["check", x5, "--format", "json"], 2.5),
        ]
        load = os.getloadavg()[0]
        print(f"{os.cpu_count()} cores, load average {load:.1f}; median of {args.runs} runs, whole process")
        print(f"{'command':32} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'exit':>4} {'target':>7}  verdict (wall / cpu)")
        for label, command, target in rows:
            r = measure(command, args.runs)
            verdict = ""
            if target is not None:
                verdict = f"{'met' if r['wall'] <= target else 'MISSED'} / {'met' if r['cpu'] <= target else 'MISSED'}"
            print(f"{label:32} {r['wall']:7.3f} {r['cpu']:7.3f} {r['peak_mb']:8.0f} {r['exit']:>4} "
                  f"{'' if target is None else f'<= {target:g}':>7}  {verdict}")
        print("stages, 1,000 pools:", stages(pools))
        print("stages, x5 frontier:", stages(x5))
        print("stages, frontier:   ", stages(os.path.join(ROOT, "examples", "frontier.yaml")))


if __name__ == "__main__":
    main()
