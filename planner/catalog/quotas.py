"""Service Quotas codes per instance family and market, as bundled data (quotas.yaml).

Pure functions over the data: `bucket_for(quotas, instance_type, market)` says which quota an
instance type's vCPUs count against. A bucket whose code no primary source confirms has
`code=None` and `name_words`; the caller looks it up by name at run time and says so.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

MARKETS = ("on-demand", "spot", "capacity-block")


@dataclass(frozen=True, slots=True)
class QuotaBucket:
    id: str
    title: str
    service: str
    code: str | None  # None = UNCONFIRMED: look up by name_words
    market: str | None = None
    families: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    name_words: tuple[str, ...] = ()
    source: str = ""
    as_of: str = ""
    default: int | None = None  # AWS's documented default, where one is published (source says where)

    @property
    def confirmed(self) -> bool:
        return self.code is not None

    def matches_name(self, quota_name: str) -> bool:
        name = quota_name.lower()
        return bool(self.name_words) and all(w.lower() in name for w in self.name_words)


@dataclass(frozen=True, slots=True)
class Limit:
    """A countable account limit (Auto Scaling groups, NAT gateways per zone, ...), see quotas.yaml."""

    id: str
    title: str
    usage: str  # key in the plan summary's account_limits (a.b for nested)
    scope: str  # region | zone | group
    service: str
    code: str | None
    in_use: str | None = None
    name_words: tuple[str, ...] = ()
    fixed: int | None = None
    default: int | None = None
    source: str = ""
    as_of: str = ""

    def matches_name(self, quota_name: str) -> bool:
        name = quota_name.lower()
        return bool(self.name_words) and all(w.lower() in name for w in self.name_words)


@dataclass(frozen=True)
class Quotas:
    buckets: tuple[QuotaBucket, ...]
    vpc: dict[str, QuotaBucket]
    as_of: str = ""
    limits: tuple[Limit, ...] = ()


def family_of(instance_type: str) -> str:
    """`p5.48xlarge` -> `p5`; `p6e-gb200.36xlarge` -> `p6e-gb200`."""
    return instance_type.split(".")[0]


def class_of(instance_type: str) -> str:
    """The leading letters that name an EC2 quota class: `p5en` -> `p`, `trn2` -> `trn`, `vt1` -> `vt`."""
    m = re.match(r"[a-z]+", instance_type.lower())
    return m.group(0) if m else ""


def bucket_for(quotas: Quotas, instance_type: str, market: str) -> QuotaBucket | None:
    """The quota bucket an instance type's vCPUs count against in a market, or None if unknown."""
    family, klass = family_of(instance_type), class_of(instance_type)
    candidates = [b for b in quotas.buckets if b.market == market]
    for b in candidates:
        if family in b.families:
            return b
    for b in candidates:
        if klass in b.classes:
            return b
    return None


def _bucket(data: dict[str, Any]) -> QuotaBucket:
    return QuotaBucket(
        id=data["id"],
        title=data["title"],
        service=data["service"],
        code=data.get("code"),
        market=data.get("market"),
        families=tuple(data.get("families") or ()),
        classes=tuple(data.get("classes") or ()),
        name_words=tuple(data.get("name_words") or ()),
        source=data.get("source", ""),
        as_of=str(data.get("as_of", "")),
        default=data.get("default"),
    )


def build_quotas(data: dict[str, Any]) -> Quotas:
    buckets = tuple(_bucket(b) for b in data.get("buckets") or ())
    for b in buckets:
        if b.market not in MARKETS:
            raise ValueError(f"quotas: bucket {b.id} has unknown market {b.market!r}")
        if b.code is None and not b.name_words:
            raise ValueError(f"quotas: bucket {b.id} has neither a code nor name_words")
    vpc = {b["id"]: _bucket(b) for b in data.get("vpc") or ()}
    limits = tuple(_limit(x) for x in data.get("limits") or ())
    for lim in limits:
        if lim.scope not in ("region", "zone", "group"):
            raise ValueError(f"quotas: limit {lim.id} has unknown scope {lim.scope!r}")
        if lim.code is None and not lim.name_words:
            raise ValueError(f"quotas: limit {lim.id} has neither a code nor name_words")
    return Quotas(buckets=buckets, vpc=vpc, as_of=str(data.get("as_of", "")), limits=limits)


def _limit(data: dict[str, Any]) -> Limit:
    return Limit(
        id=data["id"], title=data["title"], usage=data["usage"], scope=data.get("scope", "region"),
        service=data["service"], code=data.get("code"), in_use=data.get("in_use"),
        name_words=tuple(data.get("name_words") or ()), fixed=data.get("fixed"), default=data.get("default"),
        source=data.get("source", ""), as_of=str(data.get("as_of", "")),
    )


@functools.lru_cache(maxsize=1)
def load_quotas() -> Quotas:
    """The bundled quota codes, loaded once per process."""
    from . import bundled

    return build_quotas(bundled("quotas.yaml"))
