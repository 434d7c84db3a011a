"""The catalog agrees with moto's real DescribeInstanceTypes snapshot and carries a source for every entry."""
from __future__ import annotations

import gzip
import json
import os

import moto
import pytest

from planner.catalog import load_catalog

MOTO = json.load(gzip.open(os.path.join(os.path.dirname(moto.__file__), "ec2", "resources", "instance_types.json.gz")))
REQUIRED = ["p4d.24xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "p6-b300.48xlarge",
            "p6e-gb200.36xlarge", "trn2.48xlarge", "trn2u.48xlarge", "g6e.48xlarge", "m7i.4xlarge"]


def test_required_types_and_ultraservers_are_present():
    cat = load_catalog()
    assert set(REQUIRED) <= set(cat.instance_types)
    assert {"u-p6e-gb200x72", "u-p6e-gb200x36"} <= set(cat.ultraservers)
    assert cat.ultraserver("u-p6e-gb200x72").instances * cat.instance("p6e-gb200.36xlarge").accelerators == 72


@pytest.mark.parametrize("name", [t for t in load_catalog().instance_types if t in MOTO])
def test_catalog_agrees_with_moto_snapshot(name):
    t, raw = load_catalog().instance(name), MOTO[name]
    net = raw["NetworkInfo"]
    assert t.vcpus == raw["VCpuInfo"]["DefaultVCpus"]
    assert t.network_cards == net.get("MaximumNetworkCards", 1)
    assert t.efa_supported == bool(net.get("EfaSupported"))
    if t.efa_supported:
        assert t.efa_max_interfaces == net["EfaInfo"]["MaximumEfaInterfaces"]
        assert len(t.efa_cards) <= t.efa_max_interfaces


def test_every_entry_has_source_and_date():
    cat = load_catalog()
    for entry in list(cat.instance_types.values()) + list(cat.ultraservers.values()):
        assert entry.source and entry.as_of, entry.name
