"""Which install command brings a Python module ultraplan needs, read from the installed metadata.

A module that is not installed is a setup problem, not a bug: the CLI turns the ModuleNotFoundError
into exit 2 with the exact command that fixes it (`python3 -m pip install 'ultraplan[deploy]'`, or
the editable form when ultraplan was installed from a checkout), never into an internal error.
"""
from __future__ import annotations

import json
import re
from importlib import metadata
from urllib.parse import unquote, urlparse

DIST = "ultraplan"

# import name -> distribution name, where they differ (PEP 503 normalised: lowercase, '-').
_IMPORT_TO_DIST = {
    "yaml": "pyyaml",
    "pulumi_aws": "pulumi-aws",
    "pulumi_policy": "pulumi-policy",
    "websocket": "websocket-client",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_for(module: str) -> str:
    top = module.split(".")[0]
    return _IMPORT_TO_DIST.get(top, _normalise(top))


def _requirements() -> list[str]:
    try:
        return metadata.requires(DIST) or []
    except metadata.PackageNotFoundError:
        return []


def extra_for(dist: str) -> tuple[bool, str | None, str | None]:
    """(declared, extra, requirement): whether ultraplan declares `dist`, in which extra (None: core)."""
    found: tuple[bool, str | None, str | None] = (False, None, None)
    for req in _requirements():
        spec, _, marker = req.partition(";")
        name = re.split(r"[\s\[<>=!~;(]", spec.strip(), maxsplit=1)[0]
        if _normalise(name) != dist:
            continue
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if extra is None:
            return True, None, spec.strip()  # a core dependency wins over any extra that repeats it
        if not found[0] or found[1] == "test":  # the narrowest extra: deploy rather than test
            found = (True, extra.group(1), spec.strip())
    return found


def _editable_root() -> str | None:
    """The checkout ultraplan was installed from with `pip install -e`, if it was."""
    try:
        text = metadata.distribution(DIST).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(info.get("url", ""))
    return unquote(url.path) if url.scheme == "file" else None


def install_command(module: str) -> str:
    """The one command that installs what provides `module` for ultraplan."""
    dist = distribution_for(module)
    declared, extra, requirement = extra_for(dist)
    if declared and extra is None:  # a core dependency went missing: reinstall ultraplan itself
        return f"python3 -m pip install '{requirement}'"
    if declared:
        root = _editable_root()
        if root:
            return f"python3 -m pip install -e '{root}[{extra}]'"
        return f"python3 -m pip install 'ultraplan[{extra}]'"
    return f"python3 -m pip install {dist}"


def missing_module_message(exc: ModuleNotFoundError) -> str:
    module = exc.name or str(exc)
    # The command alone on its own line: a person pastes it whole, so the error printer never wraps it.
    return (f"the Python module '{module}' is not installed; it is needed for this command. Install it "
            f"with:\n{install_command(module)}")
