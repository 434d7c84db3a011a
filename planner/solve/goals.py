"""The goals file `ultraplan solve` reads: term, budget, GPU targets, what may be bought, limits.

Errors are reported like spec errors: every problem with its field path, YAML line and a fix, all at
once, in one SpecError (exit 2). Shape is checked by pydantic; meaning (types exist, purchase options
the type is sold as, zones in the region, dates in the term) against the catalog.
"""
from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..catalog import Catalog, load_catalog
from ..errors import InputFileError, SpecError, SpecIssue
from ..inputs import MAX_GOALS_BYTES, MAX_SNAPSHOT_BYTES, read_text
from ..spec.ratecard import Purchase, RateCard, load_rate_card, model_issues
from ..spec.model import DNS_NAME, DNS_NAME_HINT, MAX_USD
from ..spec.yamlload import Path, dotted, line_of, load

SAVINGS_PLANS = ("savings-plan-1y", "savings-plan-3y", "instance-savings-plan-1y", "instance-savings-plan-3y")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Term(_Model):
    start: dt.date = Field(description="First day of the term (periods are calendar months from it)")
    months: int = Field(ge=1, le=120, description="Length of the term in months")


class GoalBudget(_Model):
    total_usd: float | None = Field(None, gt=0, le=MAX_USD, allow_inf_nan=False, description="The most the whole term may cost")
    monthly_usd: float | None = Field(None, gt=0, le=MAX_USD, allow_inf_nan=False, description="The most any month of the term may cost")


class Target(_Model):
    """At least `gpus` accelerators online from `date` (until a later target says otherwise)."""

    date: dt.date
    gpus: int = Field(ge=0, le=100_000_000, description="Accelerators online from this date")
    generation: str | None = Field(None, description="Count only options whose family contains this, e.g. gb300")
    nvlink_domain: int | None = Field(None, ge=1, le=100_000, description="Count only options with NVLink domains at least this large")


class Option(_Model):
    """Something that may be bought: one instance type or UltraServer, its purchase options and zones."""

    instance_type: str | None = None
    ultraserver: str | None = None
    purchase: list[Purchase] = Field(min_length=1, description="on-demand, capacity-reservation, capacity-block, savings-plan-1y/3y, instance-savings-plan-1y/3y")
    zones: list[str] = Field(default_factory=list, description="Zones it may go in (required without cells; with cells, default: the cells' zones)")
    cells: list[str] = Field(default_factory=list, description="Cells it may go in (default: every cell)")
    fabric: str | None = Field(None, pattern=DNS_NAME, description="Options with the same fabric share one EFA fabric: one cell and one zone")
    from_: dt.date | None = Field(None, alias="from", description="First day it may be online")
    until: dt.date | None = Field(None, description="First day it may no longer be online")
    ami: str | None = Field(None, pattern=r"^ami-[0-9a-f]{8,17}$", description="AMI for its pools (where the catalog vouches for no default)")
    root_volume_gib: int = Field(200, ge=8, le=16384)

    @model_validator(mode="after")
    def _one_type(self) -> "Option":
        if bool(self.instance_type) == bool(self.ultraserver):
            raise ValueError("give exactly one of instance_type and ultraserver")
        return self

    @property
    def item(self) -> str:
        return str(self.ultraserver or self.instance_type)


class Limits(_Model):
    account: str | None = Field(None, description="An account snapshot (ultraplan account snapshot) whose vCPU quotas bound the plan")
    quotas: dict[str, Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]] = Field(default_factory=dict, description="Quota code -> vCPUs, overriding the snapshot")
    max_per_zone: dict[str, Annotated[int, Field(ge=0, le=100_000_000)]] = Field(default_factory=dict, description="Zone -> most accelerators online there at once")


