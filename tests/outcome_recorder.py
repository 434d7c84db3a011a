"""Every check seen failing and seen passing, by what the tests observe (not by test names).

A pytest plugin (conftest loads it). For the whole session it records what each preflight check and
each policy did whenever any test ran it:

- a preflight check *failed* when it reported a WARNING or ERROR finding that is not "could not
  check" (unverified); it *passed* when it reported none of those **and asked the account at least
  one question** on the way (a zone, a quota, the reservations, ...). A check that returned early
  because nothing in the Plan concerned it asked nothing: that is not a pass, whatever `== []` says.
- a policy *failed* when it was VIOLATED (not by a rule that raised); it *passed* when its outcome
  was PASSED on an input that is not the untouched baseline of tests/test_policy_fixtures.py (the
  resources it applies to, the pools and its config differ), so a rule is seen passing on a case
  that exercises it.

When the session ran every test of OUTCOME_FILES (a full run, no -k or file subset), it ends by
asserting each id was seen both ways; a missing one fails the run and is named.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import defaultdict
from typing import Any

import pytest

OUTCOME_FILES = ("test_preflight_checks.py", "test_preflight_outcomes.py", "test_policy_rules.py",
                 "test_policy_outcomes.py", "test_preflight_requests.py")
QUESTIONS = ("zones", "offerings", "account_types", "images", "quota", "quota_list", "reservations", "blocks",
             "block_status", "group", "block_offerings", "vpc", "subnets", "count", "zone", "pool_zone",
             "ask")

preflight_seen: dict[str, set[str]] = defaultdict(set)
policy_seen: dict[str, set[str]] = defaultdict(set)
_policy_inputs: dict[str, set[str]] = defaultdict(set)  # fingerprints of passing inputs, until one differs
_state: dict[str, Any] = {"complete": True, "files": set(), "baseline": None, "quiet": False}


class _Asking:
    """The check's view of its Context: every attribute passes through; questions are counted."""

    def __init__(self, ctx: Any) -> None:
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "asked", 0)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._ctx, name)
        if name in QUESTIONS and callable(value):
            def asked(*args: Any, **kwargs: Any) -> Any:
                object.__setattr__(self, "asked", self.asked + 1)
                return value(*args, **kwargs)
            return asked
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._ctx, name, value)


def _install_preflight() -> None:
    from planner.findings import Level
    from planner.preflight.checks import REGISTRY

    checks = REGISTRY._checks  # the registry's own table: every run reads it
    for cid, info in list(checks.items()):
        if getattr(info.func, "_recorded", False):
            continue

        def recorded(ctx: Any, _func=info.func, _cid=cid) -> list[Any]:
            probe = _Asking(ctx)
            out = list(_func(probe))
            if any(f.unverified is not None for f in out):
                preflight_seen[_cid].add("unverified")
            elif any(f.level >= Level.WARNING for f in out):
                preflight_seen[_cid].add("failed")
            elif probe.asked:
                preflight_seen[_cid].add("passed")
            else:
                preflight_seen[_cid].add("idle")
            return out

        recorded._recorded = True  # type: ignore[attr-defined]
        checks[cid] = dataclasses.replace(info, func=recorded)


def _fingerprint(policy: Any, config: Any, views: list[dict[str, Any]], ctx: Any) -> str:
    if policy.kind == "resource":
        seen = [v for v in views if policy.applies_to(v["type"])]
        pools: Any = None
    else:
        seen, pools = views, getattr(ctx, "pools", None)
    text = json.dumps([seen, pools, config], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def _baseline() -> dict[str, str]:
    """Each policy's fingerprint on the untouched baseline Plan of test_policy_fixtures."""
    if _state["baseline"] is None:
        from test_policy_fixtures import good_plan

        from policies.runner import run_policies

        _state["quiet"] = True
        fingerprints: dict[str, str] = {}
        _state["capture"] = fingerprints
        try:
            run_policies(good_plan())
        finally:
            _state["quiet"] = False
            _state.pop("capture")
        _state["baseline"] = fingerprints
    return _state["baseline"]


def _install_policies() -> None:
    import policies.runner as runner

    if getattr(runner._run_policy, "_recorded", False):
        return
    original = runner._run_policy

    def recorded(policy, level, config, views, ctx, locate):
        outcome = original(policy, level, config, views, ctx, locate)
        if "capture" in _state:
            _state["capture"][policy.id] = _fingerprint(policy, config, views, ctx)
        if _state["quiet"]:
            return outcome
        pid = policy.id
        if outcome.status == runner.VIOLATED:
            real = [f for f in outcome.violations if f.unverified is None]
            policy_seen[pid].add("failed" if real else "unverified")
        elif outcome.status == runner.PASSED and "passed" not in policy_seen[pid]:
            fp = _fingerprint(policy, config, views, ctx)
            if len(_policy_inputs[pid]) < 50:
                _policy_inputs[pid].add(fp)
            if len(_policy_inputs[pid]) > 1:
                policy_seen[pid].add("passed")  # two different passing inputs: at least one is not the baseline
        return outcome

    recorded._recorded = True  # type: ignore[attr-defined]
    runner._run_policy = recorded


def _finish_policies() -> None:
    base = _baseline()
    for pid, fps in _policy_inputs.items():
        if "passed" not in policy_seen[pid] and fps - {base.get(pid)}:
            policy_seen[pid].add("passed")


def missing() -> list[str]:
    from planner.preflight.checks import REGISTRY
    from policies.registry import load_rules

    _finish_policies()
    out = []
    for cid in REGISTRY.ids():
        for want in ("failed", "passed"):
            if want not in preflight_seen[cid]:
                out.append(f"preflight check {cid} was never seen {want}"
                           + (" (it only returned without asking the account)" if want == "passed" and "idle" in preflight_seen[cid] else ""))
    for pid in load_rules().ids():
        for want in ("failed", "passed"):
            if want not in policy_seen[pid]:
                out.append(f"policy {pid} was never seen {want}"
                           + (" on anything but the untouched baseline Plan" if want == "passed" else ""))
    return out


# -- the plugin ---------------------------------------------------------------------------------
def pytest_configure(config):
    _install_preflight()
    _install_policies()


def pytest_deselected(items):
    if any(os.path.basename(str(i.fspath)) in OUTCOME_FILES for i in items):
        _state["complete"] = False


def pytest_collection_finish(session):
    _state["files"] = {os.path.basename(str(i.fspath)) for i in session.items}
    here = os.path.dirname(os.path.abspath(__file__))
    wanted = {f for f in OUTCOME_FILES if os.path.exists(os.path.join(here, f))}
    if not wanted <= _state["files"]:
        _state["complete"] = False


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if not _state["complete"] or exitstatus != 0 or session.config.getoption("collectonly"):
        return
    gaps = missing()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not gaps and reporter:
        reporter.write_line(f"outcome recorder: each of {len(preflight_seen)} preflight checks and {len(policy_seen)} "
                            "policies was seen failing and passing")
    if gaps:
        lines = ["every check needs a failing and a passing case that exercises it, as observed in this run:"] + \
            [f"  {g}" for g in gaps]
        if reporter:
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
