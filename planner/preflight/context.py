"""What every check reads: the Plan, the Account (memoised), the catalog, the quota codes, the clock.

Each account question is asked at most once per run (answers and failures are both memoised), so
the number of AWS calls depends on which checks need which data, never on the order they run in.
"""
from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any, Callable, Iterable

from ..findings import Finding, Level, Source, Unverified
from ..plan.model import Plan
from ..records import pool_of
from .account import Account, AccountError, offering_query

SSM_PREFIX = "resolve:ssm:"  # a launch template's image id that EC2 resolves from an SSM parameter at launch


class Context:
    def __init__(self, plan: Plan, account: Account, *, catalog: Any = None, quotas: Any = None,
                 now: datetime | None = None, launch_dry_run: bool = False) -> None:
        self.plan = plan
        self.account = account
        self.catalog = catalog
        self.quotas = quotas
        if now is None:
            from .. import clock

            now = clock.now()
        self.now = now
        self.launch_dry_run = launch_dry_run
        self._memo: dict[Any, tuple[bool, Any]] = {}
        # Every unanswered question of the check now running: the runner makes sure a check that
        # met one reports itself unverified, even if it swallowed the error (fail closed).
        self.failed_questions: list[AccountError] = []

    # -- memoised account questions -----------------------------------------------------------
    def ask(self, key: Any, fn: Callable[[], Any]) -> Any:
        """Ask the account once; a failure is remembered and re-raised to every later asker."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, fn())
            except AccountError as err:
                self._memo[key] = (False, err)
        ok, value = self._memo[key]
        if not ok:
            self.failed_questions.append(value)
            raise value
        return value

    def zones(self) -> list[dict[str, Any]]:
        return self.ask("zones", self.account.availability_zones)

    def offerings(self) -> dict[str, list[str]]:
        return self.ask("offerings", lambda: self.account.instance_type_offerings(self.instance_types()))

    def account_types(self) -> dict[str, dict[str, Any] | None]:
        return self.ask("types", lambda: self.account.instance_types(self.instance_types()))

    def images(self) -> dict[str, dict[str, Any] | None]:
        """DescribeImages of every image the pools launch: the AMIs they name and the ones their
        default-image parameters resolve to now (a parameter that cannot be read is left out here;
        `pool_image` reports it)."""
        ids = {p["ami"] for p in self.pools if p.get("ami")}
        for p in self.pools:
            if not p.get("ami") and str(p.get("image") or "").startswith(SSM_PREFIX):
                try:
                    ids.add(self.pool_image(p))
                except AccountError:
                    pass
        ids.discard("")
        ids_sorted = sorted(ids)
        return self.ask(("images", tuple(ids_sorted)), lambda: self.account.images(ids_sorted)) if ids_sorted else {}

    def pool_image(self, pool: dict[str, Any]) -> str:
        """The image id a pool launches now: its `ami`, or what its `resolve:ssm:` parameter names
        (SSM GetParameter, as EC2 resolves it at launch); "" when the parameter does not exist."""
        if pool.get("ami"):
            return str(pool["ami"])
        image = str(pool.get("image") or "")
        if not image.startswith(SSM_PREFIX):
            return image
        name = image.removeprefix(SSM_PREFIX)
        return self.ask(("image-parameter", name), lambda: self.account.image_parameter(name))

    def quota(self, service: str, code: str) -> dict[str, Any]:
        return self.ask(("quota", service, code), lambda: known_quota(self.account.service_quota(service, code)))

    def quota_list(self, service: str) -> list[dict[str, Any]]:
        return self.ask(("quota-list", service), lambda: self.account.list_service_quotas(service))

    def reservations(self) -> dict[str, dict[str, Any]]:
        return self.ask("reservations", self.account.capacity_reservations)

    def blocks(self) -> dict[str, dict[str, Any]]:
        return self.ask("blocks", self.account.capacity_blocks)

    def block_status(self, block_ids: list[str]) -> dict[str, dict[str, Any]]:
        ids = tuple(sorted(set(block_ids)))
        return self.ask(("block-status", ids), lambda: self.account.capacity_block_status(list(ids)))

    def group(self, arn: str) -> list[str]:
        return self.ask(("group", arn), lambda: self.account.reservation_group(arn))

    def block_offerings(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        key = ("offer",) + tuple(sorted(query.items()))
        return self.ask(key, lambda: self.account.capacity_block_offerings(query))

    def vpc(self, vpc_id: str) -> dict[str, Any] | None:
        return self.ask(("vpc", vpc_id), lambda: self.account.vpcs([vpc_id]))[vpc_id]

    def subnets(self) -> dict[str, dict[str, Any]]:
        return self.ask("subnets", self.account.subnets)

    def count(self, what: str) -> int:
        return self.ask(("count", what), lambda: self.account.count(what))

    # -- plan helpers -------------------------------------------------------------------------
    @property
    def pools(self) -> list[dict[str, Any]]:
        return self.plan.pools

    def instance_types(self) -> list[str]:
        return sorted({p["instance_type"] for p in self.pools if p.get("instance_type")})

    def zone(self, name_or_id: str | None, is_id: bool | None = None) -> dict[str, Any] | None:
        """The zone a spec names (by name or by ID), or None if the region has no such zone."""
        if not name_or_id:
            return None
        for z in self.zones():
            if (is_id is not True and z["name"] == name_or_id) or (is_id is not False and z["id"] == name_or_id):
                return z
        return None

    def pool_zone(self, pool: dict[str, Any]) -> dict[str, Any] | None:
        return self.zone(pool.get("availability_zone"), pool.get("availability_zone_is_id"))

    def zone_suggestions(self, name: str) -> list[str]:
        known = [z["name"] for z in self.zones()] + [z["id"] for z in self.zones() if z["id"]]
        return difflib.get_close_matches(name, known, n=3, cutoff=0.6)

    def pool_reservation_ids(self, pool: dict[str, Any]) -> list[str]:
        """Reservations a pool launches into: its reservation id, or the members of its group."""
        cap = pool_of(pool).capacity
        if cap.resource_group_arn and not cap.targets():
            return self.group(cap.resource_group_arn)
        return cap.targets()  # one per UltraServer, in group order

    def reservation_demand(self, pool: dict[str, Any]) -> dict[str, int]:
        """Instances the pool launches into each reservation it names: an UltraServer's instances for
        each of `reservation_ids` (one UltraServer a reservation), every instance for a single
        `reservation_id`. Resource groups are left out: EC2 picks the member at launch."""
        cap = pool_of(pool).capacity
        if cap.reservation_ids:
            per = int(pool.get("instances_per_ultraserver") or 1)
            out: dict[str, int] = {}
            for rid in cap.reservation_ids:
                out[rid] = out.get(rid, 0) + per
            return out
        if cap.reservation_id:
            return {cap.reservation_id: int(pool["instances"])}
        return {}

    def offering_query(self, pool: dict[str, Any]) -> dict[str, Any]:
        cap = pool_of(pool).capacity
        ultra = pool.get("ultraserver_type")
        count = pool["count"] if ultra else min(int(pool["instances"]), 64)  # 64 instances a block
        return offering_query(instance_type=pool["instance_type"], ultraserver_type=ultra, count=count,
                              days=cap.days, start=cap.start, end=cap.end)

    def catalog_type(self, name: str) -> Any:
        if self.catalog is None:
            return None
        return getattr(self.catalog, "instance_types", {}).get(name)

    # -- findings -----------------------------------------------------------------------------
    def source_of(self, pool: dict[str, Any] | None) -> Source:
        return Source.from_json(pool.get("source")) if pool else Source(file=self.plan.spec_file)

    def finding(self, check_id: str, level: Level, message: str, *, hint: str | None = None,
                pool: dict[str, Any] | None = None, resource: str | None = None,
                source: Source | None = None) -> Finding:
        if source is None:
            source = self.source_of(pool)
        return Finding(check_id, level, message, hint=hint, pool=pool["name"] if pool else None,
                       resource=resource, source=source)

    def could_not(self, check_id: str, what: str, err: AccountError, *,
                  pool: dict[str, Any] | None = None, source: Source | None = None) -> Finding:
        """Fail closed: an unanswered question makes the check UNVERIFIED (with the AWS operation
        and error), never a pass."""
        hint = {
            "denied": "grant the read-only permissions listed in docs/preflight.md "
                      "(`ultraplan preflight --explain-permissions`)",
            "not-captured": "re-take the snapshot with `ultraplan account snapshot --spec SPEC`",
            "throttled": "re-run later, or from a snapshot",
            "deadline": "raise --timeout, or run from a snapshot",
        }.get(err.kind)
        finding = self.finding(check_id, Level.WARNING, f"could not check {what}: {err.reason}", hint=hint,
                               pool=pool, source=source)
        return _mark(finding, Unverified(err.operation, err.kind, err.reason))

    def lacking(self, check_id: str, record: dict[str, Any], keys: Iterable[str], what: str, *, operation: str,
                pool: dict[str, Any] | None = None) -> Finding | None:
        """Fail closed on a partial answer: the facts a check needs that an AWS answer (or a snapshot)
        lacks make that check UNVERIFIED for the record, never passed and never failed. One rule for
        every check: call it with the keys the check reads before reading them; None when all are there."""
        gone = [k for k in keys if record.get(k) is None]
        if not gone:
            return None
        return self.unverified(check_id, f"could not check {what}: the {operation} answer lacks {', '.join(gone)}",
                               error="incomplete", operation=operation, pool=pool,
                               hint="re-take the snapshot with `ultraplan account snapshot`, or run preflight live")

    def unverified(self, check_id: str, message: str, *, error: str, operation: str | None = None,
                   hint: str | None = None, pool: dict[str, Any] | None = None) -> Finding:
        """A check that could not verify for a reason other than an AWS answer (e.g. no quota code)."""
        finding = self.finding(check_id, Level.WARNING, message, hint=hint, pool=pool)
        return _mark(finding, Unverified(operation, error, message))


def _mark(finding: Finding, why: Unverified) -> Finding:
    from dataclasses import replace

    return replace(finding, unverified=why)


def known_quota(quota: dict[str, Any]) -> dict[str, Any]:
    """A quota whose value is a number; null (or anything else) is unknown, never 0."""
    value = quota.get("value") if isinstance(quota, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        code = quota.get("code") if isinstance(quota, dict) else None
        raise AccountError("get_service_quota", f"the value of quota {code or '?'} is unknown ({value!r})", "unreadable")
    return quota

