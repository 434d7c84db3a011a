"""Account limits per cell, checked offline: what each cell's Plan adds (the plan summary's counts,
planner/usage.py) plus what the cell's account holds (its snapshot's counts) against the cell's
quotas (planner/fleet/quotas.py: stated, snapshot, AWS's documented default, or unknown).

One check per limit, each with an id, a level and a docstring (`ultraplan` lists them in
docs/fleet.md). A cell over a limit is an error naming the cell, the quota (name and code), the
numbers and the request to make; an increase the fleet file states (`quota_increases`) that covers
the need turns the error into a dependency (info), listed as such; an unknown quota is a warning
that says so, never a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..catalog.quotas import bucket_for, load_quotas
from ..findings import Finding, Level, Registry, Source
from .quotas import QuotaEntry, QuotaValue, entries, quota_key, request_command, resolve

REGISTRY = Registry()
check = REGISTRY.check


@dataclass(frozen=True)
class Dependency:
    """A quota increase the fleet needs before a cell deploys, stated in the fleet file."""

    cell: str
    quota: str
    code: str | None
    needed: int
    current: int | None
    requested: int
    reference: str | None

    def to_json(self) -> dict[str, Any]:
        return {"cell": self.cell, "quota": self.quota, "code": self.code, "needed": self.needed,
                "current": self.current, "requested": self.requested, "reference": self.reference}


@dataclass
class CellContext:
    """What the limit checks of one cell read: its Plan, quotas, snapshot and stated increases."""

    cell: Any  # model.Cell
    plan: Any
    snapshot: Any
    increases: dict[str, Any]  # entry id -> QuotaIncrease
    source: Source
    dependencies: list[Dependency] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)

    @property
    def usage(self) -> dict[str, Any]:
        return self.plan.summary.get("account_limits") or {}

    def value(self, entry: QuotaEntry) -> QuotaValue:
        return resolve(entry, dict(self.cell.quotas), self.snapshot)

    def compare(self, check_id: str, entry_id: str, needed: int, where: str = "", *, add_in_use: bool = True,
                pool: str | None = None) -> Iterable[Finding]:
        """One limit: needed (+ what the account holds) against the cell's quota."""
        if needed <= 0:
            return
        entry = entries()[entry_id]
        qv = self.value(entry)
        in_use = qv.in_use if add_in_use else 0
        total = needed + in_use
        cell = self.cell.name
        holds = f" ({needed:,} the plan adds, {in_use:,} the account holds)" if in_use else ""
        self.checked.append({"cell": cell, "quota": entry.id, "code": qv.code, "needed": total, "value": qv.value,
                             "basis": qv.basis, "where": where or None})
        if qv.value is not None and total <= qv.value:
            return
        inc = self.increases.get(entry.id)
        what = f"cell {cell}: {entry.title} ({qv.code or 'no quota code'}){' ' + where if where else ''}"
        if inc is not None and inc.value >= total:
            self.dependencies.append(Dependency(cell, entry.id, qv.code, total, qv.value, inc.value, inc.reference))
            yield Finding(check_id, Level.INFO,
                          f"{what}: needs {total:,}{holds}, quota {qv.describe()}; depends on the increase to "
                          f"{inc.value:,} stated in the fleet file" + (f" ({inc.reference})" if inc.reference else ""),
                          pool=pool, source=self.source)
            return
        if qv.value is None:
            yield Finding(check_id, Level.WARNING,
                          f"{what}: needs {total:,}{holds}; the quota is unknown (no stated value, no snapshot, and AWS "
                          "publishes no default): not checked",
                          hint=f"state the cell's value under quotas: {{{entry.id}: N}} or give the cell an account_snapshot",
                          pool=pool, source=self.source)
            return
        stated = (f"; the increase stated in the fleet file ({inc.value:,}) is not enough" if inc is not None else "")
        yield Finding(check_id, Level.ERROR,
                      f"{what}: needs {total:,}{holds}, quota {qv.describe()}, short by {total - qv.value:,}{stated}. "
                      f"Request {total:,} (and state it under quota_increases), or move pools to another cell",
                      hint=request_command(entry, self.cell.region, total, qv.code), pool=pool, source=self.source)


