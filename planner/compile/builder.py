"""A small helper that collects Plan resources with tags, sources and unique names."""
from __future__ import annotations

from typing import Any

from planner import tokens as T

from ..findings import Source
from ..plan.model import Resource

# Types whose pulumi-aws resource takes a `tags` map (planner/tokens.py).
TAGGABLE = T.TAGS_MAP


class Builder:
    def __init__(self, file: str | None, cluster: str, tags: dict[str, str]) -> None:
        self.file = file
        self.cluster = cluster
        self.base_tags = {**tags, "ultraplan:cluster": cluster}
        self.names: dict[str, tuple[str | None, int | None]] = {}  # name -> (pool, line) that made it

    def tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.base_tags, **(extra or {}), "Name": f"{self.cluster}-{name}"}

    def add(self, out: list[Resource], type_: str, name: str, inputs: dict[str, Any], *, line: int | None,
            depends_on: list[str] | None = None, pool: str | None = None, tags: dict[str, str] | None = None) -> str:
        if name in self.names:
            self._duplicate(name, pool, line)
        self.names[name] = (pool, line)
        if type_ in TAGGABLE and "tags" not in inputs:
            inputs["tags"] = self.tags(name, tags)
        out.append(Resource(type_, name, inputs, depends_on or [], Source(self.file, line), pool))
        return name

    def _duplicate(self, name: str, pool: str | None, line: int | None) -> None:
        """Two spec parts generate one resource name: a spec error naming both (validate catches the
        known cases first; this is the backstop, so it is never a traceback)."""
        from ..errors import SpecError, SpecIssue

        first_pool, first_line = self.names[name]
        what = lambda p, ln: (f"pool '{p}'" if p else "the cluster") + (f" (line {ln})" if ln else "")  # noqa: E731
        raise SpecError([SpecIssue(
            "compute", f"{what(pool, line)} and {what(first_pool, first_line)} both generate the resource name '{name}'",
            line, self.file, "rename one of them", rule="spec.cluster.name-collision")])

