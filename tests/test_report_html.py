"""`ultraplan report` / `check --html`: one self-contained HTML file, looked at the way a person does.

The browser tests open each example's report in a real headless Chromium (Debian's, over the DevTools
protocol) and read what was drawn: the topology picture's text (zones, subnets, pools, NVLink
domains), the cost chart's months, stacks and budget line, the console, the network, a screenshot.
They are skipped, with the reason, only when Chromium cannot run here.
"""
from __future__ import annotations

import dataclasses

import json
import os
import re

import pytest

import planner
from chromium_cdp import Browser, chromium_unavailable
from conftest import EXAMPLES, ROOT, need
from planner.cli import main
from planner.cost import estimate
from planner.report import Report
from planner.report.costchart import chart_data
from planner.report.topology import DOMAINS_DRAWN, to_dot

FRONTIER = os.path.join(ROOT, "examples", "frontier.yaml")
GB200 = "examples/gb200-capacity-block.yaml"
MAX_BYTES = 5 * 1024 * 1024


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def write_report(capsys, tmp_path, *args, name="report.html"):
    path = tmp_path / name
    code, _, err = run(capsys, "report", *args, "--out", str(path))
    return code, path, err


# -- without a browser ---------------------------------------------------------------------------
def test_report_is_one_self_contained_file_that_asks_for_nothing_outside(capsys, tmp_path):
    code, path, err = write_report(capsys, tmp_path, GB200)
    html = path.read_text(encoding="utf-8")
    assert code == 0 and f"wrote {path}" in err
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)  # script bodies are code
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", markup, re.I), "an external resource"
    assert not re.search(r"https?://", markup.replace("http://www.w3.org/", "")), "a link out of the page"
    assert "default-src 'none'" in html  # the page's CSP forbids any fetch
    assert markup.count("<script") == 4  # data, ECharts, Viz.js, the report's own script; nothing else
    assert "gb200-pretrain" in html and "Findings by rule" in html


def test_frontier_report_stays_small_and_its_picture_is_aggregated(capsys, tmp_path):
    code, path, _ = write_report(capsys, tmp_path, FRONTIER)
    assert code == 0
    assert path.stat().st_size < MAX_BYTES
    plan = planner.compile_spec(FRONTIER)
    dot = to_dot(plan)
    nodes = re.findall(r'^\s*"[^"]+" \[', dot, re.M)
    gpu_pools = [p for p in plan.pools if p["nvlink_domains"]]
    # Each GPU pool: DOMAINS_DRAWN domains + one "N more" node + its EFA fabric; 6,944 UltraServers stay ~25 nodes.
    assert len(nodes) < 40
    assert dot.count("NVLink domain 1\\n") == len(gpu_pools)
    assert "… 1,797 more NVLink domains" in dot and f"NVLink domain {DOMAINS_DRAWN + 1}\\n" not in dot


def test_dot_labels_are_quoted_so_a_name_cannot_break_the_graph():
    plan = planner.compile_spec(GB200)
    plan.pools[0] = dataclasses.replace(plan.pools[0], name='evil"];\nx -> y [label="')  # records are frozen
    dot = to_dot(plan)
    assert 'pool evil\\"];\\nx -> y [label=\\"' in dot
    assert "\nx -> y" not in dot


def test_chart_stacks_add_up_to_the_cost_models_months():
    cost = estimate(planner.compile_spec("examples/mixed-p5en-p6.yaml"))
    data = chart_data(cost)
    assert data["months"] == [m.month for m in cost.timeline]
    for by in ("generation", "phase"):
        stacked = [sum(s["usd"][i] for s in data["by"][by]) for i in range(len(data["months"]))]
        assert stacked == pytest.approx([m.usd for m in cost.timeline], rel=1e-6)
    assert data["cumulative"][-1] == pytest.approx(cost.total_usd, rel=1e-6)
    assert data["term"]["total_usd"] == pytest.approx(cost.total_usd, rel=1e-6)


