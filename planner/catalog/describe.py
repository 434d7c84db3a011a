"""One-line descriptions of catalog entries, for `ultraplan catalog list` and the editor schema.

Only facts the catalog carries (with its sources); what it does not know is said to be unknown.
"""
from __future__ import annotations

from . import Catalog, InstanceType, UltraServerType


def accelerators(itype: InstanceType) -> str:
    acc = itype.accelerator
    if acc is None:
        return "no accelerator"
    memory = f" {acc.memory_gib} GiB" if acc.memory_gib else ""
    return f"{acc.count} x {acc.model}{memory}"


def efa(itype: InstanceType) -> str:
    if not itype.efa_supported:
        return "no EFA"
    if itype.efa_max_interfaces:
        return f"EFA x{itype.efa_max_interfaces}"
    return "EFA (interfaces unknown)"


def instance(itype: InstanceType) -> str:
    """`p5.48xlarge`: 8 x NVIDIA H100 80 GiB, 192 vCPUs, EFA x32."""
    return f"{accelerators(itype)}, {itype.vcpus} vCPUs, {efa(itype)}"


def where_sold(ultra: UltraServerType) -> str:
    if ultra.zones:
        return "sold in " + ", ".join(ultra.zones)
    return "zones unconfirmed"


def ultraserver(ultra: UltraServerType, catalog: Catalog) -> str:
    """`u-p6e-gb200x72`: 18 x p6e-gb200.36xlarge, 72 GPUs in one NVLink domain, EFA x.., sold in ..."""
    member = catalog.instance_types.get(ultra.member)
    kind = "accelerators"
    if member is not None and member.accelerator is not None:
        kind = "GPUs" if member.accelerator.kind == "gpu" else member.accelerator.model
    link = "NVLink" if kind == "GPUs" else "NeuronLink"
    parts = [f"{ultra.instances} x {ultra.member}", f"{ultra.accelerators_per_domain} {kind} in one {link} domain"]
    if member is not None:
        parts.append(efa(member))
    parts.append(" or ".join(ultra.capacity_types))
    parts.append(where_sold(ultra))
    text = ", ".join(parts)
    if ultra.unconfirmed:
        text += f" (unconfirmed: {', '.join(ultra.unconfirmed)})"
    return text
