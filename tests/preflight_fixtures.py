"""Helpers for the preflight tests: small hand-written Plans, moto, and the data moto lacks.

What is moto and what is seeded
- moto (`mock_aws`, real data shipped with moto 5.2.1): availability zones, instance type
  offerings per zone ID, DescribeInstanceTypes, VPCs, subnets (with AvailableIpAddressCount),
  network interfaces, security groups, VPC attributes, Service Quotas for service code `vpc`,
  RunInstances DryRun, the SSM public AMI parameters.
- seeded by `Seed` (moto has none of these): EC2 Service Quotas (codes L-417A185B, ...), capacity
  reservations, capacity blocks and their interconnect status, capacity block offerings, resource
  groups of reservations. `Seed.install(session)` answers those operations from a botocore
  `before-call` hook on the session the LiveAccount uses, so the LiveAccount code path (client
  call, pagination, normalisation) is the real one; only the answer is canned.
- injected failures: `inject_error` (a `before-send` hook, so botocore's retry logic really runs)
  for throttling and AccessDenied.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import boto3

from planner.plan.model import Plan

REGION = "us-east-1"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
}
UNSET_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

EC2_QUOTA_NAMES = {
    "L-417A185B": "Running On-Demand P instances",
    "L-DB2E81BA": "Running On-Demand G and VT instances",
    "L-2C3B7624": "Running On-Demand Trn instances",
    "L-1216C47A": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    "L-C4BD4855": "All P5 Spot Instance Requests",
    "L-7212CCBC": "All P4, P3 and P2 Spot Instance Requests",
    "L-3819A6DF": "All G and VT Spot Instance Requests",
    "L-6B0D517C": "All Trn Spot Instance Requests",
    "L-DA6814F2": "P5 Capacity Blocks",
    "L-C45F30BC": "P5e Capacity Blocks",
    "L-4F9BB70B": "P5en Capacity Blocks",
    "L-2C8F52B3": "P4d Capacity Blocks",
    "L-64569A79": "Trn2 Capacity Blocks",
    "L-0263D0A3": "EC2-VPC Elastic IPs",
    # A name-only quota: preflight finds P6-B200 capacity blocks by name (the code is UNCONFIRMED).
    "L-TESTP6B2": "P6-B200 Capacity Blocks",
}
# Quotas of services moto's Service Quotas does not answer (seeded): (service, code) -> name.
OTHER_QUOTA_NAMES = {
    ("autoscaling", "L-CDE20ADC"): "Auto Scaling groups per region",
    ("fsx", "L-8F1B9C74"): "Lustre Persistent_2 storage capacity",
}


def pool(name: str = "gpu", instance_type: str = "p5.48xlarge", instances: int = 4, *, vcpus: int = 192,
         zone: str = "us-east-1a", zone_is_id: bool = False, capacity: dict[str, Any] | None = None,
         efa: bool = True, efa_interfaces: int = 32, interfaces: int = 33, ips: int = 1,
         existing_subnet_id: str | None = None, kind: str = "instance", ultraserver_type: str | None = None,
         per_ultraserver: int | None = None, line: int = 10, **extra: Any) -> dict[str, Any]:
    """One pool record as docs/plan-format.md describes it."""
    cap = {"type": "on-demand", "reservation_id": None, "resource_group_arn": None, "start": None, "days": None,
           "end": None, "planned": False}
    cap.update(capacity or {})
    record = {
        "name": name, "kind": kind, "instance_type": instance_type, "ultraserver_type": ultraserver_type,
        "count": instances // per_ultraserver if per_ultraserver else instances, "instances": instances,
        "instances_per_ultraserver": per_ultraserver, "vcpus_per_instance": vcpus, "vcpus": vcpus * instances,
        "family": instance_type.split(".")[0], "efa": efa, "efa_interfaces_per_instance": efa_interfaces if efa else 0,
        "interfaces_per_instance": interfaces if efa else 1, "ips_per_instance": ips,
        "availability_zone": zone, "availability_zone_is_id": zone_is_id,
        "subnet": None if existing_subnet_id else f"subnet-{zone}", "existing_subnet_id": existing_subnet_id,
        "capacity": cap, "schedule": None, "ami": None, "launch_template": f"lt-{name}",
        "source": {"file": "spec.yaml", "line": line},
    }
    record.update(extra)
    return record


def plan(*pools: dict[str, Any], region: str = REGION, vpc_id: str | None = None, vpc_cidr: str = "10.0.0.0/16",
         subnets: list[dict[str, Any]] | None = None, resources: list[dict[str, Any]] | None = None) -> Plan:
    """A hand-written Plan: a new VPC (or `vpc_id`), one new /24 subnet a zone unless given."""
    pools = pools or (pool(),)
    if subnets is None:
        zones = sorted({p["availability_zone"] for p in pools if not p.get("existing_subnet_id")})
        subnets = [{"name": f"subnet-{z}", "availability_zone": z, "cidr": f"10.0.{i}.0/24", "existing_subnet_id": None,
                    "ips_needed": sum(p["instances"] * p["ips_per_instance"] for p in pools
                                      if p["availability_zone"] == z), "pools": []}
                   for i, z in enumerate(zones)]
    if resources is None:
        resources = [] if vpc_id else [{"type": "aws:ec2/vpc:Vpc", "name": "vpc", "inputs": {"cidrBlock": vpc_cidr}}]
        resources += [{"type": "aws:ec2/subnet:Subnet", "name": s["name"], "inputs": {"cidrBlock": s["cidr"]}}
                      for s in subnets if not s.get("existing_subnet_id")]
        resources += [{"type": "aws:ec2/securityGroup:SecurityGroup", "name": "efa-sg", "inputs": {}}]
    return Plan.from_json({
        "name": "test", "region": region, "spec_file": "spec.yaml", "pools": list(pools),
        "network": {"vpc_id": vpc_id, "vpc_cidr": None if vpc_id else vpc_cidr, "subnets": subnets},
        "stacks": [{"name": "network", "resources": resources}],
    })


def reservation(rid: str = "cr-0123456789abcdef0", instance_type: str = "p5.48xlarge", count: int = 4, *,
                zone: str = "us-east-1a", zone_id: str = "use1-az6", state: str = "active",
                kind: str = "default", start: str = "2026-11-01T11:30:00Z", end: str | None = "2026-12-31T11:30:00Z",
                available: int | None = None, platform: str = "Linux/UNIX", block_id: str | None = None) -> dict[str, Any]:
    """A DescribeCapacityReservations item as AWS returns it (dates as datetimes)."""
    return {
        "CapacityReservationId": rid, "InstanceType": instance_type, "InstancePlatform": platform,
        "AvailabilityZone": zone, "AvailabilityZoneId": zone_id, "Tenancy": "default",
        "TotalInstanceCount": count, "AvailableInstanceCount": count if available is None else available,
        "State": state, "StartDate": _dt(start), "EndDate": _dt(end),
        "EndDateType": "limited" if end else "unlimited", "ReservationType": kind,
        **({"CapacityBlockId": block_id} if block_id else {}),
    }


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@dataclass
class Seed:
    """The answers moto cannot give, served from a before-call hook."""

    ec2_quotas: dict[str, float] = field(default_factory=dict)
    vpc_quotas: dict[str, float] = field(default_factory=dict)  # overrides of moto's vpc defaults
    reservations: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    block_status: list[dict[str, Any]] = field(default_factory=list)
    offerings: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # operation -> (code, message)
    zones: list[dict[str, Any]] | None = None  # DescribeAvailabilityZones (moto has no Local Zones)
    requests: list[tuple[str, Any]] = field(default_factory=list)  # (operation, raw body) of seeded answers
    other_quotas: dict[tuple[str, str], float] = field(default_factory=dict)  # (service, code) -> value
    images: list[dict[str, Any]] = field(default_factory=list)  # DescribeImages items (moto has no PlatformDetails)
    # Public SSM parameters moto does not ship (the DLAMI ones) and refuses to create (reserved /aws/ names).
    ssm_parameters: dict[str, str] = field(default_factory=dict)

    def answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if operation == "DescribeAvailabilityZones" and self.zones is not None:
            return {"AvailabilityZones": copy.deepcopy(self.zones)}
        if operation in self.errors:
            code, message = self.errors[operation]
            return {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        if operation == "DescribeImages" and self.images:
            wanted = {v for k, v in body.items() if k.startswith("ImageId")}  # query protocol: ImageId.1, ...
            return {"Images": [copy.deepcopy(i) for i in self.images if not wanted or i["ImageId"] in wanted]}
        if operation == "GetParameter" and body.get("Name") in self.ssm_parameters:
            name = body["Name"]
            return {"Parameter": {"Name": name, "Type": "String", "Value": self.ssm_parameters[name], "Version": 1,
                                  "DataType": "aws:ec2:image"}}
        if operation == "DescribeCapacityReservations":
            return {"CapacityReservations": copy.deepcopy(self.reservations)}
        if operation == "DescribeCapacityBlocks":
            return {"CapacityBlocks": copy.deepcopy(self.blocks)}
        if operation == "DescribeCapacityBlockStatus":
            return {"CapacityBlockStatuses": copy.deepcopy(self.block_status)}
        if operation == "DescribeCapacityBlockOfferings":
            return offerings_answer(self.offerings, body)
        if operation == "ListGroupResources":
            group = body.get("Group")
            arns = [f"arn:aws:ec2:{REGION}:123456789012:capacity-reservation/{r}" for r in self.groups.get(group, [])]
            return {"Resources": [{"Identifier": {"ResourceArn": a, "ResourceType": "AWS::EC2::CapacityReservation"}}
                                  for a in arns]}
        if operation == "GetServiceQuota":
            service, code = body.get("ServiceCode"), body.get("QuotaCode")
            if service not in ("ec2", "vpc"):
                if (service, code) in self.other_quotas:
                    return {"Quota": {"ServiceCode": service, "QuotaCode": code,
                                      "Value": float(self.other_quotas[(service, code)]),
                                      "QuotaName": OTHER_QUOTA_NAMES.get((service, code), code)}}
                return {"Error": {"Code": "NoSuchResourceException", "Message": f"no quota {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}
            table = self.ec2_quotas if service == "ec2" else self.vpc_quotas
            if code in table:
                return {"Quota": {"ServiceCode": service, "QuotaCode": code, "Value": float(table[code]),
                                  "QuotaName": EC2_QUOTA_NAMES.get(code, code)}}
            if service == "ec2":
                return {"Error": {"Code": "NoSuchResourceException", "Message": f"no quota {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}
            return None  # moto answers vpc quotas
        if operation == "ListServiceQuotas" and body.get("ServiceCode") == "ec2":
            return {"Quotas": [{"ServiceCode": "ec2", "QuotaCode": c, "QuotaName": EC2_QUOTA_NAMES.get(c, c),
                                "Value": float(v)} for c, v in self.ec2_quotas.items()]}
        return None

    def install(self, session: boto3.session.Session) -> None:
        def handler(model, params, **_kwargs):
            body = params.get("body")
            self.requests.append((model.name, body))
            if isinstance(body, (bytes, str)) and body:
                try:
                    body = json.loads(body)
                except ValueError:
                    body = {}
            parsed = self.answer(model.name, body if isinstance(body, dict) else {})
            if parsed is None:
                return None
            status = parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
            parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
            return _Http(status), parsed

        session.events.register_first("before-call", handler)


def _query_time(value: Any) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def offerings_answer(offerings: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """DescribeCapacityBlockOfferings as AWS answers it (EC2 API Reference): CapacityDurationHours is
    required and comes in 1-day steps up to 14 days, then 7-day steps up to 182 days; a block holds at
    most 64 instances; an offering matches the type, the count (InstanceCount, or UltraserverCount for
    an UltraServer type), the duration, starts no earlier than StartDateRange and ends no later than
    EndDateRange. A malformed query is refused (InvalidParameterValue), as AWS does, so a preflight
    that asks for the wrong duration, count or dates finds nothing or fails, never a canned offer."""
    def refuse(message: str) -> dict[str, Any]:
        return {"Error": {"Code": "InvalidParameterValue", "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}

    try:
        hours = int(body["CapacityDurationHours"])
    except (KeyError, TypeError, ValueError):
        return refuse("CapacityDurationHours is required")
    days, rest = divmod(hours, 24)
    if rest or not (1 <= days <= 14 or (days % 7 == 0 and days <= 182)):
        return refuse(f"CapacityDurationHours {hours} is not 1 to 14 days, or 7-day steps up to 182 days")
    ultra = body.get("UltraserverType")
    kind, count_key = (ultra, "UltraserverCount") if ultra else (body.get("InstanceType"), "InstanceCount")
    if not kind or body.get(count_key) is None:
        return refuse(f"{'UltraserverType' if ultra else 'InstanceType'} and {count_key} are required")
    count = int(body[count_key])
    if not ultra and not 1 <= count <= 64:
        return refuse(f"InstanceCount {count}: a Capacity Block holds 1 to 64 instances")
    start, end = _query_time(body.get("StartDateRange")), _query_time(body.get("EndDateRange"))
    found = [copy.deepcopy(o) for o in offerings
             if (o.get("UltraserverType") if ultra else o.get("InstanceType")) == kind
             and int(o.get(count_key) or 0) == count and int(o.get("CapacityBlockDurationHours") or 0) == hours
             and (start is None or o["StartDate"] >= start) and (end is None or o["EndDate"] <= end)]
    return {"CapacityBlockOfferings": found}


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""


def inject_error(session: boto3.session.Session, operation: str, code: str, message: str,
                 status: int = 400, counter: list[int] | None = None) -> None:
    """Make every HTTP request of `operation` fail with `code` (before-send: retries really run)."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def stream(self, **_kw):
            yield self.data

    def handler(request, **_kwargs):
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if f"Action={operation}" not in body and not target.endswith(f".{operation}"):
            return None
        if counter is not None:
            counter.append(1)
        if target:  # JSON protocol
            data = json.dumps({"__type": code, "message": message}).encode()
        else:
            data = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                    f"<RequestID>test</RequestID></Response>").encode()
        return AWSResponse(request.url, status, {}, Raw(data))

    session.events.register_first("before-send", handler)


