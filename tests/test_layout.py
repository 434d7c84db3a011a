"""The layout shows the design: CLI modules only parse arguments and print (small, none importing
another command), and the run itself is a library call."""
from __future__ import annotations

import ast
import os

from conftest import ROOT

CLI = os.path.join(ROOT, "planner", "cli")


def _imports(path: str) -> list[tuple[int, str | None, list[str]]]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    return [(n.level, n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]


def test_no_cli_module_is_over_150_lines():
    sizes = {name: sum(1 for _ in open(os.path.join(CLI, name), encoding="utf-8"))
             for name in os.listdir(CLI) if name.endswith(".py")}
    assert max(sizes.values()) <= 150, {k: v for k, v in sizes.items() if v > 150}


def test_no_command_imports_another_command():
    for name in os.listdir(CLI):
        if name.endswith("_cmd.py"):
            for level, module, names in _imports(os.path.join(CLI, name)):
                assert not (level == 1 and module and module.endswith("_cmd")), f"{name} imports {module}"
                assert not (level == 1 and not module and any(n.endswith("_cmd") for n in names)), f"{name} imports {names}"
                assert not any(n.startswith("_") and level and module and "cli" in (module or "") for n in names), name


def test_the_library_never_imports_the_cli():
    for top in ("planner", "policies", "stacks"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            if os.path.abspath(folder).startswith(os.path.abspath(CLI)):
                continue
            for name in files:
                if name.endswith(".py") and name != "__main__.py":  # `python -m planner` is the CLI
                    for level, module, _ in _imports(os.path.join(folder, name)):
                        assert "cli" not in (module or "").split("."), f"{folder}/{name} imports {module}"


def test_check_is_one_library_call(tmp_path):
    """`planner.run.check` gives what `ultraplan check` reports: the same verdict and findings."""
    from planner.run import check

    result = check(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"))
    assert result.exit_code == 0 and result.plan is not None and result.estimate.monthly_usd > 0
    assert [s.name for s in result.report.steps] == ["validate", "plan", "cost", "policy", "preflight"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")).read().replace("count: ", "count: -", 1))
    result = check(str(bad))
    assert result.exit_code == 2 and result.plan is None
    assert {e.finding.check_id for e in result.report.entries} == {"spec.shape.range"}


def test_check_takes_the_planning_clock():
    """`now` moves every stage: an undated pool's term starts on the planning day."""
    from planner.run import check

    spec = os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml")
    a, b = check(spec, now="2027-03-01"), check(spec, now="2028-03-01")
    assert a.exit_code == b.exit_code == 0
    assert a.estimate.term.start.year == 2027 and b.estimate.term.start.year == 2028


def test_error_excerpts_read_as_much_of_a_file_as_a_spec_may_hold():
    from planner.errors import EXCERPT_FILE_BYTES
    from planner.inputs import MAX_SPEC_BYTES

    assert EXCERPT_FILE_BYTES == MAX_SPEC_BYTES


def _module_graph() -> dict[str, set[str]]:
    """Every module of planner/, policies/ and stacks/ and the project modules it imports (at any
    depth in the file: an import inside a function is an import too)."""
    mods: dict[str, str] = {}
    for top in ("planner", "policies", "stacks"):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                    mods[rel.removesuffix(".__init__")] = os.path.join(folder, name)

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.endswith("__init__.py") else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.Import):
                graph[mod] |= {t for t in (known(a.name) for a in node.names) if t}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                for a in node.names:  # `from pkg import submodule` imports the submodule
                    target = f"{base}.{a.name}" if f"{base}.{a.name}" in mods else known(base)
                    if target:
                        graph[mod].add(target)
        graph[mod].discard(mod)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_circles_in_planner_policies_stacks():
    assert _circles(_module_graph()) == []


def test_the_walk_finds_a_circle_when_there_is_one():
    graph = _module_graph()
    graph["planner.errors"].add("planner.findings")
    graph["planner.findings"].add("planner.errors")
    assert ["planner.errors", "planner.findings"] in _circles(graph)


def test_the_planner_root_holds_at_most_ten_modules():
    root = sorted(n for n in os.listdir(os.path.join(ROOT, "planner")) if n.endswith(".py"))
    assert len(root) <= 10, root
