"""The fenced code blocks of README.md and docs/*.md, as the docs tests run them.

A block is run by its language: `yaml` blocks load (a spec, one with `name` and `compute`, must pass
`ultraplan validate`); `bash`/`sh`/`shell` blocks and unlabelled blocks of `ultraplan` command lines
are run line by line and must exit 0, or the code a trailing `# exits N` comment states. A block
that cannot run here says why in an HTML comment on the line before its fence, which the rendered
page hides:

    <!-- docs-test: skip (needs the Pulumi CLI and AWS credentials) -->
    <!-- docs-test: synopsis -->   (usage lines with placeholders: each command's --help must work)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```", re.S | re.M)
MARK = re.compile(r"<!--\s*docs-test:\s*(?P<kind>skip|synopsis)\b\s*(?:\((?P<why>[^)]*)\))?\s*-->\s*$")
SHELL = {"bash", "sh", "shell", "console", ""}
EXITS = re.compile(r"#.*\bexits (\d)\b")


@dataclass(frozen=True)
class Block:
    file: str  # relative to the repository root
    line: int  # of the opening fence
    lang: str
    body: str
    mark: str | None  # skip | synopsis | None
    why: str | None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"

    def commands(self) -> list[tuple[str, int]]:
        """(command, expected exit code) per logical line; `\\` continues a line; comments dropped."""
        out: list[tuple[str, int]] = []
        text = re.sub(r"\\\n\s*", " ", self.body)
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = EXITS.search(line)
            out.append((_strip_comment(line), int(m.group(1)) if m else 0))
        return out


def _strip_comment(line: str) -> str:
    """The command without its trailing `# comment` (a `#` inside quotes is kept)."""
    quote = None
    for i, ch in enumerate(line):
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote == ch else ch
        elif ch == "#" and quote is None and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line


def blocks(root: str) -> list[Block]:
    files = ["README.md"] + sorted(os.path.join("docs", n) for n in os.listdir(os.path.join(root, "docs"))
                                   if n.endswith(".md"))
    out = []
    for rel in files:
        text = open(os.path.join(root, rel), encoding="utf-8").read()
        for m in FENCE.finditer(text):
            start = text.count("\n", 0, m.start()) + 1
            before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mark = MARK.search(before)
            out.append(Block(rel, start, m.group("lang").lower(), m.group("body"),
                             mark.group("kind") if mark else None, (mark.group("why") or "").strip() if mark else None))
    return out


def is_shell(block: Block) -> bool:
    if block.lang not in SHELL:
        return False
    if block.lang == "":  # unlabelled: a shell block only if every line is a command we know
        return all(c.startswith(("ultraplan ", "python", "pip ", "pytest ", "pulumi ")) for c, _ in block.commands())
    return True
