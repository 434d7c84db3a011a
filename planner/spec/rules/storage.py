"""Shared storage: FSx for Lustre sizes, throughput tiers, addresses and encryption in transit."""
from __future__ import annotations

from typing import Any, Iterator

from ...catalog import fsx
from ...errors import SpecIssue
from .registry import REGISTRY, SpecContext

# The largest subnet AWS allows is a /16, less the 5 addresses AWS keeps in every subnet (VPC User
# Guide, subnet sizing); the compiler's network step uses the same figure.
MAX_SUBNET_IPS = 2 ** 16 - 5
LUSTRE = ("storage", "lustre")
FSX_API = "Amazon FSx API Reference, CreateFileSystem (StorageCapacity, PerUnitStorageThroughput)"


def _lustre(ctx: SpecContext) -> Any:
    return ctx.spec.storage.lustre if ctx.spec.storage else None


@REGISTRY.spec("spec.storage.lustre-reserve-ips", source="Amazon VPC User Guide, subnet sizing (a /16 at most)")
def lustre_reserve_ips(ctx: SpecContext) -> Iterator[SpecIssue]:
    """`storage.lustre.reserve_ips` (the addresses kept for the file system in its subnet) is at
    least 1 and fits one subnet (a /16 less AWS's 5 addresses)."""
    lustre = _lustre(ctx)
    if lustre is None:
        return
    if lustre.reserve_ips < 1:
        yield ctx.issue(LUSTRE + ("reserve_ips",), f"{lustre.reserve_ips}: the file system needs addresses in its subnet",
                        "at least 1; the default 64 is a planning margin (AWS publishes no count)")
    elif lustre.reserve_ips > MAX_SUBNET_IPS:
        yield ctx.issue(LUSTRE + ("reserve_ips",), f"{lustre.reserve_ips:,} addresses do not fit one subnet "
                        f"(a /16, the largest AWS allows, has {MAX_SUBNET_IPS:,} usable)", "the default 64 is a planning margin")


@REGISTRY.spec("spec.storage.lustre-capacity", source="ultraplan spec format")
def lustre_capacity(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A Lustre file system gives its size once: `capacity_gib` or `capacity_tib`."""
    lustre = _lustre(ctx)
    if lustre is not None and (lustre.capacity_tib is None) == (lustre.capacity_gib is None):
        yield ctx.issue(LUSTRE, "give capacity_tib or capacity_gib, exactly one" if lustre.capacity_tib else "no capacity given",
                        f"e.g. capacity_gib: 4800 ({fsx.describe(lustre.deployment)})")


@REGISTRY.spec("spec.storage.lustre-size", source="planner/catalog/fsx_lustre.yaml; " + FSX_API)
def lustre_size(ctx: SpecContext) -> Iterator[SpecIssue]:
    """The file system's size is one its deployment type can be created with (1.2 TiB, 2.4 TiB,
    then steps of 2.4 or 3.6 TiB, per type); a wrong size gets the nearest valid ones."""
    lustre = _lustre(ctx)
    if lustre is None or (lustre.capacity_tib is None) == (lustre.capacity_gib is None):
        return
    field = "capacity_gib" if lustre.capacity_gib is not None else "capacity_tib"
    gib = lustre.capacity_gib if lustre.capacity_gib is not None else lustre.capacity_tib * 1024
    if not fsx.valid_capacity(lustre.deployment, gib):
        below, above = fsx.neighbours(lustre.deployment, gib)
        options = [v for v in (below, above) if v is not None]
        shown = f"{lustre.capacity_tib:g} TiB = {gib:,.6g} GiB" if field == "capacity_tib" else f"{gib:,} GiB"
        yield ctx.issue(LUSTRE + (field,), f"{shown} is not a {lustre.deployment} size ({fsx.describe(lustre.deployment)}; "
                        "Amazon FSx API Reference, CreateFileSystem StorageCapacity)",
                        "use " + " or ".join(f"capacity_gib: {v}" + (f" ({v / 1024:g} TiB)" if field == "capacity_tib" else "")
                                             for v in options))


@REGISTRY.spec("spec.storage.lustre-throughput", source=FSX_API)
def lustre_throughput(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A persistent file system names one of its deployment type's throughput tiers
    (`throughput_per_tib`); a scratch one has none."""
    lustre = _lustre(ctx)
    if lustre is None:
        return
    path = LUSTRE + ("throughput_per_tib",)
    allowed = fsx.throughput_tiers(lustre.deployment)  # catalog fsx_lustre.yaml
    if allowed:
        if lustre.throughput_per_tib is None:
            yield ctx.issue(path, f"{lustre.deployment} needs throughput_per_tib", f"one of {allowed}")
        elif lustre.throughput_per_tib not in allowed:
            yield ctx.issue(path, f"{lustre.throughput_per_tib} is not a {lustre.deployment} tier", f"one of {allowed}")
    elif lustre.throughput_per_tib is not None:
        yield ctx.issue(path, f"{lustre.deployment} has no throughput tiers", "remove throughput_per_tib")


