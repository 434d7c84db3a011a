"""Pulumi resource options for stateful and foundational resources, by type token.

`protect` makes `pulumi up`/`destroy` refuse to delete the resource (a replacement included) until
the option is lifted on purpose; `retainOnDelete` keeps the cloud resource when Pulumi does delete it
from the stack, so data outlives a mistaken change (Pulumi docs, resource options `protect` and
`retainOnDelete`). The file system holds the training data; the VPC holds everything else.
"""
from __future__ import annotations

from typing import Any, Iterable

from planner import tokens as T

from ..plan.model import Resource

PROTECTED: dict[str, dict[str, Any]] = {
    # Data: deleting it loses the data; keep it in AWS even if it leaves the stack.
    T.LUSTRE: {"protect": True, "retainOnDelete": True},
    T.EBS_VOLUME: {"protect": True, "retainOnDelete": True},
    # Foundation: replacing it replaces every subnet, group and instance in it. Not retained: a VPC
    # left behind by a deliberate delete would only leak addresses.
    T.VPC: {"protect": True},
}


def apply(resources: Iterable[Resource]) -> None:
    for r in resources:
        options = PROTECTED.get(r.type)
        if options:
            r.options = {**options, **r.options}
