"""Compute pools: names, types, images, EFA, zones, placement groups and tags."""
from __future__ import annotations

from typing import Iterator

from ...catalog import default_image
from ...errors import SpecIssue
from ..model import ZONE_ID
from ..tags import MAX_USER_TAGS, combined_tag_count
from .registry import REGISTRY, PoolContext, SpecContext
from .zones import zone_in_region

TYPES = "planner/catalog/instances_*.yaml (EC2 DescribeInstanceTypes), planner/catalog/ultraservers"


@REGISTRY.pool("spec.pool.name-unique", source="ultraplan spec format (a pool's name is its address)", needs_type=False)
def name_unique(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """Pool names are unique: a pool's name is its address in the Plan (its stack, its resources'
    names), so two pools of one name would be one."""
    firsts = ctx.once("first-index-of-name", lambda: {
        name: i for i, name in reversed(list(enumerate(p.name for p in ctx.spec.compute)))})
    first = firsts[pc.pool.name]
    if first != pc.index:
        yield ctx.issue(pc.path + ("name",), f"duplicate pool name '{pc.pool.name}' (also compute[{first}])",
                        "pool names must be unique")


@REGISTRY.pool("spec.pool.type-choice", source="ultraplan spec format", needs_type=False)
def type_choice(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool gives exactly one of `instance_type` (count in instances) or `ultraserver` (count in
    UltraServers). The pool's other checks wait until this holds."""
    pool = pc.pool
    if bool(pool.instance_type) == bool(pool.ultraserver):
        yield ctx.issue(pc.path, "give exactly one of instance_type (count in instances) or ultraserver (count in UltraServers)"
                        if not pool.instance_type else "give instance_type or ultraserver, not both",
                        "e.g. ultraserver: u-p6e-gb200x72 or instance_type: p5.48xlarge")


@REGISTRY.pool("spec.pool.ultraserver-known", source=TYPES, needs_type=False)
def ultraserver_known(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """An UltraServer pool names an UltraServer type the catalog knows (u-p6e-gb200x72, ...); an
    unknown name gets the closest known names."""
    pool, catalog = pc.pool, ctx.catalog
    if pool.ultraserver and not pool.instance_type and pool.ultraserver not in catalog.ultraservers:
        close = catalog.suggest_ultraserver(pool.ultraserver)
        yield ctx.issue(pc.path + ("ultraserver",), f"unknown UltraServer type '{pool.ultraserver}'",
                        f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(sorted(catalog.ultraservers))}")


@REGISTRY.pool("spec.pool.instance-type-known", source=TYPES, needs_type=False)
def instance_type_known(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """An instance pool names an instance type the catalog knows; an unknown name gets the closest
    known names."""
    pool, catalog = pc.pool, ctx.catalog
    if pool.instance_type and not pool.ultraserver and pool.instance_type not in catalog.instance_types:
        close = catalog.suggest_instance(pool.instance_type)
        yield ctx.issue(pc.path + ("instance_type",), f"unknown instance type '{pool.instance_type}'",
                        f"did you mean {' or '.join(close)}?" if close else "see the catalog: planner/catalog/instances_*.yaml")


@REGISTRY.pool("spec.pool.default-image", source="planner/catalog/amis.yaml (AWS Deep Learning AMI release notes)")
def image_known(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool without `ami` runs a type ultraplan has a default image for (one with the accelerator
    drivers and EFA); otherwise the spec names the image."""
    itype = pc.itype
    if pc.pool.ami is None and default_image(itype) is None:
        yield ctx.issue(pc.path + ("ami",), f"{itype.name} ({itype.architecture}, "
                        f"{itype.accelerator.model if itype.accelerator else 'cpu'}) has no default image ultraplan "
                        "can vouch for", "give ami: ami-... (an image with the accelerator drivers and EFA)")


@REGISTRY.pool("spec.pool.default-image-root-device", source="planner/catalog/amis.yaml (each default image's root device)")
def default_image_root_device(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool on a default image names that image's root device (`root_device_name`): a mapping for
    another device would add a second volume and leave the root with the image's size and encryption."""
    image = default_image(pc.itype) if pc.pool.ami is None else None
    root = image.get("root_device_name") if image else None
    if root not in (None, pc.pool.root_device_name):
        yield ctx.issue(pc.path + ("root_device_name",), f"{pc.pool.root_device_name} is not the root device of the "
                        f"default image ({image['image']} boots from {root}): the mapping would add a second volume "
                        "and leave the root with the image's size and encryption", f"root_device_name: {root}, or give an ami")


@REGISTRY.pool("spec.pool.efa-supported", source="EC2 DescribeInstanceTypes NetworkInfo.EfaSupported (catalog efa_supported)")
def efa_supported(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """`efa: true` only on an instance type that supports EFA."""
    if pc.pool.efa and not pc.itype.efa_supported:
        yield ctx.issue(pc.path + ("efa",), f"{pc.itype.name} does not support EFA",
                        "remove efa or choose an EFA-capable type (p5, p6, trn2, ...)")


@REGISTRY.pool("spec.pool.zone-in-region", source="EC2 User Guide, Regions and Zones")
def pool_zone_in_region(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool's own `availability_zone` is in the cluster's Region."""
    zone, region = pc.pool.availability_zone, ctx.spec.region
    if zone and not zone_in_region(zone, region):
        yield ctx.issue(pc.path + ("availability_zone",), f"zone '{zone}' is not in region {region}")


@REGISTRY.pool("spec.pool.zone-existing-subnet", source="Amazon VPC User Guide (a subnet lives in one zone)")
def zone_existing_subnet(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """With an existing subnet (`network.subnet_id`) every pool launches in that subnet's zone, so no
    pool names another zone."""
    spec, zone = ctx.spec, pc.pool.availability_zone
    if spec.network.subnet_id and zone and zone != spec.availability_zone:
        yield ctx.issue(pc.path + ("availability_zone",), "with an existing subnet every pool launches in that subnet's zone",
                        "remove the pool's availability_zone or use vpc_cidr")


@REGISTRY.pool("spec.pool.ultraserver-zone", source="planner/catalog UltraServer zones (EC2 User Guide, UltraServers)",
               skippable=True)
def ultraserver_zone(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """An UltraServer pool sits in a zone its type is offered in, when the catalog lists the zones
    (checked for zone names; a zone ID is checked by preflight). The list may be out of date:
    skippable with a reason."""
    ultra = pc.ultra
    zone = pc.pool.availability_zone or ctx.spec.availability_zone
    if ultra and ultra.zones and not ZONE_ID.match(zone) and zone not in ultra.zones:
        yield ctx.issue(pc.path + ("availability_zone",) if pc.pool.availability_zone else ("availability_zone",),
                        f"{ultra.name} is offered only in {', '.join(ultra.zones)}, not {zone}",
                        f"set availability_zone: {ultra.zones[0]}")


@REGISTRY.pool("spec.pool.end-or-months", source="ultraplan spec format")
def end_or_months(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool's run is given by `end` or by `months`, not both."""
    if pc.pool.end and pc.pool.months:
        yield ctx.issue(pc.path + ("months",), "give end or months, not both")


@REGISTRY.pool("spec.pool.window-order", source="ultraplan spec format")
def pool_window_order(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool's `end` is after its `start`."""
    pool = pc.pool
    if pool.start and pool.end and pool.end <= pool.start:
        yield ctx.issue(pc.path + ("end",), f"end {pool.end} is not after start {pool.start}")


@REGISTRY.pool("spec.pool.placement-group-reserved",
               source="EC2 User Guide, Capacity Reservations and placement groups; Capacity Blocks for ML")
def placement_group_reserved(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """No `placement_group` on a pool that targets a reservation or a Capacity Block: the reserved
    capacity is already placed, and a placement group on top causes insufficient-capacity errors."""
    if pc.pool.placement_group and pc.capacity.type in ("capacity-reservation", "capacity-block"):
        yield ctx.issue(pc.path + ("placement_group",), "a placement group on a pool that targets a reservation or block "
                        "causes insufficient-capacity errors", "remove placement_group: the reserved capacity is already placed")


@REGISTRY.pool("spec.pool.placement-group-strategy",
               source="EC2 DescribeInstanceTypes PlacementGroupInfo (catalog placement_strategies)", skippable=True)
def placement_group_strategy(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """A pool with `placement_group` runs a type that can join a cluster placement group (as the
    catalog records DescribeInstanceTypes PlacementGroupInfo; skippable with a reason if it is stale)."""
    itype = pc.itype
    if pc.pool.placement_group and pc.capacity.type not in ("capacity-reservation", "capacity-block") \
            and itype.joins("cluster") is False:
        yield ctx.issue(pc.path + ("placement_group",), f"{itype.name} cannot join a cluster placement group "
                        f"(it supports {', '.join(itype.placement_strategies) or 'no placement strategy'}; "
                        "DescribeInstanceTypes PlacementGroupInfo)",
                        "remove placement_group, or choose a type that supports the cluster strategy")


@REGISTRY.pool("spec.pool.tag-count", source="EC2 User Guide, Tag restrictions (50 tags per resource)", needs_type=False)
def tag_count(ctx: SpecContext, pc: PoolContext) -> Iterator[SpecIssue]:
    """The cluster's tags and the pool's tags together (both land on the pool's resources) fit EC2's
    50 tags per resource, less the 5 ultraplan keeps for its own."""
    count = combined_tag_count(ctx.spec.tags, pc.pool.tags)
    if count > MAX_USER_TAGS:
        yield ctx.issue(pc.path + ("tags",), f"with the cluster's tags the pool's resources get {count} tags; at most "
                        f"{MAX_USER_TAGS} (EC2 User Guide, Tag restrictions: 50 per resource, 5 kept for ultraplan's own)")
