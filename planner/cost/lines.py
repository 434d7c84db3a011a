"""Walk the Plan's resources and turn each one into priced lines, unpriced items or a free count.

What is priced is what the Plan would deploy: auto-scaling groups (their instances or UltraServers,
at the market the pool's capacity type implies), the root volumes their launch templates declare,
the FSx for Lustre file system, NAT gateways, public IPv4 addresses and endpoints. Which resource
types cost nothing comes from the price catalog (`free.yaml`); anything else is reported as unpriced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from planner import tokens as T

from ..catalog.prices import SECONDARY_MARK, PriceBook, Quote, free_reason, fsx_lustre_item, price
from ..plan.model import Plan, Resource
from ..records import pool_of
from .model import SHARED, Line, Unpriced, UsageCost, Window

# Which price market a pool's capacity type is billed on. A capacity reservation (ODCR) is billed at
# the on-demand rate whether or not instances run in it (EC2 User Guide: capacity reservation pricing).
# For a type with no on-demand rate (GB200 UltraServers are sold only as capacity blocks) the only
# public figure is the capacity-block rate; a reservation of such a type is priced at it, and says so.
MARKETS_OF_CAPACITY: dict[str, tuple[tuple[str, str | None], ...]] = {
    "on-demand": (("on-demand", None),),
    "capacity-reservation": (
        ("on-demand", "capacity reservation: billed at the on-demand rate (EC2 capacity reservation pricing)"),
        ("capacity-block", "capacity reservation of a type with no on-demand rate: priced at the public "
                           "capacity-block rate, the only public figure (a negotiated rate will differ)"),
    ),
    "capacity-block": (("capacity-block", None),),
    "spot": (("spot", None),),
}

LINE_UNITS = {  # catalog unit -> the per-hour unit a line shows
    "instance-hour": "instance-hour",
    "ultraserver-hour": "UltraServer-hour",
    "gateway-hour": "gateway-hour",
    "address-hour": "address-hour",
    "endpoint-hour": "endpoint-hour",
    "GB-month": "GB-hour",
}


@dataclass
class Priced:
    """What walking the Plan found."""

    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    usage: list[UsageCost] = field(default_factory=list)
    free: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PoolInfo:
    record: dict[str, Any]
    window: Window
    generation: str
    phase: str


def group_quote(prices: PriceBook, region: str, cap_type: str, member: str, ultra: str | None,
                per_ultra: int | None) -> tuple[Quote, float, str | None, str | None]:
    """The price of a group's capacity: the first priced (market, item) in order of preference (the
    UltraServer, then its member type) -> (quote, instances per catalog unit, note, basis). An
    unpriced quote carries every reason. `ultraplan solve` prices its options with this same rule."""
    candidates = []  # (item, instances per unit)
    if ultra and per_ultra:
        candidates.append((ultra, float(per_ultra)))
    candidates.append((member, 1.0))
    reasons = []
    markets = MARKETS_OF_CAPACITY.get(cap_type, ((cap_type, None),))
    for market, market_note in markets:
        for item, per_item in candidates:
            q = price(prices, item, region, market)
            if q.priced:
                note = None
                if item != candidates[0][0]:
                    note = f"{ultra} has no {market} UltraServer price; priced per member instance"
                return q, per_item, note, market_note
            reasons.append(f"{item} {market}: {q.reason}")
    item, per_item = candidates[0]
    return Quote(item, markets[0][0], region, None, None, None, None, reason="; ".join(reasons)), per_item, None, None


def generation_of(pool: dict[str, Any]) -> str:
    """`p6e-gb200 (NVIDIA B200)`, `trn2 (AWS Trainium2)`, `m7i (CPU)`: instance family and accelerator."""
    family = str(pool.get("instance_type") or pool.get("family") or "?").split(".")[0]
    accelerator = pool.get("accelerator")
    return f"{family} ({accelerator})" if accelerator else f"{family} (CPU)"


class _Walker:
    def __init__(self, plan: Plan, prices: PriceBook, pools: dict[str, PoolInfo]) -> None:
        self.plan, self.prices, self.pools = plan, prices, pools
        self.region = plan.region
        self.out = Priced()
        self.instances_by_pool: dict[str, float] = {}
        self.pending_volumes: list[tuple[Resource, str, float]] = []
        self._by_name: dict[str, Resource] | None = None
        self._quotes: dict[tuple[str, str], Quote] = {}
        self._group_quotes: dict[tuple[Any, ...], tuple[Quote, float, str | None, str | None]] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def quote(self, item: str, market: str = "on-demand") -> Quote:
        # Memoised: a frontier Plan asks the same few (item, market) prices for every one of its
        # tens of thousands of groups; price() is pure in them.
        key = (item, market)
        q = self._quotes.get(key)
        if q is None:
            q = self._quotes[key] = price(self.prices, item, self.region, market)
        return q

    def add(self, res: Resource, q: Quote, quantity: float, note: str | None = None,
            basis: str | None = None) -> None:
        """A line for `quantity` catalog units of `q`, or an Unpriced entry when `q` has no price."""
        info = self.pools.get(res.pool) if res.pool else None
        if not q.priced or q.usd_per_hour is None:
            self.out.unpriced.append(Unpriced(res.name, res.type, res.pool, q.item, q.market, quantity,
                                              LINE_UNITS.get(q.unit or "", q.unit), q.reason or "no price",
                                              res.source, *self._labels(res)))
            return
        notes = "; ".join(n for n in (note, q.note) if n) or None
        source = q.source or ""
        if q.derived and not source.removeprefix(f"{SECONDARY_MARK}: ").startswith("derived"):
            source = f"derived: {source}"
        if basis:
            source = f"{source}; {basis}"
        self.out.lines.append(Line(
            resource=res.name, resource_type=res.type, pool=res.pool, item=q.item, market=q.market,
            quantity=float(quantity), unit=LINE_UNITS.get(q.unit, q.unit), unit_price_usd=q.usd_per_hour,
            source=source, as_of=q.as_of or "", list_price=f"{q.usd:g} USD per {q.unit}",
            window=info.window if info else Window(), generation=info.generation if info else SHARED,
            phase=info.phase if info else "whole term", spec_source=res.source, note=notes,
            secondary=q.secondary))

    def launch_type(self, res: Resource) -> str:
        """The instance type of a group's launch template (pool records normally carry it already)."""
        if self._by_name is None:
            self._by_name = self.plan.by_name()
        lt = (res.inputs.get("launchTemplate") or {}).get("id") or {}
        target = self._by_name.get(lt.get("$ref", "")) if isinstance(lt, dict) else None
        return str((target.inputs if target else {}).get("instanceType") or "?")

    def unpriced(self, res: Resource, reason: str, item: str | None = None) -> None:
        self.out.unpriced.append(Unpriced(res.name, res.type, res.pool, item, None, None, None, reason, res.source,
                                          *self._labels(res)))

    def _labels(self, res: Resource) -> tuple[str, str]:
        info = self.pools.get(res.pool) if res.pool else None
        return (info.generation, info.phase) if info else (SHARED, "whole term")

    # -- resource types ------------------------------------------------------------------------------
    def group(self, res: Resource) -> None:
        info = self.pools.get(res.pool or "")
        if info is None:
            self.unpriced(res, f"auto-scaling group names pool {res.pool!r}, which the Plan does not list")
            return
        pool = info.record
        instances = _number(res.inputs.get("desiredCapacity"))
        if instances is None:
            instances = _number(res.inputs.get("maxSize")) or 0.0
        self.instances_by_pool[pool["name"]] = self.instances_by_pool.get(pool["name"], 0.0) + instances
        cap_type = pool_of(pool).capacity.type
        member = pool.get("instance_type") or self.launch_type(res)
        # Memoised like quote(): one answer per (capacity, type), asked once per group.
        key = (cap_type, member, pool.get("ultraserver_type"), pool.get("instances_per_ultraserver"))
        answer = self._group_quotes.get(key)
        if answer is None:
            answer = self._group_quotes[key] = group_quote(self.prices, self.region, *key)
        q, instances_per_item, note, basis = answer
        self.add(res, q, instances / instances_per_item, note, basis=basis)

    def launch_template(self, res: Resource) -> None:
        self.free(res)
        if not res.pool or res.pool not in self.pools:
            return
        for mapping in res.inputs.get("blockDeviceMappings") or []:
            ebs = (mapping or {}).get("ebs") or {}
            size = _number(ebs.get("volumeSize"))
            if not size:
                continue
            vtype = str(ebs.get("volumeType") or "gp3")
            self.pending_volumes.append((res, f"ebs-{vtype}", size))

    def lustre(self, res: Resource) -> None:
        deployment = str(res.inputs.get("deploymentType") or "SCRATCH_1")
        item = fsx_lustre_item(deployment, _number(res.inputs.get("perUnitStorageThroughput")))
        size = _number(res.inputs.get("storageCapacity"))
        if size is None:
            self.unpriced(res, "file system has no storageCapacity", item)
            return
        self.add(res, self.quote(item), size)

    def nat(self, res: Resource) -> None:
        self.add(res, self.quote("nat-gateway"), 1)
        data = self.quote("nat-gateway-data")
        if data.priced:
            self.out.usage.append(UsageCost(res.name, "nat-gateway-data", data.unit or "GB", data.usd or 0.0,
                                            data.source or "", "data processed through the gateway; depends on traffic"))

    def eip(self, res: Resource) -> None:
        self.add(res, self.quote("public-ipv4"), 1)

    def endpoint(self, res: Resource) -> None:
        service = str(res.inputs.get("serviceName") or "")
        kind = str(res.inputs.get("vpcEndpointType") or "Gateway")
        if kind == "Gateway" and service.endswith(".s3"):
            self.add(res, self.quote("s3-gateway-endpoint"), 1)
        elif kind == "Interface":
            # AWS PrivateLink pricing: an interface endpoint is billed per hour in each Availability
            # Zone it has a network interface in (one subnet per zone), plus data processed per GB.
            zones = len(res.inputs.get("subnetIds") or []) or 1
            self.add(res, self.quote("interface-endpoint"), zones, f"{zones} Availability Zone(s)")
            data = self.quote("interface-endpoint-data")
            if data.priced:
                self.out.usage.append(UsageCost(res.name, "interface-endpoint-data", data.unit or "GB",
                                                data.usd or 0.0, data.source or "",
                                                "data processed through the endpoint; depends on traffic"))
        else:
            self.unpriced(res, f"{kind} endpoint for {service or '?'}: no price in the catalog", f"vpc-endpoint:{kind}")

    def free(self, res: Resource) -> None:
        self.out.free[res.type] = self.out.free.get(res.type, 0) + 1


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None




