"""Rate cards and savings plans as the user writes them: pydantic models plus a loader with lines.

A rate card holds negotiated prices that override the catalog's list prices: a discount per instance
type, UltraServer, family or generation and purchase option, or a $/hour per instance type or
UltraServer, each with an optional effective date range. It is a file (`budget.rates: rates.yaml`,
or `--rates FILE`) or inline in the spec. Savings plans (`budget.savings_plans`) name the pools a
commitment covers; the commitment is paid for its whole 1- or 3-year term, whether used or not.

These are shape checks only; `planner.cost.rates` applies a card to priced lines.
"""
from __future__ import annotations

import datetime as dt
import difflib
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputFileError, SpecError, SpecIssue
from ..inputs import MAX_RATE_CARD_BYTES, read_text
from .yamlload import Path, dotted, line_of, load

#: Purchase options a rate applies to: how a pool's capacity is bought.
PURCHASES = ("on-demand", "spot", "capacity-reservation", "capacity-block",
             "savings-plan-1y", "savings-plan-3y", "instance-savings-plan-1y", "instance-savings-plan-3y")
Purchase = Literal["on-demand", "spot", "capacity-reservation", "capacity-block",
                   "savings-plan-1y", "savings-plan-3y", "instance-savings-plan-1y", "instance-savings-plan-3y"]
SELECTORS = ("instance_type", "ultraserver", "family", "generation")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rate(_Model):
    """One negotiated price: what it applies to (one selector), a discount or a $/hour, and when."""

    instance_type: str | None = Field(None, description="An EC2 instance type, e.g. p5en.48xlarge")
    ultraserver: str | None = Field(None, description="An UltraServer type, e.g. u-p6e-gb200x72")
    family: str | None = Field(None, description="An instance family, e.g. p5en or p6e-gb200 (UltraServers count by their member type)")
    generation: str | None = Field(None, description="A generation: the family's leading letters and digits, e.g. p5 (p5, p5e, p5en) or p6")
    purchase: Purchase | None = Field(None, description="The purchase option it applies to; default: every option")
    discount_pct: float | None = Field(None, gt=0, lt=100, allow_inf_nan=False, description="Percent off the list price")
    usd_per_hour: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False, description="Negotiated price per instance-hour (instance_type) or UltraServer-hour (ultraserver)")
    start: dt.date | None = Field(None, description="First day the price applies (default: always)")
    end: dt.date | None = Field(None, description="First day it no longer applies (exclusive; default: open)")
    note: str | None = Field(None, description="A remark shown with the entry (e.g. the contract clause)")

    @model_validator(mode="after")
    def _one_of_each(self) -> "Rate":
        chosen = [s for s in SELECTORS if getattr(self, s)]
        if len(chosen) != 1:
            raise ValueError(f"give exactly one of {', '.join(SELECTORS)} (got {', '.join(chosen) or 'none'})")
        if (self.discount_pct is None) == (self.usd_per_hour is None):
            raise ValueError("give exactly one of discount_pct and usd_per_hour")
        if self.usd_per_hour is not None and chosen[0] not in ("instance_type", "ultraserver"):
            raise ValueError("usd_per_hour needs instance_type or ultraserver (a family has no single price)")
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    @property
    def selector(self) -> tuple[str, str]:
        name = next(s for s in SELECTORS if getattr(self, s))
        return name, str(getattr(self, name))

    def describe(self) -> str:
        kind, value = self.selector
        price = f"{self.discount_pct:g} % off list" if self.discount_pct is not None else f"{self.usd_per_hour:g} USD/h"
        when = ""
        if self.start or self.end:
            when = f", {self.start or '…'} → {self.end or '…'}"
        return f"{kind} {value} {self.purchase or 'any purchase'}: {price}{when}"


