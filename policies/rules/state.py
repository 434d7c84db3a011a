"""State rules: what a mistaken `pulumi up` or `pulumi destroy` must not be able to delete.

Facts: Pulumi resource options `protect` (the engine refuses to delete or replace the resource until
the option is lifted) and `retainOnDelete` (the cloud resource stays when Pulumi deletes it from the
stack); the policy engine passes `protect` to rules in ResourceValidationArgs.opts, not retainOnDelete.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..context import EBS_VOLUME, LUSTRE, VPC
from ..registry import MANDATORY, REGISTRY

DATA_TYPES = (LUSTRE, EBS_VOLUME)


@REGISTRY.resource(
    "stateful-resources-protected", level=MANDATORY, severity="critical", tags=("reliability", "state"),
    types=(LUSTRE, EBS_VOLUME, VPC),
    description="File systems, standalone volumes and the VPC are protected from deletion (Pulumi `protect`), "
                "and data is retained if deleted anyway (`retainOnDelete`).",
    remediation="Set the resource options protect: true (and retainOnDelete: true on file systems and volumes); "
                "the ultraplan compiler does this for every Plan (planner/compile/protection.py).",
)
def stateful_resources_protected(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """A file system holds the training data and the VPC holds everything else: a change that replaces
    or deletes them by accident loses data or every running instance. With `protect`, `pulumi up`
    stops at such a change until someone lifts the option on purpose. File systems and volumes must
    also set `retainOnDelete`, so that data outlives a resource removed from the program; the engine
    does not show that option to policies, so only the offline run (`ultraplan policy`) checks it."""
    options = resource.get("options") or {}
    if not options.get("protect"):
        yield f"{resource.get('name')} is not protected (resource option protect)"
    # None: the engine does not say (it passes no retainOnDelete to policies); absent offline = not set.
    if resource.get("type") in DATA_TYPES and options.get("retainOnDelete", False) is False:
        yield f"{resource.get('name')} does not set retainOnDelete: deleting it from the stack would delete its data"