def policy_relaxed(spec: Any, policy_id: str) -> bool:
    """The spec skips `policy_id` or sets it advisory/disabled, so a violation would not fail a gate."""
    if policy_id in spec.policies.skip:
        return True
    config = spec.policies.config
    for key in ("all", policy_id):
        value = config.get(key)
        level = value if isinstance(value, str) else (value.get("enforcementLevel") if isinstance(value, dict) else None)
        if level in ("advisory", "disabled") and (key == policy_id or policy_id not in config):
            return True
    return False


IN_TRANSIT_POLICY = "fsx-encrypted-in-vpc"


def _in_transit_violations(deployment: str) -> list[str]:
    """What the mandatory policy fsx-encrypted-in-vpc says of a file system of this deployment type,
    as the compiler emits it (always one subnet and a security group, so only the deployment type
    is the spec's to get wrong). No policy pack installed: nothing to fail."""
    try:
        from policies import load_rules  # the whole pack, in its own order (a lone rule module would register first)
    except ModuleNotFoundError:
        return []
    policy = load_rules().get(IN_TRANSIT_POLICY)
    if policy is None:
        return []
    resource = {"type": policy.resource_types[0], "name": "lustre",
                "inputs": {"deploymentType": deployment, "subnetIds": ["subnet"], "securityGroupIds": ["sg"]}}
    return list(policy.func(resource, policy.defaults()))


@REGISTRY.spec("spec.storage.lustre-in-transit", source="policies/rules/storage.py fsx-encrypted-in-vpc; "
               "FSx for Lustre User Guide, encryption in transit")
def lustre_in_transit(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A spec ultraplan accepts can pass its own gates: the file system's deployment type passes the
    mandatory policy fsx-encrypted-in-vpc (this rule asks the policy), so SCRATCH_1, which sends data
    in clear, is refused here unless that policy is skipped (with a reason) or made advisory."""
    lustre = _lustre(ctx)
    if lustre is None or policy_relaxed(ctx.spec, IN_TRANSIT_POLICY):
        return
    if _in_transit_violations(lustre.deployment):
        yield ctx.issue(LUSTRE + ("deployment",), f"{lustre.deployment} does not encrypt data in transit, so the mandatory "
                        "policy fsx-encrypted-in-vpc would always fail",
                        "use SCRATCH_2 or PERSISTENT_2, or skip the policy: policies.skip.fsx-encrypted-in-vpc: <why>")


def efa_families(spec: Any, catalog: Any) -> list[str]:
    """Instance families of the pools that use EFA (the clients an EFA-enabled file system serves)."""
    from .local_zones import uses_efa

    out = []
    for pool in spec.compute:
        ultra = catalog.ultraservers.get(pool.ultraserver or "")
        itype = catalog.instance_types.get(ultra.member if ultra else (pool.instance_type or ""))
        if itype and uses_efa(pool, catalog):
            out.append(itype.family)
    return out


@REGISTRY.spec("spec.storage.lustre-efa", source="FSx for Lustre User Guide, EFA-enabled file systems "
               "(planner/catalog/fsx_lustre_features.yaml)")
def lustre_efa(ctx: SpecContext) -> Iterator[SpecIssue]:
    """`efa: true` only on a file system AWS can make EFA-enabled: the deployment, capacity and the
    client pools' instance families as FSx for Lustre requires them (catalog.fsx.efa_decision)."""
    lustre = _lustre(ctx)
    if lustre is None or not lustre.efa:
        return
    _, problems = fsx.efa_decision(lustre, efa_families(ctx.spec, ctx.catalog))
    for problem in problems:
        yield ctx.issue(LUSTRE + ("efa",), problem,
                        "set efa: false, or change the deployment, capacity or pools as the message says")
