"""A minimal LSP client for tests: drives the real yaml-language-server (npm, tests/lsp/) over stdio.

Only what the editor-schema tests need: initialize, open a document, wait for its diagnostics, ask
for completions. Server-to-client requests (workspace/configuration, registerCapability, ...) are
answered so the server never waits on us.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "lsp", "node_modules", "yaml-language-server", "bin", "yaml-language-server")
YAML_SETTINGS = {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False},
                 "format": {"enable": False}}


def server_command() -> list[str] | None:
    node = shutil.which("node")
    if node is None or not os.path.exists(SERVER):
        return None
    return [node, SERVER, "--stdio"]


class LanguageServer:
    def __init__(self, command: list[str], root: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=root)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": f"file://{root}", "workspaceFolders": None,
            "capabilities": {"workspace": {"configuration": True},
                             "textDocument": {"completion": {"completionItem": {"snippetSupport": False,
                                                                                 "documentationFormat": ["plaintext"]}},
                                              "publishDiagnostics": {}}},
            "initializationOptions": {},
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": YAML_SETTINGS}})

    # -- framing ---------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self.messages.put(json.loads(stream.read(length)))

    # -- messages --------------------------------------------------------------------------------
    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        rid = self.next_id
        self._send({"id": rid, "method": method, "params": params})
        while True:
            msg = self._next()
            if msg.get("id") == rid and "method" not in msg:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result")

    def _next(self) -> dict[str, Any]:
        try:
            msg = self.messages.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError("yaml-language-server did not answer") from None
        self._handle(msg)
        return msg

    def _handle(self, msg: dict[str, Any]) -> None:
        method = msg.get("method")
        if method and "id" in msg:  # a request from the server: answer it
            result: Any = None
            if method == "workspace/configuration":
                result = [YAML_SETTINGS if item.get("section") == "yaml" else {}
                          for item in msg["params"].get("items", [])]
            self._send({"id": msg["id"], "result": result})
        elif method == "textDocument/publishDiagnostics":
            self.diagnostics[msg["params"]["uri"]] = msg["params"]["diagnostics"]

    def open(self, path: str, text: str) -> str:
        uri = f"file://{path}"
        self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                              "text": text}})
        return uri

    def wait_diagnostics(self, uri: str) -> list[dict[str, Any]]:
        while uri not in self.diagnostics:
            self._next()
        return self.diagnostics[uri]

    def completion(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        result = self.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                          "position": {"line": line, "character": character}})
        return result.get("items", []) if isinstance(result, dict) else (result or [])

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - the server may already be gone; it must not outlive the test
            self.proc.kill()
            self.proc.wait()
        finally:
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream:
                    stream.close()
