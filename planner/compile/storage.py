"""Storage: FSx for Lustre in the cluster's home subnet, with its own security group and the rules
both sides need.

FSx for Lustre User Guide, "File system access control with Amazon VPC"
(https://docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html): the file
system's group allows inbound TCP 988 and 1018-1023 from itself and from the clients' groups, and,
where its outbound traffic is restricted, outbound on the same ports to itself and to the clients;
the clients' group allows the same ports to and from the file system's group. The Pulumi (Terraform)
provider removes AWS's default allow-all egress from every group it creates, so every one of those
directions is an explicit rule here (aws-gpu-facts.md, "Security groups created through
Pulumi/Terraform"); planner.plan.reachability and the `nodes-reach-lustre` policy prove the flows.
"""
from __future__ import annotations

from typing import Any

from planner import tokens as T

from ..catalog.fsx import efa_decision, lustre_features
from ..plan.model import Resource, ref
from ..spec.load import SpecDocument
from .builder import Builder
from .userdata import lustre_parameters

LUSTRE_PORTS = ((988, 988), (1018, 1023))


def lustre_capacity_gib(lustre: Any) -> int:
    """The StorageCapacity in GiB; validate has checked it is a size FSx accepts (catalog/fsx_lustre.yaml)."""
    return int(lustre.capacity_gib if lustre.capacity_gib is not None else round(lustre.capacity_tib * 1024))


def build(doc: SpecDocument, b: Builder, subnet: Any, vpc_id: Any,
          efa_families: list[str] | None = None) -> tuple[list[Resource], dict[str, Any] | None, list[dict]]:
    storage = doc.spec.storage
    if not storage or not storage.lustre:
        return [], None, []
    lustre = storage.lustre
    out: list[Resource] = []
    notes = []
    line = doc.line("storage", "lustre")
    features = lustre_features()
    efa, why_not = efa_decision(lustre, list(efa_families or []))
    b.add(out, T.SECURITY_GROUP, "lustre-sg",
          {"vpcId": vpc_id, "description": f"{doc.spec.name}: FSx for Lustre servers"}, line=line)
    # An EFA-enabled file system needs all traffic between the file system's group and the clients'
    # group, both ways, and within its own group (FSx for Lustre UG, limit-access-security-groups):
    # those rules replace the TCP 988 / 1018-1023 ones, which they cover.
    for group, peer in (("lustre-sg", "efa-sg"), ("lustre-sg", "lustre-sg"), ("efa-sg", "lustre-sg")):
        for low, high in (((None, None),) if efa else LUSTRE_PORTS):
            for kind, direction in (("ingress", "from"), ("egress", "to")):
                token = T.INGRESS_RULE if kind == "ingress" else T.EGRESS_RULE
                if efa:
                    rule = {"ipProtocol": "-1", "description": f"EFA-enabled Lustre: all traffic {direction} {peer}"}
                else:
                    rule = {"ipProtocol": "tcp", "fromPort": low, "toPort": high,
                            "description": f"Lustre tcp {low if low == high else f'{low}-{high}'} {direction} {peer}"}
                b.add(out, token, f"{group}-{kind}-{'all' if efa else low}-{peer}", {
                    "securityGroupId": ref(group), "referencedSecurityGroupId": ref(peer), **rule}, line=line)
    capacity = lustre_capacity_gib(lustre)
    inputs: dict[str, Any] = {
        "storageCapacity": capacity, "deploymentType": lustre.deployment,
        # 2.15 for every file system (catalog/fsx_lustre_features.yaml): the API's default is older.
        "fileSystemTypeVersion": features["file_system_type_version"]["value"],
        # pulumi-aws 7: subnetIds is one subnet id (a string), not a list.
        "subnetIds": subnet,
        "securityGroupIds": [ref("lustre-sg")], "storageType": "SSD",
    }
    if lustre.throughput_per_tib is not None:
        inputs["perUnitStorageThroughput"] = lustre.throughput_per_tib
    if lustre.kms_key_id:
        inputs["kmsKeyId"] = lustre.kms_key_id
    metadata = features["metadata_configuration"].get(lustre.deployment)
    if metadata:
        inputs["metadataConfiguration"] = dict(metadata)
    if efa:
        inputs["efaEnabled"] = True
        notes.append({"level": "info", "source": {"file": doc.file, "line": line},
                      "message": "FSx for Lustre is EFA-enabled (fixed at creation: changing it replaces the file "
                                 "system); its price is taken as PERSISTENT_2 SSD (UNCONFIRMED)"})
    elif lustre.deployment == "PERSISTENT_2" and lustre.efa is None and efa_families:
        notes.append({"level": "info", "source": {"file": doc.file, "line": line},
                      "message": "FSx for Lustre without EFA: " + "; ".join(why_not)})
    b.add(out, T.LUSTRE, "lustre", inputs, line=line,
          depends_on=[f"lustre-sg-ingress-{'all' if efa else LUSTRE_PORTS[0][0]}-efa-sg"])
    lustre_parameters(doc, b, out, line)  # the mount facts nodes read at boot (docs/runtime.md)
    record = {"lustre": {"name": "lustre", "capacity_gib": capacity, "capacity_tib": capacity / 1024,
                         "deployment": lustre.deployment, "throughput_per_tib": lustre.throughput_per_tib,
                         "version": inputs["fileSystemTypeVersion"], "efa": efa,
                         "source": {"file": doc.file, "line": line}}}
    return out, record, notes
