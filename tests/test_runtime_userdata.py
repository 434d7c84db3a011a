"""Launch template user data: cloud-init's own tools read it the way a node will.

Every example's launch templates: every #cloud-config part passes `cloud-init schema` (Debian's
cloud-init), every shell part passes shellcheck, and the raw document fits EC2's 16 KB. A spec's own
user data is merged after ours, checked with cloud-init's own part handlers (tests/cloudinit_merge.py
under Debian's python3): its lists add to ours, its keys never replace ours, and our script runs first.
"""
from __future__ import annotations

import email
import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import BASE_SPEC
from planner import compile_plan
from planner.errors import SpecError
from planner.runtime.userdata import USER_DATA_MAX_BYTES, decode
from planner.spec.load import load_spec, parse_spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
DEBIAN_PYTHON = "/usr/bin/python3"


def _has_debian_cloudinit() -> bool:
    return os.path.exists(DEBIAN_PYTHON) and subprocess.run(
        [DEBIAN_PYTHON, "-c", "import cloudinit"], capture_output=True).returncode == 0


def templates(plan):
    return [r for st in plan.stacks for r in st.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"]


def parts(user_data: str):
    message = email.message_from_bytes(decode(user_data))
    return [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True), p)
            for p in message.walk() if not p.is_multipart()]


def plan_of(text: str, file: str = "spec.yaml"):
    return compile_plan(parse_spec(text, file))


@pytest.fixture(scope="module")
def example_plans():
    return {os.path.basename(p): compile_plan(load_spec(p)) for p in EXAMPLES}


def test_every_example_template_has_user_data_within_ec2s_limit(example_plans):
    for name, plan in example_plans.items():
        for lt in templates(plan):
            raw = decode(lt.inputs["userData"])
            assert len(raw) <= USER_DATA_MAX_BYTES, (name, lt.name, len(raw))
            kinds = [p[0] for p in parts(lt.inputs["userData"])]
            assert kinds[:2] == ["text/cloud-config", "text/x-shellscript"], (name, lt.name)


@pytest.mark.skipif(shutil.which("cloud-init") is None, reason="cloud-init is not installed (apt-get install cloud-init)")
def test_every_cloud_config_part_of_every_example_passes_cloud_init_schema(example_plans, tmp_path):
    checked = 0
    for name, plan in example_plans.items():
        for lt in templates(plan):
            for k, (kind, _, payload, _) in enumerate(parts(lt.inputs["userData"])):
                if kind != "text/cloud-config":
                    continue
                f = tmp_path / f"{name}-{lt.name}-{k}.yaml"
                f.write_bytes(payload)
                done = subprocess.run(["cloud-init", "schema", "--config-file", str(f)], capture_output=True, text=True)
                assert done.returncode == 0 and "Valid cloud-config" in done.stdout, (name, lt.name, done.stdout + done.stderr)
                checked += 1
    assert checked >= len(EXAMPLES)


@pytest.mark.skipif(shutil.which("cloud-init") is None, reason="cloud-init is not installed (apt-get install cloud-init)")
def test_cloud_init_schema_rejects_a_broken_part(tmp_path):
    """The schema check above can fail: a part with a wrong type for a key is refused."""
    f = tmp_path / "bad.yaml"
    f.write_text("#cloud-config\npreserve_hostname: maybe\nwrite_files: {path: /x}\n")
    done = subprocess.run(["cloud-init", "schema", "--config-file", str(f)], capture_output=True, text=True)
    assert done.returncode != 0


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (apt-get install shellcheck)")
def test_every_shell_part_passes_shellcheck(example_plans, tmp_path):
    for name, plan in example_plans.items():
        for lt in templates(plan):
            for kind, filename, payload, _ in parts(lt.inputs["userData"]):
                if kind == "text/x-shellscript":
                    f = tmp_path / filename
                    f.write_bytes(payload)
                    done = subprocess.run(["shellcheck", str(f)], capture_output=True, text=True)
                    assert done.returncode == 0, (name, lt.name, done.stdout)


def test_user_data_is_the_same_bytes_every_compile():
    assert templates(plan_of(BASE_SPEC))[0].inputs["userData"] == templates(plan_of(BASE_SPEC))[0].inputs["userData"]


SPEC_PARTS = BASE_SPEC.replace("compute:", """user_data: |
  #cloud-config
  preserve_hostname: false
  packages: [htop]
  runcmd:
    - echo cluster
  write_files:
    - path: /etc/motd
      content: hello
compute:""", 1).replace("count: 2", """count: 2
    user_data: {file: pool.sh}""", 1)


def _spec_with_parts(tmp_path, script="#!/bin/bash\necho pool\n"):
    (tmp_path / "pool.sh").write_text(script)
    (tmp_path / "spec.yaml").write_text(SPEC_PARTS)
    return compile_plan(load_spec(str(tmp_path / "spec.yaml")))


