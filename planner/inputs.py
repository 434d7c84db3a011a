"""Input files, read safely: bounded size, UTF-8 text, and what a file is, told by its content.

A Plan carries a format marker and a version (``{"format": "ultraplan-plan", "version": 1, ...}``,
written first by `ultraplan plan --out`); anything else is read as a spec, whatever its extension:
a spec saved as JSON gets the same verdict as the same spec in YAML. A file over its size limit is
refused before it is parsed (exit 2), so a 50 MB spec costs a `stat`, not a parse.
"""
from __future__ import annotations

import os
import re
import stat

from .errors import InputFileError, SpecError, SpecIssue, open_regular  # noqa: F401 (open_regular: its old home)

# Documented in README ("Limits"). A 1,000-pool spec is ~150 KB; the 500,000-GPU frontier Plan ~7 MB.
MAX_SPEC_BYTES = 4 * 1024 * 1024
MAX_PLAN_BYTES = 256 * 1024 * 1024
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
MAX_PRICE_FILE_BYTES = 16 * 1024 * 1024
MAX_RATE_CARD_BYTES = 4 * 1024 * 1024
MAX_GOALS_BYTES = 4 * 1024 * 1024

PLAN_FORMAT = "ultraplan-plan"
SNAPSHOT_FORMAT = "ultraplan-account-snapshot"
_HEAD = 4096
_MARKER = re.compile(rb'^\s*\{\s*"format"\s*:\s*"([^"]{1,64})"')


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB"


def file_size(path: str, what: str) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(path, "", f"no such {what} (no such file)") from None
    except OSError as exc:
        raise InputFileError(path, "", f"cannot read the {what}: {exc.strerror}") from None
    if not os.path.isfile(path):
        raise InputFileError(path, "", f"not a file (a {what} is expected)")
    return st.st_size


def format_marker(path: str) -> str | None:
    """The `format` a JSON document declares as its first key (Plans and snapshots do), or None."""
    try:
        with open_regular(path) as fh:
            head = fh.read(_HEAD)
    except OSError:
        return None
    match = _MARKER.match(head.removeprefix(b"\xef\xbb\xbf"))
    return match.group(1).decode("ascii", "replace") if match else None


def is_plan_file(path: str) -> bool:
    """Whether `path` is a Plan (by its format marker), not a spec. A missing file is not a Plan."""
    return format_marker(path) == PLAN_FORMAT


def read_text(path: str, limit: int, what: str) -> str:
    """The file as text: at most `limit` bytes (refused before reading), UTF-8 (a BOM is allowed)."""
    size = file_size(path, what)
    if size > limit:
        raise InputFileError(path, "", f"the {what} is {size:,} bytes; the limit is {_mib(limit)}",
                             "see README, Limits")
    try:
        with open_regular(path) as fh:
            data = fh.read(limit + 1)
    except IsADirectoryError:
        raise InputFileError(path, "", f"not a file (a {what} is expected)") from None
    except OSError as exc:
        raise InputFileError(path, "", f"cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:  # grew while we looked
        raise InputFileError(path, "", f"the {what} is over the {_mib(limit)} limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputFileError(path, f"line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                             f"{exc.start})", f"save the {what} as UTF-8") from None


def read_spec_text(path: str) -> str:
    """A spec's text; every problem is a SpecError naming the file (exit 2)."""
    marker = format_marker(path)
    try:
        if marker == SNAPSHOT_FORMAT:
            raise InputFileError(path, "", "this is an account snapshot, not a spec or a Plan",
                                 "pass it with --account")
        return read_text(path, MAX_SPEC_BYTES, "spec")
    except InputFileError as exc:
        raise SpecError([SpecIssue("", exc.problem, None, path, exc.hint)]) from None


def not_a_spec(data: object) -> str | None:
    """What a mapping that is no spec looks like, for the error message (None: looks like a spec)."""
    if not isinstance(data, dict):
        return None
    fmt = data.get("format")
    if fmt == SNAPSHOT_FORMAT:
        return "this is an account snapshot, not a spec or a Plan (pass it with --account)"
    if fmt == PLAN_FORMAT:
        return (f"this is a Plan, not a spec: this command needs the spec (a Plan is read by cost, policy, "
                f"preflight and check, and must start with {{\"format\": \"{PLAN_FORMAT}\"}})")
    if isinstance(fmt, str) and fmt.startswith("ultraplan"):
        return f"format {fmt!r} is neither a spec nor a Plan (\"format\": \"{PLAN_FORMAT}\")"
    if "stacks" in data and "pools" in data:
        return (f"this looks like a Plan without its format marker; a Plan starts with "
                f"{{\"format\": \"{PLAN_FORMAT}\", \"version\": N}} (re-write it with `ultraplan plan --out`)")
    return None
