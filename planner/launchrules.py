"""Launch-time rules: a launch template together with its auto-scaling group's overrides, judged the
way RunInstances judges the launch Auto Scaling makes from them.

CreateLaunchTemplate accepts a template that no launch can use (an `efa-only` interface with
`associatePublicIpAddress: "false"` is stored as given), so `pulumi up` succeeds and every group then
fails every launch. Each rule here is one small check with an id; its title, AWS page and quote live
in the catalog (catalog/launch_rules.yaml), so a breach names the rule and its source. The policy
`launch-rules` runs them on every Plan (offline and under CrossGuard) and `preflight
--launch-dry-run` sends the same launch to EC2 as a DryRun.

Inputs are plain dicts of camelCase launch-template / group inputs (the Plan's form; in the Pulumi
engine an unknown output is a placeholder string): a value that is not known here is never judged.
"""
from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import Catalog, InstanceType, bundled, default_images, load_catalog

EFA_TYPES = ("efa", "efa-only")
# Everything an efa-only interface must leave unset: it has no IP (EC2 UG, create-efa), and the
# provider sends any set string, "false" included (Karpenter leaves the same fields nil).
EFA_ONLY_FORBIDDEN = (
    "associatePublicIpAddress", "associateCarrierIpAddress", "privateIpAddress", "ipv4Addresses",
    "ipv4AddressCount", "ipv6Addresses", "ipv6AddressCount", "ipv4Prefixes", "ipv4PrefixCount",
    "ipv6Prefixes", "ipv6PrefixCount", "primaryIpv6", "connectionTrackingSpecification",
)
USER_DATA_MAX_BYTES = 16 * 1024
HOP_LIMIT = (1, 64)
# Instance tag keys IMDS can serve (EC2 UG, work-with-tags-in-IMDS).
IMDS_TAG_KEY = re.compile(r"[A-Za-z0-9+\-=.,_:@]+")


@dataclass(frozen=True)
class RuleInfo:
    """A rule's documentation: what it says, and where AWS says it."""

    id: str
    title: str
    source: str
    url: str
    quote: str
    as_of: str


@dataclass(frozen=True)
class Breach:
    """One thing RunInstances would refuse (or silently do otherwise) in this launch."""

    rule: RuleInfo
    message: str
    where: str = "template"  # "template" (any group) or "group" (this group's overrides)

    def text(self) -> str:
        return f"[{self.rule.id}] {self.message} ({self.rule.source}: {self.rule.url})"


@dataclass(frozen=True)
class Image:
    """What the launch needs to know of its image (None = not known offline)."""

    root_device_name: str | None = None
    root_gib: int | None = None


@dataclass(frozen=True)
class Launch:
    """The launch Auto Scaling makes: the template's inputs with the group's overrides applied."""

    template: Mapping[str, Any]
    group: Mapping[str, Any] | None
    itype: InstanceType | None
    image: Image | None

    @functools.cached_property
    def interfaces(self) -> list[Mapping[str, Any]]:
        return [ni for ni in _list(self.template.get("networkInterfaces")) if _is_map(ni)]

    @property
    def market(self) -> Any:
        return _dig(self.template, "instanceMarketOptions", "marketType")

    @functools.cached_property
    def reservation(self) -> Mapping[str, Any] | None:
        """The capacityReservationSpecification in force: the group's overrides the template's (EC2
        Auto Scaling UG, "You can set a Capacity Reservation preference and target on your Auto
        Scaling group to override the settings in your launch template")."""
        group_spec = _dig(self.group or {}, "capacityReservationSpecification")
        if _is_map(group_spec) and group_spec:
            return group_spec
        spec = self.template.get("capacityReservationSpecification")
        return spec if _is_map(spec) else None

    @functools.cached_property
    def reservation_target(self) -> Any:
        spec = self.reservation or {}
        target = spec.get("capacityReservationTarget")
        if not _is_map(target):
            return None
        return (target.get("capacityReservationId") or target.get("capacityReservationResourceGroupArn")
                or _list(target.get("capacityReservationIds")) or _list(target.get("capacityReservationResourceGroupArns"))
                or None)

    @property
    def placement_group(self) -> Any:
        return (self.group or {}).get("placementGroup") or _dig(self.template, "placement", "groupName")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _is_map(value: Any) -> bool:
    # The concrete dict first: isinstance against the Mapping ABC is ~10x slower, and a frontier plan
    # judges thousands of groups (the engine hands rules other mappings, which the fallback takes).
    return type(value) is dict or isinstance(value, Mapping)


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not _is_map(value):
            return None
        value = value.get(key)
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _where(ni: Mapping[str, Any]) -> str:
    return f"card {ni.get('networkCardIndex', 0)} device {ni.get('deviceIndex', 0)}"


