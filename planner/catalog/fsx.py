"""FSx for Lustre storage sizes as data (fsx_lustre.yaml), queried by small pure functions."""
from __future__ import annotations

from typing import Any


def lustre_sizes() -> dict[str, Any]:
    """fsx_lustre.yaml: storage sizes, throughput tiers and in-transit encryption per deployment type."""
    from . import bundled

    return bundled("fsx_lustre.yaml")


def describe_step(deployment: str, sizes: dict[str, Any] | None = None) -> str:
    return f"{_rule(deployment, sizes)[1]:,}"


def throughput_tiers(deployment: str, sizes: dict[str, Any] | None = None) -> tuple[int, ...]:
    """MB/s per TiB a deployment type can be created with (empty: the type has no tiers)."""
    return tuple(int(x) for x in ((sizes or lustre_sizes()).get("throughput_per_tib") or {}).get(deployment, ()))


def max_throughput_tier(sizes: dict[str, Any] | None = None) -> int:
    """The highest tier of any deployment type (the spec schema's bound)."""
    return max(int(t) for v in ((sizes or lustre_sizes()).get("throughput_per_tib") or {}).values() for t in v)


def in_transit_encrypted(sizes: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Deployment types that encrypt traffic between clients and the file system."""
    return tuple((sizes or lustre_sizes())["in_transit_encrypted"])


def describe_tiers(sizes: dict[str, Any] | None = None) -> str:
    """`PERSISTENT_2 125/250/500/1000` for every type with tiers (the spec schema's description)."""
    tiers = (sizes or lustre_sizes()).get("throughput_per_tib") or {}
    return ", ".join(f"{d} {'/'.join(str(t) for t in v)}" for d, v in sorted(tiers.items(), reverse=True))


def _rule(deployment: str, sizes: dict[str, Any] | None = None) -> tuple[tuple[int, ...], int]:
    entry = (sizes or lustre_sizes())["capacity_gib"][deployment]
    return tuple(int(x) for x in entry["first"]), int(entry["step"])


def valid_capacity(deployment: str, gib: float, sizes: dict[str, Any] | None = None) -> bool:
    """Whether a file system of `deployment` can be created with `gib` GiB."""
    first, step = _rule(deployment, sizes)
    return gib == int(gib) and (int(gib) in first or (gib > 0 and int(gib) % step == 0))


def neighbours(deployment: str, gib: float, sizes: dict[str, Any] | None = None) -> tuple[int | None, int]:
    """The largest valid size below `gib` (None when there is none) and the smallest above it."""
    first, step = _rule(deployment, sizes)
    # Computed, not enumerated: a size of 10**30 GiB must not build a set of every multiple below it.
    k_below = -(-gib // step) - 1  # the largest k with step * k < gib
    k_above = gib // step + 1  # the smallest k with step * k > gib
    below = [v for v in first if v < gib] + ([int(step * k_below)] if k_below >= 1 else [])
    above = [v for v in first if v > gib] + [int(step * k_above)]
    return (max(below) if below else None), min(above)


def describe(deployment: str, sizes: dict[str, Any] | None = None) -> str:
    first, step = _rule(deployment, sizes)
    return f"{', '.join(f'{f:,}' for f in first)}, then multiples of {step:,} GiB"


def lustre_features() -> dict[str, Any]:
    """Version, metadata configuration and EFA facts of FSx for Lustre (fsx_lustre_features.yaml)."""
    from . import bundled

    return bundled("fsx_lustre_features.yaml")


def efa_step_gib(throughput_per_tib: int | None) -> int | None:
    """The capacity step (GiB) of an EFA-enabled PERSISTENT_2 file system at a throughput tier."""
    step = lustre_features()["efa"]["capacity_step_gib"].get(throughput_per_tib)
    return None if step is None else int(step)


def efa_client(family: str) -> bool | None:
    """Whether an instance family is a confirmed EFA client of FSx for Lustre (None: not confirmed)."""
    efa = lustre_features()["efa"]
    if family in efa["excluded_families"]:
        return False
    return True if family in efa["client_families"] else None


def efa_decision(lustre: Any, efa_families: list[str]) -> tuple[bool, list[str]]:
    """Whether the file system is EFA-enabled, and why not where it is not (or, for `efa: true`,
    what stands in the way). `efa_families`: the instance families of the cluster's EFA pools."""
    efa = lustre_features()["efa"]
    problems: list[str] = []
    if lustre.deployment != efa["deployment"]:
        problems.append(f"EFA-enabled Lustre is {efa['deployment']} only, not {lustre.deployment}")
    step = efa_step_gib(lustre.throughput_per_tib)
    gib = lustre.capacity_gib if lustre.capacity_gib is not None else (lustre.capacity_tib or 0) * 1024
    if lustre.deployment == efa["deployment"] and step and gib % step:
        problems.append(f"an EFA-enabled file system at {lustre.throughput_per_tib} MB/s/TiB is sized in steps of "
                        f"{step:,} GiB; {gib:,.0f} GiB is not one")
    excluded = sorted({f for f in efa_families if efa_client(f) is False})
    if excluded:
        problems.append(f"{', '.join(excluded)} cannot be EFA clients of FSx for Lustre")
    if lustre.efa is not None:
        return bool(lustre.efa) and not problems, problems if lustre.efa else []
    unconfirmed = sorted({f for f in efa_families if efa_client(f) is None})
    if not efa_families:
        problems.append("no pool uses EFA")
    if unconfirmed:
        problems.append(f"{', '.join(unconfirmed)} not confirmed as EFA clients of FSx for Lustre (set efa: true to "
                        "enable it anyway)")
    return not problems, problems
