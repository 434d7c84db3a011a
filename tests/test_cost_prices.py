"""Price catalog: loader and pure queries (tiny hand-written catalogs), and the bundled files' rules."""
from __future__ import annotations

import os

import pytest
import yaml

from planner.catalog import load_catalog
from planner.catalog.prices import HERE, build_prices, fsx_lustre_item, load_prices, price

TINY = {
    "region": "xx-test-1",
    "items": {
        "a.big": {
            "on-demand": {"usd": 2.0, "unit": "instance-hour", "source": "test", "as_of": "2026-01-01"},
            "capacity-block": {"usd": None, "unit": "instance-hour", "reason": "sold out", "source": "none",
                               "as_of": "2026-01-02"},
        },
        "disk": {"on-demand": {"usd": 0.073, "unit": "GB-month", "source": "test", "as_of": "2026-01-01"}},
    },
}


def test_price_found_with_source_and_hourly_rate():
    book = build_prices([TINY])
    q = price(book, "a.big", "xx-test-1", "on-demand")
    assert (q.priced, q.usd, q.unit, q.source, q.usd_per_hour) == (True, 2.0, "instance-hour", "test", 2.0)
    disk = price(book, "disk", "xx-test-1")
    assert disk.usd_per_hour == pytest.approx(0.073 / 730)


@pytest.mark.parametrize(
    "item, region, market, reason",
    [
        pytest.param("a.big", "xx-test-1", "capacity-block", "sold out", id="known-unknown"),
        pytest.param("a.big", "xx-test-1", "spot", "no spot price for a.big in xx-test-1 (catalog has: capacity-block, on-demand)", id="no-market"),
        pytest.param("zz.tiny", "xx-test-1", "on-demand", "zz.tiny is not in the xx-test-1 price catalog", id="no-item"),
        pytest.param("a.big", "eu-nowhere-9", "on-demand", "no prices for region eu-nowhere-9 (price files cover: xx-test-1); run `ultraplan catalog refresh --prices --region eu-nowhere-9`", id="no-region"),
    ],
)
def test_unknown_prices_are_never_zero(item, region, market, reason):
    q = price(build_prices([TINY]), item, region, market)
    assert q.usd is None and not q.priced and q.usd_per_hour is None
    assert q.reason == reason


def test_later_files_override_entry_by_entry():
    newer = {"region": "xx-test-1", "items": {"a.big": {"on-demand": {
        "usd": 1.5, "unit": "instance-hour", "source": "Price List API", "as_of": "2026-02-01"}}}}
    book = build_prices([TINY, newer])
    assert price(book, "a.big", "xx-test-1").usd == 1.5
    assert price(book, "a.big", "xx-test-1", "capacity-block").reason == "sold out"  # untouched
    assert book.as_of("xx-test-1") == "2026-02-01"


@pytest.mark.parametrize(
    "entry, message",
    [
        pytest.param({"usd": 1, "unit": "instance-hour", "as_of": "x"}, "missing `source`", id="no-source"),
        pytest.param({"usd": None, "unit": "instance-hour", "source": "s", "as_of": "x"}, "needs a `reason`", id="null-without-reason"),
        pytest.param({"usd": -1, "unit": "instance-hour", "source": "s", "as_of": "x"}, "usd must be a number >= 0", id="negative"),
    ],
)
def test_bad_entries_are_rejected(entry, message):
    with pytest.raises(ValueError, match=message):
        build_prices([{"region": "r", "items": {"t": {"on-demand": entry}}}])


def test_fsx_items_per_tier():
    assert fsx_lustre_item("PERSISTENT_2", 250) == "fsx-lustre:PERSISTENT_2:250"
    assert fsx_lustre_item("SCRATCH_2", None) == "fsx-lustre:SCRATCH_2"