class RateCard(_Model):
    """Negotiated prices (a private pricing addendum, an enterprise discount) that override list prices."""

    name: str = Field(description="A name the cost report shows beside each negotiated line")
    source: str = Field(min_length=3, description="Where the prices come from (contract, addendum, date)")
    currency: Literal["USD"] = Field("USD", description="Currency of usd_per_hour (USD only, like the catalog)")
    rates: list[Rate] = Field(min_length=1, description="The negotiated prices; the most specific entry in force on a day wins")


class SavingsPlanUse(_Model):
    """A Savings Plan commitment covering pools: paid for `years` from `start`, used or not."""

    type: Literal["compute", "ec2-instance"] = Field(description="Compute Savings Plan or EC2 Instance Savings Plan")
    years: Literal[1, 3] = Field(description="Term of the commitment: 1 or 3 years, paid every hour, used or not")
    start: dt.date = Field(description="First day of the commitment")
    pools: list[str] = Field(min_length=1, description="The on-demand pools this commitment pays for")

    @property
    def purchase(self) -> str:
        prefix = "savings-plan" if self.type == "compute" else "instance-savings-plan"
        return f"{prefix}-{self.years}y"


def model_issues(exc: ValidationError, model: type[BaseModel], lines: dict[Path, int], file: str | None,
                 prefix: Path = ()) -> list[SpecIssue]:
    """Pydantic errors as SpecIssues: field path, YAML line, what is wrong and what would be right."""
    from .fields import submodel

    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path, line = dotted(prefix + loc), line_of(lines, loc)
        kind, hint = err["type"], None
        if kind == "extra_forbidden":
            owner = submodel(model, loc[:-1]) if len(loc) > 1 else model
            valid = [f.alias or n for n, f in owner.model_fields.items()] if owner else []
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
            message = f"unknown key '{loc[-1]}'"
            hint = f"did you mean '{close[0]}'?" if close else (f"valid keys: {', '.join(valid)}" if valid else None)
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "literal_error":
            message = f"{err['input']!r} is not allowed"
            hint = f"expected {err['ctx']['expected']}"
        elif kind == "value_error":
            message = str(err["ctx"].get("error", err["msg"])) if err.get("ctx") else err["msg"]
        else:
            message = err["msg"] + (f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], (dict, list)) else "")
        issues.append(SpecIssue(path, message, line, file, hint))
    return issues


def parse_rate_card(data: Any, file: str | None = None, lines: dict[Path, int] | None = None,
                    prefix: Path = ()) -> RateCard:
    if not isinstance(data, dict):
        raise SpecError([SpecIssue(dotted(prefix) or "<root>", "a rate card is a mapping with name, source and rates",
                                   line_of(lines or {}, ()), file, "see docs/solve.md, 'Rate cards'")])
    try:
        return RateCard.model_validate(data)
    except ValidationError as exc:
        raise SpecError(model_issues(exc, RateCard, lines or {}, file, prefix)) from None


def load_rate_card(ref: str | dict[str, Any], base_dir: str | None = None, *, field: str = "rates",
                   file: str | None = None, line: int | None = None) -> RateCard:
    """A rate card from a file path (relative to `base_dir`) or an inline mapping; SpecError if bad.
    `field`, `file` and `line` say where the reference was written, for an unreadable path."""
    if isinstance(ref, dict):
        return parse_rate_card(ref, file, {}, tuple(field.split(".")))
    path = ref if os.path.isabs(ref) or not base_dir else os.path.join(base_dir, ref)
    try:
        text = read_text(path, MAX_RATE_CARD_BYTES, "rate card")
    except InputFileError as exc:
        raise SpecError([SpecIssue(field, f"the rate card {path}: {exc.problem}", line, file or path,
                                   exc.hint or "give a path relative to the spec or goals file")]) from None
    except OSError as exc:
        raise SpecError([SpecIssue(field, f"cannot read the rate card {path}: {exc.strerror or exc}", line,
                                   file or path, "give a path relative to the spec or goals file")]) from None
    data, lines = load(text, path)
    return parse_rate_card(data, path, lines)