def test_text_from_a_finding_is_escaped_in_the_page_and_the_embedded_json(tmp_path):
    from planner.findings import Finding, Level, Source
    from planner.report import Entry
    from planner.report.html import render_html

    hostile = "</script><script>alert(1)</script> <b>p5en.*</b>"
    report = Report("check", spec_file=None, name="x")
    report.entries.append(Entry(Finding("demo.rule", Level.ERROR, hostile, source=Source("s.yaml", 3)), "policy"))
    html = render_html(report, planner.compile_spec(GB200))
    assert "<script>alert(1)" not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    assert "<b>p5en.*</b>" not in html


def test_invalid_spec_still_writes_the_report_listing_the_problems_and_exits_2(capsys, tmp_path, write_spec):
    spec = write_spec("name: Bad_Name\nregion: us-east-1\navailability_zone: us-east-1a\ncompute: []\n")
    code, path, _ = write_report(capsys, tmp_path, spec)
    html = path.read_text(encoding="utf-8")
    assert code == 2 and "spec.shape.pattern" in html and "FAIL" in html  # Bad_Name, under its rule's id


def test_diff_shows_what_changes_and_the_cost_before_and_after(capsys, tmp_path, write_spec):
    base = planner.compile_spec(GB200)
    base_path = tmp_path / "base.json"
    base_path.write_text(base.dumps())
    text = open(GB200, encoding="utf-8").read().replace("count: 4", "count: 6").replace(  # one block per UltraServer
        "cr-0123456789abcdef3]", "cr-0123456789abcdef3, cr-0123456789abcdef4, cr-0123456789abcdef5]")
    assert "count: 6" in text
    spec = write_spec(text, "bigger.yaml")
    md = tmp_path / "comment.md"
    code, path, _ = write_report(capsys, tmp_path, spec, "--diff", str(base_path), "--markdown", str(md))
    html = path.read_text(encoding="utf-8")
    assert code == 0
    assert "Changes against" in html and "to create" in html and "before this change" in html
    comment = md.read_text(encoding="utf-8")
    assert "→" in comment and "to create" in comment


def test_check_html_writes_the_same_report(capsys, tmp_path):
    path = tmp_path / "check.html"
    code, _, _ = run(capsys, "check", GB200, "--html", str(path), "--format", "json")
    html = path.read_text(encoding="utf-8")
    assert code == 0 and "topology-picture" in html and "cost-chart" in html and "ultraplan check" in html


# -- in a real browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    need(chromium_unavailable(), "headless Chromium")
    with Browser() as b:
        yield b


TOPOLOGY_TEXT = "Array.from(document.querySelectorAll('#topology-svg text')).map(t => t.textContent)"
CHART_TEXT = "Array.from(document.querySelectorAll('#cost-chart svg text')).map(t => t.textContent)"
CHART_SERIES = ("window.ultraplanChart.getOption().series.map(s => ({name: s.name, type: s.type, "
                "data: s.data.map(v => typeof v === 'object' && v !== null ? v.value : v)}))")


