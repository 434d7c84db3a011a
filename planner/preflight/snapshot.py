"""Account snapshots: capture everything preflight reads into a versioned JSON file, and replay it.

`capture(account, plan)` asks a (live) account every question preflight may ask, broadly enough
that a later run of the same plan, or of a plan using the catalog's accelerated types, needs
nothing else; failures are stored too, so a replay gives the same findings (a question that was
refused live is refused from the snapshot with the same reason). `SnapshotAccount` answers from
the file with no credentials and makes no AWS calls. Format: docs/preflight.md ("Snapshot format").
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..plan.model import Plan, write_atomic
from ..records import pool_of
from .account import AccountError
from .context import SSM_PREFIX
from .checks.quotas import wants_block
from .context import Context

SNAPSHOT_FORMAT = "ultraplan-account-snapshot"
SNAPSHOT_VERSION = 1
COUNTS = ("vpcs", "network_interfaces", "security_groups", "auto_scaling_groups", "launch_templates",
          "placement_groups", "elastic_ips", "nat_gateways", "lustre_persistent_2_gib")


def _err(err: AccountError) -> dict[str, str]:
    return {"operation": err.operation, "reason": err.reason, "kind": err.kind}


def _raise(data: dict[str, str]) -> None:
    raise AccountError(data.get("operation", "?"), data.get("reason", "failed when the snapshot was taken"),
                       data.get("kind", "error"))


def query_key(query: dict[str, Any]) -> str:
    return json.dumps(query, sort_keys=True)


# -- capture ---------------------------------------------------------------------------------------
def _value(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"value": fn()}
    except AccountError as err:
        return {"error": _err(err)}


def _items(keys: Sequence[Any], fn: Callable[[Any], Any], key: Callable[[Any], str] = str) -> dict[str, Any]:
    section: dict[str, Any] = {"items": {}, "errors": {}}
    for k in keys:
        try:
            section["items"][key(k)] = fn(k)
        except AccountError as err:
            section["errors"][key(k)] = _err(err)
    return section


def _batch(keys: Sequence[str], fn: Callable[[Sequence[str]], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"items": fn(keys), "errors": {}}
    except AccountError as err:
        return {"items": {}, "errors": {k: _err(err) for k in keys}}


def snapshot_types(plans: Sequence[Plan], catalog: Any) -> list[str]:
    """The plans' types and every accelerated (or EFA) type of the catalog."""
    types = {p["instance_type"] for plan in plans for p in plan.pools if p.get("instance_type")}
    for name, it in (getattr(catalog, "instance_types", None) or {}).items():
        if getattr(it, "accelerator", None) is not None or getattr(it, "efa_supported", False):
            types.add(name)
    return sorted(types)


def capture(account: Any, plan: Plan | Sequence[Plan] | None = None, *, catalog: Any = None, quotas: Any = None,
            progress: Callable[[str], None] | None = None, note: str = "") -> dict[str, Any]:
    """Ask `account` (read-only) everything preflight reads for `plan` (one Plan, several, or none:
    then the catalog's accelerated types and no plan-specific queries); return the snapshot."""
    from .runner import _default_catalog, _default_quotas

    catalog = catalog if catalog is not None else _default_catalog()
    quotas = quotas if quotas is not None else _default_quotas()
    say = progress or (lambda _msg: None)
    plans: list[Plan] = [] if plan is None else [plan] if isinstance(plan, Plan) else list(plan)
    region = account.region
    doc: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "region": region,
        # When AWS was read (a fact about the capture), not the planning clock (planner/clock.py).
        "captured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "specs": [p.spec_file for p in plans], "demo": False, "note": note,
    }
    say("zones")
    doc["availability_zones"] = _value(account.availability_zones)
    types = snapshot_types(plans, catalog)
    say(f"offerings and facts of {len(types)} instance types")
    doc["instance_type_offerings"] = _batch(types, account.instance_type_offerings)
    doc["instance_types"] = _batch(types, account.instance_types)
    params = sorted({p["image"].removeprefix(SSM_PREFIX) for pl in plans for p in pl.pools
                     if str(p.get("image") or "").startswith(SSM_PREFIX)})
    doc["image_parameters"] = _items(params, account.image_parameter)
    resolved = [v for v in (doc["image_parameters"].get("items") or {}).values() if v]
    amis = sorted({p["ami"] for pl in plans for p in pl.pools if p.get("ami")} | set(resolved))
    doc["images"] = _batch(amis, account.images) if amis else {"items": {}, "errors": {}}
    say("service quotas")
    limits = getattr(quotas, "limits", ())
    codes = [(b.service, b.code) for b in quotas.buckets if b.code] + [(b.service, b.code) for b in quotas.vpc.values()]
    codes += [(lim.service, lim.code) for lim in limits if lim.code]
    doc["service_quotas"] = _items(sorted(set(codes)), lambda sc: account.service_quota(*sc), key=lambda sc: "/".join(sc))
    services = sorted({b.service for b in quotas.buckets if not b.code} | {lim.service for lim in limits if not lim.code})
    doc["service_quota_lists"] = _items(services, account.list_service_quotas)
    say("capacity reservations and blocks")
    doc["capacity_reservations"] = _value(account.capacity_reservations)
    doc["capacity_blocks"] = _value(account.capacity_blocks)
    active = sorted(b["id"] for b in (doc["capacity_blocks"].get("value") or {}).values() if b.get("state") == "active")
    doc["capacity_block_status"] = _batch(active, account.capacity_block_status) if active else {"items": {}, "errors": {}}
    pools = [p for pl in plans for p in pl.pools]
    arns = sorted({pool_of(p).capacity.resource_group_arn for p in pools} - {None})
    doc["reservation_groups"] = _items(arns, account.reservation_group)
    queries = {query_key(q): q for pl in plans for q in
               (Context(pl, account).offering_query(p) for p in pl.pools if wants_block(p))}
    queries = list(queries.values())
    say(f"{len(queries)} capacity block offering queries")
    offers = _items(queries, account.capacity_block_offerings, key=query_key)
    offers["queries"] = {query_key(q): q for q in queries}
    doc["capacity_block_offerings"] = offers
    say("subnets and VPCs")
    doc["subnets"] = _value(account.subnets)
    vpc_ids = {s.get("vpc_id") for s in (doc["subnets"].get("value") or {}).values()}
    vpc_ids |= {(pl.network or {}).get("vpc_id") for pl in plans}
    doc["vpcs"] = _items(sorted(vpc_ids - {None}), lambda v: account.vpcs([v])[v])
    doc["counts"] = _items(COUNTS, account.count)
    doc["calls"] = account.calls
    return doc


