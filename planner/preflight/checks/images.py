"""The AMI a pool names exists, is available, fits the type's architecture and its root volume."""
from __future__ import annotations

from typing import Iterable

from ...findings import Finding, Level
from ..account import AccountError
from ..context import Context
from . import check


@check("preflight.ami.compatible", Level.ERROR, "Pool AMIs exist and fit type and root volume")
def ami_compatible(ctx: Context) -> Iterable[Finding]:
    """Every AMI a pool names is visible to the account and available, is built for the instance
    type's architecture (arm64 for p6e-gb200's Grace CPUs, x86_64 for p5), and its root snapshot
    is no larger than the pool's root volume (one batched DescribeImages). Fix: pick the AMI for
    the right architecture and region, or raise the pool's root volume size."""
    cid = "preflight.ami.compatible"
    if not any(p.get("ami") for p in ctx.pools):
        return
    try:
        images = ctx.images()
    except AccountError as err:
        yield ctx.could_not(cid, "the pools' AMIs", err)
        return
    try:
        facts = ctx.account_types()
    except AccountError:
        facts = {}
    for pool in ctx.pools:
        ami = pool.get("ami")
        if not ami:
            continue
        img = images.get(ami)
        if img is None:
            yield ctx.finding(cid, Level.ERROR, f"AMI {ami} does not exist in {ctx.plan.region} or is not shared "
                              "with this account", hint="AMIs are regional: copy it or use this region's id", pool=pool)
            continue
        gap = ctx.lacking(cid, img, ["state", "architecture", "root_gib"], f"AMI {ami}", operation="DescribeImages",
                          pool=pool)
        if gap is not None:
            yield gap
            continue
        if img.get("state") not in (None, "available"):
            yield ctx.finding(cid, Level.ERROR, f"AMI {ami} is {img['state']}, not available", pool=pool)
        archs = (facts.get(pool["instance_type"]) or {}).get("architectures") or (
            [pool["architecture"]] if pool.get("architecture") else [])
        if img.get("architecture") and archs and img["architecture"] not in archs:
            yield ctx.finding(cid, Level.ERROR, f"AMI {ami} is {img['architecture']}; {pool['instance_type']} runs "
                              f"{'/'.join(archs)}", hint="use an AMI built for the type's architecture", pool=pool)
        root, size = img.get("root_gib"), pool.get("root_volume_gib")
        if root and size and int(size) < int(root):
            yield ctx.finding(cid, Level.ERROR, f"root volume of {size} GiB is smaller than AMI {ami}'s {root} GiB "
                              "snapshot", hint=f"set the pool's root volume to at least {root} GiB", pool=pool)
