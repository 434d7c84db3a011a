"""The spec's own user data (cluster `user_data` and each pool's), merged after the node runtime's
part in every launch template (planner/compile/userdata.py, docs/runtime.md)."""
from __future__ import annotations

import os
from typing import Any, Iterator

from ...errors import SpecError, SpecIssue
from .registry import REGISTRY, SpecContext

EC2_USER_DATA = "EC2 User Guide, Run commands at launch (user data is limited to 16 KB); cloud-init, mime-multipart"


def _parts(ctx: SpecContext) -> list[tuple[tuple[Any, ...], Any]]:
    spec = ctx.spec
    return [(("user_data",), spec.user_data)] + [
        (("compute", i, "user_data"), pool.user_data) for i, pool in enumerate(spec.compute)]


def _unreadable(ctx: SpecContext) -> list[SpecIssue]:
    from ...runtime.userdata import UserDataError, part_type, read_user_data

    base = os.path.dirname(ctx.doc.file) if ctx.doc.file else None
    out = []
    for path, value in _parts(ctx):
        if value is None:
            continue
        try:
            part_type(read_user_data(value, base))
        except UserDataError as exc:
            out.append(ctx.issue(path, str(exc), exc.hint))
    return out


@REGISTRY.spec("spec.user-data.readable", source=EC2_USER_DATA)
def user_data_readable(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Each `user_data` the spec gives (the cluster's and each pool's) can be read (a regular file or
    inline text) and is a part cloud-init knows (a script, cloud-config, a boothook, ...)."""
    yield from ctx.once("user-data-unreadable", lambda: _unreadable(ctx))


@REGISTRY.spec("spec.user-data.size", source=EC2_USER_DATA)
def user_data_size(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Each pool's launch template user data, the node runtime's part with the spec's own merged after
    it, fits EC2's 16 KB (the same code the compiler runs: planner/compile/userdata.py)."""
    from ...compile.pools import resolve
    from ...compile.userdata import user_data

    if ctx.once("user-data-unreadable", lambda: _unreadable(ctx)) or all(v is None for _, v in _parts(ctx)):
        return  # without a spec part, ultraplan's own part fits (tests/test_runtime_userdata.py)
    try:
        pools = resolve(ctx.doc, ctx.catalog)
    except Exception:  # noqa: BLE001 - a pool the catalog cannot resolve is reported by its own rule
        return
    seen = set()
    for pool in pools:
        try:
            user_data(ctx.doc, pool)
        except SpecError as exc:
            for i in exc.issues:
                if (i.path, i.message) not in seen:  # the cluster's part is in every pool's document
                    seen.add((i.path, i.message))
                    yield i
