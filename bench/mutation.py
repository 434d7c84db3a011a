"""Mutation testing of the core: plant one small bug at a time in the compiler, the preflight checks,
the cost model and the policy rules, run the tests that execute the mutated line, and count the
mutants the suite kills. Prints the kill rate per area and per file, and every surviving mutant
(file:line, the original and the mutated code), so a survivor is either killed by a new test or listed
with why it is equivalent in bench/mutation-equivalent.md.

    python3 bench/mutation.py                             # every area: 60 sampled mutants, preflight 100
    python3 bench/mutation.py --area preflight --area policies
    python3 bench/mutation.py --area compile --sample 0   # all of one area's mutants
    python3 bench/mutation.py --match 'rates.py:88 '      # re-run chosen mutants (e.g. survivors)
    python3 bench/mutation.py --list --area cost          # the mutants, not run

A small AST mutator (mutmut and cosmic-ray rewrite the package in place or want a config per
project; this one works on scratch copies of the repository, so the checkout is never touched).
Operators: comparison flips (== !=, < <=, > >=, in / not in, is / is not), and <-> or, `not x` -> x,
negated `if`/ternary conditions, + <-> -, * <-> /, numbers n -> n+1, True <-> False, identifier-like
strings (no spaces: keys, type tokens, market types) changed, and statement deletion (an assignment,
a call, an `if`, an `append`, replaced by `pass`). Message prose (strings with spaces), docstrings and
f-string text are not mutated: a changed word in a message is not a behaviour change the suite must
pin. Mutants are sampled per area (seeded, printed); --sample 0 runs all.

What makes a mutant cheap: one clean run of the whole default suite (`-m "not slow"`) under
coverage.py records, for every line of every area's source, which tests execute it (the coverage
context is the test's node id; a line run while a module- or session-scoped fixture is set up counts
for every test that uses the fixture). The map is cached in the scratch folder, keyed by the content
of the repository, so a re-run reuses it (--map reuses a given one). A mutant then runs only the
tests that execute its lines (a mutant in code that runs at import, such as a module constant, a
decorator or a default argument, runs every test that executes any line of its file), in two
stages: the test files quickest per selected test first, then the rest. A mutant on a line no test
executes survives without running anything. --confirm re-runs each survivor against every test, to
show the selection missed nothing (tests that reach the code only through a subprocess are not in
the map). What the selection cannot see: a check that only a full run asserts (the outcome
recorder's "every check seen failing and passing", tests/outcome_recorder.py).

Each mutant runs in a forked child of a process that imported pytest, coverage and the heavy
third-party packages once (boto3, moto, pydantic, hypothesis), never the project itself, so the child
imports the mutated source fresh (from precompiled bytecode for every file but the mutated one). The
child runs its tests with -x (a kill stops at the first failure) and a timeout (3x the tests' clean
time plus 30 s; a timeout counts as killed and is printed). --workers N runs N children at once,
each in its own scratch copy (default 1: the machine's two cores are shared).

Exit 0 when every area reaches --target (default 85 %) of killed mutants, 1 otherwise, 2 when the
command line is wrong or more than 1 % of the suite fails unmutated in the scratch copy.
"""
from __future__ import annotations

import argparse
import ast
import collections
import compileall
import copy
import fnmatch
import glob
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = "not slow"  # the tests every mutant runs: the suite's default set
MAP_VERSION = 1    # bump when the coverage map's format or meaning changes (invalidates caches)

# The areas: the source files whose mutants are counted together.
AREAS: dict[str, list[str]] = {
    "compile": ["planner/compile/*.py"],
    "preflight": ["planner/preflight/checks/*.py"],
    "cost": ["planner/cost/*.py"],
    "policies": ["policies/rules/*.py"],
}
# The tests: the whole default suite (`-m "not slow"`), recorded once for every area, so a mutant is
# judged by every test that executes it, wherever that test lives. Not recorded: this tool's own test,
# which runs pytest and coverage.py in a child of its own.
SUITE = ["tests"]
NOT_RECORDED = ["tests/test_mutation_bench.py"]
SKIP_FILES = {"__init__.py"}  # re-exports and registries: no behaviour of their own to mutate
IDENT = re.compile(r"^[A-Za-z0-9_.:/*-]{2,}$")
CMP_FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
            ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
