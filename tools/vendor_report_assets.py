"""Vendor the two browser libraries the HTML report embeds, from the npm registry, at pinned versions.

    python3 tools/vendor_report_assets.py        # re-run after changing VERSIONS below

Why vendored rather than fetched at report time: the report must open offline (no CDN), and planning
must not need Node.js; the files are read only when an HTML report is written. `npm pack` downloads
the published tarball; we copy its built file and licence and record the sha256 of what we copied.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
VENDOR = os.path.join(HERE, "..", "planner", "report", "assets", "vendor")

# package -> (version, file in the tarball, file name here, licence file in the tarball or None)
VERSIONS = {
    "echarts": ("6.1.0", "package/dist/echarts.common.min.js", "echarts.common.min.js", "package/LICENSE"),
    "@viz-js/viz": ("3.31.0", "package/dist/viz-global.js", "viz-global.js", None),
}


def main() -> None:
    os.makedirs(VENDOR, exist_ok=True)
    notes = ["# Vendored browser libraries (written by tools/vendor_report_assets.py; do not edit)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        for package, (version, member, name, licence) in VERSIONS.items():
            out = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(os.path.join(tmp, out)) as tar:
                data = tar.extractfile(member).read()
                licence_text = tar.extractfile(licence).read() if licence else None
            with open(os.path.join(VENDOR, name), "wb") as fh:
                fh.write(data)
            if licence_text:
                with open(os.path.join(VENDOR, f"{name}.LICENSE.txt"), "wb") as fh:
                    fh.write(licence_text)
            notes.append(f"- `{name}`: npm `{package}@{version}` ({member[len('package/'):]}), "
                         f"sha256 {hashlib.sha256(data).hexdigest()}")
    notes += ["", "Licences: ECharts is Apache-2.0 (echarts.common.min.js.LICENSE.txt). Viz.js is MIT",
              "(Copyright (c) Michael Daines; its header names the Graphviz (EPL-1.0) and Expat (MIT) code",
              "it contains in object code form).", ""]
    with open(os.path.join(VENDOR, "README.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(notes))


if __name__ == "__main__":
    main()
