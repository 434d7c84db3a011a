"""Run every registered preflight check against one Plan and one Account."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from ..errors import UsageError
from ..findings import Finding, Level, worst
from ..plan import Plan
from .account import UNREACHABLE_KINDS, Account
from .checks import REGISTRY
from .context import Context

DRY_RUN_ID = "preflight.launch.dry-run"
Progress = Callable[[str], None]


@dataclass
class PreflightResult:
    findings: list[Finding]
    calls: int
    region: str
    account: str  # "live" or "snapshot <path or captured_at>"
    skipped: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    unreachable: bool = False  # AWS could not be reached at all (CLI exit 3)
    calls_by_operation: dict[str, int] = field(default_factory=dict)

    @property
    def worst(self) -> Level | None:
        return worst(self.findings)

    @property
    def failed(self) -> bool:
        return self.worst is not None and self.worst >= Level.ERROR

    def to_json(self) -> dict[str, Any]:
        counts = {lvl.name.lower(): sum(1 for f in self.findings if f.level == lvl) for lvl in Level}
        return {
            "region": self.region,
            "account": self.account,
            "calls": self.calls,
            "calls_by_operation": self.calls_by_operation,
            "unreachable": self.unreachable,
            "checks": self.checks,
            "skipped": [{"id": k, "reason": v} for k, v in self.skipped.items()],
            "summary": counts,
            "findings": [f.to_json() for f in self.findings],
        }


def _default_catalog() -> Any:
    try:
        from ..catalog import load_catalog
    except ImportError:  # pragma: no cover - the catalog is part of the package
        return None
    return load_catalog()


def _default_quotas() -> Any:
    from ..catalog.quotas import load_quotas

    return load_quotas()


def run(plan: Plan, account: Account, *, launch_dry_run: bool = False, progress: Progress | None = None,
        catalog: Any = None, quotas: Any = None, now: datetime | None = None,
        skip: dict[str, str] | None = None) -> PreflightResult:
    """Run every preflight check; a check that raises becomes a warning, never a crash.

    `skip` maps check ids to reasons; skips are echoed in the result. The launch dry run runs only
    when `launch_dry_run` is true.
    """
    if account.region != plan.region:
        raise UsageError(f"the account ({getattr(account, 'label', '') or 'live'}) is {account.region}; "
                         f"the plan is in {plan.region}")
    ctx = Context(plan, account, catalog=catalog if catalog is not None else _default_catalog(),
                  quotas=quotas if quotas is not None else _default_quotas(), now=now,
                  launch_dry_run=launch_dry_run)
    skipped = dict(skip or {})
    if not launch_dry_run:
        skipped.setdefault(DRY_RUN_ID, "not asked for (--launch-dry-run)")
    findings: list[Finding] = []
    ran: list[str] = []
    checks = [c for c in REGISTRY if c.check_id not in skipped]
    for i, info in enumerate(checks, 1):
        if progress:
            progress(f"[{i}/{len(checks)}] {info.check_id}: {info.title}")
        try:
            findings.extend(info.func(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken check never hides the others
            findings.append(ctx.finding(info.check_id, Level.WARNING,
                                        f"could not check {info.title.rstrip('.')}: internal error "
                                        f"{type(exc).__name__}: {exc}"))
        ran.append(info.check_id)
    failures = list(getattr(account, "failures", []))
    unreachable = bool(failures) and account.calls <= len(failures) and all(
        f.kind in UNREACHABLE_KINDS for f in failures)
    label = "live" if getattr(account, "live", False) else f"snapshot {getattr(account, 'label', '')}".strip()
    return PreflightResult(findings=findings, calls=account.calls, region=plan.region, account=label,
                           skipped=skipped, checks=ran, unreachable=unreachable,
                           calls_by_operation={k: v for k, v in getattr(account, "calls_by_operation", {}).items() if v})
