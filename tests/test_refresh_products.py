"""`catalog refresh --prices` for the items that are not instances (EBS gp3, FSx for Lustre tiers, NAT
gateway, interface endpoints, public IPv4).

The Price List API is stubbed with botocore's Stubber (moto has no pricing mock); nothing calls AWS.
Seeded: get_products answers shaped as the API returns them (PriceList items are JSON *strings* with
product.productFamily, product.attributes, serviceCode and terms.OnDemand.<term>.priceDimensions, as in
the AWS Price List API user guide and the code the filters are taken from: cfs-energy/idea
pricing_rates.py@3b7fd920, infracost internal/resources/aws@95ba4f49, grafana/cloudcost-exporter pkg/aws@68b7680f). The rates in these documents
are fixture numbers, distinct per product so a product mapped to the wrong item shows.
"""
from __future__ import annotations

import datetime as dt
import json
import textwrap

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from planner.catalog import refresh_products
from planner.catalog.prices import load_prices, price
from planner.catalog.refresh import RefreshResult, fetch_all
from planner.catalog.refresh_products import PRODUCTS, Product, fetch_products, select
from planner.errors import ServiceError

TODAY = dt.date(2026, 12, 6)
REGION = "us-west-2"
LOCATION = "US West (Oregon)"


def offer(service: str, family: str, attrs: dict[str, str], unit: str, usd: str | list[tuple[str, str, str]],
          sku: str) -> str:
    """One PriceList item as get_products returns it (a JSON string). `usd` is one untiered rate or a
    list of (beginRange, endRange, USD) tiers."""
    tiers = [("0", "Inf", usd)] if isinstance(usd, str) else usd
    term = f"{sku}.JRTCKXETXF"
    dims = {f"{term}.{i}": {"unit": unit, "beginRange": b, "endRange": e, "appliesTo": [],
                            "description": f"${u} per {unit}", "rateCode": f"{term}.{i}",
                            "pricePerUnit": {"USD": u}} for i, (b, e, u) in enumerate(tiers)}
    base = {"regionCode": REGION, "location": LOCATION, "locationType": "AWS Region", "servicecode": service}
    return json.dumps({
        "product": {"productFamily": family, "attributes": {**base, **attrs}, "sku": sku},
        "serviceCode": service,
        "terms": {"OnDemand": {term: {"priceDimensions": dims, "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
                                      "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z"})


def lustre(usage: str, throughput: str, usd: str, sku: str, storage: str = "SSD", **more: str) -> str:
    return offer("AmazonFSx", "Storage", {"fileSystemType": "Lustre", "operation": "CreateFileSystem:Lustre",
                                          "storageType": storage, "throughputCapacity": throughput,
                                          "usagetype": usage, **more}, "GB-Mo", usd, sku)


# -- the answers, per service --------------------------------------------------------------------
EBS = [offer("AmazonEC2", "Storage", {"volumeApiName": "gp3", "volumeType": "General Purpose",
                                      "storageMedia": "SSD-backed", "usagetype": "USW2-EBS:VolumeUsage.gp3"},
             "GB-Mo", "0.0811000000", "EBSGP3")]
FSX_SCRATCH = [lustre("USW2-Storage", "N/A", "0.1401000000", "SCRATCH", deploymentOption="Single-AZ")]
FSX_ALL = FSX_SCRATCH + [
    lustre("USW2-Storage.SSD.50", "50", "0.1402000000", "P50"),
    lustre("USW2-Storage.SSD.100", "100", "0.1902000000", "P100"),
    lustre("USW2-Storage.SSD.200", "200", "0.2902000000", "P200"),
    lustre("USW2-Storage.SSD.125", "125", "0.1451000000", "P125"),
    lustre("USW2-Storage.SSD.250", "250", "0.2101000000", "P250"),
    lustre("USW2-Storage.SSD.500", "500", "0.3401000000", "P500"),
    lustre("USW2-Storage.SSD.1000", "1000", "0.6001000000", "P1000"),
    # an HDD tier and a product of another Region: the filters exclude them, and so does the check
    lustre("USW2-Storage.HDD.40", "40", "0.0250000000", "HDD40", storage="HDD"),
    lustre("USE1-Storage.SSD.250", "250", "9.9999000000", "OTHER", regionCode="us-east-1"),
]
NAT = [offer("AmazonEC2", "NAT Gateway", {"usagetype": "USW2-NatGateway-Hours", "operation": "NatGateway",
                                          "group": "NGW:NatGateway"}, "Hrs", "0.0451000000", "NATH"),
       offer("AmazonEC2", "NAT Gateway", {"usagetype": "USW2-NatGateway-Bytes", "operation": "NatGateway",
                                          "group": "NGW:NatGateway"}, "GB", "0.0452000000", "NATB"),
       # a regional NAT gateway is another product: its usage type contains NatGateway-Hours too
       offer("AmazonEC2", "NAT Gateway", {"usagetype": "USW2-RegionalNatGateway-Hours", "operation": "NatGateway"},
             "Hrs", "0.9999000000", "RNATH")]
ENDPOINT = [offer("AmazonVPC", "VpcEndpoint", {"usagetype": "USW2-VpcEndpoint-Hours", "endpointType": "PrivateLink"},
                  "Hrs", "0.0101000000", "VPCEH"),
            offer("AmazonVPC", "VpcEndpoint", {"usagetype": "USW2-VpcEndpoint-Bytes", "endpointType": "PrivateLink"},
                  "GB", [("0", "1048576", "0.0102000000"), ("1048576", "5242880", "0.0060000000"),
                         ("5242880", "Inf", "0.0040000000")], "VPCEB"),
            offer("AmazonVPC", "VpcEndpoint", {"usagetype": "USW2-VpcEndpoint-GWLBE-Hours"}, "Hrs", "0.9999000000",
                  "GWLBE")]
VPC = [offer("AmazonVPC", "VPC", {"usagetype": "USW2-PublicIPv4:InUseAddress", "operation": "AssociateAddressVPC"},
             "Hrs", "0.0051000000", "IPV4"),
       offer("AmazonVPC", "VPC", {"usagetype": "USW2-PublicIPv4:IdleAddress", "operation": "IdleAddress"},
             "Hrs", "0.0059000000", "IPV4IDLE")] + ENDPOINT


def tm(field: str, value: str) -> dict[str, str]:
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


# The requests, written out (not built with the product's own Product.request_filters, which a wrong
# filter would agree with), each with the source it is taken from, and the answer it gets.
PUBLISHED: list[tuple[str, list[dict[str, str]], list[str]]] = [
    # cfs-energy/idea pricing_rates.py@3b7fd920 'ebs_gp3_storage'; infracost ebs_volume.go
    ("AmazonEC2", [tm("regionCode", REGION), tm("locationType", "AWS Region"), tm("productFamily", "Storage"),
                   tm("volumeApiName", "gp3")], EBS),
    # cfs-energy/idea pricing_rates.py@3b7fd920 'fsx_lustre' (SCRATCH_2)
    ("AmazonFSx", [tm("regionCode", REGION), tm("locationType", "AWS Region"), tm("productFamily", "Storage"),
                   tm("fileSystemType", "Lustre"), tm("operation", "CreateFileSystem:Lustre"), tm("storageType", "SSD"),
                   tm("deploymentOption", "Single-AZ"), tm("throughputCapacity", "N/A")], FSX_SCRATCH),
    # the same less deploymentOption / throughputCapacity: every Lustre SSD storage product, one call
    ("AmazonFSx", [tm("regionCode", REGION), tm("locationType", "AWS Region"), tm("productFamily", "Storage"),
                   tm("fileSystemType", "Lustre"), tm("operation", "CreateFileSystem:Lustre"),
                   tm("storageType", "SSD")], FSX_ALL),
    # grafana/cloudcost-exporter natgateway_usage.go@68b7680f (this exact request); infracost nat_gateway.go
    ("AmazonEC2", [tm("regionCode", REGION), tm("productFamily", "NAT Gateway")], NAT),
    # infracost vpc_endpoint.go: AmazonVPC, productFamily 'VpcEndpoint'
    ("AmazonVPC", [tm("regionCode", REGION), tm("productFamily", "VpcEndpoint")], ENDPOINT),
    # grafana/cloudcost-exporter client/pricing.go@68b7680f: AmazonVPC with regionCode only, then PublicIPv4
    # InUseAddress (the usage types: AWS blog on public IPv4)
    ("AmazonVPC", [tm("regionCode", REGION)], VPC),
]

EXPECTED = {
    "ebs-gp3": (0.0811, "GB-month"), "fsx-lustre:SCRATCH_2": (0.1401, "GB-month"),
    "fsx-lustre:PERSISTENT_1:50": (0.1402, "GB-month"), "fsx-lustre:PERSISTENT_1:100": (0.1902, "GB-month"),
    "fsx-lustre:PERSISTENT_1:200": (0.2902, "GB-month"), "fsx-lustre:PERSISTENT_2:125": (0.1451, "GB-month"),
    "fsx-lustre:PERSISTENT_2:250": (0.2101, "GB-month"), "fsx-lustre:PERSISTENT_2:500": (0.3401, "GB-month"),
    "fsx-lustre:PERSISTENT_2:1000": (0.6001, "GB-month"), "nat-gateway": (0.0451, "gateway-hour"),
    "nat-gateway-data": (0.0452, "GB"), "interface-endpoint": (0.0101, "endpoint-hour"),
    "interface-endpoint-data": (0.0102, "GB"), "public-ipv4": (0.0051, "address-hour"),
}


def expect_published(stub: Stubber, fail: str | None = None) -> None:
    """Queue the published requests in the order refresh makes them; `fail` names a ServiceCode+family
    request ('AmazonVPC/VpcEndpoint') answered with ThrottlingException instead."""
    for service, filters, answer in PUBLISHED:
        params = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
        family = next((f["Value"] for f in filters if f["Field"] == "productFamily"), "")
        if fail == f"{service}/{family}":
            stub.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400,
                                  expected_params=params)
        else:
            stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": answer}, params)


@pytest.fixture
def client():
    c = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub
        stub.assert_no_pending_responses()


def fetch_every_item_with_its_published_filters(c, stub) -> RefreshResult:
    expect_published(stub)
    result = RefreshResult(REGION, TODAY.isoformat())
    fetch_products(c, REGION, None, result, today_iso=TODAY.isoformat())
    assert result.failed == {} and result.missing == []
    got = {item: (m["on-demand"]["usd"], m["on-demand"]["unit"]) for item, m in result.items.items()}
    assert got == EXPECTED
    return result


def test_each_item_is_asked_with_its_published_filters_once_and_priced(client):
    c, stub = client
    result = fetch_every_item_with_its_published_filters(c, stub)
    entry = result.items["fsx-lustre:PERSISTENT_2:250"]["on-demand"]
    assert entry["as_of"] == "2026-12-06"
    assert entry["source"].startswith("AWS Price List API pricing.get_products (AmazonFSx")
    assert "USW2-Storage.SSD.250" in entry["source"] and "sku P250" in entry["source"] and "2026-11-01" in entry["source"]
    assert "secondary" not in entry


@pytest.mark.parametrize("item, field, wrong", [
    pytest.param("ebs-gp3", "volumeApiName", "gp2", id="ebs-gp2"),
    pytest.param("fsx-lustre:SCRATCH_2", "deploymentOption", "Multi-AZ", id="fsx-multi-az"),
    pytest.param("nat-gateway", "productFamily", "NAT Gateways", id="nat-family"),
])
def test_a_planted_wrong_filter_value_fails_the_published_filter_test(monkeypatch, item, field, wrong):
    """The filter test above is not vacuous: one wrong value in the product's filters makes it fail."""
    planted = []
    for p in PRODUCTS:
        if p.item == item:
            p = Product(**{**p.__dict__, "filters": tuple((k, wrong if k == field else v) for k, v in p.filters)})
        planted.append(p)
    monkeypatch.setattr(refresh_products, "PRODUCTS", tuple(planted))
    c = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:  # no pending-response check: the planted request never takes its answer
        with pytest.raises((AssertionError, ServiceError)):  # the Stubber refuses the request it did not expect
            fetch_every_item_with_its_published_filters(c, stub)


def by_item(item: str) -> Product:
    return next(p for p in PRODUCTS if p.item == item)


def test_parse_fsx_lustre_tiers_from_one_answer():
    """Each tier is the product whose usage type is Storage.SSD.<tier>; HDD, another Region
    and scratch are never a persistent tier."""
    assert [r.usd for r in select(by_item("fsx-lustre:PERSISTENT_2:250"), REGION, FSX_ALL)] == [0.2101]
    assert [r.usd for r in select(by_item("fsx-lustre:PERSISTENT_1:200"), REGION, FSX_ALL)] == [0.2902]
    assert [(r.usd, r.sku, r.usage) for r in select(by_item("fsx-lustre:SCRATCH_2"), REGION, FSX_ALL)] == [
        (0.1401, "SCRATCH", "USW2-Storage")]
    assert select(by_item("fsx-lustre:PERSISTENT_2:250"), "eu-west-1", FSX_ALL) == []  # wrong Region: nothing


def test_parse_vpc_endpoint_hour_first_data_tier_and_public_ipv4():
    assert [r.usd for r in select(by_item("interface-endpoint"), REGION, VPC)] == [0.0101]  # not GWLBE
    assert [r.usd for r in select(by_item("interface-endpoint-data"), REGION, ENDPOINT)] == [0.0102]  # first 1 PB
    assert [(r.usd, r.usage) for r in select(by_item("public-ipv4"), REGION, VPC)] == [
        (0.0051, "USW2-PublicIPv4:InUseAddress")]  # in use, not idle


def test_parse_ebs_and_nat_not_the_regional_nat_gateway():
    assert [r.usd for r in select(by_item("ebs-gp3"), REGION, EBS)] == [0.0811]
    assert [r.usd for r in select(by_item("nat-gateway"), REGION, NAT)] == [0.0451]
    assert [r.usd for r in select(by_item("nat-gateway-data"), REGION, NAT)] == [0.0452]
    # us-east-1 usage types carry no Region prefix: still matched
    plain = [n.replace("USW2-", "") for n in NAT]
    assert [r.usd for r in select(by_item("nat-gateway"), REGION, plain)] == [0.0451]


def test_one_throttled_request_leaves_the_others_written(client):
    c, stub = client
    expect_published(stub, fail="AmazonVPC/VpcEndpoint")
    result = fetch_all(c, REGION, [], None, today=TODAY)
    assert set(result.failed) == {"interface-endpoint", "interface-endpoint-data"}
    assert "ThrottlingException" in result.failed["interface-endpoint"]
    assert set(result.items) == set(EXPECTED) - {"interface-endpoint", "interface-endpoint-data"}


def test_a_denied_instance_type_leaves_the_items_written(client):
    c, stub = client
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed for this type")
    expect_published(stub)
    result = fetch_all(c, REGION, ["p5.48xlarge"], None, today=TODAY)
    assert result.failed == {"p5.48xlarge": "AccessDeniedException: not allowed for this type"}
    assert set(result.items) == set(EXPECTED)


def test_every_request_refused_is_a_service_error(client):
    c, stub = client
    for _ in range(len(PUBLISHED)):
        stub.add_client_error("get_products", "AccessDeniedException", "not allowed")
    with pytest.raises(ServiceError, match="refused get_products for ebs-gp3"):
        fetch_all(c, REGION, [], None, today=TODAY)


# -- end to end, as a user runs it ----------------------------------------------------------------

def instance_offer(itype: str, usd: str) -> str:
    return offer("AmazonEC2", "Compute Instance", {"instanceType": itype, "operatingSystem": "Linux", "tenancy": "Shared",
                                                   "preInstalledSw": "NA", "capacitystatus": "Used",
                                                   "licenseModel": "No License required", "marketoption": "OnDemand",
                                                   "usagetype": f"USW2-BoxUsage:{itype}"}, "Hrs", usd, f"SKU-{itype}")


def expect_instance(stub: Stubber, itype: str, usd: str) -> None:
    filters = [tm("instanceType", itype), tm("regionCode", REGION), tm("operatingSystem", "Linux"),
               tm("tenancy", "Shared"), tm("preInstalledSw", "NA"), tm("licenseModel", "No License required"),
               tm("capacitystatus", "Used"), tm("marketoption", "OnDemand")]
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [instance_offer(itype, usd)]},
                      {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100})


