"""Optional launch dry run (`--launch-dry-run`): for every pool, RunInstances with DryRun sending the
Plan's OWN launch template shape (its interfaces with every field the provider sends, market options,
metadata options, block devices, user data) with the group's overrides (capacity reservation,
placement group), or, where the account already holds that template, a launch from the template
itself. A template EC2 would refuse at launch (an efa-only interface with a public-IP flag, a
capacity-block market without a target) is refused here, before `pulumi up`."""
from __future__ import annotations

import base64
import binascii
from typing import Any, Iterable, Mapping

from ...findings import Finding, Level
from ...records import pool_of
from ..account import AccountError
from ..context import Context
from .registry import check

# RunInstances error codes and what they mean for the pool (ParallelCluster maps the same four).
MAPPED = {
    "InsufficientInstanceCapacity": "AWS has not enough {type} capacity in {zone} right now",
    "InstanceLimitExceeded": "the account's instance limit for {type} is too low",
    "VcpuLimitExceeded": "the account's vCPU limit for {type} is too low",
    "InsufficientFreeAddressesInSubnet": "the subnet has too few free addresses for {count} instances",
    "Unsupported": "{type} is not supported with these launch settings in {zone}",
    "InvalidParameterValue": "EC2 refuses the launch template's settings",
    "InvalidParameterCombination": "EC2 refuses the launch template's combination of settings",
}

# Launch-template interface inputs (pulumi-aws, camelCase) -> RunInstances InstanceNetworkInterfaceSpecification.
INTERFACE_FIELDS = {
    "networkCardIndex": "NetworkCardIndex", "deviceIndex": "DeviceIndex", "interfaceType": "InterfaceType",
    "associatePublicIpAddress": "AssociatePublicIpAddress", "associateCarrierIpAddress": "AssociateCarrierIpAddress",
    "deleteOnTermination": "DeleteOnTermination", "description": "Description",
    "ipv4AddressCount": "SecondaryPrivateIpAddressCount", "ipv4PrefixCount": "Ipv4PrefixCount",
    "ipv6AddressCount": "Ipv6AddressCount", "ipv6PrefixCount": "Ipv6PrefixCount", "primaryIpv6": "PrimaryIpv6",
    "privateIpAddress": "PrivateIpAddress",
}
BOOLEANS = {"AssociatePublicIpAddress", "AssociateCarrierIpAddress", "DeleteOnTermination", "PrimaryIpv6", "Encrypted"}
METADATA_FIELDS = {"httpTokens": "HttpTokens", "httpEndpoint": "HttpEndpoint",
                   "httpPutResponseHopLimit": "HttpPutResponseHopLimit", "instanceMetadataTags": "InstanceMetadataTags",
                   "httpProtocolIpv6": "HttpProtocolIpv6"}
EBS_FIELDS = {"volumeSize": "VolumeSize", "volumeType": "VolumeType", "encrypted": "Encrypted",
              "deleteOnTermination": "DeleteOnTermination", "iops": "Iops", "throughput": "Throughput",
              "kmsKeyId": "KmsKeyId", "snapshotId": "SnapshotId"}


def _literal(value: Any) -> Any:
    """A value AWS can take now: a Plan reference ({"$ref": ...}) names a resource not created yet."""
    return None if isinstance(value, Mapping) and "$ref" in value else value


def _api(value: Any, key: str) -> Any:
    # pulumi-aws takes some launch-template booleans as strings and sends them as set values.
    if key in BOOLEANS and isinstance(value, str):
        return value.strip().lower() == "true"
    return value


def _fields(source: Mapping[str, Any], table: Mapping[str, str]) -> dict[str, Any]:
    return {api: _api(source[k], api) for k, api in table.items() if _literal(source.get(k)) is not None}


def _interfaces(lt: Mapping[str, Any], subnet: str | None) -> list[dict[str, Any]]:
    out = []
    for ni in lt.get("networkInterfaces") or []:
        spec = _fields(ni, INTERFACE_FIELDS)
        groups = [g for g in ni.get("securityGroups") or [] if _literal(g)]
        if groups:
            spec["Groups"] = groups
        sid = _literal(ni.get("subnetId")) or subnet
        if sid:
            spec["SubnetId"] = sid
        out.append(spec)
    return out


