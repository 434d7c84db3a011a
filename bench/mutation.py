"""Mutation testing of the core: plant one small bug at a time in the compiler, the preflight checks,
the cost model and the policy rules, run the tests that cover that area, and count the mutants the
suite kills. Prints the kill rate per area and per file, and every surviving mutant (file:line, the
original and the mutated code), so a survivor is either killed by a new test or listed with why it is
equivalent in bench/mutation-equivalent.md.

    python3 bench/mutation.py                          # every area, 40 sampled mutants each
    python3 bench/mutation.py --area compile --sample 0  # all of one area's mutants (slow)
    python3 bench/mutation.py --list --area cost       # the mutants, not run

A small AST mutator (mutmut and cosmic-ray rewrite the package in place or want a config per
project; this one works on a scratch copy of the repository, so the checkout is never touched).
Operators: comparison flips (== !=, < <=, > >=, in / not in, is / is not), and <-> or, `not x` -> x,
negated `if`/ternary conditions, + <-> -, * <-> /, numbers n -> n+1, True <-> False, identifier-like
strings (no spaces: keys, type tokens, market types) changed, and statement deletion (an assignment,
a call, an `if`, an `append`, replaced by `pass`). Message prose (strings with spaces), docstrings and
f-string text are not mutated: a changed word in a message is not a behaviour change the suite must
pin. Mutants are sampled per area (seeded, printed) so a run fits on two shared cores; --sample 0
runs all.

Each mutant runs in a forked child of a process that imported pytest and the heavy third-party
packages once (boto3, moto, pydantic, hypothesis), never the project itself, so the child imports the
mutated source fresh. The child runs the area's tests with -x (a kill stops at the first failure) and
a timeout (3x the clean run; a timeout counts as killed and is printed).

Exit 0 when every area reaches --target (default 85 %) of killed mutants, 1 otherwise.
"""
from __future__ import annotations

import argparse
import ast
import copy
import fnmatch
import glob
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The area's source files and the tests that cover them: a test set small enough to run per mutant.
AREAS: dict[str, tuple[list[str], list[str]]] = {
    "compile": (["planner/compile/*.py"], [
        "tests/test_compile.py", "tests/test_compile_capacity.py", "tests/test_compile_network.py", "tests/test_examples.py",
        "tests/test_local_zones.py", "tests/test_peer_parity.py", "tests/test_peer_parity_network.py",
        "tests/test_day2.py", "tests/test_policy_rules.py"]),
    "preflight": (["planner/preflight/checks/*.py"], [
        "tests/test_preflight_checks.py", "tests/test_preflight_requests.py", "tests/test_preflight_outcomes.py",
        "tests/test_fail_closed_preflight.py", "tests/test_preflight_snapshot.py", "tests/test_peer_parity.py"]),
    "cost": (["planner/cost/*.py"], [
        "tests/test_cost_estimate.py", "tests/test_cost_examples.py", "tests/test_cost_prices.py",
        "tests/test_cost_properties.py", "tests/test_cost_rates.py", "tests/test_cost_refresh.py",
        "tests/test_cost_literals.py", "tests/test_report_formats.py", "tests/test_terminal_fit.py"]),
    "policies": (["policies/rules/*.py"], [
        "tests/test_policy_rules.py", "tests/test_policy_outcomes.py", "tests/test_policy_fixtures.py",
        "tests/test_policy_registry.py", "tests/test_reachability.py", "tests/test_peer_parity_network.py",
        "tests/test_policy_property.py"]),
}
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

    def label(self) -> str:
        return f"{self.path}:{self.line} [{self.kind}] {_short(self.before)} -> {_short(self.after)}"


