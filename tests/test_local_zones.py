"""Local Zones as data: the catalog's zones, service placement, the NAT Elastic IP's border group."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import BASE_SPEC
from planner import compile_plan, compile_spec
from planner.catalog import ServiceOffer, is_local_zone, load_catalog
from planner.errors import SpecError
from planner.spec.load import parse_spec

CAT = load_catalog()
DFW = BASE_SPEC.replace("us-east-1a", "us-east-1-dfw-2a").replace(
    "instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0\n"
    "    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}")
LUSTRE = "storage:\n  lustre: {capacity_tib: 2.34375, deployment: PERSISTENT_2, throughput_per_tib: 125}\n"


def with_region_zone(text: str, zone: str = "use1-az4") -> str:
    return text.replace("vpc_cidr: 10.0.0.0/16", f"vpc_cidr: 10.0.0.0/16\n  region_zone: {zone}")


def catalog_where_dfw_offers(*services: str):
    """The bundled catalog, but the Dallas zone offers the given services (a tiny what-if)."""
    lz = CAT.local_zone("us-east-1-dfw-2a")
    offers = {**lz.services, **{s: ServiceOffer("yes", "test") for s in services}}
    return dataclasses.replace(CAT, local_zones={lz.name: dataclasses.replace(lz, services=offers)})


def issues(text, catalog=CAT):
    with pytest.raises(SpecError) as err:
        parse_spec(text, "spec.yaml", catalog)
    return err.value.issues


def test_every_local_zone_the_catalog_uses_is_described_with_sources():
    used = {z for u in CAT.ultraservers.values() for z in (u.zones or ()) if is_local_zone(z)}
    assert used and used <= set(CAT.local_zones)
    dfw = CAT.local_zone("us-east-1-dfw-2a")
    assert (dfw.parent_region, dfw.network_border_group, dfw.group_name) == ("us-east-1", "us-east-1-dfw-2", "us-east-1-dfw-2")
    for zone in CAT.local_zones.values():
        assert zone.source and zone.as_of
        for key in ("nat_gateway", "fsx_lustre", "ec2_efa", "capacity_blocks", "vpc_interface_endpoints"):
            assert zone.offers(key) in ("yes", "no", "unconfirmed") and zone.offer_source(key), (zone.name, key)
    assert CAT.local_zone("use1-dfw2-az1") is dfw, "found by zone ID too"


@pytest.mark.parametrize("zone, local", [("us-east-1-dfw-2a", True), ("use1-dfw2-az1", True), ("us-west-2-lax-1a", True),
                                         ("us-east-1a", False), ("use1-az4", False), ("us-gov-west-1a", False)])
def test_local_zone_names_and_ids_are_recognised(zone, local):
    assert is_local_zone(zone) is local


def test_gb200_example_has_no_nat_in_dallas_because_the_data_does_not_confirm_one():
    plan = compile_spec("examples/gb200-capacity-block.yaml")
    assert CAT.local_zone("us-east-1-dfw-2a").offers("nat_gateway") != "yes"
    nat_subnets = [r.inputs for r in plan.resources() if r.type == "aws:ec2/subnet:Subnet" and r.name.startswith("subnet-public")]
    assert nat_subnets and all(s.get("availabilityZoneId") == "use1-az4" for s in nat_subnets)
    eips = [r.inputs for r in plan.resources() if r.type == "aws:ec2/eip:Eip"]
    assert len(eips) == 1 and "networkBorderGroup" not in eips[0]  # a Region zone: AWS's default group
    assert [p["network_border_group"] for p in plan.network["public_subnets"]] == ["us-east-1"]
    lustre_subnet = plan.by_name()["lustre"].inputs["subnetIds"]["$ref"]
    assert plan.by_name()[lustre_subnet].inputs["availabilityZoneId"] == "use1-az4"
    notes = " ".join(n["message"] for n in plan.notes)
    assert "NAT gateway: us-east-1-dfw-2a is not confirmed to offer NAT gateway" in notes
    assert "crosses zones" in notes


def test_a_nat_gateway_in_a_local_zone_takes_its_border_group():
    cat = catalog_where_dfw_offers("nat_gateway")
    plan = compile_plan(parse_spec(DFW, "spec.yaml", cat), cat)
    [eip] = [r for r in plan.resources() if r.type == "aws:ec2/eip:Eip"]
    assert eip.name == "nat-eip-us-east-1-dfw-2a" and eip.inputs["networkBorderGroup"] == "us-east-1-dfw-2"
    assert plan.network["public_subnets"][0]["network_border_group"] == "us-east-1-dfw-2"
    assert not any("NAT gateway:" in n["message"] for n in plan.notes)


def test_region_zones_keep_the_default_border_group():
    plan = compile_plan(parse_spec(BASE_SPEC, "spec.yaml"))
    [eip] = [r for r in plan.resources() if r.type == "aws:ec2/eip:Eip"]
    assert "networkBorderGroup" not in eip.inputs, "AWS's default, the Region's group, is right there"
    assert plan.network["public_subnets"][0]["network_border_group"] == "us-east-1"


def test_a_service_the_local_zone_lacks_without_region_zone_stops_with_what_to_do():
    [issue] = issues(DFW + LUSTRE)
    assert issue.path == "network.region_zone" and issue.line == 5
    assert "NAT gateway (not confirmed in us-east-1-dfw-2a)" in issue.message
    assert "FSx for Lustre (not confirmed in us-east-1-dfw-2a)" in issue.message
    assert "set network.region_zone to an Availability Zone of us-east-1" in issue.hint


def test_a_service_the_data_says_no_to_is_reported_as_not_offered():
    lz = CAT.local_zone("us-east-1-dfw-2a")
    cat = dataclasses.replace(CAT, local_zones={lz.name: dataclasses.replace(
        lz, services={**lz.services, "fsx_lustre": ServiceOffer("no", "test")})})
    [issue] = issues(DFW.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  egress: none") + LUSTRE, cat)
    assert "FSx for Lustre (no in us-east-1-dfw-2a)" in issue.message


def test_fsx_goes_to_the_region_zone_and_the_endpoints_with_it():
    text = with_region_zone(DFW.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  egress: none")) + LUSTRE
    plan = compile_plan(parse_spec(text, "spec.yaml"))
    names = plan.by_name()
    home = names["lustre"].inputs["subnetIds"]["$ref"]
    assert names[home].inputs["availabilityZoneId"] == "use1-az4"
    assert names["ssm-endpoint"].inputs["subnetIds"] == [{"$ref": home, "attr": "id"}]
    assert not any(r.type == "aws:ec2/natGateway:NatGateway" for r in plan.resources())


@pytest.mark.parametrize("zone, message", [
    ("us-east-1-dfw-2a", "'us-east-1-dfw-2a' is a Local Zone"),
    ("us-west-2a", "zone 'us-west-2a' is not in region us-east-1"),
])
def test_region_zone_must_be_an_availability_zone_of_the_region(zone, message):
    found = issues(with_region_zone(DFW, zone))
    assert any(i.path == "network.region_zone" and message in i.message for i in found), found


def test_a_local_zone_of_another_region_is_rejected():
    text = DFW.replace("region: us-east-1", "region: us-east-2").replace("us-east-1-dfw-2a", "us-east-2-dfw-2a")
    lz = CAT.local_zone("us-east-1-dfw-2a")
    cat = dataclasses.replace(CAT, local_zones={"us-east-2-dfw-2a": dataclasses.replace(lz, name="us-east-2-dfw-2a")})
    found = issues(text, cat)
    assert any(i.path == "availability_zone" and "belongs to us-east-1, not us-east-2" in i.message for i in found)


def test_an_unknown_local_zone_is_treated_as_offering_nothing_unconfirmed():
    text = BASE_SPEC.replace("us-east-1a", "us-east-1-bos-1a")
    [issue] = issues(text)
    assert "NAT gateway (not confirmed in us-east-1-bos-1a)" in issue.message
    plan = compile_plan(parse_spec(with_region_zone(text), "spec.yaml"))
    assert any("us-east-1-bos-1a is a Local Zone the catalog does not describe" in n["message"] for n in plan.notes)


@pytest.mark.parametrize("service, spec_change, message", [
    ("ec2_efa", lambda t: t, "Local Zone us-east-1-dfw-2a does not offer EFA (test)"),
    ("capacity_blocks", lambda t: t.replace("{type: capacity-reservation, reservation_id: cr-0123456789abcdef0}",
                                            "{type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}"),
     "Local Zone us-east-1-dfw-2a does not sell Capacity Blocks (test)"),
])
def test_a_pool_needing_what_the_zone_does_not_offer_is_rejected(service, spec_change, message):
    lz = CAT.local_zone("us-east-1-dfw-2a")
    cat = dataclasses.replace(CAT, local_zones={lz.name: dataclasses.replace(
        lz, services={**lz.services, service: ServiceOffer("no", "test")})})
    found = issues(spec_change(with_region_zone(DFW)), cat)
    assert any(i.path == "availability_zone" and message in i.message for i in found), found


def test_region_zone_with_an_existing_vpc_is_rejected():
    text = BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_id: vpc-0123456789abcdef0\n  subnet_id: subnet-0123456789abcdef0\n"
                                                       "  region_zone: use1-az4")
    [issue] = issues(text)
    assert issue.path == "network.region_zone" and issue.line == 8 and "only applies to a new VPC" in issue.message


# -- a cluster in a Region zone with a pool in a Local Zone --------------------------------------------
REGION_CLUSTER_LZ_POOL = BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16\n", "  egress: nat\n") + (
    "  - name: gb\n    ultraserver: u-p6e-gb200x72\n    count: 1\n    availability_zone: us-east-1-dfw-2a\n"
    "    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}\n")


def test_a_local_zone_pool_of_a_region_zone_cluster_uses_the_clusters_zone_for_region_only_services():
    """No network.region_zone: the Dallas pool's NAT gateway goes to the cluster's own zone, us-east-1a
    (it was a 'the cluster's Local Zone lacks services' error, although the cluster's zone is no Local Zone)."""
    plan = compile_plan(parse_spec(REGION_CLUSTER_LZ_POOL, "spec.yaml", CAT), CAT)  # no SpecError
    nat_subnets = [r for r in plan.resources() if r.type == "aws:ec2/subnet:Subnet" and r.name.startswith("subnet-public-")]
    assert {r.inputs["availabilityZone"] for r in nat_subnets} == {"us-east-1a"}
    assert any("NAT gateway: us-east-1-dfw-2a is not confirmed" in n["message"] and "placed in us-east-1a" in n["message"]
               for n in plan.notes)


def test_a_network_block_without_vpc_cidr_keeps_the_default_cidr():
    plan = compile_plan(parse_spec(BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16\n", "  egress: nat\n"), "spec.yaml"), CAT)
    assert plan.by_name()["vpc"].inputs["cidrBlock"] == "10.0.0.0/16"
