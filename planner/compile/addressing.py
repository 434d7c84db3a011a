"""Addresses: which subnet each pool lives in, how big each subnet is and which CIDR it gets.

Sizing: each pool needs instances x IPs-per-instance addresses (one per instance with efa-only
interfaces); AWS keeps 5 addresses of every subnet (VPC User Guide, "Subnet CIDR blocks"). Pools in
one zone share a subnet while it fits in a /16 (the largest subnet AWS allows); a pool never spans
subnets, because EFA traffic does not leave a subnet's zone and a pool is one placement
(aws-gpu-facts.md, EFA rules).

A subnet's CIDR cannot change without replacing the subnet, and everything in it with it (the file
system, the NAT gateway, the instances). So addresses are sticky:

- **with the previous Plan** (`plan --diff OLD`, `--previous OLD`): every subnet of the previous Plan
  that is still inside the VPC keeps its name, CIDR and pools, as long as its pools still fit. A pool
  that shrinks never re-sizes its subnet. A subnet whose pools outgrow it gets a new, larger CIDR
  (allocated beside the old one, which stays occupied while the replacement is created) and a
  warning note says which pool outgrew it: the diff then shows everything that replacement takes
  with it. New pools go first into the room left in existing subnets, then into new subnets.
- **without one**, a new subnet is sized with headroom: twice the addresses its pools need, and at
  least a /24 (HEADROOM, MIN_FRESH_PREFIX), so ordinary growth of a pool does not re-size it either.
  When the VPC cannot hold the subnets with headroom, they are sized exactly and a note says so.

Placement is linear in the number of pools: every subnet keeps a running count of the addresses
its pools use, instead of re-summing its pools for each new one.
"""
from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import SpecError, SpecIssue
from ..spec.load import SpecDocument
from .pools import ResolvedPool

AWS_RESERVED_IPS = 5  # first four and last address of every subnet (VPC User Guide, subnet sizing)
MIN_PREFIX, MAX_PREFIX = 28, 16  # subnet sizes AWS allows
MAX_SUBNET_IPS = 2 ** (32 - MAX_PREFIX) - AWS_RESERVED_IPS
HEADROOM = 2  # a new subnet holds twice the addresses its pools need ...
MIN_FRESH_PREFIX = 24  # ... and at least a /24 (251 usable addresses)


def prefix_for(ips: int) -> int:
    """The smallest subnet (largest prefix, /28 at most) with `ips` usable addresses; /16 at least."""
    prefix = MIN_PREFIX
    while prefix > MAX_PREFIX and 2 ** (32 - prefix) - AWS_RESERVED_IPS < ips:
        prefix -= 1
    return prefix


@dataclass
class SubnetPlan:
    name: str
    zone: str
    pools: list[ResolvedPool] = field(default_factory=list)
    extra_ips: int = 0
    cidr: str | None = None
    used: int = 0  # addresses the pools use (a running count: placement stays linear)
    kept: bool = False  # the CIDR comes from the previous Plan
    replaces: str | None = None  # the previous CIDR this subnet outgrew
    headroom: bool = True  # size a new subnet with headroom (dropped when the VPC is too small)

    def add(self, pool: ResolvedPool) -> None:
        self.pools.append(pool)
        self.used += pool.ips

    @property
    def ips_needed(self) -> int:
        return self.used + self.extra_ips

    @property
    def capacity(self) -> int:
        """Usable addresses: the kept CIDR's, or what a new subnet may grow to (a /16)."""
        if self.kept and self.cidr:
            return ipaddress.IPv4Network(self.cidr).num_addresses - AWS_RESERVED_IPS
        return MAX_SUBNET_IPS

    @property
    def prefix(self) -> int:
        if self.cidr:
            return ipaddress.IPv4Network(self.cidr).prefixlen
        exact = prefix_for(self.ips_needed)
        if not self.headroom:
            return exact
        return min(prefix_for(min(MAX_SUBNET_IPS, HEADROOM * self.ips_needed)), MIN_FRESH_PREFIX, exact)

    @property
    def ips_total(self) -> int:
        return 2 ** (32 - self.prefix) - AWS_RESERVED_IPS