def save_snapshot(doc: dict[str, Any], path: str) -> None:
    write_atomic(path, json.dumps(doc, indent=1, sort_keys=False) + "\n")


def _snapshot_shape():
    from ..fileshape import ANY, BOOL, INT, NUM, STR, ListOf, MapOf, Obj, Opt

    err = Obj({}, {"operation": STR, "reason": STR, "kind": STR})

    def single(value):
        return Obj({}, {"value": value, "error": err})

    def keyed(value):
        return Obj({}, {"items": MapOf(value), "errors": MapOf(err)})

    quota = Obj({}, {"code": STR, "name": Opt(STR), "value": Opt(NUM)})  # null: unknown, never 0
    return Obj({"format": STR, "version": INT, "region": STR}, {
        "captured_at": Opt(STR), "specs": ListOf(Opt(STR)), "demo": BOOL, "note": Opt(STR), "calls": Opt(INT),
        "availability_zones": single(ListOf(Obj({"name": STR}, {
            "id": Opt(STR), "type": Opt(STR), "state": Opt(STR), "opt_in": Opt(STR), "group": Opt(STR)}))),
        "instance_type_offerings": keyed(ListOf(STR)),
        "instance_types": keyed(Opt(Obj({}, {
            "vcpus": Opt(INT), "efa_supported": BOOL, "max_efa_interfaces": Opt(INT), "network_cards": Opt(INT),
            "max_network_interfaces": Opt(INT), "architectures": ListOf(STR)}))),
        "images": keyed(Opt(Obj({"id": STR}, {"architecture": Opt(STR), "state": Opt(STR), "root_gib": Opt(NUM),
                                              "root_device_name": Opt(STR)}))),
        "image_parameters": keyed(STR),
        "service_quotas": keyed(quota),
        "service_quota_lists": keyed(ListOf(quota)),
        "capacity_reservations": single(MapOf(Obj({"id": STR}, {
            "instance_type": Opt(STR), "zone": Opt(STR), "zone_id": Opt(STR), "total": Opt(INT),
            "available": Opt(INT), "state": Opt(STR), "start": Opt(STR), "end": Opt(STR)}))),
        "capacity_blocks": single(MapOf(Obj({"id": STR}, {"reservation_ids": ListOf(STR), "state": Opt(STR)}))),
        "capacity_block_status": keyed(Obj({"id": STR}, {
            "interconnect": Opt(STR), "total": Opt(INT), "unavailable": Opt(INT)})),
        "reservation_groups": keyed(ListOf(STR)),
        "capacity_block_offerings": keyed(ListOf(Obj({}, {"zone": Opt(STR), "upfront_fee": ANY}))),
        "vpcs": keyed(Opt(Obj({"id": STR}, {"cidrs": ListOf(STR), "dns_support": BOOL, "dns_hostnames": BOOL}))),
        "subnets": single(MapOf(Obj({"id": STR}, {
            "vpc_id": Opt(STR), "cidr": Opt(STR), "zone": Opt(STR), "zone_id": Opt(STR), "available_ips": Opt(INT)}))),
        "counts": keyed(INT),
    })


