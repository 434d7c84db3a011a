"""Names the boot program sets and the scheduler topology uses: one place, so they cannot drift.

ultraplan-node names an UltraServer node `<nvlink-domain>-<slot>` (slot 01..N, two digits), where the
NVLink domain is the value its Auto Scaling group propagates in the `ultraplan:nvlink-domain` tag
(one group per UltraServer), and an instance-pool node `<pool>-<instance id>`. It writes the node
labels below to /etc/ultraplan/node-labels (key=value lines).
"""
from __future__ import annotations

DOMAIN_TAG = "ultraplan:nvlink-domain"

LABEL_CLUSTER = "ultraplan.io/cluster"
LABEL_POOL = "ultraplan.io/pool"
LABEL_NVLINK_DOMAIN = "ultraplan.io/nvlink-domain"
LABEL_HOSTNAME = "kubernetes.io/hostname"  # set by the kubelet from the hostname ultraplan-node sets
NODE_LABELS = (LABEL_CLUSTER, LABEL_POOL, LABEL_NVLINK_DOMAIN)


def slot_width(size: int) -> int:
    """Digits of a slot: two (the program's printf %02d), more only for a domain of 100+ instances."""
    return max(2, len(str(size)))


def hostnames(domain: str, size: int) -> list[str]:
    """The hostnames ultraplan-node gives the `size` instances of one UltraServer."""
    w = slot_width(size)
    return [f"{domain}-{k:0{w}d}" for k in range(1, size + 1)]


def hostlist(domain: str, size: int) -> str:
    """The same names as a Slurm hostlist expression: trainers-u0001-[01-18]."""
    w = slot_width(size)
    return f"{domain}-{1:0{w}d}" if size == 1 else f"{domain}-[{1:0{w}d}-{size:0{w}d}]"