class Layout(list):
    """The private subnets (a list of SubnetPlan), plus what the allocation needs from the previous
    Plan (public subnets' CIDRs by zone) and the notes the sizing leaves for the Plan."""

    def __init__(self, subnets: Iterable[SubnetPlan] = (), *, previous_public: dict[str, str] | None = None) -> None:
        super().__init__(subnets)
        self.previous_public = dict(previous_public or {})
        self.notes: list[dict[str, Any]] = []


def slug(zone: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", zone.lower())


def _blocks(doc: SpecDocument) -> list[ipaddress.IPv4Network]:
    net = doc.spec.network
    return [ipaddress.IPv4Network(c) for c in [net.vpc_cidr, *net.secondary_cidrs] if c]


def _inside(cidr: str | None, blocks: list[ipaddress.IPv4Network]) -> bool:
    try:
        network = ipaddress.IPv4Network(cidr) if cidr else None
    except ValueError:
        return False
    return network is not None and any(network.subnet_of(b) for b in blocks)


def _too_big(doc: SpecDocument, p: ResolvedPool) -> SpecIssue:
    per = p.ips // p.instances * (p.ultra.instances if p.ultra else 1)
    return SpecIssue(
        f"compute[{p.index}].count", f"pool '{p.name}' needs {p.ips:,} IPs; one subnet holds at most {MAX_SUBNET_IPS:,} (/16)",
        doc.line("compute", p.index, "count"), doc.file,
        f"split it into pools of at most {MAX_SUBNET_IPS // max(1, per):,} "
        f"{'UltraServers' if p.ultra else 'instances'} each (an EFA pool stays in one subnet)",
        rule="spec.network.pool-fits-subnet")


def _kept_subnets(doc: SpecDocument, previous: dict[str, Any] | None) -> tuple[list[SubnetPlan], dict[str, str], dict[str, str], str | None]:
    """The previous Plan's private subnets still inside the VPC, which subnet each pool was in,
    the public CIDR of each zone, and the subnet that held the file system."""
    if not previous or doc.spec.network.subnet_id or doc.spec.network.vpc_id:
        return [], {}, {}, None
    blocks = _blocks(doc)
    kept, home_of, storage_home = [], {}, None
    for s in previous.get("subnets") or []:
        if not (s.get("name") and s.get("availability_zone") and _inside(s.get("cidr"), blocks)):
            continue
        kept.append(SubnetPlan(s["name"], s["availability_zone"], cidr=s["cidr"], kept=True))
        for pool in s.get("pools") or []:
            home_of[pool] = s["name"]
        if s.get("reserved_ips"):
            storage_home = s["name"]
    public = {p["availability_zone"]: p["cidr"] for p in previous.get("public_subnets") or []
              if p.get("availability_zone") and _inside(p.get("cidr"), blocks)}
    return kept, home_of, public, storage_home


def _new_subnet(by_zone: dict[str, list[SubnetPlan]], names: set[str], zone: str) -> SubnetPlan:
    subnets = by_zone.setdefault(zone, [])
    n = len(subnets)
    name = f"subnet-{slug(zone)}" + (f"-{n + 1}" if n else "")
    while name in names:
        n += 1
        name = f"subnet-{slug(zone)}-{n + 1}"
    names.add(name)
    subnet = SubnetPlan(name, zone)
    subnets.append(subnet)
    return subnet


def plan_subnets(doc: SpecDocument, pools: list[ResolvedPool], storage_ips: int,
                 previous: dict[str, Any] | None = None, home_zone: str | None = None) -> Layout:
    """Group pools into subnets per zone and raise if a pool is too big for any subnet.

    `previous` is the previous Plan's `network` record: its subnets keep their names, CIDRs and
    pools while they fit. New pools go first fit, largest first. `storage_ips` (FSx, SSM endpoints)
    go to a subnet of `home_zone` (default: the cluster's zone; network.region_zone where a Local
    Zone lacks those services, planner/catalog/placement.py)."""
    issues = [_too_big(doc, p) for p in pools if p.ips > MAX_SUBNET_IPS]
    if issues:
        raise SpecError(issues)
    kept, home_of, public, storage_home = _kept_subnets(doc, previous)
    by_zone: dict[str, list[SubnetPlan]] = {}
    by_name = {}
    for s in kept:
        by_zone.setdefault(s.zone, []).append(s)
        by_name[s.name] = s
    names = set(by_name)
    fresh = []
    for p in pools:
        home = by_name.get(home_of.get(p.name, ""))
        if home is not None and home.zone == p.zone:
            home.add(p)  # a pool stays where it was, even when it outgrows it (re-sized below)
        else:
            fresh.append(p)
    for p in sorted(fresh, key=lambda p: -p.ips):
        subnet = next((s for s in by_zone.get(p.zone, []) if s.ips_needed + p.ips <= s.capacity), None)
        (subnet or _new_subnet(by_zone, names, p.zone)).add(p)
    if storage_ips:
        _place_storage(doc, by_zone, by_name.get(storage_home or ""), names, storage_ips, home_zone)
    subnets = Layout([s for group in by_zone.values() for s in group if s.pools or s.extra_ips or not s.kept],
                     previous_public=public)
    for s in subnets:
        if s.kept and s.ips_needed > s.capacity:
            _outgrown(doc, s, subnets.notes)
        for p in s.pools:
            p.subnet = s.name
    return subnets


def _place_storage(doc: SpecDocument, by_zone: dict[str, list[SubnetPlan]], previous_home: SubnetPlan | None,
                   names: set[str], storage_ips: int, home_zone: str | None = None) -> None:
    if previous_home is not None and (home_zone is None or previous_home.zone == home_zone):
        previous_home.extra_ips += storage_ips
        return
    cluster_zone = home_zone or doc.spec.availability_zone
    zone = cluster_zone if (cluster_zone in by_zone or home_zone) else next(iter(by_zone))
    home = next((s for s in by_zone.get(zone, []) if s.ips_needed + storage_ips <= s.capacity), None)
    (home or _new_subnet(by_zone, names, zone)).extra_ips += storage_ips


def _outgrown(doc: SpecDocument, s: SubnetPlan, notes: list[dict[str, Any]]) -> None:
    """A kept subnet too small for its pools: it gets a new CIDR (a replacement) and a note says why."""
    capacity = s.capacity
    s.replaces, s.cidr, s.kept = s.cidr, None, False
    biggest = max(s.pools, key=lambda p: p.ips, default=None)
    line = doc.line("compute", biggest.index, "count") if biggest else doc.line("storage", "lustre")
    notes.append({"level": "warning", "topic": "addresses", "pool": biggest.name if biggest else None,
                  "source": {"file": doc.file, "line": line},
                  "message": f"{s.name} ({s.replaces}, {capacity:,} usable IPs) no longer holds what is placed in it "
                             f"({s.ips_needed:,} IPs: {', '.join(f'{p.name} {p.ips:,}' for p in s.pools)}"
                             f"{f', file system {s.extra_ips:,}' if s.extra_ips else ''}): it gets a new, larger CIDR, "
                             "which replaces the subnet and everything that refers to it (see `plan --diff`); "
                             "to avoid that, put the growth in a new pool (it gets its own subnet)"})


# -- CIDR allocation -------------------------------------------------------------------------------
class _Space:
    """Free address space in the VPC's blocks: aligned first fit around occupied ranges."""

    def __init__(self, blocks: list[ipaddress.IPv4Network], occupied: Iterable[str]) -> None:
        self.blocks = blocks
        self.taken: list[tuple[int, int]] = []
        for cidr in occupied:
            self.take(ipaddress.IPv4Network(cidr))

    def take(self, network: ipaddress.IPv4Network) -> None:
        bisect.insort(self.taken, (int(network.network_address), int(network.broadcast_address) + 1))

    def find(self, prefix: int) -> str | None:
        size = 2 ** (32 - prefix)
        for block in self.blocks:
            if prefix < block.prefixlen:
                continue
            end = int(block.broadcast_address) + 1
            start = -(-int(block.network_address) // size) * size
            for a, b in self.taken:
                if b <= start:
                    continue
                if a >= start + size:
                    break
                start = -(-b // size) * size
            if start + size <= end:
                network = ipaddress.IPv4Network((start, prefix))
                self.take(network)
                return str(network)
        return None


def allocate(doc: SpecDocument, subnets: list[SubnetPlan], public_zones: list[str]) -> list[tuple[str, str]]:
    """Give every private subnet without a CIDR (and one /28 public subnet per NAT zone) an aligned
    CIDR inside the VPC's blocks, around the CIDRs kept from the previous Plan. Returns the public
    (zone, cidr) pairs. Raises a SpecError naming the shortfall."""
    previous_public = getattr(subnets, "previous_public", {})
    try:
        return _allocate(doc, subnets, public_zones, previous_public)
    except SpecError:
        if not any(s.headroom and not s.cidr for s in subnets):
            raise
    for s in subnets:  # the VPC is too small for headroom: size new subnets exactly, and say so
        s.headroom = False
    public = _allocate(doc, subnets, public_zones, previous_public)
    notes = getattr(subnets, "notes", None)
    if notes is not None:
        notes.append({"level": "info", "topic": "addresses", "source": {"file": doc.file, "line": doc.line("network", "vpc_cidr")},
                      "message": "the VPC's CIDR blocks cannot hold the subnets with headroom (twice what their pools "
                                 "need): they are sized exactly, so growing a pool will re-size (replace) its subnet; "
                                 "a larger vpc_cidr or secondary_cidrs would avoid that"})
    return public


def _allocate(doc: SpecDocument, subnets: list[SubnetPlan], public_zones: list[str],
              previous_public: dict[str, str]) -> list[tuple[str, str]]:
    blocks = _blocks(doc)
    occupied = [s.cidr for s in subnets if s.kept and s.cidr] + [s.replaces for s in subnets if s.replaces]
    occupied += [previous_public[z] for z in public_zones if z in previous_public]
    space = _Space(blocks, occupied)
    requests: list[tuple[int, Any]] = [(s.prefix, s) for s in subnets if not (s.kept and s.cidr)]
    requests += [(MIN_PREFIX, z) for z in public_zones if z not in previous_public]
    requests.sort(key=lambda r: r[0])  # largest first keeps the space unfragmented
    found: dict[int, str] = {}
    for i, (prefix, owner) in enumerate(requests):
        cidr = space.find(prefix)
        if cidr is None:
            need = sum(2 ** (32 - p) for p, _ in requests) + sum(ipaddress.IPv4Network(c).num_addresses for c in occupied)
            have = sum(b.num_addresses for b in blocks)
            raise SpecError([SpecIssue(
                "network.vpc_cidr",
                f"the subnets need {need:,} addresses (largest /{requests[0][0]}); the VPC's CIDR blocks hold {have:,}",
                doc.line("network", "vpc_cidr"), doc.file,
                "use a larger vpc_cidr (up to /16) or add secondary_cidrs, e.g. secondary_cidrs: [10.1.0.0/16]",
                rule="spec.network.subnets-fit")])
        found[i] = cidr
    for i, (_, owner) in enumerate(requests):
        if isinstance(owner, SubnetPlan):
            owner.cidr = found[i]
    fresh_public = {owner: found[i] for i, (_, owner) in enumerate(requests) if not isinstance(owner, SubnetPlan)}
    return [(z, previous_public.get(z) or fresh_public[z]) for z in public_zones]