@pytest.mark.parametrize("example", [os.path.basename(p) for p in EXAMPLES])
def test_every_examples_report_opens_in_chromium_and_shows_topology_and_cost(capsys, tmp_path, browser, example):
    code, path, err = write_report(capsys, tmp_path, f"examples/{example}")
    # Every shipped example is valid and passes its gates: exit 2 (invalid) or 1 would be a broken example.
    assert code == 0 and path.exists(), err
    plan = planner.compile_spec(f"examples/{example}")
    cost = estimate(plan)
    browser.events.clear()
    browser.open(str(path))

    assert browser.console_errors() == []
    assert browser.requests() == [f"file://{path}"], "the page fetched something"

    topo = browser.evaluate(TOPOLOGY_TEXT)
    for zone in {p["availability_zone"] for p in plan.pools}:
        assert f"zone {zone}" in topo
    for subnet in plan.network["subnets"]:
        assert f"subnet {subnet['name']}" in topo
    for pool in plan.pools:
        assert f"pool {pool['name']}" in topo
    from planner.report.topology import link_name

    for pool in plan.pools:
        if pool["nvlink_domains"]:  # NVLink for NVIDIA GPUs, NeuronLink for Trainium
            assert f"{link_name(pool)} domain 1" in topo
    if any(p["efa"] for p in plan.pools):
        assert "EFA fabric" in topo
    if plan.storage:
        assert "FSx for Lustre" in topo

    chart = browser.evaluate(CHART_TEXT)
    months = [m.month for m in cost.timeline]
    assert months[0] in chart and (len(months) == 1 or any(m in chart for m in months[1:]))
    series = browser.evaluate(CHART_SERIES)
    bars = [s for s in series if s["type"] == "bar"]
    assert bars and [sum(s["data"][i] for s in bars) for i in range(len(months))] == pytest.approx(
        [m.usd for m in cost.timeline], rel=1e-6, abs=0.05)
    budget = plan.budget or {}
    if budget.get("monthly_usd"):
        assert "monthly budget" in chart
        line = next(s for s in series if s["name"] == "monthly budget")
        assert set(line["data"]) == {budget["monthly_usd"]}
    if budget.get("total_usd"):
        assert "term budget" in chart and "running total" in chart

    # A person switches the stacks to phases: the bars become the cost model's phases, same totals.
    browser.evaluate("document.querySelector('input[name=stackby][value=phase]').click()")
    series = browser.evaluate(CHART_SERIES)
    bars = [s for s in series if s["type"] == "bar"]
    assert sorted(s["name"] for s in bars) == sorted(p.name for p in cost.by_phase if any(
        line.phase == p.name for line in cost.lines))
    assert [sum(s["data"][i] for s in bars) for i in range(len(months))] == pytest.approx(
        [m.usd for m in cost.timeline], rel=1e-6, abs=0.05)

    shot = browser.screenshot()
    stats = browser.image_stats(shot)
    assert stats["width"] >= 1000 and stats["height"] >= 1500
    assert stats["colours"] > 200, stats  # text, a picture and a chart; a blank or error page has a few


@pytest.mark.parametrize("network, pools, expect", [
    pytest.param("  vpc_cidr: 10.0.0.0/16\n",
                 "  - {name: a, instance_type: p5.48xlarge, count: 2}\n"
                 "  - {name: b, instance_type: p5en.48xlarge, count: 3, availability_zone: us-east-1b}\n",
                 ["zone us-east-1a", "zone us-east-1b", "pool a", "pool b", "NAT gateway"], id="two-zones"),
    pytest.param("  vpc_id: vpc-0123456789abcdef0\n  subnet_id: subnet-0123456789abcdef0\n",
                 "  - {name: a, instance_type: p5.48xlarge, count: 2}\n",
                 ["VPC demo (vpc-0123456789abcdef0)", "subnet subnet-0123456789abcdef0\\nexisting subnet", "pool a"],
                 id="existing-vpc-and-subnet"),
])
def test_topology_draws_every_zone_and_existing_subnets(write_spec, network, pools, expect):
    spec = write_spec("name: demo\nregion: us-east-1\navailability_zone: us-east-1a\ntags: {team: t}\n"
                      f"network:\n{network}compute:\n{pools}")
    dot = to_dot(planner.compile_spec(spec))
    for text in expect:
        assert text in dot


def test_report_of_a_plan_json_without_prices_says_why_there_is_no_chart(capsys, tmp_path):
    data = planner.compile_spec(GB200).to_json()
    data["region"] = "ap-southeast-7"  # a region the bundled price files do not cover
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(data))
    code, path, _ = write_report(capsys, tmp_path, "--plan", str(plan_path))
    html = path.read_text(encoding="utf-8")
    assert code == 0
    assert "could not price: no prices for region ap-southeast-7" in html
    assert 'id="cost-chart"' not in html and 'id="topology-picture"' in html


def test_check_html_takes_one_spec(capsys, tmp_path):
    code, _, err = run(capsys, "check", GB200, "examples/p5-on-demand-fsx.yaml", "--html", str(tmp_path / "x.html"))
    assert code == 2 and "--html writes the report of one spec" in err and not (tmp_path / "x.html").exists()
