"""The live Account: boto3, read-only, the only preflight module that imports boto3.

Every request goes through `_request` (or `_pages`), which counts it, checks it is one of the
operations this module declares (`OPERATIONS`: the IAM policy `preflight --explain-permissions`
prints is derived from them, so it cannot drift from the code), runs it within the run's deadline
and turns whatever still fails into an `AccountError` with a kind and a reason a person can read:
denied (AccessDenied, any HTTP 403), throttled (still throttled after botocore's retries),
timeout / reset / unreachable, unreadable (an answer that does not parse or lacks what we read),
deadline (the overall deadline passed), unsupported (an operation the endpoint lacks).

Deadlines: the run has an overall deadline (`timeout`, default 120 s); every call gets botocore's
connect and read timeouts (5 s and 30 s, never beyond the deadline) and botocore's adaptive
retries with backoff (at most `max_attempts`), which stop once the deadline has passed. A call
still waiting at the deadline is abandoned and reported, and every later question is answered at
once with a `deadline` error: what is left is unverified, never passed.

Calls are batched (up to 100 types a request) and paginated with the largest page sizes the APIs
allow, so their number grows with types, zones and pools, never with instances.
"""
from __future__ import annotations

import functools
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Sequence

import boto3
import botocore.exceptions as bx
from botocore.config import Config
from botocore.parsers import ResponseParserError

from .account import AccountError

DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
          "AuthFailure", "OptInRequired", "InvalidClientTokenId", "UnrecognizedClientException"}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "RequestThrottled", "SlowDown"}
BATCH = 100  # DescribeInstanceTypes takes at most 100 names; filters take more, 100 keeps URLs short
AL2023_IMAGE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# What Account.count counts: (service, operation, result key, page size or None if not paginated, params).
COUNT_CALLS: dict[str, tuple[str, str, str, int | None, dict[str, Any]]] = {
    "vpcs": ("ec2", "describe_vpcs", "Vpcs", 1000, {}),
    "network_interfaces": ("ec2", "describe_network_interfaces", "NetworkInterfaces", 1000, {}),
    "security_groups": ("ec2", "describe_security_groups", "SecurityGroups", 1000, {}),
    "auto_scaling_groups": ("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups", 100, {}),
    "launch_templates": ("ec2", "describe_launch_templates", "LaunchTemplates", 200, {}),
    "placement_groups": ("ec2", "describe_placement_groups", "PlacementGroups", None, {}),
    "elastic_ips": ("ec2", "describe_addresses", "Addresses", None, {}),
    "nat_gateways": ("ec2", "describe_nat_gateways", "NatGateways", 1000,
                     {"Filters": [{"Name": "state", "Values": ["pending", "available"]}]}),
}

DEFAULT_TIMEOUT_S = 120.0  # the overall preflight deadline (docs/preflight.md); --timeout changes it
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
MAX_ATTEMPTS = 5

# Account method -> the (boto3 service, operation) pairs it may call. The only AWS calls preflight
# and `account snapshot` make; `_request` refuses any other (a bug), and the IAM policy document of
# `preflight --explain-permissions` is derived from this table.
OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {}
DRY_RUN_METHODS = ("default_image", "launch_dry_run")  # only with --launch-dry-run
IAM_PREFIX = {"service-quotas": "servicequotas"}  # boto3 service name -> IAM action prefix, where they differ


