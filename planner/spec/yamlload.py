"""YAML loading that keeps line numbers, rejects duplicate keys, and is safe on hostile input.

`load(text, file)` returns the plain data and a map from field path (a tuple of keys and list
indexes) to the 1-based line where that node starts, so every error can name the spec line.

Safety (issue 11): the text is at most MAX_TEXT characters; nesting at most MAX_DEPTH levels; at
most MAX_ALIASES aliases, and aliases may expand to at most MAX_ALIAS_NODES nodes in all (a
"billion laughs" document is refused, never expanded); a recursive alias is an error; integers
have at most MAX_INT_DIGITS digits; a scalar that cannot be constructed (an impossible date) is an
error at its line. Events come from libyaml (yaml.CParser) where it is installed, about 5x faster
than the pure-Python scanner; nodes are composed here in Python either way, with the same marks,
so line numbers and errors do not depend on libyaml. A document that is a JSON object is read by
the JSON parser (JSON is not quite YAML: tab indentation, `1e5`), with YAML's marks for lines.
"""
from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ..errors import SpecError, SpecIssue

Path = tuple[Any, ...]

MAX_TEXT = 4 * 1024 * 1024  # characters; planner.inputs.MAX_SPEC_BYTES refuses larger files before reading
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000
MAX_INT_DIGITS = 32
INT_TAG = "tag:yaml.org,2002:int"
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Limit(yaml.YAMLError):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


class _SafeComposer(Composer):
    """PyYAML's composer with a depth limit and an alias count (it never expands aliases itself)."""

    def _init_limits(self) -> None:
        self.depth = 0
        self.aliases = 0
        self.composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES} aliases (*name); write the values out", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self.depth += 1
        self.composed += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PyLoader(_SafeComposer, yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._init_limits()


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser  # noqa: E402

    class _CLoader(_SafeComposer, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's parser (events), our composer (limits, marks), the safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._init_limits()

    LOADER: type = _CLoader
else:  # pragma: no cover - libyaml is not installed
    LOADER = _PyLoader


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Builder:
    def __init__(self, file: str | None, budget: int) -> None:
        self.file = file
        self.lines: dict[Path, int] = {}
        self.loader = yaml.SafeLoader("")
        self.budget = budget  # nodes it may still build: the document's own, plus MAX_ALIAS_NODES
        self.on_path: set[int] = set()

    def _issue(self, path: Path, message: str, node: yaml.Node, hint: str | None = None) -> SpecError:
        return SpecError([SpecIssue(dotted(path), message, node.start_mark.line + 1, self.file, hint)])

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self._issue(path, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes", node,
                              "write the values out instead of repeating anchors")
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.on_path:
            raise self._issue(path, "recursive alias: a node contains itself", node)
        self.on_path.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        finally:
            self.on_path.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag == INT_TAG:
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > MAX_INT_DIGITS:
                raise self._issue(path, f"a number with {digits:,} digits; at most {MAX_INT_DIGITS}", node)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. 2026-02-30
            raise self._issue(path, f"{node.value[:40]!r} cannot be read: {exc}", node) from None

    def _merged_pairs(self, node: yaml.MappingNode) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]]]:
        """(merged, explicit) key/value node pairs of a mapping, `<<` merge keys resolved without
        changing the node (an anchored mapping may be read again elsewhere). YAML's merge rule: an
        explicit key overrides a merged one, and of several merged mappings the earlier one wins."""
        merged: list[tuple[Any, Any]] = []
        explicit: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                explicit.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in reversed(sources):  # later pairs overwrite earlier ones: the first mapping wins
                if not isinstance(source, yaml.MappingNode):
                    raise SpecError([SpecIssue("", "a merge key (<<) takes a mapping or a list of mappings",
                                               source.start_mark.line + 1, self.file,
                                               "write `<<: *anchor` where the anchor names a mapping")])
                inner_merged, inner_explicit = self._merged_pairs(source)
                merged.extend(inner_merged + inner_explicit)
        return merged, explicit

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        merged, explicit = self._merged_pairs(node)
        result: dict[Any, Any] = {}
        from_merge: set[str] = set()
        for is_merged, pairs in ((True, merged), (False, explicit)):
            for key_node, value_node in pairs:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._issue(path, "mapping keys must be plain names", key_node)
                key = self._scalar(key_node, path)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise self._issue(path, "mapping keys must be plain names", key_node)
                key = str(key) if not isinstance(key, str) else key
                if key in result and not (is_merged or key in from_merge):
                    raise SpecError([SpecIssue(
                        dotted(path + (key,)),
                        f"duplicate key '{key}' (first at line {self.lines[path + (key,)]})",
                        key_node.start_mark.line + 1, self.file, "each key may appear once in a mapping",
                        rule="spec.yaml.duplicate-key")])
                if is_merged:
                    from_merge.add(key)
                else:
                    from_merge.discard(key)
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,))
                self.lines[path + (key,)] = key_node.start_mark.line + 1
        return result


