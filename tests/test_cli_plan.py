"""The CLI as a user runs it: exit codes, JSON to stdout, errors to stderr, atomic --out, no tracebacks."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import BASE_SPEC, ROOT


def run(*args: str):
    proc = subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_validate_ok_and_invalid(write_spec):
    assert run("validate", "examples/p5-on-demand-fsx.yaml").returncode == 0
    bad = run("validate", write_spec(BASE_SPEC.replace("count: 2", "coutn: 2")))
    assert bad.returncode == 2
    assert ".yaml:10:5:" in bad.stderr and "compute[0].coutn\n  unknown key 'coutn'\n" in bad.stderr
    assert "    10 |     coutn: 2\n       |     ^^^^^\n  fix: did you mean 'count'?" in bad.stderr


def test_validate_json_lists_issues(write_spec):
    out = run("validate", write_spec(BASE_SPEC.replace("us-east-1a", "eu-west-1a")), "--format", "json")
    assert out.returncode == 2
    issues = json.loads(out.stdout)["issues"]
    assert issues[0]["path"] == "availability_zone" and issues[0]["line"] == 3


def test_plan_text_shows_tree_and_summary():
    out = run("plan", "examples/gb200-capacity-block.yaml")
    assert out.returncode == 0
    assert "+ aws:ec2/launchTemplate:LaunchTemplate  lt-trainers" in out.stdout
    # 43 + 4 UltraServers x (2 schedules, hook) + drain policy + node runtime policy + 3 Lustre SSM parameters
    assert "Resources: + 60 to create in 4 stacks" in out.stdout
    assert "NVLink domains" in out.stdout and "115.2 Tbps" in out.stdout


def test_plan_out_writes_json_and_diff_reads_it(tmp_path, write_spec):
    spec = write_spec()
    out_file = tmp_path / "plan.json"
    assert run("plan", spec, "--out", str(out_file)).returncode == 0
    data = json.loads(out_file.read_text())
    assert data["summary"]["gpus"] == 16
    bigger = write_spec(BASE_SPEC.replace("count: 2", "count: 4"), "bigger.yaml")
    diff = run("plan", bigger, "--diff", str(out_file), "--format", "json")
    assert diff.returncode == 0
    ops = {c["name"]: c["op"] for c in json.loads(diff.stdout)["changes"]}
    assert ops["asg-gpu"] == "update"
    text = run("plan", bigger, "--diff", str(out_file))
    assert "~ aws:autoscaling/group:Group  asg-gpu" in text.stdout and "desiredCapacity: 2 → 4" in text.stdout


def test_invalid_spec_leaves_no_plan_file(tmp_path, write_spec):
    out_file = tmp_path / "plan.json"
    proc = run("plan", write_spec(BASE_SPEC.replace("count: 2", "count: 0")), "--out", str(out_file))
    assert proc.returncode == 2 and not out_file.exists()
    assert os.listdir(tmp_path) == ["spec.yaml"]


def test_unwritable_out_is_a_usage_error(tmp_path, write_spec):
    proc = run("plan", write_spec(), "--out", str(tmp_path / "missing" / "plan.json"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr


def test_bad_diff_file_is_a_usage_error(tmp_path, write_spec):
    junk = tmp_path / "old.json"
    junk.write_text("{not json")
    proc = run("plan", write_spec(), "--diff", str(junk))
    assert proc.returncode == 2 and "not an ultraplan plan JSON" in proc.stderr


def test_schema_is_json_schema_with_the_spec_fields():
    out = run("schema")
    schema = json.loads(out.stdout)
    assert {"name", "region", "compute", "network"} <= set(schema["properties"])


@pytest.mark.parametrize("args", [["nosuchcommand"], ["plan"], ["plan", "--format", "yaml", "x.yaml"]])
def test_command_line_mistakes_exit_2(args):
    assert run(*args).returncode == 2


def test_ctx_exit_codes_reach_the_shell():
    import click

    from planner import cli as cli_module

    @click.command()
    @click.pass_context
    def failing(ctx):
        ctx.exit(1)

    cli_module.cli.add_command(failing, "failing-probe")
    try:
        with pytest.raises(SystemExit) as info:
            cli_module.main(["failing-probe"])
        assert info.value.code == 1
    finally:
        cli_module.cli.commands.pop("failing-probe", None)


def test_n_ultraservers_with_one_reservation_id_exit_2(tmp_path):
    """The GB200 example with its four ids collapsed into one: one Capacity Block holds one UltraServer."""
    text = open(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml"), encoding="utf-8").read()
    text = text.replace("reservation_ids: [cr-0123456789abcdef0, cr-0123456789abcdef1, cr-0123456789abcdef2, "
                        "cr-0123456789abcdef3]", "reservation_id: cr-0123456789abcdef0")
    spec = tmp_path / "one-id.yaml"
    spec.write_text(text, encoding="utf-8")
    for command in ("validate", "plan"):
        out = run(command, str(spec))
        assert out.returncode == 2
        said = " ".join(out.stderr.split())
        line = text.splitlines().index("    capacity:                      # each UltraServer is its own Capacity Block: one reservation id each") + 1
        assert f"one-id.yaml:{line}:5: compute[0].capacity.reservation_ids" in said
        assert ("4 x u-p6e-gb200x72 are 4 Capacity Blocks, one reservation each; reservation_id names 1 for 4 "
                "UltraServers") in said
