"""Prices as bundled data, queried by small pure functions.

Files under ``planner/catalog/prices/``: ``<region>.yaml`` (the checked base figures) and, after a
refresh, ``<region>.<YYYY-MM-DD>.yaml`` written by ``ultraplan catalog refresh --prices``. Newer dated
files override the base entry by entry; each entry keeps its own ``source`` and ``as_of``, so the cost
report always says where a number came from. ``free.yaml`` lists resource types that cost nothing.

An entry whose ``usd`` is null is a known unknown: ``price()`` returns an unpriced ``Quote`` carrying the
entry's reason, and the cost report lists it as unpriced. Nothing here ever turns "unknown" into 0.

An entry with ``secondary: true`` was priced from a named, dated third-party dataset derived from the AWS
Price List API (not from AWS itself). Its Quote's source starts with ``secondary source:`` and its
``secondary`` flag is set, so every output that shows a price shows the marking; a refreshed file
(``catalog refresh --prices``) overrides the entry and the marking goes with it.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

import yaml

HERE = os.path.join(os.path.dirname(__file__), "prices")

#: Hours in a billing month, as AWS quotes monthly prices (730 h = 8,760 h / 12).
HOURS_PER_MONTH = 730.0

#: How many hours one catalog unit spans; a per-hour price is usd / hours.
UNIT_HOURS: dict[str, float] = {
    "instance-hour": 1.0,
    "ultraserver-hour": 1.0,
    "gateway-hour": 1.0,
    "address-hour": 1.0,
    "endpoint-hour": 1.0,
    "GB-month": HOURS_PER_MONTH,
}

MARKETS = ("on-demand", "capacity-block", "spot", "reserved-1yr", "reserved-3yr",
           "savings-plan-1yr", "savings-plan-3yr")

#: Markets whose rates AWS re-sets every calendar quarter (the Capacity Blocks for ML pricing page
#: announces the next update): a rate quoted in an earlier quarter than today is stale.
REPRICED_QUARTERLY = frozenset({"capacity-block"})

#: How every output marks a price taken from a third-party dataset rather than from AWS.
SECONDARY_MARK = "secondary source"

_DATED = re.compile(r"^(?P<region>[a-z0-9-]+?)(?:\.(?P<date>\d{4}-\d{2}-\d{2}))?\.ya?ml$")


@dataclass(frozen=True, slots=True)
class PriceEntry:
    item: str
    market: str
    usd: float | None
    unit: str
    source: str
    as_of: str
    reason: str | None = None
    note: str | None = None
    derived: bool = False
    file: str | None = None
    secondary: bool = False  # from a third-party dataset derived from the Price List API, not from AWS


@dataclass(frozen=True, slots=True)
class Quote:
    """The answer to one price question: a price with its source, or the reason there is none."""

    item: str
    market: str
    region: str
    usd: float | None
    unit: str | None
    source: str | None
    as_of: str | None
    reason: str | None = None
    note: str | None = None
    derived: bool = False
    secondary: bool = False

    @property
    def priced(self) -> bool:
        return self.usd is not None

    @property
    def usd_per_hour(self) -> float | None:
        """The price per hour of one unit (GB-month prices spread over 730 h); None for per-GB data."""
        if self.usd is None or self.unit not in UNIT_HOURS:
            return None
        return self.usd / UNIT_HOURS[self.unit]


@dataclass(frozen=True)
class PriceBook:
    """All price entries by region -> item -> market, plus the free resource types."""

    regions: dict[str, dict[str, dict[str, PriceEntry]]]
    free_types: dict[str, str] = field(default_factory=dict)
    free_source: str = ""
    currency: str = "USD"
    files: tuple[str, ...] = ()

    def region_names(self) -> list[str]:
        return sorted(self.regions)

    def as_of(self, region: str) -> str:
        dates = [e.as_of for markets in self.regions.get(region, {}).values() for e in markets.values()
                 if e.usd is not None]
        return max(dates) if dates else ""


def _entry(item: str, market: str, data: dict[str, Any], file: str | None) -> PriceEntry:
    for key in ("unit", "source", "as_of"):
        if key not in data:
            raise ValueError(f"{file or '<prices>'}: {item} {market}: missing `{key}`")
    usd = data.get("usd")
    if usd is None and not data.get("reason"):
        raise ValueError(f"{file or '<prices>'}: {item} {market}: unknown price needs a `reason`")
    if usd is not None and (not isinstance(usd, (int, float)) or usd < 0):
        raise ValueError(f"{file or '<prices>'}: {item} {market}: usd must be a number >= 0")
    for key in ("source", "as_of"):
        if not str(data[key]).strip():
            raise ValueError(f"{file or '<prices>'}: {item} {market}: `{key}` is empty")
    return PriceEntry(item=item, market=market, usd=None if usd is None else float(usd), unit=data["unit"],
                      source=str(data["source"]), as_of=str(data["as_of"]), reason=data.get("reason"),
                      note=data.get("note"), derived=bool(data.get("derived", False)), file=file,
                      secondary=bool(data.get("secondary", False)))


def parse_region_file(data: dict[str, Any], file: str | None = None) -> tuple[str, dict[str, dict[str, PriceEntry]]]:
    """One region file (a dict) -> (region, {item: {market: entry}}). Keys starting with `_` are ignored."""
    region = data.get("region")
    if not region:
        raise ValueError(f"{file or '<prices>'}: missing `region`")
    items: dict[str, dict[str, PriceEntry]] = {}
    for item, markets in (data.get("items") or {}).items():
        items[item] = {m: _entry(item, m, d, file) for m, d in (markets or {}).items()}
    return region, items


def build_prices(region_files: Iterable[dict[str, Any]], free: dict[str, Any] | None = None) -> PriceBook:
    """Merge region dicts (in order: later overrides earlier, entry by entry). Tests pass tiny dicts."""
    regions: dict[str, dict[str, dict[str, PriceEntry]]] = {}
    for data in region_files:
        region, items = parse_region_file(data, data.get("_file"))
        target = regions.setdefault(region, {})
        for item, markets in items.items():
            target.setdefault(item, {}).update(markets)
    free = free or {}
    return PriceBook(regions=regions, free_types=dict(free.get("types") or {}),
                     free_source=str(free.get("source", "")))


def _sort_key(name: str) -> tuple[str, str]:
    m = _DATED.match(name)
    return (m.group("region"), m.group("date") or "") if m else (name, "")


def load_prices(folder: str | None = None, extra_files: Iterable[str] = ()) -> PriceBook:
    """Read every price file in `folder` (default: the bundled one), base files first then dated
    refreshes in date order, then `extra_files` (e.g. `--prices FILE`) last."""
    if folder is None and not extra_files:
        return _default_prices()
    return _load(folder or HERE, tuple(extra_files))


@functools.lru_cache(maxsize=1)
def _default_prices() -> PriceBook:
    return _load(HERE, ())


def _read_yaml(path: str) -> dict[str, Any]:
    """One price file; a bad one is an InputFileError naming the file and the field (exit 2)."""
    from ..errors import InputFileError
    from ..inputs import MAX_PRICE_FILE_BYTES, read_text

    text = read_text(path, MAX_PRICE_FILE_BYTES, "price file")
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputFileError(path, f"line {mark.line + 1}" if mark else "", f"not valid YAML "
                             f"({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise InputFileError(path, "<root>", "not a price file (expected a mapping with region and items)")
    return data


def _price_file_shape():
    from ..fileshape import ANY, BOOL, NUM, STR, MapOf, Obj, Opt

    entry = Obj({"unit": STR, "source": ANY, "as_of": ANY}, {"usd": Opt(NUM), "reason": Opt(STR),
                                                             "secondary": Opt(BOOL)})
    return Obj({"region": STR}, {"items": Opt(MapOf(Opt(MapOf(entry))))})


def _load(folder: str, extra_files: tuple[str, ...]) -> PriceBook:
    names = sorted((n for n in os.listdir(folder) if _DATED.match(n) and n != "free.yaml"), key=_sort_key)
    paths = [os.path.join(folder, n) for n in names] + list(extra_files)
    datas = []
    from ..fileshape import conform

    for path in paths:
        data = _read_yaml(path)
        conform(data, _price_file_shape(), path, "a price file as `catalog refresh --prices` writes it")
        data["_file"] = os.path.basename(path)
        datas.append(data)
    free_path = os.path.join(folder, "free.yaml")
    free = _read_yaml(free_path) if os.path.exists(free_path) else {}
    book = build_prices(datas, free)
    return PriceBook(regions=book.regions, free_types=book.free_types, free_source=book.free_source,
                     files=tuple(os.path.basename(p) for p in paths))


# -- queries -------------------------------------------------------------------------------------

def has_region(prices: PriceBook, region: str) -> bool:
    return region in prices.regions


def price(prices: PriceBook, item: str, region: str, market: str = "on-demand") -> Quote:
    """The price of one unit of `item` (instance type, UltraServer type, `ebs-gp3`, `nat-gateway`, ...)
    in `region` on `market`. Never raises for a missing price: the Quote says why it has none."""
    items = prices.regions.get(region)
    if items is None:
        have = ", ".join(prices.region_names()) or "none"
        return Quote(item, market, region, None, None, None, None,
                     reason=f"no prices for region {region} (price files cover: {have}); run "
                            f"`ultraplan catalog refresh --prices --region {region}`")
    markets = items.get(item)
    if not markets:
        return Quote(item, market, region, None, None, None, None,
                     reason=f"{item} is not in the {region} price catalog")
    entry = markets.get(market)
    if entry is None:
        known = ", ".join(sorted(markets))
        return Quote(item, market, region, None, None, None, None,
                     reason=f"no {market} price for {item} in {region} (catalog has: {known})")
    source = f"{SECONDARY_MARK}: {entry.source}" if entry.secondary and entry.usd is not None else entry.source
    return Quote(item, market, region, entry.usd, entry.unit, source, entry.as_of,
                 reason=entry.reason, note=entry.note, derived=entry.derived,
                 secondary=entry.secondary and entry.usd is not None)


def free_reason(prices: PriceBook, resource_type: str) -> str | None:
    """Why a resource type costs nothing, or None when it is not a known free type."""
    return prices.free_types.get(resource_type)


def fsx_lustre_item(deployment: str, throughput_per_tib: int | None) -> str:
    """Catalog item name for an FSx for Lustre file system: persistent types are priced per throughput tier."""
    if deployment.upper().startswith("PERSISTENT") and throughput_per_tib:
        return f"fsx-lustre:{deployment.upper()}:{int(throughput_per_tib)}"
    return f"fsx-lustre:{deployment.upper()}"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def stale_reason(market: str, as_of: str | None, today: date) -> str | None:
    """Why a price is out of date on `today`, or None: a quarterly re-set rate (capacity blocks)
    whose `as_of` falls before the current quarter's first day."""
    if market not in REPRICED_QUARTERLY or not as_of:
        return None
    try:
        quoted = date.fromisoformat(str(as_of)[:10])
    except ValueError:
        return f"{market} rate has no readable as_of date ({as_of!r}); AWS re-sets these rates quarterly"
    current = quarter_start(today)
    if quoted >= current:
        return None
    return (f"{market} rate as of {quoted} is older than the current quarter (from {current}); AWS re-sets "
            f"capacity-block rates quarterly: refresh it from the Capacity Blocks for ML pricing page or "
            f"describe_capacity_block_offerings")
