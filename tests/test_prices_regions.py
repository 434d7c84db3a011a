"""Prices where users run (issue 18 item 4): a price file for every Region the catalog sells our GPU
types in, every entry with its source and date, lines priced from a third-party dataset marked
"secondary source" in every output (and replaced by a refreshed file), and "could not price" as one
verdict from validate, cost and check. Nothing here calls AWS: the refresh uses botocore's Stubber."""
from __future__ import annotations

import glob
import json
import os
import re

import pytest
import yaml

from conftest import BASE_SPEC
from planner.catalog.prices import HERE, SECONDARY_MARK, load_prices, price
from planner.cli import main

ZONES = yaml.safe_load(open(os.path.join(os.path.dirname(HERE), "zones.yaml")))
GPU_REGIONS = sorted(r for r, d in ZONES["regions"].items() if d.get("accelerated"))


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out, out.err


def spec_in(tmp_path, region: str, extra: str = "", itype: str = "p5.48xlarge") -> str:
    path = tmp_path / f"{region}.yaml"
    path.write_text(BASE_SPEC.replace("us-east-1a", f"{region}a").replace("us-east-1", region)
                    .replace("p5.48xlarge", itype) + extra)
    return str(path)


# -- the files --------------------------------------------------------------------------------------------
def test_every_region_the_catalog_sells_gpus_in_has_a_price_file_naming_them():
    """The Region list comes from the catalog's own offerings (zones.yaml), not from a hand list."""
    assert {"us-west-2", "eu-north-1", "us-east-1", "us-east-2"} <= set(GPU_REGIONS)
    book = load_prices()
    for region in GPU_REGIONS:
        assert region in book.regions, region
        if region in ("us-east-1", "us-east-2"):
            continue
        header = open(os.path.join(HERE, f"{region}.yaml")).read().split("\nregion:")[0]
        for itype in ZONES["regions"][region]["accelerated"]:
            assert itype in header, (region, itype)
            # every GPU type offered there has an on-demand answer: a price, or the reason there is none
            q = price(book, itype, region)
            assert q.priced or (q.reason and "not in the" not in q.reason), (region, itype, q.reason)


def _entries():
    for path in sorted(glob.glob(os.path.join(HERE, "*.yaml"))):
        if path.endswith("free.yaml"):
            continue
        data = yaml.safe_load(open(path))
        for item, markets in data["items"].items():
            for market, entry in markets.items():
                yield os.path.basename(path), item, market, entry


@pytest.mark.parametrize("name", sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*.yaml"))
                                        if not p.endswith("free.yaml")))
def test_every_line_of_every_bundled_price_file_has_source_and_as_of(name):
    entries = [e for e in _entries() if e[0] == name]
    assert entries
    for _, item, market, entry in entries:
        assert str(entry.get("source") or "").strip(), (name, item, market)
        assert re.match(r"\d{4}-\d{2}(-\d{2})?$", str(entry.get("as_of") or "")), (name, item, market)
        if entry.get("usd") is None:
            assert entry.get("reason"), (name, item, market)
        if entry.get("secondary"):
            # a secondary figure names its dataset, repository, file and commit
            assert re.search(r"skypilot-org/skypilot-catalog.*vms\.csv.*commit [0-9a-f]{12}", entry["source"]), \
                (name, item)


def test_secondary_p5_rates_postdate_the_june_2025_price_cut():
    """AWS cut P5 on-demand prices by up to 45 % in June 2025 (us-east-1 98.32 -> 55.04 $/h, checked in
    shared/reference/aws-gpu-facts.md): a dataset from before the cut would show the old rate."""
    book = load_prices()
    assert price(book, "p5.48xlarge", "us-east-1").usd == 55.04  # the primary figure
    for region in ("us-east-2", "us-west-2"):
        q = price(book, "p5.48xlarge", region)
        assert q.secondary and q.usd == 55.04, region


@pytest.mark.parametrize("drop", ["source", "as_of"])
def test_a_price_file_line_without_source_or_as_of_is_refused(tmp_path, capsys, drop):
    """A copy of a bundled file with one field removed is refused naming the file and the field (exit 2)."""
    data = yaml.safe_load(open(os.path.join(HERE, "us-west-2.yaml")))
    del data["items"]["p5.48xlarge"]["on-demand"][drop]
    bad = tmp_path / "us-west-2.2026-12-06.yaml"
    bad.write_text(yaml.safe_dump(data))
    code, _, err = run(capsys, "cost", spec_in(tmp_path, "us-west-2"), "--prices", str(bad))
    assert code == 2 and "p5.48xlarge" in err and drop in err


def test_an_empty_source_is_refused():
    from planner.catalog.prices import build_prices

    entry = {"usd": 1.0, "unit": "instance-hour", "source": " ", "as_of": "2026-12-06"}
    with pytest.raises(ValueError, match="`source` is empty"):
        build_prices([{"region": "r", "items": {"x": {"on-demand": entry}}}])


