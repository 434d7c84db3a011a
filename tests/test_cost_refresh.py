"""`catalog refresh --prices`: the Price List API is stubbed with botocore's Stubber (moto has no
pricing mock). Seeded: get_products pages shaped like the real API (PriceList items are JSON strings
with product.attributes and terms.OnDemand...priceDimensions...pricePerUnit.USD). Nothing calls AWS."""
from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from planner.catalog.prices import load_prices, price
from planner.catalog.refresh import fetch_on_demand, parse_price_list, write_new
from planner.errors import ServiceError, UsageError

TODAY = dt.date(2026, 11, 23)


def price_item(instance_type: str, usd: str, sku: str = "SKU123") -> str:
    """One PriceList entry as the API returns it: a JSON *string*."""
    term_code = f"{sku}.JRTCKXETXF"
    return json.dumps({
        "product": {"productFamily": "Compute Instance", "sku": sku,
                    "attributes": {"instanceType": instance_type, "regionCode": "us-east-1", "operatingSystem": "Linux",
                                   "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
                                   "licenseModel": "No License required", "marketoption": "OnDemand"}},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {term_code: {
            "priceDimensions": {f"{term_code}.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0",
                "description": f"${usd} per On Demand Linux {instance_type} Instance Hour",
                "appliesTo": [], "rateCode": f"{term_code}.6YS6EN2CT7", "pricePerUnit": {"USD": usd}}},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    })


def filters(itype: str, region: str = "us-east-1") -> list[dict[str, str]]:
    """The request AWS documents for one Linux, shared-tenancy, on-demand hourly price, written out
    here (not built with the product's own `product_filters`, which a wrong filter would agree with):
    a Windows, Dedicated, BYOL or reserved-capacity filter would fetch another price."""
    return [
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": itype},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
        {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
        {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
        {"Type": "TERM_MATCH", "Field": "licenseModel", "Value": "No License required"},
        {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
        {"Type": "TERM_MATCH", "Field": "marketoption", "Value": "OnDemand"},
    ]


def expect(stub: Stubber, itype: str, pages: list[dict]) -> None:
    for i, page in enumerate(pages):
        params = {"ServiceCode": "AmazonEC2", "Filters": filters(itype),
                  "FormatVersion": "aws_v1", "MaxResults": 100}
        if i:
            params["NextToken"] = f"page{i}"
        stub.add_response("get_products", {"FormatVersion": "aws_v1", **page}, params)


@pytest.fixture
def client():
    c = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub
        stub.assert_no_pending_responses()


def test_parse_price_list_reads_on_demand_hourly_usd():
    offers = parse_price_list([price_item("m7i.4xlarge", "0.8064000000")])
    assert [(o.instance_type, o.usd, o.sku, o.effective) for o in offers] == [("m7i.4xlarge", 0.8064, "SKU123", "2026-11-01")]


def test_fetch_pages_and_reports_changes_and_missing(client):
    c, stub = client
    expect(stub, "c7i.8xlarge", [{"PriceList": [price_item("c7i.8xlarge", "1.4280000000")], "NextToken": "page1"},
                                 {"PriceList": []}])
    expect(stub, "p5.48xlarge", [{"PriceList": [price_item("p5.48xlarge", "55.0400000000")]}])
    expect(stub, "p5e.48xlarge", [{"PriceList": []}])
    expect(stub, "t3.medium", [{"PriceList": [price_item("t3.medium", "0.0500000000")]}])
    result = fetch_on_demand(c, "us-east-1", ["t3.medium", "p5.48xlarge", "c7i.8xlarge", "p5e.48xlarge"],
                             today=TODAY, current=load_prices())
    assert result.items["c7i.8xlarge"]["on-demand"]["usd"] == 1.428
    assert "AWS Price List API" in result.items["c7i.8xlarge"]["on-demand"]["source"]
    assert result.missing == ["p5e.48xlarge"]
    # c7i.8xlarge had only a secondary-source figure (the same number): its replacement is still reported
    assert result.changes == ["c7i.8xlarge: on-demand 1.428 from a secondary source -> 1.428 from the Price List API",
                              "t3.medium: on-demand 0.0416 -> 0.05"]


def test_refresh_writes_a_new_dated_file_that_overrides_entry_by_entry(client, tmp_path):
    c, stub = client
    expect(stub, "c7i.8xlarge", [{"PriceList": [price_item("c7i.8xlarge", "1.4280000000")]}])
    result = fetch_on_demand(c, "us-east-1", ["c7i.8xlarge"], today=TODAY)
    path = write_new(result, str(tmp_path / "us-east-1.2026-11-23.yaml"))
    data = yaml.safe_load(open(path))
    assert data["region"] == "us-east-1" and data["refreshed"] == "2026-11-23"
    book = load_prices(extra_files=[path])
    assert price(book, "c7i.8xlarge", "us-east-1").usd == 1.428
    assert price(book, "p5.48xlarge", "us-east-1").usd == 55.04  # untouched base entry
    with pytest.raises(UsageError, match="never overwrites prices"):
        write_new(result, path)


def test_a_refused_call_is_a_service_error(client):
    c, stub = client
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed")
    with pytest.raises(ServiceError, match="refused get_products for p5.48xlarge"):
        fetch_on_demand(c, "us-east-1", ["p5.48xlarge"], today=TODAY)


def test_cli_refresh_writes_file_and_prints_path(client, tmp_path, monkeypatch, capsys):
    from planner.cli import main

    c, stub = client
    expect(stub, "m7i.large", [{"PriceList": [price_item("m7i.large", "0.1008000000")]}])
    monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: c)
    out = tmp_path / "prices.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", "us-east-1", "--instance-type", "m7i.large", "--out", str(out)])
    captured = capsys.readouterr()
    assert exc.value.code == 0, captured.err
    assert captured.out.strip() == str(out)
    assert "1 price(s) for us-east-1 written" in captured.err
    assert yaml.safe_load(out.read_text())["items"]["m7i.large"]["on-demand"]["usd"] == 0.1008


def test_cli_refresh_without_prices_flag_is_a_usage_error(capsys):
    from planner.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--region", "us-east-1"])
    assert exc.value.code == 2
    assert "pass --prices" in capsys.readouterr().err


def usw2_item(instance_type: str, usd: str) -> str:
    return price_item(instance_type, usd).replace('"regionCode": "us-east-1"', '"regionCode": "us-west-2"')


def test_cli_refresh_defaults_beside_the_specs_and_the_spec_reads_it_back(client, tmp_path, monkeypatch, capsys):
    """The default file is prices/<region>.<date>.yaml in the current directory (never the installed
    package); a us-west-2 spec that names it in budget.prices is priced from it by cost and check."""
    from conftest import BASE_SPEC
    from planner.cli import main

    c, stub = client
    params = {"ServiceCode": "AmazonEC2", "Filters": filters("p5.48xlarge", "us-west-2"),
              "FormatVersion": "aws_v1", "MaxResults": 100}
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [usw2_item("p5.48xlarge", "55.04")]},
                      params)
    monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: c)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", "us-west-2", "--instance-type", "p5.48xlarge"])
    written = capsys.readouterr().out.strip()
    assert exc.value.code == 0
    assert written.startswith("prices/us-west-2.") and (tmp_path / written).is_file()
    spec = tmp_path / "spec.yaml"
    spec.write_text(BASE_SPEC.replace("us-east-1a", "us-west-2a").replace("us-east-1", "us-west-2")
                    + f"budget: {{monthly_usd: 1000000, prices: [{written}]}}\n")
    with pytest.raises(SystemExit) as exc:
        main(["cost", str(spec), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    gpu = [line for line in report["lines"] if line.get("item") == "p5.48xlarge"]
    assert gpu and gpu[0]["unit_price_usd"] == 55.04 and "Price List API" in gpu[0]["source"]
    assert exc.value.code == 0


def test_refresh_never_writes_into_the_installed_package(tmp_path):
    import os

    import planner

    result_path = os.path.join(os.path.dirname(planner.__file__), "catalog", "prices", "us-west-2.2026-11-23.yaml")
    from planner.catalog.refresh import RefreshResult

    with pytest.raises(UsageError, match="inside the installed ultraplan package"):
        write_new(RefreshResult("us-west-2", "2026-11-23"), result_path)
    assert not os.path.exists(result_path)
