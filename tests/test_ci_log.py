"""A CI log people read: `check` over many specs prints a header line per spec with its steps under
it and one summary line (counts, money, verdict); every line of every command fits 80 columns in a
pipe, counted in bytes as `awk 'length > 80'` counts them, with long absolute paths; findings that
share a rule and a cause are one paragraph (text), one item (Markdown, HTML), and stay one SARIF
result per location; `--quiet` leaves out info findings."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BASE_SPEC, EXAMPLES, ROOT

WIDTH = 80
PASTE = ("aws ", "ultraplan ", "pulumi ")  # a command to paste stands alone on its line, never wrapped


def ultraplan(*argv: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """The CLI in a pipe, as CI runs it: no COLUMNS, no terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "PYTHONPATH")}
    env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "planner", *argv], capture_output=True, cwd=cwd, env=env)


def too_wide(data: bytes) -> list[bytes]:
    """Lines over 80 bytes, as `awk 'length > 80'` (mawk) counts them: the check log is ASCII."""
    return [line for line in data.splitlines() if len(line) > WIDTH and not line.startswith(tuple(
        p.encode() for p in PASTE))]


def too_wide_columns(data: bytes) -> list[str]:
    """Lines over 80 columns (characters: the plan tree and cost tables draw with box characters)."""
    return [line for line in data.decode().splitlines() if len(line) > WIDTH and not line.startswith(PASTE)]


@pytest.fixture(scope="module")
def deep_examples(tmp_path_factory) -> str:
    """The examples at a long absolute path, as `clusters/production/us-east-1/` in a CI checkout."""
    root = tmp_path_factory.mktemp("a-rather-long-checkout-folder-name") / "clusters" / "production" / "us-east-1"
    shutil.copytree(os.path.join(ROOT, "examples"), root / "examples")
    shutil.copytree(os.path.join(ROOT, "goals"), root.parent / "goals", dirs_exist_ok=True)
    shutil.copytree(os.path.join(ROOT, "goals"), root / "goals")
    return str(root / "examples")


def test_check_on_the_examples_folder_is_a_short_readable_log(deep_examples):
    proc = ultraplan("check", deep_examples + "/")
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr.decode()
    assert too_wide(out) == [] and too_wide(proc.stderr) == []
    lines = out.decode().splitlines()
    assert len(lines) < 60, "\n".join(lines)
    # The folder once at the top, then one header line a spec (its path under the folder, its verdict)
    # with its steps on the next line.
    assert deep_examples in " ".join(x.strip() for x in lines[:3]).replace(" ", "")
    for example in EXAMPLES:
        name = os.path.basename(example)
        head = next(i for i, line in enumerate(lines) if line.startswith(f"{name} ("))
        block = " ".join(x.strip() for x in lines[head:head + 4])
        assert "PASS" in block and "validate ok, plan ok, cost" in block
    last = " ".join(x.strip() for x in lines[-2:])
    assert last.startswith("PASS: 5 specs, $") and "/month" in last and "passed" in last


def test_wrapped_lines_are_indented_under_their_start(deep_examples):
    lines = ultraplan("check", deep_examples + "/").stdout.decode().splitlines()
    starts = ("ultraplan ", "info ", "skipped ", "PASS", "FAIL", "  fix:", "   ", *"0123456789",
              *(os.path.basename(e) for e in EXAMPLES))
    for previous, line in zip(lines, lines[1:]):
        assert line.startswith(starts) or line.startswith("    "), (previous, line)


@pytest.mark.parametrize("example", [pytest.param(e, id=os.path.basename(e), marks=[pytest.mark.slow] if "frontier" in e
                                                  else []) for e in EXAMPLES])
@pytest.mark.parametrize("command", ["validate", "plan", "cost", "policy", "check"])
def test_every_command_fits_80_columns_with_a_long_path(command, example, deep_examples, capsys, monkeypatch):
    from planner.cli import main

    monkeypatch.delenv("COLUMNS", raising=False)  # a pipe: the 80-column default
    with pytest.raises(SystemExit) as info:
        main([command, os.path.join(deep_examples, os.path.basename(example))])
    out = capsys.readouterr()
    assert info.value.code in (0, 1), out.err
    assert too_wide_columns(out.out.encode()) == [] and too_wide_columns(out.err.encode()) == []


