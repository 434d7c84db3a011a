"""Small things a person notices: `plan --format markdown` works without --diff, counts read "1
instance" and "499,968", `--color always` colours cost and validate (and only then)."""
from __future__ import annotations

import pytest

from planner.cli import main
from planner.findings import counted


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_plan_markdown_without_diff_is_the_summary_and_stacks(capsys):
    code, out, err = run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("## ultraplan plan: p5-research")
    assert "| GPUs / accelerators | 512 |" in out and "| `network` |" in out and "| vCPUs | 12,320 |" in out


@pytest.mark.parametrize("n, one, text", [(1, "instance", "1 instance"), (2, "instance", "2 instances"),
                                          (499968, "GPU", "499,968 GPUs"), (1, "Elastic IP", "1 Elastic IP")])
def test_counted(n, one, text):
    assert counted(n, one) == text


def test_check_and_plan_say_1_elastic_ip_and_separate_thousands(capsys):
    _, out, _ = run(capsys, "plan", "examples/p5-on-demand-fsx.yaml")
    flat = " ".join(out.split())
    assert "1 Elastic IP," in flat and "1 Elastic IPs" not in flat
    _, out, _ = run(capsys, "check", "examples/frontier.yaml", "--format", "json")
    import json

    plan_step = next(s for s in json.loads(out)["steps"] if s["name"] == "plan")
    assert "499,968 accelerators, 124,996 instances" in plan_step["summary"]
    assert plan_step["summary"].split(" resources")[0].count(",") == 1  # 6,9xx resources


@pytest.mark.parametrize("command", ["cost", "validate"])
def test_color_always_colours_and_a_pipe_does_not(command, capsys):
    ansi = "\x1b["
    _, out, err = run(capsys, "--color", "always", command, "examples/p5-on-demand-fsx.yaml")
    assert ansi in out + err
    _, out, err = run(capsys, command, "examples/p5-on-demand-fsx.yaml")
    assert ansi not in out + err


def test_check_takes_shard_size_as_plan_does(capsys):
    _, out, _ = run(capsys, "check", "examples/gb200-capacity-block.yaml", "--shard-size", "5", "--format", "json")
    import json

    plan_step = next(s for s in json.loads(out)["steps"] if s["name"] == "plan")
    _, default, _ = run(capsys, "check", "examples/gb200-capacity-block.yaml", "--format", "json")
    default_step = next(s for s in json.loads(default)["steps"] if s["name"] == "plan")
    stacks = int(plan_step["summary"].split(" in ")[1].split(" stack")[0])
    assert stacks > int(default_step["summary"].split(" in ")[1].split(" stack")[0])
    code, _, err = run(capsys, "check", "examples/gb200-capacity-block.yaml", "--shard-size", "0")
    assert code == 2 and "--shard-size" in err


def test_solve_leaves_out_a_savings_plan_longer_than_the_term_and_says_so(tmp_path, capsys):
    import shutil

    goals = open("goals/small.yaml", encoding="utf-8").read().replace("months: 48", "months: 24").replace(
        "{date: 2029-07-01, gpus: 8000}", "{date: 2028-07-01, gpus: 8000}")
    (tmp_path / "g.yaml").write_text(goals)
    shutil.copy("goals/rates.yaml", tmp_path / "rates.yaml")
    code, out, err = run(capsys, "solve", str(tmp_path / "g.yaml"), "--out", str(tmp_path / "s.yaml"), "--no-explain")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Not considered: p5en.48xlarge savings-plan-3y: a 3-year commitment does not fit the 24-month term" in flat
    import yaml

    spec = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert all(sp["years"] != 3 for sp in (spec.get("budget") or {}).get("savings_plans") or [])


def test_solve_says_what_it_is_doing_on_stderr_and_prints_a_target_date_once(tmp_path, capsys):
    code, out, err = run(capsys, "solve", "goals/small.yaml", "--out", str(tmp_path / "s.yaml"))
    assert code == 0
    assert "solve: solving:" in err and "solve: explaining:" in err
    assert all(len(line) <= 80 for line in err.splitlines())
    assert "targets[0]: 2,000 GPUs from 2027-07-01: saves" in out and "from 2027-07-01, from 2027-07-01" not in out
