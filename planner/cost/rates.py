"""Negotiated prices and savings plans applied to priced lines.

After the Plan is priced at list prices, each auto-scaling group line is cut where a savings plan or
a rate-card entry starts or ends, and every piece is priced by the most specific entry in force
(instance type or UltraServer > family > generation; an entry naming the purchase option beats one
that does not; then the first in the file). A piece no entry covers keeps its list price. Every line
says `price_basis: list` or `negotiated`, with the card's name and source.

A Savings Plan covering a pool is billed over its whole term (1 or 3 years from its start), used or
not: the line runs for the plan's term even where the pool stops earlier, and the pool's hours
outside the plan are billed at their own purchase option. AWS publishes Savings Plan discounts only as
ranges ("up to 66 %"), so a plan is priced from a rate card entry; without one it is unpriced.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any, Iterable


from planner import tokens as T

from ..errors import SpecError, SpecIssue
from ..catalog import savings_plan_facts
from ..findings import Source
from ..records import pool_of
from ..spec.ratecard import Rate, RateCard, SavingsPlanUse
from .model import Line, Unpriced, Window
from .timeline import add_months

GROUP = T.AUTOSCALING_GROUP
SPECIFICITY = {"instance_type": 3, "ultraserver": 3, "family": 2, "generation": 1}


def generation(family: str) -> str:
    """`p5en` -> `p5`, `p6e-gb200` -> `p6`, `trn2u` -> `trn2`: leading letters and digits."""
    m = re.match(r"[a-z]+\d+", family or "")
    return m.group(0) if m else family


def matches(rate: Rate, pool: dict[str, Any], purchase: str) -> bool:
    if rate.purchase is not None and rate.purchase != purchase:
        return False
    kind, value = rate.selector
    if kind == "instance_type":
        return pool.get("instance_type") == value
    if kind == "ultraserver":
        return pool.get("ultraserver_type") == value
    if kind == "family":
        return pool.get("family") == value
    return generation(str(pool.get("family") or "")) == value


def in_force(card: RateCard | None, pool: dict[str, Any], purchase: str, day: date) -> Rate | None:
    """The entry that prices `pool` bought as `purchase` on `day`, or None (list price)."""
    if card is None:
        return None
    best, best_key = None, None
    for i, rate in enumerate(card.rates):
        if not matches(rate, pool, purchase):
            continue
        if (rate.start and day < rate.start) or (rate.end and day >= rate.end):
            continue
        key = (SPECIFICITY[rate.selector[0]], rate.purchase is not None, -i)
        if best_key is None or key > best_key:
            best, best_key = rate, key
    return best


def boundaries(card: RateCard | None, pool: dict[str, Any], purchase: str, start: date, end: date) -> list[date]:
    """The days in (start, end) where the entry in force for this pool may change."""
    days = set()
    for rate in (card.rates if card else ()):
        if matches(rate, pool, purchase):
            days.update(d for d in (rate.start, rate.end) if d and start < d < end)
    return sorted(days)


def unit_price(rate: Rate, pool: dict[str, Any], line_unit: str, list_price: float | None) -> float | None:
    """The negotiated price per `line_unit` (instance-hour or UltraServer-hour); None if it needs a
    list price there is none of."""
    if rate.discount_pct is not None:
        return None if list_price is None else list_price * (1 - rate.discount_pct / 100.0)
    per = float(pool.get("instances_per_ultraserver") or 1)
    usd = float(rate.usd_per_hour or 0.0)
    kind = rate.selector[0]
    if line_unit == "UltraServer-hour" and kind == "instance_type":
        return usd * per
    if line_unit == "instance-hour" and kind == "ultraserver":
        return usd / per
    return usd


def sp_window(sp: SavingsPlanUse) -> tuple[date, date]:
    return sp.start, add_months(sp.start, 12 * sp.years)


def check_savings_plans(plans: list[SavingsPlanUse], pools: dict[str, dict[str, Any]], budget_src: Source) -> None:
    """Each plan names on-demand pools of the Plan; no pool is covered twice at the same time."""
    issues = []
    covered: dict[str, list[tuple[date, date, int]]] = {}
    for i, sp in enumerate(plans):
        for j, name in enumerate(sp.pools):
            path = f"budget.savings_plans[{i}].pools[{j}]"
            pool = pools.get(name)
            if pool is None:
                import difflib

                close = difflib.get_close_matches(name, list(pools), n=1)
                issues.append(SpecIssue(path, f"no pool named {name!r}", budget_src.line, budget_src.file,
                                        f"did you mean '{close[0]}'?" if close else f"pools: {', '.join(pools)}",
                                        rule="spec.budget.savings-plans"))
                continue
            cap = pool_of(pool).capacity.type
            if cap != "on-demand":
                issues.append(SpecIssue(path, f"pool {name} buys {cap}; a Savings Plan pays for on-demand usage only",
                                        budget_src.line, budget_src.file, "set the pool's capacity.type: on-demand",
                                        rule="spec.budget.savings-plans"))
            a, b = sp_window(sp)
            for (c, d, k) in covered.get(name, []):
                if a < d and c < b:
                    issues.append(SpecIssue(path, f"pool {name} is already covered by savings_plans[{k}] from {c} to {d}",
                                            budget_src.line, budget_src.file, "one commitment per pool at a time",
                                            rule="spec.budget.savings-plans"))
            covered.setdefault(name, []).append((a, b, i))
    if issues:
        raise SpecError(issues)


def _subtract(start: date, end: date, cuts: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    pieces = [(start, end)]
    for c, d in sorted(cuts):
        out = []
        for a, b in pieces:
            if d <= a or c >= b:
                out.append((a, b))
                continue
            if a < c:
                out.append((a, c))
            if d < b:
                out.append((d, b))
        pieces = out
    return pieces


class Applier:
    """Re-prices the group lines of one cost estimate with a rate card and savings plans."""

    def __init__(self, card: RateCard | None, plans: list[SavingsPlanUse], pools: dict[str, Any], term) -> None:
        self.card, self.pools, self.term = card, pools, term
        self.plans_by_pool: dict[str, list[SavingsPlanUse]] = {}
        for sp in plans:
            for name in sp.pools:
                self.plans_by_pool.setdefault(name, []).append(sp)
        facts = savings_plan_facts()
        self.sp_max = {k: float(v["max_discount_pct"]) for k, v in facts["plans"].items()}
        self.sp_source = facts["source"]

    def _card_source(self, rate: Rate) -> str:
        assert self.card is not None
        return f"rate card {self.card.name} ({self.card.source}): {rate.describe()}"

    def lines(self, lines: list[Line], unpriced: list[Unpriced]) -> tuple[list[Line], list[Unpriced]]:
        out: list[Line] = []
        extra_unpriced: list[Unpriced] = []
        for line in lines:
            info = self.pools.get(line.pool or "")
            if line.resource_type != GROUP or info is None:
                out.append(line)
                continue
            self._split(line, info.record, out, extra_unpriced)
        kept = []
        for u in unpriced:
            info = self.pools.get(u.pool or "")
            if u.resource_type == GROUP and info is not None and self._price_unpriced(u, info, out):
                continue
            kept.append(u)
        return out, kept + extra_unpriced

    # -- priced lines -------------------------------------------------------------------------------
    def _split(self, line: Line, pool: dict[str, Any], out: list[Line], unpriced: list[Unpriced]) -> None:
        ws, we = line.window.start or self.term.start, line.window.end or self.term.end
        purchase = pool_of(pool).capacity.type
        plans = self.plans_by_pool.get(pool["name"], [])
        for sp in plans:  # the commitment's whole term, whatever the pool's own window
            a, b = sp_window(sp)
            self._segment(line, pool, sp.purchase, a, b, out, unpriced, sp)
        for a, b in _subtract(ws, we, (sp_window(sp) for sp in plans)):
            self._segment(line, pool, purchase, a, b, out, unpriced, None)

    def _segment(self, line: Line, pool: dict[str, Any], purchase: str, start: date, end: date,
                 out: list[Line], unpriced: list[Unpriced], sp: SavingsPlanUse | None) -> None:
        cuts = [start, *boundaries(self.card, pool, purchase, start, end), end]
        for a, b in zip(cuts, cuts[1:]):
            rate = in_force(self.card, pool, purchase, a)
            full = (line.window.start or self.term.start, line.window.end or self.term.end)
            window = line.window if sp is None and (a, b) == full else Window(a, b)
            if rate is None and sp is None:
                out.append(dataclasses.replace(line, window=window))
                continue
            if rate is None:  # a savings plan with no rate in the card: AWS publishes only ranges
                top = self.sp_max["compute" if sp.type == "compute" else "ec2-instance"]
                unpriced.append(Unpriced(
                    line.resource, line.resource_type, line.pool, line.item, purchase, line.quantity, line.unit,
                    f"a {sp.type} Savings Plan's rate depends on the type; AWS publishes only 'up to {top:g} %' "
                    f"({self.sp_source.split(' (')[0]}): give it in the rate card (purchase: {purchase})",
                    line.spec_source, line.generation, line.phase))
                continue
            price = unit_price(rate, pool, line.unit, line.unit_price_usd)
            notes = [n for n in (line.note,) if n]
            if sp is not None:
                notes.append(f"{sp.type} Savings Plan, {sp.years} year(s) from {sp.start}: paid every hour of "
                             "its term, used or not")
                top = self.sp_max["compute" if sp.type == "compute" else "ec2-instance"]
                if rate.discount_pct is not None and rate.discount_pct > top:
                    notes.append(f"{rate.discount_pct:g} % is above the published maximum of {top:g} % "
                                 "(AWS Savings Plans FAQ): check the contract")
            out.append(dataclasses.replace(
                line, window=window, unit_price_usd=float(price), market=purchase if sp else line.market,
                source=self._card_source(rate), price_basis="negotiated", secondary=False,
                list_price=f"list {line.list_price}", note="; ".join(notes) or None))

    # -- items with no list price (GB300): a $/hour entry can price them -----------------------------------
    def _price_unpriced(self, u: Unpriced, info, out: list[Line]) -> bool:
        pool = info.record
        if self.card is None or u.quantity is None:
            return False
        purchase = pool_of(pool).capacity.type
        ws, we = info.window.start or self.term.start, info.window.end or self.term.end
        cuts = [ws, *boundaries(self.card, pool, purchase, ws, we), we]
        pieces = []
        for a, b in zip(cuts, cuts[1:]):
            rate = in_force(self.card, pool, purchase, a)
            if rate is None or rate.usd_per_hour is None:
                return False  # part of the window has no negotiated $/hour: stays unpriced, whole
            pieces.append((a, b, rate))
        per = float(pool.get("instances_per_ultraserver") or 1)
        instances = u.quantity * per if u.item == pool.get("ultraserver_type") else u.quantity
        for a, b, rate in pieces:
            ultra = rate.selector[0] == "ultraserver"
            unit = "UltraServer-hour" if ultra else "instance-hour"
            quantity = instances / per if ultra else instances
            item = pool.get("ultraserver_type") if ultra else pool.get("instance_type")
            window = info.window if (a, b) == (ws, we) else Window(a, b)
            out.append(Line(
                resource=u.resource, resource_type=u.resource_type, pool=u.pool, item=str(item), market=purchase,
                quantity=float(quantity), unit=unit, unit_price_usd=float(unit_price(rate, pool, unit, None)),
                source=self._card_source(rate), as_of=str(rate.start or ""), list_price="no list price",
                window=window, generation=info.generation, phase=info.phase, spec_source=u.spec_source,
                note=f"no public price ({u.reason[:80]}…); negotiated rate only", price_basis="negotiated"))
        return True


def parse_savings_plans(budget: dict[str, Any] | None) -> list[SavingsPlanUse]:
    items = (budget or {}).get("savings_plans") or []
    return [sp if isinstance(sp, SavingsPlanUse) else SavingsPlanUse.model_validate(sp) for sp in items]


__all__ = ["Applier", "check_savings_plans", "generation", "in_force", "parse_savings_plans", "savings_plan_facts",
           "sp_window", "unit_price"]