@check("fleet.limit.auto-scaling-groups", Level.ERROR, "Auto Scaling groups per Region fit the cell")
def auto_scaling_groups(ctx: CellContext) -> Iterable[Finding]:
    """The cell's Auto Scaling groups (one per UltraServer, one per instance pool) plus the account's
    existing ones stay within Auto Scaling groups per region (autoscaling L-CDE20ADC, default 500)."""
    yield from ctx.compare("fleet.limit.auto-scaling-groups", "auto-scaling-groups", ctx.usage.get("auto_scaling_groups", 0))


@check("fleet.limit.launch-templates", Level.ERROR, "Launch templates per Region fit the cell")
def launch_templates(ctx: CellContext) -> Iterable[Finding]:
    """The cell's launch templates (one per pool) plus the account's stay within the 5,000 launch
    templates per Region of the EC2 User Guide (no Service Quotas code confirmed)."""
    yield from ctx.compare("fleet.limit.launch-templates", "launch-templates", ctx.usage.get("launch_templates", 0))


@check("fleet.limit.placement-groups", Level.ERROR, "Placement groups per Region fit the cell")
def placement_groups(ctx: CellContext) -> Iterable[Finding]:
    """The cell's cluster placement groups plus the account's stay within 500 per Region (EC2 User
    Guide, placement group rules; a fixed limit)."""
    yield from ctx.compare("fleet.limit.placement-groups", "placement-groups", ctx.usage.get("placement_groups", 0))


@check("fleet.limit.network-interfaces", Level.ERROR, "Network interfaces per Region fit the cell")
def network_interfaces(ctx: CellContext) -> Iterable[Finding]:
    """Every interface the cell's running instances get (each EFA and efa-only interface counts; pools
    whose dates do not overlap are not counted together), its NAT gateways' and endpoints', plus the
    account's, stay within Network interfaces per Region (vpc L-DF5E4CA3, default 5,000)."""
    yield from ctx.compare("fleet.limit.network-interfaces", "network-interfaces", interface_need(ctx.plan))


def _market(pool: dict[str, Any]) -> str | None:
    """The vCPU quota market a pool's instances count against. An On-Demand Capacity Reservation
    counts against the on-demand quota; a Capacity Block already bought holds its own quota, one still
    to buy counts against the block quota of its family (as preflight.quota.capacity-blocks)."""
    from ..records import pool_of

    cap = pool_of(pool).capacity
    if cap.type in ("on-demand", "capacity-reservation"):
        return "on-demand"
    if cap.type == "spot":
        return "spot"
    if cap.type == "capacity-block":
        return "capacity-block" if cap.wants_block() else None
    return None


def window(pool: dict[str, Any]) -> tuple[str, str]:
    """When a pool's instances run: [start, end) as ISO dates ('' = from the beginning, '~' = open end),
    its schedule's or its capacity block's."""
    from ..records import pool_of

    sched = pool.get("schedule") or {}
    cap = pool_of(pool).capacity
    start = sched.get("start") or cap.start or ""
    end = sched.get("end") or cap.end or "~"
    return str(start), str(end)


def peak(items: Iterable[tuple[tuple[str, str], int]]) -> int:
    """The most running at once: the largest sum of amounts whose [start, end) windows overlap (a
    quota on running instances or interfaces counts what runs together, not every phase at once)."""
    items = [(w, n) for w, n in items if n]
    points = sorted({w[0] for w, _ in items})
    return max((sum(n for (a, b), n in items if a <= t < b) for t in points), default=0)


