"""Preflight: read-only checks of a Plan against an AWS account (live through boto3, or a snapshot).

    from planner.preflight import run, load_snapshot
    result = run(plan, load_snapshot("account.json"))
    result.findings, result.calls, result.to_json()

Only `planner.preflight.live` imports boto3, and only when a live account is asked for.
"""
from __future__ import annotations

from typing import Any

from .account import Account, AccountError
from .checks import REGISTRY
from .runner import PreflightResult, run
from .snapshot import SNAPSHOT_VERSION, SnapshotAccount, capture, load_snapshot, save_snapshot


def live_account(region: str, **kwargs: Any) -> Account:
    """A boto3-backed account (imports boto3 on first use)."""
    from .live import LiveAccount

    return LiveAccount(region, **kwargs)


__all__ = ["Account", "AccountError", "PreflightResult", "REGISTRY", "SNAPSHOT_VERSION", "SnapshotAccount",
           "capture", "live_account", "load_snapshot", "run", "save_snapshot"]
