"""Where each field of a spec sits (line and column of its key and its value), for error excerpts.

Computed only when a spec has problems, by a second compose of the text that already loaded, so
the loader (planner.spec.yamlload) stays the one place that decides what a spec contains. Paths match
the loader's: keys as text, list items by index. An aliased node is walked once (a document that
repeats anchors is never expanded here).
"""
from __future__ import annotations

from typing import Any

import yaml

from ..errors import Span, SpecIssue, yaml_syntax_issue
from .yamlload import compose

Spans = dict[Any, Span]


def _span(node: yaml.Node) -> Span:
    return (node.start_mark.line + 1, node.start_mark.column + 1, node.end_mark.line + 1, node.end_mark.column + 1)


def spans_of(text: str) -> Spans:
    """path -> span of the value; ("key", path) -> span of the key. Empty when the text does not compose."""
    try:
        root = compose(text)  # libyaml where installed: same marks, the loader's limits
    except yaml.YAMLError:
        return {}
    spans: Spans = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        spans.setdefault(path, _span(node))
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = path + (key_node.value,)
                    spans.setdefault(("key", key), _span(key_node))
                    stack.append((value_node, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, path + (i,)) for i, child in enumerate(node.value))
    return spans


def syntax_issue(text: str, file: str | None) -> SpecIssue | None:
    """The YAML syntax error of `text` in our words, with its column (None when it composes)."""
    try:
        compose(text, pure=True)  # with the loader's depth and alias limits
    except yaml.MarkedYAMLError as exc:
        return yaml_syntax_issue(exc, file)
    except yaml.YAMLError:
        return None
    return None