BIN_FLIP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    path: str        # relative to the repository root
    line: int
    kind: str
    before: str      # the source segment as written
    after: str       # what replaces it
    start: tuple[int, int]
    end: tuple[int, int]
    at_import: bool = False  # runs when the module is imported (constant, decorator, default), not when called

    def label(self) -> str:
        return f"{self.path}:{self.line} [{self.kind}] {_short(self.before)} -> {_short(self.after)}"


def _short(text: str, width: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


# -- the mutator -------------------------------------------------------------------------------------
def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first))
                ids.add(id(first.value))
    return ids


def _in_fstring(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                ids.add(id(part))
    return ids


def _annotation_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        ann = getattr(node, "annotation", None) if isinstance(node, (ast.arg, ast.AnnAssign)) else None
        ret = node.returns if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        for a in (ann, ret):
            if a is not None:
                ids.update(id(n) for n in ast.walk(a))
    return ids


def _called_nodes(tree: ast.AST) -> set[int]:
    """Nodes that run when a function is called (its body, a lambda's body); the rest runs at import."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for stmt in node.body:
                ids.update(id(n) for n in ast.walk(stmt))
        elif isinstance(node, ast.Lambda):
            ids.update(id(n) for n in ast.walk(node.body))
    return ids


def _is_main_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def mutants_of(rel: str, source: str | None = None, root: str = ROOT) -> list[Mutant]:
    """Every mutant of one file (`rel`, relative to `root`; `source` instead of reading it)."""
    if source is None:
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            source = fh.read()
    tree = ast.parse(source)
    skip = _docstring_nodes(tree) | _in_fstring(tree) | _annotation_nodes(tree)
    called = _called_nodes(tree)
    out: list[Mutant] = []

    def seg(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or ast.unparse(node)

    def add(node: ast.AST, kind: str, replacement: str) -> None:
        out.append(Mutant(rel, node.lineno, kind, seg(node), replacement,
                          (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                          at_import=id(node) not in called))

    def expr_mutant(node: ast.expr, kind: str, new: ast.expr) -> None:
        add(node, kind, "(" + ast.unparse(new) + ")")

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                flip = CMP_FLIP.get(type(op))
                if flip:
                    new = copy.deepcopy(node)
                    new.ops[i] = flip()
                    expr_mutant(node, "compare", new)
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            expr_mutant(node, "boolop", new)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            expr_mutant(node, "not", node.operand)
        elif isinstance(node, ast.BinOp) and type(node.op) in BIN_FLIP:
            new = copy.deepcopy(node)
            new.op = BIN_FLIP[type(node.op)]()
            expr_mutant(node, "arith", new)
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                add(node, "bool", repr(not v))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                add(node, "number", repr(v + 1))
            elif isinstance(v, str) and IDENT.match(v):
                add(node, "string", repr(v + "X"))
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)) and not isinstance(node.test, ast.Compare) \
                and not _is_main_guard(node):
            test = node.test
            add(test, "negate", "(not (" + seg(test) + "))")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.If, ast.Expr)) and not _is_main_guard(node):
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call):
                continue  # docstrings and bare names
            if isinstance(node, ast.Assign) and node.col_offset == 0:
                continue  # module constants: deleting one is a NameError at import, not a behaviour
            add(node, "delete", "pass")
    # Deterministic order: file position.
    out.sort(key=lambda m: (m.start, m.kind, m.after))
    return out


def apply(source: str, m: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    (l0, c0), (l1, c1) = m.start, m.end
    # Columns are UTF-8 byte offsets in the ast; convert through bytes.
    head = "".join(lines[: l0 - 1]) + lines[l0 - 1].encode()[:c0].decode()
    tail = lines[l1 - 1].encode()[c1:].decode() + "".join(lines[l1:])
    return head + m.after + tail


# -- which tests execute which line ------------------------------------------------------------------
class _Recorder:
    """pytest plugin for the recording run: the coverage context is the running test's node id, or a
    fixture's key while a fixture wider than one test is set up; it also notes each test's duration,
    its outcome and its fixtures."""

    def __init__(self, cov) -> None:
        self.cov = cov
        self.context = "import"
        self.fixtures: list[tuple[str, str]] = []       # (name, baseid) of each wide fixture set up
        self.items: dict[str, list[str]] = {}           # node id -> fixture names, in collection order
        self.durations: dict[str, float] = collections.defaultdict(float)
        self.failed: set[str] = set()

    def _switch(self, context: str) -> None:
        self.context = context
        self.cov.switch_context(context)

    def pytest_collection_finish(self, session) -> None:
        for item in session.items:
            self.items[item.nodeid] = list(getattr(item, "fixturenames", ()))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self._switch(item.nodeid)
        yield
        self._switch("between")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.scope == "function":
            yield
            return
        # Set up once, used by many: what it runs counts for every test that uses it.
        previous = self.context
        self._switch(f"fixture:{len(self.fixtures)}")
        self.fixtures.append((fixturedef.argname, fixturedef.baseid))
        try:
            yield
        finally:
            self._switch(previous)

    def pytest_runtest_logreport(self, report) -> None:
        self.durations[report.nodeid] += report.duration
        if report.failed:
            self.failed.add(report.nodeid)

    def tests_of(self, context: str) -> list[str]:
        if context in self.items:
            return [context]
        if context.startswith("fixture:"):
            name, baseid = self.fixtures[int(context.split(":", 1)[1])]
            return [n for n, names in self.items.items() if name in names and n.startswith(baseid)]
        return []  # import time and between tests: the mutant's own scope decides (Mutant.at_import)


@dataclass
class CoverageMap:
    tests: list[str]                               # every test of the area, collection order
    durations: dict[str, float]                    # seconds, setup + call + teardown
    failed: list[str]                              # tests that fail unmutated: never selected
    lines: dict[str, dict[int, list[str]]]         # file -> line -> tests that execute it
    wall: float = 0.0                              # the recording run, seconds
    files: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def tests_of_file(self, path: str) -> set[str]:
        if path not in self.files:
            self.files[path] = {t for ts in self.lines.get(path, {}).values() for t in ts}
        return self.files[path]

    def select(self, m: Mutant) -> list[str]:
        """The tests that execute the mutant's code, in collection order."""
        if m.at_import:
            chosen = self.tests_of_file(m.path)
        else:
            by_line = self.lines.get(m.path, {})
            chosen = {t for n in range(m.start[0], m.end[0] + 1) for t in by_line.get(n, ())}
        chosen = chosen - set(self.failed)
        return [t for t in self.tests if t in chosen]

    def seconds(self, tests: list[str]) -> float:
        return sum(self.durations.get(t, 0.0) for t in tests)

    def to_json(self) -> dict:
        index = {t: i for i, t in enumerate(self.tests)}
        return {"version": MAP_VERSION, "tests": self.tests, "wall": self.wall, "failed": self.failed,
                "durations": [round(self.durations.get(t, 0.0), 4) for t in self.tests],
                "lines": {f: {str(n): sorted(index[t] for t in ts) for n, ts in by.items()}
                          for f, by in self.lines.items()}}

    @classmethod
    def from_json(cls, doc: dict) -> "CoverageMap":
        tests = doc["tests"]
        return cls(tests=tests, durations=dict(zip(tests, doc["durations"])), failed=doc["failed"],
                   lines={f: {int(n): [tests[i] for i in ix] for n, ix in by.items()} for f, by in doc["lines"].items()},
                   wall=doc["wall"])


def _record_child(repo: str, sources: list[str], tests: list[str], out: str, basetemp: str) -> int:
    import coverage

    cov = coverage.Coverage(data_file=None, config_file=False,
                            include=[os.path.join(repo, s) for s in sources])
    recorder = _Recorder(cov)
    t0 = time.monotonic()
    cov.start()
    cov.switch_context("import")
    try:
        rc = pytest.main([*_pytest_args(basetemp), *tests], plugins=[recorder])
    finally:
        cov.stop()
    data = cov.get_data()
    lines: dict[str, dict[int, list[str]]] = {}
    for path in data.measured_files():
        rel = os.path.relpath(path, repo)
        by_line = {}
        for n, contexts in data.contexts_by_lineno(path).items():
            hit = {t for c in contexts for t in recorder.tests_of(c)}
            if hit:
                by_line[n] = sorted(hit)
        lines[rel] = by_line
    cmap = CoverageMap(tests=list(recorder.items), durations=dict(recorder.durations),
                       failed=sorted(recorder.failed), lines=lines, wall=time.monotonic() - t0)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(cmap.to_json(), fh)
    return int(rc)


def record(repo: str, sources: list[str], tests: list[str], out: str, basetemp: str, quiet: bool = True) -> CoverageMap:
    """Run `tests` unmutated under coverage in a forked child; the map of which test executes which
    line of `sources` (paths relative to `repo`), also written to `out` (JSON)."""
    pid = _fork(repo, lambda: _record_child(repo, sources, tests, out, basetemp), quiet)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if not os.path.exists(out):
        raise RuntimeError(f"the recording run ended with exit code {code} and wrote no map")
    with open(out, encoding="utf-8") as fh:
        return CoverageMap.from_json(json.load(fh))


# -- running tests in forked children ----------------------------------------------------------------
class _Select:
    """pytest plugin for a mutant's run: keep only the selected tests (by node id). A selected id the
    mutant made disappear (a parametrised case named from the mutated code) runs its function's cases."""

    def __init__(self, wanted: list[str]) -> None:
        self.wanted = set(wanted)
        self.functions = {w.split("[", 1)[0] for w in wanted}

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        keep = [i for i in items if i.nodeid in self.wanted]
        if len(keep) < len(self.wanted):
            keep = [i for i in items if i.nodeid in self.wanted or i.nodeid.split("[", 1)[0] in self.functions]
        kept = set(id(i) for i in keep)
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
        items[:] = keep


def _pytest_args(basetemp: str) -> list[str]:
    return ["-q", "-p", "no:cacheprovider", "-m", MARK, "--no-header", "-W", "ignore", "--basetemp", basetemp]


def _fork(repo: str, body, quiet: bool = True) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:  # child
        os.chdir(repo)
        sys.path[:0] = [repo, os.path.join(repo, "tests")]
        # Subprocesses the tests start (python -m planner, python -c) import the scratch copy too.
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p)
        sys.dont_write_bytecode = True  # the mutated file's bytecode must never be cached
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.stdout = sys.stderr = open(os.devnull, "w")  # also when sys.stdout is someone's capture
        os._exit(body())
    except BaseException:
        os._exit(99)


