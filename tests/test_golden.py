"""Golden outputs: what every bundled example prints, byte for byte, with the planning clock fixed.

For each examples/*.yaml, four outputs as a user gets them from the CLI:

    plan.json    ultraplan plan SPEC --format json
    cost.json    ultraplan cost SPEC --format json
    policy.json  ultraplan policy SPEC --format json
    check.md     ultraplan check SPEC --format markdown

are compared with tests/golden/<example>/ byte for byte (an output over 1 MiB, frontier's Plan and
cost, as the sha256 digest of its bytes in <output>.sha256). They pin behaviour through refactors that
must change structure only (issue 19): a refactoring commit leaves them untouched; a commit that
changes output on purpose regenerates them and the diff shows what changed:

    ULTRAPLAN_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py     (or: pytest --update-golden)

The clock: outputs depend on the planning moment (an undated term starts "today"; prices go stale
against it; a Capacity Block's phase). Every command reads it from planner/clock.py; here it is
fixed with the environment variable ULTRAPLAN_NOW (as `--now` or CI would), so the goldens hold
whatever the date.
"""
from __future__ import annotations

import os

import pytest

from conftest import EXAMPLES, ROOT

GOLDEN_DIR = os.path.join(ROOT, "tests", "golden")
GOLDEN_NOW = "2026-11-02T09:00:00Z"  # before every dated example's first pool (2026-12-01)
MAX_GOLDEN_BYTES = 1 << 20  # larger outputs (frontier's Plan and cost) are kept as a sha256 digest

OUTPUTS = {
    "plan.json": ["plan", "{spec}", "--format", "json"],
    "cost.json": ["cost", "{spec}", "--format", "json"],
    "policy.json": ["policy", "{spec}", "--format", "json"],
    "check.md": ["check", "{spec}", "--format", "markdown"],
}


def pin_clock(monkeypatch) -> None:
    """Every command plans at GOLDEN_NOW (planner/clock.py reads ULTRAPLAN_NOW)."""
    monkeypatch.setenv("ULTRAPLAN_NOW", GOLDEN_NOW)


def _digest(text: str) -> str:
    """What a golden too large to commit as text holds: the digest and length of its bytes."""
    import hashlib

    data = text.encode("utf-8")
    return f"sha256 {hashlib.sha256(data).hexdigest()} bytes {len(data)}\n"


def _update() -> bool:
    return os.environ.get("ULTRAPLAN_UPDATE_GOLDEN", "") not in ("", "0")


def _run(capsys, monkeypatch, args: list[str]) -> tuple[int, str]:
    """`ultraplan ARGS` as main() runs it, at 80 columns without colour: exit code and stdout."""
    from planner.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().out


def _name(path: str) -> str:
    return os.path.basename(path).rsplit(".", 1)[0]


CASES = [(e, out) for e in EXAMPLES for out in OUTPUTS]


@pytest.mark.parametrize("example,output", CASES, ids=[f"{_name(e)}-{o}" for e, o in CASES])
def test_output_matches_golden(example, output, monkeypatch, capsys, update_golden):
    pin_clock(monkeypatch)
    spec = os.path.relpath(example, ROOT)
    args = [a.format(spec=spec) for a in OUTPUTS[output]]
    code, text = _run(capsys, monkeypatch, args)
    assert code in (0, 1), f"ultraplan {' '.join(args)} exited {code}"
    golden = os.path.join(GOLDEN_DIR, _name(example), output)
    if _update() or update_golden:
        os.makedirs(os.path.dirname(golden), exist_ok=True)
        for stale in (golden, golden + ".sha256"):
            if os.path.exists(stale):
                os.unlink(stale)
        big = len(text.encode("utf-8")) > MAX_GOLDEN_BYTES
        with open(golden + ".sha256" if big else golden, "w", encoding="utf-8", newline="") as fh:
            fh.write(_digest(text) if big else text)
    if os.path.exists(golden + ".sha256"):
        with open(golden + ".sha256", encoding="utf-8") as fh:
            assert _digest(text) == fh.read(), (
                f"`ultraplan {' '.join(args)}` changed from {os.path.relpath(golden, ROOT)}.sha256 (too large to "
                "commit as text); if intended, regenerate with ULTRAPLAN_UPDATE_GOLDEN=1 python3 -m pytest "
                "tests/test_golden.py")
        return
    assert os.path.exists(golden), (f"no golden {os.path.relpath(golden, ROOT)}: run "
                                    "ULTRAPLAN_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py and review it")
    with open(golden, encoding="utf-8", newline="") as fh:
        expected = fh.read()
    if text != expected:
        import difflib

        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                 "golden", "now", n=1))[:60])
        pytest.fail(f"`ultraplan {' '.join(args)}` changed from {os.path.relpath(golden, ROOT)}; if intended, "
                    f"regenerate with ULTRAPLAN_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py\n{diff}")


def test_the_clock_is_pinned(monkeypatch, capsys):
    """The goldens are reproducible only if the day reaches the output: an undated plan's term
    starts on GOLDEN_DAY (a cost JSON shows it), whatever the system date."""
    import json

    pin_clock(monkeypatch)
    code, text = _run(capsys, monkeypatch, ["cost", "examples/p5-on-demand-fsx.yaml", "--format", "json"])
    assert code in (0, 1)
    assert json.loads(text)["term"]["start"] == GOLDEN_NOW[:10]