SPEC = """\
    name: west
    region: us-west-2
    availability_zone: us-west-2a
    tags: {team: t, cost-center: "1"}
    network: {vpc_cidr: 10.0.0.0/16, egress: EGRESS}
    compute:
      - name: gpu
        instance_type: p5.48xlarge
        count: 2
        ami: ami-0a1b2c3d4e5f60718
        root_volume_gib: 1024
      - name: login
        instance_type: m7i.4xlarge
        count: 1
    storage:
      lustre: {capacity_gib: 4800, deployment: PERSISTENT_2, throughput_per_tib: 250}
    budget: {monthly_usd: 10000000, term_months: 12PRICES}
    """


def cost_json(capsys, spec: str) -> tuple[int, dict]:
    from planner.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["cost", spec, "--format", "json"])
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_refresh_then_cost_prices_every_line_from_aws(client, tmp_path, monkeypatch, capsys):
    """A us-west-2 spec (FSx PERSISTENT_2 250, gp3 roots, NAT or SSM interface endpoints, GPU and login
    nodes from the secondary source) has unpriced and secondary lines; after `catalog refresh --prices`
    and `budget.prices`, `ultraplan cost` prices every line from the Price List API, unmarked."""
    from planner.cli import main

    monkeypatch.chdir(tmp_path)
    specs = {}
    for egress in ("nat", "none"):
        (tmp_path / f"{egress}.yaml").write_text(textwrap.dedent(SPEC).replace("EGRESS", egress).replace("PRICES", ""))
        specs[egress] = str(tmp_path / f"{egress}.yaml")
    before = {egress: cost_json(capsys, path)[1] for egress, path in specs.items()}
    with pytest.raises(SystemExit):
        main(["validate", specs["nat"]])
    assert "could not price 4 item(s)" in capsys.readouterr().err
    assert {u["item"] for u in before["nat"]["unpriced"]} == {"nat-gateway", "fsx-lustre:PERSISTENT_2:250", "ebs-gp3"}
    assert "interface-endpoint" in {u["item"] for u in before["none"]["unpriced"]}
    assert {s["item"] for s in before["nat"]["prices"]["secondary"]} == {"p5.48xlarge", "m7i.4xlarge"}

    c, stub = client
    expect_instance(stub, "m7i.4xlarge", "0.8064000000")
    expect_instance(stub, "p5.48xlarge", "55.0400000000")
    expect_published(stub)
    monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: c)
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", REGION, "--instance-type", "p5.48xlarge",
              "--instance-type", "m7i.4xlarge", *sum((["--item", i] for i in EXPECTED), [])])
    out = capsys.readouterr()
    assert exc.value.code == 0, out.err
    written = out.out.strip()
    assert all(len(line) <= 80 for line in out.err.splitlines()), out.err
    err = " ".join(line.strip() for line in out.err.splitlines())
    assert "fsx-lustre:PERSISTENT_2:250: new on-demand price 0.2101 (was unknown)" in err
    assert "p5.48xlarge: on-demand 55.04 from a secondary source -> 55.04 from the Price List API" in err

    # `cost --prices FILE` for one run, in the text a person reads: no "could not price", no marking
    def cost_text(*extra: str) -> str:
        with pytest.raises(SystemExit) as exc:
            main(["cost", specs["nat"], *extra])
        assert exc.value.code == 0
        return capsys.readouterr().out.lower()

    assert "could not price" in cost_text() and "secondary source" in cost_text()
    once = cost_text("--prices", written)
    assert "could not price" not in once and "secondary source" not in once and "price list api" in once

    for egress, path in specs.items():
        text = open(path).read().replace("term_months: 12}", f"term_months: 12, prices: [{written}]}}")
        open(path, "w").write(text)
        code, after = cost_json(capsys, path)
        assert code == 0
        assert after["unpriced"] == [] and after["prices"]["secondary"] == []
        assert not any(line["secondary"] for line in after["lines"])
        lustre_line = next(line for line in after["lines"] if line["item"] == "fsx-lustre:PERSISTENT_2:250")
        assert lustre_line["unit_price_usd"] == pytest.approx(0.2101 / 730) and "Price List API" in lustre_line["source"]
        with pytest.raises(SystemExit) as exc:  # validate gives the same verdict: nothing left unpriced
            main(["validate", path])
        said = capsys.readouterr()
        assert exc.value.code == 0 and "could not price" not in said.out + said.err
    endpoint = next(line for line in after["lines"] if line["item"] == "interface-endpoint")
    assert endpoint["unit_price_usd"] == 0.0101


