"""Component resources that group a stack's resources for reading (`pulumi preview`, the console).

They only parent: a grouped custom resource keeps its Plan type token, name and inputs; only its URN
gains the component's type as a prefix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

POOL_TYPE = "ultraplan:index:Pool"
GROUP_TYPE = "ultraplan:index:Group"


@dataclass(frozen=True)
class GroupArgs:
    """One group of Plan resources: a compute pool's (part of it in this shard), or the rest of a stack."""

    shard: str  # the Plan stack this group belongs to
    pool: Optional[str]  # the pool's name, or None for resources shared by the cluster
    resources: tuple[str, ...]  # names of the Plan resources parented here, in Plan order


class ResourceGroup(pulumi.ComponentResource):
    """Parent of the Plan resources of one pool (type ``ultraplan:index:Pool``) or of a stack's shared
    resources (``ultraplan:index:Group``, named after the stack: ``network``, ``storage``)."""

    def __init__(self, name: str, args: GroupArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(POOL_TYPE if args.pool else GROUP_TYPE, name, None, opts)
        self.args = args

    def finish(self) -> None:
        """Mark the component complete once its children exist (no outputs of its own)."""
        self.register_outputs({"resources": len(self.args.resources)})
