"""Optional launch dry run: RunInstances with DryRun for every pool (`--launch-dry-run`)."""
from __future__ import annotations

from typing import Any, Iterable

from ...findings import Finding, Level
from ..account import AccountError
from ..context import Context
from . import check

# RunInstances error codes and what they mean for the pool (ParallelCluster maps the same four).
MAPPED = {
    "InsufficientInstanceCapacity": "AWS has not enough {type} capacity in {zone} right now",
    "InstanceLimitExceeded": "the account's instance limit for {type} is too low",
    "VcpuLimitExceeded": "the account's vCPU limit for {type} is too low",
    "InsufficientFreeAddressesInSubnet": "the subnet has too few free addresses for {count} instances",
    "Unsupported": "{type} is not supported with these launch settings in {zone}",
}


def launch_request(ctx: Context, pool: dict[str, Any], image: str, zone: dict[str, Any] | None) -> dict[str, Any]:
    """The RunInstances parameters a pool's launch template amounts to (interfaces only when the
    subnet already exists; a subnet the plan creates has no id yet, so the zone is used instead)."""
    cap = pool.get("capacity") or {}
    # One reservation a UltraServer: the dry run launches the first UltraServer into the first id.
    count = int(pool["instances_per_ultraserver"]) if cap.get("reservation_ids") else int(pool["instances"])
    req: dict[str, Any] = {"ImageId": image, "InstanceType": pool["instance_type"], "MinCount": count, "MaxCount": count}
    subnet = pool.get("existing_subnet_id")
    if subnet:
        layout = pool.get("interfaces") or [{"card": 0, "device": 0, "type": "interface"}]
        req["NetworkInterfaces"] = [
            {"NetworkCardIndex": int(i.get("card", 0)), "DeviceIndex": int(i.get("device", 0)),
             "InterfaceType": i.get("type", "interface"), "SubnetId": subnet}
            for i in layout
        ]
    elif zone is not None:
        req["Placement"] = {"AvailabilityZone": zone["name"]}
    first = (cap.get("reservation_ids") or [None])[0] or cap.get("reservation_id")
    if first:
        req["CapacityReservationSpecification"] = {"CapacityReservationTarget": {"CapacityReservationId": first}}
    elif cap.get("resource_group_arn"):
        req["CapacityReservationSpecification"] = {
            "CapacityReservationTarget": {"CapacityReservationResourceGroupArn": cap["resource_group_arn"]}}
    if cap.get("type") in ("capacity-block", "spot"):
        req["InstanceMarketOptions"] = {"MarketType": cap["type"]}
    return req


@check("preflight.launch.dry-run", Level.ERROR, "Launch dry run (RunInstances DryRun)")
def launch_dry_run(ctx: Context) -> Iterable[Finding]:
    """With `--launch-dry-run` (live accounts only): RunInstances with DryRun=true for each pool's
    full count, type, zone or subnet, interfaces and capacity target. InsufficientInstanceCapacity,
    InstanceLimitExceeded/VcpuLimitExceeded, InsufficientFreeAddressesInSubnet and Unsupported are
    errors; UnauthorizedOperation and other refusals are warnings. Without an AMI in the spec the
    latest Amazon Linux 2023 image (SSM public parameter) stands in."""
    cid = "preflight.launch.dry-run"
    if not getattr(ctx.account, "live", False):
        yield ctx.could_not(cid, "launches", AccountError("run_instances", "a dry run needs a live account, not a "
                                                          "snapshot", "not-captured"))
        return
    for pool in ctx.pools:
        try:
            zone = ctx.pool_zone(pool)
            arch = ((ctx.account_types().get(pool["instance_type"]) or {}).get("architectures") or ["x86_64"])[0]
            image = pool.get("ami") or ctx.ask(("image", arch), lambda a=arch: ctx.account.default_image(a))
            code = ctx.account.launch_dry_run(launch_request(ctx, pool, image, zone))
        except AccountError as err:
            yield ctx.could_not(cid, "a launch dry run", err, pool=pool)
            continue
        fmt = {"type": pool["instance_type"], "zone": zone["name"] if zone else pool.get("availability_zone"),
               "count": pool["instances"]}
        if code == "DryRunOperation":
            continue
        if code in MAPPED:
            yield ctx.finding(cid, Level.ERROR, f"launch dry run: {code}: {MAPPED[code].format(**fmt)}", pool=pool)
        elif code == "UnauthorizedOperation":
            yield ctx.could_not(cid, "launches", AccountError("run_instances", "UnauthorizedOperation: not "
                                                              "permitted to call RunInstances", "denied"), pool=pool)
        else:
            yield ctx.finding(cid, Level.WARNING, f"launch dry run refused: {code}", pool=pool)
