"""A small loopback fault proxy between preflight and a moto server, for the fail-closed tests.

    with moto_server() as moto_url, FaultProxy(moto_url, mode="deny") as proxy:
        env AWS_ENDPOINT_URL=proxy.url  ->  every AWS call answered 403

Modes (per request): `pass` (forward to moto), `deny` (HTTP 403 in the protocol's error shape:
EC2 query XML or AWS JSON), `throttle` (400 RequestLimitExceeded / ThrottlingException), `garbage`
(200 with bytes no parser reads), `truncate` (a forwarded answer cut in half, with the full
Content-Length), `reset` (the connection closed with RST, no answer), `delay` (hold the request
`delay` seconds, then forward). `proxy.requests` counts what reached the proxy.
"""
from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

MODES = ("pass", "deny", "throttle", "garbage", "truncate", "reset", "delay")


def _is_json_protocol(headers) -> bool:
    return "json" in (headers.get("Content-Type") or "") or bool(headers.get("X-Amz-Target"))


class FaultProxy:
    def __init__(self, upstream: str, mode: str = "pass", delay: float = 30.0) -> None:
        assert mode in MODES, mode
        self.upstream = urlsplit(upstream)
        self.mode = mode
        self.delay = delay
        self.requests = 0
        self._release = threading.Event()  # lets held (delayed) requests go at teardown
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                proxy.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.handle(self, body)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- one request ----------------------------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        mode = self.mode
        if mode == "deny":
            if _is_json_protocol(h.headers):
                self._send(h, 403, b'{"__type":"AccessDeniedException","message":"User is not authorized (fault proxy)"}',
                           "application/x-amz-json-1.1")
            else:
                self._send(h, 403, b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                                   b'<Code>UnauthorizedOperation</Code><Message>You are not authorized to perform '
                                   b'this operation (fault proxy).</Message></Error></Errors>'
                                   b'<RequestID>fault-proxy</RequestID></Response>', "text/xml")
        elif mode == "throttle":
            if _is_json_protocol(h.headers):
                self._send(h, 400, b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
                           "application/x-amz-json-1.1")
            else:
                self._send(h, 503, b'<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request '
                                   b'limit exceeded.</Message></Error></Errors></Response>', "text/xml")
        elif mode == "garbage":
            self._send(h, 200, b"\x00\xff<<not an AWS answer>>{{", "text/xml")
        elif mode == "reset":
            # SO_LINGER 0: close() sends RST, as a middlebox resetting the connection would.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
        else:
            if mode == "delay":
                self._release.wait(self.delay)
            status, headers, data = self._forward(h, body)
            if mode == "truncate":
                h.send_response(status)
                h.send_header("Content-Type", headers.get("Content-Type", "text/xml"))
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.write(data[: len(data) // 2])
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            self._send(h, status, data, headers.get("Content-Type", "text/xml"))

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port (real HTTP, real botocore parsing)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