# -- one verdict ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["us-west-2", "eu-north-1"])
@pytest.mark.parametrize("budget", ["", "budget: {monthly_usd: 1000000}\n"], ids=["no-budget", "budget"])
def test_a_spec_in_a_gpu_region_gets_one_verdict_from_validate_cost_and_check(tmp_path, capsys, region, budget):
    """p5 is priced there (secondary source); root volumes and the NAT gateway have no figure: all three
    commands say "could not price", exit 0, and none of them calls it an error."""
    spec = spec_in(tmp_path, region, budget)
    code, out, err = run(capsys, "validate", spec)
    assert code == 0 and "could not price 2 item(s)" in err and "ebs-gp3" in err
    code, out, _ = run(capsys, "cost", spec, "--format", "json")
    report = json.loads(out)
    assert code == 0 and {u["item"] for u in report["unpriced"]} == {"ebs-gp3", "nat-gateway"}
    gpu = next(line for line in report["lines"] if line["item"] == "p5.48xlarge")
    assert gpu["secondary"] is True and gpu["unit_price_usd"] > 50
    code, out, _ = run(capsys, "check", spec, "--format", "json")
    steps = {s["name"]: s for s in json.loads(out)["steps"]}
    assert code == 0 and steps["cost"]["status"] == "warning" and steps["validate"]["status"] == "ok"
    assert "could not price 2 item(s)" in steps["cost"]["summary"]


def test_a_region_without_any_price_file_is_the_same_verdict(tmp_path, capsys):
    spec = spec_in(tmp_path, "af-south-1")
    for command in ("validate", "cost"):
        code, out, err = run(capsys, command, spec)
        assert code == 0 and "could not price" in (out + err).lower() or "Could not price" in out, command
    code, out, _ = run(capsys, "check", spec, "--format", "json")
    assert code == 0 and next(s for s in json.loads(out)["steps"] if s["name"] == "cost")["status"] == "warning"


def test_unpriced_tier_says_why_and_is_never_zero(tmp_path, capsys):
    """An FSx tier no source covers is listed with its reason and kept out of every total."""
    spec = spec_in(tmp_path, "us-west-2", "storage:\n  lustre: {capacity_gib: 2400, deployment: PERSISTENT_2, throughput_per_tib: 1000}\n")
    code, out, _ = run(capsys, "cost", spec, "--format", "json")
    report = json.loads(out)
    fsx = next(u for u in report["unpriced"] if u["item"] == "fsx-lustre:PERSISTENT_2:1000")
    assert code == 0 and "no figure for us-west-2" in fsx["reason"]
    assert not [line for line in report["lines"] if line["item"].startswith("fsx-lustre")]


# -- "secondary source" in every output ------------------------------------------------------------------
def test_secondary_lines_are_marked_in_every_cost_format(tmp_path, capsys):
    spec = spec_in(tmp_path, "us-west-2")
    _, text, _ = run(capsys, "cost", spec)
    assert f"{SECONDARY_MARK}: SkyPilot catalog" in " ".join(text.split())
    assert "Secondary source: 1 line(s)" in text and "p5.48xlarge on-demand" in text
    _, md, _ = run(capsys, "cost", spec, "--format", "markdown")
    assert "**Secondary source:**" in md and f"| {SECONDARY_MARK}: SkyPilot" in md.replace("list: ", "")
    _, out, _ = run(capsys, "cost", spec, "--format", "json")
    report = json.loads(out)
    line = next(line for line in report["lines"] if line["item"] == "p5.48xlarge")
    assert line["secondary"] is True and line["source"].startswith(SECONDARY_MARK)
    assert [s["item"] for s in report["prices"]["secondary"]] == ["p5.48xlarge"]
    # every other line is AWS's own figure, unmarked
    assert all(not x["secondary"] for x in report["lines"] if x["item"] != "p5.48xlarge")


def test_secondary_lines_are_marked_by_check_in_text_json_and_markdown(tmp_path, capsys):
    spec = spec_in(tmp_path, "us-west-2")
    _, out, _ = run(capsys, "check", spec, "--format", "json")
    report = json.loads(out)
    finding = next(v for v in report["violations"] if v["policy"] == "cost.prices.secondary")
    assert finding["severity"] == "info" and "p5.48xlarge" in finding["message"]
    assert "1 line(s) from a secondary source" in next(s for s in report["steps"] if s["name"] == "cost")["summary"]
    assert report["cost"]["secondary"][0]["item"] == "p5.48xlarge"
    _, text, _ = run(capsys, "check", spec)
    assert "from a secondary source" in " ".join(text.split())
    _, md, _ = run(capsys, "check", spec, "--format", "markdown")
    assert "secondary source" in md


def test_secondary_lines_are_marked_in_the_html_report(tmp_path, capsys):
    spec = spec_in(tmp_path, "us-west-2")
    page = tmp_path / "report.html"
    code, _, err = run(capsys, "report", spec, "--out", str(page))
    html = page.read_text()
    assert code == 0, err
    assert '<p class="secondary"><b>Secondary source:</b>' in html
    assert "p5.48xlarge on-demand (1 line(s), as of 2026-12-06): secondary source: SkyPilot catalog" in html


