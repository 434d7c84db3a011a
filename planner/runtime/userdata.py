"""A launch template's user data: a MIME multipart document for cloud-init, ultraplan's part first
and a spec's own `user_data` (cluster, then pool) after it.

cloud-init ("User data formats", https://cloudinit.readthedocs.io/en/latest/explanation/format.html)
reads a multipart/mixed document part by part, by each part's Content-Type; a part's type is given by
its first line (`#!` a shell script, `#cloud-config`, `#include`, `#cloud-boothook`, ...). Ours is a
`#cloud-config` part that writes /etc/ultraplan/node.env (the Plan's facts for this pool) and the
`ultraplan-node` program (gzip+base64, `write_files` encoding `gz+b64`), and a two-line shell part
named `00-ultraplan-node` that runs it: cloud-init's scripts-user runs the instance's scripts in name
order, so ours runs before a spec's shell parts (`50-...`) and before any `runcmd`. A spec's own
cloud-config part carries `Merge-Type: list(append)+dict(no_replace,recurse_list)+str()`, so its lists
(`runcmd`, `write_files`, `packages`) add to ours and its keys never replace ours ("Merging user data
sections", https://cloudinit.readthedocs.io/en/latest/reference/merging.html).

EC2 limits user data to 16 KB in raw form, before base64 (EC2 User Guide, "Run commands when you
launch an EC2 instance with user data input"); a document over it is gzip-compressed whole (cloud-init
decompresses gzip user data), and one still over it is a spec error naming the field.
"""
from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import os
import shlex
from dataclasses import dataclass
from importlib import resources
from typing import Any

USER_DATA_MAX_BYTES = 16 * 1024  # EC2 User Guide, user data: "limited to 16 KB, in raw form, before it is base64-encoded"
PROGRAM_PATH = "/usr/local/sbin/ultraplan-node"
ENV_PATH = "/etc/ultraplan/node.env"
# cloud-init's merge rule for a spec's cloud-config parts: append to our lists, never replace our keys.
# A file larger than this cannot fit even compressed (gzip rarely does better than 64:1 on scripts);
# refused before it is read whole.
READ_MAX_BYTES = 1024 * 1024
MERGE_TYPE = "list(append)+dict(no_replace,recurse_list)+str()"

# First line -> MIME type (cloud-init, "User data formats").
PART_TYPES = (
    ("#cloud-config", "text/cloud-config"),
    ("#cloud-boothook", "text/cloud-boothook"),
    ("#include", "text/x-include-url"),
    ("#part-handler", "text/part-handler"),
    ("## template: jinja", "text/jinja2"),
    ("#!", "text/x-shellscript"),
)


class UserDataError(ValueError):
    """A spec's user data that cannot be used: the message says what and what would work."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Part:
    name: str  # the part's file name: cloud-init runs shell parts in name order
    content_type: str
    text: str
    merge: bool = False


def program() -> str:
    """The boot program's text (planner/runtime/ultraplan-node.sh)."""
    return resources.files(__package__).joinpath("ultraplan-node.sh").read_text(encoding="utf-8")


def read_user_data(value: Any, base_dir: str | None) -> str:
    """The text of a spec's `user_data`: inline text, or {file: path} read relative to the spec."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    path = value.file if os.path.isabs(value.file) or not base_dir else os.path.join(base_dir, value.file)
    from ..inputs import open_regular

    try:
        with open_regular(path) as fh:  # a FIFO or a device would block or never end
            data = fh.read(READ_MAX_BYTES + 1)
    except IsADirectoryError:
        raise UserDataError(f"{path} is not a regular file", "give the path of a script or #cloud-config file") from None
    except OSError as exc:
        raise UserDataError(f"cannot read {path}: {exc.strerror or exc}",
                            "give a path relative to the spec file, or the user data inline") from None
    if len(data) > READ_MAX_BYTES:
        raise UserDataError(f"{path} is over 1 MiB; EC2 takes {USER_DATA_MAX_BYTES:,} bytes of user data",
                            "keep a small script here that downloads the rest (from S3)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserDataError(f"{path} is not UTF-8 text", "user data parts are text: a script or a #cloud-config") from None


def part_type(text: str) -> str:
    """The MIME type cloud-init gives a part by its first line."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    for prefix, content_type in PART_TYPES:
        if first.startswith(prefix):
            return content_type
    if first.lower().startswith("content-type:"):
        raise UserDataError("user data is a MIME document already",
                            "give the parts themselves: ultraplan writes the multipart document")
    raise UserDataError(f"cloud-init does not know what to do with user data starting {first[:40]!r}",
                        "start it with #! (a script) or #cloud-config (cloud-init's formats)")