def _short(text: str, width: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


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


def _is_main_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def mutants_of(rel: str) -> list[Mutant]:
    with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
        source = fh.read()
    tree = ast.parse(source)
    skip = _docstring_nodes(tree) | _in_fstring(tree) | _annotation_nodes(tree)
    out: list[Mutant] = []

    def seg(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or ast.unparse(node)

    def add(node: ast.AST, kind: str, replacement: str) -> None:
        out.append(Mutant(rel, node.lineno, kind, seg(node), replacement,
                          (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))

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


# -- running -----------------------------------------------------------------------------------------
def _scratch() -> str:
    dest = tempfile.mkdtemp(prefix="ultraplan-mutation-")
    repo = os.path.join(dest, "repo")
    shutil.copytree(ROOT, repo, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", ".pytest_cache", "node_modules"))
    lsp_modules = os.path.join(ROOT, "tests", "lsp", "node_modules")
    if os.path.exists(lsp_modules):
        os.symlink(os.path.realpath(lsp_modules), os.path.join(repo, "tests", "lsp", "node_modules"))
    return repo


def _preload() -> None:
    # Third-party imports shared by every child (fork keeps them); the project itself is never
    # imported here, so each child reads the mutated file.
    import pytest  # noqa: F401
    for name in ("boto3", "botocore", "moto", "pydantic", "hypothesis", "yaml", "rich", "jinja2", "click"):
        try:
            __import__(name)
        except ImportError:
            pass


def run_tests(repo: str, tests: list[str], timeout: float) -> tuple[str, float]:
    """'killed', 'survived' or 'timeout', and the seconds it took."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.chdir(repo)
            sys.path.insert(0, repo)
            sys.path.insert(0, os.path.join(repo, "tests"))
            sys.dont_write_bytecode = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest
            rc = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", "--no-header",
                              "-W", "ignore", *tests])
            os._exit(int(rc))
        except BaseException:
            os._exit(99)
    deadline = t0 + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("survived" if code == 0 else "killed"), time.monotonic() - t0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - t0
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area", action="append", choices=sorted(AREAS), help="one area (repeatable); default all")
    ap.add_argument("--file", help="only mutants in files matching this glob (relative path)")
    ap.add_argument("--sample", type=int, default=40, help="mutants per area, sampled (0: all)")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--target", type=float, default=85.0, help="kill-rate percentage every area must reach")
    ap.add_argument("--tests", nargs="+", help="run these test files instead of the area's list (one area)")
    ap.add_argument("--match", action="append", help="only mutants whose label contains this (repeatable), "
                    "e.g. to re-run the survivors of a previous run")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    args = ap.parse_args(argv)
    areas = args.area or sorted(AREAS)

    chosen: dict[str, list[Mutant]] = {}
    for area in areas:
        globs, _ = AREAS[area]
        files = sorted({os.path.relpath(p, ROOT) for g in globs for p in glob.glob(os.path.join(ROOT, g))})
        files = [f for f in files if os.path.basename(f) not in SKIP_FILES]
        if args.file:
            files = [f for f in files if fnmatch.fnmatch(f, args.file)]
        every = [m for f in files for m in mutants_of(f)]
        if args.match:
            every = [m for m in every if any(text in m.label() for text in args.match)]
        picked = every
        if args.sample and len(every) > args.sample:
            picked = sorted(random.Random(f"{args.seed}:{area}").sample(every, args.sample),
                            key=lambda m: (m.path, m.start, m.kind, m.after))
        chosen[area] = picked
        note = f"sampled {len(picked)} of {len(every)} (seed {args.seed})" if len(picked) < len(every) else f"all {len(every)}"
        print(f"{area}: {len(files)} files, {note}", flush=True)
    if args.list:
        for area, ms in chosen.items():
            for m in ms:
                print(f"  {area}: {m.label()}")
        return 0

    repo = _scratch()
    _preload()
    results: dict[str, list[tuple[Mutant, str]]] = {}
    ok = True
    try:
        for area in areas:
            tests = [t for t in (args.tests or AREAS[area][1]) if os.path.exists(os.path.join(repo, t))]
            verdict, clean = run_tests(repo, tests, timeout=1800)
            if verdict != "survived":
                print(f"{area}: the unmutated tests fail in the scratch copy; fix them first ({' '.join(tests)})")
                return 2
            timeout = 3 * clean + 30
            print(f"{area}: clean run {clean:.0f} s over {len(tests)} test files; timeout {timeout:.0f} s", flush=True)
            rows = results.setdefault(area, [])
            for i, m in enumerate(chosen[area], 1):
                path = os.path.join(repo, m.path)
                with open(path, encoding="utf-8") as fh:
                    original = fh.read()
                mutated = apply(original, m)
                try:
                    compile(mutated, path, "exec")
                except SyntaxError:
                    print(f"  [{i}/{len(chosen[area])}] not a valid mutant, left out: {m.label()}")
                    continue
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(mutated)
                try:
                    verdict, secs = run_tests(repo, tests, timeout)
                finally:
                    with open(path, "w", encoding="utf-8") as fh:
                        fh.write(original)
                rows.append((m, verdict))
                print(f"  [{i}/{len(chosen[area])}] {verdict:8s} {secs:5.1f}s {m.label()}", flush=True)
    finally:
        shutil.rmtree(os.path.dirname(repo), ignore_errors=True)

    print("\nKill rate per area (timeouts count as killed)")
    for area, rows in results.items():
        killed = sum(1 for _, v in rows if v != "survived")
        rate = 100.0 * killed / len(rows) if rows else 100.0
        ok &= rate >= args.target
        print(f"  {area:10s} {killed:4d}/{len(rows):<4d} killed  {rate:5.1f} %  {'ok' if rate >= args.target else 'BELOW ' + str(args.target)}")
        per_file: dict[str, list[str]] = {}
        for m, v in rows:
            per_file.setdefault(m.path, []).append(v)
        for f, vs in sorted(per_file.items()):
            k = sum(1 for v in vs if v != "survived")
            print(f"      {f:45s} {k:3d}/{len(vs):<3d}")
    print("\nSurviving mutants")
    any_left = False
    for area, rows in results.items():
        for m, v in rows:
            if v == "survived":
                any_left = True
                print(f"  {m.label()}")
    if not any_left:
        print("  none")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
