"""The fuzz harness at a small budget (bench/fuzz.py runs it at ten thousand cases): generated specs,
valid and broken, through every offline command: no traceback, documented exit codes, `validate`
agrees with every other command, the same input gives the same output. Timing and memory are the
bench's business, not asserted here."""
from __future__ import annotations

import json
import os
import warnings

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from conftest import ROOT
from support import fuzz

SMALL = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


@SMALL
@given(text=fuzz.spec_text())
def test_generated_specs_hold_every_property(text, tmp_path_factory):
    warnings.simplefilter("ignore")
    result = fuzz.check_spec(text, str(tmp_path_factory.mktemp("fuzz")))
    assert not result.problems, "\n\n".join(result.problems) + "\n\ninput:\n" + text


@SMALL
@given(spec=fuzz.valid_spec())
def test_specs_meant_valid_are_valid_and_pass_every_command(spec, tmp_path_factory):
    """The generator's valid half is really valid, so the agreement property is tested on both sides."""
    import yaml

    result = fuzz.check_spec(yaml.safe_dump(spec, sort_keys=False), str(tmp_path_factory.mktemp("fuzz")))
    assert not result.problems, result.problems
    assert result.codes["validate"] == 0 and result.codes["plan"] == 0, result.codes


def test_the_harness_sees_a_traceback_and_a_disagreement(monkeypatch, tmp_path):
    """The harness itself can fail: a command that raises, and one that rejects what validate accepts."""
    import planner.cost.render as cost_render

    spec = open(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"), encoding="utf-8").read()
    monkeypatch.setattr(cost_render, "render_json", lambda report: 1 / 0)
    result = fuzz.check_spec(spec, str(tmp_path))
    assert any("traceback" in p and "ZeroDivisionError" in p for p in result.problems)
    runs = {"validate": fuzz.Outcome(0, json.dumps({"valid": True, "warnings": []}), ""),
            "plan": fuzz.Outcome(2, "", "error: nope")}
    assert fuzz._disagreements(runs) == ["validate exits 0 but plan exits 2: error: nope"]


@settings(max_examples=15, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(data=fuzz.st.data())
def test_mutated_plan_and_snapshot_files_never_crash(data, tmp_path_factory):
    import planner

    warnings.simplefilter("ignore")
    spec = os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")
    plan = json.loads(planner.compile_spec(spec).dumps())
    with open(os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json"), encoding="utf-8") as fh:
        snapshot = json.load(fh)
    folder = str(tmp_path_factory.mktemp("fuzz"))
    problems = fuzz.check_plan_file(data.draw(fuzz.json_file_text(plan)), folder).problems
    problems += fuzz.check_snapshot_file(data.draw(fuzz.json_file_text(snapshot)), spec, folder).problems
    assert not problems, "\n\n".join(problems)


def test_a_snapshot_without_region_is_bad_input_not_a_crash(tmp_path, capsys):
    # Found by bench/fuzz.py: the replay read doc["region"] before the shape check ran (exit 4).
    from planner.cli import main
    with open(os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json"), encoding="utf-8") as fh:
        snapshot = json.load(fh)
    del snapshot["region"]
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["preflight", os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"), "--account", str(path)])
    out, err = capsys.readouterr()
    assert info.value.code == 2, out + err
    assert "region: required field is missing" in out + err