def spawn_tests(repo: str, tests: list[str], basetemp: str, select: bool = True) -> int:
    """Fork a child running `tests` (node ids, or whole files when select is False) with -x."""
    files = list(dict.fromkeys(t.split("::", 1)[0] for t in tests))
    plugins = [_Select(tests)] if select else []
    return _fork(repo, lambda: int(pytest.main(["-x", *_pytest_args(basetemp), *files], plugins=plugins)))


def verdict_of(status: int) -> str:
    """pytest's exit code as the mutant's fate: 0 passed (survived); 1 a test failed, 2 a collection
    error (the mutant broke an import), 3 an internal error (it broke a plugin): killed; 5 nothing
    left to run, 4 a usage error, 99 the child itself failed: the tool's problem, reported."""
    code = os.waitstatus_to_exitcode(status)
    return {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(code, f"error({code})")


def run_tests(repo: str, tests: list[str], timeout: float, basetemp: str, select: bool = True) -> tuple[str, float]:
    """'survived', 'killed', 'timeout' or 'error(N)', and the seconds it took."""
    t0 = time.monotonic()
    pid = spawn_tests(repo, tests, basetemp, select)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return verdict_of(status), time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            _kill(pid)
            return "timeout", time.monotonic() - t0
        time.sleep(0.05)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


@dataclass
class Job:
    area: str
    mutant: Mutant
    tests: list[str]
    timeout: float
    index: int = 0
    total: int = 0
    select: bool = True  # False: `tests` are whole files, run as they are
    stages: list[list[str]] = field(default_factory=list)  # runs in turn until one kills; [] = tests at once
    stage_timeouts: list[float] = field(default_factory=list)  # per stage; else `timeout` for each

    def timeout_of(self, stage: int) -> float:
        return self.stage_timeouts[stage] if stage < len(self.stage_timeouts) else self.timeout


class Pool:
    """Runs mutants in up to len(slots) forked children, each in its own scratch copy of the repo. A
    job's stages run one after the other on the same mutated copy until one kills it."""

    def __init__(self, slots: list[str], scratch: str) -> None:
        self.slots = slots
        self.scratch = scratch

    def _spawn(self, slot: int, job: Job, stage: int) -> int:
        tests = job.stages[stage] if job.stages else job.tests
        return spawn_tests(self.slots[slot], tests, basetemp(self.scratch, _tag(f"{self.scratch}:{slot}")), job.select)

    def run(self, jobs: list[Job], done) -> None:
        queue = collections.deque(jobs)
        free = list(range(len(self.slots)))[::-1]
        running: dict[int, list] = {}
        while queue or running:
            while queue and free:
                slot = free.pop()
                job = queue.popleft()
                path = os.path.join(self.slots[slot], job.mutant.path)
                st = os.stat(path)
                with open(path, encoding="utf-8") as fh:
                    original = fh.read()
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(apply(original, job.mutant))
                now = time.monotonic()
                running[self._spawn(slot, job, 0)] = [slot, job, path, original, (st.st_atime_ns, st.st_mtime_ns), now, 0, now]
            time.sleep(0.05)
            for pid, (slot, job, path, original, times, t0, stage, t_stage) in list(running.items()):
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    verdict = verdict_of(status)
                elif time.monotonic() - t_stage > job.timeout_of(stage):
                    _kill(pid)
                    verdict = "timeout"
                else:
                    continue
                del running[pid]
                if verdict == "survived" and stage + 1 < len(job.stages):
                    now = time.monotonic()
                    running[self._spawn(slot, job, stage + 1)] = [slot, job, path, original, times, t0, stage + 1, now]
                    continue
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(original)
                os.utime(path, ns=times)  # the precompiled bytecode of the original stays valid
                free.append(slot)
                done(job, verdict, time.monotonic() - t0)


def stages(cmap: CoverageMap, tests: list[str], share: float = 0.25, most: int = 4) -> list[list[str]]:
    """The selected tests in two runs: first the test files that are quickest per selected test (a
    quarter of the tests at most four files: most mutants die there, and only those files are
    collected), then the rest. Within a file, collection order (module fixtures are set up once)."""
    by_file: dict[str, list[str]] = {}
    for t in tests:
        by_file.setdefault(t.split("::", 1)[0], []).append(t)
    order = sorted(by_file, key=lambda f: cmap.seconds(by_file[f]) / len(by_file[f]))
    first: list[str] = []
    for n, f in enumerate(order):
        if n and (n >= most or len(first) >= share * len(tests)):
            break
        first += by_file[f]
    taken = set(first)
    rest = [t for f in order for t in by_file[f] if t not in taken]
    return [first, rest] if rest else [first]


# -- the scratch folder ------------------------------------------------------------------------------
def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in (".git", "__pycache__", ".hypothesis", ".pytest_cache", "node_modules")
}


