"""The topology picture of a Plan as Graphviz DOT: VPC ▸ zones ▸ subnets ▸ pools ▸ NVLink domains, with EFA
and FSx for Lustre. Graphviz lays it out (in the browser, through the vendored Viz.js); nothing here
computes a coordinate.

It reads what the compiler decided (pool records, the network record, storage, the resources) and
never re-derives it. A pool draws at most DOMAINS_DRAWN NVLink domains and one node for the rest, so
the picture of 6,944 UltraServers has the same size as the picture of four.
"""
from __future__ import annotations

from typing import Any, Iterable

from planner import tokens as T

from ..plan.model import Plan
from ..records import pool_of

DOMAINS_DRAWN = 3  # NVLink domains drawn one by one per pool; the rest become one "N more" node
LUSTRE = T.LUSTRE
ENDPOINT = T.VPC_ENDPOINT
NAT = T.NAT_GATEWAY

# Pool colours by family, shared with the cost chart's generation colours (report.js reads PALETTE).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def quote(text: Any) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as centred line breaks."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r", "").replace("\n", "\\n") + '"'


def _attrs(**attrs: Any) -> str:
    return "[" + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items() if v is not None) + "]"


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


def family_colours(plan: Plan) -> dict[str, str]:
    """One colour per pool family (accelerator generation), in pool order; CPU pools are grey."""
    out: dict[str, str] = {}
    for pool in plan.pools:
        fam = pool.get("family") or pool.get("instance_type") or "?"
        if fam not in out and pool.get("gpus"):
            out[fam] = PALETTE[len(out) % len(PALETTE)]
    return out