# -- the rules -------------------------------------------------------------------------------------
Check = Callable[[Launch], Iterable[str]]
TEMPLATE, GROUP = "template", "group"
_CHECKS: dict[str, tuple[str, Check]] = {}


def rule(rule_id: str, scope: str = TEMPLATE) -> Callable[[Check], Check]:
    """Register a check. `scope` GROUP: its verdict depends on the group's overrides, so it runs per
    group; TEMPLATE: once per template (a frontier plan has thousands of groups on one template)."""
    def register(func: Check) -> Check:
        _CHECKS[rule_id] = (scope, func)
        return func
    return register


@rule("efa-only-no-ip-settings")
def efa_only_no_ip_settings(launch: Launch) -> Iterable[str]:
    for ni in launch.interfaces:
        if ni.get("interfaceType") != "efa-only":
            continue
        set_fields = [k for k in EFA_ONLY_FORBIDDEN if ni.get(k) not in (None, [], {})]
        if set_fields:
            yield (f"efa-only interface on {_where(ni)} sets {', '.join(set_fields)}: EC2 rejects the launch "
                   "(InvalidParameterValue); leave them unset")


@rule("primary-interface")
def primary_interface(launch: Launch) -> Iterable[str]:
    nis = launch.interfaces
    if not nis:
        return
    primary = [ni for ni in nis if ni.get("networkCardIndex", 0) == 0 and ni.get("deviceIndex", 0) == 0]
    if not primary:
        yield "no interface on card 0 device 0: the primary interface must be on network card 0"
    for ni in primary:
        if ni.get("interfaceType") == "efa-only":
            yield "the primary interface (card 0 device 0) is efa-only; it must be 'interface' (ENA) or 'efa'"


@rule("unique-device")
def unique_device(launch: Launch) -> Iterable[str]:
    seen: set[tuple[Any, Any]] = set()
    for ni in launch.interfaces:
        key = (ni.get("networkCardIndex", 0), ni.get("deviceIndex", 0))
        if key in seen:
            yield f"two interfaces on card {key[0]} device {key[1]}"
        seen.add(key)


@rule("one-efa-per-card")
def one_efa_per_card(launch: Launch) -> Iterable[str]:
    per_card: dict[Any, int] = {}
    for ni in launch.interfaces:
        if ni.get("interfaceType") in EFA_TYPES:
            card = ni.get("networkCardIndex", 0)
            per_card[card] = per_card.get(card, 0) + 1
    for card, n in sorted(per_card.items(), key=lambda kv: str(kv[0])):
        if n > 1:
            yield f"network card {card} has {n} EFA interfaces; at most one per card"


@rule("card-limits")
def card_limits(launch: Launch) -> Iterable[str]:
    itype, nis = launch.itype, launch.interfaces
    if itype is None or not nis:
        return
    for ni in nis:
        card = _int(ni.get("networkCardIndex", 0))
        if card is not None and not 0 <= card < itype.network_cards:
            yield (f"interface on {_where(ni)}: {itype.name} has {itype.network_cards} network card(s) "
                   f"(indexes 0-{itype.network_cards - 1})")
        if card in itype.ena_only_cards and ni.get("interfaceType") in EFA_TYPES:
            yield f"{ni.get('interfaceType')} interface on {_where(ni)}: card {card} of {itype.name} supports ENA only"
    efa = [ni for ni in nis if ni.get("interfaceType") in EFA_TYPES]
    if efa and not itype.efa_supported:
        yield f"{len(efa)} EFA interface(s) on {itype.name}, which does not support EFA"
    elif itype.efa_max_interfaces is not None and len(efa) > itype.efa_max_interfaces:
        yield f"{len(efa)} EFA interfaces; {itype.name} supports at most {itype.efa_max_interfaces}"
    if itype.max_network_interfaces is not None and len(nis) > itype.max_network_interfaces:
        yield f"{len(nis)} network interfaces; {itype.name} supports at most {itype.max_network_interfaces}"


