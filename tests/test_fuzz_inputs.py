"""Fuzz round 2 at a small budget (bench/fuzz.py runs it at ten thousand cases): budgets naming rate
cards and savings plans, specs with merge keys, mutated previous Plans and rate cards, special files."""
from __future__ import annotations

import json
import os
import warnings

import yaml
from hypothesis import HealthCheck, Phase, given, settings

from conftest import ROOT
from support import fuzz, fuzz_inputs

SMALL = settings(max_examples=20, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                 suppress_health_check=list(HealthCheck))
SPEC = os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")


@SMALL
@given(case=fuzz_inputs.budget_files_case())
def test_budget_files_and_merge_keys_hold_every_property(case, tmp_path_factory):
    warnings.simplefilter("ignore")
    result = fuzz_inputs.check_budget_files(case, str(tmp_path_factory.mktemp("fuzz")))
    assert not result.problems, "\n\n".join(result.problems) + "\n\ninput:\n" + case[0] + repr(case[1])[:500]


def test_the_merge_key_writer_keeps_the_spec():
    spec = {"name": "demo", "compute": [{"name": "a", "instance_type": "m7i.large", "count": 2},
                                        {"name": "b", "instance_type": "m7i.large", "count": 3},
                                        {"name": "c", "count": 1}]}
    text = fuzz_inputs.with_merge_keys(spec)
    assert "<<: *p0" in text and yaml.safe_load(text) == spec


@settings(max_examples=12, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(data=fuzz.st.data())
def test_mutated_previous_plans_and_rate_cards_never_crash(data, tmp_path_factory):
    import planner

    warnings.simplefilter("ignore")
    plan = json.loads(planner.compile_spec(SPEC).dumps())
    folder = str(tmp_path_factory.mktemp("fuzz"))
    problems = fuzz_inputs.check_previous_plan(data.draw(fuzz.json_file_text(plan)), SPEC, folder).problems
    problems += fuzz_inputs.check_rate_card(data.draw(fuzz_inputs.rate_card_text()), SPEC, folder).problems
    assert not problems, "\n\n".join(problems)


def test_special_files_are_exit_2_at_once_everywhere(tmp_path):
    warnings.simplefilter("ignore")
    plan = tmp_path / "plan.json"
    assert fuzz.run_cli(["plan", SPEC, "--out", str(plan)]).code == 0
    snapshot = os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json")
    assert fuzz_inputs.check_special_files(SPEC, str(plan), snapshot, max_seconds=5.0) == []
