"""A small helper that collects Plan resources with tags, sources and unique names."""
from __future__ import annotations

from typing import Any

from ..findings import Source
from ..plan import Resource

# Types whose pulumi-aws resource takes a `tags` map.
TAGGABLE = {
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/securityGroup:SecurityGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile", "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:ec2/placementGroup:PlacementGroup", "aws:ec2/launchTemplate:LaunchTemplate",
}


class Builder:
    def __init__(self, file: str | None, cluster: str, tags: dict[str, str]) -> None:
        self.file = file
        self.cluster = cluster
        self.base_tags = {**tags, "ultraplan:cluster": cluster}
        self.names: set[str] = set()

    def tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.base_tags, **(extra or {}), "Name": f"{self.cluster}-{name}"}

    def add(self, out: list[Resource], type_: str, name: str, inputs: dict[str, Any], *, line: int | None,
            depends_on: list[str] | None = None, pool: str | None = None, tags: dict[str, str] | None = None) -> str:
        if name in self.names:
            raise ValueError(f"duplicate plan resource name {name}")  # a compiler bug, never user input
        self.names.add(name)
        if type_ in TAGGABLE and "tags" not in inputs:
            inputs["tags"] = self.tags(name, tags)
        out.append(Resource(type_, name, inputs, depends_on or [], Source(self.file, line), pool))
        return name
