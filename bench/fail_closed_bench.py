"""Fail-closed figures (issue 14), measured in one run; prints, asserts nothing.

    python bench/fail_closed_bench.py [--timeout 5]

- refusing bad input: a 60 KB tag value and a 50 MB spec, whole `ultraplan` processes (target < 1 s
  each, exit 2);
- the preflight deadline: `check --preflight` through the loopback fault proxy in front of a moto
  server (tests/fault_proxy.py), with every call denied, and with every call delayed 30 s
  (`--timeout`, default 5 s here): wall time and exit code (target: ends by the deadline, exit 3);
- the spec loader: the same YAML through libyaml events and through the pure-Python scanner.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

SPEC = """\
name: demo
region: us-east-1
availability_zone: us-east-1a
tags: {team: t, cost-center: "1"}
network:
  vpc_cidr: 10.0.0.0/16
compute:
  - name: gpu
    instance_type: p5.48xlarge
    count: 2
"""
FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def ultraplan(*args: str, env: dict[str, str] | None = None) -> tuple[int, float]:
    full_env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        full_env.pop(key, None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "planner", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True)
    return proc.returncode, time.perf_counter() - start


def in_process(*args: str) -> float:
    """The same command inside this process (imports already paid): the cost of the refusal itself."""
    import contextlib
    import io

    from planner.cli import main as cli_main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            cli_main(list(args))
        except SystemExit:
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=5.0, help="--timeout for the delayed run")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tag = os.path.join(tmp, "tag.yaml")
        with open(tag, "w") as fh:
            fh.write(SPEC.replace('tags: {team: t, cost-center: "1"}', 'tags: {team: "' + "x" * 60_000 + '"}'))
        huge = os.path.join(tmp, "huge.yaml")
        with open(huge, "w") as fh:
            fh.write(SPEC)
            fh.write("# padding\n" * (50 * 1024 * 1024 // 10))
        spec = os.path.join(tmp, "spec.yaml")
        with open(spec, "w") as fh:
            fh.write(SPEC)
        code, base = ultraplan("--version")
        print(f"process start (ultraplan --version)        {base:6.2f} s  exit {code}")
        for label, args in [("60 KB tag value: validate", ("validate", tag)), ("60 KB tag value: check", ("check", tag)),
                            ("50 MB spec: validate", ("validate", huge)), ("50 MB spec: plan", ("plan", huge)),
                            ("50 MB spec: check", ("check", huge))]:
            code, took = ultraplan(*args)
            inside = in_process(*args)
            print(f"{label:42} {took:6.2f} s  exit {code}  (in-process, imports warm: {inside * 1000:.0f} ms)")

        from fault_proxy import FaultProxy, moto_server

        with moto_server() as moto_url:
            for mode, extra in [("deny", ()), ("delay", ("--timeout", f"{opts.timeout:g}"))]:
                with FaultProxy(moto_url, mode, delay=30) as proxy:
                    code, took = ultraplan("check", spec, "--preflight", "--format", "json", *extra,
                                           env={**FAKE, "AWS_ENDPOINT_URL": proxy.url})
                    label = f"check --preflight, every call {'denied' if mode == 'deny' else 'delayed 30 s'}"
                    print(f"{label:42} {took:6.2f} s  exit {code}  ({proxy.requests} requests{', ' + ' '.join(extra) if extra else ''})")

    import planner.spec.yamlload as yl

    pools = "".join(f"  - name: p{i}\n    instance_type: p5.48xlarge\n    count: 2\n    tags: {{a: b}}\n"
                    for i in range(1000))
    text = "name: x\nregion: us-east-1\navailability_zone: us-east-1a\ncompute:\n" + pools
    for loader in (yl._PyLoader, yl.LOADER):
        saved, yl.LOADER = yl.LOADER, loader
        try:
            start = time.perf_counter()
            yl.load(text, "bench.yaml")
            took = time.perf_counter() - start
        finally:
            yl.LOADER = saved
        print(f"spec loader, 1,000 pools ({len(text) // 1024} KB), {loader.__name__:9}  {took * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