# -- the bundled files ----------------------------------------------------------------------------------
def _raw_entries():
    for name in sorted(os.listdir(HERE)):
        if name == "free.yaml" or not name.endswith(".yaml"):
            continue
        with open(os.path.join(HERE, name), encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        for item, markets in data["items"].items():
            for market, entry in markets.items():
                yield name, item, market, entry


def test_every_bundled_entry_is_sourced_and_unknowns_say_why():
    for name, item, market, entry in _raw_entries():
        assert entry.get("source") and entry.get("as_of"), (name, item, market)
        if entry.get("usd") is None:
            assert entry.get("reason"), (name, item, market)
        if entry.get("derived"):
            assert str(entry["source"]).startswith("derived:"), (name, item, market)


def test_every_catalog_instance_type_has_an_on_demand_entry_in_us_east_1():
    """Priced or an explicit unknown with its reason: never missing, never a silent zero."""
    book = load_prices()
    for itype in load_catalog().instance_types:
        q = price(book, itype, "us-east-1", "on-demand")
        assert q.priced or (q.reason and "not in the" not in q.reason), (itype, q.reason)


def test_reference_figures_are_used_as_published():
    """Spot checks against ../shared/reference/aws-gpu-facts.md (us-east-1)."""
    book = load_prices()
    assert price(book, "p5.48xlarge", "us-east-1").usd == 55.04
    assert price(book, "p5.48xlarge", "us-east-1", "capacity-block").usd == 41.53
    assert price(book, "p5.48xlarge", "us-east-1", "reserved-3yr").usd == 23.777
    assert price(book, "u-p6e-gb200x72", "us-east-1", "capacity-block").unit == "ultraserver-hour"
    assert price(book, "u-p6e-gb200x72", "us-east-1", "capacity-block").usd == 761.904
    assert price(book, "ebs-gp3", "us-east-1").usd == 0.08
    assert price(book, "nat-gateway", "us-east-1").usd == 0.045
    assert price(book, "fsx-lustre:PERSISTENT_2:125", "us-east-1").usd == 0.145
    assert price(book, "p5e.48xlarge", "us-east-1").reason.startswith("p5e is sold only as capacity blocks")


@pytest.mark.parametrize("text, message", [
    pytest.param("foo: [\n", "not valid YAML", id="broken-yaml"),
    pytest.param("- a\n", "not a price file", id="not-a-mapping"),
    pytest.param("items: {}\n", "region: required field is missing", id="no-region"),
])
def test_bad_extra_price_files_are_value_errors(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_prices(extra_files=[str(path)])


def test_refreshed_block_rates_follow_the_october_2026_update():
    """p5en US block rate after the October 2026 update; trn2 blocks as published for US East (Ohio)."""
    book = load_prices()
    p5en = price(book, "p5en.48xlarge", "us-east-1", "capacity-block")
    assert p5en.usd == 63.158 and p5en.as_of == "2026-10-01"
    assert price(book, "trn2.48xlarge", "us-east-2", "capacity-block").usd == 35.7608
    assert price(book, "trn2u.48xlarge", "us-east-2", "capacity-block").usd == 35.7608


def test_no_price_source_a_user_sees_is_a_repository_path():
    book = load_prices()
    for region, items in book.regions.items():
        for item, markets in items.items():
            for market, entry in markets.items():
                text = f"{entry.source} {entry.reason or ''} {entry.note or ''}"
                assert "../" not in text and "aws-gpu-facts" not in text, (region, item, market, text)


@pytest.mark.parametrize("market, as_of, today, stale", [
    pytest.param("capacity-block", "2026-09-19", "2026-12-01", True, id="block-rate-of-last-quarter"),
    pytest.param("capacity-block", "2026-10-01", "2026-12-31", False, id="block-rate-of-this-quarter"),
    pytest.param("capacity-block", "2026-10-01", "2027-01-01", True, id="next-quarter-makes-it-stale"),
    pytest.param("on-demand", "2024-02-01", "2026-12-01", False, id="on-demand-is-not-reset-quarterly"),
])
def test_stale_reason_flags_block_rates_older_than_their_quarter(market, as_of, today, stale):
    from datetime import date

    from planner.catalog.prices import stale_reason

    reason = stale_reason(market, as_of, date.fromisoformat(today))
    assert (reason is not None) is stale
    if stale:
        assert "quarter" in reason and as_of in reason
