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

BLOCKED = ("pulumi",)

class NoPulumi(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith((b + ".", b + "_")) for b in BLOCKED):
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
    assert "highspy" in _names(project["dependencies"])  # `ultraplan solve` works after `pip install -e .`
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
    pytest.param(["solve", "goals/small.yaml", "--no-explain", "--out", "{tmp}/solved.yaml"], id="solve"),
])
def test_planning_commands_run_without_pulumi(argv, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
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


@pytest.mark.parametrize("blocked, extra", [
    pytest.param("highspy", None, id="core-dependency-missing"),
    pytest.param("numpy", None, id="core-dependency-numpy-missing"),
])
def test_a_missing_dependency_is_exit_2_with_the_install_command(blocked, extra, tmp_path):
    """A module ultraplan needs but the environment lacks is a setup problem (exit 2, how to fix it),
    never "internal error ... this is a bug" (exit 4)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = ROOT
    code = NO_PULUMI.replace('BLOCKED = ("pulumi",)', f"BLOCKED = ({blocked!r},)")
    proc = subprocess.run([sys.executable, "-c", code, "solve", "goals/small.yaml", "--out", str(tmp_path / "x.yaml")],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert f"'{blocked}' is not installed" in proc.stderr
    assert "python3 -m pip install " in proc.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_the_install_command_names_the_extra_that_declares_a_module(monkeypatch):
    from planner import extras

    reqs = ['pydantic<3,>=2.6', 'highspy<2,>=1.7', 'pulumi<4,>=3.130; extra == "deploy"',
            'ultraplan[deploy]; extra == "test"', 'moto[ec2]<6,>=5.1; extra == "test"',
            'pulumi-aws<8,>=7.0; extra == "deploy"']
    monkeypatch.setattr(extras, "_requirements", lambda: reqs)
    monkeypatch.setattr(extras, "_editable_root", lambda: None)
    assert extras.install_command("pulumi_aws.ec2") == "python3 -m pip install 'ultraplan[deploy]'"
    assert extras.install_command("moto") == "python3 -m pip install 'ultraplan[test]'"
    assert extras.install_command("highspy") == "python3 -m pip install 'highspy<2,>=1.7'"
    monkeypatch.setattr(extras, "_editable_root", lambda: "/src/ultraplan")
    assert extras.install_command("pulumi") == "python3 -m pip install -e '/src/ultraplan[deploy]'"
