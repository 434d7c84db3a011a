"""Run under Debian's python3 with its cloud-init package: read a user data document as cloud-init
does on a node (its UserDataProcessor, then its cloud-config and shell-script part handlers) and
print the merged cloud-config and the instance scripts, in the order scripts-user runs them.

    /usr/bin/python3 tests/cloudinit_merge.py USER_DATA_FILE  ->  {"config": {...}, "scripts": [...]}
"""
import json
import os
import sys
import tempfile

from cloudinit import handlers, helpers, util
from cloudinit import user_data as ud
from cloudinit.handlers.cloud_config import CloudConfigPartHandler
from cloudinit.handlers.shell_script import ShellScriptPartHandler


class Datasource:
    def get_instance_id(self):
        return "i-test"


def main(path):
    with open(path, "rb") as fh:
        blob = fh.read()
    tmp = tempfile.mkdtemp()
    paths = helpers.Paths({"cloud_dir": tmp, "run_dir": tmp}, Datasource())
    os.makedirs(os.path.join(tmp, "instances", "i-test", "scripts"), exist_ok=True)
    message = ud.UserDataProcessor(paths).process(blob)  # decompresses gzip, splits the MIME parts
    cc, sh = CloudConfigPartHandler(paths), ShellScriptPartHandler(paths)
    table = {t: h for h in (cc, sh) for t in h.list_types()}
    data = {"handlers": table, "handlerdir": tmp, "data": None, "frequency": "once-per-instance",
            "handlercount": 0, "excluded": []}
    for h in (cc, sh):
        handlers.call_begin(h, None, "once-per-instance")
    handlers.walk(message, handlers.walker_callback, data)
    for h in (cc, sh):
        handlers.call_end(h, None, "once-per-instance")
    config = util.load_yaml(util.load_file(cc.cloud_fn))
    print(json.dumps({"config": config, "scripts": sorted(os.listdir(sh.script_dir))}))


if __name__ == "__main__":
    main(sys.argv[1])