class GoalCell(_Model):
    """Where capacity may be placed: one AWS account in the goals' Region (planner/fleet: a cell)."""

    name: str = Field(pattern=DNS_NAME)
    account: str = Field(pattern=r"^\d{12}$", description="12-digit account id (quoted)")
    region: str = Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$")
    zones: list[str] = Field(min_length=1, description="Zones pools may go in")
    region_zone: str | None = Field(None, description="Region zone for services a Local Zone lacks (NAT)")
    account_snapshot: str | None = Field(None, description="Account snapshot: the cell's quotas")
    quotas: dict[str, Annotated[int, Field(ge=0, le=10**12)]] = Field(default_factory=dict,
                                                                     description="Quota overrides by name or L-code")
    assume_role_arn: str | None = Field(None, description="Role the cell's stacks assume")


class Goals(_Model):
    name: str = Field(pattern=DNS_NAME)
    region: str = Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$")
    term: Term
    budget: GoalBudget = Field(default_factory=GoalBudget)
    targets: list[Target] = Field(min_length=1)
    options: list[Option] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)
    rates: str | RateCard | None = None
    objective: Literal["min-cost", "max-gpu-hours"] = "min-cost"
    vpc_cidr: str = Field("10.0.0.0/16", description="CIDR of the produced spec's VPC")
    cells: list[GoalCell] = Field(default_factory=list, description="Cells (accounts) capacity may be placed in: "
                                                                     "solve then writes a fleet (docs/fleet.md)")


@dataclass(frozen=True)
class GoalsDocument:
    goals: Goals
    file: str | None
    lines: dict[Path, int]
    rate_card: RateCard | None
    quotas: dict[str, float]  # quota code -> vCPUs (snapshot, then overrides)
    quota_names: dict[str, str]
    cell_limits: dict[str, dict[str, Any]] = field(default_factory=dict)  # cell -> quota id -> QuotaValue

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, tuple(path))


def load_goals(path: str, catalog: Catalog | None = None) -> GoalsDocument:
    try:
        text = read_text(path, MAX_GOALS_BYTES, "goals file")
    except InputFileError as exc:
        raise SpecError([SpecIssue(exc.field, exc.problem, None, path, exc.hint)]) from None
    except OSError as exc:
        raise SpecError([SpecIssue("", f"cannot read the goals file: {exc.strerror or exc}", None, path)]) from None
    return parse_goals(text, path, catalog)


def parse_goals(text: str, file: str | None = None, catalog: Catalog | None = None) -> GoalsDocument:
    data, lines = load(text, file)
    if not isinstance(data, dict):
        raise SpecError([SpecIssue("", "a goals file is a mapping (name, region, term, targets, options, ...)",
                                   1, file, "see docs/solve.md")])
    try:
        goals = Goals.model_validate(data)
    except ValidationError as exc:
        issues = model_issues(exc, Goals, lines, file)
        for issue in issues:  # `from` is the YAML key; pydantic reports its alias-less name
            object.__setattr__(issue, "path", issue.path.replace("from_", "from"))
        raise SpecError(issues) from None
    catalog = catalog or load_catalog()
    base = os.path.dirname(os.path.abspath(file)) if file else None
    issues = list(_meaning(goals, catalog, lines, file))
    card = None
    if goals.rates is not None:
        try:
            card = goals.rates if isinstance(goals.rates, RateCard) else load_rate_card(
                goals.rates, base, field="rates", file=file, line=line_of(lines, ("rates",)))
        except SpecError as exc:
            issues.extend(exc.issues)
    quotas, names = dict(), dict()
    if goals.limits.account:
        try:
            quotas, names = _snapshot_quotas(goals.limits.account, base)
        except (OSError, ValueError) as exc:
            issues.append(SpecIssue("limits.account", f"cannot read the account snapshot: {exc}",
                                    line_of(lines, ("limits", "account")), file,
                                    "write one with `ultraplan account snapshot --region R --out F`"))
    quotas.update(goals.limits.quotas)
    cell_limits = {}
    for i, cell in enumerate(goals.cells):
        try:
            cell_limits[cell.name] = _cell_limits(cell, base)
        except Exception as exc:  # noqa: BLE001 - an unreadable snapshot is an input error, named
            issues.append(SpecIssue(f"cells[{i}].account_snapshot", f"cannot read the account snapshot: {exc}",
                                    line_of(lines, ("cells", i, "account_snapshot")), file,
                                    "write one with `ultraplan account snapshot --region R --out F`"))
    if issues:
        raise SpecError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return GoalsDocument(goals, file, lines, card, quotas, names, cell_limits)


