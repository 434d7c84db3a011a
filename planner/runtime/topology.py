"""What a scheduler needs to place jobs inside NVLink domains, from the Plan: a Slurm topology.yaml
and a Kueue Topology (with a ResourceFlavor per UltraServer pool). One block = one UltraServer, always.

Slurm, topology.yaml(5) (https://slurm.schedmd.com/topology.yaml.html): a list of topologies, each
`topology: <name>`, optionally `cluster_default: true`, and exactly one type; a `block` topology has
`block_sizes` (the planning base block size first, then any larger sizes, each a power of two times
the one before) and `blocks`, each `block: <name>` with `nodes: <hostlist>`. A partition picks its
topology with `Topology=<name>` in slurm.conf (Slurm 25.05+). Each UltraServer pool gets its own block
topology, base size = its UltraServer's instances; a `flat` topology covers every other node.

Kueue, "Topology" (https://kueue.sigs.k8s.io/docs/concepts/topology/): `kueue.x-k8s.io/v1beta2`
Topology with `spec.levels` of node labels, coarsest first, `kubernetes.io/hostname` only last; a
ResourceFlavor names it in `spec.topologyName` and needs at least one `spec.nodeLabels` entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..plan.model import Plan
from . import names


@dataclass(frozen=True)
class Block:
    """One UltraServer: one auto-scaling group, one NVLink domain, one Slurm block."""

    pool: str
    domain: str  # the group's ultraplan:nvlink-domain tag value
    size: int

    @property
    def hostnames(self) -> list[str]:
        return names.hostnames(self.domain, self.size)

    @property
    def nodes(self) -> str:
        return names.hostlist(self.domain, self.size)


def _domain_tag(group: Any) -> str | None:
    for tag in group.inputs.get("tags") or []:
        if tag.get("key") == names.DOMAIN_TAG:
            return tag.get("value")
    return None


def blocks(plan: Plan) -> dict[str, list[Block]]:
    """pool -> its UltraServers, read from the Plan: each group of an UltraServer pool and the domain
    tag it propagates to its instances (the name ultraplan-node builds hostnames from)."""
    by_name = plan.by_name()
    out: dict[str, list[Block]] = {}
    for pool in plan.pools:
        if pool.get("kind") != "ultraserver":
            continue
        pool_blocks = []
        for group in pool["groups"]:
            domain = _domain_tag(by_name[group])
            if domain is None:  # a Plan the compiler did not make; say which group
                raise ValueError(f"group {group} of UltraServer pool {pool['name']} has no {names.DOMAIN_TAG} tag")
            pool_blocks.append(Block(pool["name"], domain, int(pool["instances_per_ultraserver"])))
        out[pool["name"]] = pool_blocks
    return out


def slurm_topology(plan: Plan) -> str:
    """topology.yaml: a block topology per UltraServer pool, then `flat` for every other node."""
    per_pool = blocks(plan)
    topologies: list[dict[str, Any]] = []
    for k, (pool, pool_blocks) in enumerate(per_pool.items()):
        topologies.append({
            "topology": pool, "cluster_default": k == 0,
            "block": {"block_sizes": [pool_blocks[0].size],
                      "blocks": [{"block": b.domain, "nodes": b.nodes} for b in pool_blocks]},
        })
    topologies.append({"topology": "flat", "cluster_default": not per_pool, "flat": True})
    head = [
        f"# Slurm topology for cluster {plan.name}, written by `ultraplan runtime` from its Plan.",
        "# One block per UltraServer (one NVLink or NeuronLink domain); node names are the hostnames",
        "# ultraplan-node sets at boot (docs/runtime.md). In slurm.conf give each UltraServer pool's",
        "# partition Topology=<pool>; other partitions use Topology=flat.",
    ]
    if not per_pool:
        head.append("# This cluster has no UltraServer pools: no blocks.")
    return "\n".join(head) + "\n" + yaml.safe_dump(topologies, sort_keys=False, width=1000)


def kueue_topology(plan: Plan) -> str:
    """A Kueue Topology (NVLink domain, then hostname) and a ResourceFlavor per UltraServer pool."""
    name = f"{plan.name}-nvlink"
    head = (f"# Kueue topology for cluster {plan.name}, written by `ultraplan runtime` from its Plan.\n"
            "# The node labels are the ones ultraplan-node writes to /etc/ultraplan/node-labels (docs/runtime.md).\n")
    if not blocks(plan):
        return head + "# This cluster has no UltraServer pools: each instance is its own NVLink domain, no Topology.\n"
    docs: list[dict[str, Any]] = [{
        "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Topology", "metadata": {"name": name},
        "spec": {"levels": [{"nodeLabel": names.LABEL_NVLINK_DOMAIN}, {"nodeLabel": names.LABEL_HOSTNAME}]},
    }]
    for pool in blocks(plan):
        docs.append({
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "metadata": {"name": f"{plan.name}-{pool}"},
            "spec": {"nodeLabels": {names.LABEL_CLUSTER: plan.name, names.LABEL_POOL: pool}, "topologyName": name},
        })
    return head + yaml.safe_dump_all(docs, sort_keys=False, width=1000)


def summary(plan: Plan) -> list[dict[str, Any]]:
    return [{"pool": pool, "blocks": len(bs), "block_size": bs[0].size, "first": bs[0].nodes}
            for pool, bs in blocks(plan).items()]
