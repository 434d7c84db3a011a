"""The cluster spec: pydantic models of the YAML a platform engineer writes.

The models check shape and types; `planner.spec.load` checks meaning against the catalog (types
exist, EFA, capacity rules, zones, CIDRs). `load_spec` does both and raises one SpecError that lists
every problem with its field path and YAML line.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, Strict, StringConstraints, WithJsonSchema,
                      field_validator, model_serializer, model_validator)

from ..catalog import fsx
from .ratecard import RateCard, SavingsPlanUse

from .tags import check_tags

DNS_NAME = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"
DNS_NAME_HINT = "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 40 characters"

RESERVATION_ID = r"^cr-[0-9a-f]{8,17}$"

# Upper bounds of numeric fields (README, "Input files and limits"). They are planning bounds, far beyond
# any real cluster, not AWS limits: they keep arithmetic finite (1e306 TiB overflowed to infinity).
MAX_POOL_COUNT = 100_000
MAX_LUSTRE_TIB = 1_048_576  # 1 EiB
MAX_USD = 1e13
CapacityType = Literal["on-demand", "spot", "capacity-reservation", "capacity-block"]
LustreDeployment = Literal["PERSISTENT_1", "PERSISTENT_2", "SCRATCH_1", "SCRATCH_2"]


# The words PyYAML (YAML 1.1) reads as booleans. An editor's YAML 1.2 parser reads them as text, so
# the CLI accepts them as text too and the schema lists them: `efa: yes` means the same everywhere.
# Anything else (1, "y", "maybe") is refused on both sides rather than guessed.
YAML11_BOOLS = {w: v for v, words in ((True, ("yes", "true", "on")), (False, ("no", "false", "off")))
                for word in words for w in (word, word.capitalize(), word.upper())}


def _yaml_bool(value: Any) -> Any:
    return YAML11_BOOLS.get(value, value) if isinstance(value, str) else value


YamlBool = Annotated[bool, Strict(), BeforeValidator(_yaml_bool), WithJsonSchema(
    {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": sorted(YAML11_BOOLS)}]})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(value: Any) -> Any:
    # AWS zone names and IDs are lower case; `us-east-1A` beside `us-east-1a` is one zone, not two.
    return value.strip().lower() if isinstance(value, str) else value


def _stringify_tags(value: Any) -> Any:
    # YAML reads `cost-center: 4711` as an int; AWS tags are strings, so accept numbers as text.
    if isinstance(value, dict):
        return {k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in value.items()}
    return value


def _block_start_moment(value: Any) -> dt.datetime | None:
    """A date-time `start` (YAML timestamp or ISO 8601 text) in UTC; None for a date or anything
    else, which the date field then accepts or refuses at its own path."""
    if isinstance(value, str) and ("T" in value or " " in value.strip()):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


BlockStart = Annotated[dt.date, WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})]


class Capacity(_Model):
    """How a pool's instances are bought."""

    type: CapacityType = Field("on-demand", description="on-demand, spot, capacity-reservation or capacity-block")
    reservation_id: str | None = Field(None, pattern=RESERVATION_ID, description="Capacity Reservation or Capacity Block id (cr-...): an instance pool, or an UltraServer pool of one UltraServer")
    reservation_ids: list[Annotated[str, StringConstraints(pattern=RESERVATION_ID)]] | None = Field(
        None, min_length=1,
        description="One Capacity Block (cr-...) per UltraServer, in order: an UltraServer pool of N UltraServers lists N ids "
                    "(each UltraServer is its own Capacity Block and reservation)")
    resource_group_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:resource-groups:", description="Resource group of UltraServer blocks to target instead of one reservation")
    start: BlockStart | None = Field(
        None, description="Capacity block start: a date (UTC; the block is taken to open at 11:30 UTC) or the "
                          "reservation's StartDate as a date-time, e.g. 2026-12-01T11:30:00Z")
    days: int | None = Field(None, ge=1, le=182, description="Capacity block length in days: 1-14, then multiples of 7 up to 182")
    end: dt.date | None = Field(None, description="End date (instead of days); a block ends at 11:30 UTC")
    planned: YamlBool = Field(False, description="The block is not bought yet: no reservation id needed; preflight looks up offerings")
    drain_seconds: int | None = Field(
        None, ge=30, le=7200,
        description="Capacity blocks: how long the termination lifecycle hook holds a node before the block's end so jobs "
                    "can checkpoint (heartbeat timeout, 30-7200 s; default 600)")
    # The time of day (UTC) `start` gave, when it gave one: `start` itself stays the date every
    # date rule reads (block lengths, end after start, cost days).
    _start_time: dt.time | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _split_start(cls, data: Any, handler: Any) -> "Capacity":
        moment = _block_start_moment(data.get("start")) if isinstance(data, dict) else None
        if moment is not None:
            data = {**data, "start": moment.date()}
        model = handler(data)
        model._start_time = moment.timetz() if moment is not None else None
        return model

    @property
    def start_time(self) -> dt.time | None:
        """The UTC time of day the spec's `start` gives (a date-time), or None for a plain date."""
        return self._start_time


