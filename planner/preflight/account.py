"""The Account interface preflight reads through, and the error every implementation raises.

Two implementations: `live.LiveAccount` (boto3, read-only) and `snapshot.SnapshotAccount` (a JSON
file captured by `ultraplan account snapshot`). Checks never see boto3: every answer is plain,
JSON-friendly data in the shapes documented below (dates as ISO-8601 strings), so a snapshot
replays exactly what the live account said.

Shapes
- zone: {name, id, type, state, opt_in, group}
- instance type facts: {vcpus, efa_supported, max_efa_interfaces, network_cards,
  max_network_interfaces, architectures}
- quota: {code, name, value}
- reservation: {id, instance_type, zone, zone_id, platform, tenancy, total, available, state,
  start, end, end_type, reservation_type, capacity_block_id, placement_group_arn}
- image: {id, name, architecture, state, root_gib, platform}
- capacity block: {id, ultraserver_type, zone, zone_id, reservation_ids, start, end, state}
- capacity block status: {id, interconnect, total, unavailable}
- block offering: {instance_type, ultraserver_type, zone, count, ultraserver_count, start, end,
  duration_hours, upfront_fee, currency}
- vpc: {id, cidrs, dns_support, dns_hostnames}
- subnet: {id, vpc_id, cidr, zone, zone_id, available_ips, map_public_ip}
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable


class AccountError(Exception):
    """A question the account could not answer. `kind` is one of: denied, throttled, timeout,
    unreachable, not-captured, unsupported, not-found, error. Checks turn it into a warning
    "could not check X: reason"; they never pass because of it."""

    def __init__(self, operation: str, reason: str, kind: str = "error") -> None:
        super().__init__(f"{operation}: {reason}")
        self.operation = operation
        self.reason = reason
        self.kind = kind


# Kinds that mean AWS itself was out of reach (no network, no credentials): if every call failed
# this way the CLI exits 3 instead of reporting a gate result.
UNREACHABLE_KINDS = frozenset({"unreachable"})


@runtime_checkable
class Account(Protocol):
    """Read-only questions preflight asks of an AWS account in one region."""

    region: str
    calls: int  # AWS API requests made so far (pages count one each); 0 for a snapshot
    failures: list[AccountError]  # every failed request, in order
    live: bool  # whether a launch dry run can be made

    def availability_zones(self) -> list[dict[str, Any]]: ...

    def instance_type_offerings(self, types: Sequence[str]) -> dict[str, list[str]]:
        """Zone IDs offering each type (a type offered nowhere maps to [])."""

    def instance_types(self, types: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Facts per type; None for a type this region does not know."""

    def images(self, image_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """AMI facts per id; None for an AMI the account cannot see."""

    def service_quota(self, service: str, code: str) -> dict[str, Any]: ...

    def list_service_quotas(self, service: str) -> list[dict[str, Any]]: ...

    def capacity_reservations(self) -> dict[str, dict[str, Any]]:
        """Every capacity reservation (incl. capacity-block reservations) in the region, by id."""

    def capacity_blocks(self) -> dict[str, dict[str, Any]]: ...

    def capacity_block_status(self, block_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def reservation_group(self, arn: str) -> list[str]:
        """Capacity reservation ids in a capacity-reservation resource group (UltraServer blocks)."""

    def capacity_block_offerings(self, query: dict[str, Any]) -> list[dict[str, Any]]: ...

    def vpcs(self, vpc_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]: ...

    def subnets(self) -> dict[str, dict[str, Any]]:
        """Every subnet in the region, by id."""

    def count(self, what: str) -> int:
        """How many `vpcs`, `network_interfaces`, `security_groups`, `auto_scaling_groups`,
        `launch_templates`, `placement_groups`, `elastic_ips`, `nat_gateways` (pending or available) the
        region holds now, or `lustre_persistent_2_gib` (GiB of Lustre PERSISTENT_2 file systems)."""

    def launch_dry_run(self, request: dict[str, Any]) -> str:
        """RunInstances with DryRun; returns the error code AWS answered (DryRunOperation = would
        succeed)."""

    def default_image(self, architecture: str) -> str: ...

    def image_parameter(self, name: str) -> str:
        """The image id an SSM parameter (a pool's default image) names now; "" when it does not exist."""

    def launch_template(self, name_tag: str) -> dict[str, Any] | None:
        """The deployed launch template tagged Name = `name_tag` ({id, name, latest_version}), or None."""


def offering_query(
    *, instance_type: str | None, ultraserver_type: str | None, count: int, days: int | None,
    start: str | None, end: str | None,
) -> dict[str, Any]:
    """The canonical capacity-block offerings query (the key a snapshot stores it under)."""
    return {
        "instance_type": None if ultraserver_type else instance_type,
        "ultraserver_type": ultraserver_type,
        "count": int(count),
        "duration_hours": int(days) * 24 if days else None,
        "start": start,
        "end": end,
    }