def test_cli_partial_failure_writes_the_rest_and_exits_3(client, tmp_path, monkeypatch, capsys):
    from planner.cli import main

    c, stub = client
    expect_published(stub, fail="AmazonVPC/VpcEndpoint")
    monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: c)
    out = tmp_path / "p.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", REGION, "--out", str(out),
              *sum((["--item", i] for i in EXPECTED), [])])
    captured = capsys.readouterr()
    assert exc.value.code == 3
    assert captured.out.strip() == str(out)
    assert all(len(line) <= 80 for line in captured.err.splitlines()), captured.err
    err = " ".join(line.strip() for line in captured.err.splitlines())
    assert "could not fetch interface-endpoint: ThrottlingException: Rate exceeded" in err
    assert "error: 2 item(s) could not be fetched from the Price List API" in err
    items = yaml.safe_load(out.read_text())["items"]
    assert "nat-gateway" in items and "interface-endpoint" not in items
    book = load_prices(extra_files=[str(out)])
    assert price(book, "fsx-lustre:PERSISTENT_2:500", REGION).usd == 0.3401
    assert price(book, "interface-endpoint", REGION).usd is None  # the base entry, still unknown


def test_cli_names_items_refresh_does_not_fetch(capsys):
    from planner.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", REGION, "--item", "fsx-lustre:SCRATCH_1"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "not fetched: no published Price List filter tells SCRATCH_1" in " ".join(err.split())
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "refresh", "--prices", "--region", REGION, "--item", "nat-gateways"])
    assert exc.value.code == 2 and "did you mean nat-gateway?" in " ".join(capsys.readouterr().err.split())
