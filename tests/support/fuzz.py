"""The fuzz harness: Hypothesis strategies for specs (valid and broken, as YAML text), Plan JSON and
account snapshot files, and one `run_case` that drives every command on a case in-process and says
what went wrong. Used by tests/test_fuzz.py (a small budget) and bench/fuzz.py (ten thousand cases).

Properties checked on every case (issue 11):
- no traceback: only SystemExit leaves `planner.cli.main`, nothing prints a traceback, and no command
  exits 4 (an internal error: main() caught a bug);
- documented exit codes: 0, 1 or 2 offline (3 needs AWS or data a snapshot lacks);
- one verdict: `validate` exits 2 exactly when every other command does; a spec `validate` accepts is
  never rejected by `plan`, `policy` or `check` (nor by `cost`, unless validate warned that the
  region has no prices);
- determinism: the same input gives the same output (`plan --format json`, `check --format json`).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import traceback
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st

DOCUMENTED_OFFLINE = {0, 1, 2}
INTERNAL_ERROR = 4  # documented, but it means a bug: the harness counts it with the tracebacks

TYPES = ["p5.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "p6-b300.48xlarge", "trn2.48xlarge",
         "g6e.48xlarge", "p4d.24xlarge", "m7i.large", "m7i.4xlarge", "c7i.8xlarge", "t3.medium",
         "p5.48xlarg", "x1.nope", ""]
ULTRAS = ["u-p6e-gb200x72", "u-p6e-gb200x36", "u-p6e-gb300x72", "u-trn2x64", "u-nope"]
ZONES = ["us-east-1a", "us-east-1b", "us-east-1A", "us-east-1-dfw-2a", "use1-az4", "us-west-2b", "nowhere", ""]
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "us-east-2", "ap-south-2", "us-west-2", "mars-north-1", "US-EAST-1"]
DATES = ["2026-12-01", "2027-01-05", "2026-02-29", "2028-02-29", "2026-02-30", "1999-12-31", "2100-12-31",
         "2101-01-01", "9999-12-31", "0001-01-01", "not-a-date", "2027-07-01"]
CIDRS = ["10.0.0.0/16", "10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/24", "10.0.0.0/28", "10.0.0.0/8", "10.0.0.1/16",
         "192.168.0.0/16", "8.8.8.0/24", "nope"]
POLICY_IDS = ["required-tags", "imdsv2-required", "fsx-encrypted-in-vpc", "capacity-block-market-type",
              "no-such-policy", "all"]

weird = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**5), st.floats(allow_nan=True, allow_infinity=True),
                  st.text(max_size=8), st.lists(st.integers(), max_size=2),
                  st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _maybe(strategy: st.SearchStrategy, weird_share: int = 12) -> st.SearchStrategy:
    """Mostly `strategy`, sometimes any YAML value at all."""
    return st.one_of(*([strategy] * weird_share), weird)


capacity = st.fixed_dictionaries({}, optional={
    "type": _maybe(st.sampled_from(["on-demand", "spot", "capacity-reservation", "capacity-block", "bogus"])),
    "reservation_id": st.sampled_from(["cr-0123456789abcdef0", "cr-0a0000000000000a1", "cr-x"]),
    "resource_group_arn": st.sampled_from(["arn:aws:resource-groups:us-east-1:123456789012:group/g", "arn:x"]),
    "start": _maybe(st.sampled_from(DATES)),
    "days": _maybe(st.sampled_from([1, 7, 14, 15, 21, 28, 50, 182, 183, 0, -1])),
    "end": _maybe(st.sampled_from(DATES)),
    "planned": _maybe(st.booleans()),
})

pool = st.fixed_dictionaries(
    {"name": st.sampled_from(["gpu", "head", "gpu", "x", "x-u0001", "x-u0002", "Bad_Name", "a" * 41]),
     "count": _maybe(st.one_of(st.integers(1, 8), st.integers(-1, 4000), st.sampled_from([64, 1800, 10**12])))},
    optional={
        "instance_type": st.sampled_from(TYPES),
        "ultraserver": st.sampled_from(ULTRAS),
        "capacity": _maybe(capacity),
        "efa": _maybe(st.booleans()),
        "availability_zone": st.sampled_from(ZONES),
        "placement_group": _maybe(st.booleans()),
        "ami": st.sampled_from(["ami-0123456789abcdef0", "ami-bad"]),
        "root_volume_gib": _maybe(st.sampled_from([8, 200, 16384, 0, 20000])),
        "start": _maybe(st.sampled_from(DATES)),
        "end": _maybe(st.sampled_from(DATES)),
        "months": _maybe(st.sampled_from([1, 12, 84, 240, 241, 0])),
        "tags": _maybe(st.dictionaries(st.sampled_from(["team", "cost-center", "x"]), st.sampled_from(["a", "1"]), max_size=2)),
    })

lustre = st.fixed_dictionaries(
    {"capacity_tib": _maybe(st.sampled_from([1.2, 2.4, 10, 240, 4800, 0, -1, float("inf"), float("nan"), 1e300]))},
    optional={
        "capacity_gib": _maybe(st.sampled_from([1200, 2400, 3600, 4800, 1000, 0, 10**30])),
        "deployment": st.sampled_from(["PERSISTENT_2", "PERSISTENT_1", "SCRATCH_1", "SCRATCH_2", "FAST"]),
        "throughput_per_tib": _maybe(st.sampled_from([125, 250, 500, 1000, 50, 200, 7])),
        "reserve_ips": _maybe(st.sampled_from([0, 1, 64, 10**9, -3])),
        "kms_key_id": st.just("arn:aws:kms:us-east-1:123456789012:key/k"),
    })

budget = st.fixed_dictionaries({}, optional={
    "monthly_usd": _maybe(st.sampled_from([1, 1e6, 2.5e6, 1e12, 0, float("inf")])),
    "total_usd": _maybe(st.sampled_from([1e6, 3.8e10, 0])),
    "term_months": _maybe(st.sampled_from([1, 12, 84, 240, 241, 0])),
    "start": _maybe(st.sampled_from(DATES)),
})

policies = st.fixed_dictionaries({}, optional={
    "skip": _maybe(st.dictionaries(st.sampled_from(POLICY_IDS), st.sampled_from(["not used here", ""]), max_size=2)),
    "config": _maybe(st.dictionaries(
        st.sampled_from(POLICY_IDS),
        st.one_of(st.sampled_from(["advisory", "mandatory", "disabled", "loud"]),
                  st.fixed_dictionaries({}, optional={"tags": _maybe(st.lists(st.sampled_from(["team", "x"]), max_size=2)),
                                                      "enforcementLevel": st.sampled_from(["advisory", "bogus"])})),
        max_size=2)),
})

spec_dict = st.fixed_dictionaries(
    {"name": st.sampled_from(["demo", "demo", "frontier", "Bad Name"]),
     "region": st.sampled_from(REGIONS),
     "availability_zone": st.sampled_from(ZONES),
     "compute": st.one_of(st.lists(pool, min_size=1, max_size=4), st.lists(pool, max_size=0), weird)},
    optional={
        "tags": _maybe(st.dictionaries(st.sampled_from(["team", "cost-center"]), st.sampled_from(["t", "4711"]), max_size=2)),
        "network": _maybe(st.fixed_dictionaries({}, optional={
            "vpc_cidr": st.sampled_from(CIDRS),
            "secondary_cidrs": st.lists(st.sampled_from(CIDRS + ["10.1.0.0/16", "10.2.0.0/16"]), max_size=3),
            "vpc_id": st.sampled_from(["vpc-0123456789abcdef0", "vpc-x"]),
            "subnet_id": st.sampled_from(["subnet-0123456789abcdef0"]),
            "egress": st.sampled_from(["nat", "none", "maybe"]),
        })),
        "storage": _maybe(st.fixed_dictionaries({}, optional={"lustre": _maybe(lustre)})),
        "budget": _maybe(budget),
        "policies": _maybe(policies),
        "bogus_key": st.integers(),
    })


# -- specs that should be valid, and the same with one field broken ----------------------------------
_INSTANCE_POOL_EXTRAS = {
    "root_volume_gib": st.sampled_from([200, 512]),
    "start": st.sampled_from(["2026-12-01", "2027-01-01"]),
    "months": st.sampled_from([1, 6, 12]),
    "tags": st.just({"team": "t"}),
    "ami": st.just("ami-0123456789abcdef0")}

VALID_INSTANCE_POOL = st.one_of(
    st.fixed_dictionaries(
        {"instance_type": st.sampled_from(["p5.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "m7i.large", "m7i.4xlarge",
                                           "c7i.8xlarge", "g6e.48xlarge", "p4d.24xlarge"]),
         "count": st.integers(1, 16)},
        optional={"capacity": st.one_of(
            st.fixed_dictionaries({"type": st.sampled_from(["on-demand", "spot"])}),
            st.fixed_dictionaries({"type": st.just("capacity-reservation"), "reservation_id": st.just("cr-0123456789abcdef0")})),
            **_INSTANCE_POOL_EXTRAS}),
    # Capacity Blocks sell accelerated types only (EC2 User Guide, ec2-capacity-blocks)
    st.fixed_dictionaries(
        {"instance_type": st.sampled_from(["p5.48xlarge", "p5en.48xlarge"]), "count": st.integers(1, 16),
         "capacity": st.fixed_dictionaries({"type": st.just("capacity-block"), "reservation_id": st.just("cr-0a0000000000000a1"),
                                            "start": st.sampled_from(["2026-12-01", "2027-03-15"]),
                                            "days": st.sampled_from([1, 7, 14, 21, 182])})},
        optional={k: v for k, v in _INSTANCE_POOL_EXTRAS.items() if k not in ("start", "months")}))

VALID_ULTRA_POOL = st.fixed_dictionaries(
    {"ultraserver": st.just("u-p6e-gb200x72"), "count": st.integers(1, 6), "ami": st.just("ami-0123456789abcdef0"),
     "capacity": st.one_of(
         st.fixed_dictionaries({"type": st.just("capacity-reservation"), "reservation_id": st.just("cr-0123456789abcdef0")}),
         st.fixed_dictionaries({"type": st.just("capacity-block"), "resource_group_arn":
                                st.just("arn:aws:resource-groups:us-east-1:123456789012:group/blocks"),
                                "start": st.just("2026-12-01"), "days": st.sampled_from([7, 14])}))})


@st.composite
def valid_spec(draw) -> dict[str, Any]:
    ultra = draw(st.booleans())
    drawn = draw(st.lists(VALID_ULTRA_POOL if ultra else VALID_INSTANCE_POOL, min_size=1, max_size=4))
    pools = [{"name": f"pool-{i}", **p} for i, p in enumerate(drawn)]
    spec: dict[str, Any] = {"name": "demo", "region": "us-east-1",
                            "availability_zone": "us-east-1-dfw-2a" if ultra else draw(st.sampled_from(["us-east-1a", "use1-az4"])),
                            "tags": {"team": "t", "cost-center": "1"}, "compute": pools}
    if ultra:  # the Dallas Local Zone: NAT gateway and Lustre are not confirmed there, so they go to a region zone
        spec["network"] = {"vpc_cidr": "10.0.0.0/16", "region_zone": "use1-az4"}
    elif draw(st.booleans()):
        spec["network"] = {"vpc_cidr": "10.0.0.0/16", "egress": draw(st.sampled_from(["nat", "none"]))}
    if not ultra and draw(st.booleans()):
        spec["storage"] = {"lustre": {"capacity_gib": draw(st.sampled_from([1200, 2400, 4800, 247200])),
                                      "deployment": "PERSISTENT_2",
                                      "throughput_per_tib": draw(st.sampled_from([125, 250, 500, 1000]))}}
    if draw(st.booleans()):
        spec["budget"] = {"monthly_usd": draw(st.sampled_from([1e5, 1e7, 1e9])), "term_months": draw(st.sampled_from([12, 24]))}
    if draw(st.booleans()):
        spec["policies"] = {"config": {"required-tags": {"tags": ["team"]}}}
    return spec


# where a broken value can go, and the values to put there
BREAKS = [
    (("name",), st.sampled_from(["Bad Name", "a" * 41, "", None])),
    (("region",), st.sampled_from(REGIONS)),
    (("availability_zone",), st.sampled_from(ZONES)),
    (("network",), st.fixed_dictionaries({}, optional={"vpc_cidr": st.sampled_from(CIDRS),
                                                       "secondary_cidrs": st.lists(st.sampled_from(CIDRS), max_size=2),
                                                       "vpc_id": st.sampled_from(["vpc-0123456789abcdef0", "vpc-x"]),
                                                       "subnet_id": st.just("subnet-0123456789abcdef0"),
                                                       "egress": st.sampled_from(["nat", "maybe"])})),
    (("storage",), st.fixed_dictionaries({"lustre": lustre})),
    (("budget",), budget),
    (("policies",), policies),
    (("compute",), st.one_of(st.lists(pool, min_size=1, max_size=3), weird)),
    (("compute", 0, "count"), _maybe(st.sampled_from([0, -1, 64, 1800, 70000, 10**12, 10**40]))),
    (("compute", 0, "capacity"), _maybe(capacity)),
    (("compute", 0, "start"), _maybe(st.sampled_from(DATES))),
    (("compute", 0, "end"), _maybe(st.sampled_from(DATES))),
    (("compute", 0, "months"), _maybe(st.sampled_from([0, 241, 240]))),
    (("compute", 0, "availability_zone"), st.sampled_from(ZONES)),
    (("compute", 0, "efa"), _maybe(st.booleans())),
    (("compute", 0, "placement_group"), _maybe(st.booleans())),
    (("compute", 0, "instance_type"), st.sampled_from(TYPES)),
    (("compute", 0, "ultraserver"), st.sampled_from(ULTRAS)),
    (("compute", 0, "name"), st.sampled_from(["x", "x-u0001", "pool-1", "Bad_Name"])),
    (("compute", 0, "root_volume_gib"), _maybe(st.sampled_from([0, 7, 16385]))),
    (("bogus_key",), st.integers()),
]


@st.composite
def broken_spec(draw) -> dict[str, Any]:
    spec = draw(valid_spec())
    for _ in range(draw(st.integers(1, 2))):
        path, values = draw(st.sampled_from(BREAKS))
        target = spec
        for key in path[:-1]:
            target = target[key] if isinstance(target, dict) and key in target else \
                (target[key] if isinstance(target, list) and isinstance(key, int) and key < len(target) else None)
            if target is None:
                break
        if isinstance(target, (dict, list)):
            if isinstance(target, list) and not (isinstance(path[-1], int) and path[-1] < len(target)):
                continue
            target[path[-1]] = draw(values)
    return spec


@st.composite
def spec_text(draw) -> str:
    """A spec as YAML text: about half meant valid, the rest with one or two fields broken, some
    generated wholesale, some damaged as text afterwards."""
    data = draw(st.one_of(valid_spec(), valid_spec(), broken_spec(), broken_spec(), spec_dict))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    damage = draw(st.sampled_from(["none"] * 16 + ["drop-line", "dup-line", "truncate", "garbage", "tabs"]))
    lines = text.splitlines()
    if damage == "drop-line" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif damage == "dup-line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    elif damage == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    elif damage == "garbage" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] += draw(st.sampled_from([": :", " [", " {", " &a", " *a", " !!python/object:os.system", "\x00", " '"]))
    elif damage == "tabs":
        lines = [ln.replace("  ", "\t", 1) for ln in lines]
    return "\n".join(lines) + "\n"


def _mutate_json(draw, value: Any, depth: int = 0) -> Any:
    """A copy of a JSON value with some leaves replaced, some keys dropped or retyped."""
    if isinstance(value, dict) and depth < 6:
        out = {}
        for k, v in value.items():
            roll = draw(st.integers(0, 40))
            if roll == 0:
                continue  # dropped key
            out[k] = draw(weird) if roll == 1 else _mutate_json(draw, v, depth + 1)
        return out
    if isinstance(value, list) and depth < 6:
        items = value[:draw(st.integers(0, len(value)))] if draw(st.integers(0, 10)) == 0 else value
        return [_mutate_json(draw, v, depth + 1) for v in items[:50]]
    return value


@st.composite
def json_file_text(draw, original: dict[str, Any]) -> str:
    """`original` (a Plan or snapshot as JSON data) mutated, or as text broken outright."""
    how = draw(st.sampled_from(["mutate"] * 6 + ["as-is", "truncate", "not-json", "wrong-top", "bad-utf8"]))
    if how == "as-is":
        return json.dumps(original)
    text = json.dumps(_mutate_json(draw, original))
    if how == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    if how == "not-json":
        return "name: not json\n"
    if how == "wrong-top":
        return json.dumps(draw(st.sampled_from([[], [1, 2], "plan", 3, None])))
    if how == "bad-utf8":
        return text[:20] + "\udcff" + text[20:]
    return text


# -- running a case -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    crash: str | None = None  # a traceback that escaped main(), or one printed in the output
    seconds: float = 0.0


@dataclass
class CaseResult:
    codes: dict[str, int | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")  # the slowest command of the case: (seconds, command)

    def timed(self, name: str, outcome: Outcome) -> None:
        if outcome.seconds > self.slowest[0]:
            self.slowest = (outcome.seconds, name)


def run_cli(args: list[str]) -> Outcome:
    """`ultraplan ARGS` in this process: exit code, stdout, stderr, and any traceback."""
    import time

    from planner.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, crash = None, None
    start = time.perf_counter()
    debug = os.environ.get("ULTRAPLAN_DEBUG")
    os.environ["ULTRAPLAN_DEBUG"] = "1"  # an internal error (exit 4) prints its traceback: the harness groups by it
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # noqa: BLE001 - this is what the harness looks for
            crash = traceback.format_exc()
    if debug is None:
        os.environ.pop("ULTRAPLAN_DEBUG", None)
    else:
        os.environ["ULTRAPLAN_DEBUG"] = debug
    text_out, text_err = out.getvalue(), err.getvalue()
    # click caches a text wrapper per output stream in a WeakKeyDictionary whose value, for a StringIO,
    # is the stream itself, so the buffers of an in-process run are never freed; closed, they are empty.
    out.close()
    err.close()
    if crash is None and (code == INTERNAL_ERROR or "Traceback (most recent call last)" in text_out + text_err):
        crash = text_err or text_out  # exit 4: main() caught a bug and said so; still a bug
    return Outcome(code, text_out, text_err, crash, time.perf_counter() - start)


def _write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)
    return path


def check_spec(text: str, folder: str | None = None) -> CaseResult:
    """Run every offline command on one spec and return what broke the properties above."""
    result = CaseResult()
    with contextlib.ExitStack() as stack:
        folder = folder or stack.enter_context(tempfile.TemporaryDirectory())
        spec = _write(folder, "spec.yaml", text)
        runs = {
            "validate": run_cli(["validate", spec, "--format", "json"]),
            "plan": run_cli(["plan", spec, "--format", "json"]),
            "cost": run_cli(["cost", spec, "--format", "json"]),
            "policy": run_cli(["policy", spec, "--format", "json"]),
            "check": run_cli(["check", spec, "--format", "json"]),
        }
        for name, o in runs.items():
            result.codes[name] = o.code
            result.timed(name, o)
            if o.crash:
                result.problems.append(f"{name}: traceback\n{o.crash}")
            elif o.code not in DOCUMENTED_OFFLINE:
                result.problems.append(f"{name}: exit {o.code} is not a documented offline exit code\n{o.err[-2000:]}")
        result.problems.extend(_disagreements(runs))
        if not result.problems:
            result.problems.extend(_nondeterminism(spec, runs))
    return result


def _disagreements(runs: dict[str, Outcome]) -> list[str]:
    v = runs["validate"]
    if v.code == 2:
        return [f"validate exits 2 but {n} exits {o.code}" for n, o in runs.items() if o.code != 2]
    if v.code != 0:
        return []
    no_prices = False
    try:
        no_prices = any(w.get("id") == "cost.prices" for w in json.loads(v.out).get("warnings", []))
    except ValueError:
        return ["validate --format json printed something that is not JSON"]
    bad = []
    for n, o in runs.items():
        if n == "validate" or o.code != 2:
            continue
        if n == "cost" and no_prices:
            continue  # documented: validate warns, cost cannot price the region
        bad.append(f"validate exits 0 but {n} exits 2: {o.err.strip()[:500]}")
    return bad


def _nondeterminism(spec: str, runs: dict[str, Outcome]) -> list[str]:
    bad = []
    for name, args in (("plan", ["plan", spec, "--format", "json"]), ("check", ["check", spec, "--format", "json"])):
        again = run_cli(args)
        if (again.code, again.out) != (runs[name].code, runs[name].out):
            bad.append(f"{name}: a second run of the same spec gave different output (exit {runs[name].code} -> {again.code})")
    return bad


def check_plan_file(text: str, folder: str | None = None) -> CaseResult:
    """A (mutated) Plan JSON through `check --plan`, `cost` and `policy --plan`: no traceback, documented codes."""
    return _check_file_commands(text, "plan.json", lambda p: [["check", "--plan", p, "--format", "json"],
                                                               ["cost", p, "--format", "json"],
                                                               ["policy", "--plan", p, "--format", "json"]], folder)


def check_snapshot_file(text: str, spec: str, folder: str | None = None) -> CaseResult:
    """A (mutated) account snapshot through `check SPEC --account` and `preflight SPEC --account`;
    exit 3 (a check could not verify from what the snapshot holds) is documented here too."""
    return _check_file_commands(text, "account.json", lambda p: [["check", spec, "--account", p, "--format", "json"],
                                                                  ["preflight", spec, "--account", p, "--format", "json"]],
                                folder, allowed=DOCUMENTED_OFFLINE | {3})


def _check_file_commands(text: str, name: str, commands, folder: str | None,
                         allowed: set[int] = DOCUMENTED_OFFLINE) -> CaseResult:
    result = CaseResult()
    with contextlib.ExitStack() as stack:
        folder = folder or stack.enter_context(tempfile.TemporaryDirectory())
        path = _write(folder, name, text)
        for args in commands(path):
            o = run_cli(args)
            label = args[0] + (" " + args[1] if args[1].startswith("--") else
                               " --account" if "--account" in args else " PLAN.json")
            result.codes[label] = o.code
            result.timed(label, o)
            if o.crash:
                result.problems.append(f"{label}: traceback\n{o.crash}")
            elif o.code not in allowed:
                result.problems.append(f"{label}: exit {o.code} is not documented offline\n{o.err[-1000:]}")
    return result


def crash_site(problem: str) -> str:
    """`file:line: Exception` of the innermost project frame of a traceback, to group failures."""
    import re

    frames = re.findall(r'File "([^"]*/(?:planner|policies|stacks)/[^"]+)", line (\d+)', problem)
    last = problem.strip().splitlines()[-1] if problem.strip() else ""
    where = f"{frames[-1][0].split('/work/')[-1]}:{frames[-1][1]}" if frames else "?"
    return f"{where}: {last[:120]}"