def vcpu_needs(pools: Iterable[dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """vCPUs per quota bucket id at the busiest moment, and the pools no bucket is known for."""
    quotas = load_quotas()
    per: dict[str, list[tuple[tuple[str, str], int]]] = {}
    unknown = []
    for pool in pools:
        market = _market(pool)
        if market is None:
            continue
        bucket = bucket_for(quotas, pool["instance_type"], market)
        if bucket is None:
            unknown.append(pool)
            continue
        per.setdefault(bucket.id, []).append((window(pool), int(pool["vcpus_per_instance"]) * int(pool["instances"])))
    return {k: peak(v) for k, v in per.items()}, unknown


def interface_need(plan: Any) -> int:
    """Network interfaces at the busiest moment: the instances' (every EFA and efa-only interface
    counts) of the pools running together, plus the NAT gateways' and endpoints' (plan summary)."""
    pools = plan.pools
    every = sum(int(p.get("interfaces_per_instance") or 1) * int(p.get("instances") or 0) for p in pools)
    shared = int((plan.summary.get("account_limits") or {}).get("network_interfaces", 0)) - every
    return shared + peak((window(p), int(p.get("interfaces_per_instance") or 1) * int(p.get("instances") or 0))
                         for p in pools)


@check("fleet.limit.vcpus", Level.ERROR, "vCPU quotas per purchase option fit the cell")
def vcpus(ctx: CellContext) -> Iterable[Finding]:
    """The cell's vCPUs running at once per quota bucket and purchase option (on-demand and
    reservations: P L-417A185B, Standard L-1216C47A, ...; spot; capacity blocks still to buy, by
    family; pools whose dates do not overlap are not counted together) stay within the cell's quota. AWS publishes no default for these (they vary by account), so without a stated
    value or a snapshot the quota is unknown: a warning, never a pass."""
    needs, unknown = vcpu_needs(ctx.plan.pools)
    for bucket_id, n in needs.items():
        yield from ctx.compare("fleet.limit.vcpus", bucket_id, n, add_in_use=False)
    for pool in unknown:
        yield Finding("fleet.limit.vcpus", Level.WARNING,
                      f"cell {ctx.cell.name}: no vCPU quota bucket is known for {pool['instance_type']} "
                      "(planner/catalog/quotas.yaml): not checked", pool=pool["name"], source=ctx.source)


@check("fleet.limit.elastic-ips", Level.ERROR, "Elastic IPs fit the cell")
def elastic_ips(ctx: CellContext) -> Iterable[Finding]:
    """The cell's Elastic IPs (one per NAT gateway) plus the account's stay within EC2-VPC Elastic
    IPs (ec2 L-0263D0A3, default 5)."""
    yield from ctx.compare("fleet.limit.elastic-ips", "elastic-ips", ctx.usage.get("elastic_ips", 0))


@check("fleet.limit.nat-gateways-per-zone", Level.ERROR, "NAT gateways per zone fit the cell")
def nat_gateways(ctx: CellContext) -> Iterable[Finding]:
    """In each zone, the cell's NAT gateways plus the account's (its Region-wide count, an upper bound
    for the zone) stay within NAT gateways per Availability Zone (vpc L-FE5A380F, default 5)."""
    for zone, n in (ctx.usage.get("nat_gateways_per_zone") or {}).items():
        yield from ctx.compare("fleet.limit.nat-gateways-per-zone", "nat-gateways-per-zone", n, f"in {zone}")


@check("fleet.limit.rules-per-security-group", Level.ERROR, "Rules per security group fit the cell")
def rules_per_group(ctx: CellContext) -> Iterable[Finding]:
    """The fullest direction of the cell's fullest security group stays within Inbound or outbound
    rules per security group (vpc L-0EA8095F, default 60)."""
    group = ctx.usage.get("fullest_security_group")
    yield from ctx.compare("fleet.limit.rules-per-security-group", "rules-per-security-group",
                           ctx.usage.get("rules_per_security_group", 0), f"(group {group})" if group else "",
                           add_in_use=False)


@check("fleet.limit.lustre-storage", Level.ERROR, "FSx for Lustre storage fits the cell")
def lustre_storage(ctx: CellContext) -> Iterable[Finding]:
    """The cell's FSx for Lustre PERSISTENT_2 storage plus the account's stays within Lustre
    Persistent_2 storage capacity (fsx L-8F1B9C74, GiB; AWS's default is not confirmed, so without a
    stated value or snapshot it is unknown)."""
    gib = (ctx.usage.get("lustre_storage_gib") or {}).get("PERSISTENT_2", 0)
    yield from ctx.compare("fleet.limit.lustre-storage", "lustre-persistent-2-storage", gib)


def context_for(cp: Any, doc: Any) -> CellContext:
    """The limit context of one CellPlan of a FleetDocument."""
    increases = {}
    for inc in doc.fleet.quota_increases:
        key = quota_key(inc.quota)
        if inc.cell == cp.name and key:
            increases[key] = inc
    return CellContext(cp.cell, cp.plan, cp.cd.snapshot, increases,
                       Source(doc.file, doc.line("cells", cp.cd.index, "name")))


def cell_limits(ctx: CellContext) -> list[Finding]:
    """Every limit check over one cell; a check that raises is a finding, never a silent pass."""
    out: list[Finding] = []
    for info in REGISTRY:
        try:
            out.extend(info.func(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            out.append(Finding(info.check_id, Level.WARNING, f"cell {ctx.cell.name}: could not check {info.title}: "
                               f"{type(exc).__name__}: {exc}", source=ctx.source))
    return out
