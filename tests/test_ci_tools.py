"""The outside tools the suite drives for real are there and work (conftest's `need`: a skip
locally, a failure under CI), so a test that depends on one cannot pass by not running it:
ShellCheck (actionlint runs it on the workflow's `run:` scripts only when it is installed, and says
nothing when it is not), cloud-init (user data through `cloud-init schema`), headless Chromium and
the yaml-language-server of tests/lsp."""
from __future__ import annotations

import shutil
import subprocess

from chromium_cdp import chromium_unavailable
from conftest import need


def _which(exe: str) -> str:
    path = shutil.which(exe)
    need(None if path else f"`{exe}` is not on PATH (.ci/run installs the Debian package)", exe)
    return path


def test_shellcheck_finds_an_unquoted_expansion(tmp_path):
    exe = _which("shellcheck")
    bad = tmp_path / "bad.sh"
    bad.write_text('#!/bin/sh\nx=$1\nrm $x\n')
    good = tmp_path / "good.sh"
    good.write_text('#!/bin/sh\nx=$1\nrm -- "$x"\n')
    found = subprocess.run([exe, str(bad)], capture_output=True, text=True, timeout=60)
    assert found.returncode == 1 and "SC2086" in found.stdout
    assert subprocess.run([exe, str(good)], capture_output=True, text=True, timeout=60).returncode == 0


def test_cloud_init_schema_tells_valid_from_invalid_user_data(tmp_path):
    exe = _which("cloud-init")
    good = tmp_path / "good.yaml"
    good.write_text("#cloud-config\nruncmd:\n  - [echo, ok]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("#cloud-config\nruncmd: 5\n")
    ok = subprocess.run([exe, "schema", "--config-file", str(good)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    no = subprocess.run([exe, "schema", "--config-file", str(bad)], capture_output=True, text=True, timeout=120)
    assert no.returncode == 1 and "runcmd" in no.stdout + no.stderr


def test_headless_chromium_is_there():
    need(chromium_unavailable(), "headless Chromium")


def test_yaml_language_server_is_there():
    from lsp_client import server_command

    need(None if server_command() else "tests/lsp/node_modules is missing (cd tests/lsp && npm ci)",
         "yaml-language-server")


def test_ci_run_stops_when_it_cannot_install_a_tool_under_ci(tmp_path):
    """.ci/run under CI exits 1 naming the package when apt-get fails (it used to warn and go on,
    and the browser tests then skipped); it stops before installing or running anything."""
    import os

    from conftest import ROOT

    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("apt-get", "sudo"):
        (fake / tool).write_text("#!/bin/sh\necho 'E: Unable to locate package' >&2\nexit 100\n")
        (fake / tool).chmod(0o755)
    (fake / "python3").write_text("#!/bin/sh\necho python3 was run >&2\nexit 0\n")  # must not be reached
    (fake / "python3").chmod(0o755)
    env = {**os.environ, "CI": "true", "ULTRAPLAN_CHROMIUM": str(tmp_path / "no-chromium"),
           "PATH": f"{fake}:{os.environ['PATH']}"}
    run = subprocess.run(["bash", os.path.join(ROOT, ".ci", "run")], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "could not install chromium" in run.stderr and "python3 was run" not in run.stderr
