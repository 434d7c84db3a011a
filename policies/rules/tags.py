"""Tagging rules."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner import tokens as T

from ..context import (
    ASG, EBS_VOLUME, IAM_POLICY, IAM_ROLE, INSTANCE, LAUNCH_TEMPLATE, LUSTRE, PLACEMENT_GROUP,
    SECURITY_GROUP, SG_EGRESS, SG_INGRESS, SUBNET, VPC, as_list, inputs,
)
from ..registry import MANDATORY, REGISTRY

# Resource types that take tags and cost money or hold data (what a cost report groups by).
TAGGABLE = T.TAGGABLE  # planner/tokens.py


def tag_keys(resource: Mapping[str, Any]) -> set[str]:
    """Tag keys a resource carries: a `tags` map, or an auto-scaling group's list of {key, value}."""
    tags = inputs(resource).get("tags")
    if isinstance(tags, Mapping):
        return set(tags)
    return {t.get("key") for t in as_list(tags) if isinstance(t, Mapping)}


@REGISTRY.resource(
    "required-tags", level=MANDATORY, severity="medium", tags=("governance", "cost"),
    types=TAGGABLE, fix_at="tags",
    description="Taggable resources carry every tag key listed in the `tags` setting.",
    remediation="Add the missing keys under `tags:` in the spec (every resource inherits them), or change "
                "the `tags` setting in policies.config.",
    config={"properties": {"tags": {
        "type": "array", "items": {"type": "string"}, "default": ["ultraplan:cluster"],
        "description": "Tag keys every taggable resource must carry, e.g. [\"team\", \"cost-center\"].",
    }}},
)
def required_tags(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """Cost allocation, ownership and clean-up of a cluster costing millions a month depend on tags;
    an untagged NAT gateway or file system outlives the cluster unnoticed. The default asks only for
    the tag ultraplan puts on everything it plans; an organisation lists its own keys."""
    present = tag_keys(resource)
    missing = [k for k in config.get("tags", []) if k not in present]
    if missing:
        yield f"missing tag{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
