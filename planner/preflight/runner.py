"""Run every registered preflight check against one Plan and one Account."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from ..errors import UsageError, verdict_exit_code
from ..findings import Finding, Level, Status, Unverified, check_status, worst
from ..plan.model import Plan
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
    unreachable: bool = False  # every AWS call failed as out of reach (informational; exit 3 follows unverified)
    calls_by_operation: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)  # unverified check id -> the reason the user accepts it
    internal_errors: list[str] = field(default_factory=list)  # checks that raised (a bug: exit 4)
    deadline_s: float | None = None

    @property
    def worst(self) -> Level | None:
        return worst(self.findings)

    @property
    def failed(self) -> bool:
        return self.worst is not None and self.worst >= Level.ERROR

    def statuses(self) -> dict[str, Status]:
        """Every registered check: passed, failed, skipped or unverified (never a pass it did not verify)."""
        by_id: dict[str, list[Finding]] = {}
        for f in self.findings:
            by_id.setdefault(f.check_id, []).append(f)
        out = {cid: check_status(by_id.get(cid, ())) for cid in self.checks}
        out.update({cid: Status.SKIPPED for cid in self.skipped})
        return out

    def unverified(self) -> list[str]:
        """Checks that ran but could not verify (accepted ones included)."""
        return [cid for cid, st in self.statuses().items() if st == Status.UNVERIFIED]

    def unaccepted(self) -> list[str]:
        return [cid for cid in self.unverified() if cid not in self.accepted]

    def exit_code(self, fail_on: Level = Level.ERROR) -> int:
        """1 a finding at or above fail_on; else 4 a check crashed; else 3 a check could not verify
        (and was not accepted); else 0."""
        return verdict_exit_code(self.worst is not None and self.worst >= fail_on, bool(self.internal_errors),
                                 bool(self.unaccepted()))

    def to_json(self) -> dict[str, Any]:
        counts = {lvl.name.lower(): sum(1 for f in self.findings if f.level == lvl and f.unverified is None)
                  for lvl in Level}
        statuses = self.statuses()
        counts["unverified"] = sum(1 for st in statuses.values() if st == Status.UNVERIFIED)
        return {
            "region": self.region,
            "account": self.account,
            "calls": self.calls,
            "calls_by_operation": self.calls_by_operation,
            "unreachable": self.unreachable,
            "deadline_s": self.deadline_s,
            "checks": self.checks,
            "status": {cid: st.value for cid, st in statuses.items()},
            "passed": [cid for cid, st in statuses.items() if st == Status.PASSED],
            "unverified": [self._unverified_json(cid) for cid in self.unverified()],
            "skipped": [{"id": k, "reason": v} for k, v in self.skipped.items()],
            "summary": counts,
            "findings": [f.to_json() for f in self.findings],
        }

    def _unverified_json(self, check_id: str) -> dict[str, Any]:
        why = [f.unverified for f in self.findings if f.check_id == check_id and f.unverified is not None]
        return {"id": check_id, "accepted": self.accepted.get(check_id),
                "operations": sorted({w.operation for w in why if w.operation}),
                "errors": [w.to_json() for w in _unique(why)]}


def _unique(items: list[Unverified]) -> list[Unverified]:
    seen: dict[tuple[Any, ...], Unverified] = {}
    for u in items:
        seen.setdefault((u.operation, u.error, u.reason), u)
    return list(seen.values())


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
        skip: dict[str, str] | None = None, accept: dict[str, str] | None = None) -> PreflightResult:
    """Run every preflight check. Each ends passed, failed, skipped or unverified: a question the
    account could not answer (denied, throttled past retries, unreadable, past the deadline) makes
    the check that asked it unverified, even if the check itself swallowed the error; a check that
    raises is unverified too and recorded as an internal error. One never hides the others.

    `skip` maps check ids to reasons (echoed in the result); `accept` maps ids whose unverified
    status the user accepts (with a reason) so that it does not fail the run with exit 3.
    The launch dry run runs only when `launch_dry_run` is true.
    """
    if account.region != plan.region:
        raise UsageError(f"the account ({getattr(account, 'label', '') or 'live'}) is {account.region}; "
                         f"the plan is in {plan.region}")
    ctx = Context(plan, account, catalog=catalog if catalog is not None else _default_catalog(),
                  quotas=quotas if quotas is not None else _default_quotas(), now=now,
                  launch_dry_run=launch_dry_run)
    skipped = {**spec_skips(plan), **(skip or {})}
    if not launch_dry_run:
        skipped.setdefault(DRY_RUN_ID, "not asked for (--launch-dry-run)")
    findings: list[Finding] = []
    ran: list[str] = []
    internal: list[str] = []
    checks = [c for c in REGISTRY if c.check_id not in skipped]
    for i, info in enumerate(checks, 1):
        if progress:
            progress(f"[{i}/{len(checks)}] {info.check_id}: {info.title}")
        ctx.failed_questions = []
        own: list[Finding] = []
        try:
            own.extend(info.func(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken check never hides the others
            internal.append(info.check_id)
            message = (f"could not check {info.title.rstrip('.')}: internal error {type(exc).__name__}: {exc} "
                       "(a bug in ultraplan: please report it)")
            own.append(ctx.unverified(info.check_id, message, error="internal"))
        own.extend(_swallowed(ctx, info, own))
        findings.extend(own)
        ran.append(info.check_id)
    failures = list(getattr(account, "failures", []))
    unreachable = bool(failures) and account.calls <= len(failures) and all(
        f.kind in UNREACHABLE_KINDS for f in failures)
    label = "live" if getattr(account, "live", False) else f"snapshot {getattr(account, 'label', '')}".strip()
    return PreflightResult(findings=findings, calls=account.calls, region=plan.region, account=label,
                           skipped=skipped, checks=ran, unreachable=unreachable,
                           calls_by_operation={k: v for k, v in getattr(account, "calls_by_operation", {}).items() if v},
                           accepted=dict(accept or {}), internal_errors=internal,
                           deadline_s=getattr(account, "timeout", None))


def spec_skips(plan: Plan) -> dict[str, str]:
    """Preflight checks the spec skips in `policies.skip` (id -> reason, echoed as skipped, so an
    unanswerable check the user decided not to ask for never exits 3). An unknown id or an empty
    reason is a SpecError at its line."""
    import difflib

    from ..errors import SpecError, SpecIssue

    section = plan.policies or {}
    lines = section.get("lines") or {}
    out: dict[str, str] = {}
    issues = []
    for check_id, reason in (section.get("skip") or {}).items():
        check_id = str(check_id)
        if not check_id.startswith("preflight."):
            continue
        path = f"policies.skip.{check_id}"
        line = lines.get(path) or lines.get("policies.skip") or lines.get("policies")
        if REGISTRY.get(check_id) is None:
            close = difflib.get_close_matches(check_id, REGISTRY.ids(), n=1)
            issues.append(SpecIssue(path, f"unknown preflight check '{check_id}'", line, plan.spec_file,
                                    f"did you mean '{close[0]}'?" if close else "see `ultraplan preflight --help`",
                                    rule="spec.policies.known-id"))
        elif not isinstance(reason, str) or not reason.strip():
            issues.append(SpecIssue(path, "a skip needs a reason", line, plan.spec_file, rule="spec.policies.skip-reason"))
        else:
            out[check_id] = reason.strip()
    if issues:
        raise SpecError(issues)
    return out


def _swallowed(ctx: Context, info: Any, own: list[Finding]) -> list[Finding]:
    """Unverified findings for questions a check met but did not report (fail closed)."""
    reported = {f.unverified.operation for f in own if f.unverified is not None}
    out: list[Finding] = []
    seen: set[str] = set()
    for err in ctx.failed_questions:
        if err.operation in reported or err.operation in seen:
            continue
        seen.add(err.operation)
        out.append(ctx.could_not(info.check_id, f"'{info.title.rstrip('.')}' in full", err))
    return out