HANDLERS: dict[str, Callable[[_Walker, Resource], None]] = {
    T.AUTOSCALING_GROUP: _Walker.group,
    T.LAUNCH_TEMPLATE: _Walker.launch_template,
    T.LUSTRE: _Walker.lustre,
    T.NAT_GATEWAY: _Walker.nat,
    T.EIP: _Walker.eip,
    T.VPC_ENDPOINT: _Walker.endpoint,
}


def price_plan(plan: Plan, prices: PriceBook, pools: dict[str, PoolInfo]) -> Priced:
    """Every resource of the Plan, priced: lines, unpriced items, usage-based prices, free counts."""
    walker = _Walker(plan, prices, pools)
    for res in plan.resources():
        handler = HANDLERS.get(res.type)
        if handler is not None:
            handler(walker, res)
        elif free_reason(prices, res.type) is not None:
            walker.free(res)
        else:
            walker.unpriced(res, f"no pricing rule for resource type {res.type}")
    # Root volumes exist once per instance the pool's groups launch.
    for res, item, size in walker.pending_volumes:
        instances = walker.instances_by_pool.get(res.pool, 0.0)
        if instances:
            walker.add(res, walker.quote(item), size * instances, f"{instances:g} root volumes × {size:g} GiB")
    return walker.out


__all__ = ["price_plan", "Priced", "PoolInfo", "generation_of", "group_quote", "LINE_UNITS"]