@rule("public-ip-single-interface")
def public_ip_single_interface(launch: Launch) -> Iterable[str]:
    nis = launch.interfaces
    for ni in nis:
        value = ni.get("associatePublicIpAddress")
        if value is None or ni.get("interfaceType") == "efa-only":
            continue  # efa-only: efa-only-no-ip-settings says it
        truthy = value is True or (isinstance(value, str) and value.strip().lower() == "true")
        if truthy and len(nis) > 1:
            yield f"associatePublicIpAddress true on {_where(ni)} of a launch with {len(nis)} interfaces"
        elif truthy and (ni.get("networkCardIndex", 0), ni.get("deviceIndex", 0)) != (0, 0):
            yield f"associatePublicIpAddress true on {_where(ni)}: only device 0 (eth0) can take a public IP"


@rule("capacity-block-target", GROUP)
def capacity_block_target(launch: Launch) -> Iterable[str]:
    if launch.market == "capacity-block" and launch.reservation_target is None:
        yield "market type capacity-block without a Capacity Reservation target on the template or the group"


@rule("reservation-preference", GROUP)
def reservation_preference(launch: Launch) -> Iterable[str]:
    spec = launch.reservation or {}
    if launch.reservation_target is not None and spec.get("capacityReservationPreference") == "none":
        yield "capacityReservationPreference 'none' with a Capacity Reservation target: the target is ignored"
    if launch.reservation_target is not None and launch.market == "spot":
        yield "market type spot with a Capacity Reservation target: reservations hold On-Demand capacity"


@rule("placement-with-reservation", GROUP)
def placement_with_reservation(launch: Launch) -> Iterable[str]:
    if launch.placement_group and (launch.reservation_target is not None or launch.market == "capacity-block"):
        yield ("a placement group on a launch into a Capacity Reservation or Capacity Block: the reservation "
               "is placed already, and a group it was not made in leaves it unused")


@rule("root-device")
def root_device(launch: Launch) -> Iterable[str]:
    image = launch.image
    if image is None or not image.root_device_name:
        return
    mappings = [m for m in _list(launch.template.get("blockDeviceMappings")) if isinstance(m, Mapping)]
    names = [m.get("deviceName") for m in mappings]
    root = next((m for m in mappings if m.get("deviceName") == image.root_device_name), None)
    if mappings and root is None:
        yield (f"blockDeviceMappings name {', '.join(map(str, names))} but the image's root device is "
               f"{image.root_device_name}: the root volume keeps the image's size and encryption")
    size = _int(_dig(root or {}, "ebs", "volumeSize"))
    if root is not None and image.root_gib and size is not None and size < image.root_gib:
        yield f"root volume {size} GiB is smaller than the image's {image.root_gib} GiB"


@rule("imds-settings")
def imds_settings(launch: Launch) -> Iterable[str]:
    options = launch.template.get("metadataOptions")
    if not isinstance(options, Mapping):
        yield "no metadataOptions: IMDSv1 stays on (set httpTokens required)"
        return
    if options.get("httpEndpoint") == "disabled":
        return
    if options.get("httpTokens") != "required":
        yield f"metadataOptions.httpTokens is {options.get('httpTokens')!r}, not 'required'"
    hops = options.get("httpPutResponseHopLimit")
    if hops is not None and _int(hops) is not None and not HOP_LIMIT[0] <= hops <= HOP_LIMIT[1]:
        yield f"metadataOptions.httpPutResponseHopLimit {hops} is outside 1-64"
    for key in ("httpEndpoint", "instanceMetadataTags", "httpProtocolIpv6"):
        value = options.get(key)
        if value is not None and value not in ("enabled", "disabled"):
            yield f"metadataOptions.{key} is {value!r}; EC2 takes 'enabled' or 'disabled'"


@rule("metadata-tag-keys", GROUP)
def metadata_tag_keys(launch: Launch) -> Iterable[str]:
    if _dig(launch.template, "metadataOptions", "instanceMetadataTags") != "enabled":
        return
    keys: list[str] = []
    for spec in _list(launch.template.get("tagSpecifications")):
        if isinstance(spec, Mapping) and spec.get("resourceType") == "instance" and isinstance(spec.get("tags"), Mapping):
            keys += list(spec["tags"])
    for tag in _list((launch.group or {}).get("tags")):
        if isinstance(tag, Mapping) and (tag.get("propagateAtLaunch") in (True, "true")) and isinstance(tag.get("key"), str):
            keys.append(tag["key"])
    bad = sorted({k for k in keys if not IMDS_TAG_KEY.fullmatch(k) or k in (".", "..", "_index")})
    if bad:
        yield f"instance tag keys IMDS cannot serve: {', '.join(repr(k) for k in bad)}"


