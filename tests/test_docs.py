"""Every YAML and shell block of README.md and docs/ runs as the text says (tests/support/docblocks.py):
specs validate, other YAML loads, commands exit 0 (or the `# exits N` they state) in a folder holding
the repository's examples and goals plus the files the docs name as placeholders (cluster.yaml,
deployed.json, plan.json, base-plan.json, account.json). A block that cannot run here carries a
`docs-test: skip (reason)` comment; the test lists every skip with its reason."""
from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SUITE_NOW
from support.docblocks import blocks, is_shell

ALL = blocks(ROOT)
YAML_BLOCKS = [b for b in ALL if b.lang == "yaml"]
SHELL_BLOCKS = [b for b in ALL if is_shell(b) and b.mark != "synopsis"]
SYNOPSES = [b for b in ALL if b.mark == "synopsis"]
# Commands that cost seconds each (the frontier solve and plans): CI runs them, a local loop skips them.
SLOW = ("frontier",)
# 150 days after the suite's clock (tests/test_examples_calendar.py runs the examples there too).
LATER = (dt.datetime.fromisoformat(SUITE_NOW.replace("Z", "+00:00")) + dt.timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _param(block):
    slow = any(word in block.body for word in SLOW)
    return pytest.param(block, id=block.id, marks=[pytest.mark.slow] if slow else [])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder like a user's checkout: examples/, goals/, the placeholder files, `ultraplan` on PATH
    running this worktree's code."""
    root = tmp_path_factory.mktemp("docs")
    for folder in ("examples", "goals"):
        shutil.copytree(os.path.join(ROOT, folder), root / folder)
    shutil.copy(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml"), root / "cluster.yaml")
    shutil.copy(os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json"), root / "account.json")
    bindir = root / "bin"
    bindir.mkdir()
    shim = bindir / "ultraplan"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m planner \"$@\"\n")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHONPATH"))}
    env.update(PATH=f"{bindir}:{env.get('PATH', '')}", PYTHONPATH=ROOT, NO_COLOR="1", COLUMNS="80",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
    for name in ("deployed.json", "plan.json", "base-plan.json"):
        subprocess.run(["ultraplan", "plan", "cluster.yaml", "--out", name], cwd=root, env=env, check=True,
                       capture_output=True)
    return root, env


@pytest.mark.parametrize("block", [_param(b) for b in YAML_BLOCKS if b.mark != "skip"])
def test_yaml_blocks_load_and_specs_validate(block, sandbox):
    root, env = sandbox
    data = yaml.safe_load(block.body)
    assert data is not None, f"{block.id}: an empty YAML block"
    if isinstance(data, dict) and "name" in data and "compute" in data:
        spec = root / f"spec-{block.line}.yaml"
        spec.write_text(block.body)
        proc = subprocess.run(["ultraplan", "validate", str(spec)], cwd=root, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{block.id}: the spec in the docs does not validate:\n{proc.stderr}"
        # Dates in a documented spec (Capacity Blocks) must not rot: it still validates 150 days on.
        later = subprocess.run(["ultraplan", "validate", str(spec), "--now", LATER], cwd=root, env=env,
                               capture_output=True, text=True)
        assert later.returncode == 0, f"{block.id}: the spec in the docs is refused at {LATER}:\n{later.stderr}"


@pytest.mark.parametrize("block", [_param(b) for b in SHELL_BLOCKS if b.mark != "skip"])
def test_shell_blocks_exit_as_documented(block, sandbox):
    root, env = sandbox
    for command, expected in block.commands():
        proc = subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == expected, (f"{block.id}: `{command}` exited {proc.returncode}, the docs say "
                                             f"{expected}\n{proc.stderr[-2000:]}")
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in SYNOPSES])
def test_synopsis_commands_exist(block, sandbox):
    root, env = sandbox
    for command, _ in block.commands():
        words = [w for w in command.split() if w.isidentifier() or w == "ultraplan"]
        argv = [words[0]] + [w for w in words[1:3] if w.islower()]
        proc = subprocess.run([*argv, "--help"], cwd=root, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{block.id}: `{' '.join(argv)} --help` exited {proc.returncode}"
        options = [w.strip("[]").split("=")[0] for w in command.split() if w.strip("[]").startswith("--")]
        for option in options:
            assert option.rstrip(".") in proc.stdout, f"{block.id}: `{' '.join(argv)}` has no option {option}"


def test_every_skipped_block_says_why():
    skipped = [b for b in ALL if b.mark == "skip"]
    assert all(b.why for b in skipped), [b.id for b in skipped if not b.why]
    # Skips are for what cannot run here (Pulumi CLI, live AWS, the suite itself), not for what fails.
    assert all(any(w in b.why for w in ("Pulumi", "AWS", "suite", "venv", "virtual environment", "deploy"))
               for b in skipped), [(b.id, b.why) for b in skipped]


def test_the_harness_catches_a_failing_command(sandbox):
    """The shell test would prove nothing if a failing documented command still passed."""
    from support.docblocks import Block

    root, env = sandbox
    bad = Block("x.md", 1, "bash", "ultraplan validate examples/no-such.yaml\n", None, None)
    (command, expected), = bad.commands()
    proc = subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode != expected
    assert Block("x.md", 1, "bash", "ultraplan check x.yaml  # exits 1 on a failed gate\n", None, None).commands() == [
        ("ultraplan check x.yaml", 1)]
