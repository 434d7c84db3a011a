"""The fleet file: cells (one AWS account in one Region, with its zones) and the cluster spec each
holds, with a fleet-wide term, budget, rate card, rollout limits, fabrics and stated quota increases.

The models check shape; `planner.fleet.load` checks meaning (specs load, regions and zones agree,
names are unique, fabrics and increases name real cells and pools) and reports every problem with
its field path and YAML line, like spec errors.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..spec.ratecard import RateCard
from ..spec.model import DNS_NAME

ACCOUNT_ID = r"^\d{12}$"
ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@/_-]+$"
REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _lower(value: Any) -> Any:
    return [v.strip().lower() if isinstance(v, str) else v for v in value] if isinstance(value, list) else value


class Cell(_Model):
    """One AWS account in one Region: its own Plan, stacks, provider and quotas."""

    name: str = Field(pattern=DNS_NAME, description="Cell name, DNS-safe (prefixes its stacks)")
    account: str = Field(pattern=ACCOUNT_ID, description="12-digit AWS account id (quote it in YAML)")
    region: str = Field(pattern=REGION, description="AWS Region of the cell")
    zones: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        min_length=1, description="Zones (names or IDs) the cell's pools may use; the first is the spec's default")
    region_zone: str | None = Field(
        None, max_length=64, description="An Availability Zone of the Region for services a Local Zone lacks (NAT, FSx)")
    account_snapshot: str | None = Field(
        None, description="Account snapshot (`ultraplan account snapshot`, relative to the fleet file): quotas and counts")
    quotas: dict[str, Annotated[int, Field(ge=0, le=10**12)]] = Field(
        default_factory=dict, description="Quota overrides by limit name (auto-scaling-groups) or quota code (L-CDE20ADC)")
    assume_role_arn: str | None = Field(
        None, pattern=ROLE_ARN, description="IAM role the cell's Pulumi provider assumes (in the cell's account)")
    spec: str | dict[str, Any] = Field(description="The cell's cluster spec: a path (relative to the fleet file) or inline")
    pins: dict[str, Annotated[int, Field(ge=1, le=10**9)]] = Field(
        default_factory=dict,
        description="Launch template versions pinned per auto-scaling group or pool name (rollout moves them wave by wave)")

    _zones = field_validator("zones", mode="before")(_lower)


class Term(_Model):
    start: dt.date = Field(description="First day of the fleet's term")
    months: int = Field(ge=1, le=240, description="Length of the term in months")


class FleetBudget(_Model):
    total_usd: float | None = Field(None, gt=0, le=1e15, allow_inf_nan=False, description="The fleet's commitment over the term")
    monthly_usd: float | None = Field(None, gt=0, le=1e15, allow_inf_nan=False, description="Most the fleet may cost a month")


class Rollout(_Model):
    """How much one wave of a rollout may change or terminate."""

    max_gpus: int = Field(ge=1, le=10**9, description="Most accelerators changed or terminated in one wave")
    max_domains: int = Field(ge=1, le=10**9, description="Most NVLink domains (UltraServers) changed or terminated in one wave")
    canary: str | None = Field(None, pattern=DNS_NAME, description="The cell whose first group goes first, alone; default the first cell")


class QuotaIncrease(_Model):
    """A quota increase already asked for: reported as a dependency instead of an error."""

    cell: str = Field(pattern=DNS_NAME)
    quota: str = Field(min_length=1, description="Limit name (auto-scaling-groups) or quota code (L-CDE20ADC)")
    value: int = Field(ge=1, le=10**12, description="The value requested")
    reference: str | None = Field(None, max_length=200, description="Support case or request id")


class Fabric(_Model):
    """Pools that must share one EFA network: kept in one cell and one zone (EFA stays in its zone and VPC)."""

    name: str = Field(pattern=DNS_NAME)
    pools: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+/[a-z0-9-]+$")]] = Field(
        min_length=1, description="cell/pool names")


class FleetFile(_Model):
    """A fleet: cells, each a cluster spec in one account and Region."""

    fleet: str = Field(pattern=DNS_NAME, description="Fleet name, DNS-safe")
    term: Term | None = Field(None, description="The fleet's term; every cell is priced over it")
    budget: FleetBudget | None = Field(None, description="Budget of the whole fleet (the sum of its cells)")
    rates: str | RateCard | None = Field(None, description="Rate card for every cell without its own (path or inline)")
    rollout: Rollout | None = Field(None, description="Blast radius of one rollout wave")
    quota_increases: list[QuotaIncrease] = Field(default_factory=list, description="Increases requested, by cell")
    fabrics: list[Fabric] = Field(default_factory=list, description="Pools that must share one EFA fabric")
    cells: list[Cell] = Field(min_length=1, description="The cells, at least one")