def load_snapshot(path: str) -> "SnapshotAccount":
    """Read a snapshot file: bounded size, UTF-8 JSON, the right format and version, every section
    of the right shape; anything else is an InputFileError naming the file and the field (exit 2)."""
    from ..errors import InputFileError
    from ..inputs import MAX_SNAPSHOT_BYTES, read_text
    from ..fileshape import conform

    text = read_text(path, MAX_SNAPSHOT_BYTES, "account snapshot")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"line {exc.lineno}", f"not JSON ({exc.msg})") from None
    except RecursionError:
        raise InputFileError(path, "<root>", "nested too deeply") from None
    if not isinstance(doc, dict):
        raise InputFileError(path, "<root>", "not an ultraplan account snapshot (expected a JSON object)")
    account = SnapshotAccount(doc, label=path)  # format and version first: their message is the clearest
    conform(doc, _snapshot_shape(), path, "re-take it with `ultraplan account snapshot`")
    return account


# -- replay ----------------------------------------------------------------------------------------
class SnapshotAccount:
    """Answers the Account questions from a snapshot document; makes no AWS calls."""

    live = False

    def __init__(self, doc: dict[str, Any], label: str = "") -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise UsageError(f"{label or 'snapshot'}: not an ultraplan account snapshot (format "
                             f"{doc.get('format')!r})")
        if doc.get("version") != SNAPSHOT_VERSION:
            raise UsageError(f"{label or 'snapshot'}: snapshot version {doc.get('version')} is not supported "
                             f"(this ultraplan reads version {SNAPSHOT_VERSION}); re-take it")
        self.doc = doc
        self.region = doc.get("region")  # its shape (a required string) is checked by load_snapshot's conform
        self.label = label or doc.get("captured_at", "")
        self.calls = 0
        self.failures: list[AccountError] = []

    def _missing(self, operation: str, what: str) -> AccountError:
        return AccountError(operation, f"{what} is not in the snapshot taken {self.doc.get('captured_at')}",
                            "not-captured")

    def _value(self, section: str, operation: str) -> Any:
        data = self.doc.get(section)
        if not data:
            raise self._missing(operation, section.replace("_", " "))
        if "error" in data:
            _raise(data["error"])
        return data["value"]

    def _item(self, section: str, key: str, operation: str) -> Any:
        data = self.doc.get(section) or {}
        if key in data.get("items", {}):
            return data["items"][key]
        if key in data.get("errors", {}):
            _raise(data["errors"][key])
        raise self._missing(operation, f"{section.replace('_', ' ')} for {key}")

    def availability_zones(self) -> list[dict[str, Any]]:
        return self._value("availability_zones", "describe_availability_zones")

    def instance_type_offerings(self, types: Sequence[str]) -> dict[str, list[str]]:
        return {t: self._item("instance_type_offerings", t, "describe_instance_type_offerings") for t in types}

    def instance_types(self, types: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        return {t: self._item("instance_types", t, "describe_instance_types") for t in types}

    def images(self, image_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        return {i: self._item("images", i, "describe_images") for i in image_ids}

    def service_quota(self, service: str, code: str) -> dict[str, Any]:
        return self._item("service_quotas", f"{service}/{code}", "get_service_quota")

    def list_service_quotas(self, service: str) -> list[dict[str, Any]]:
        return self._item("service_quota_lists", service, "list_service_quotas")

    def capacity_reservations(self) -> dict[str, dict[str, Any]]:
        return self._value("capacity_reservations", "describe_capacity_reservations")

    def capacity_blocks(self) -> dict[str, dict[str, Any]]:
        return self._value("capacity_blocks", "describe_capacity_blocks")

    def capacity_block_status(self, block_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {b: self._item("capacity_block_status", b, "describe_capacity_block_status") for b in block_ids}

    def reservation_group(self, arn: str) -> list[str]:
        return self._item("reservation_groups", arn, "list_group_resources")

    def capacity_block_offerings(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return self._item("capacity_block_offerings", query_key(query), "describe_capacity_block_offerings")

    def vpcs(self, vpc_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        return {v: self._item("vpcs", v, "describe_vpcs") for v in vpc_ids}

    def subnets(self) -> dict[str, dict[str, Any]]:
        return self._value("subnets", "describe_subnets")

    def count(self, what: str) -> int:
        return self._item("counts", what, f"count {what}")

    def default_image(self, architecture: str) -> str:
        raise AccountError("get_parameter", "a snapshot cannot resolve images", "not-captured")

    def image_parameter(self, name: str) -> str:
        return self._item("image_parameters", name, "get_parameter")

    def launch_template(self, name_tag: str) -> dict[str, Any] | None:
        raise AccountError("describe_launch_templates", "a snapshot holds no launch templates", "not-captured")

    def launch_dry_run(self, request: dict[str, Any]) -> str:
        raise AccountError("run_instances", "a launch dry run needs a live account", "not-captured")
