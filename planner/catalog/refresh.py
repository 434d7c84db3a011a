"""Refresh prices from the AWS Price List API into a NEW dated price file.

`ultraplan catalog refresh --prices --region R` calls `pricing.get_products` (the API's endpoint is
us-east-1) once per instance type with the filters AWS documents for Linux, shared-tenancy, on-demand
usage (this module), and once per group of the other items the cost model prices: EBS gp3, FSx for
Lustre tiers, NAT gateway, interface endpoints, public IPv4 (refresh_products.py, each filter set cited
beside it). It writes `prices/<region>.<YYYY-MM-DD>.yaml` in the current directory (or `--out`), never
into the installed package; a spec reads it through `budget.prices` (or `cost --prices`). It never
edits an existing file: the loader applies dated files over the base one, entry by entry, and each
entry says it came from the Price List API, so a changed price is never silent. The caller also gets
the list of changes against the current catalog to print, and the items whose request failed (one
refused or throttled request never stops the others).

The client is passed in (tests use botocore's Stubber); this module, refresh_products.py and the
preflight's live account adapter are the only places that touch boto3. Capacity-block fees are not in
the Price List API (they come from describe_capacity_block_offerings), so they are not refreshed here.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import yaml

from ..errors import ServiceError, UsageError
from .prices import HERE, PriceBook

PRICING_ENDPOINT_REGION = "us-east-1"  # the Price List API answers in us-east-1 (and ap-south-1)
SOURCE = "AWS Price List API pricing.get_products (AmazonEC2, Linux, Shared, OnDemand), sku {sku}, effective {effective}"


def make_client():  # pragma: no cover - the live edge; tests pass a stubbed client instead
    import boto3

    return boto3.client("pricing", region_name=PRICING_ENDPOINT_REGION)


def product_filters(instance_type: str, region: str) -> list[dict[str, str]]:
    """The filters AWS documents for one Linux, shared-tenancy, on-demand price (aws-gpu-facts.md)."""
    pairs = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "licenseModel": "No License required",
        "capacitystatus": "Used",
        "marketoption": "OnDemand",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in pairs.items()]


@dataclass(frozen=True)
class Offer:
    instance_type: str
    usd: float
    sku: str
    effective: str


def parse_price_list(entries: Iterable[str | dict[str, Any]]) -> list[Offer]:
    """PriceList items (JSON strings, as the API returns them) -> on-demand hourly offers in USD."""
    offers = []
    for raw in entries:
        doc = json.loads(raw) if isinstance(raw, str) else raw
        product = doc.get("product") or {}
        attrs = product.get("attributes") or {}
        for term in ((doc.get("terms") or {}).get("OnDemand") or {}).values():
            for dim in (term.get("priceDimensions") or {}).values():
                if str(dim.get("unit", "")).lower() not in ("hrs", "hours", "hour"):
                    continue
                value = (dim.get("pricePerUnit") or {}).get("USD")
                if value is None:
                    continue
                offers.append(Offer(attrs.get("instanceType", "?"), float(value), product.get("sku") or term.get("sku", "?"),
                                    str(term.get("effectiveDate", ""))[:10]))
    return offers


@dataclass
class RefreshResult:
    region: str
    fetched_on: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # items the Price List API had no rate for
    changes: list[str] = field(default_factory=list)  # human-readable differences from the current catalog
    failed: dict[str, str] = field(default_factory=dict)  # item -> why its request failed (denied, throttled)

    def to_file(self) -> dict[str, Any]:
        return {"region": self.region, "currency": "USD", "refreshed": self.fetched_on,
                "items": self.items}


def _fetch_instances(client, region: str, instance_types: Iterable[str], result: RefreshResult,
                     current: PriceBook | None) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    from .refresh_products import describe_change, price_list_pages

    today = result.fetched_on
    for itype in sorted(set(instance_types)):
        try:
            entries = price_list_pages(client, "AmazonEC2", product_filters(itype, region))
        except ClientError as exc:
            err = exc.response.get("Error", {})
            result.failed[itype] = f"{err.get('Code', 'error')}: {err.get('Message', exc)}"
            continue
        except BotoCoreError as exc:  # no credentials, no network: every other request would fail the same way
            raise ServiceError(f"Price List API unreachable: {exc}; nothing written") from None
        offers = [o for o in parse_price_list(entries) if o.usd > 0]
        if not offers:
            result.missing.append(itype)
            continue
        distinct = sorted({o.usd for o in offers})
        best = max(offers, key=lambda o: o.usd)  # several SKUs: the highest, conservative for a budget
        entry: dict[str, Any] = {"usd": best.usd, "unit": "instance-hour",
                                 "source": SOURCE.format(sku=best.sku, effective=best.effective or "?"),
                                 "as_of": today}
        if len(distinct) > 1:
            entry["note"] = f"{len(distinct)} distinct rates matched ({', '.join(f'{d:g}' for d in distinct)}); the highest kept"
        result.items[itype] = {"on-demand": entry}
        if current is not None:
            result.changes.extend(describe_change(current, itype, region, best.usd))


def _nothing_fetched(result: RefreshResult) -> None:
    """Every request failed: there is nothing to write (exit 3, the first reason named)."""
    if result.failed and not result.items:
        names = list(result.failed)
        more = f" and {len(names) - 1} other item(s)" if len(names) > 1 else ""
        raise ServiceError(f"Price List API refused get_products for {names[0]}{more}: {result.failed[names[0]]}; "
                           "nothing written")


def fetch_on_demand(client, region: str, instance_types: Iterable[str], *, today: dt.date,
                    current: PriceBook | None = None) -> RefreshResult:
    """Ask the Price List API for each type's on-demand rate in `region`. A type with no usable
    answer is listed in `missing`, not written (the catalog keeps its own entry for it); a refused or
    throttled request is listed in `failed` and the other types go on (all refused: ServiceError)."""
    result = RefreshResult(region, today.isoformat())
    _fetch_instances(client, region, instance_types, result, current)
    _nothing_fetched(result)
    return result


def fetch_all(client, region: str, instance_types: Iterable[str], items: Iterable[str] | None, *,
              today: dt.date, current: PriceBook | None = None) -> RefreshResult:
    """Instance on-demand rates and the non-instance items (planner/catalog/refresh_products.py) in
    one result; one failed request never stops the others (all failed: ServiceError)."""
    from .refresh_products import fetch_products

    result = RefreshResult(region, today.isoformat())
    _fetch_instances(client, region, instance_types, result, current)
    items = list(items) if items is not None else None
    if items is None or items:
        fetch_products(client, region, items, result, today_iso=today.isoformat(), current=current)
    _nothing_fetched(result)
    return result


DEFAULT_FOLDER = "prices"  # beside the specs (the current directory), never inside the installed package


def default_path(region: str, today: dt.date, folder: str = DEFAULT_FOLDER) -> str:
    return os.path.join(folder, f"{region}.{today.isoformat()}.yaml")


def inside_package(path: str) -> bool:
    """Whether `path` is inside the installed ultraplan package (the bundled catalog is read-only data)."""
    package = os.path.realpath(os.path.dirname(os.path.dirname(HERE)))  # planner/
    target = os.path.realpath(os.path.abspath(path))
    return os.path.commonpath([package, target]) == package


def write_new(result: RefreshResult, path: str) -> str:
    """Write the refreshed prices to a file that must not exist yet (prices are never edited in place)."""
    if inside_package(path):
        raise UsageError(f"{path} is inside the installed ultraplan package; write the prices beside your specs "
                         f"(the default, {DEFAULT_FOLDER}/) and name them in the spec's budget.prices or with --prices")
    if os.path.exists(path):
        raise UsageError(f"{path} exists; a refresh writes a new file and never overwrites prices (choose --out)")
    header = (f"# Written by `ultraplan catalog refresh --prices --region {result.region}` on {result.fetched_on}\n"
              "# from the AWS Price List API. Applied over the base file entry by entry; do not edit by hand.\n")
    text = header + yaml.safe_dump(result.to_file(), sort_keys=False, allow_unicode=True)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(text)
    return path
