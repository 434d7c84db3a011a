"""What the boot program (planner/runtime/ultraplan-node.sh) talks to, faked for tests.

- AWS: a moto server (moto[server] on 127.0.0.1), reached through `AWS_ENDPOINT_URL` by the AWS CLI
  the program calls. moto has no DescribeInstanceTopology, so a loopback proxy in front of moto
  answers that one action from a seeded table (instance id -> capacity block id, as EC2 returns it
  for UltraServer instances) and forwards every other request to moto unchanged.
- IMDSv2: a loopback server that hands out a token on PUT /latest/api/token and answers
  /latest/meta-data/{instance-id,local-ipv4} for the instance the test says the program runs on,
  only with that token.
- The node itself: a test root (ULTRAPLAN_ROOT) with /sys/class/infiniband devices, and stubs on
  PATH for hostnamectl, systemctl, mount, dnf, lfs and nvidia-imex-ctl that log their arguments.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import socket
import stat
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class TopologyProxy:
    """Forwards to moto; answers DescribeInstanceTopology from `blocks` (id -> capacity block id)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.blocks: dict[str, str] = {}
        self.instance_type = "p6e-gb200.36xlarge"
        self.topology_calls = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = parse_qs(body.decode("utf-8", "replace"))
                if form.get("Action") == ["DescribeInstanceTopology"]:
                    proxy.topology_calls += 1
                    ids = [v[0] for k, v in sorted(form.items()) if k.startswith("InstanceId.")]
                    return self._answer(200, proxy.topology_xml(ids).encode(), "text/xml")
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self._answer(resp.status, data, resp.getheader("Content-Type") or "text/xml")

            do_GET = do_POST

            def _answer(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server, self.url = _serve(Handler)

    def topology_xml(self, ids: list[str]) -> str:
        items = "".join(
            f"<item><instanceId>{escape(i)}</instanceId><instanceType>{self.instance_type}</instanceType>"
            f"<networkNodeSet><item>nn-0000000000000001</item></networkNodeSet>"
            f"<availabilityZone>us-east-1-dfw-2a</availabilityZone><zoneId>use1-dfw2-az1</zoneId>"
            + (f"<capacityBlockId>{escape(self.blocks[i])}</capacityBlockId>" if i in self.blocks else "")
            + "</item>" for i in ids)
        return (f'<DescribeInstanceTopologyResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                f"<requestId>{uuid.uuid4()}</requestId><instanceSet>{items}</instanceSet>"
                "</DescribeInstanceTopologyResponse>")

    def close(self) -> None:
        self._server.shutdown()


class FakeImds:
    """IMDSv2 for one instance at a time (`imds.instance = (id, ip)`)."""

    def __init__(self) -> None:
        self.instance: tuple[str, str] = ("", "")
        self.token = uuid.uuid4().hex
        imds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def do_PUT(self) -> None:
                if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self._answer(400, "")
                self._answer(200, imds.token)

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") != imds.token:
                    return self._answer(401, "")  # IMDSv2 only, as the launch template requires
                answers = {"/latest/meta-data/instance-id": imds.instance[0],
                           "/latest/meta-data/local-ipv4": imds.instance[1]}
                if self.path not in answers:
                    return self._answer(404, "")
                self._answer(200, answers[self.path])

            def _answer(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server, self.url = _serve(Handler)

    def close(self) -> None:
        self._server.shutdown()


STUBS = {
    "hostnamectl": "",
    "systemctl": "",
    "mount": "",
    "dnf": "",
    "lfs": 'echo "lfs ${LFS_VERSION:-2.15.6}"',
    "nvidia-imex-ctl": 'echo "${IMEX_STATUS:-READY}"',
}


def install_stubs(bin_dir: str, log: str) -> None:
    """Stubs that append `name args...` to `log` (and print what the real tool would, where read)."""
    os.makedirs(bin_dir, exist_ok=True)
    for name, body in STUBS.items():
        path = os.path.join(bin_dir, name)
        with open(path, "w") as fh:
            fh.write(f'#!/bin/bash\necho "{name} $*" >> "{log}"\n{body}\n')
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
