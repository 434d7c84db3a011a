"""The node runtime in the Plan: each launch template's user data (planner/runtime/userdata.py), the
SSM parameters that hand the Lustre file system's mount facts to the nodes, and the node role's
runtime policy (planner/runtime/iam.py). See docs/runtime.md.
"""
from __future__ import annotations

import json
import os
from typing import Any

from planner import tokens as T

from ..errors import SpecError, SpecIssue
from ..plan.model import Resource, ref
from ..runtime import iam
from ..runtime.userdata import Part, UserDataError, document, encode, read_user_data, user_parts
from ..spec.load import SpecDocument
from ..spec.yamlload import dotted
from .builder import Builder
from .pools import ResolvedPool

SSM_PARAMETER = T.SSM_PARAMETER
RUNTIME_POLICY = "node-role-runtime"

# How long a node waits for its UltraServer's other instances, and for nvidia-imex to be READY. A
# Capacity Block's group launches all of an UltraServer's instances at once at the block's start; a
# node still alone after half an hour is reported (tag and log), not left waiting for ever.
PEER_DEADLINE_SECONDS = 1800
IMEX_DEADLINE_SECONDS = 300
POLL_SECONDS = 10

# Lustre facts the storage stack publishes: parameter -> the LustreFileSystem output it holds.
LUSTRE_FACTS = (("dns-name", "dnsName"), ("mount-name", "mountName"), ("version", "fileSystemTypeVersion"))


def node_config(doc: SpecDocument, pool: ResolvedPool) -> dict[str, Any]:
    """The Plan's facts one pool's nodes act on (written to /etc/ultraplan/node.env)."""
    spec = doc.spec
    lustre = bool(spec.storage and spec.storage.lustre)
    gpu = bool(pool.itype.accelerator and pool.itype.accelerator.kind == "gpu")
    return {
        "CLUSTER": spec.name, "REGION": spec.region, "POOL": pool.name,
        "KIND": "ultraserver" if pool.ultra else "instance",
        "EFA_EXPECTED": sum(1 for i in pool.interfaces if i.type in ("efa", "efa-only")) if pool.efa else 0,
        "DOMAIN_SIZE": pool.ultra.instances if pool.ultra else 1,
        # NVLink across an UltraServer's NVIDIA instances needs IMEX (AWS PCS UG, "Configure
        # UltraServer instances"); Trn2 UltraServers use NeuronLink, which needs none.
        "IMEX": 1 if pool.ultra and gpu else 0,
        "PEER_DEADLINE_SECONDS": PEER_DEADLINE_SECONDS, "IMEX_DEADLINE_SECONDS": IMEX_DEADLINE_SECONDS,
        "POLL_SECONDS": POLL_SECONDS,
        "LUSTRE_PARAMETERS": iam.lustre_parameter_path(spec.name) if lustre else "",
        "LUSTRE_MOUNT_POINT": "/fsx",
    }


def _spec_parts(doc: SpecDocument, pool: ResolvedPool) -> list[Part]:
    base = os.path.dirname(doc.file) if doc.file else None
    named, where = [], []
    for path, value, name in ((("user_data",), doc.spec.user_data, "50-cluster-user-data"),
                              (("compute", pool.index, "user_data"), pool.spec.user_data, "60-pool-user-data")):
        if value is None:
            continue
        try:
            named.append((name, read_user_data(value, base)))
        except UserDataError as exc:
            raise _issue(doc, path, exc) from None
        where.append(path)
    try:
        return user_parts(named)
    except UserDataError as exc:
        raise _issue(doc, where[-1], exc) from None


def _issue(doc: SpecDocument, path: tuple[Any, ...], exc: UserDataError) -> SpecError:
    return SpecError([SpecIssue(dotted(path), str(exc), doc.line(*path), doc.file, exc.hint)])


def user_data(doc: SpecDocument, pool: ResolvedPool) -> str:
    """The launch template's `userData` (base64): the node runtime, then the spec's own parts."""
    try:
        return encode(document(node_config(doc, pool), _spec_parts(doc, pool)))
    except UserDataError as exc:
        path = ("compute", pool.index, "user_data") if pool.spec.user_data is not None else (
            ("user_data",) if doc.spec.user_data is not None else ("compute", pool.index))
        raise _issue(doc, path, exc) from None


def lustre_parameters(doc: SpecDocument, b: Builder, out: list[Resource], line: int | None) -> None:
    """SSM parameters with the file system's DNS name, mount name and Lustre version, which nodes
    read at boot to mount it (the mount command needs the first two: FSx for Lustre UG, "Mounting
    Amazon FSx file systems"; the client must not be older than the file system)."""
    prefix = iam.lustre_parameter_path(doc.spec.name)
    for name, output in LUSTRE_FACTS:
        b.add(out, SSM_PARAMETER, f"lustre-param-{name}", {
            # insecureValue: a String parameter Pulumi does not mark secret (these are not secrets).
            "name": f"{prefix}/{name}", "type": "String", "insecureValue": ref("lustre", output),
            # Standard whatever the account's default tier: no charge (Systems Manager UG, parameter tiers).
            "tier": "Standard",
            "description": f"{doc.spec.name}: the FSx for Lustre file system's {output}, read by the nodes at boot",
            "tags": b.tags(f"lustre-param-{name}"),
        }, line=line)


def runtime_policy(doc: SpecDocument, b: Builder, out: list[Resource], line: int | None) -> None:
    """The node role's inline policy for the boot program (planner/runtime/iam.py)."""
    spec = doc.spec
    document_ = iam.node_runtime_policy(spec.name, spec.region, bool(spec.storage and spec.storage.lustre))
    b.add(out, T.ROLE_POLICY, RUNTIME_POLICY, {
        "role": ref("node-role", "name"), "policy": json.dumps(document_, separators=(",", ":")),
    }, line=line)