def _reservation(lt: Mapping[str, Any], group: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The group's capacityReservationSpecification overrides the template's (EC2 Auto Scaling UG)."""
    spec = (group or {}).get("capacityReservationSpecification") or lt.get("capacityReservationSpecification")
    if not isinstance(spec, Mapping):
        return None
    out: dict[str, Any] = {}
    if spec.get("capacityReservationPreference"):
        out["CapacityReservationPreference"] = spec["capacityReservationPreference"]
    target = spec.get("capacityReservationTarget") or {}
    rid = target.get("capacityReservationId") or (target.get("capacityReservationIds") or [None])[0]
    arn = target.get("capacityReservationResourceGroupArn") or (target.get("capacityReservationResourceGroupArns") or [None])[0]
    if rid:
        out["CapacityReservationTarget"] = {"CapacityReservationId": rid}
    elif arn:
        out["CapacityReservationTarget"] = {"CapacityReservationResourceGroupArn": arn}
    if "CapacityReservationTarget" in out:
        out.pop("CapacityReservationPreference", None)  # RunInstances takes a target or a preference
    return out or None


def _user_data(lt: Mapping[str, Any]) -> str | None:
    data = _literal(lt.get("userData"))
    if not isinstance(data, str) or not data:
        return None
    try:  # the template holds it base64-encoded; boto3 encodes RunInstances' UserData itself
        return base64.b64decode(data, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return data


def _count(pool: Mapping[str, Any]) -> int:
    # One reservation a UltraServer: the dry run launches the first UltraServer into the first id.
    return int(pool["instances_per_ultraserver"]) if pool_of(pool).capacity.reservation_ids else int(pool["instances"])


def plan_resources(ctx: Context | None, pool: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The pool's launch template inputs and its first auto-scaling group's inputs, from the Plan."""
    by_name = ctx.plan.by_name() if ctx is not None else {}
    lt = by_name.get(pool.get("launch_template") or "")
    if lt is None:
        raise LookupError(f"the Plan has no launch template {pool.get('launch_template')!r} for pool {pool['name']}")
    groups = [by_name[g] for g in pool.get("groups") or [] if g in by_name]
    return dict(lt.inputs), (dict(groups[0].inputs) if groups else None)


def launch_request(ctx: Context | None, pool: dict[str, Any], image: str, zone: dict[str, Any] | None,
                   deployed: Mapping[str, Any] | None = None, *, template: Mapping[str, Any] | None = None,
                   group: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The RunInstances parameters the pool's first auto-scaling group launches with: the Plan's
    launch template (`template`, else read from the Plan) with the group's overrides. With
    `deployed` (the account holds the template) the launch names that template and sends only the
    group's overrides, as Auto Scaling does."""
    if template is None:
        template, group = plan_resources(ctx, pool)
    count = _count(pool)
    req: dict[str, Any] = {"MinCount": count, "MaxCount": count}
    subnet = pool.get("existing_subnet_id")
    placement: dict[str, Any] = {}
    pg = _literal((group or {}).get("placementGroup")) or _literal((template.get("placement") or {}).get("groupName"))
    if pg:
        placement["GroupName"] = pg
    if deployed:
        req["LaunchTemplate"] = {"LaunchTemplateId": deployed["id"],
                                 "Version": str(deployed.get("latest_version") or "$Latest")}
    else:
        req.update({"ImageId": image, "InstanceType": template.get("instanceType") or pool["instance_type"]})
        interfaces = _interfaces(template, subnet)
        if interfaces:
            req["NetworkInterfaces"] = interfaces
        market = (template.get("instanceMarketOptions") or {}).get("marketType")
        if market:
            req["InstanceMarketOptions"] = {"MarketType": market}
        metadata = _fields(template.get("metadataOptions") or {}, METADATA_FIELDS)
        if metadata:
            req["MetadataOptions"] = metadata
        mappings = [{"DeviceName": m["deviceName"], "Ebs": _fields(m.get("ebs") or {}, EBS_FIELDS)}
                    for m in template.get("blockDeviceMappings") or [] if m.get("deviceName")]
        if mappings:
            req["BlockDeviceMappings"] = mappings
        user_data = _user_data(template)
        if user_data:
            req["UserData"] = user_data
        profile = _literal((template.get("iamInstanceProfile") or {}).get("arn"))
        if profile:
            req["IamInstanceProfile"] = {"Arn": profile}
    if not subnet and zone is not None:
        placement["AvailabilityZone"] = zone["name"]  # a subnet the plan creates has no id yet
    if placement:
        req["Placement"] = placement
    reservation = _reservation(template, group)
    if reservation:
        req["CapacityReservationSpecification"] = reservation
    return req


def _deployed(ctx: Context, template: Mapping[str, Any]) -> Mapping[str, Any] | None:
    name = (template.get("tags") or {}).get("Name")
    if not isinstance(name, str):
        return None
    return ctx.ask(("launch-template", name), lambda: ctx.account.launch_template(name))


@check("preflight.launch.dry-run", Level.ERROR, "Launch dry run (RunInstances DryRun)")
def launch_dry_run(ctx: Context) -> Iterable[Finding]:
    """With `--launch-dry-run` (live accounts only): RunInstances with DryRun=true for each pool, sending
    the Plan's own launch template (interfaces with every field the provider sends, market type,
    metadata options, block devices, user data) with its first group's capacity-reservation target
    and placement group, the image its `ami` or default-image parameter names, and the full count
    (one UltraServer for per-UltraServer reservations). Where the account already holds the
    template (found by its Name tag), the launch names that template instead, so the template AWS
    stored is what is tried. InsufficientInstanceCapacity, InstanceLimitExceeded/VcpuLimitExceeded,
    InsufficientFreeAddressesInSubnet, Unsupported, InvalidParameterValue and
    InvalidParameterCombination are errors; UnauthorizedOperation and other refusals are warnings."""
    cid = "preflight.launch.dry-run"
    if not getattr(ctx.account, "live", False):
        yield ctx.could_not(cid, "launches", AccountError("run_instances", "a dry run needs a live account, not a "
                                                          "snapshot", "not-captured"))
        return
    for pool in ctx.pools:
        try:
            template, group = plan_resources(ctx, pool)
        except LookupError as err:
            yield ctx.finding(cid, Level.ERROR, f"launch dry run: {err}", pool=pool)
            continue
        try:
            zone = ctx.pool_zone(pool)
            deployed = _deployed(ctx, template)
            image = ctx.pool_image(pool) if not deployed else ""
            if not deployed and not image:
                arch = ((ctx.account_types().get(pool["instance_type"]) or {}).get("architectures") or ["x86_64"])[0]
                image = ctx.ask(("image", arch), lambda a=arch: ctx.account.default_image(a))
            request = launch_request(ctx, pool, image, zone, deployed, template=template, group=group)
            code = ctx.account.launch_dry_run(request)
        except AccountError as err:
            yield ctx.could_not(cid, "a launch dry run", err, pool=pool)
            continue
        fmt = {"type": pool["instance_type"], "zone": zone["name"] if zone else pool.get("availability_zone"),
               "count": pool["instances"]}
        if code == "DryRunOperation":
            continue
        what = f"launch template {deployed['name'] or deployed['id']}" if deployed else "the Plan's launch template"
        if code in MAPPED:
            yield ctx.finding(cid, Level.ERROR, f"launch dry run ({what}): {code}: {MAPPED[code].format(**fmt)}",
                              pool=pool)
        elif code == "UnauthorizedOperation":
            yield ctx.could_not(cid, "launches", AccountError("run_instances", "UnauthorizedOperation: not "
                                                              "permitted to call RunInstances", "denied"), pool=pool)
        else:
            yield ctx.finding(cid, Level.WARNING, f"launch dry run refused ({what}): {code}", pool=pool)
