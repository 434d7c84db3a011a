"""Shared fixtures. Tests run from any folder: paths are resolved from the repo root."""
from __future__ import annotations

import glob
import os
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The planning clock of the whole suite (planner/clock.py), set before anything plans, and inherited by
# every `ultraplan` the tests start: results do not depend on the day the suite runs. It is before
# every example's Capacity Block opens; tests of later moments give --now or set ULTRAPLAN_NOW.
SUITE_NOW = "2026-11-23T12:00:00Z"
os.environ["ULTRAPLAN_NOW"] = SUITE_NOW
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
SMALL_EXAMPLES = [e for e in EXAMPLES if not e.endswith("frontier.yaml")]


# Under CI (`CI` set: GitHub Actions sets it; `CI=true bash .ci/run`) a skip is a failure: a missing Chromium,
# shellcheck, cloud-init, yaml-language-server or deploy extra must not turn the tests that need
# it into a quiet "s". Locally a skip still says what is missing and how to install it.
IN_CI = bool(os.environ.get("CI"))


def need(missing: str | None, what: str) -> None:
    """Skip the calling test because `what` is missing (`missing` is the reason); under CI, fail."""
    if missing:
        if IN_CI:
            pytest.fail(f"{what} is missing under CI: {missing}", pytrace=False)
        pytest.skip(f"{what}: {missing}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run everything: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # A module-level importorskip skips the whole file at collection: under CI that is a failure too.
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{report.nodeid} skipped under CI, which must run everything: {reason}"


def pytest_configure(config):
    # Each check's and policy's observed outcomes, asserted at the end of a full run (outcome_recorder).
    import outcome_recorder

    if not config.pluginmanager.is_registered(outcome_recorder):
        config.pluginmanager.register(outcome_recorder, "outcome_recorder")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/data/golden/* from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    # Plans record spec paths as given; running from the root keeps them relative and stable.
    monkeypatch.chdir(ROOT)


BASE_SPEC = """\
name: demo
region: us-east-1
availability_zone: us-east-1a
tags: {team: t, cost-center: "1"}
network:
  vpc_cidr: 10.0.0.0/16
compute:
  - name: gpu
    instance_type: p5.48xlarge
    count: 2
"""


@pytest.fixture
def write_spec(tmp_path):
    def write(text: str = BASE_SPEC, name: str = "spec.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return str(path)

    return write


@pytest.fixture
def fake_aws_env(monkeypatch):
    """Fake credentials for one region and none of the user's AWS settings: no test reaches real AWS."""
    from preflight_fixtures import FAKE_ENV, UNSET_ENV

    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    for k in UNSET_ENV:
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def aws(fake_aws_env):
    """moto's `mock_aws` for the test, with fake credentials (what moto lacks is seeded per test)."""
    from moto import mock_aws

    with mock_aws():
        yield