def _cell_limits(cell: GoalCell, base: str | None) -> dict[str, Any]:
    """Each quota the fleet checks, as the cell has it (stated, snapshot, default or unknown)."""
    from ..fleet.quotas import entries, resolve

    snapshot = None
    if cell.account_snapshot:
        from ..preflight.snapshot import load_snapshot

        path = cell.account_snapshot
        snapshot = load_snapshot(path if os.path.isabs(path) or not base else os.path.join(base, path))
    return {key: resolve(entry, dict(cell.quotas), snapshot) for key, entry in entries().items()}


def _snapshot_quotas(ref: str, base: str | None) -> tuple[dict[str, float], dict[str, str]]:
    import json

    path = ref if os.path.isabs(ref) or not base else os.path.join(base, ref)
    data = json.loads(read_text(path, MAX_SNAPSHOT_BYTES, "account snapshot"))
    items = ((data.get("service_quotas") or {}).get("items") or {}) if isinstance(data, dict) else {}
    if not isinstance(items, dict):
        raise ValueError("service_quotas.items is not a mapping")
    quotas = {str(v["code"]): float(v["value"]) for v in items.values() if isinstance(v, dict) and v.get("value") is not None}
    names = {str(v["code"]): str(v.get("name", "")) for v in items.values() if isinstance(v, dict)}
    return quotas, names


