"""Storage rules: FSx for Lustre.

Facts: FSx for Lustre User Guide ("Data encryption": every file system is encrypted at rest; encryption
in transit on PERSISTENT_1/2 and SCRATCH_2, not SCRATCH_1).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner.catalog import fsx

from ..context import LUSTRE, as_list, inputs
from ..registry import MANDATORY, REGISTRY

# Deployment types that encrypt data in transit (catalog fsx_lustre.yaml, with its source).
IN_TRANSIT_ENCRYPTED = fsx.in_transit_encrypted()


@REGISTRY.resource(
    "fsx-encrypted-in-vpc", level=MANDATORY, severity="high", tags=("security", "storage"),
    types=(LUSTRE,),
    description="FSx for Lustre is encrypted at rest and in transit and lives in one subnet of the VPC behind a security group.",
    remediation="Use deploymentType PERSISTENT_2 (or SCRATCH_2), one subnetIds entry in the cluster's "
                "subnet, securityGroupIds set; set kmsKeyId when requireKmsKey is on.",
    config={"properties": {"requireKmsKey": {
        "type": "boolean", "default": False,
        "description": "Require a customer-managed KMS key (kmsKeyId) on persistent file systems.",
    }}},
)
def fsx_encrypted_in_vpc(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """FSx for Lustre always encrypts at rest, but only PERSISTENT_1/2 and SCRATCH_2 encrypt traffic
    between clients and servers; SCRATCH_1 sends training data in clear. The file system must sit in
    exactly one subnet of the cluster's VPC (Lustre takes one subnet) with a security group, so that
    its traffic never leaves the VPC. With `requireKmsKey`, persistent file systems name a
    customer-managed key."""
    i = inputs(resource)
    deployment = i.get("deploymentType") or "SCRATCH_1"  # the provider's default
    if deployment not in IN_TRANSIT_ENCRYPTED:
        yield f"deploymentType {deployment} does not encrypt data in transit"
    subnets = as_list(i.get("subnetIds"))
    if len(subnets) != 1:
        yield f"subnetIds has {len(subnets)} entries; a Lustre file system lives in exactly one subnet of the VPC"
    if not as_list(i.get("securityGroupIds")):
        yield "no securityGroupIds: the file system would get the VPC's default security group"
    if config.get("requireKmsKey") and deployment.startswith("PERSISTENT") and not i.get("kmsKeyId"):
        yield "no kmsKeyId (requireKmsKey is on)"
