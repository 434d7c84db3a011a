"""Every human output of every command, on every example, fits an 80-column terminal.

The one exception is a command the user pastes into a shell (`aws ...`): it is printed alone on its
line and never wrapped, however long (pasting a wrapped command runs two commands).
"""
from __future__ import annotations

import os
import re

import pytest

from conftest import EXAMPLES, ROOT
from planner.cli import main

WIDTH = 80
COLOR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-7]|9[0-7]|38)[;m]")  # a foreground colour, not bold or dim
PASTE = re.compile(r"^(aws|ultraplan|pulumi) [a-z]")
ACCOUNTS = {"us-east-1": "examples/accounts/demo-us-east-1.json", "us-east-2": "examples/accounts/demo-us-east-2.json"}


def run(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out + out.err


def too_wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > WIDTH and not PASTE.match(line)]


def _region(example: str) -> str:
    with open(example, encoding="utf-8") as fh:
        return re.search(r"^region: (\S+)", fh.read(), re.M).group(1)


def _commands():
    for example in EXAMPLES:
        rel = os.path.relpath(example, ROOT)
        name = os.path.basename(example).removesuffix(".yaml")
        account = ACCOUNTS[_region(example)]
        yield pytest.param(("validate", rel), id=f"validate-{name}")
        yield pytest.param(("plan", rel), id=f"plan-{name}")
        yield pytest.param(("cost", rel), id=f"cost-{name}")
        yield pytest.param(("policy", rel), id=f"policy-{name}")
        yield pytest.param(("preflight", rel, "--account", account), id=f"preflight-{name}")
        yield pytest.param(("check", rel, "--account", account), id=f"check-{name}")
    for argv in (("policy", "list"), ("catalog", "list"), ("--help",), ("check", "--help"), ("policy", "--help"),
                 ("preflight", "--help"), ("cost", "--help"), ("plan", "--help")):
        yield pytest.param(argv, id="-".join(a.strip("-") for a in argv))


def test_diffs_fit_80_columns(capsys, monkeypatch, tmp_path, write_spec):
    old = tmp_path / "old.json"
    run(capsys, monkeypatch, "plan", "examples/gb200-capacity-block.yaml", "--out", str(old))
    bigger = write_spec(open("examples/gb200-capacity-block.yaml", encoding="utf-8").read()
                        .replace("count: 4", "count: 6")
                        .replace("cr-0123456789abcdef3]",  # one Capacity Block per UltraServer
                                 "cr-0123456789abcdef3, cr-0123456789abcdef4, cr-0123456789abcdef5]"), "bigger.yaml")
    for argv in (("plan", bigger, "--diff", str(old)), ("cost", bigger, "--diff", str(old))):
        code, text = run(capsys, monkeypatch, *argv)
        assert code in (0, 1) and text.strip(), text
        assert too_wide(text) == [], argv


@pytest.mark.parametrize("argv", list(_commands()))
def test_fits_80_columns(argv, capsys, monkeypatch):
    code, text = run(capsys, monkeypatch, *argv)
    assert code in (0, 1), text  # ran (a gate may fail), not a usage or spec error
    assert text.strip()
    assert too_wide(text) == []


def test_cost_keeps_the_money_columns_when_narrow(capsys, monkeypatch):
    _, text = run(capsys, monkeypatch, "cost", "examples/gb200-capacity-block.yaml")
    header = next(line for line in text.splitlines() if "Resource" in line)
    assert "Monthly" in header and "Term" in header
    assert "hidden at this width" in text  # says what it left out and how to see it


def test_cost_shows_every_column_when_wide(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["cost", "examples/gb200-capacity-block.yaml"])
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if "Resource" in line)
    for column in ("Unit price", "Hourly", "Runs"):
        assert column in header
    assert "hidden at this width" not in text


def test_spec_errors_fit_and_keep_the_caret(capsys, monkeypatch, write_spec):
    from conftest import BASE_SPEC

    long_tags = "tags: {team: t, cost-center: '1', owner: " + "x" * 90 + ", extra: 1}\n"
    spec = write_spec(BASE_SPEC.replace("tags: {team: t, cost-center: \"1\"}\n", long_tags)
                      .replace("p5.48xlarge", "p5.48xlarg"))
    code, text = run(capsys, monkeypatch, "validate", spec)
    assert code == 2
    assert too_wide(text) == []
    assert "^^^^^^^^^^" in text


def test_quota_command_is_never_wrapped(capsys, monkeypatch):
    code, text = run(capsys, monkeypatch, "preflight", "examples/frontier.yaml", "--account", ACCOUNTS["us-east-1"])
    commands = [line for line in text.splitlines() if line.startswith("aws service-quotas request-service-quota-increase")]
    assert commands, text
    for line in commands:
        assert line.rstrip().endswith(tuple("0123456789")), line  # the whole command, --desired-value N included


@pytest.mark.parametrize("flag,env,colored", [
    pytest.param(["--color", "always"], {}, True, id="always"),
    pytest.param(["--color", "never"], {}, False, id="never"),
    pytest.param([], {}, False, id="auto-not-a-terminal"),
    pytest.param(["--color", "always"], {"NO_COLOR": "1"}, True, id="always-beats-NO_COLOR"),
])
def test_color_option(flag, env, colored, capsys, monkeypatch):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    _, text = run(capsys, monkeypatch, *flag, "policy", "examples/gb200-capacity-block.yaml")
    assert bool(COLOR.search(text)) is colored


def test_no_color_env_turns_auto_off(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal as far as rich can tell
    _, text = run(capsys, monkeypatch, "policy", "examples/gb200-capacity-block.yaml")
    assert "\x1b[1m" in text  # a terminal: bold stays (NO_COLOR is about colour)
    assert not COLOR.search(text)


def test_an_error_with_a_long_path_wraps_under_its_start(capsys, monkeypatch, tmp_path):
    """`error:` lines fit 80 columns like every other line: a long message wraps, indented."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "cluster.yaml"
    deep.parent.mkdir(parents=True)
    deep.write_text("not: [closed\n")
    code, text = run(capsys, monkeypatch, "cost", "--prices", str(deep.parent / "missing-prices.yaml"), str(deep))
    assert code == 2
    lines = [line for line in text.splitlines() if line.strip()]
    # Only a path longer than a line may pass the width, alone on its line (cut, it could not be copied).
    assert lines and all(len(line.split()) == 1 for line in too_wide(text)), text
    assert f"'{deep.parent / 'missing-prices.yaml'}'" in text.split(), text  # whole, copyable
    start = next(i for i, line in enumerate(lines) if line.lower().startswith("error: "))
    assert len(lines) > start + 1 and lines[start + 1].startswith("    "), text


def test_a_missing_module_error_keeps_its_install_command_whole(capsys, monkeypatch):
    """The install command to paste stands alone on its line, however narrow the terminal."""
    from planner.cli.failure import echo_error

    monkeypatch.setenv("COLUMNS", "40")
    echo_error("error: ", "the Python module 'highspy' is not installed; it is needed for this command. Install "
                          "it with:\npython3 -m pip install -e '/a/very/long/path/to/the/checkout[solve]'")
    err = capsys.readouterr().err.splitlines()
    assert "python3 -m pip install -e '/a/very/long/path/to/the/checkout[solve]'" in err
    assert all(len(line) <= 40 for line in err if not line.startswith("python3 -m pip"))