@rule("user-data-size")
def user_data_size(launch: Launch) -> Iterable[str]:
    data = launch.template.get("userData")
    if not isinstance(data, str) or not data:
        return
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        yield "userData is not base64 (launch templates take it base64-encoded)"
        return
    if len(raw) > USER_DATA_MAX_BYTES:
        yield f"user data is {len(raw):,} bytes before base64; EC2 takes at most {USER_DATA_MAX_BYTES:,}"


# -- the table --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def rules() -> dict[str, RuleInfo]:
    """The rule table (catalog/launch_rules.yaml), one entry per check above, in the file's order."""
    data = bundled("launch_rules.yaml")
    return {rid: RuleInfo(id=rid, title=r["title"], source=r["source"], url=r["url"], quote=r["quote"],
                          as_of=str(r["as_of"]))
            for rid, r in data["rules"].items()}


def checks() -> dict[str, tuple[str, Check]]:
    return dict(_CHECKS)


@functools.lru_cache(maxsize=64)
def _images_by_parameter() -> dict[str, Image]:
    out: dict[str, Image] = {}
    for by_arch in default_images().values():
        for entry in by_arch.values():
            out["resolve:ssm:" + entry["parameter"]] = Image(entry.get("root_device_name"), entry.get("root_gib"))
    return out


def image_facts(image_id: Any, known: Mapping[str, Image] | None = None) -> Image | None:
    """What is known of an image offline: a default image (its SSM parameter in amis.yaml) or one the
    caller looked up (preflight: DescribeImages)."""
    if not isinstance(image_id, str):
        return None
    if known and image_id in known:
        return known[image_id]
    return _images_by_parameter().get(image_id)


def group_key(group: Mapping[str, Any] | None, template: Mapping[str, Any] | None = None) -> tuple:
    """What the GROUP rules can see of a group, with reservation ids and names masked: groups with
    the same key get the same verdict, so a caller judging thousands of UltraServer groups (one
    reservation id each) evaluates each shape once. Propagated tag keys count only where the
    template serves instance tags in metadata (`metadata-tag-keys`)."""
    if not group:
        return ()
    spec = group.get("capacityReservationSpecification")
    spec = spec if _is_map(spec) else {}
    target = spec.get("capacityReservationTarget")
    tags: tuple = ()
    if _dig(template or {}, "metadataOptions", "instanceMetadataTags") == "enabled":
        tags = tuple(sorted(t.get("key") for t in _list(group.get("tags")) if _is_map(t)
                            and t.get("propagateAtLaunch") in (True, "true") and isinstance(t.get("key"), str)))
    return (spec.get("capacityReservationPreference"), tuple(sorted(target)) if _is_map(target) else None,
            bool(group.get("placementGroup")), bool(group.get("mixedInstancesPolicy")), tags)


def _itype(template: Mapping[str, Any], group: Mapping[str, Any] | None, catalog: Catalog | None) -> InstanceType | None:
    name = template.get("instanceType")
    if group and group.get("mixedInstancesPolicy"):
        return None  # the group's overrides pick the types
    if not isinstance(name, str):
        return None
    try:
        return (catalog or load_catalog()).instance_types.get(name)
    except Exception:  # noqa: BLE001 - an unreadable catalog leaves the type unknown, never raises here
        return None


def evaluate(template: Mapping[str, Any], group: Mapping[str, Any] | None = None, *, scope: str | None = None,
             catalog: Catalog | None = None, images: Mapping[str, Image] | None = None) -> list[Breach]:
    """Every rule over the launch of `template` by `group` (None: the template alone). `scope` limits
    the run to TEMPLATE or GROUP rules (the policy runs template rules once per template)."""
    table = rules()
    # Group rules read only the market, reservation and placement: skip the catalog and image lookups
    # (a frontier plan judges thousands of groups).
    facts = scope != GROUP
    launch = Launch(template, group, _itype(template, group, catalog) if facts else None,
                    image_facts(template.get("imageId"), images) if facts else None)
    out: list[Breach] = []
    for rule_id, (rule_scope, func) in _CHECKS.items():
        if scope is not None and rule_scope != scope:
            continue
        out += [Breach(table[rule_id], message, rule_scope) for message in func(launch)]
    return out
