"""Markdown text that renders as written on GitHub: escaping, code spans, and a size limit.

GitHub renders comments as GitHub Flavored Markdown: `p5en.*` loses its star to emphasis, `<x>` is
taken as HTML, `|` ends a table cell. Text from findings goes through `text()`; ids and paths through
`code()`; a comment is cut to `COMMENT_LIMIT` with a note by `fit()`.
"""
from __future__ import annotations

import re

# GitHub rejects an issue or pull-request comment body longer than 65,536 characters; keep a margin
# for the marker a commenting action adds.
GITHUB_COMMENT_MAX = 65_536
COMMENT_LIMIT = GITHUB_COMMENT_MAX - 1_536

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start emphasis,
# links, images, HTML, code, headings, strikethrough, table cells or (on GitHub) $math$.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!$])")


def text(value: object, limit: int | None = None) -> str:
    """Plain text as Markdown that shows exactly these characters (one line; `&` kept literal)."""
    s = " ".join(str(value if value is not None else "").split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return _SPECIAL.sub(r"\\\1", s.replace("&", "&amp;"))


def code(value: object, *, in_table: bool = True) -> str:
    """A code span (ids, paths, globs); a backtick inside gets a longer fence. In a table cell a `|`
    must be escaped even inside code (GFM splits cells before parsing inlines)."""
    s = " ".join(str(value).split())
    fence = "`"
    while fence in s:
        fence += "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    out = f"{fence}{pad}{s}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def fit(head: list[str], blocks: list[str], tail: list[str], *, limit: int = COMMENT_LIMIT,
        what: str = "details") -> str:
    """Join head, blocks and tail within `limit` characters. Blocks (the folded details) are dropped
    from the end first, with a note saying how many; the head is cut only if it alone is too long."""
    def join(parts: list[str]) -> str:
        return "\n".join(parts)

    whole = join(head + blocks + tail)
    if len(whole) <= limit:
        return whole
    note_room = 300
    budget = limit - len(join(head)) - len(join(tail)) - note_room
    kept: list[str] = []
    used = 0
    for block in blocks:
        if used + len(block) + 1 > budget:
            break
        kept.append(block)
        used += len(block) + 1
    dropped = len(blocks) - len(kept)
    note = (f"> **Truncated:** {dropped} of {len(blocks)} {what} left out to stay under GitHub's "
            f"{GITHUB_COMMENT_MAX:,}-character comment limit; the HTML report and the SARIF file have every finding.")
    if budget > 0:
        return join(head + kept + ["", note, ""] + tail)
    # The head alone is too long (thousands of rules or steps): cut it at a line boundary.
    out, size = [], 0
    for line in head:
        if size + len(line) + 1 > limit - note_room:
            break
        out.append(line)
        size += len(line) + 1
    return join(out + ["", "> **Truncated** to stay under GitHub's comment limit; the HTML report and the SARIF "
                            "file have every finding.", ""])