def reads(*operations: tuple[str, str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the operations an Account method calls; an answer it cannot read is `unreadable`."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS[method.__name__] = tuple(operations)

        @functools.wraps(method)
        def wrapper(self: "LiveAccount", *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except AccountError:
                raise
            except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
                err = AccountError(operations[0][1], f"unreadable answer ({type(exc).__name__}: {exc})", "unreadable")
                self.failures.append(err)
                raise err from None

        return wrapper

    return decorate


@functools.lru_cache(maxsize=None)
def _api_names(service: str) -> dict[str, str]:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def iam_action(service: str, operation: str) -> str:
    """`ec2`, `describe_vpc_attribute` -> `ec2:DescribeVpcAttribute` (API name from botocore's model)."""
    return f"{IAM_PREFIX.get(service, service)}:{_api_names(service)[operation]}"


def permissions_policy(launch_dry_run: bool = False) -> dict[str, Any]:
    """The IAM policy document preflight needs, derived from `OPERATIONS`."""
    def actions(methods: Sequence[str]) -> list[str]:
        return sorted({iam_action(svc, op) for m in methods for svc, op in OPERATIONS[m]})

    read_only = [m for m in OPERATIONS if m not in DRY_RUN_METHODS]
    statements: list[dict[str, Any]] = [{"Sid": "UltraplanPreflightReadOnly", "Effect": "Allow",
                                         "Action": actions(read_only), "Resource": "*"}]
    if launch_dry_run:
        statements.append({"Sid": "UltraplanLaunchDryRun", "Effect": "Allow", "Action": actions(DRY_RUN_METHODS),
                           "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


class DeadlinePassed(Exception):
    """Raised from botocore's before-send hook so that no retry starts after the deadline."""


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _to_datetime(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _latest_end(text: str) -> datetime:
    """EndDateRange ("the latest end date for the Capacity Block offering") for a pool's end. A block
    ends at 11:30 UTC (EC2 User Guide, capacity blocks), so an end given as a day means any time that
    day: midnight would rule out every block that ends on it (end = start + days then matched none)."""
    if "T" in text:
        return _to_datetime(text)
    return _to_datetime(text) + timedelta(days=1)


def error_from(operation: str, exc: BaseException) -> AccountError:
    """Map whatever boto3 raised to an AccountError with a kind and a readable reason."""
    if isinstance(exc, AccountError):
        return exc
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code, msg = err.get("Code", "Unknown"), err.get("Message", "")
        retries = meta.get("RetryAttempts", 0)
        reason = f"{code}: {msg}".strip().rstrip(":")
        if code in THROTTLED:
            return AccountError(operation, f"{reason} (still throttled after {retries} retries)", "throttled")
        if code in DENIED or meta.get("HTTPStatusCode") == 403:
            return AccountError(operation, f"{reason} (the credentials may not call {operation})", "denied")
        if "NotFound" in code or code == "NoSuchResourceException":
            return AccountError(operation, reason, "not-found")
        if code.isdigit():
            # botocore names an error by its HTTP status only when it could not parse the error body
            # (botocore 1.44 on a truncated JSON error; older releases raised ResponseParserError).
            return AccountError(operation, f"unreadable answer (HTTP {code}: {msg[:200]})", "unreadable")
        return AccountError(operation, reason, "error")
    if isinstance(exc, DeadlinePassed):
        return AccountError(operation, str(exc), "deadline")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AccountError(operation, "no AWS credentials found", "unreachable")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError)):
        return AccountError(operation, f"could not reach AWS ({exc})", "unreachable")
    if isinstance(exc, bx.ReadTimeoutError):
        return AccountError(operation, f"timed out ({exc})", "timeout")
    if isinstance(exc, bx.ConnectionClosedError):
        return AccountError(operation, f"connection closed or reset before an answer ({exc})", "reset")
    if isinstance(exc, UnicodeDecodeError):  # botocore's JSON parser on bytes that are not text
        return AccountError(operation, f"unreadable answer (not UTF-8: {exc.reason} at byte {exc.start})", "unreadable")
    if isinstance(exc, ResponseParserError):
        return AccountError(operation, f"unreadable answer ({str(exc).splitlines()[0][:200]})", "unreadable")
    if isinstance(exc, NotImplementedError):  # moto: an action it does not implement
        return AccountError(operation, f"not supported by this endpoint ({exc})", "unsupported")
    return AccountError(operation, f"{type(exc).__name__}: {exc}", "error")


class LiveAccount:
    """Answers the Account questions from AWS through boto3 (read-only calls and DryRun only)."""

    live = True

    def __init__(self, region: str, *, session: Any = None, endpoint_url: str | None = None,
                 max_attempts: int = MAX_ATTEMPTS, connect_timeout: float = CONNECT_TIMEOUT_S,
                 read_timeout: float = READ_TIMEOUT_S, timeout: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.region = region
        self.calls = 0
        self.calls_by_operation: dict[str, int] = {}
        self.failures: list[AccountError] = []
        self.timeout = float(timeout)
        self._clock = clock
        self._deadline = clock() + self.timeout
        self._session = session or boto3.session.Session(region_name=region)
        self._endpoint_url = endpoint_url
        self._config = Config(
            region_name=region,
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            connect_timeout=min(connect_timeout, self.timeout),
            read_timeout=min(read_timeout, self.timeout),
            user_agent_extra="ultraplan-preflight",
        )
        self._clients: dict[str, Any] = {}
        self._unreachable: AccountError | None = None  # once AWS is out of reach, stop asking
        self._expired: AccountError | None = None  # once the deadline passed, stop asking

    # -- plumbing ----------------------------------------------------------------------------
    def remaining(self) -> float:
        return self._deadline - self._clock()

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {"config": self._config, "region_name": self.region}
            if self._endpoint_url:
                kwargs["endpoint_url"] = self._endpoint_url
            client = self._session.client(service, **kwargs)
            client.meta.events.register("before-send", self._before_send)
            self._clients[service] = client
        return self._clients[service]

    def _before_send(self, **_kwargs: Any) -> None:
        # botocore calls this before every attempt, retries included: none starts after the deadline.
        if self.remaining() <= 0:
            raise DeadlinePassed(f"the {self.timeout:g} s preflight deadline passed before an answer")

    def _fail(self, operation: str, exc: BaseException) -> AccountError:
        err = error_from(operation, exc)
        self.failures.append(err)
        if err.kind == "unreachable":
            self._unreachable = err
        if err.kind == "deadline":
            self._expired = err
        return err

    def _check_reachable(self, operation: str) -> None:
        """After 'could not reach AWS' (retried already) or the deadline, fail the rest at once, without a call."""
        stop = self._unreachable or self._expired
        if stop is None and self.remaining() <= 0:
            stop = self._expired = AccountError(operation, f"the {self.timeout:g} s preflight deadline passed "
                                                "before this call", "deadline")
        if stop is not None:
            err = AccountError(operation, stop.reason, stop.kind)
            self.failures.append(err)
            raise err

    def _declared(self, service: str, operation: str) -> None:
        if not any((service, operation) in ops for ops in OPERATIONS.values()):
            raise RuntimeError(f"preflight called {service}.{operation}, which live.OPERATIONS does not declare "
                               "(the IAM policy would miss it)")

    def _within_deadline(self, operation: str, fn: Callable[[], Any]) -> Any:
        """Run one AWS call; give up on it at the deadline (the call is left to finish on its own)."""
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=target, name=f"ultraplan-{operation}", daemon=True)
        worker.start()
        worker.join(max(0.0, self.remaining()))
        if worker.is_alive():
            raise DeadlinePassed(f"no answer within the {self.timeout:g} s preflight deadline")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def _count(self, operation: str, n: int = 1) -> None:
        self.calls += n
        self.calls_by_operation[operation] = self.calls_by_operation.get(operation, 0) + n

    def _request(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        self._declared(service, operation)
        self._check_reachable(operation)
        self._count(operation)
        try:
            return self._within_deadline(operation, lambda: getattr(self._client(service), operation)(**params))
        except Exception as exc:  # noqa: BLE001 - every failure becomes an AccountError
            raise self._fail(operation, exc) from None

    def _pages(self, service: str, operation: str, page_size: int | None = None,
               **params: Any) -> Iterator[dict[str, Any]]:
        self._declared(service, operation)
        self._check_reachable(operation)
        client = self._client(service)
        config = {"PageSize": page_size} if page_size else {}
        pages = client.get_paginator(operation).paginate(**params, PaginationConfig=config)
        iterator = iter(pages)
        done = object()
        while True:
            self._check_reachable(operation)
            self._count(operation)
            try:
                page = self._within_deadline(operation, lambda: next(iterator, done))
            except Exception as exc:  # noqa: BLE001
                raise self._fail(operation, exc) from None
            if page is done:
                self._count(operation, -1)  # the paginator stopped without making a request
                return
            if not isinstance(page, dict):
                err = AccountError(operation, f"unreadable answer (a page of {type(page).__name__})", "unreadable")
                self.failures.append(err)
                raise err
            yield page

    # -- zones and types ----------------------------------------------------------------------
    @reads(("ec2", "describe_availability_zones"))
    def availability_zones(self) -> list[dict[str, Any]]:
        data = self._request("ec2", "describe_availability_zones", AllAvailabilityZones=True)
        return [
            {"name": z["ZoneName"], "id": z.get("ZoneId"), "type": z.get("ZoneType", "availability-zone"),
             "state": z.get("State"), "opt_in": z.get("OptInStatus"), "group": z.get("GroupName")}
            for z in data.get("AvailabilityZones", [])
        ]

    @reads(("ec2", "describe_instance_type_offerings"))
    def instance_type_offerings(self, types: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {t: set() for t in types}
        for chunk in _chunks(sorted(set(types)), BATCH):
            for page in self._pages("ec2", "describe_instance_type_offerings", 1000,
                                    LocationType="availability-zone-id",
                                    Filters=[{"Name": "instance-type", "Values": chunk}]):
                for o in page.get("InstanceTypeOfferings", []):
                    out.setdefault(o["InstanceType"], set()).add(o["Location"])
        return {t: sorted(z) for t, z in out.items()}

    @reads(("ec2", "describe_instance_types"))
    def instance_types(self, types: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = {t: None for t in types}
        for chunk in _chunks(sorted(set(types)), BATCH):
            try:
                data = self._request("ec2", "describe_instance_types", InstanceTypes=chunk)
            except AccountError as err:
                if "InvalidInstanceType" not in err.reason:
                    raise
                self.failures.pop()  # an unknown name in the batch: ask one at a time
                data = {"InstanceTypes": []}
                for name in chunk:
                    try:
                        data["InstanceTypes"] += self._request(
                            "ec2", "describe_instance_types", InstanceTypes=[name])["InstanceTypes"]
                    except AccountError as one:
                        if "InvalidInstanceType" not in one.reason:
                            raise
                        self.failures.pop()
            for it in data.get("InstanceTypes", []):
                out[it["InstanceType"]] = normalize_instance_type(it)
        return out

    @reads(("ec2", "describe_images"))
    def images(self, image_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = {i: None for i in image_ids}
        for chunk in _chunks(sorted(set(image_ids)), BATCH):
            try:
                found = self._request("ec2", "describe_images", ImageIds=chunk).get("Images", [])
            except AccountError as err:
                if "InvalidAMIID" not in err.reason:
                    raise
                self.failures.pop()  # one unknown id fails the batch: ask one at a time
                found = []
                for image_id in chunk:
                    try:
                        found += self._request("ec2", "describe_images", ImageIds=[image_id]).get("Images", [])
                    except AccountError as one:
                        if "InvalidAMIID" not in one.reason:
                            raise
                        self.failures.pop()
            for img in found:
                out[img["ImageId"]] = normalize_image(img)
        return out

    # -- quotas --------------------------------------------------------------------------------
    @reads(("service-quotas", "get_service_quota"))
    def service_quota(self, service: str, code: str) -> dict[str, Any]:
        q = self._request("service-quotas", "get_service_quota", ServiceCode=service, QuotaCode=code)["Quota"]
        return {"code": q["QuotaCode"], "name": q.get("QuotaName"), "value": q.get("Value")}

    @reads(("service-quotas", "list_service_quotas"))
    def list_service_quotas(self, service: str) -> list[dict[str, Any]]:
        out = []
        for page in self._pages("service-quotas", "list_service_quotas", 100, ServiceCode=service):
            out += [{"code": q["QuotaCode"], "name": q.get("QuotaName"), "value": q.get("Value")}
                    for q in page.get("Quotas", [])]
        return out

    # -- capacity ------------------------------------------------------------------------------
    @reads(("ec2", "describe_capacity_reservations"))
    def capacity_reservations(self) -> dict[str, dict[str, Any]]:
        out = {}
        for page in self._pages("ec2", "describe_capacity_reservations", 1000):
            for r in page.get("CapacityReservations", []):
                out[r["CapacityReservationId"]] = normalize_reservation(r)
        return out

    @reads(("ec2", "describe_capacity_blocks"))
    def capacity_blocks(self) -> dict[str, dict[str, Any]]:
        out = {}
        for page in self._pages("ec2", "describe_capacity_blocks", 1000):
            for b in page.get("CapacityBlocks", []):
                out[b["CapacityBlockId"]] = {
                    "id": b["CapacityBlockId"], "ultraserver_type": b.get("UltraserverType"),
                    "zone": b.get("AvailabilityZone"), "zone_id": b.get("AvailabilityZoneId"),
                    "reservation_ids": list(b.get("CapacityReservationIds", [])),
                    "start": _iso(b.get("StartDate")), "end": _iso(b.get("EndDate")), "state": b.get("State"),
                }
        return out

    @reads(("ec2", "describe_capacity_block_status"))
    def capacity_block_status(self, block_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for chunk in _chunks(sorted(set(block_ids)), BATCH):
            for page in self._pages("ec2", "describe_capacity_block_status", None, CapacityBlockIds=chunk):
                for s in page.get("CapacityBlockStatuses", []):
                    out[s["CapacityBlockId"]] = {
                        "id": s["CapacityBlockId"], "interconnect": s.get("InterconnectStatus"),
                        "total": s.get("TotalCapacity"), "unavailable": s.get("TotalUnavailableCapacity"),
                    }
        return out

    @reads(("resource-groups", "list_group_resources"))
    def reservation_group(self, arn: str) -> list[str]:
        ids = []
        for page in self._pages("resource-groups", "list_group_resources", 50, Group=arn):
            for item in page.get("Resources", []) or page.get("ResourceIdentifiers", []):
                ident = item.get("Identifier", item)
                res_arn = ident.get("ResourceArn", "")
                if "capacity-reservation/" in res_arn:
                    ids.append(res_arn.rsplit("/", 1)[-1])
        return ids

    @reads(("ec2", "describe_capacity_block_offerings"))
    def capacity_block_offerings(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"CapacityDurationHours": query["duration_hours"] or 24}
        if query.get("ultraserver_type"):
            params.update(UltraserverType=query["ultraserver_type"], UltraserverCount=query["count"])
        else:
            params.update(InstanceType=query["instance_type"], InstanceCount=query["count"])
        if query.get("start"):
            params["StartDateRange"] = _to_datetime(query["start"])
        if query.get("end"):
            params["EndDateRange"] = _latest_end(query["end"])
        out = []
        for page in self._pages("ec2", "describe_capacity_block_offerings", None, **params):
            for o in page.get("CapacityBlockOfferings", []):
                out.append({
                    "instance_type": o.get("InstanceType"), "ultraserver_type": o.get("UltraserverType"),
                    "zone": o.get("AvailabilityZone"), "count": o.get("InstanceCount"),
                    "ultraserver_count": o.get("UltraserverCount"),
                    "start": _iso(o.get("StartDate")), "end": _iso(o.get("EndDate")),
                    "duration_hours": o.get("CapacityBlockDurationHours"),
                    "upfront_fee": o.get("UpfrontFee"), "currency": o.get("CurrencyCode"),
                })
        return out

    # -- network -------------------------------------------------------------------------------
    @reads(("ec2", "describe_vpcs"), ("ec2", "describe_vpc_attribute"))
    def vpcs(self, vpc_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = {}
        for vpc_id in sorted(set(vpc_ids)):
            try:
                found = self._request("ec2", "describe_vpcs", VpcIds=[vpc_id]).get("Vpcs", [])
            except AccountError as err:
                if err.kind != "not-found":
                    raise
                self.failures.pop()
                found = []
            if not found:
                out[vpc_id] = None
                continue
            v = found[0]
            cidrs = [a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", [])
                     if a.get("CidrBlockState", {}).get("State", "associated") == "associated"]
            attrs = {}
            for attr, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
                data = self._request("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attr)
                attrs[attr] = bool(data.get(key, {}).get("Value"))
            out[vpc_id] = {"id": vpc_id, "cidrs": cidrs or [v["CidrBlock"]],
                           "dns_support": attrs["enableDnsSupport"], "dns_hostnames": attrs["enableDnsHostnames"]}
        return out

    @reads(("ec2", "describe_subnets"))
    def subnets(self) -> dict[str, dict[str, Any]]:
        out = {}
        for page in self._pages("ec2", "describe_subnets", 1000):
            for s in page.get("Subnets", []):
                out[s["SubnetId"]] = {
                    "id": s["SubnetId"], "vpc_id": s.get("VpcId"), "cidr": s.get("CidrBlock"),
                    "zone": s.get("AvailabilityZone"), "zone_id": s.get("AvailabilityZoneId"),
                    "available_ips": s.get("AvailableIpAddressCount"),
                    "map_public_ip": s.get("MapPublicIpOnLaunch"),
                }
        return out

    @reads(*sorted({(c[0], c[1]) for c in COUNT_CALLS.values()}), ("fsx", "describe_file_systems"))
    def count(self, what: str) -> int:
        if what in COUNT_CALLS:
            service, operation, key, page_size, params = COUNT_CALLS[what]
            if page_size is None:  # not paginated
                return len(self._request(service, operation, **params).get(key, []))
            return sum(len(page.get(key, [])) for page in self._pages(service, operation, page_size, **params))
        if what == "lustre_persistent_2_gib":
            return sum(int(fs.get("StorageCapacity") or 0)
                       for page in self._pages("fsx", "describe_file_systems", 2147483647)
                       for fs in page.get("FileSystems", [])
                       if fs.get("FileSystemType") == "LUSTRE"
                       and (fs.get("LustreConfiguration") or {}).get("DeploymentType") == "PERSISTENT_2")
        raise AccountError(f"count {what}", f"ultraplan does not know how to count {what}", "unsupported")

    # -- launch dry run ------------------------------------------------------------------------
    @reads(("ssm", "get_parameter"))
    def default_image(self, architecture: str) -> str:
        arch = "arm64" if architecture.startswith("arm") else "x86_64"
        data = self._request("ssm", "get_parameter", Name=AL2023_IMAGE.format(arch=arch))
        return data["Parameter"]["Value"]

    @reads(("ssm", "get_parameter"))
    def image_parameter(self, name: str) -> str:
        """The image id a public SSM parameter names now (what `resolve:ssm:` resolves at launch)."""
        try:
            data = self._request("ssm", "get_parameter", Name=name)
        except AccountError as err:
            if "ParameterNotFound" not in err.reason:
                raise
            self.failures.pop()  # an answer: the parameter does not exist here
            return ""
        return data["Parameter"]["Value"]

    @reads(("ec2", "describe_launch_templates"))
    def launch_template(self, name_tag: str) -> dict[str, Any] | None:
        """The deployed launch template whose Name tag is `name_tag` (the Plan tags each one), or None."""
        data = self._request("ec2", "describe_launch_templates",
                             Filters=[{"Name": "tag:Name", "Values": [name_tag]}])
        found = data.get("LaunchTemplates", [])
        if not found:
            return None
        lt = found[0]
        return {"id": lt["LaunchTemplateId"], "name": lt.get("LaunchTemplateName"),
                "latest_version": lt.get("LatestVersionNumber")}

    @reads(("ec2", "run_instances"))
    def launch_dry_run(self, request: dict[str, Any]) -> str:
        self._declared("ec2", "run_instances")
        self._check_reachable("run_instances")
        self._count("run_instances")
        try:
            self._within_deadline("run_instances", lambda: self._client("ec2").run_instances(DryRun=True, **request))
        except bx.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code in THROTTLED or code in DENIED:  # refused: the launch is unverified, not judged
                raise self._fail("run_instances", exc) from None
            return code
        except Exception as exc:  # noqa: BLE001
            raise self._fail("run_instances", exc) from None
        return "DryRunOperation"  # an endpoint that ignores DryRun answered success


def normalize_instance_type(it: dict[str, Any]) -> dict[str, Any]:
    net = it.get("NetworkInfo", {})
    return {
        "vcpus": it.get("VCpuInfo", {}).get("DefaultVCpus"),
        "efa_supported": bool(net.get("EfaSupported", False)),
        "max_efa_interfaces": (net.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0),
        "network_cards": net.get("MaximumNetworkCards", 1),
        "max_network_interfaces": net.get("MaximumNetworkInterfaces"),
        "architectures": list(it.get("ProcessorInfo", {}).get("SupportedArchitectures", [])),
    }


def normalize_image(img: dict[str, Any]) -> dict[str, Any]:
    root = next((m for m in img.get("BlockDeviceMappings", []) if m.get("DeviceName") == img.get("RootDeviceName")), {})
    return {"id": img["ImageId"], "name": img.get("Name"), "architecture": img.get("Architecture"),
            "state": img.get("State"), "root_gib": (root.get("Ebs") or {}).get("VolumeSize"),
            "root_device_name": img.get("RootDeviceName"),
            "platform": img.get("PlatformDetails") or img.get("Platform") or "Linux/UNIX"}


def normalize_reservation(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["CapacityReservationId"], "instance_type": r.get("InstanceType"),
        "zone": r.get("AvailabilityZone"), "zone_id": r.get("AvailabilityZoneId"),
        "platform": r.get("InstancePlatform"), "tenancy": r.get("Tenancy"),
        "total": r.get("TotalInstanceCount"), "available": r.get("AvailableInstanceCount"),
        "state": r.get("State"), "start": _iso(r.get("StartDate")), "end": _iso(r.get("EndDate")),
        "end_type": r.get("EndDateType"), "reservation_type": r.get("ReservationType", "default"),
        "capacity_block_id": r.get("CapacityBlockId"), "placement_group_arn": r.get("PlacementGroupArn"),
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]

