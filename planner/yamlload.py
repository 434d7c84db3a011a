"""YAML loading that keeps line numbers and rejects duplicate keys.

`load(text, file)` returns the plain data and a map from field path (a tuple of keys and list
indexes) to the 1-based line where that node starts, so every error can name the spec line.
"""
from __future__ import annotations

from typing import Any

import yaml

from .errors import SpecError, SpecIssue

Path = tuple[Any, ...]


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Builder:
    def __init__(self, file: str | None) -> None:
        self.file = file
        self.lines: dict[Path, int] = {}
        self.loader = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise SpecError([SpecIssue(dotted(path), "mapping keys must be plain names",
                                               key_node.start_mark.line + 1, self.file)])
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    raise SpecError([SpecIssue(
                        dotted(path + (key,)),
                        f"duplicate key '{key}' (first at line {self.lines[path + (key,)]})",
                        key_node.start_mark.line + 1, self.file, "each key may appear once in a mapping")])
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,))
                self.lines[path + (key,)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def load(text: str, file: str | None = None) -> tuple[Any, dict[Path, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise SpecError([SpecIssue("", f"YAML syntax error: {problem}", line, file,
                                   "check indentation and quoting on that line")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue("", f"YAML error: {exc}", None, file)]) from None
    if node is None:
        return None, {}
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SpecError([SpecIssue("", f"YAML error: {exc.problem}", line, file)]) from None
    return data, builder.lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the deepest node on `path` that exists (a missing key points at its parent)."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