def compose(text: str, *, pure: bool = False) -> Any:
    """The node tree of `text` within this module's limits (depth, aliases); raises yaml.YAMLError.
    `pure` uses PyYAML's own scanner, whose error messages other modules word for people."""
    loader = (_PyLoader if pure else LOADER)(text)
    try:
        return loader.get_single_node()
    except RecursionError:
        raise _Limit("nested too deeply", None) from None
    finally:
        loader.dispose()


def _compose(text: str, file: str | None) -> tuple[Any, int]:
    loader = LOADER(text)
    try:
        return loader.get_single_node(), loader.composed
    except _Limit as exc:
        line = exc.mark.line + 1 if exc.mark is not None else None
        raise SpecError([SpecIssue("", f"YAML refused: {exc.message}", line, file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "maximum nesting depth" in problem:
            # Newer libyaml (PyYAML 6.0.4 wheels) stops deep flow nesting in its scanner, before the
            # composer counts levels: the same limit, said the same way.
            raise SpecError([SpecIssue("", f"YAML refused: nested more than {MAX_DEPTH} levels deep", line, file)]) from None
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise SpecError([SpecIssue("", f"YAML syntax error: {problem}", line, file,
                                   "check indentation and quoting on that line")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue("", f"YAML error: {exc}", None, file)]) from None
    except RecursionError:
        raise SpecError([SpecIssue("", "YAML refused: nested too deeply", None, file)]) from None
    finally:
        loader.dispose()


def _load_yaml(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    node, composed = _compose(text, file)
    if node is None:
        return None, {}
    builder = _Builder(file, composed + MAX_ALIAS_NODES)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SpecError([SpecIssue("", f"YAML error: {exc.problem}", line, file)]) from None
    except RecursionError:  # a recursive merge key (<<: *self)
        raise SpecError([SpecIssue("", "YAML refused: recursive alias or merge key", None, file)]) from None
    return data, builder.lines


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SpecError([SpecIssue(str(key), f"duplicate key '{key}'", None, None,
                                       "each key may appear once in an object", rule="spec.yaml.duplicate-key")])
        out[key] = value
    return out


def _load_json(text: str, file: str | None) -> tuple[Any, dict[Path, int]] | None:
    """A JSON object's data (None when the text is not JSON), with lines from YAML's marks when it reads it."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except SpecError as exc:
        raise SpecError([SpecIssue(i.path, i.message, i.line, file, i.hint, rule=i.rule) for i in exc.issues]) from None
    except RecursionError:
        raise SpecError([SpecIssue("", "JSON refused: nested too deeply", None, file)]) from None
    except ValueError:
        return None
    try:
        # Valid JSON has no raw tabs inside strings, so tabs are whitespace and YAML may read them as spaces.
        _, lines = _load_yaml(text.replace("\t", " "), file)
    except SpecError:
        lines = {}
    return data, lines


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load(text: str, file: str | None = None) -> tuple[Any, dict[Path, int]]:
    if len(text) > MAX_TEXT:
        raise SpecError([SpecIssue("", f"the spec is {len(text):,} characters; the limit is {MAX_TEXT:,}", None, file)])
    if text.lstrip().startswith("{"):
        loaded = _load_json(text, file)
        if loaded is not None:
            return loaded
    return _load_yaml(text, file)


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the deepest node on `path` that exists (a missing key points at its parent)."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
