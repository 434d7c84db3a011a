"""Fuzz round 2 (issue 22): the files a command reads besides the spec, and YAML idioms. Strategies and
case runners shared by tests/test_fuzz_inputs.py (a small budget) and bench/fuzz.py (ten thousand cases).

- Specs whose budget names a rate card (valid, mutated, or a special file) and savings plans (valid,
  overlapping, naming an unknown, spot or block pool, not an object), written with YAML anchors and
  merge keys: `validate` must give the verdict of `cost`, `plan`, `policy` and `check`.
- A previous Plan given to `plan --diff`, `check --diff` and `cost --diff`, mutated.
- A rate card given to `cost --rates`, mutated.
- Special files (a FIFO, /dev/zero, a folder, a missing path, a sparse 300 MB file) in every place a
  command reads a file: exit 2, at once.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from typing import Any, Callable

import yaml
from hypothesis import strategies as st

from support import fuzz

SPECIAL = ("fifo", "devzero", "folder", "missing", "huge")
RATE_CARD = {"name": "fuzz-card", "source": "fuzz test card, not a price",
             "rates": [{"family": "p5", "purchase": "on-demand", "discount_pct": 10},
                       {"instance_type": "p5en.48xlarge", "usd_per_hour": 50.0},
                       {"generation": "p6", "purchase": "capacity-block", "discount_pct": 5, "start": "2027-01-01"}]}


def place(folder: str, name: str, content: str | None) -> str:
    """Write `content` at folder/name; a name from SPECIAL makes that kind of file instead."""
    path = os.path.join(folder, name)
    if content == "fifo":
        os.mkfifo(path)
    elif content == "devzero":
        os.symlink("/dev/zero", path)
    elif content == "folder":
        os.mkdir(path)
    elif content == "huge":
        with open(path, "wb") as fh:
            fh.truncate(300 * 1024 * 1024)  # sparse: a size on disk, nothing to read
    elif content not in (None, "missing"):
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(content)
    return path


def with_merge_keys(spec: dict[str, Any]) -> str:
    """The spec as YAML in which every pool after the first is written `<<: *p0` plus its own keys."""
    pools = spec.get("compute")
    if not (isinstance(pools, list) and len(pools) > 1 and all(isinstance(p, dict) for p in pools)):
        return yaml.safe_dump(spec, sort_keys=False)
    rest = {k: v for k, v in spec.items() if k != "compute"}
    head = yaml.safe_dump(rest, sort_keys=False) if rest else ""
    first = yaml.safe_dump(pools[0], sort_keys=False, default_flow_style=False).splitlines()
    lines = ["compute:", "  - &p0"] + [f"    {ln}" for ln in first]
    for pool in pools[1:]:
        if set(pools[0]) - set(pool):  # a key it lacks would be merged in: write this pool out whole
            body = yaml.safe_dump(pool, sort_keys=False).splitlines()
            lines += ["  - " + body[0]] + [f"    {ln}" for ln in body[1:]]
            continue
        own = {k: v for k, v in pool.items() if pools[0].get(k) != v or k == "name"}
        lines.append("  - <<: *p0")
        lines += [f"    {ln}" for ln in yaml.safe_dump(own, sort_keys=False).splitlines()]
    return head + "\n".join(lines) + "\n"


@st.composite
def rate_card_text(draw) -> str:
    """A rate card: as is, mutated field by field, or broken as text."""
    return draw(fuzz.json_file_text(RATE_CARD))


@st.composite
def budget_files_case(draw) -> tuple[str, dict[str, str | None]]:
    """(spec text, {file name: content or SPECIAL kind}): a meant-valid spec whose budget names a rate
    card and savings plans, each sometimes broken, written with merge keys where it has two pools."""
    spec = draw(fuzz.valid_spec())
    names = [p["name"] for p in spec["compute"]]
    budget = spec.setdefault("budget", {"monthly_usd": 1e9, "term_months": 24})
    budget.setdefault("start", "2027-01-01")
    files: dict[str, str | None] = {}
    card = draw(st.sampled_from(["none", "inline", "file", "file", "mutated", *SPECIAL]))
    if card == "inline":
        budget["rates"] = RATE_CARD
    elif card != "none":
        budget["rates"] = "card.yaml"
        files["card.yaml"] = (yaml.safe_dump(RATE_CARD) if card == "file" else
                              draw(rate_card_text()) if card == "mutated" else card)
    entry = st.fixed_dictionaries({
        "type": fuzz._maybe(st.sampled_from(["compute", "ec2-instance"])),
        "years": fuzz._maybe(st.sampled_from([1, 3])),
        "start": fuzz._maybe(st.sampled_from(["2027-01-01", "2027-06-01", "2028-01-01"])),
        "pools": fuzz._maybe(st.lists(st.sampled_from(names + ["no-such-pool"]), min_size=1, max_size=2)),
    })
    if draw(st.booleans()):
        budget["savings_plans"] = draw(st.lists(fuzz._maybe(entry, weird_share=20), max_size=3))
    return with_merge_keys(spec), files


def check_budget_files(case: tuple[str, dict[str, str | None]], folder: str | None = None) -> fuzz.CaseResult:
    """Every offline command on the spec (fuzz.check_spec's properties), its files beside it."""
    text, files = case
    with contextlib.ExitStack() as stack:
        base = folder or stack.enter_context(tempfile.TemporaryDirectory())
        here = tempfile.mkdtemp(dir=base)
        stack.callback(shutil.rmtree, here, True)
        for name, content in files.items():
            place(here, name, content)
        return fuzz.check_spec(text, here)


DEMO_SNAPSHOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "examples", "accounts", "demo-us-east-1.json")