def test_spec_parts_come_after_ours_in_order(tmp_path):
    lt = templates(_spec_with_parts(tmp_path))[0]
    got = [(kind, filename, p.get("Merge-Type")) for kind, filename, _, p in parts(lt.inputs["userData"])]
    assert got == [("text/cloud-config", "ultraplan.cfg", None), ("text/x-shellscript", "00-ultraplan-node", None),
                   ("text/cloud-config", "50-cluster-user-data", "list(append)+dict(no_replace,recurse_list)+str()"),
                   ("text/x-shellscript", "60-pool-user-data", None)]


@pytest.mark.skipif(not _has_debian_cloudinit(), reason="Debian's cloud-init Python package is not installed")
def test_cloud_init_merges_spec_parts_after_ours(tmp_path):
    lt = templates(_spec_with_parts(tmp_path))[0]
    blob = tmp_path / "user-data"
    blob.write_bytes(__import__("base64").b64decode(lt.inputs["userData"]))
    done = subprocess.run([DEBIAN_PYTHON, os.path.join(ROOT, "tests", "cloudinit_merge.py"), str(blob)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    config = result["config"]
    assert config["preserve_hostname"] is True  # the spec's `false` does not replace ours
    assert config["runcmd"] == ["echo cluster"] and config["packages"] == ["htop"]
    assert [f["path"] for f in config["write_files"]] == ["/etc/ultraplan/node.env", "/usr/local/sbin/ultraplan-node",
                                                           "/etc/motd"]
    # scripts-user runs these in name order: the node runtime before the spec's own script.
    assert result["scripts"] == ["00-ultraplan-node", "60-pool-user-data"]


def _issue(exc: SpecError, path: str):
    (issue,) = [i for i in exc.issues if i.path == path]
    return issue


@pytest.mark.parametrize("user_data,message,hint", [
    pytest.param('"hello"', "cloud-init does not know what to do with user data starting 'hello'",
                 "start it with #! (a script) or #cloud-config (cloud-init's formats)", id="unknown-format"),
    pytest.param('"Content-Type: multipart/mixed\\n"', "user data is a MIME document already",
                 "give the parts themselves: ultraplan writes the multipart document", id="mime"),
    pytest.param("{file: nowhere.sh}", "cannot read", "give a path relative to the spec file", id="missing-file"),
])
def test_bad_user_data_names_the_field_and_the_fix(tmp_path, user_data, message, hint):
    (tmp_path / "spec.yaml").write_text(BASE_SPEC.replace("count: 2", f"count: 2\n    user_data: {user_data}", 1))
    with pytest.raises(SpecError) as err:
        load_spec(str(tmp_path / "spec.yaml"))
    issue = _issue(err.value, "compute[0].user_data")
    assert message in issue.message and hint in issue.hint and issue.line is not None


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_user_data_path_that_is_no_regular_file_is_refused_without_hanging(tmp_path, kind):
    target = {"fifo": tmp_path / "pipe", "device": "/dev/zero", "folder": tmp_path / "dir"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    (tmp_path / "spec.yaml").write_text(BASE_SPEC.replace("compute:", f"user_data: {{file: {target}}}\ncompute:", 1))
    with pytest.raises(SpecError) as err:
        load_spec(str(tmp_path / "spec.yaml"))
    assert "is not a regular file" in _issue(err.value, "user_data").message


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "bin.sh").write_bytes(b"#!/bin/bash\n\xff\xfe\n")
    (tmp_path / "spec.yaml").write_text(BASE_SPEC.replace("compute:", "user_data: {file: bin.sh}\ncompute:", 1))
    with pytest.raises(SpecError) as err:
        load_spec(str(tmp_path / "spec.yaml"))
    assert "is not UTF-8 text" in _issue(err.value, "user_data").message


def test_large_user_data_is_compressed_to_fit(tmp_path):
    script = "#!/bin/bash\n" + "echo 'a line that compresses well'\n" * 600  # ~21 KB raw
    plan = _spec_with_parts(tmp_path, script)
    encoded = templates(plan)[0].inputs["userData"]
    raw = __import__("base64").b64decode(encoded)
    assert raw[:2] == b"\x1f\x8b" and len(raw) <= USER_DATA_MAX_BYTES  # gzip, which cloud-init reads
    assert len(decode(encoded)) > USER_DATA_MAX_BYTES
    assert any(p[1] == "60-pool-user-data" and p[2].decode().rstrip("\n") == script.rstrip("\n") for p in parts(encoded))


def test_user_data_that_cannot_fit_is_a_spec_error_naming_the_field(tmp_path):
    noise = __import__("base64").b64encode(os.urandom(15000)).decode()  # ~20 KB that gzip cannot shrink enough
    (tmp_path / "pool.sh").write_text("#!/bin/bash\n: " + noise + "\n")
    (tmp_path / "spec.yaml").write_text(BASE_SPEC.replace("count: 2", "count: 2\n    user_data: {file: pool.sh}", 1))
    with pytest.raises(SpecError) as err:
        load_spec(str(tmp_path / "spec.yaml"))  # validate says so, before any compile
    issue = _issue(err.value, "compute[0].user_data")
    assert "EC2 allows 16,384 bytes (16 KB) before base64" in issue.message
    assert "downloads the rest" in issue.hint
