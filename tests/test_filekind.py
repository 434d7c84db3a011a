"""`validate` (and check, policy) over a folder checks the specs in it: a goals file, a rate card or a
price file is skipped with a note naming the command that takes it, YAML that is not ultraplan's is
skipped with a note; named on its own, such a file is exit 2 saying which command takes it."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import ROOT
from planner.cli import main
from planner.cli.filekind import FOREIGN, GOALS, PLAN, PRICES, RATE_CARD, SNAPSHOT, SPEC, classify


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.mark.parametrize("data, kind", [
    pytest.param({"name": "a", "region": "us-east-1", "availability_zone": "x", "compute": []}, SPEC, id="spec"),
    pytest.param({"name": "a", "region": "us-east-1"}, SPEC, id="spec-missing-compute"),
    pytest.param({"name": "a", "region": "r", "term": {}, "targets": [], "options": []}, GOALS, id="goals"),
    pytest.param({"name": "n", "source": "contract", "rates": []}, RATE_CARD, id="rate-card"),
    pytest.param({"region": "us-east-1", "items": {}}, PRICES, id="price-file"),
    pytest.param({"format": "ultraplan-account-snapshot", "version": 1}, SNAPSHOT, id="snapshot"),
    pytest.param({"format": "ultraplan-plan", "version": 1}, PLAN, id="plan"),
    pytest.param({"version": 2, "updates": []}, FOREIGN, id="dependabot"),
    pytest.param(["a list"], SPEC, id="not-a-mapping-left-to-the-loader"),
])
def test_classify(data, kind):
    assert classify(data) == kind


@pytest.fixture
def mixed_folder(tmp_path):
    shutil.copy(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"), tmp_path / "cluster.yaml")
    shutil.copy(os.path.join(ROOT, "goals", "small.yaml"), tmp_path / "goals.yaml")
    shutil.copy(os.path.join(ROOT, "goals", "rates.yaml"), tmp_path / "rates.yaml")
    (tmp_path / "dependabot.yml").write_text("version: 2\nupdates:\n  - package-ecosystem: pip\n")
    return tmp_path


@pytest.mark.parametrize("command", ["validate", "check", "policy"])
def test_a_folder_checks_its_specs_and_skips_the_rest_with_a_note(command, mixed_folder, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one note a line here; tests/test_ci_log.py checks the wrapping
    code, out, err = run(capsys, command, str(mixed_folder))
    assert code == 0, out + err
    flat = " ".join(err.split())
    assert f"skipped {mixed_folder}/goals.yaml: a goals file, not a spec: ultraplan solve FILE" in flat
    assert f"skipped {mixed_folder}/rates.yaml: a rate card" in flat
    assert f"skipped {mixed_folder}/dependabot.yml: not an ultraplan file" in flat
    assert "cluster.yaml" in out


@pytest.mark.parametrize("path, says", [
    pytest.param("goals/small.yaml", "is a goals file, not a spec: ultraplan solve FILE", id="goals"),
    pytest.param("goals/rates.yaml", "is a rate card, not a spec", id="rate-card"),
    pytest.param("examples/accounts/demo-us-east-1.json", "is an account snapshot, not a spec: ultraplan preflight",
                 id="snapshot"),
])
def test_a_named_file_of_another_kind_is_exit_2_naming_its_command(path, says, capsys):
    code, _, err = run(capsys, "validate", os.path.join(ROOT, path))
    assert code == 2 and says in " ".join(err.split())


def test_a_named_foreign_yaml_is_still_validated_as_a_spec(tmp_path, capsys):
    """Named on its own, a file is what the user says it is: its problems are reported."""
    spec = tmp_path / "x.yaml"
    spec.write_text("version: 2\n")
    code, _, err = run(capsys, "validate", str(spec))
    assert code == 2 and "'compute' is required here" in err
