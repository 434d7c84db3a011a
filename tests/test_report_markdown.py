"""The pull-request comment (`--format markdown`, `--markdown F`): grouped by rule, escaped, within
GitHub's comment limit. Rendered with markdown-it-py (CommonMark + GFM tables, as GitHub parses
comments) and read back as a reviewer sees it.
"""
from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from planner.cli import main
from planner.findings import Finding, Level, Source
from planner.report import Entry, Report, RuleInfo, render_markdown
from planner.report.mdtext import GITHUB_COMMENT_MAX, code, text

UNTAGGED = """\
name: demo
region: us-east-1
availability_zone: us-east-1a
tags: {team: t}
network:
  vpc_cidr: 10.0.0.0/16
compute:
  - name: gpu
    instance_type: p5.48xlarge
    count: 2
policies:
  config:
    required-tags: {tags: [team, cost-center]}
    instance-type-allowlist: {allowedTypes: ["p5en.*", "p6-b200.*"]}
"""


def rendered(md: str) -> str:
    """HTML as GitHub would make it of the comment (CommonMark, GFM tables and strikethrough)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md)


def cells(html: str) -> list[list[str]]:
    """The table rows of rendered HTML, each as the cells' text with tags stripped."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows]


def check_markdown(capsys, spec):
    with pytest.raises(SystemExit):
        main(["check", spec, "--format", "markdown"])
    return capsys.readouterr().out


def test_untagged_resources_give_one_required_tags_row_at_the_tags_line(capsys, write_spec):
    spec = write_spec(UNTAGGED)
    md = check_markdown(capsys, spec)
    rows = [r for r in cells(rendered(md)) if len(r) == 5 and r[1] == "required-tags"]
    assert len(rows) == 1, rows
    level, _, count, lines, what = rows[0]
    assert level == "mandatory" and int(count) > 10  # every taggable resource misses the tag...
    assert lines == f"{spec}:4"  # ...and the row points at `tags:`, where the fix goes
    assert what == "missing tag cost-center"


def test_globs_render_as_written(capsys, write_spec):
    html = rendered(check_markdown(capsys, write_spec(UNTAGGED)))
    row = next(r for r in cells(html) if len(r) == 5 and r[1] == "instance-type-allowlist")
    assert row[4] == "instance type p5.48xlarge is not in allowedTypes ['p5en.*', 'p6-b200.*']"
    assert "<em>" not in html


@pytest.mark.parametrize("message", [
    pytest.param("a | b", id="pipe"),
    pytest.param("<script>alert(1)</script>", id="html"),
    pytest.param("_x_ and *y* and ~~z~~ and [l](http://e) and ![i](x)", id="emphasis-links"),
    pytest.param("# heading? `tick` \\ back &amp; amp", id="heading-code-backslash-entity"),
    pytest.param("peak $1,026,010 is 41 % of $2,500,000", id="dollars-not-math"),
])
def test_finding_text_renders_exactly_as_written(message):
    report = Report("check", entries=[Entry(Finding("some-rule", Level.ERROR, message, source=Source("s.yaml", 3)))])
    html = rendered(render_markdown(report))
    row = next(r for r in cells(html) if len(r) == 5 and r[1] == "some-rule")
    unescaped = row[4].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert unescaped == message
    assert "<script>" not in html and "<em>" not in html and "<a " not in html


def test_code_spans_survive_backticks_and_pipes():
    assert code("a`b") == "``a`b``"
    assert code("x|y") == "`x\\|y`" and code("x|y", in_table=False) == "`x|y`"
    assert text("p5en.*") == "p5en.\\*"


def many_findings(rules: int, per_rule: int) -> Report:
    report = Report("check", spec_file="big.yaml", name="big")
    for r in range(rules):
        rid = f"rule-{r:03d}"
        report.rules.append(RuleInfo(rid, f"Rule {r}", remediation="do the thing"))
        for i in range(per_rule):
            report.entries.append(Entry(Finding(rid, Level.ERROR, f"resource {i} of rule {r} is wrong " + "x" * 80,
                                                resource=f"res-{i:05d}", source=Source("big.yaml", i + 1)), "policy"))
    return report


def test_a_huge_report_stays_under_githubs_limit_with_a_note():
    md = render_markdown(many_findings(rules=60, per_rule=400))
    assert len(md) <= GITHUB_COMMENT_MAX
    assert "**Truncated:**" in md and "comment limit" in md
    rows = [r for r in cells(rendered(md)) if len(r) == 5 and r[1].startswith("rule-")]
    assert len(rows) == 60, "every rule keeps its row; only the folded lists are dropped"
    assert md.count("<details>") == md.count("</details>")


def test_a_small_report_is_not_truncated():
    md = render_markdown(many_findings(rules=3, per_rule=5))
    assert "Truncated" not in md and md.count("<details>") == 3


def test_cost_before_and_after_from_a_diff():
    report = Report("report", name="demo")
    report.extra["changes"] = {"base": "base-plan.json", "counts": {"create": 3, "update": 1, "replace": 0, "delete": 2},
                               "replace_or_delete": ["asg-old"],
                               "cost": {"before": {"monthly_usd": 1000.0, "total_usd": 12000.0},
                                        "after": {"monthly_usd": 1500.0, "total_usd": 18000.0}}}
    md = render_markdown(report)
    html = rendered(md)
    plain = re.sub(r"<[^>]+>", "", html)
    assert "+ 3 to create · ~ 1 to update · +- 0 to replace · - 2 to delete" in plain
    assert "<li>" not in html, "the counts line is not a list"
    assert "Cost: $12,000 → $18,000 over the term." in plain
    row = next(r for r in cells(html) if r and r[0] == "term total")
    assert row == ["term total", "$12,000", "$18,000", "+$6,000 (+50.0%)"]


def test_several_specs_in_one_run_name_each_line_with_its_file(capsys, write_spec):
    a = write_spec(UNTAGGED, "a.yaml")
    b = write_spec(UNTAGGED, "b.yaml")
    with pytest.raises(SystemExit):
        main(["check", a, b, "--format", "markdown"])
    md = capsys.readouterr().out
    row = next(r for r in cells(rendered(md)) if len(r) == 5 and r[1] == "required-tags")
    assert row[3] == f"{a}:4, {b}:4"
