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
    from planner.cli import extras

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


def _checkout_copy(dest) -> None:
    """The files a clone would have (tracked and new, not ignored), copied to `dest`."""
    import shutil

    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))


@pytest.mark.slow
def test_the_readme_in_a_fresh_venv(tmp_path):
    """A new user's first commands, for real: the README's "Try it" line (venv, `pip install -e .`,
    plan) in a copy of the checkout, then every README command that needs no extra, from that venv
    (no PYTHONPATH, no test extra, no pulumi): `ultraplan solve goals/small.yaml` among them."""
    from support.docblocks import blocks, is_shell

    checkout = tmp_path / "ultraplan"
    _checkout_copy(checkout)
    readme = [b for b in blocks(ROOT) if b.file == "README.md" and is_shell(b)]
    try_it = next(b for b in readme if "python3 -m venv .venv" in b.body and "'.[test]'" not in b.body)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p)
    (command, expected), = try_it.commands()
    proc = subprocess.run(["bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == expected, proc.stderr[-3000:]
    venv_bin = checkout / ".venv" / "bin"
    probe = subprocess.run([str(venv_bin / "python"), "-c", "import pulumi_aws"], capture_output=True, text=True)
    assert probe.returncode != 0, "the light install must not bring pulumi_aws"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"
    ran = 0
    for block in readme:
        if block.mark == "skip":
            continue
        for command, expected in block.commands():
            proc = subprocess.run(["bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True,
                                  timeout=900)
            assert proc.returncode == expected, (block.id, command, proc.stderr[-3000:])
            assert "internal error" not in proc.stderr
            ran += 1
    assert ran >= 3  # the solve, cost and frontier solve lines at least
