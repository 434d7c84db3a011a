"""A light install: `pip install -e .` brings what planning needs; Pulumi comes with the [deploy] extra.

Two halves: pyproject.toml keeps pulumi, pulumi-aws and pulumi-policy out of the core dependencies,
and every planning command runs in a Python where importing any pulumi module fails, as it would
in a fresh venv without the extra (bench/install_bench.py measures the real install both ways).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

PULUMI = ("pulumi", "pulumi-aws", "pulumi-policy")

# Runs the CLI with every `pulumi*` import refused, as in an install without the [deploy] extra.
NO_PULUMI = """
import sys
from importlib.abc import MetaPathFinder

class NoPulumi(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pulumi" or name.startswith(("pulumi.", "pulumi_")):
            raise ModuleNotFoundError(f"No module named {name!r} (not installed: no [deploy] extra)", name=name)
        return None

sys.meta_path.insert(0, NoPulumi())
from planner.cli import main
main(sys.argv[1:])
"""


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)["project"]


def _names(requirements):
    return {r.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower() for r in requirements}


def test_pulumi_is_an_extra_not_a_dependency():
    project = _project()
    assert not _names(project["dependencies"]) & set(PULUMI)
    assert set(PULUMI) <= _names(project["optional-dependencies"]["deploy"])
    assert "ultraplan[deploy]" in project["optional-dependencies"]["test"]  # the suite runs the stacks too


@pytest.mark.parametrize("argv", [
    pytest.param(["validate", "examples/gb200-capacity-block.yaml"], id="validate"),
    pytest.param(["plan", "examples/gb200-capacity-block.yaml"], id="plan"),
    pytest.param(["cost", "examples/gb200-capacity-block.yaml"], id="cost"),
    pytest.param(["policy", "examples/gb200-capacity-block.yaml"], id="policy-offline-runner"),
    pytest.param(["policy", "list"], id="policy-list"),
    pytest.param(["preflight", "examples/gb200-capacity-block.yaml", "--account",
                  "examples/accounts/demo-us-east-1.json"], id="preflight"),
    pytest.param(["check", "examples/gb200-capacity-block.yaml", "--format", "sarif"], id="check"),
    pytest.param(["schema"], id="schema"),
    pytest.param(["catalog", "list"], id="catalog-list"),
])
def test_planning_commands_run_without_pulumi(argv):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = ROOT
    proc = subprocess.run([sys.executable, "-c", NO_PULUMI, *argv], capture_output=True, text=True, cwd=ROOT, env=env)
    assert "pulumi" not in proc.stderr.lower(), proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout.strip()


def test_the_guard_does_refuse_pulumi():
    """The harness above would prove nothing if importing pulumi still worked under it."""
    proc = subprocess.run([sys.executable, "-c", NO_PULUMI.replace("from planner.cli import main\nmain(sys.argv[1:])",
                                                                   "import pulumi_aws")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and "no [deploy] extra" in proc.stderr
