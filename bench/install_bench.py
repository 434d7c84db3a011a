"""Install time and size of ultraplan, light (planning only) against with the deploy extra.

    python3 bench/install_bench.py            # fresh venvs, no pip cache: what a new machine pays
    python3 bench/install_bench.py --cache    # with the user's pip cache: repeat installs

"before" is what `pip install -e .` cost when pulumi, pulumi-aws and pulumi-policy were hard
dependencies: the same as `pip install -e '.[deploy]'` today. "after" is `pip install -e .`.
Each variant installs into its own new virtualenv under a temporary folder; the script prints the
wall time of the pip run, the size of the venv's site-packages and the number of distributions,
then checks that the light venv plans an example without pulumi_aws. Prints figures; asserts none.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = {"before (deploy deps, = .[deploy])": ".[deploy]", "after (light, = .)": "."}


def _size(path: str) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def _site_packages(venv: str) -> str:
    lib = os.path.join(venv, "lib")
    return os.path.join(lib, next(d for d in os.listdir(lib) if d.startswith("python")), "site-packages")


def measure(target: str, cache: bool, workdir: str) -> dict[str, float | int | str]:
    venv = os.path.join(workdir, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = os.path.join(venv, "bin", "pip")
    env = dict(os.environ)
    if not cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    env.pop("PYTHONPATH", None)
    start = time.perf_counter()
    proc = subprocess.run([pip, "install", "--quiet", "--disable-pip-version-check", "-e", target],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"pip install -e {target} failed:\n{proc.stderr[-2000:]}")
    site = _site_packages(venv)
    dists = sum(1 for d in os.listdir(site) if d.endswith(".dist-info"))
    has_aws = os.path.isdir(os.path.join(site, "pulumi_aws"))
    plan = subprocess.run([os.path.join(venv, "bin", "ultraplan"), "plan", "examples/gb200-capacity-block.yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return {"seconds": seconds, "mb": _size(site) / 1e6, "dists": dists, "pulumi_aws": has_aws,
            "plan_exit": plan.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", action="store_true", help="use the pip cache (default: none, like a fresh machine)")
    args = parser.parse_args()
    print(f"pip install -e <variant> into a fresh venv ({'with' if args.cache else 'without'} pip cache), "
          f"Python {sys.version.split()[0]}")
    print(f"{'variant':<36} {'seconds':>8} {'site-packages MB':>17} {'dists':>6}  pulumi_aws  plan exit")
    for label, target in VARIANTS.items():
        workdir = tempfile.mkdtemp(prefix="ultraplan-install-")
        try:
            r = measure(target, args.cache, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"{label:<36} {r['seconds']:>8.1f} {r['mb']:>17.1f} {r['dists']:>6}  "
              f"{'yes' if r['pulumi_aws'] else 'no':<10}  {r['plan_exit']}", flush=True)


if __name__ == "__main__":
    main()