def repo_key(root: str) -> str:
    """A hash of every file a test could read: the coverage map is reused while it is unchanged."""
    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _ignore(folder, dirs))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()[:16]


def prepare(root: str, scratch: str, workers: int) -> list[str]:
    """Fresh copies of the repository (one per worker) with the project's bytecode compiled once."""
    os.makedirs(scratch, exist_ok=True)
    slots = []
    for k in range(workers):
        repo = os.path.join(scratch, f"repo-{k}")
        shutil.rmtree(repo, ignore_errors=True)
        if k == 0:
            shutil.copytree(root, repo, symlinks=True, ignore=_ignore)
            lsp_modules = os.path.join(root, "tests", "lsp", "node_modules")
            if os.path.exists(lsp_modules):
                os.symlink(os.path.realpath(lsp_modules), os.path.join(repo, "tests", "lsp", "node_modules"))
            for pkg in ("planner", "policies", "stacks"):
                if os.path.isdir(os.path.join(repo, pkg)):
                    compileall.compile_dir(os.path.join(repo, pkg), quiet=1)
        else:  # copy2 keeps modification times, so the copied bytecode stays valid
            shutil.copytree(slots[0], repo, symlinks=True)
        slots.append(repo)
    return slots


def basetemp(scratch: str, tag: str) -> str:
    """A pytest --basetemp in the scratch folder, padded to the length of pytest's own
    (/tmp/pytest-of-USER/pytest-NNN): some tests print their tmp_path in 80-column output, so a
    shorter or longer prefix wraps their lines differently. Not under pytest-of-USER: any other
    pytest run on the machine deletes folders there whose names do not end in a number."""
    import getpass

    target = len(os.path.join(tempfile.gettempdir(), f"pytest-of-{getpass.getuser()}", "pytest-000"))
    head = os.path.join(scratch, "bt-")
    return head + tag.rjust(max(len(tag), target - len(head)), "x")


