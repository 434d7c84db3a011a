"""What may be bought, priced per unit and period exactly as `ultraplan cost` will price it.

An offer is one (option, purchase, zone): a unit is one UltraServer or one instance. Its cost per
period is the group price the cost module picks (`group_quote`: the UltraServer rate, else the
member's), re-priced by the rate card entry in force on each day (cut where an entry starts or
ends), plus the unit's gp3 root volumes, times the period's real hours (days × 24). A Savings Plan
offer is bought at the start of a period and paid for 12 or 36 periods. An offer with no price
(no list price and no negotiated $/hour) is left out and the explanation says why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from ..catalog import Catalog
from ..catalog.prices import PriceBook, price
from ..catalog.quotas import bucket_for, load_quotas
from ..compile.interfaces import ips_per_instance, layout
from ..cost.lines import LINE_UNITS, group_quote
from ..cost.rates import boundaries, in_force, unit_price
from ..cost.timeline import add_months
from .goals import SAVINGS_PLANS, GoalsDocument

ABBR = {"on-demand": "od", "capacity-reservation": "cr", "capacity-block": "cb", "spot": "spot",
        "savings-plan-1y": "sp1", "savings-plan-3y": "sp3", "instance-savings-plan-1y": "isp1",
        "instance-savings-plan-3y": "isp3"}


@dataclass
class Periods:
    """Calendar months from the term start (the cost timeline's months)."""

    start: date
    months: int
    bounds: list[date] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bounds = [add_months(self.start, i) for i in range(self.months + 1)]

    @property
    def end(self) -> date:
        return self.bounds[-1]

    def hours(self, t: int) -> float:
        return (self.bounds[t + 1] - self.bounds[t]).days * 24.0

    def of(self, day: date) -> int:
        """The period containing `day` (clamped to the term)."""
        for t in range(self.months):
            if day < self.bounds[t + 1]:
                return t
        return self.months - 1


@dataclass
class Offer:
    id: int
    option: int
    item: str
    member: str
    ultra: str | None
    purchase: str
    zone: str
    instances_per_unit: int
    gpus_per_unit: int
    vcpus_per_unit: int
    family: str
    nvlink_domain: int
    quota_code: str | None
    quota_title: str
    first: int  # first period it may be online
    last: int  # first period it may no longer be online
    period_cost: list[float | None]  # one unit online for the whole period; None = no price then
    basis: str  # "list", "negotiated" or "list + negotiated"
    sources: tuple[str, ...]
    sp_years: int | None = None
    ami: str | None = None
    root_volume_gib: int = 200
    ips_per_unit: int = 1
    cell: str | None = None  # with goals cells: the cell (account) the offer is in
    interfaces_per_unit: int = 1
    fabric: str | None = None

    @property
    def label(self) -> str:
        return f"{self.item} {self.purchase} {self.zone}" + (f" in cell {self.cell}" if self.cell else "")

    @property
    def is_savings_plan(self) -> bool:
        return self.sp_years is not None

    @property
    def sp_periods(self) -> int:
        return 12 * (self.sp_years or 0)

    def sp_starts(self, periods: Periods) -> list[int]:
        """Periods a plan may start in: all of its term inside the offer's window and the goals' term."""
        if not self.is_savings_plan:
            return []
        return [s for s in range(self.first, self.last - self.sp_periods + 1)
                if all(self.period_cost[t] is not None for t in range(s, s + self.sp_periods))]

    def sp_cost(self, s: int) -> float:
        return sum(self.period_cost[t] or 0.0 for t in range(s, s + self.sp_periods))

    def short(self) -> str:
        base = self.item.split(".")[0]
        return base[len("u-p6e-"):] if base.startswith("u-p6e-") else base.removeprefix("u-")


@dataclass
class Dropped:
    label: str
    reason: str


def pool_record(member: str, ultra: str | None, family: str, per_ultra: int | None, cap_type: str) -> dict:
    """The fields of a Plan pool record the rate card matches on."""
    return {"name": "", "instance_type": member, "ultraserver_type": ultra, "family": family,
            "instances_per_ultraserver": per_ultra, "capacity": {"type": cap_type}}


def build_offers(doc: GoalsDocument, catalog: Catalog, prices: PriceBook, periods: Periods) -> tuple[list[Offer], list[Dropped]]:
    goals, card = doc.goals, doc.rate_card
    quotas = load_quotas()
    ebs = price(prices, "ebs-gp3", goals.region, "on-demand")
    offers: list[Offer] = []
    dropped: list[Dropped] = []
    for i, opt in enumerate(goals.options):
        ultra = catalog.ultraservers.get(opt.ultraserver) if opt.ultraserver else None
        member = catalog.instance_types[ultra.member if ultra else str(opt.instance_type)]
        per_unit = ultra.instances if ultra else 1
        first = periods.of(opt.from_) + (1 if opt.from_ and opt.from_ > periods.bounds[periods.of(opt.from_)] else 0) \
            if opt.from_ else 0
        last = periods.months
        if opt.until:
            last = min(last, max((t for t in range(periods.months + 1) if periods.bounds[t] <= opt.until), default=0))
        for purchase in opt.purchase:
            sp_years = (3 if purchase.endswith("3y") else 1) if purchase in SAVINGS_PLANS else None
            if sp_years and 12 * sp_years > goals.term.months:
                # Its commitment would run past the term and be paid for unused: left out, said so.
                dropped.append(Dropped(f"{opt.item} {purchase}", f"a {sp_years}-year commitment does not fit the "
                                       f"{goals.term.months}-month term (lengthen term.months to at least "
                                       f"{12 * sp_years} to consider it)"))
                continue
            cap_type = "on-demand" if sp_years else purchase
            quota_market = "capacity-block" if purchase == "capacity-block" else "on-demand"
            bucket = bucket_for(quotas, member.name, quota_market)
            q, instances_per_item, _, _ = group_quote(prices, goals.region, cap_type, member.name,
                                                ultra.name if ultra else None, ultra.instances if ultra else None)
            line_unit = LINE_UNITS.get(q.unit or "", q.unit or "instance-hour")
            line_units_per_unit = per_unit / instances_per_item
            record = pool_record(member.name, ultra.name if ultra else None, member.family,
                                 ultra.instances if ultra else None, cap_type)
            card_purchase = purchase if sp_years else cap_type
            root_hourly = (opt.root_volume_gib * per_unit * (ebs.usd_per_hour or 0.0)) if ebs.priced else 0.0
            costs: list[float | None] = []
            bases, sources, why = set(), set(), None
            for t in range(periods.months):
                if not first <= t < last:
                    costs.append(None)
                    continue
                a, b = periods.bounds[t], periods.bounds[t + 1]
                cuts = [a, *boundaries(card, record, card_purchase, a, b), b]
                total = 0.0
                for c, d in zip(cuts, cuts[1:]):
                    hourly, why_not = _unit_hourly(in_force(card, record, card_purchase, c), record, q, line_unit,
                                                   line_units_per_unit, per_unit, purchase, sp_years)
                    if hourly is None:
                        why, total = why_not, None
                        break
                    rate = in_force(card, record, card_purchase, c)
                    bases.add("negotiated" if rate else "list")
                    sources.add(f"rate card {card.name}: {rate.describe()}" if rate and card else (q.source or ""))
                    total += (d - c).days * 24.0 * (hourly + root_hourly)
                costs.append(total)
            if all(c is None for c in costs):
                dropped.append(Dropped(f"{opt.item} {purchase}", why or "not available in the term"))
                continue
            for cell, zone in _places(goals, opt, ultra):
                offers.append(Offer(
                    id=len(offers), option=i, item=opt.item, member=member.name, ultra=ultra.name if ultra else None,
                    purchase=purchase, zone=zone, instances_per_unit=per_unit,
                    gpus_per_unit=member.accelerators * per_unit, vcpus_per_unit=member.vcpus * per_unit,
                    family=member.family,
                    nvlink_domain=ultra.accelerators_per_domain if ultra else member.accelerators,
                    quota_code=bucket.code if bucket else None, quota_title=bucket.title if bucket else "",
                    first=first, last=last, period_cost=list(costs),
                    basis=" + ".join(sorted(bases)) or "list", sources=tuple(sorted(s for s in sources if s)),
                    sp_years=sp_years, ami=opt.ami, root_volume_gib=opt.root_volume_gib,
                    ips_per_unit=per_unit * ips_per_instance(layout(member, member.efa_supported)),
                    cell=cell, interfaces_per_unit=per_unit * len(layout(member, member.efa_supported)),
                    fabric=opt.fabric))
    return offers, dropped


def _places(goals, opt, ultra) -> list[tuple[str | None, str]]:
    """(cell, zone) an option may be bought in: its zones, or with cells, each of its cells' zones
    (the option's zones among them, else those that sell it: an UltraServer's zones; a Region zone
    for an instance type, since a Local Zone sells few)."""
    if not goals.cells:
        return [(None, z) for z in opt.zones]
    from ..catalog import is_local_zone

    out = []
    for cell in goals.cells:
        if opt.cells and cell.name not in opt.cells:
            continue
        for zone in cell.zones:
            if opt.zones:
                ok = zone in opt.zones
            elif ultra is not None:
                ok = not ultra.zones or zone in ultra.zones
            else:
                ok = not is_local_zone(zone) and zone.startswith(goals.region)
            if ok:
                out.append((cell.name, zone))
    return out


def _unit_hourly(rate, record: dict, q, line_unit: str, line_units_per_unit: float, per_unit: int,
                 purchase: str, sp_years: int | None) -> tuple[float | None, str | None]:
    """What one unit (UltraServer or instance) costs per hour, without its root volumes, as the cost
    module prices it: list price, or the rate card entry's (discount off list, or a $/hour)."""
    list_price = q.usd_per_hour if q.priced else None
    if rate is None:
        if sp_years:
            return None, f"no {purchase} rate in the rate card (AWS publishes Savings Plan discounts only as 'up to' ranges)"
        if list_price is None:
            return None, q.reason or "no price"
        return list_price * line_units_per_unit, None
    if list_price is not None:
        return float(unit_price(rate, record, line_unit, list_price)) * line_units_per_unit, None
    if rate.usd_per_hour is None:
        return None, f"a discount needs a list price and there is none ({q.reason})"
    unit = "UltraServer-hour" if rate.selector[0] == "ultraserver" else "instance-hour"
    per_line_unit = float(unit_price(rate, record, unit, None))
    return per_line_unit * (1.0 if unit == "UltraServer-hour" else float(per_unit)), None


def upper_bound(offer: Offer, gpus_needed: int, budget: float | None) -> int:
    """A bound on units the solver may buy: enough for the largest target, or what the budget pays."""
    bound = math.ceil(gpus_needed / max(1, offer.gpus_per_unit)) if gpus_needed else 0
    if budget:
        cheapest = min((c for c in offer.period_cost if c), default=None)
        if cheapest:
            bound = max(bound, int(budget // cheapest))
    return max(bound, 0)