def user_parts(named: list[tuple[str, str]]) -> list[Part]:
    """The spec's parts, in order: (name, text) -> Part, typed by their first line."""
    out = []
    for name, text in named:
        if not text:
            continue
        kind = part_type(text)
        out.append(Part(name, kind, text, merge=kind == "text/cloud-config"))
    return out


def node_env(config: dict[str, Any]) -> str:
    """The Plan's facts for one pool as shell assignments (node.env, sourced by ultraplan-node)."""
    lines = ["# ultraplan node runtime: this pool's facts from the Plan (docs/runtime.md)"]
    for key, value in config.items():
        lines.append(f"{key}={shlex.quote(str(value))}")
    return "\n".join(lines) + "\n"


def _block(text: str, indent: int) -> str:
    pad = " " * indent
    return "\n".join(pad + line if line else "" for line in text.rstrip("\n").split("\n"))


@functools.lru_cache(maxsize=1)
def _packed_program() -> str:
    """The program gzip+base64 in 76-column lines (cloud-init write_files `encoding: gz+b64`); the
    same for every pool, so compressed once (about 1 ms a pool otherwise)."""
    packed = base64.b64encode(gzip.compress(program().encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")
    return "\n".join(packed[i:i + 76] for i in range(0, len(packed), 76))


def cloud_config(config: dict[str, Any]) -> str:
    """Our #cloud-config part: node.env and the program, and a hostname cloud-init leaves alone."""
    wrapped = _packed_program()
    return (
        "#cloud-config\n"
        f"# ultraplan node runtime for pool {config['POOL']} of cluster {config['CLUSTER']} (docs/runtime.md)\n"
        "# ultraplan-node sets the hostname the scheduler topology names; cloud-init keeps it across boots.\n"
        "preserve_hostname: true\n"
        "write_files:\n"
        f"  - path: {ENV_PATH}\n"
        "    owner: root:root\n"
        "    permissions: '0644'\n"
        "    content: |\n"
        f"{_block(node_env(config), 6)}\n"
        f"  - path: {PROGRAM_PATH}\n"
        "    owner: root:root\n"
        "    permissions: '0755'\n"
        "    encoding: gz+b64\n"
        "    content: |\n"
        f"{_block(wrapped, 6)}\n"
    )


RUNNER = f"#!/bin/bash\n# ultraplan node runtime (docs/runtime.md): runs before the spec's own parts\nexec {PROGRAM_PATH}\n"


def document(config: dict[str, Any], extra: list[Part]) -> bytes:
    """The whole multipart document, byte for byte the same for the same inputs (a fixed boundary
    derived from the content, so Plans stay stable and the boundary never occurs in a part)."""
    parts = [Part("ultraplan.cfg", "text/cloud-config", cloud_config(config)),
             Part("00-ultraplan-node", "text/x-shellscript", RUNNER), *extra]
    digest = hashlib.sha256("\0".join(p.text for p in parts).encode("utf-8")).hexdigest()[:24]
    boundary = f"==ultraplan-{digest}=="
    out = [f'Content-Type: multipart/mixed; boundary="{boundary}"', "MIME-Version: 1.0", ""]
    for p in parts:
        encoding = "7bit" if p.text.isascii() else "8bit"
        out += [f"--{boundary}", f'Content-Type: {p.content_type}; charset="utf-8"', "MIME-Version: 1.0",
                f"Content-Transfer-Encoding: {encoding}", f'Content-Disposition: attachment; filename="{p.name}"']
        if p.merge:
            out.append(f"Merge-Type: {MERGE_TYPE}")
        out += ["", p.text.rstrip("\n")]
    out += [f"--{boundary}--", ""]
    return "\n".join(out).encode("utf-8")


def encode(raw: bytes) -> str:
    """Base64 for the launch template: raw when it fits EC2's 16 KB, gzip-compressed when only that
    fits; UserDataError when neither does."""
    if len(raw) <= USER_DATA_MAX_BYTES:
        return base64.b64encode(raw).decode("ascii")
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    if len(packed) > USER_DATA_MAX_BYTES:
        raise UserDataError(
            f"the launch template's user data is {len(raw):,} bytes ({len(packed):,} compressed); EC2 allows "
            f"{USER_DATA_MAX_BYTES:,} bytes (16 KB) before base64",
            "keep a small script here that downloads the rest (from S3)")
    return base64.b64encode(packed).decode("ascii")


def decode(value: str) -> bytes:
    """The raw document of a launch template's userData (gunzipped where it was compressed)."""
    raw = base64.b64decode(value)
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