def test_preflight_progress_on_stderr_fits_80_columns(deep_examples, monkeypatch, capsys):
    """Progress lines name the check and its title ("[22/22] preflight.quota.limits: Account limits
    cover the plan (groups, ...)"): wrapped to 80 columns, indented under their start."""
    from planner.cli.preflight_cmd import _progress

    monkeypatch.setenv("COLUMNS", "80")
    _progress("text")("[22/22] preflight.quota.limits: Account limits cover the plan (groups, templates, EIPs, "
                      "NAT, rules, Lustre) and a title long enough to wrap twice in a CI log of eighty columns")
    err = capsys.readouterr().err.splitlines()
    assert len(err) >= 2 and all(len(line) <= WIDTH for line in err)
    assert err[0].startswith("preflight [22/22]") and all(line.startswith("    ") for line in err[1:])


MISSING_TAG = BASE_SPEC.replace('tags: {team: t, cost-center: "1"}', "tags: {team: t}").replace(
    "compute:", "policies: {config: {required-tags: {tags: [team, owner]}}}\ncompute:")


def test_one_missing_tag_is_one_grouped_finding(write_spec):
    spec = write_spec(MISSING_TAG)
    text = ultraplan("policy", spec).stdout.decode()
    paragraphs = [line for line in text.splitlines() if "required-tags" in line]
    assert len(paragraphs) == 1, text
    flat = " ".join(text.split())
    assert "resources: " in flat and "missing tag owner" in flat and f"{spec}:4:" in flat
    count = int(flat.split("required-tags [")[1].split(" resources")[0])
    assert count >= 10
    md = ultraplan("policy", spec, "--format", "markdown").stdout.decode()
    items = [line for line in md.splitlines() if line.startswith("- ") and "missing tag owner" in line]
    assert len(items) == 1 and f"{count} resources: " in items[0]
    sarif = json.loads(ultraplan("policy", spec, "--format", "sarif").stdout)
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "required-tags"]
    assert len(results) == count  # SARIF keeps one result per resource, as code scanning expects


def test_html_lists_one_item_for_one_cause(write_spec, tmp_path):
    spec = write_spec(MISSING_TAG)
    out = tmp_path / "r.html"
    proc = ultraplan("report", spec, "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr.decode()
    html = out.read_text(encoding="utf-8")
    assert html.count("missing tag owner</li>") == 1 and " resources: " in html


def test_different_causes_stay_apart():
    from planner.findings import Finding, Level, Source
    from planner.report.grouping import by_cause
    from planner.report.model import Entry

    def entry(res, msg, line):
        return Entry(Finding("required-tags", Level.ERROR, msg, resource=res, source=Source("s.yaml", line)))

    groups = by_cause([entry("a", "missing tag owner", 4), entry("b", "missing tag owner", 4),
                       entry("c", "missing tag team", 4), entry("d", "missing tag owner", 9)])
    assert [len(g.entries) for g in groups] == [2, 1, 1]
    assert groups[0].subject() == "2 resources: a, b"


def test_quiet_leaves_out_info_and_says_so():
    loud = ultraplan("check", "examples/p5-on-demand-fsx.yaml").stdout.decode()
    quiet = ultraplan("check", "examples/p5-on-demand-fsx.yaml", "--quiet").stdout.decode()
    assert ": info plan.note" in loud and ": info " not in quiet
    assert "info finding(s) not shown (--quiet)" in quiet


def test_markdown_counts_a_rules_warnings_apart_from_its_infos():
    md = ultraplan("check", "examples/frontier.yaml", "--format", "markdown").stdout.decode()
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`plan.note`" in line]
    levels = sorted(row.split("|")[1].strip() for row in rows)
    assert levels == ["info", "warning"], rows
