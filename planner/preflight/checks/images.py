"""The AMI a pool names exists, is available, fits the type's architecture and its root volume."""
from __future__ import annotations

from typing import Iterable

from ...findings import Finding, Level
from ..account import AccountError
from ..context import SSM_PREFIX, Context
from .registry import check


@check("preflight.ami.compatible", Level.ERROR, "Pool AMIs exist and fit type and root volume")
def ami_compatible(ctx: Context) -> Iterable[Finding]:
    """Every image a pool launches is visible to the account and available, is built for the instance
    type's architecture (arm64 for p6e-gb200's Grace CPUs, x86_64 for p5), boots from the root device
    the launch template maps, and its root snapshot is no larger than the pool's root volume (one
    batched DescribeImages). A pool without `ami` launches its default image through a public SSM
    parameter (`resolve:ssm:`, catalog/amis.yaml): preflight resolves it with GetParameter as EC2
    will at launch, and checks the image it names today. Fix: pick the AMI for the right
    architecture and region, set `root_device_name` to the image's, or raise the root volume size."""
    cid = "preflight.ami.compatible"
    wanted: dict[str, str] = {}  # pool name -> image id
    for pool in ctx.pools:
        try:
            image = ctx.pool_image(pool)
        except AccountError as err:
            yield ctx.could_not(cid, f"the default image parameter {pool.get('image')}", err, pool=pool)
            continue
        if image == "" and str(pool.get("image") or "").startswith(SSM_PREFIX):
            yield ctx.finding(cid, Level.ERROR, f"SSM parameter {pool['image'].removeprefix(SSM_PREFIX)} does not "
                              f"exist in {ctx.plan.region}: the launch template's image cannot resolve",
                              hint="give the pool an ami: ami-... for this region", pool=pool)
        elif image:
            wanted[pool["name"]] = image
    if not wanted:
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
        ami = wanted.get(pool["name"])
        if not ami:
            continue
        named = ami if pool.get("ami") else f"{ami} (from {pool['image'].removeprefix(SSM_PREFIX)})"
        img = images.get(ami)
        if img is None:
            yield ctx.finding(cid, Level.ERROR, f"AMI {named} does not exist in {ctx.plan.region} or is not shared "
                              "with this account", hint="AMIs are regional: copy it or use this region's id", pool=pool)
            continue
        gap = ctx.lacking(cid, img, ["state", "architecture", "root_gib"], f"AMI {ami}", operation="DescribeImages",
                          pool=pool)
        if gap is not None:
            yield gap
            continue
        if img.get("state") not in (None, "available"):
            yield ctx.finding(cid, Level.ERROR, f"AMI {named} is {img['state']}, not available", pool=pool)
        archs = (facts.get(pool["instance_type"]) or {}).get("architectures") or (
            [pool["architecture"]] if pool.get("architecture") else [])
        if img.get("architecture") and archs and img["architecture"] not in archs:
            yield ctx.finding(cid, Level.ERROR, f"AMI {named} is {img['architecture']}; {pool['instance_type']} runs "
                              f"{'/'.join(archs)}", hint="use an AMI built for the type's architecture", pool=pool)
        device, mapped = img.get("root_device_name"), pool.get("root_device_name")
        if device and mapped and device != mapped:
            yield ctx.finding(cid, Level.ERROR, f"AMI {named} boots from {device}; the launch template maps the root "
                              f"volume as {mapped}, so the root keeps the image's own size and encryption",
                              hint=f"set the pool's root_device_name: {device}", pool=pool)
        root, size = img.get("root_gib"), pool.get("root_volume_gib")
        if root and size and int(size) < int(root):
            yield ctx.finding(cid, Level.ERROR, f"root volume of {size} GiB is smaller than AMI {named}'s {root} GiB "
                              "snapshot", hint=f"set the pool's root volume to at least {root} GiB", pool=pool)
