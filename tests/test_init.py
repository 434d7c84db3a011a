"""`ultraplan init` writes a starter spec with the schema line that validates and passes `check`, for
every capacity type; bad values are exit 2 with nothing written; shell completion works as documented."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from planner.cli import main
from planner.cli.init_cmd import CAPACITY, starter_spec
from planner.spec.load import parse_spec


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.mark.parametrize("capacity", CAPACITY)
def test_init_writes_a_spec_that_passes_check(capacity, tmp_path, capsys):
    out = tmp_path / "my-cluster.yaml"
    code, stdout, err = run(capsys, "init", "--yes", "--out", str(out), "--capacity", capacity, "--count", "4")
    assert code == 0, err
    text = out.read_text()
    assert text.startswith("# yaml-language-server: $schema=cluster.schema.json\n")
    assert (tmp_path / "cluster.schema.json").is_file()
    assert "name: my-cluster" in text and "count: 4" in text
    code, stdout, err = run(capsys, "check", str(out))
    assert code == 0, stdout + err


def test_init_takes_region_zone_and_type_as_flags(tmp_path, capsys):
    out = tmp_path / "c.yaml"
    code, _, err = run(capsys, "init", "--yes", "--out", str(out), "--region", "us-west-2", "--zone", "usw2-az3",
                       "--instance-type", "p5e.48xlarge")
    assert code == 0, err
    spec = parse_spec(out.read_text(), str(out)).spec
    assert (spec.region, spec.availability_zone, spec.compute[0].instance_type) == ("us-west-2", "usw2-az3", "p5e.48xlarge")


def test_init_defaults_to_a_zone_that_offers_the_type(tmp_path, capsys):
    out = tmp_path / "c.yaml"
    code, _, err = run(capsys, "init", "--yes", "--out", str(out), "--region", "us-east-2", "--instance-type",
                       "trn2.48xlarge", "--ami", "ami-0123456789abcdef0")
    from planner.catalog.zones import region_zones

    assert code == 0, err
    zone = parse_spec(out.read_text(), str(out)).spec.availability_zone
    assert zone in region_zones("us-east-2").accelerated["trn2.48xlarge"]


@pytest.mark.parametrize("argv, message", [
    pytest.param(["--zone", "us-east-1z"], "is not an Availability Zone of us-east-1", id="bad-zone"),
    pytest.param(["--instance-type", "p5.48xlarg"], "did you mean p5.48xlarge", id="typo-type"),
    pytest.param(["--region", "us-west-1", "--instance-type", "p6-b300.48xlarge"], "no zone of us-west-1 offers it",
                 id="type-not-sold-there"),
])
def test_init_refuses_bad_values_and_writes_nothing(argv, message, tmp_path, capsys):
    out = tmp_path / "c.yaml"
    code, _, err = run(capsys, "init", "--yes", "--out", str(out), *argv)
    assert code == 2 and message in err
    assert not out.exists()


def test_init_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "c.yaml"
    out.write_text("mine\n")
    code, _, err = run(capsys, "init", "--yes", "--out", str(out))
    assert code == 2 and "exists" in err and out.read_text() == "mine\n"
    code, _, err = run(capsys, "init", "--yes", "--out", str(out), "--force")
    assert code == 0 and out.read_text() != "mine\n"


def test_init_asks_on_a_terminal(tmp_path, monkeypatch):
    """Prompts (Region, type, zone, count, capacity) when stdin is a terminal; answers become the spec."""
    from click.testing import CliRunner

    from planner.cli.init_cmd import init

    out = tmp_path / "asked.yaml"
    runner = CliRunner()
    monkeypatch.setattr("planner.cli.init_cmd._interactive", lambda: True)
    result = runner.invoke(init, ["--out", str(out)], input="us-east-1\np5en.48xlarge\nuse1-az2\n3\nspot\n")
    assert result.exit_code == 0, result.output
    spec = parse_spec(out.read_text(), str(out)).spec
    assert spec.compute[0].instance_type == "p5en.48xlarge" and spec.compute[0].count == 3
    assert spec.availability_zone == "use1-az2" and spec.compute[0].capacity.type == "spot"


def test_a_type_without_a_default_image_needs_ami(tmp_path, capsys, monkeypatch):
    """Types the catalog vouches no default image for (none today: the launch rules added Neuron and
    ARM64 images) must name one: init asks, or says to give --ami, and writes nothing."""
    monkeypatch.setattr("planner.catalog.default_image", lambda itype: None)
    out = tmp_path / "c.yaml"
    code, _, err = run(capsys, "init", "--yes", "--out", str(out), "--region", "us-east-2", "--instance-type",
                       "trn2.48xlarge")
    assert code == 2 and "give --ami" in err and not out.exists()


def test_starter_spec_block_starts_four_weeks_out():
    text = starter_spec(name="c", region="us-east-1", zone="use1-az4", instance_type="p5.48xlarge", count=2,
                        capacity="capacity-block", today=dt.date(2027, 1, 1))
    assert "start: 2027-01-29, days: 14" in text and "planned: true" in text


def test_shell_completion_as_documented():
    """README: `eval "$(_ULTRAPLAN_COMPLETE=bash_source ultraplan)"`; completing `ultraplan ch` offers check."""
    env = {**os.environ, "PYTHONPATH": ROOT, "_ULTRAPLAN_COMPLETE": "bash_source"}
    code = "from planner.cli import main; main()"
    script = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert script.returncode == 0 and "_ultraplan_completion()" in script.stdout
    env.update(_ULTRAPLAN_COMPLETE="bash_complete", COMP_WORDS="ultraplan ch", COMP_CWORD="1")
    words = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert "plain,check" in words.stdout.splitlines()
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert '_ULTRAPLAN_COMPLETE=bash_source ultraplan' in readme and "ultraplan init" in readme
