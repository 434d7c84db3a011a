"""A cell's quotas, offline: the cell's `quotas` overrides, else its account snapshot, else AWS's
documented default (planner/catalog/quotas.yaml, each with its source and date), else unknown.

Every value says where it came from (`basis`: stated, snapshot, default, fixed), so a report shows
a default as a default; an unknown quota is never taken as a pass.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..catalog.quotas import Limit, QuotaBucket, load_quotas


@dataclass(frozen=True)
class QuotaEntry:
    """One quota the fleet checks: a countable limit, a VPC quota or a vCPU bucket."""

    id: str  # auto-scaling-groups, network-interfaces, on-demand-p, ...
    title: str
    service: str
    code: str | None
    name_words: tuple[str, ...] = ()
    default: int | None = None
    fixed: int | None = None  # a limit no request raises (launch templates, placement groups)
    in_use: str | None = None  # snapshot `counts` key added to the plan's own count
    source: str = ""
    as_of: str = ""

    @property
    def label(self) -> str:
        return f"{self.title} ({self.code or 'no quota code'})"


@dataclass(frozen=True)
class QuotaValue:
    value: int | None  # None: unknown
    basis: str  # stated | snapshot | default | fixed | unknown
    code: str | None
    in_use: int = 0

    def describe(self) -> str:
        if self.value is None:
            return "unknown"
        return f"{self.value:,} ({self.basis})"


def _from_limit(lim: Limit) -> QuotaEntry:
    return QuotaEntry(lim.id, lim.title, lim.service, lim.code, lim.name_words, lim.default, lim.fixed, lim.in_use,
                      lim.source, lim.as_of)


def _from_bucket(b: QuotaBucket, in_use: str | None = None) -> QuotaEntry:
    return QuotaEntry(b.id, b.title, b.service, b.code, b.name_words, b.default, None, in_use, b.source, b.as_of)


@functools.lru_cache(maxsize=1)
def entries() -> dict[str, QuotaEntry]:
    """Every quota a cell is checked against, by id."""
    q = load_quotas()
    out = {lim.id: _from_limit(lim) for lim in q.limits}
    for vid, b in q.vpc.items():
        out[vid] = _from_bucket(b, in_use=vid.replace("-", "_"))
    for b in q.buckets:
        out[b.id] = _from_bucket(b)
    return out


def quota_key(name: str) -> str | None:
    """The entry id a limit name or quota code names (None: unknown)."""
    all_ = entries()
    if name in all_:
        return name
    return next((e.id for e in all_.values() if e.code and e.code == name), None)


def known_quota_names() -> list[str]:
    return sorted(set(entries()) | {e.code for e in entries().values() if e.code})


def snapshot_items(snapshot: Any) -> dict[str, dict[str, Any]]:
    doc = getattr(snapshot, "doc", None) or {}
    items = (doc.get("service_quotas") or {}).get("items") or {}
    return items if isinstance(items, dict) else {}


def snapshot_count(snapshot: Any, key: str | None) -> int:
    if snapshot is None or not key:
        return 0
    counts = (getattr(snapshot, "doc", {}).get("counts") or {}).get("items") or {}
    value = counts.get(key)
    return int(value) if isinstance(value, (int, float)) else 0


def resolve(entry: QuotaEntry, overrides: dict[str, int], snapshot: Any) -> QuotaValue:
    """The cell's value of one quota (see the module docstring for the order)."""
    in_use = snapshot_count(snapshot, entry.in_use)
    for key in (entry.id, entry.code):
        if key and key in overrides:
            return QuotaValue(int(overrides[key]), "stated", entry.code, in_use)
    if snapshot is not None:
        items = snapshot_items(snapshot)
        hit = items.get(f"{entry.service}/{entry.code}") if entry.code else None
        if hit is None and entry.name_words:
            hit = next((v for v in items.values() if isinstance(v, dict) and
                        all(w.lower() in str(v.get("name", "")).lower() for w in entry.name_words)), None)
        if isinstance(hit, dict) and hit.get("value") is not None:
            return QuotaValue(int(hit["value"]), "snapshot", entry.code or hit.get("code"), in_use)
    if entry.default is not None:
        return QuotaValue(entry.default, "default", entry.code, in_use)
    if entry.fixed is not None:
        return QuotaValue(entry.fixed, "fixed", entry.code, in_use)
    return QuotaValue(None, "unknown", entry.code, in_use)


def request_command(entry: QuotaEntry, region: str, value: int, code: str | None = None) -> str:
    code = code or entry.code
    if entry.fixed is not None and entry.code is None:
        return (f"{entry.title} is a fixed limit ({entry.fixed:,}): no increase can be requested; "
                "split the cell's pools over more cells (accounts or Regions)")
    if not code:
        return (f"{entry.title}: no Service Quotas code is confirmed; find it with `aws service-quotas "
                f"list-service-quotas --service-code {entry.service} --region {region}` and request {value:,}")
    return (f"aws service-quotas request-service-quota-increase --region {region} --service-code {entry.service} "
            f"--quota-code {code} --desired-value {value}")