_LOADER: Any = None


def make_session(region: str = REGION) -> boto3.session.Session:
    """A fresh boto3 session (own event hooks) sharing one botocore data loader across tests:
    loading the service models again for every test would cost ~0.4 s each."""
    import botocore.loaders
    import botocore.session

    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core, region_name=region)


def standard_seed(**overrides: Any) -> Seed:
    """Generous quotas and no capacity: the baseline every passing test starts from."""
    seed = Seed(ec2_quotas={code: 100_000 for code in EC2_QUOTA_NAMES},
                other_quotas={key: 10_000_000 for key in OTHER_QUOTA_NAMES})
    for k, v in overrides.items():
        setattr(seed, k, v)
    return seed


# -- demo snapshots (examples/accounts/) -----------------------------------------------------------
DEMO_CAPTURED_AT = "2026-11-23T12:00:00Z"
DEMO_QUOTAS = {"L-417A185B": 13_000, "L-1216C47A": 1_024, "L-DB2E81BA": 0, "L-2C3B7624": 0,
               "L-C4BD4855": 0, "L-7212CCBC": 0, "L-3819A6DF": 0, "L-6B0D517C": 0,
               "L-DA6814F2": 0, "L-C45F30BC": 0, "L-4F9BB70B": 0, "L-2C8F52B3": 0, "L-64569A79": 6_144,
               # AWS's documented default (EC2 User Guide, Elastic IP address quota: 5 per Region).
               "L-0263D0A3": 5}
