"""The HTML report of every example: file size, time to write it, and time until it is drawn in headless
Chromium (issue 12: frontier under 5 MB, drawn in under 3 s).

    python bench/report_bench.py [SPEC ...] [--repeat N] [--screenshot docs/report.png --shot-spec SPEC]

"drawn" is navigation until the page says both pictures are done (<body data-ready="1">), best of N
loads in one Chromium. With --screenshot, also writes the first screen of the --shot-spec report
(default: the GB200 example) as the PNG the docs show.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from chromium_cdp import Browser, chromium_unavailable  # noqa: E402


def write_report(spec: str, out: str) -> float:
    from planner.run import check
    from planner.run.pages import write_pages

    start = time.perf_counter()
    write_pages(check(spec, mark_not_run=False), html_out=out)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshot")
    parser.add_argument("--shot-spec", default=os.path.join("examples", "gb200-capacity-block.yaml"))
    args = parser.parse_args()
    os.chdir(ROOT)
    specs = args.specs or sorted(glob.glob(os.path.join("examples", "*.yaml")))
    reason = chromium_unavailable()
    if reason:
        sys.exit(f"cannot run Chromium: {reason}")
    with tempfile.TemporaryDirectory() as tmp, Browser(width=1280, height=900) as browser:
        print(f"{'spec':<40} {'size':>9} {'write':>8} {'drawn':>8}")
        for spec in specs:
            out = os.path.join(tmp, os.path.basename(spec) + ".html")
            write_s = write_report(spec, out)
            drawn = min(browser.open(out) for _ in range(args.repeat))
            errors = browser.console_errors()
            browser.events.clear()
            print(f"{spec:<40} {os.path.getsize(out) / 1e6:>7.2f}MB {write_s:>7.2f}s {drawn:>7.2f}s"
                  + (f"  console errors: {errors}" if errors else ""))
        if args.screenshot:
            out = os.path.join(tmp, "shot.html")
            write_report(args.shot_spec, out)
            browser.open(out)
            with open(args.screenshot, "wb") as fh:
                fh.write(browser.screenshot(full_page=True))
            print(f"wrote {args.screenshot}")


if __name__ == "__main__":
    main()