def check_previous_plan(text: str, spec: str, folder: str | None = None) -> fuzz.CaseResult:
    """A (mutated) Plan as the previous Plan of `plan --diff`, `check --diff` and `cost --diff`, and as
    the Plan `preflight` checks against the demo snapshot (exit 3 allowed: a fact it lacks)."""
    return fuzz._check_file_commands(text, "previous.json", lambda p: [
        ["plan", spec, "--diff", p, "--format", "json"],
        ["check", spec, "--diff", p, "--format", "json"],
        ["cost", spec, "--diff", p, "--format", "json"],
        ["preflight", p, "--account", DEMO_SNAPSHOT, "--format", "json"]], folder, allowed=fuzz.DOCUMENTED_OFFLINE | {3})


def check_rate_card(text: str, spec: str, folder: str | None = None) -> fuzz.CaseResult:
    """A (mutated) rate card through `cost --rates`."""
    return fuzz._check_file_commands(text, "card.yaml", lambda p: [["cost", spec, "--rates", p, "--format", "json"]],
                                     folder)


# -- special files, in every place a command reads one ------------------------------------------------
def special_file_commands(spec: str, plan: str, snapshot: str) -> list[tuple[str, Callable[[str], list[str]]]]:
    """(label, args for a path) of every command-line place that reads a file."""
    return [
        ("validate SPEC", lambda p: ["validate", p]),
        ("plan SPEC", lambda p: ["plan", p]),
        ("cost SPEC", lambda p: ["cost", p]),
        ("check SPEC", lambda p: ["check", p]),
        ("policy --plan", lambda p: ["policy", "--plan", p]),
        ("check --plan", lambda p: ["check", "--plan", p]),
        ("cost --rates", lambda p: ["cost", spec, "--rates", p]),
        ("plan --diff", lambda p: ["plan", spec, "--diff", p]),
        ("check --diff", lambda p: ["check", spec, "--diff", p]),
        ("preflight --account", lambda p: ["preflight", spec, "--account", p]),
        ("check --account", lambda p: ["check", spec, "--account", p]),
        ("solve GOALS", lambda p: ["solve", p, "--out", os.path.join(os.path.dirname(p), "out.yaml")]),
    ]


def check_special_files(spec: str, plan: str, snapshot: str, max_seconds: float = 1.0) -> list[str]:
    """Every special kind in every place: exit 2 within `max_seconds`; the problems found."""
    problems = []
    for kind in SPECIAL:
        for label, args in special_file_commands(spec, plan, snapshot):
            with tempfile.TemporaryDirectory() as folder:
                path = place(folder, "input.yaml", kind)
                start = time.perf_counter()
                outcome = fuzz.run_cli(args(path))
                seconds = time.perf_counter() - start
            if outcome.crash:
                problems.append(f"{label} on a {kind}: traceback\n{outcome.crash}")
            elif outcome.code != 2:
                problems.append(f"{label} on a {kind}: exit {outcome.code}, not 2\n{outcome.err[-500:]}")
            elif seconds > max_seconds:
                problems.append(f"{label} on a {kind}: took {seconds:.2f} s")
    return problems
