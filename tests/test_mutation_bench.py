"""The mutation bench (bench/mutation.py) itself, on a toy project: it generates the mutants it
documents, runs each against the tests that execute the mutated line (and only those), counts a
mutant in code no test runs as a survivor without running anything, and judges a mutant killed or
surviving by what its tests do. If the tool breaks, its kill rates mean nothing: this fails first."""
from __future__ import annotations

import importlib.util
import os
import sys
import textwrap

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("mutation_bench", os.path.join(ROOT, "bench", "mutation.py"))
mutation = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("mutation_bench", mutation)  # dataclasses look their module up by name
_spec.loader.exec_module(mutation)

TOY = textwrap.dedent('''\
    LIMIT = 10


    def over(n):
        return n > LIMIT


    def double(n):
        return n * 2


    def warm(n):
        return n + 1


    def never_called(n):
        return n - 1
    ''')

TOY_TESTS = textwrap.dedent('''\
    import pytest

    import toy


    @pytest.fixture(scope="module")
    def warmed():
        return toy.warm(1)


    def test_over_the_limit():
        assert toy.over(11)
        assert not toy.over(10)


    def test_double_is_not_checked_closely():
        assert toy.double(3) > 0


    def test_uses_the_warm_fixture(warmed):
        assert warmed == 2


    def test_also_uses_the_warm_fixture(warmed):
        assert warmed > 0
    ''')


def _mutant(mutants, line, kind, after=None):
    found = [m for m in mutants if m.line == line and m.kind == kind and (after is None or m.after == after)]
    assert len(found) == 1, [m.label() for m in mutants if m.line == line]
    return found[0]


def test_a_comparison_is_flipped_and_applied_in_place():
    source = "def f(a, b):\n    return a < b  # why\n"
    mutants = mutation.mutants_of("f.py", source)
    m = _mutant(mutants, 2, "compare")
    assert (m.before, m.after, m.at_import) == ("a < b", "(a <= b)", False)
    assert mutation.apply(source, m) == "def f(a, b):\n    return (a <= b)  # why\n"


def test_each_documented_operator_makes_its_mutant():
    source = textwrap.dedent('''\
        RATE = 24


        def f(x, on=True):
            """Docstrings and message prose are left alone."""
            if x and not on:
                x = x * RATE
            y = x + 1
            print("a message with spaces")
            return {"market": "spot"}[x]
        ''')
    labels = {(m.line, m.kind, m.after) for m in mutation.mutants_of("f.py", source)}
    assert (1, "number", "25") in labels                      # a module constant (at import)
    assert (4, "bool", "False") in labels                     # a default argument
    assert (6, "boolop", "(x or not on)") in labels
    assert (6, "not", "(on)") in labels
    assert (6, "negate", "(not (x and not on))") in labels
    assert (7, "arith", "(x / RATE)") in labels
    assert (7, "delete", "pass") in labels
    assert (8, "arith", "(x - 1)") in labels
    assert (10, "string", "'marketX'") in labels and (10, "string", "'spotX'") in labels
    assert not any(kind == "string" and line in (5, 9) for line, kind, _ in labels)


def test_code_that_runs_at_import_is_told_from_code_that_runs_when_called():
    mutants = mutation.mutants_of("toy.py", TOY)
    assert _mutant(mutants, 1, "number").at_import            # LIMIT = 10
    assert not _mutant(mutants, 5, "compare").at_import       # n > LIMIT, in a function body


@pytest.fixture(scope="module")
def toy_map(tmp_path_factory):
    repo = tmp_path_factory.mktemp("toy")
    (repo / "toy.py").write_text(TOY)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_toy.py").write_text(TOY_TESTS)
    cmap = mutation.record(str(repo), ["toy.py"], ["tests/test_toy.py"], str(repo / "map.json"), str(repo / "tmp"))
    return repo, cmap


def test_the_coverage_map_names_the_tests_that_execute_each_line(toy_map):
    _, cmap = toy_map
    t = "tests/test_toy.py::"
    assert cmap.tests == [t + "test_over_the_limit", t + "test_double_is_not_checked_closely",
                          t + "test_uses_the_warm_fixture", t + "test_also_uses_the_warm_fixture"]
    assert cmap.failed == []
    lines = cmap.lines["toy.py"]
    assert lines[5] == [t + "test_over_the_limit"]
    assert lines[9] == [t + "test_double_is_not_checked_closely"]
    # warm() runs once, while the module-scoped fixture is set up: it counts for both tests using it.
    assert lines[13] == [t + "test_uses_the_warm_fixture", t + "test_also_uses_the_warm_fixture"]
    assert 17 not in lines                                    # never_called's body


def test_a_mutant_runs_only_the_tests_that_execute_its_line(toy_map):
    _, cmap = toy_map
    mutants = mutation.mutants_of("toy.py", TOY)
    t = "tests/test_toy.py::"
    assert cmap.select(_mutant(mutants, 5, "compare")) == [t + "test_over_the_limit"]
    assert cmap.select(_mutant(mutants, 17, "arith")) == []   # a survivor without running anything
    # A constant runs at import: every test that executes a line of its file may depend on it.
    assert cmap.select(_mutant(mutants, 1, "number")) == cmap.tests


def test_a_mutant_is_killed_or_survives_by_what_its_tests_do(toy_map, tmp_path):
    repo, cmap = toy_map
    mutants = mutation.mutants_of("toy.py", TOY)
    results = {}
    pool = mutation.Pool([str(repo)], str(tmp_path))
    jobs = [mutation.Job("toy", m, cmap.select(m), 60) for m in
            (_mutant(mutants, 5, "compare"), _mutant(mutants, 9, "arith"), _mutant(mutants, 13, "arith"))]
    pool.run(jobs, lambda job, verdict, secs: results.__setitem__(job.mutant.after, verdict))
    assert results == {"(n >= LIMIT)": "killed",   # over(10) would be True: the test sees it
                       "(n / 2)": "survived",      # 3 / 2 > 0: the weak test cannot tell
                       "(n - 1)": "killed"}        # reached only through the module-scoped fixture
    assert (repo / "toy.py").read_text() == TOY    # every mutant was undone


def test_the_verdict_is_the_target_reached_in_every_area(capsys):
    m = mutation.mutants_of("toy.py", TOY)[0]
    nine = [(m, "killed", "")] * 8 + [(m, "timeout", ""), (m, "survived", "2 tests ran")]
    eight = [(m, "killed", "")] * 8 + [(m, "survived", "no test executes this line")] * 2
    assert mutation.summarise({"a": nine}, 85.0, 21, 1.0) is True
    assert mutation.summarise({"a": nine, "b": eight}, 85.0, 21, 1.0) is False
    out = capsys.readouterr().out
    assert "a             9/10   killed   90.0 %  ok" in out
    assert "b             8/10   killed   80.0 %  BELOW 85 %" in out
