"""What the node runtime may do in AWS: the node role's inline policy (least privilege).

Service Authorization Reference, Amazon EC2: DescribeInstances and DescribeInstanceTopology support no
resource-level permissions (their resource column is empty), so they can only be granted on "*"; they
only read. Everything that writes is scoped to this cluster by tag: CreateTags only on instances that
carry `ultraplan:cluster = <cluster>` and only for the runtime's own tag keys (`aws:TagKeys`), and
autoscaling:SetInstanceHealth only on groups tagged the same (`autoscaling:ResourceTag/...`, the
condition the Service Authorization Reference lists for that action). The Lustre parameters are read
by path, under /ultraplan/<cluster>/lustre/ only.
"""
from __future__ import annotations

from typing import Any

# The tags ultraplan-node writes on its own instance (planner/runtime/ultraplan-node.sh).
RUNTIME_TAG_KEYS = ("ultraplan:boot", "ultraplan:efa", "ultraplan:hostname", "ultraplan:slot")


def partition(region: str) -> str:
    return "aws-us-gov" if region.startswith("us-gov-") else "aws-cn" if region.startswith("cn-") else "aws"


def lustre_parameter_path(cluster: str) -> str:
    """Where the storage stack writes the file system's DNS name, mount name and version."""
    return f"/ultraplan/{cluster}/lustre"


def node_runtime_policy(cluster: str, region: str, lustre: bool) -> dict[str, Any]:
    part = partition(region)
    statements: list[dict[str, Any]] = [
        {"Sid": "FindUltraServerPeers", "Effect": "Allow",
         "Action": ["ec2:DescribeInstances", "ec2:DescribeInstanceTopology"],
         "Resource": "*"},  # Describe* take no resource-level permissions (see above)
        {"Sid": "TagOwnInstance", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": f"arn:{part}:ec2:{region}:*:instance/*",
         "Condition": {"StringEquals": {"aws:ResourceTag/ultraplan:cluster": cluster},
                       "ForAllValues:StringEquals": {"aws:TagKeys": list(RUNTIME_TAG_KEYS)}}},
        {"Sid": "ReportUnhealthyNode", "Effect": "Allow", "Action": "autoscaling:SetInstanceHealth",
         "Resource": f"arn:{part}:autoscaling:{region}:*:autoScalingGroup:*:autoScalingGroupName/*",
         "Condition": {"StringEquals": {"autoscaling:ResourceTag/ultraplan:cluster": cluster}}},
    ]
    if lustre:
        statements.append({"Sid": "ReadLustreMountFacts", "Effect": "Allow", "Action": "ssm:GetParameters",
                           "Resource": f"arn:{part}:ssm:{region}:*:parameter{lustre_parameter_path(cluster)}/*"})
    return {"Version": "2012-10-17", "Statement": statements}