def test_a_person_sees_the_secondary_marking_in_chromium(tmp_path, capsys):
    """The HTML report opened in a real headless Chromium: the marking is rendered text, not a comment."""
    from chromium_cdp import Browser, chromium_unavailable
    from conftest import need

    need(chromium_unavailable(), "headless Chromium")
    page = tmp_path / "report.html"
    run(capsys, "report", spec_in(tmp_path, "us-west-2"), "--out", str(page))
    with Browser() as browser:
        browser.open(str(page))
        shown = browser.evaluate("document.querySelector('#cost').innerText")
        visible = browser.evaluate("(() => { const r = document.querySelector('p.secondary').getBoundingClientRect();"
                                   " return r.width > 0 && r.height > 0; })()")
    assert visible and "Secondary source:" in shown
    assert "p5.48xlarge on-demand (1 line(s), as of 2026-12-06): secondary source: SkyPilot catalog" in shown
    assert "could not price 2 item(s)" in shown


def test_solve_marks_secondary_prices(tmp_path, capsys):
    goals = tmp_path / "goals.yaml"
    goals.write_text("name: west\nregion: us-west-2\nterm: {start: 2027-01-01, months: 6}\n"
                     "targets:\n  - {date: 2027-01-01, gpus: 16}\n"
                     "options:\n  - {instance_type: p5.48xlarge, purchase: [on-demand], zones: [us-west-2a]}\n")
    code, out, err = run(capsys, "solve", str(goals), "--out", str(tmp_path / "solved.yaml"))
    flat = " ".join(out.split())
    assert code == 0, err
    assert "list (secondary source: SkyPilot catalog" in flat
    assert "secondary source: p5.48xlarge on-demand" in flat and "could not price 2 item(s)" in flat


# -- a refresh replaces the secondary figure --------------------------------------------------------------
def test_a_refreshed_file_wins_over_the_secondary_one_and_the_marking_goes(tmp_path, capsys, monkeypatch):
    import boto3
    from botocore.stub import Stubber

    from test_cost_refresh import filters, price_item

    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    item = price_item("p5.48xlarge", "55.0401").replace('"regionCode": "us-east-1"', '"regionCode": "us-west-2"')
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [item]},
                      {"ServiceCode": "AmazonEC2", "Filters": filters("p5.48xlarge", "us-west-2"),
                       "FormatVersion": "aws_v1", "MaxResults": 100})
    stub.activate()
    monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: client)
    monkeypatch.chdir(tmp_path)
    code, written, err = run(capsys, "catalog", "refresh", "--prices", "--region", "us-west-2",
                             "--instance-type", "p5.48xlarge")
    assert code == 0, err
    read = " ".join(line.strip() for line in err.splitlines())  # as a person reads the wrapped lines
    assert "p5.48xlarge: on-demand 55.04 from a secondary source -> 55.0401 from the Price List API" in read
    spec = spec_in(tmp_path, "us-west-2", f"budget: {{monthly_usd: 1000000, prices: [{written.strip()}]}}\n")
    _, out, _ = run(capsys, "cost", spec, "--format", "json")
    report = json.loads(out)
    gpu = next(line for line in report["lines"] if line["item"] == "p5.48xlarge")
    assert gpu["unit_price_usd"] == 55.0401 and gpu["secondary"] is False
    assert gpu["source"].startswith("AWS Price List API") and report["prices"]["secondary"] == []
    _, text, _ = run(capsys, "cost", spec)
    assert SECONDARY_MARK not in text.lower()
    _, out, _ = run(capsys, "check", spec, "--format", "json")
    assert not [v for v in json.loads(out)["violations"] if v["policy"] == "cost.prices.secondary"]


def test_a_negotiated_rate_replaces_the_secondary_marking(tmp_path, capsys):
    """A rate card's price is the user's own, not the dataset's: the line is negotiated, not secondary."""
    card = tmp_path / "rates.yaml"
    card.write_text("name: deal\nsource: contract 42\nrates:\n"
                    "  - {instance_type: p5.48xlarge, purchase: on-demand, usd_per_hour: 40}\n")
    spec = spec_in(tmp_path, "us-west-2", f"budget: {{monthly_usd: 1000000, rates: {card}}}\n")
    code, out, err = run(capsys, "cost", spec, "--format", "json")
    assert code == 0, err
    gpu = next(line for line in json.loads(out)["lines"] if line["item"] == "p5.48xlarge")
    assert gpu["price_basis"] == "negotiated" and gpu["secondary"] is False


def test_a_default_refresh_covers_every_secondary_entry():
    """`catalog refresh --prices` asks the Price List API for every catalog instance type by default:
    every secondary entry is one of them, so one refresh replaces them all (none is left marked)."""
    from planner.catalog import load_catalog

    types = set(load_catalog().instance_types)
    secondary = {item for items in load_prices().regions.values() for item, markets in items.items()
                 for entry in markets.values() if entry.secondary}
    assert secondary and secondary <= types, secondary - types
