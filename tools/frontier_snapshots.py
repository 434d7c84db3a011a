"""Write the demo account snapshots of the frontier fleet (examples/frontier/accounts/<cell>.json).

DEMO VALUES, not real accounts: each is the Region's demo snapshot (examples/accounts/, itself from
moto and AWS's documented defaults) with the cell's own capacity reservations, and the quotas as a
new account has them (the increases the fleet needs are stated in examples/frontier/fleet.yaml).
Deterministic: tests/test_fleet_example.py checks that running this again changes nothing.

    python tools/frontier_snapshots.py
"""
from __future__ import annotations

import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLEET = os.path.join(ROOT, "examples", "frontier")
BASE = {"us-east-1": "demo-us-east-1.json", "us-east-2": "demo-us-east-2.json"}


def _reservation(rid: str, itype: str, total: int, start: str, state: str) -> dict:
    return {"id": rid, "instance_type": itype, "zone": "us-east-1-dfw-2a", "zone_id": "use1-dfw2-az1",
            "platform": "Linux/UNIX", "tenancy": "default", "total": total, "available": total, "state": state,
            "start": start, "end": None, "end_type": "unlimited", "reservation_type": "default",
            "capacity_block_id": None, "placement_group_arn": None}


def snapshot_for(cell: dict, spec: dict, base: dict) -> dict:
    doc = copy.deepcopy(base)
    doc["specs"] = [os.path.join("examples", "frontier", cell["spec"])]
    doc["note"] = (f"DEMO VALUES, not a real account: cell {cell['name']} of examples/frontier/fleet.yaml. The Region's "
                   f"demo snapshot ({BASE[cell['region']]}: moto and AWS's documented defaults) with this cell's own "
                   "capacity reservations and a new account's quotas; the increases the cell needs are stated in the "
                   "fleet file. Regenerate: python tools/frontier_snapshots.py")
    reservations = {}
    for pool in spec["compute"]:
        cap = pool.get("capacity") or {}
        rid = cap.get("reservation_id")
        if not rid or not pool.get("ultraserver"):
            continue
        itype = pool["ultraserver"].replace("u-", "").replace("x72", ".36xlarge")
        start = str(pool.get("start"))
        state = "active" if start <= "2026-12-01" else "scheduled"
        reservations[rid] = _reservation(rid, itype, int(pool["count"]) * 18, f"{start}T00:00:00Z", state)
    doc["capacity_reservations"] = {"value": reservations}
    return doc


def main() -> int:
    sys.path.insert(0, ROOT)
    from planner.spec.yamlload import load

    with open(os.path.join(FLEET, "fleet.yaml"), encoding="utf-8") as fh:
        fleet, _ = load(fh.read())
    for cell in fleet["cells"]:
        with open(os.path.join(ROOT, "examples", "accounts", BASE[cell["region"]]), encoding="utf-8") as fh:
            base = json.load(fh)
        with open(os.path.join(FLEET, cell["spec"]), encoding="utf-8") as fh:
            spec, _ = load(fh.read())
        out = os.path.join(FLEET, cell["account_snapshot"])
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(snapshot_for(cell, spec, base), fh, indent=1, sort_keys=False)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