class _Dot:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def add(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def node(self, name: str, **attrs: Any) -> None:
        self.add(f"{quote(name)} {_attrs(**attrs)};")

    def edge(self, a: str, b: str, **attrs: Any) -> None:
        self.add(f"{quote(a)} -> {quote(b)} {_attrs(**attrs)};")

    def open(self, cluster: str, **attrs: Any) -> None:
        self.add(f"subgraph {quote('cluster_' + cluster)} {{")
        self.depth += 1
        for k, v in attrs.items():
            self.add(f"{k}={quote(v)};")

    def close(self) -> None:
        self.depth -= 1
        self.add("}")


def _pool_label(pool: dict[str, Any]) -> str:
    kind = pool.get("ultraserver_type") or pool.get("instance_type")
    unit = "UltraServers" if pool.get("ultraserver_type") else "instances"
    capacity = pool_of(pool).capacity
    cap = capacity.type
    if pool.get("count") == 1:
        unit = unit[:-1]
    lines = [f"pool {pool.get('name')}", f"{kind} × {_n(pool.get('count'))} {unit}"]
    if pool.get("gpus"):
        unit = "Trainium chips" if link_name(pool) == "NeuronLink" else "GPUs"
        lines.append(f"{_n(pool.get('gpus'))} {unit} · {_n(pool.get('instances'))} instances")
    lines.append(cap + (" (planned)" if capacity.planned else ""))
    return "\n".join(lines)


def link_name(pool: dict[str, Any]) -> str:
    """What joins a domain's accelerators: Trainium chips are on NeuronLink, NVIDIA GPUs on NVLink
    (the catalog's accelerator name tells them apart)."""
    return "NeuronLink" if "trainium" in str(pool.get("accelerator") or "").lower() else "NVLink"


def _domains(dot: _Dot, pool: dict[str, Any], key: str, colour: str) -> list[str]:
    """NVLink (NeuronLink) domain nodes of one pool: the first few one by one, the rest as one node."""
    total = int(pool.get("nvlink_domains") or 0)
    link = link_name(pool)
    if total <= 0:
        return []
    per = (pool.get("instances_per_ultraserver") or 1)
    gpus = (pool.get("gpus") or 0) // total if total else 0
    itype = pool.get("instance_type") or "?"
    shape = f"{per} × {itype}" if pool.get("ultraserver_type") else itype
    unit = "chips" if link == "NeuronLink" else "GPUs"
    drawn = total if total <= DOMAINS_DRAWN + 1 else DOMAINS_DRAWN  # "1 more" would be no shorter
    nodes = [(f"{key}.d{i}", dict(label=f"{link} domain {i + 1}\n{_n(gpus)} {unit} · {shape}", shape="box",
                                  style="rounded,filled", fillcolor=colour + "33", color=colour)) for i in range(drawn)]
    rest = total - drawn
    if rest > 0:
        nodes.append((f"{key}.rest", dict(label=f"… {_n(rest)} more {link} domains\n({_n(rest * gpus)} {unit})",
                                          shape="box", style="rounded,dashed", color=colour)))
    # Written last to first: in a left-to-right layout dot stacks a rank's nodes bottom-up in the order
    # they are written, so domain 1 ends on top and "N more" at the bottom.
    for name, attrs in reversed(nodes):
        dot.node(name, **attrs)
    names = [name for name, _ in nodes]
    return names


def _efa(dot: _Dot, pool: dict[str, Any], key: str, domains: list[str], colour: str) -> str | None:
    if not pool.get("efa"):
        return None
    per = pool.get("efa_interfaces_per_instance") or 0
    gbps = pool.get("efa_bandwidth_gbps_per_instance")
    bw = f"{_n(gbps)} Gbps per instance" if gbps else "bandwidth unconfirmed"
    name = f"{key}.efa"
    dot.node(name, label=f"EFA fabric\n{per} interfaces per instance · {bw}\n"
                         f"{_n(per * int(pool.get('instances') or 0))} interfaces in all",
             shape="ellipse", style="filled", fillcolor="#ffffff", color=colour)
    for d in domains:
        dot.edge(d, name, color=colour, arrowhead="none")
    return name


def _lustre_subnet(plan: Plan) -> dict[str, Any] | None:
    """The subnet the file system is placed in, from its resource's subnetIds (one ref in pulumi-aws 7,
    a list in older Plans); the first subnet when the Plan does not say."""
    subnets = {s.get("name"): s for s in plan.network.get("subnets") or []}
    for res in plan.resources():
        if res.type == LUSTRE:
            value = res.inputs.get("subnetIds")
            for ref in (value if isinstance(value, list) else [value]):
                name = ref.get("$ref") if isinstance(ref, dict) else ref
                if name in subnets:
                    return subnets[name]
    return next(iter(subnets.values()), None)


def _lustre_zone(plan: Plan) -> str | None:
    """The zone of the subnet the file system is placed in."""
    subnet = _lustre_subnet(plan)
    return subnet.get("availability_zone") if subnet else None


def to_dot(plan: Plan) -> str:
    """The DOT source of the Plan's topology (a left-to-right graph of nested clusters)."""
    dot = _Dot()
    dot.add("digraph topology {")
    dot.depth = 1
    dot.add('graph [rankdir="LR", compound="true", fontname="Helvetica", fontsize="11", nodesep="0.15", ranksep="0.5"];')
    dot.add('node [fontname="Helvetica", fontsize="10"];')
    dot.add('edge [fontname="Helvetica", fontsize="9"];')
    net = plan.network or {}
    colours = family_colours(plan)
    pools_by_subnet: dict[str, list[dict[str, Any]]] = {}
    for pool in plan.pools:
        pools_by_subnet.setdefault(pool.get("subnet") or pool.get("existing_subnet_id") or "existing", []).append(pool)
    subnets = list(net.get("subnets") or [])
    known = {s.get("name") for s in subnets}
    for name in pools_by_subnet:
        if name not in known:  # an existing subnet the Plan does not create
            zone = next((p.get("availability_zone") for p in pools_by_subnet[name]), "?")
            subnets.append({"name": name, "availability_zone": zone, "cidr": None, "pools": []})
    zones = list(dict.fromkeys(s.get("availability_zone") for s in subnets))
    vpc = net.get("vpc_id") or "new VPC"
    cidrs = [c for c in [net.get("vpc_cidr"), *(net.get("secondary_cidrs") or [])] if c]
    dot.open("vpc", label=f"VPC {plan.name} ({vpc}) · {plan.region}\n{', '.join(cidrs) or 'existing CIDRs'}",
             style="rounded", color="#555555", labeljust="l")
    lustre_zone = _lustre_zone(plan) if (plan.storage or {}).get("lustre") else None
    lustre_subnet = (_lustre_subnet(plan) or {}).get("name") if lustre_zone else None
    endpoints = [r for r in plan.resources() if r.type == ENDPOINT]
    anchors: list[str] = []  # one node per pool, for edges to the file system
    # Clusters are written last to first as well, so zones, subnets and pools read top-down in spec order.
    for zi, zone in reversed(list(enumerate(zones))):
        dot.open(f"zone{zi}", label=f"zone {zone}", style="rounded,filled", fillcolor="#f5f7fa",
                 color="#8899aa", labeljust="l")
        for pub in [p for p in net.get("public_subnets") or [] if p.get("availability_zone") == zone]:
            dot.open(f"pub{zi}", label=f"public subnet {pub.get('cidr')}", style="rounded", color="#aaaaaa")
            dot.node(f"nat{zi}", label="NAT gateway", shape="box", style="rounded")
            dot.close()
        for si, sub in reversed(list(enumerate(s for s in subnets if s.get("availability_zone") == zone))):
            ips = (f"{_n(sub.get('ips_needed'))} of {_n(sub.get('ips_total'))} IPs" if sub.get("ips_total")
                   else "existing subnet")
            where = " · ".join(x for x in (sub.get("cidr"), ips) if x)
            dot.open(f"z{zi}s{si}", label=f"subnet {sub.get('name')}\n{where}",
                     style="rounded,filled", fillcolor="#ffffff", color="#8899aa", labeljust="l")
            for pool in reversed(pools_by_subnet.get(sub.get("name"), [])):
                key = f"pool.{pool.get('name')}"
                colour = colours.get(pool.get("family") or "", "#888888")
                dot.open(key, label=_pool_label(pool), style="rounded,filled", fillcolor=colour + "14",
                         color=colour, labeljust="l")
                domains = _domains(dot, pool, key, colour)
                efa = _efa(dot, pool, key, domains, colour)
                if not domains:
                    dot.node(f"{key}.inst", label=f"{_n(pool.get('instances'))} × {pool.get('instance_type') or '?'}",
                             shape="box", style="rounded", color=colour)
                    domains = [f"{key}.inst"]
                anchors.append(efa or domains[0])
                dot.close()
            if sub.get("name") == lustre_subnet:  # drawn inside its subnet (a subnet of only services shows too)
                _fsx(dot, plan)
            elif not pools_by_subnet.get(sub.get("name")):
                dot.node(f"z{zi}s{si}.empty", label="(no pools)", shape="plaintext")
            dot.close()
        if lustre_zone == zone and not any(s.get("name") == lustre_subnet for s in subnets):
            _fsx(dot, plan)
        dot.close()
    for ei, res in enumerate(endpoints):
        service = str(res.inputs.get("serviceName", "endpoint")).rsplit(".", 1)[-1]
        dot.node(f"vpce{ei}", label=f"VPC endpoint\n{service} ({res.inputs.get('vpcEndpointType', 'Gateway')})",
                 shape="component")
    dot.close()
    if any(True for _ in _nat(plan)):
        dot.node("internet", label="internet", shape="plaintext")
        for zi in range(len(zones)):
            if any(p.get("availability_zone") == zones[zi] for p in net.get("public_subnets") or []):
                dot.edge(f"nat{zi}", "internet", style="dashed", color="#999999")
    if lustre_zone is not None:
        for anchor in anchors:
            dot.edge(anchor, "fsx", style="dashed", color="#b8860b", arrowhead="none")
    dot.depth = 0
    dot.add("}")
    return "\n".join(dot.lines) + "\n"


def _fsx(dot: Any, plan: Plan) -> None:
    lustre = plan.storage["lustre"]
    dot.node("fsx", label=f"FSx for Lustre\n{_n(lustre.get('capacity_tib'))} TiB {lustre.get('deployment', '')}"
                          f"\n{lustre.get('throughput_per_tib', '?')} MB/s per TiB",
             shape="cylinder", style="filled", fillcolor="#fff4d6", color="#b8860b")


def _nat(plan: Plan) -> Iterable[Any]:
    return (r for r in plan.resources() if r.type == NAT)
