"""A small Language Server Protocol client: drives yaml-language-server as an editor's YAML plugin does.

JSON-RPC over the server's stdin and stdout (LSP base protocol: a Content-Length
header, then the JSON body). The server asks the client for its settings
(workspace/configuration) and may register capabilities; both are answered here.
"""
from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"

SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "format": {"enable": False},
                     "schemaStore": {"enable": False}, "yamlVersion": "1.2"}}


def available() -> str | None:
    """Return why the server cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (./bootstrap.sh test installs Debian's nodejs)"
    if not SERVER.exists():
        return "yaml-language-server is not installed (./bootstrap.sh test runs npm ci)"
    return None


class YamlLanguageServer:
    """A running yaml-language-server, spoken to over stdio."""

    def __init__(self, workspace: Path, locale: str = "en"):
        self.process = subprocess.Popen(["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._next_id = 0
        self._responses: dict[int, queue.Queue] = {}
        self._diagnostics: dict[str, queue.Queue] = {}
        self._last: dict[str, list] = {}  # the diagnostics last returned for each file
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {
            "processId": None, "rootUri": workspace.as_uri(), "locale": locale,
            "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]},
                                              "publishDiagnostics": {}},
                             "workspace": {"configuration": True}},
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    # --- the protocol ---------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        with self._lock:
            assert self.process.stdin is not None
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "id" in message and "method" in message:  # a request from the server
                self._answer(message)
            elif "id" in message:
                self._responses.setdefault(message["id"], queue.Queue()).put(message)
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self._diagnostics.setdefault(params["uri"], queue.Queue()).put(params["diagnostics"])

    def _answer(self, request: dict[str, Any]) -> None:
        result: Any = None
        if request["method"] == "workspace/configuration":
            result = [SETTINGS.get(item.get("section", ""), SETTINGS["yaml"]) if item.get("section") != "yaml"
                      else SETTINGS["yaml"] for item in request["params"]["items"]]
        self._send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        """Send a request and return its result."""
        self._next_id += 1
        ident = self._next_id
        box = self._responses.setdefault(ident, queue.Queue())
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        response = box.get(timeout=timeout)
        if "error" in response:
            raise RuntimeError(response["error"])
        return response.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification."""
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    # --- what an editor does ----------------------------------------------------------------------
    def open(self, path: Path) -> None:
        """Open a file as the editor does when the editor opens it."""
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": path.read_text(encoding="utf-8")}})

    def diagnostics(self, path: Path, timeout: float = 30) -> list[dict[str, Any]]:
        """Return the diagnostics the server publishes for an opened file.

        The server may publish twice (before and after it loaded the schema); the last
        publication within a short quiet spell is the one an editor shows.
        """
        uri = path.as_uri()
        box = self._diagnostics.setdefault(uri, queue.Queue())
        found = self._last[uri] if uri in self._last and box.empty() else box.get(timeout=timeout)
        while True:
            try:
                found = box.get(timeout=0.5)
            except queue.Empty:
                self._last[uri] = found
                return found

    def hover(self, path: Path, line: int, character: int) -> str:
        """Return the hover text at a 0-based line and character."""
        result = self.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                     "position": {"line": line, "character": character}})
        if not result:
            return ""
        contents = result["contents"]
        return contents["value"] if isinstance(contents, dict) else str(contents)

    def close(self) -> None:
        """Shut the server down."""
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
            self.process.wait()