class UserDataFile(_Model):
    """User data read from a file (a path relative to the spec)."""

    file: str = Field(min_length=1, max_length=4096, description="Path of the user data file, relative to the spec")


# A spec's own user data: inline text, or {file: path}. The launch template carries ultraplan's node
# runtime first and this after it (planner/runtime/userdata.py, docs/runtime.md).
UserData = Annotated[str, StringConstraints(min_length=1)] | UserDataFile
USER_DATA_HELP = ("Your own user data, run after ultraplan's node runtime: inline text (a shell script starting "
                  "with #!, a #cloud-config document, ...) or {file: path relative to the spec}")


class Pool(_Model):
    """A compute pool: an UltraServer pool (count in UltraServers) or an instance pool (count in instances)."""

    name: str = Field(pattern=DNS_NAME, description="Pool name, DNS-safe")
    instance_type: str | None = Field(None, max_length=64, description="EC2 instance type, e.g. p5.48xlarge")
    ultraserver: str | None = Field(None, max_length=64, description="UltraServer type, e.g. u-p6e-gb200x72")
    count: int = Field(ge=1, le=MAX_POOL_COUNT, description="UltraServers for an UltraServer pool, instances otherwise (at most 100,000)")
    capacity: Capacity = Field(default_factory=Capacity, description="How the pool is bought; default on-demand")
    ami: str | None = Field(None, pattern=r"^ami-[0-9a-f]{8,17}$",
                            description="Image id (ami-...); default: a public image ultraplan vouches for, where there is one")
    root_volume_gib: int = Field(200, ge=8, le=16384, description="Encrypted gp3 root volume size")
    root_device_name: str = Field("/dev/xvda", pattern=r"^/dev/[a-z0-9]+$", description="Root device of the AMI (/dev/xvda for AL2023, /dev/sda1 for Ubuntu)")
    efa: YamlBool | None = Field(None, description="EFA interfaces on the instances; default on for EFA-capable types")
    availability_zone: str | None = Field(None, max_length=64, description="Overrides the cluster's zone for this pool")
    placement_group: YamlBool | None = Field(None, description="Cluster placement group; default on for EFA pools on on-demand/spot")
    start: dt.date | None = Field(None, description="When the pool starts running (phases); default: the budget term start")
    end: dt.date | None = Field(None, description="When the pool stops running")
    months: int | None = Field(None, ge=1, le=240, description="How long the pool runs, instead of end")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on the pool's resources, over the cluster's tags")
    user_data: UserData | None = Field(None, description=USER_DATA_HELP + "; after the cluster's user_data")

    _tags = field_validator("tags", mode="before")(_stringify_tags)
    _tag_rules = field_validator("tags", mode="after")(check_tags)
    _zone = field_validator("availability_zone", mode="before")(_zone)


DEFAULT_VPC_CIDR = "10.0.0.0/16"


class Network(_Model):
    """A new VPC (vpc_cidr) or an existing VPC and subnet (vpc_id + subnet_id)."""

    vpc_cidr: str | None = Field(None, description=f"CIDR of a new VPC, /16 to /28; default {DEFAULT_VPC_CIDR} unless vpc_id is given")
    secondary_cidrs: list[str] = Field(default_factory=list, description="More CIDR blocks for the VPC, for clusters beyond one /16")
    vpc_id: str | None = Field(None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="An existing VPC to reuse (with subnet_id)")
    subnet_id: str | None = Field(None, pattern=r"^subnet-[0-9a-f]{8,17}$",
                                  description="The existing private subnet the pools launch into (with vpc_id)")
    egress: Literal["nat", "none"] = Field(
        "nat", description="nat: NAT gateway for outbound traffic; none: no internet route, VPC endpoints for SSM "
                           "(ssm, ssmmessages, ec2messages) and the S3 gateway endpoint")
    region_zone: str | None = Field(
        None, description="An Availability Zone of the Region (name or ID) for services a Local Zone does not offer "
                          "(NAT gateway, FSx for Lustre, VPC interface endpoints), placed there with a note on the traffic path; "
                          "default: the cluster's availability_zone when that is a Region zone")

    @model_validator(mode="after")
    def _default_cidr(self) -> "Network":
        # A `network:` block that only sets egress or region_zone still gets the default VPC, as no block does.
        if self.vpc_cidr is None and self.vpc_id is None and self.subnet_id is None:
            object.__setattr__(self, "vpc_cidr", DEFAULT_VPC_CIDR)
        return self