# Quotas moto does not answer: Auto Scaling groups per region at AWS's default 500 (EC2 Auto Scaling
# User Guide, quotas); Lustre Persistent_2 storage a demo value of 256,000 GiB (no guide page confirms
# the default, so the demo account is given room for the bundled examples but not frontier.yaml).
# NAT gateways per zone (5) and rules per security group (60) come from moto's real `vpc` defaults;
# launch templates (5,000) and placement groups (500) have no Service Quotas code and fall back to
# the EC2 User Guide's fixed limits.
DEMO_OTHER_QUOTAS = {("autoscaling", "L-CDE20ADC"): 500, ("fsx", "L-8F1B9C74"): 256_000}
DEMO = {
    "us-east-1": {
        "images": {"ami-0123456789abcdef0": ("arm64", 100), "ami-0a1b2c3d4e5f60718": ("x86_64", 100)},
        "zones": [{"name": "us-east-1-dfw-2a", "id": "use1-dfw2-az1", "type": "local-zone", "state": "available",
                   "opt_in": "opted-in", "group": "us-east-1-dfw-2"}],
        "offerings": {"use1-dfw2-az1": ["p6e-gb200.36xlarge", "p6e-gb300.36xlarge", "m7i.4xlarge", "m7i.8xlarge"]},
        "reservations": [
            # examples/gb200-capacity-block.yaml: 4 UltraServers = 4 Capacity Blocks, one reservation each.
            *(reservation(f"cr-0123456789abcdef{i}", "p6e-gb200.36xlarge", 18, zone="us-east-1-dfw-2a",
                          zone_id="use1-dfw2-az1", state="scheduled", kind="capacity-block",
                          start="2026-12-07T11:30:00Z", end="2027-06-07T11:30:00Z",
                          block_id=f"cb-0gb200demo00000{i + 1}") for i in range(4)),
            reservation("cr-0aa11bb22cc33dd44", "p5en.48xlarge", 32, zone="us-east-1a", zone_id="use1-az6", end=None),
            reservation("cr-0a0000000000000a1", "p6e-gb200.36xlarge", 32_400, zone="us-east-1-dfw-2a",
                        zone_id="use1-dfw2-az1", end=None),
            reservation("cr-0a0000000000000a2", "p6e-gb200.36xlarge", 32_400, zone="us-east-1-dfw-2a",
                        zone_id="use1-dfw2-az1", end=None),
            reservation("cr-0b0000000000000b1", "p6e-gb300.36xlarge", 30_600, zone="us-east-1-dfw-2a",
                        zone_id="use1-dfw2-az1", state="scheduled", start="2027-07-01T00:00:00Z", end=None),
            reservation("cr-0b0000000000000b2", "p6e-gb300.36xlarge", 29_592, zone="us-east-1-dfw-2a",
                        zone_id="use1-dfw2-az1", state="scheduled", start="2027-07-01T00:00:00Z", end=None),
        ],
        "blocks": [{"CapacityBlockId": f"cb-0gb200demo00000{i + 1}", "UltraserverType": "u-p6e-gb200x72",
                    "AvailabilityZone": "us-east-1-dfw-2a", "AvailabilityZoneId": "use1-dfw2-az1",
                    "CapacityReservationIds": [f"cr-0123456789abcdef{i}"], "State": "scheduled",
                    "StartDate": _dt("2026-12-07T11:30:00Z"), "EndDate": _dt("2027-06-07T11:30:00Z")}
                   for i in range(4)],
    },
    "us-east-2": {
        "images": {"ami-0fedcba9876543210": ("x86_64", 100)},
        "zones": [],
        "offerings": {"use2-az3": ["trn2u.48xlarge"]},
        "reservations": [
            # examples/trn2-ultraserver.yaml: 8 UltraServers = 8 Capacity Blocks of 4 trn2u each.
            reservation(f"cr-0f1e2d3c4b5a6978{i}", "trn2u.48xlarge", 4, zone="us-east-2c", zone_id="use2-az3",
                        state="scheduled", kind="capacity-block", start="2026-12-07T11:30:00Z",
                        end="2027-06-07T11:30:00Z", block_id=f"cb-0trn2demo0000000{i + 1}")
            for i in range(8)
        ],
        "blocks": [{"CapacityBlockId": f"cb-0trn2demo0000000{i + 1}", "UltraserverType": "u-trn2x64",
                    "AvailabilityZone": "us-east-2c", "AvailabilityZoneId": "use2-az3",
                    "CapacityReservationIds": [f"cr-0f1e2d3c4b5a6978{i}"], "State": "scheduled",
                    "StartDate": _dt("2026-12-07T11:30:00Z"), "EndDate": _dt("2027-06-07T11:30:00Z")}
                   for i in range(8)],
    },
}
DEMO_NOTE = ("DEMO VALUES, not a real account. From moto 5.2.1 (real AWS data as of 2026-08): zones, instance type "
             "offerings, DescribeInstanceTypes, vpc quotas (incl. NAT gateways per zone 5, rules per security group 60), "
             "the default VPC and its subnets, the counts of existing groups, templates, EIPs and NAT gateways (none). "
             "Quotas moto lacks, at AWS's documented defaults: Auto Scaling groups 500 (EC2 Auto Scaling User Guide), "
             "EC2-VPC Elastic IPs 5 (EC2 User Guide); Lustre Persistent_2 storage 256,000 GiB is a demo value (AWS's default UNCONFIRMED); "
             "launch templates and placement groups use the EC2 User Guide's fixed limits (5,000, 500). Demo values: "
             "every other EC2 quota ({quotas}), the capacity reservations and blocks the examples name, {extra}and instance facts "
             "for types moto lacks (copied from the ultraplan catalog). Regenerate: python tests/preflight_fixtures.py")


