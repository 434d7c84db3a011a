"""Refresh the prices of everything the cost model prices that is not an instance: EBS gp3 storage,
FSx for Lustre storage per deployment type and throughput tier, NAT gateway hours and data, interface
endpoint hours and data, public IPv4 address-hours.

Each item is one request to the Price List API (`pricing.get_products`) with literal TERM_MATCH
filters, then a selection rule over the products that come back (the usage type, the price unit, a
product attribute). Every filter attribute and value, and every selection rule, is taken from public
code that queries the same products or from AWS's own text, cited next to it; an item for which no
such source was found is not fetched and is listed in `NOT_FETCHED` with the reason (never a guessed
attribute value). Items that share one request (the NAT gateway hour and its data, say) share one call.

A product whose attributes contradict the filters it was asked with is ignored: the answer is checked,
not trusted. One item refused or throttled does not stop the others: it is reported in `failed`.
The client is passed in (tests use botocore's Stubber).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import ServiceError
from .fsx import throughput_tiers
from .prices import PriceBook, price

# -- the published sources the filters come from (the comments below name them in brackets) --------
# [IDEA] cfs-energy/idea, source/idea/idea-cluster-manager/src/ideaclustermanager/app/costs/
#   pricing_rates.py, commit 3b7fd920e78022af0b470b6532c34e1e4f1d03e9: boto3 get_products with TERM_MATCH
#   filters for EBS gp3 (AmazonEC2, productFamily Storage, volumeApiName gp3) and FSx for Lustre SCRATCH_2
#   (AmazonFSx, productFamily Storage, fileSystemType Lustre, operation CreateFileSystem:Lustre,
#   deploymentOption Single-AZ, storageType SSD, throughputCapacity N/A), each with regionCode and
#   locationType 'AWS Region'; usage types matched with an optional Region prefix `(?:[A-Z0-9]+-)?`.
# [INFRACOST] infracost/infracost, internal/resources/aws/{nat_gateway,vpc_endpoint,ebs_volume}.go,
#   commit 95ba4f49a7abf5567b04f751a115543281a4ab18: NAT gateway = AmazonEC2, productFamily 'NAT Gateway',
#   usagetype NatGateway-Hours / NatGateway-Bytes; interface endpoint = AmazonVPC, productFamily
#   'VpcEndpoint', usagetype VpcEndpoint-Hours / VpcEndpoint-Bytes (data tiered: first 1 PB from 0);
#   EBS = AmazonEC2, productFamily Storage, volumeApiName.
# [CLOUDCOST] grafana/cloudcost-exporter, pkg/aws/client/pricing.go, pkg/aws/natgateway/
#   natgateway_usage.go and pkg/aws/vpc/pricing_map.go, commit 68b7680f9119bfe40be12f5f545195979da8faeb:
#   get_products TERM_MATCH regionCode (+ productFamily 'NAT Gateway' for the AmazonEC2 NAT prices; nothing
#   more for AmazonVPC), then usage types containing NatGateway-Hours / NatGateway-Bytes,
#   VpcEndpoint-Hours, and PublicIPv4 + InUseAddress.
# [IPV4_BLOG] AWS Networking & Content Delivery blog, "Identify and optimize public IPv4 address usage
#   on AWS" (2023-07-28, updated 2024-02-01): the usage types PublicIPv4:InUseAddress and
#   PublicIPv4:IdleAddress.
# [CCF] cloud-carbon-footprint/cloud-carbon-footprint, packages/aws/src/lib/CostAndUsageTypes.ts, commit
#   055988215308523fa3d7c7357d804da6d954f9d7: FSx SSD storage usage types carry the throughput tier
#   ('Storage.SSD.50', // Fsx).
# The persistent SSD throughput tiers per deployment type come from the FSx catalog
# (planner/catalog/fsx_lustre.yaml, Amazon FSx API Reference): PERSISTENT_1 and PERSISTENT_2 share no
# tier number, so a tier number names its deployment type.


def _prefixed(usage: str) -> re.Pattern[str]:
    """A usage type with the optional Region prefix the Price List API puts on it outside us-east-1
    (e.g. USW2-NatGateway-Hours), as [IDEA] matches EBS:VolumeP-IOPS.piops."""
    return re.compile(r"(?:[A-Z0-9]+-)?" + re.escape(usage))


@dataclass(frozen=True)
class Product:
    """One catalog item and how to ask the Price List API for it."""

    item: str
    unit: str  # the catalog unit the entry is written in
    service: str  # ServiceCode
    filters: tuple[tuple[str, str], ...]  # TERM_MATCH pairs besides regionCode (and locationType)
    price_unit: str  # priceDimensions unit to accept
    describe: str  # what the source string says was asked for
    usage: re.Pattern[str] | None = None  # usagetype must match this whole
    location_type: bool = False  # also TERM_MATCH locationType 'AWS Region' (excludes Local Zones)
    first_tier: bool = False  # tiered data price: take the dimension that begins at 0
    note: str | None = None

    def request_filters(self, region: str) -> list[dict[str, str]]:
        pairs = [("regionCode", region)] + ([("locationType", "AWS Region")] if self.location_type else [])
        return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in pairs + list(self.filters)]

    def key(self, region: str) -> str:
        return json.dumps([self.service, self.request_filters(region)])


# Each filter set below is written as its source writes it (the constants above say where).
_EBS = (("productFamily", "Storage"), ("volumeApiName", "gp3"))  # [IDEA] 'ebs_gp3_storage'; [INFRACOST] ebs_volume.go
_LUSTRE = (("productFamily", "Storage"), ("fileSystemType", "Lustre"), ("operation", "CreateFileSystem:Lustre"),
           ("storageType", "SSD"))  # [IDEA] 'fsx_lustre', less its two scratch-only attributes
_NAT = (("productFamily", "NAT Gateway"),)  # [CLOUDCOST] NATGatewayFilters; [INFRACOST] nat_gateway.go
_ENDPOINT = (("productFamily", "VpcEndpoint"),)  # [INFRACOST] vpc_endpoint.go


def _fsx_tier(deployment: str, tier: int) -> Product:
    # The same literal filters as SCRATCH_2 less the two attributes that single scratch out
    # (deploymentOption, throughputCapacity): one answer holds every Lustre SSD storage product. A tier
    # is the product whose usage type is Storage.SSD.<tier> (Region prefix optional), the scheme
    # cloud-carbon-footprint lists for FSx ('Storage.SSD.50'); no such product: the tier is reported as
    # having no Price List rate, never priced from a near match.
    return Product(f"fsx-lustre:{deployment}:{tier}", "GB-month", "AmazonFSx", _LUSTRE, "GB-Mo",
                   f"AmazonFSx, Lustre SSD storage, {deployment} {tier} MB/s/TiB",  # [IDEA] filters; [CCF] usage type
                   usage=_prefixed(f"Storage.SSD.{tier}"), location_type=True)


PRODUCTS: tuple[Product, ...] = (
    # [IDEA] 'ebs_gp3_storage'; [INFRACOST] ebs_volume.go
    Product("ebs-gp3", "GB-month", "AmazonEC2", _EBS, "GB-Mo", "AmazonEC2, Storage, volumeApiName gp3",
            location_type=True, note="provisioned storage; baseline 3,000 IOPS / 125 MB/s included"),
    # [IDEA] 'fsx_lustre' ("FSx for Lustre assumes SCRATCH_2/SSD")
    Product("fsx-lustre:SCRATCH_2", "GB-month", "AmazonFSx",
            _LUSTRE + (("deploymentOption", "Single-AZ"), ("throughputCapacity", "N/A")), "GB-Mo",
            "AmazonFSx, Lustre SSD storage, Single-AZ, throughputCapacity N/A (scratch)", location_type=True),
    *(_fsx_tier(dep, t) for dep in ("PERSISTENT_1", "PERSISTENT_2") for t in throughput_tiers(dep)),
    # [CLOUDCOST] NATGatewayFilters and its usage-type match; [INFRACOST] nat_gateway.go
    Product("nat-gateway", "gateway-hour", "AmazonEC2", _NAT, "Hrs", "AmazonEC2, NAT Gateway, NatGateway-Hours",
            usage=_prefixed("NatGateway-Hours")),
    Product("nat-gateway-data", "GB", "AmazonEC2", _NAT, "GB", "AmazonEC2, NAT Gateway, NatGateway-Bytes",
            usage=_prefixed("NatGateway-Bytes"), note="data processed; depends on traffic, not in the estimate"),
    # [INFRACOST] vpc_endpoint.go (hours; data tiered from 0); [CLOUDCOST] vpc VpcEndpoint-Hours
    Product("interface-endpoint", "endpoint-hour", "AmazonVPC", _ENDPOINT, "Hrs",
            "AmazonVPC, VpcEndpoint, VpcEndpoint-Hours", usage=_prefixed("VpcEndpoint-Hours"),
            note="per endpoint per Availability Zone"),
    Product("interface-endpoint-data", "GB", "AmazonVPC", _ENDPOINT, "GB",
            "AmazonVPC, VpcEndpoint, VpcEndpoint-Bytes (first tier)", usage=_prefixed("VpcEndpoint-Bytes"),
            first_tier=True, note="data processed, first 1 PB a month; depends on traffic, not in the estimate"),
    # [CLOUDCOST] client/pricing.go (AmazonVPC, regionCode only) + vpc InUseAddress; usage type: [IPV4_BLOG]
    Product("public-ipv4", "address-hour", "AmazonVPC", (), "Hrs", "AmazonVPC, PublicIPv4:InUseAddress",
            usage=_prefixed("PublicIPv4:InUseAddress")),
)

#: Items the cost model prices that refresh does not fetch, and why.
NOT_FETCHED: dict[str, str] = {
    "fsx-lustre:SCRATCH_1": "no published Price List filter tells SCRATCH_1 storage from SCRATCH_2 "
                            "(the filters found single out one scratch product, read as SCRATCH_2)",
    "s3-gateway-endpoint": "no charge (AWS PrivateLink pricing); nothing to fetch",
}

ITEMS = tuple(p.item for p in PRODUCTS)


@dataclass(frozen=True)
class Rate:
    usd: float
    sku: str
    effective: str
    usage: str


def select(product: Product, region: str, entries: Iterable[str | dict[str, Any]]) -> list[Rate]:
    """The on-demand USD rates in `entries` (PriceList items, JSON strings as the API returns them)
    that are `product` in `region`: attributes agree with the filters, the usage type and price unit
    match, and the tier is the first one where the price is tiered."""
    asked = dict(product.filters) | {"regionCode": region}
    if product.location_type:
        asked["locationType"] = "AWS Region"
    rates: list[Rate] = []
    for raw in entries:
        doc = json.loads(raw) if isinstance(raw, str) else raw
        prod = doc.get("product") or {}
        attrs = dict(prod.get("attributes") or {})
        if "productFamily" in prod:
            attrs.setdefault("productFamily", prod["productFamily"])
        if doc.get("serviceCode", product.service) != product.service:
            continue
        if any(attrs.get(k) != v for k, v in asked.items()):
            continue  # the API answered with another product: never price from it
        usage = str(attrs.get("usagetype", ""))
        if product.usage is not None and not product.usage.fullmatch(usage):
            continue
        for term in ((doc.get("terms") or {}).get("OnDemand") or {}).values():
            for dim in (term.get("priceDimensions") or {}).values():
                if dim.get("unit") != product.price_unit:
                    continue
                if product.first_tier and str(dim.get("beginRange", "0")) != "0":
                    continue
                value = (dim.get("pricePerUnit") or {}).get("USD")
                if value is None:
                    continue
                rates.append(Rate(float(value), str(prod.get("sku") or term.get("sku") or "?"),
                                  str(term.get("effectiveDate", ""))[:10], usage))
    return rates


def price_list_pages(client, service: str, filters: list[dict[str, str]]) -> list[str]:
    """Every PriceList entry `get_products` answers for these filters, page after page."""
    entries: list[str] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1",
                                  "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        entries.extend(page.get("PriceList") or [])
        token = page.get("NextToken")
        if not token:
            return entries


SOURCE = "AWS Price List API pricing.get_products ({what}), usagetype {usage}, sku {sku}, effective {effective}"


def fetch_products(client, region: str, items: Iterable[str] | None, result: Any, *, today_iso: str,
                   current: PriceBook | None = None) -> None:
    """Fetch each product in `items` (default: all of PRODUCTS) into `result` (a RefreshResult):
    `result.items[item]['on-demand']`, `result.missing` (no rate in the answer), `result.failed`
    (refused or throttled: item -> reason). Shared requests are made once; an unreachable API (no
    credentials, no network) raises ServiceError at once."""
    from botocore.exceptions import BotoCoreError, ClientError

    wanted = set(ITEMS if items is None else items)
    answers: dict[str, list[str] | str] = {}
    for product in PRODUCTS:
        if product.item not in wanted:
            continue
        key = product.key(region)
        if key not in answers:
            try:
                answers[key] = price_list_pages(client, product.service, product.request_filters(region))
            except ClientError as exc:
                err = exc.response.get("Error", {})
                answers[key] = f"{err.get('Code', 'error')}: {err.get('Message', exc)}"
            except BotoCoreError as exc:  # no credentials, no network: the rest would fail the same way
                raise ServiceError(f"Price List API unreachable: {exc}; nothing written") from None
        answer = answers[key]
        if isinstance(answer, str):
            result.failed[product.item] = answer
            continue
        rates = [r for r in select(product, region, answer) if r.usd >= 0]
        if not rates:
            result.missing.append(product.item)
            continue
        distinct = sorted({r.usd for r in rates})
        best = max(rates, key=lambda r: r.usd)  # several SKUs: the highest, conservative for a budget
        entry: dict[str, Any] = {"usd": best.usd, "unit": product.unit,
                                 "source": SOURCE.format(what=product.describe, usage=best.usage or "-",
                                                         sku=best.sku, effective=best.effective or "?"),
                                 "as_of": today_iso}
        notes = [product.note] if product.note else []
        if len(distinct) > 1:
            notes.append(f"{len(distinct)} distinct rates matched ({', '.join(f'{d:g}' for d in distinct)}); the highest kept")
        if notes:
            entry["note"] = "; ".join(notes)
        result.items[product.item] = {"on-demand": entry}
        if current is not None:
            result.changes.extend(describe_change(current, product.item, region, best.usd))


def describe_change(current: PriceBook, item: str, region: str, usd: float) -> list[str]:
    """How a fetched on-demand rate differs from the catalog's: new, replaced secondary, or changed."""
    old = price(current, item, region, "on-demand")
    if old.usd is None:
        return [f"{item}: new on-demand price {usd:g} (was unknown)"]
    if old.secondary:  # a third-party figure replaced by AWS's own: say so even when equal
        return [f"{item}: on-demand {old.usd:g} from a secondary source -> {usd:g} from the Price List API"]
    if abs(old.usd - usd) > 1e-9:
        return [f"{item}: on-demand {old.usd:g} -> {usd:g}"]
    return []
