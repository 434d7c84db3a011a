"""Storage: FSx for Lustre in the cluster's home subnet, with its own security group.

Lustre clients reach the servers on TCP 988 and 1018-1023, and the servers talk to each other on the
same ports (FSx for Lustre User Guide, limit-access-security-groups).
"""
from __future__ import annotations

import math
from typing import Any

from ..plan import Resource, ref
from ..validate import SpecDocument
from .builder import Builder

LUSTRE_PORTS = ((988, 988), (1018, 1023))
# storage_capacity: 1200 GiB, 2400 GiB, then steps of 2400 GiB (aws-gpu-facts.md, pulumi-aws notes).
FIRST_SIZES = (1200, 2400)
STEP_GIB = 2400


def lustre_capacity_gib(tib: float) -> int:
    gib = math.ceil(tib * 1024)
    for size in FIRST_SIZES:
        if gib <= size:
            return size
    return math.ceil(gib / STEP_GIB) * STEP_GIB


def build(doc: SpecDocument, b: Builder, subnet: Any, vpc_id: Any) -> tuple[list[Resource], dict[str, Any] | None, list[dict]]:
    storage = doc.spec.storage
    if not storage or not storage.lustre:
        return [], None, []
    lustre = storage.lustre
    out: list[Resource] = []
    notes = []
    line = doc.line("storage", "lustre")
    b.add(out, "aws:ec2/securityGroup:SecurityGroup", "lustre-sg",
          {"vpcId": vpc_id, "description": f"{doc.spec.name}: FSx for Lustre servers"}, line=line)
    for low, high in LUSTRE_PORTS:
        for peer in ("efa-sg", "lustre-sg"):
            b.add(out, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"lustre-sg-ingress-{low}-{peer}", {
                "securityGroupId": ref("lustre-sg"), "referencedSecurityGroupId": ref(peer), "ipProtocol": "tcp",
                "fromPort": low, "toPort": high, "description": f"Lustre {low}-{high} from {peer}",
            }, line=line)
    b.add(out, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "lustre-sg-egress-self", {
        "securityGroupId": ref("lustre-sg"), "referencedSecurityGroupId": ref("lustre-sg"), "ipProtocol": "-1",
        "description": "Lustre servers to each other",
    }, line=line)
    capacity = lustre_capacity_gib(lustre.capacity_tib)
    if capacity != lustre.capacity_tib * 1024:
        notes.append({"level": "info", "message": f"storage.lustre.capacity_tib {lustre.capacity_tib:g} TiB rounded up to "
                      f"{capacity:,} GiB, the next size FSx for Lustre accepts (1200, 2400, then steps of 2400 GiB)",
                      "source": {"file": doc.file, "line": doc.line("storage", "lustre", "capacity_tib")}})
    inputs: dict[str, Any] = {
        "storageCapacity": capacity, "deploymentType": lustre.deployment,
        # pulumi-aws 7: subnetIds is one subnet id (a string), not a list.
        "subnetIds": subnet,
        "securityGroupIds": [ref("lustre-sg")], "storageType": "SSD",
    }
    if lustre.throughput_per_tib is not None:
        inputs["perUnitStorageThroughput"] = lustre.throughput_per_tib
    if lustre.kms_key_id:
        inputs["kmsKeyId"] = lustre.kms_key_id
    b.add(out, "aws:fsx/lustreFileSystem:LustreFileSystem", "lustre", inputs, line=line,
          depends_on=[f"lustre-sg-ingress-{LUSTRE_PORTS[0][0]}-efa-sg"])
    record = {"lustre": {"name": "lustre", "capacity_gib": capacity, "capacity_tib": lustre.capacity_tib,
                         "deployment": lustre.deployment, "throughput_per_tib": lustre.throughput_per_tib,
                         "source": {"file": doc.file, "line": line}}}
    return out, record, notes
