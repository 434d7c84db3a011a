"""What a new user reads in the first hour (issue 18): the README speaks to users (no development
history), links every guide in docs/, and each of its measured figures names the bench that printed
it; command output counts in words a person writes ("1 instance", "499,968"); `solve` states each
problem of infeasible goals once."""
from __future__ import annotations

import glob
import os
import re

import pytest

from conftest import ROOT, SMALL_EXAMPLES
from planner.cli import main

README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()

# Words that tell the project's history rather than what the tool does.
HISTORY = [r"\bissue[- ]?\d+", r"\btook \d", r"\bsession\b", r"\bround \d", r"\bpreviously\b", r"\bused to\b",
           r"\bwe (fixed|changed|added)\b", r"\bbefore this (change|release)\b", r"\buntil 20\d\d"]


def _history(text: str) -> list[str]:
    return [m.group(0) for pattern in HISTORY for m in re.finditer(pattern, text, re.IGNORECASE)]


def test_the_readme_speaks_to_users_not_of_its_history():
    assert _history(README) == []


def test_the_history_check_can_fail():
    assert _history("issue-11 targets; the solve took 101 s") == ["issue-11", "took 1"]


def test_the_readme_links_every_guide():
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)\)", README))
    guides = {os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))}
    assert guides - linked == set(), f"README links no {sorted(guides - linked)}"
    assert all(os.path.exists(os.path.join(ROOT, p)) for p in linked)


def _benchmarks() -> list[str]:
    """The README's Benchmarks section, one paragraph a bench."""
    section = README.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    return [p for p in section.split("\n\n") if p.strip()]


def test_every_measured_figure_names_the_bench_that_printed_it():
    figure = re.compile(r"\b\d[\d,.]*\s?(s|ms|MB|GB|KB|%)\b")
    paragraphs = [p for p in _benchmarks() if figure.search(p)]
    assert paragraphs, "the Benchmarks section has no figures"
    for paragraph in paragraphs:
        named = re.findall(r"bench/(\w+\.py)", paragraph)
        assert named, f"a figure without its bench: {paragraph[:200]}"
        assert all(os.path.exists(os.path.join(ROOT, "bench", n)) for n in named), named


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


# "1 instances", "1 Elastic IPs": a count of one with a plural noun (not "1 item(s)", not "$1 ...").
ONE_PLURAL = re.compile(r"(?<![\d,.$])\b1 ((?:[A-Z][A-Za-z]+ )?[a-zA-Z-]+s)\b(?!\()")
# A count of five or more digits without separators ("499968"); ids, dates, CIDRs and quota values are
# written as AWS writes them, so they are left out by the characters around them.
BARE = re.compile(r"(?<![\w.,:/$-])\d{5,}(?![\w.,:/-])")
NOT_PLURAL = {"1 Gbps"}  # a unit, not a plural


def _counting_mistakes(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("aws ", "ultraplan "))]
    flat = " ".join(" ".join(lines).split())
    ones = [f"1 {m.group(1)}" for m in ONE_PLURAL.finditer(flat) if not m.group(1).endswith(("ss", "us"))]
    return [w for w in ones if w not in NOT_PLURAL] + BARE.findall(flat)


def test_the_counting_check_can_fail():
    assert _counting_mistakes("1 instances in 1 Elastic IPs, 499968 GPUs; 1 instance, 2 IPs, 499,968") == [
        "1 instances", "1 Elastic IPs", "499968"]


@pytest.mark.parametrize("command", ["plan", "cost", "policy", "check", "validate"])
@pytest.mark.parametrize("example", [pytest.param(os.path.relpath(e, ROOT), id=os.path.basename(e))
                                     for e in SMALL_EXAMPLES])
def test_output_counts_in_words_a_person_writes(command, example, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one finding a line: the check reads whole sentences
    _, out, err = run(capsys, command, example)
    assert _counting_mistakes(out + err) == []


@pytest.mark.parametrize("argv", [
    pytest.param(["preflight", "examples/gb200-capacity-block.yaml", "--account", "examples/accounts/demo-us-east-1.json"],
                 id="preflight"),
    pytest.param(["preflight", "examples/trn2-ultraserver.yaml", "--account", "examples/accounts/demo-us-east-2.json"],
                 id="preflight-trn2"),
    pytest.param(["solve", "goals/small.yaml", "--out", "{tmp}/s.yaml"], id="solve"),
    pytest.param(["check", "examples/frontier/"], id="fleet-check"),
    pytest.param(["check", "examples/frontier.yaml"], id="frontier-check", marks=pytest.mark.slow),
])
def test_other_commands_count_in_words_a_person_writes(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "200")
    _, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert _counting_mistakes(out + err) == []


def test_solve_states_each_problem_of_infeasible_goals_once(tmp_path, capsys):
    import shutil

    goals = open(os.path.join(ROOT, "goals", "small.yaml"), encoding="utf-8").read()
    assert "budget: {total_usd: 3.5e9}" in goals
    (tmp_path / "g.yaml").write_text(goals.replace("budget: {total_usd: 3.5e9}", "budget: {total_usd: 1.0e8}"))
    shutil.copy(os.path.join(ROOT, "goals", "rates.yaml"), tmp_path / "rates.yaml")
    code, out, err = run(capsys, "solve", str(tmp_path / "g.yaml"), "--out", str(tmp_path / "s.yaml"))
    assert code == 1
    both = out + err
    assert both.count("budget.total_usd:") == 1, both
    assert both.count("infeasible") == 1 and not (tmp_path / "s.yaml").exists()