def demo_snapshot(region: str, examples: list[str]) -> dict[str, Any]:
    """Capture a demo snapshot from moto plus the DEMO values above (run inside mock_aws)."""
    import planner
    from planner.catalog import load_catalog
    from planner.preflight import capture
    from planner.preflight.live import LiveAccount

    demo = DEMO[region]
    session = make_session(region)
    Seed(ec2_quotas=dict(DEMO_QUOTAS), other_quotas=dict(DEMO_OTHER_QUOTAS), reservations=demo["reservations"],
         blocks=demo["blocks"]).install(session)
    plans = [planner.compile_spec(e) for e in examples]
    doc = capture(LiveAccount(region, session=session, max_attempts=1), plans)
    doc["availability_zones"]["value"] += demo["zones"]
    for zone_id, types in demo["offerings"].items():
        for t in types:
            zones = doc["instance_type_offerings"]["items"].setdefault(t, [])
            zones[:] = sorted(set(zones) | {zone_id})
    catalog = load_catalog()
    filled = []
    for name, facts in doc["instance_types"]["items"].items():
        if facts is None and name in catalog.instance_types:
            it = catalog.instance(name)
            doc["instance_types"]["items"][name] = {
                "vcpus": it.vcpus, "efa_supported": it.efa_supported, "max_efa_interfaces": it.efa_max_interfaces
                if it.efa_max_interfaces is not None else len(it.efa_cards),
                "network_cards": it.network_cards, "max_network_interfaces": it.max_network_interfaces,
                "architectures": [it.architecture]}
            filled.append(name)
    for ami, (arch, root) in demo["images"].items():
        doc["images"]["items"][ami] = {"id": ami, "name": f"demo-{arch}", "architecture": arch, "state": "available",
                                       "root_gib": root, "platform": "Linux/UNIX"}
    if doc["counts"]["errors"].pop("placement_groups", None) is not None:
        doc["counts"]["items"]["placement_groups"] = 0  # moto lacks DescribePlacementGroups: a demo value
    extra = "no placement groups (moto lacks DescribePlacementGroups), "
    extra += f"the AMIs {', '.join(f'{a} ({v[0]})' for a, v in demo['images'].items())}, "
    extra += (f"the Local Zone {', '.join(z['name'] for z in demo['zones'])}, " if demo["zones"] else "")
    extra += "offerings of " + "; ".join(f"{', '.join(t)} in {z}" for z, t in demo["offerings"].items()) + ", "
    doc.update(captured_at=DEMO_CAPTURED_AT, demo=True,
               note=DEMO_NOTE.format(quotas=", ".join([f"{k}={v}" for k, v in DEMO_QUOTAS.items()]
                                                     + [f"{s}/{c}={v}" for (s, c), v in DEMO_OTHER_QUOTAS.items()]),
                                     extra=extra)
               + f" Instance facts from the catalog: {', '.join(sorted(filled)) or 'none'}.")
    return doc


def write_demo_snapshots(root: str) -> list[str]:
    import glob
    import os

    from moto import mock_aws

    from planner.preflight import save_snapshot

    os.environ.update(FAKE_ENV)
    for k in UNSET_ENV:
        os.environ.pop(k, None)
    by_region: dict[str, list[str]] = {}
    import planner

    for path in sorted(glob.glob(os.path.join("examples", "*.yaml"))):
        by_region.setdefault(planner.compile_spec(path).region, []).append(path)
    written = []
    for region, examples in sorted(by_region.items()):
        with mock_aws():
            doc = demo_snapshot(region, examples)
        out = os.path.join(root, "examples", "accounts", f"demo-{region}.json")
        save_snapshot(doc, out)
        written.append(out)
    return written


if __name__ == "__main__":
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    sys.path.insert(0, root)
    for path in write_demo_snapshots(root):
        print("wrote", path)