def _tag(key: str) -> str:
    """Three characters from `key`: separate runs (and this tool's own test) get separate folders."""
    digest = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return "u" + "".join("0123456789abcdefghijklmnopqrstuvwxyz"[(digest >> (6 * i)) % 36] for i in range(2))


def sources_of(areas: list[str], root: str = ROOT) -> list[str]:
    return sorted({os.path.relpath(p, root) for area in areas for g in AREAS[area] for p in glob.glob(os.path.join(root, g))})


def coverage_map(repo: str, scratch: str, key: str, tests: list[str], quiet: bool) -> tuple[CoverageMap, bool]:
    """The map of every area's source over `tests`, from the cache or recorded now (True when recorded)."""
    sources = sources_of(sorted(AREAS), repo)
    args = [*tests, *(f"--ignore={t}" for t in NOT_RECORDED)]
    digest = hashlib.sha256(json.dumps([MAP_VERSION, key, MARK, sources, args]).encode()).hexdigest()[:16]
    path = os.path.join(scratch, f"coverage-{digest}.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return CoverageMap.from_json(json.load(fh)), False
    tmp = path + ".part"
    cmap = record(repo, sources, args, tmp, basetemp(scratch, _tag(f"{scratch}:record")), quiet)
    if len(cmap.failed) > 0.01 * len(cmap.tests):
        os.remove(tmp)  # a broken run (main refuses it) is not cached
    else:
        os.replace(tmp, path)
    return cmap, True


# -- the command -------------------------------------------------------------------------------------
def choose(areas: list[str], args) -> dict[str, list[Mutant]]:
    chosen: dict[str, list[Mutant]] = {}
    for area in areas:
        files = [f for f in sources_of([area]) if os.path.basename(f) not in SKIP_FILES]
        if args.file:
            files = [f for f in files if fnmatch.fnmatch(f, args.file)]
        every = [m for f in files for m in mutants_of(f)]
        if args.match:
            every = [m for m in every if any(text in m.label() for text in args.match)]
        sample = args.sample if args.sample is not None else (100 if area == "preflight" else 60)
        picked = every
        if sample and len(every) > sample:
            picked = sorted(random.Random(f"{args.seed}:{area}").sample(every, sample),
                            key=lambda m: (m.path, m.start, m.kind, m.after))
        chosen[area] = picked
        note = f"sampled {len(picked)} of {len(every)} (seed {args.seed})" if len(picked) < len(every) else f"all {len(every)}"
        print(f"{area}: {len(files)} files, {note}", flush=True)
    return chosen


def _valid(m: Mutant) -> bool:
    with open(os.path.join(ROOT, m.path), encoding="utf-8") as fh:
        mutated = apply(fh.read(), m)
    try:
        compile(mutated, m.path, "exec")
    except SyntaxError:
        return False
    return True


def summarise(results: dict[str, list[tuple[Mutant, str, str]]], target: float, seed: int,
              wall: float) -> bool:
    ok = True
    print(f"\nKill rate per area (seed {seed}; timeouts count as killed; wall time {wall / 60:.1f} min)")
    for area, rows in results.items():
        killed = sum(1 for _, v, _ in rows if _is_kill(v))
        rate = 100.0 * killed / len(rows) if rows else 100.0
        ok &= rate >= target
        print(f"  {area:10s} {killed:4d}/{len(rows):<4d} killed  {rate:5.1f} %  {'ok' if rate >= target else f'BELOW {target:g} %'}")
        per_file: dict[str, list[str]] = {}
        for m, v, _ in rows:
            per_file.setdefault(m.path, []).append(v)
        for f, vs in sorted(per_file.items()):
            k = sum(1 for v in vs if _is_kill(v))
            print(f"      {f:48s} {k:3d}/{len(vs):<3d} {100.0 * k / len(vs):5.1f} %")
    print("\nSurviving mutants")
    left = [(m, v, why) for rows in results.values() for m, v, why in rows if not _is_kill(v)]
    for m, v, why in left:
        print(f"  {m.label()}  ({why})")
    if not left:
        print("  none")
    return ok


def _preload() -> None:
    """Third-party imports every child shares (fork keeps them); the project itself is never imported
    here, so each child reads the mutated file."""
    for name in ("coverage", "boto3", "botocore", "moto", "pydantic", "hypothesis", "yaml", "rich", "jinja2"):
        try:
            __import__(name)
        except ImportError:
            pass


def _is_kill(verdict: str) -> bool:
    return verdict in ("killed", "timeout")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area", action="append", choices=sorted(AREAS), help="one area (repeatable); default all")
    ap.add_argument("--file", help="only mutants in files matching this glob (relative path)")
    ap.add_argument("--sample", type=int, help="mutants per area, sampled (0: all; default 60, preflight 100)")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--target", type=float, default=85.0, help="kill-rate percentage every area must reach")
    ap.add_argument("--tests", nargs="+", help="record and select from these test files or folders instead of "
                    "the whole suite (tests/)")
    ap.add_argument("--match", action="append", help="only mutants whose label contains this (repeatable), "
                    "e.g. to re-run the survivors of a previous run")
    ap.add_argument("--workers", type=int, default=1, help="mutants run at once, each in its own copy (default 1)")
    ap.add_argument("--confirm", action="store_true", help="re-run each survivor against every test (slow)")
    # Short, so pytest's basetemp inside it can be padded to the length of pytest's own (see basetemp).
    ap.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(), "um-" + hashlib.sha256(ROOT.encode()).hexdigest()[:8]),
                    help="scratch folder: the copies and the cached coverage maps (default $TMPDIR/um-<hash>)")
    ap.add_argument("--map", help="use this coverage map (a coverage-*.json an earlier run recorded) instead of "
                    "recording one: for a second run in parallel, or re-runs while the tests are unchanged")
    ap.add_argument("--verbose", action="store_true", help="show the recording run's pytest output")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    areas = args.area or sorted(AREAS)
    t_start = time.monotonic()

    chosen = choose(areas, args)
    if args.list:
        for area, ms in chosen.items():
            for m in ms:
                print(f"  {area}: {m.label()}{'  (at import)' if m.at_import else ''}")
        return 0

    key = repo_key(ROOT)
    slots = prepare(ROOT, args.scratch, args.workers)
    _preload()
    pool = Pool(slots, args.scratch)
    results: dict[str, list[tuple[Mutant, str, str]]] = {}
    tests = [t for t in (args.tests or SUITE) if os.path.exists(os.path.join(slots[0], t.split("::")[0]))]
    if args.map:
        with open(args.map, encoding="utf-8") as fh:
            cmap, fresh = CoverageMap.from_json(json.load(fh)), False
    else:
        cmap, fresh = coverage_map(slots[0], args.scratch, key, tests, quiet=not args.verbose)
    print(f"coverage of {len(cmap.tests)} tests ({'recorded in' if fresh else 'cached, recorded in'} "
          f"{cmap.wall:.0f} s; clean test time {cmap.seconds(cmap.tests):.0f} s)", flush=True)
    if not cmap.tests:
        print(f"no tests were collected from {' '.join(tests)}")
        return 2
    if cmap.failed:
        print(f"{len(cmap.failed)} tests fail unmutated in the scratch copy and are never selected: "
              + ", ".join(cmap.failed[:8]) + (" ..." if len(cmap.failed) > 8 else ""), flush=True)
        if len(cmap.failed) > 0.01 * len(cmap.tests):  # a broken copy, not a flaky test: the rates would lie
            print("more than 1 % of the suite fails unmutated: fix that first (--verbose shows the run)")
            return 2
    for area in areas:
        rows = results.setdefault(area, [])
        jobs = []
        valid = []
        for m in chosen[area]:
            if _valid(m):
                valid.append(m)
            else:
                print(f"  not a valid mutant, left out: {m.label()}")
        for i, m in enumerate(valid, 1):
            selected = cmap.select(m)
            if not selected:
                rows.append((m, "survived", "no test executes this line"))
                print(f"  [{i}/{len(valid)}] survived   0.0s   0 tests {m.label()}  (no test executes it)", flush=True)
                continue
            parts = stages(cmap, selected)
            # A mutant that loops forever (a deleted `n += 1`) costs the first stage's timeout, not the suite's.
            jobs.append(Job(area, m, selected, 3 * cmap.seconds(selected) + 30, i, len(valid), stages=parts,
                            stage_timeouts=[3 * cmap.seconds(part) + 30 for part in parts]))

        def done(job: Job, verdict: str, secs: float) -> None:
            why = f"{len(job.tests)} tests ran" if verdict == "survived" else ""
            rows.append((job.mutant, verdict, why))
            print(f"  [{job.index}/{job.total}] {verdict:8s} {secs:5.1f}s {len(job.tests):3d} tests {job.mutant.label()}",
                  flush=True)

        pool.run(jobs, done)
        rows.sort(key=lambda r: (r[0].path, r[0].start, r[0].kind, r[0].after))
        if args.confirm:
            _confirm(area, rows, cmap, pool)
    errors = [(m, v) for rows in results.values() for m, v, _ in rows if v.startswith("error")]
    ok = summarise(results, args.target, args.seed, time.monotonic() - t_start)
    for m, v in errors:
        print(f"  the tool could not judge {m.label()}: {v}")
    return 0 if ok and not errors else 1


def _confirm(area: str, rows: list, cmap: CoverageMap, pool: Pool) -> None:
    """Re-run each survivor against every test that passes unmutated: a kill here means the map
    missed a test (one that reaches the code through a subprocess, say)."""
    every = [t for t in cmap.tests if t not in set(cmap.failed)]
    timeout = 3 * cmap.seconds(every) + 60
    for n, (m, v, why) in enumerate(rows):
        if v != "survived":
            continue
        box: list[str] = []
        pool.run([Job(area, m, every, timeout)], lambda job, verdict, secs: box.append(verdict))
        if _is_kill(box[0]):
            rows[n] = (m, box[0], "")
            print(f"  confirm: KILLED by the whole list (the map missed a test): {m.label()}", flush=True)
        else:
            print(f"  confirm: survives the whole list: {m.label()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
