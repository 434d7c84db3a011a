"""Several specs per run: `validate`, `check` and `policy` take files and folders, print one report
and exit with the worst code, as pre-commit and CI call them (`ultraplan validate clusters/`)."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import BASE_SPEC, ROOT
from planner.cli import main

BAD = BASE_SPEC.replace("p5.48xlarge", "p5.48xlarg")
UNTAGGED = BASE_SPEC.replace('tags: {team: t, cost-center: "1"}\n', "") + \
    "policies: {config: {required-tags: {tags: [team]}}}\n"


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture
def clusters(tmp_path):
    folder = tmp_path / "clusters"
    (folder / "team-b").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "a.yaml").write_text(BASE_SPEC)
    (folder / "team-b" / "b.yml").write_text(BASE_SPEC.replace("name: demo", "name: demo-b"))
    (folder / "notes.txt").write_text("not a spec")
    (folder / ".git" / "c.yaml").write_text("not: a spec")
    return folder


def test_validate_a_folder_takes_every_yaml_under_it(capsys, clusters):
    code, out, _ = run(capsys, "validate", str(clusters))
    assert code == 0
    assert out.count("ok: ") == 2 and "2 specs: 2 valid, 0 invalid" in out


def test_validate_reports_every_spec_and_exits_with_the_worst(capsys, clusters):
    (clusters / "bad.yaml").write_text(BAD)
    code, out, err = run(capsys, "validate", str(clusters / "a.yaml"), str(clusters / "bad.yaml"),
                         str(clusters / "team-b"))
    assert code == 2
    assert out.count("ok: ") == 2
    assert "bad.yaml:9:20:" in err and "compute[0].instance_type" in err and "3 specs: 2 valid, 1 invalid" in err


def test_validate_json_is_one_report(capsys, clusters):
    (clusters / "bad.yaml").write_text(BAD)
    code, out, _ = run(capsys, "validate", str(clusters), "--format", "json")
    data = json.loads(out)
    assert code == 2 and data["valid"] is False
    assert [s["valid"] for s in data["specs"]] == [True, False, True]
    assert [i["path"] for i in data["issues"]] == ["compute[0].instance_type"]
    assert data["issues"][0]["file"].endswith("bad.yaml") and data["issues"][0]["column"] == 20


def test_a_folder_without_specs_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2 and "no .yaml or .yml spec in this folder" in " ".join(err.split())


def test_check_several_specs_one_report_worst_exit(capsys, clusters, tmp_path):
    (clusters / "untagged.yaml").write_text(UNTAGGED)
    sarif = tmp_path / "out.sarif"
    code, out, _ = run(capsys, "check", str(clusters), "--format", "json", "--sarif", str(sarif))
    data = json.loads(out)
    assert code == 1  # one spec fails a mandatory policy; the others pass
    files = {v["source"]["file"] for v in data["violations"]}
    assert any(f.endswith("untagged.yaml") for f in files)
    steps = [s["name"] for s in data["steps"]]
    assert sum(s.startswith("policy (") for s in steps) == 3
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1] for r in results} \
        >= {"untagged.yaml"}


def test_check_an_invalid_spec_among_valid_ones_exits_2_and_still_checks_the_rest(capsys, clusters):
    (clusters / "bad.yaml").write_text(BAD)
    code, out, _ = run(capsys, "check", str(clusters), "--format", "json")
    data = json.loads(out)
    assert code == 2
    status = {s["name"]: s["status"] for s in data["steps"]}
    assert status[f"validate ({clusters / 'bad.yaml'})"] == "failed"
    assert status[f"policy ({clusters / 'a.yaml'})"] == "ok"


def test_policy_takes_several_specs(capsys, clusters):
    (clusters / "untagged.yaml").write_text(UNTAGGED)
    code, out, _ = run(capsys, "policy", str(clusters / "a.yaml"), str(clusters / "untagged.yaml"), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert {v["policy"] for v in data["violations"]} == {"required-tags"}


def test_policy_reports_an_invalid_spec_and_the_others(capsys, clusters):
    (clusters / "bad.yaml").write_text(BAD)
    code, out, err = run(capsys, "policy", str(clusters))
    assert code == 2
    assert "ultraplan policy" in out and "compute[0].instance_type" in err


def test_the_examples_folder_checks_as_one_run(capsys, tmp_path):
    shutil.copytree(f"{ROOT}/examples", tmp_path / "examples", ignore=shutil.ignore_patterns("frontier.yaml", "accounts"))
    code, out, _ = run(capsys, "validate", str(tmp_path / "examples"))
    assert code == 0 and "4 specs: 4 valid, 0 invalid" in out
