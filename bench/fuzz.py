"""Fuzz every offline command with generated specs (valid and broken; with YAML merge keys; with a
budget naming rate cards and savings plans, valid, mutated or special files), Plan JSON, previous Plans
(`--diff`), rate cards (`--rates`) and account snapshot files, special files (FIFO, /dev/zero, a
folder, a missing or huge file) in every place a command reads one, and print what broke: tracebacks, undocumented exit codes, commands that disagree
with `validate`, output that changes between two runs of the same input, and the slowest case and
the peak memory.

    python bench/fuzz.py --cases 10000            # the issue-11 run (two worker processes)
    python bench/fuzz.py --cases 300 --workers 1  # a quick look

Exit 0 when every case held every property and none took over --max-seconds (default 5) or the
process grew over 1 GiB; 1 otherwise (the first failures are printed in full, with the input).
The strategies and properties live in tests/support/fuzz.py, shared with tests/test_fuzz.py.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

# Shares of the cases by input kind, in this order; the rest: account snapshots.
SHARES = (("spec", 0.55), ("budget-files", 0.15), ("plan", 0.1), ("previous-plan", 0.07), ("rate-card", 0.05))
CHUNK = 250


def _originals() -> tuple[dict, dict, str]:
    import planner

    spec = os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")
    plan = json.loads(planner.compile_spec(spec).dumps())
    with open(os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json"), encoding="utf-8") as fh:
        snapshot = json.load(fh)
    return plan, snapshot, spec


def _rss_mb() -> float:
    """The resident set now (the peak only ever grows, so it cannot show one case's share)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args: tuple[int, int, float]) -> dict:
    """Run `cases` cases with Hypothesis seed `seed`; return counts, failures and timings."""
    cases, seed, max_seconds = args
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    from support import fuzz, fuzz_inputs

    warnings.simplefilter("ignore")
    # One planning clock for the whole run (tests/conftest.py pins it too): messages about a block that
    # has ended say "it is <now>", so two runs a second apart would differ by the clock, not by a bug.
    os.environ.setdefault("ULTRAPLAN_NOW", "2026-12-06T12:00:00Z")
    plan, snapshot, spec = _originals()
    stats = {"cases": 0, "specs": 0, "plans": 0, "snapshots": 0, "valid": 0, "failures": [], "slow": [],
             "max_case_s": 0.0, "max_command": (0.0, ""), "codes": {}, "rss_growth_mb": 0.0, "by_kind": {}}
    folder = tempfile.mkdtemp(prefix="ultraplan-fuzz-")

    kind = st.floats(0, 1)

    def pick(roll: float) -> str:
        edge = 0.0
        for name, share in SHARES:
            edge += share
            if roll < edge:
                return name
        return "snapshot"

    def one(roll, spec_text, budget_case, plan_text, card_text, snapshot_text):
        start, rss_before = time.perf_counter(), _rss_mb()
        kind = pick(roll)
        stats["by_kind"][kind] = stats["by_kind"].get(kind, 0) + 1
        if kind in ("spec", "budget-files"):
            stats["specs"] += 1
            if kind == "spec":
                result, shown = fuzz.check_spec(spec_text, folder), spec_text
            else:
                result = fuzz_inputs.check_budget_files(budget_case, folder)
                shown = budget_case[0] + "\nfiles: " + repr(budget_case[1])[:1500]
            if result.codes.get("validate") == 0:
                stats["valid"] += 1
        elif kind == "plan":
            stats["plans"] += 1
            result, shown = fuzz.check_plan_file(plan_text, folder), plan_text[:3000]
        elif kind == "previous-plan":
            stats["plans"] += 1
            result, shown = fuzz_inputs.check_previous_plan(plan_text, spec, folder), plan_text[:3000]
        elif kind == "rate-card":
            result, shown = fuzz_inputs.check_rate_card(card_text, spec, folder), card_text[:3000]
        else:
            stats["snapshots"] += 1
            result, shown = fuzz.check_snapshot_file(snapshot_text, spec, folder), snapshot_text[:3000]
        seconds = time.perf_counter() - start
        stats["rss_growth_mb"] = max(stats["rss_growth_mb"], _rss_mb() - rss_before)
        stats["cases"] += 1
        stats["max_case_s"] = max(stats["max_case_s"], seconds)
        if result.slowest[0] > stats["max_command"][0]:
            stats["max_command"] = (result.slowest[0], result.slowest[1])
        for name, code in result.codes.items():
            key = f"{name}={code}"
            stats["codes"][key] = stats["codes"].get(key, 0) + 1
        if result.slowest[0] > max_seconds:
            stats["slow"].append({"seconds": result.slowest[0], "command": result.slowest[1], "input": shown})
        for problem in result.problems:
            stats["failures"].append({"problem": problem, "input": shown, "kind": kind})

    # Hypothesis keeps every example's choices for the whole of one @given run (~0.25 MB each with the
    # JSON mutators), so the cases run in chunks of CHUNK with their own seeds: the peak RSS printed is
    # then ultraplan's plus one chunk of Hypothesis bookkeeping, not five thousand examples' worth.
    done = 0
    while done < cases:
        n = min(CHUNK, cases - done)
        run = hseed(seed * 1000 + done)(settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                                                 suppress_health_check=list(HealthCheck))(
            given(roll=kind, spec_text=fuzz.spec_text(), budget_case=fuzz_inputs.budget_files_case(),
                  plan_text=fuzz.json_file_text(plan), card_text=fuzz_inputs.rate_card_text(),
                  snapshot_text=fuzz.json_file_text(snapshot))(one)))
        run()
        done += n
    if seed % 1000 == 0:  # the first worker also puts every special file in every place once
        plan_path = os.path.join(folder, "plan.json")
        with open(plan_path, "w", encoding="utf-8") as fh:
            json.dump(plan, fh)
        snapshot_path = os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json")
        special = fuzz_inputs.check_special_files(spec, plan_path, snapshot_path, max_seconds=1.0)
        stats["special_cases"] = len(fuzz_inputs.SPECIAL) * len(fuzz_inputs.special_file_commands(spec, "", ""))
        stats["failures"] += [{"problem": p, "input": "(a special file)", "kind": "special-file"} for p in special]
    stats["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-seconds", type=float, default=5.0)
    parser.add_argument("--show", type=int, default=5, help="Failures printed in full.")
    args = parser.parse_args()

    from support import fuzz

    share = [args.cases // args.workers + (1 if i < args.cases % args.workers else 0) for i in range(args.workers)]
    jobs = [(n, args.seed * 1000 + i, args.max_seconds) for i, n in enumerate(share) if n]
    start = time.perf_counter()
    if len(jobs) == 1:
        results = [worker(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            results = pool.map(worker, jobs)
    wall = time.perf_counter() - start

    total = {k: sum(r[k] for r in results) for k in ("cases", "specs", "plans", "snapshots", "valid")}
    failures = [f for r in results for f in r["failures"]]
    slow = [s for r in results for s in r["slow"]]
    max_case = max(r["max_case_s"] for r in results)
    max_command = max(r["max_command"] for r in results)
    growth = max(r["rss_growth_mb"] for r in results)
    peak = max(r["peak_rss_mb"] for r in results)
    codes: dict[str, int] = {}
    for r in results:
        for k, v in r["codes"].items():
            codes[k] = codes.get(k, 0) + v
    kinds = {"traceback": 0, "exit code": 0, "disagreement": 0, "nondeterminism": 0}
    for f in failures:
        p = f["problem"]
        kinds["traceback" if "traceback" in p else "exit code" if "exit code" in p or "not documented" in p
              else "nondeterminism" if "second run" in p else "disagreement"] += 1

    kinds_run: dict[str, int] = {}
    for r in results:
        for k, v in r["by_kind"].items():
            kinds_run[k] = kinds_run.get(k, 0) + v
    special = sum(r.get("special_cases", 0) for r in results)
    print(f"fuzz: {total['cases']:,} cases ({total['specs']:,} specs, {total['valid']:,} of them valid; "
          f"{total['plans']:,} Plan files; {total['snapshots']:,} snapshots) in {wall:.0f} s with {len(jobs)} worker(s)")
    print("cases by input: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds_run.items()))
          + f"; special files in every place: {special} runs")
    print(f"tracebacks or internal errors (exit 4) {kinds['traceback']}, undocumented exit codes {kinds['exit code']}, "
          f"disagreements {kinds['disagreement']}, nondeterminism {kinds['nondeterminism']}")
    print(f"slowest command {max_command[0]:.2f} s ({max_command[1]}; {len(slow)} over {args.max_seconds:g} s); "
          f"slowest case (every command on one input, twice for the determinism check) {max_case:.2f} s")
    print(f"memory: largest growth of the resident set during one case {growth:.0f} MB; peak RSS per worker {peak:.0f} MB")
    by_kind: dict[str, int] = {}
    for f in failures:
        by_kind[f["kind"]] = by_kind.get(f["kind"], 0) + 1
    print("failures by input: " + (", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) or "none"))
    print("exit codes: " + ", ".join(f"{k} x{v}" for k, v in sorted(codes.items())))
    sites: dict[str, int] = {}
    for f in failures:
        site = fuzz.crash_site(f["problem"]) if "traceback" in f["problem"] else f["problem"].splitlines()[0][:160]
        sites[site] = sites.get(site, 0) + 1
    for site, n in sorted(sites.items(), key=lambda kv: -kv[1]):
        print(f"  {n:5d} x {site}")
    for f in failures[:args.show]:
        print("\n--- " + f["problem"][:4000] + "\n--- input:\n" + f["input"][:3000])
    for s in slow[:args.show]:
        print(f"\n--- slow: {s['command']} took {s['seconds']:.2f} s on:\n{s['input'][:1500]}")
    ok = not failures and not slow and peak < 1024
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
