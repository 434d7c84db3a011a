"""Fleets: cells (one AWS account in one Region each) and the cluster spec each holds (docs/fleet.md).

    from planner.fleet import load_fleet, plan_fleet, check_fleet
    doc = load_fleet("examples/frontier/fleet.yaml")
    fleet = plan_fleet(doc)                      # one Plan per cell
    result = check_fleet(fleet)                  # limits per cell, fabrics, fleet budget: Findings
"""
from __future__ import annotations

from .build import CellPlan, FleetPlan, plan_fleet, stack_prefix
from .load import FLEET_FILE, FleetDocument, fleet_file_of, is_fleet, load_fleet, parse_fleet

__all__ = ["CellPlan", "FleetPlan", "FleetDocument", "FLEET_FILE", "fleet_file_of", "is_fleet", "load_fleet",
           "parse_fleet", "plan_fleet", "stack_prefix"]
