"""Hand-edited Plans: a Plan JSON of the wrong shape is an input error (exit 2), never a crash (exit 4).

Seeded random mutations of the examples' Plans (wrong types, missing keys, NaN, nested garbage, a
reference without `attr`) go through every command that reads a Plan: `cost`, `policy --plan`,
`check --plan`, `preflight` (account snapshot) as the Plan, and `plan --diff` / `check --diff` as
the previous Plan. Every run must end 0, 1, 2 or 3 (issue 22); an exit 2 must name the file.
"""
from __future__ import annotations

import copy
import json
import math
import os
import random

import pytest

from conftest import ROOT
from support.fuzz import run_cli

SEED = int(os.environ.get("ULTRAPLAN_MUTATION_SEED", "22"))
MUTATIONS = int(os.environ.get("ULTRAPLAN_MUTATIONS", "360"))  # 60 through each command; more: set the variable
ACCOUNT = "examples/accounts/demo-{region}.json"
EXAMPLES = ["examples/gb200-capacity-block.yaml", "examples/p5-on-demand-fsx.yaml", "examples/trn2-ultraserver.yaml",
            "examples/mixed-p5en-p6.yaml"]

COMMANDS = {
    "cost": lambda spec, plan: ["cost", plan, "--format", "json"],
    "policy": lambda spec, plan: ["policy", "--plan", plan, "--format", "json"],
    "check": lambda spec, plan: ["check", "--plan", plan, "--format", "json"],
    "preflight": lambda spec, plan: ["preflight", plan, "--account", ACCOUNT.format(region=_region(spec)),
                                     "--format", "json"],
    "plan-diff": lambda spec, plan: ["plan", spec, "--diff", plan, "--format", "json"],
    "check-diff": lambda spec, plan: ["check", spec, "--diff", plan, "--format", "json"],
}

GARBAGE = ["x", "cr-0123456789abcdef0", 7, -1, 0, 1.5, math.nan, math.inf, True, False, None, [], {}, [1, "a"],
           {"a": [{"b": None}]}, {"$ref": "vpc"}, {"$ref": 3, "attr": None}, 10 ** 30, "2026-13-45"]


def _region(spec: str) -> str:
    return "us-east-2" if "trn2" in spec else "us-east-1"


def _paths(value, path=()):
    """Every node of the JSON tree (the root excluded)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,)
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,)
            yield from _paths(v, path + (i,))


def _parent(data, path):
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


def mutate(data, rng: random.Random) -> str:
    """One random change to `data` (in place); a description of it."""
    paths = [p for p in _paths(data) if p[0] not in ("format", "version")]
    # Favour the parts consumers read field by field: pools, network, budget, inputs.
    weighted = [p for p in paths if p[0] in ("pools", "network", "budget", "storage", "summary")] * 3 + paths
    path = rng.choice(weighted)
    parent, key = _parent(data, path), path[-1]
    what = rng.random()
    if what < 0.15 and isinstance(parent, dict):
        del parent[key]
        return f"delete {path}"
    if what < 0.25 and isinstance(parent[key], dict) and "$ref" in parent[key]:
        parent[key].pop("attr", None)
        return f"reference without attr at {path}"
    if what < 0.35 and isinstance(parent[key], list):
        parent[key].append(copy.deepcopy(rng.choice(GARBAGE)))
        return f"append garbage to {path}"
    value = copy.deepcopy(rng.choice(GARBAGE))
    parent[key] = value
    return f"{path} = {value!r}"


def _plans():
    from planner.run.stages import validate

    return {spec: json.loads(validate(spec).plan.dumps()) for spec in EXAMPLES}


def _cases():
    rng = random.Random(SEED)
    names = list(COMMANDS)
    return [(i, names[i % len(names)], EXAMPLES[rng.randrange(len(EXAMPLES))], rng.randrange(2 ** 32))
            for i in range(MUTATIONS)]


@pytest.fixture(scope="module")
def plans():
    os.chdir(ROOT)
    return _plans()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_mutated_plans_never_crash(command, plans, tmp_path):
    failures = []
    for i, name, spec, seed in _cases():
        if name != command:
            continue
        rng = random.Random(seed)
        data = copy.deepcopy(plans[spec])
        change = mutate(data, rng)
        path = tmp_path / f"plan-{i}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        args = COMMANDS[name](spec, str(path))
        outcome = run_cli(args)
        if outcome.code not in (0, 1, 2, 3) or outcome.crash:
            failures.append(f"{change}: ultraplan {' '.join(args)} exited {outcome.code}\n"
                            f"{(outcome.crash or outcome.err)[-600:]}")
        elif outcome.code == 2 and name not in ("check", "check-diff") and str(path) not in outcome.err and \
                spec not in outcome.err:  # a shape error names the Plan; a value error the spec line it came from
            failures.append(f"{change}: exit 2 without naming the file: {outcome.err[-300:]}")
    assert not failures, f"{len(failures)} of {MUTATIONS // len(COMMANDS)} mutated Plans crashed `{command}`:\n" + \
        "\n".join(failures[:8])