class Lustre(_Model):
    capacity_tib: float | None = Field(None, gt=0, le=MAX_LUSTRE_TIB, allow_inf_nan=False, description="Storage capacity in TiB (1 TiB = 1,024 GiB); must be a size FSx accepts")
    capacity_gib: int | None = Field(
        None, gt=0, le=MAX_LUSTRE_TIB * 1024, description="Storage capacity in GiB, instead of capacity_tib: "
                                + fsx.describe("PERSISTENT_2") + f" (SCRATCH_1: multiples of {fsx.describe_step('SCRATCH_1')})")
    deployment: LustreDeployment = Field("PERSISTENT_2", description="FSx for Lustre deployment type")
    throughput_per_tib: int | None = Field(None, ge=1, le=fsx.max_throughput_tier(),
                                           description="MB/s per TiB (persistent types): " + fsx.describe_tiers())
    kms_key_id: str | None = Field(None, max_length=2048,  # a KMS key ARN is at most 2048 characters
                                   description="KMS key for encryption at rest; default: the AWS managed key")
    reserve_ips: int = Field(64, ge=0, le=65536, description="Subnet IPs kept for the file system's interfaces (AWS does not publish the count; a planning margin)")
    efa: bool | None = Field(None, description="EFA-enabled file system (PERSISTENT_2; fixed at creation). Default: on when "
                                               "every EFA pool is a confirmed EFA client and the capacity fits the EFA steps")


class Storage(_Model):
    """Shared storage."""

    lustre: Lustre | None = Field(None, description="An FSx for Lustre file system in the cluster's zone")


class Budget(_Model):
    monthly_usd: float | None = Field(None, gt=0, le=MAX_USD, allow_inf_nan=False, description="Most the cluster may cost a month (run rate, 730 h)")
    total_usd: float | None = Field(None, gt=0, le=MAX_USD, allow_inf_nan=False, description="The commitment over the whole term")
    term_months: int = Field(12, ge=1, le=240, description="Length of the term the total is measured over")
    start: dt.date | None = Field(None, description="Start of the term; default: the earliest pool start")
    rates: str | RateCard | None = Field(None, description="A rate card of negotiated prices: a file path (relative to the spec) or inline")
    savings_plans: list[SavingsPlanUse] = Field(default_factory=list, description="Savings Plan commitments and the on-demand pools they pay for")
    prices: list[str] = Field(default_factory=list, max_length=64, description="Price files (relative to the spec) "
                              "applied over the bundled ones, e.g. written by `ultraplan catalog refresh --prices`")

    @field_validator("prices", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _omit_unused(self, handler: Any) -> dict[str, Any]:
        # Plans of specs without a rate card or savings plans stay byte-identical to before they existed.
        data = handler(self)
        if data.get("rates") is None:
            data.pop("rates", None)
        if not data.get("savings_plans"):
            data.pop("savings_plans", None)
        if not data.get("prices"):
            data.pop("prices", None)
        return data


class Policies(_Model):
    config: dict[str, Any] = Field(default_factory=dict, description="Per-policy config, as in Pulumi policy config ('all' first)")
    skip: dict[str, str] = Field(default_factory=dict, description="Policy id -> reason; skips are reported")


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Changes(_Model):
    """What `ultraplan check SPEC --diff OLD` lets through (docs/pulumi.md, "The gate")."""

    allow_replace: dict[str, Reason] = Field(
        default_factory=dict,
        description="Resource or pool name -> reason: changes that destroy data or terminate running capacity that the gate allows")


class ClusterSpec(_Model):
    """One GPU cluster."""

    name: str = Field(pattern=DNS_NAME, description="Cluster name, DNS-safe")
    region: str = Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$", description="AWS region, e.g. us-east-1")
    availability_zone: str = Field(max_length=64, description="Zone name (us-east-1-dfw-2a) or zone ID (use1-az4)")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource (numbers are read as text)")
    network: Network = Field(default_factory=lambda: Network(vpc_cidr=DEFAULT_VPC_CIDR),
                             description=f"The VPC; default a new one with vpc_cidr {DEFAULT_VPC_CIDR}")
    compute: list[Pool] = Field(min_length=1, description="The compute pools, at least one")
    user_data: UserData | None = Field(None, description=USER_DATA_HELP + "; on every pool")
    storage: Storage | None = Field(None, description="Shared storage (FSx for Lustre)")
    budget: Budget | None = Field(None, description="Budget gates for `ultraplan cost` and `check`")
    policies: Policies = Field(default_factory=Policies, description="Policy settings and skips (each with a reason)")
    changes: Changes = Field(default_factory=Changes,
                             description="Day 2: what `check --diff` may replace or terminate, by name, with a reason")

    _tags = field_validator("tags", mode="before")(_stringify_tags)
    _tag_rules = field_validator("tags", mode="after")(check_tags)
    _zone = field_validator("availability_zone", mode="before")(_zone)


ZONE_ID = re.compile(r"^[a-z]+\d+-(az\d+|[a-z]+\d+-az\d+)$")