def _meaning(goals: Goals, catalog: Catalog, lines: dict[Path, int], file: str | None):
    def issue(path: tuple[Any, ...], message: str, hint: str | None = None) -> SpecIssue:
        return SpecIssue(dotted(path), message, line_of(lines, path), file, hint)

    term_end = _add_months(goals.term.start, goals.term.months)
    try:
        net = ipaddress.ip_network(goals.vpc_cidr, strict=True)
        if net.version != 4 or not 16 <= net.prefixlen <= 28:
            raise ValueError("a VPC's CIDR is IPv4, /16 to /28")
    except ValueError as exc:
        yield issue(("vpc_cidr",), f"{goals.vpc_cidr!r} is not a VPC CIDR ({exc})", "e.g. vpc_cidr: 10.0.0.0/16")
    if goals.objective == "max-gpu-hours" and goals.budget.total_usd is None and goals.budget.monthly_usd is None:
        yield issue(("objective",), "max-gpu-hours needs a budget to stay within",
                    "add budget.total_usd or budget.monthly_usd, or use objective: min-cost")
    for i, t in enumerate(goals.targets):
        if not goals.term.start <= t.date < term_end:
            yield issue(("targets", i, "date"), f"{t.date} is outside the term ({goals.term.start} → {term_end})",
                        "move the date into the term or lengthen term.months")
    cells = {c.name: c for c in goals.cells}
    yield from _cell_meaning(goals, cells, issue)
    for i, o in enumerate(goals.options):
        p = ("options", i)
        if not o.zones and not goals.cells:
            yield issue(p + ("zones",), "an option needs zones (or the goals need cells)", "e.g. zones: [us-east-1a]")
        for j, name in enumerate(o.cells):
            if name not in cells:
                close = difflib.get_close_matches(name, list(cells), n=1)
                yield issue(p + ("cells", j), f"no cell named '{name}'",
                            f"did you mean '{close[0]}'?" if close else f"cells: {', '.join(cells) or 'none defined'}")
        if cells:
            allowed = {z for n in (o.cells or cells) if n in cells for z in cells[n].zones}
            for j, zone in enumerate(o.zones):
                if zone not in allowed:
                    yield issue(p + ("zones", j), f"zone {zone} is in none of the option's cells",
                                f"add it to a cell's zones, or use one of: {', '.join(sorted(allowed))}")
        if o.ultraserver:
            ultra = catalog.ultraservers.get(o.ultraserver)
            if ultra is None:
                close = difflib.get_close_matches(o.ultraserver, list(catalog.ultraservers), n=1)
                yield issue(p + ("ultraserver",), f"unknown UltraServer type {o.ultraserver!r}",
                            f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(catalog.ultraservers))}")
                continue
            for j, buy in enumerate(o.purchase):
                if buy not in ultra.capacity_types:
                    yield issue(p + ("purchase", j), f"{ultra.name} is not sold as {buy}",
                                f"use one of: {', '.join(ultra.capacity_types)}")
            for j, zone in enumerate(o.zones):
                if ultra.zones and zone not in ultra.zones:
                    yield issue(p + ("zones", j), f"{ultra.name} is sold only in {', '.join(ultra.zones)}",
                                f"use zones: [{ultra.zones[0]}]")
        elif o.instance_type not in catalog.instance_types:
            close = difflib.get_close_matches(str(o.instance_type), list(catalog.instance_types), n=1)
            yield issue(p + ("instance_type",), f"unknown instance type {o.instance_type!r}",
                        f"did you mean '{close[0]}'?" if close else None)
        for j, zone in enumerate(o.zones):
            if not zone.startswith(goals.region) or len(zone) <= len(goals.region):
                yield issue(p + ("zones", j), f"zone {zone!r} is not in region {goals.region}",
                            f"a zone name starting with '{goals.region}', e.g. {goals.region}a")
        if len(set(o.purchase)) != len(o.purchase):
            yield issue(p + ("purchase",), "a purchase option is listed twice")
        if o.from_ and o.until and o.until <= o.from_:
            yield issue(p + ("until",), f"until {o.until} is not after from {o.from_}")
        # A Savings Plan longer than the term is an allowed option that does not fit: the solver leaves
        # it out and says so ("Not considered"), it is not an error in the goals.


def _cell_meaning(goals: Goals, cells: dict[str, GoalCell], issue):
    from ..fleet.quotas import known_quota_names, quota_key

    names = [c.name for c in goals.cells]
    for i, c in enumerate(goals.cells):
        if c.name in names[:i]:
            yield issue(("cells", i, "name"), f"cell name '{c.name}' is used twice", "give every cell its own name")
        if c.region != goals.region:
            # Offers are priced in the goals' Region; a cell elsewhere would be priced wrongly.
            yield issue(("cells", i, "region"), f"cell {c.name} is in {c.region}, the goals in {goals.region}",
                        "solve places cells in the goals' Region (accounts differ); solve each Region on its own")
        for key in c.quotas:
            if quota_key(key) is None:
                close = difflib.get_close_matches(key, known_quota_names(), n=1)
                yield issue(("cells", i, "quotas", key), f"unknown quota '{key}'",
                            f"did you mean '{close[0]}'?" if close else "a limit name (auto-scaling-groups) or an L-code")
    fabrics: dict[str, set[str]] = {}
    for i, o in enumerate(goals.options):
        if o.fabric:
            fabrics.setdefault(o.fabric, set()).update(o.cells or cells)
            if not cells:
                yield issue(("options", i, "fabric"), "a fabric places options in one cell: the goals need cells",
                            "add cells:, or drop fabric")


def _add_months(day: dt.date, months: int) -> dt.date:
    from ..cost.timeline import add_months

    return add_months(day, months)


__all__ = ["Goals", "GoalsDocument", "Option", "Target", "load_goals", "parse_goals", "SAVINGS_PLANS", "DNS_NAME_HINT"]
