"""Fabrics: pools that must share one EFA network, and the largest fabric each cell can hold.

EFA traffic does not leave its Availability Zone (or Local Zone) and VPC (EC2 User Guide, Elastic
Fabric Adapter: "EFA traffic can't cross Availability Zones or VPCs"), and a VPC is one account's,
so every pool of a fabric must be in one cell and one zone.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..findings import Finding, Level, Registry, Source
from .limits import CellContext, interface_need, vcpu_needs
from .quotas import entries

FABRIC_CHECKS = Registry()


@FABRIC_CHECKS.check("fleet.fabric.one-zone", Level.ERROR, "A fabric's pools share one cell and one zone")
def one_zone(fleet: Any) -> Iterable[Finding]:
    """Every pool named in a fabric is in the same cell and the same zone as the fabric's other pools
    (EFA stays within one zone and VPC, so a fabric split across cells or zones is no fabric)."""
    for i, fabric in enumerate(fleet.doc.fleet.fabrics):
        where: dict[tuple[str, str], list[str]] = {}
        for ref in fabric.pools:
            cell, _, pool = ref.partition("/")
            cp = next((c for c in fleet.cells if c.name == cell), None)
            if cp is None:
                continue
            rec = next((p for p in cp.plan.pools if p["name"] == pool), None)
            if rec is None:
                continue
            where.setdefault((cell, rec["availability_zone"]), []).append(ref)
        if len(where) > 1:
            parts = "; ".join(f"{', '.join(refs)} in cell {c} zone {z}" for (c, z), refs in where.items())
            cells = {c for c, _ in where}
            biggest = max(where.items(), key=lambda kv: len(kv[1]))[0]
            yield Finding("fleet.fabric.one-zone", Level.ERROR,
                          f"fabric {fabric.name} spans {'cells' if len(cells) > 1 else 'zones'}: {parts}; EFA traffic "
                          "does not leave its zone and VPC",
                          hint=f"move its pools into cell {biggest[0]}, zone {biggest[1]}, or split the fabric in two",
                          source=Source(fleet.doc.file, fleet.doc.line("fabrics", i)))


def largest_fabric(ctx: CellContext) -> dict[str, Any] | None:
    """The most UltraServers (or EFA instances) of the cell's largest EFA unit one fabric in this cell
    could hold within its limits (stated increases counted as granted), and the quota that binds.
    None when the cell has no EFA pool."""
    pools = [p for p in ctx.plan.pools if p.get("efa_interfaces_per_instance")]
    if not pools:
        return None
    pool = max(pools, key=lambda p: (p["gpus"] // max(1, p["count"]), p["name"]))
    ultra = pool["kind"] == "ultraserver"
    unit_instances = pool["instances"] // max(1, pool["count"]) if ultra else 1
    unit_gpus = pool["gpus"] // max(1, pool["count"] if ultra else pool["instances"])
    per_unit = {
        "auto-scaling-groups": 1 if ultra else 0,
        "network-interfaces": unit_instances * int(pool.get("interfaces_per_instance") or 1),
    }
    needs, _ = vcpu_needs([{**pool, "instances": unit_instances}])
    per_unit.update(needs)
    usage = ctx.usage
    others = {"auto-scaling-groups": usage.get("auto_scaling_groups", 0) - sum(
                  p["count"] if p["kind"] == "ultraserver" else 1 for p in pools if p["name"] == pool["name"]),
              "network-interfaces": interface_need(ctx.plan) - pool["instances"] * int(pool.get("interfaces_per_instance") or 1)}
    all_needs, _ = vcpu_needs(ctx.plan.pools)
    own, _ = vcpu_needs([pool])
    for k in needs:
        others[k] = all_needs.get(k, 0) - own.get(k, 0)
    best, binding = None, None
    for key, per in per_unit.items():
        if per <= 0:
            continue
        entry = entries()[key]
        qv = ctx.value(entry)
        limit = qv.value
        inc = ctx.increases.get(key)
        if inc is not None:
            limit = max(limit or 0, inc.value)
        if limit is None:
            continue
        room = max(0, (limit - qv.in_use - others.get(key, 0)) // per)
        if best is None or room < best:
            best, binding = room, f"{entry.title} ({qv.code or 'no code'})"
    if best is None:
        return {"pool": pool["name"], "unit": pool["ultraserver_type"] or pool["instance_type"], "units": None, "gpus": None,
                "bound_by": "unknown quotas"}
    return {"pool": pool["name"], "unit": pool["ultraserver_type"] if ultra else pool["instance_type"], "units": best,
            "gpus": best * unit_gpus, "bound_by": binding}


@FABRIC_CHECKS.check("fleet.fabric.largest", Level.INFO, "The largest fabric each cell can hold")
def largest(fleet: Any) -> Iterable[Finding]:
    """Per cell, how many of its largest EFA unit (an UltraServer, or an EFA instance) one fabric in
    the cell could hold within the cell's limits (stated increases counted as granted), and the quota
    that binds: the room a fabric has to grow before it needs another increase."""
    from .limits import context_for

    for cp in fleet.cells:
        ctx = context_for(cp, fleet.doc)
        found = largest_fabric(ctx)
        if found is None or found["units"] is None:
            continue
        yield Finding("fleet.fabric.largest", Level.INFO,
                      f"cell {cp.name}: the largest fabric it can hold is {found['units']:,} x {found['unit']} "
                      f"({found['gpus']:,} accelerators), bound by {found['bound_by']}", source=ctx.source)
