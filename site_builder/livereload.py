"""A generic live-reload server: serve a folder, watch some source folders, rebuild on change, reload browsers.

It knows nothing of what it serves. It is handed a `rebuild` callable that
brings the folder up to date with the sources, given the paths the watcher saw
change, and it speaks the LiveReload protocol (official-7) with the browsers
(the client script comes from the livereload package). While a rebuild fails
with `Broken`, every page request gets an error page listing what is wrong;
the last good files stay on disk, and the next good rebuild brings the pages
back.

Threads: the HTTP server (Tornado) runs the pages and the LiveReload websocket;
one thread polls the sources and runs the rebuilds.

A caller may add its own request handlers (`routes`, matched before the
folder) and change every HTML page served (`inject`, given the page's URL path
and its first chunk, which holds the head and the start of the body); a page
that must not reload by itself says so with the NO_RELOAD_HEADER header.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from tornado import httpserver, httputil, netutil, web, websocket

from .hosts import allowed_host, same_origin

log = logging.getLogger(__name__)

POLL_SECONDS = 0.025  # how often the sources are checked for changes (a check takes about a millisecond)
MAX_BODY_SIZE = 4 * 1024 * 1024  # Tornado's own default is 100 MB, buffered before any handler can refuse it
SERVE_PAUSE = 0.1  # after telling browsers to reload, the rebuild waits this long so that their requests go first

_SCRIPT = b'<script src="/livereload.js"></script>'
NO_RELOAD_HEADER = "X-Preview-No-Reload"  # a route's page that must never reload (a form being filled in) sets it
_HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
          "serverName": "site-builder"}


class Broken(Exception):
    """A rebuild failed in a way the author can fix; carries what to show them (one item a line)."""

    def __init__(self, problems: list, what: str):
        super().__init__(what)
        self.problems = list(problems)
        self.what = what


@dataclass
class Session:
    """What a rebuild is told: the pages open in browsers, and whom to tell what it wrote."""

    wanted: tuple[str, ...]  # output paths of the pages open in browsers, e.g. "en/index.html"
    written: Callable[[str, set[str]], None]  # (step name, output paths written) after each step
    superseded: Callable[[], bool]  # whether a newer change waits: stop early then


class Rebuild(Protocol):
    def __call__(self, changed: set[str], session: Session) -> bool:
        """Bring the folder up to date with the sources; return whether every file was checked."""


class LiveReloadServer:
    """Serve `folder` with live reload; `rebuild` keeps it up to date with the `watched` folders of `root`."""

    def __init__(self, folder: Path, rebuild: Rebuild, *, root: Path, watched: Iterable[str],
                 failed: Callable[[Broken], None], recovered: Callable[[], None],
                 error_page: Callable[[tuple, str], bytes], host: str = "127.0.0.1", port: int = 8000,
                 poll: float = POLL_SECONDS, routes: Sequence[tuple] = (),
                 inject: Callable[[str, bytes], bytes] | None = None, max_body_size: int = MAX_BODY_SIZE):
        """`failed`, `recovered` and `error_page` say what went wrong and right, in the caller's words
        (the server has none of its own: whatever an author reads comes from the caller, translated).

        `routes` are Tornado URL specs (pattern, handler, kwargs) served before the folder;
        `inject(url_path, html)` returns an HTML page's first chunk changed (links added, say).
        A request body over `max_body_size` bytes is refused before it is read into memory.
        """
        self.folder = folder
        self.host = host
        self.port = port
        self.poll = poll
        self.max_body_size = max_body_size
        self.problems: tuple = ()  # what is wrong now; pages show an error page while there is any
        self.passes = 0  # rebuilds finished (complete or not), for tests and benchmarks
        self.complete = False  # whether the last rebuild checked every file
        self._rebuild_site = rebuild
        self._report_failure = failed
        self._report_recovery = recovered
        self._error_page = error_page
        self._routes = list(routes)
        self._inject = inject
        self._watcher = Watcher(root, watched)
        self._building = False
        self._pending: set[str] = set()  # changes noticed and not built yet (guarded by _lock)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._clients: dict[_LiveReloadSocket, str | None] = {}  # each browser and the page it shows
        self._wanted: tuple[str, ...] = ()
        self._sockets: list = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._threads: list[threading.Thread] = []
        self._last_check = 0.0

    # --- life cycle ------------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The address the server listens on (after start)."""
        return self._sockets[0].getsockname()[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    @property
    def stopping(self) -> threading.Event:
        """Set when the server is asked to stop (for the caller's own background work)."""
        return self._stop

    def start(self) -> None:
        """Listen, build everything once, and start watching (the HTTP server runs in `serve_forever`)."""
        self._sockets = netutil.bind_sockets(self.port, address=self.host)
        self._rebuild()
        self.thread(self._watch, "watch")

    def serve_forever(self) -> None:
        """Run the HTTP server in this thread until `stop()` (or Ctrl+C)."""
        asyncio.run(self._serve())

    def serve_in_background(self) -> None:
        """Run the HTTP server in a thread; return once it listens."""
        ready = threading.Event()
        self.thread(lambda: asyncio.run(self._serve(ready)), "http")
        ready.wait()
        if self._stop.is_set():
            raise RuntimeError("the live-reload server did not start")

    def stop(self) -> None:
        """Ask every thread to stop; safe from any thread."""
        self._stop.set()
        if self._loop and self._stopped:
            try:
                self._loop.call_soon_threadsafe(self._stopped.set)
            except RuntimeError:  # the loop has already closed
                pass

    def close(self) -> None:
        """Stop and wait for every thread; close the sockets."""
        self.stop()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        for sock in self._sockets:
            sock.close()

    def thread(self, target: Callable[[], None], name: str) -> None:
        """Run `target` in a daemon thread that `close()` waits for."""
        thread = threading.Thread(target=target, name=f"preview-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- HTTP ------------------------------------------------------------------------------
    async def _serve(self, ready: threading.Event | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        app = web.Application([
            (r"/livereload", _LiveReloadSocket, {"server": self}),
            (r"/livereload\.js", _LiveReloadScript, {"server": self}),
            *self._routes,
            (r"/(.*)", _FolderFiles, {"server": self}),
        # Tornado calls each transform with the request: a partial with the caller's `inject` is one.
        ], transforms=[functools.partial(_InjectScript, inject=self._inject)])  # type: ignore[list-item]
        try:
            server = httpserver.HTTPServer(app, max_body_size=self.max_body_size)
            server.add_sockets(self._sockets)
        except BaseException:
            self._stop.set()
            raise
        finally:
            if ready:
                ready.set()
        try:
            if self._stop.is_set():
                return
            await self._stopped.wait()
        finally:
            self._stop.set()
            server.stop()
            for client in list(self._clients):
                client.close()
            await server.close_all_connections()

    def _hello(self, client: _LiveReloadSocket, url: str | None) -> None:
        self._clients[client] = output_path(url) if url else None
        self._wanted = tuple(p for p in self._clients.values() if p)

    def _bye(self, client: _LiveReloadSocket) -> None:
        self._clients.pop(client, None)
        self._wanted = tuple(p for p in self._clients.values() if p)

    def _reload(self, paths: set[str] | None) -> None:
        """Reload the browsers showing one of `paths` (every browser when None); run in the server's loop."""
        static = sorted(p for p in paths or () if p.endswith((".css", ".png", ".jpg", ".jpeg", ".svg", ".gif")))
        for client, page in list(self._clients.items()):
            if paths is None or (page in paths if page else len(static) < len(paths)):
                client.send({"command": "reload", "path": "/" + (page or ""), "liveCSS": True, "liveImg": True})
            else:  # the client swaps a stylesheet or an image in place, and reloads the page for anything else
                for path in static:
                    client.send({"command": "reload", "path": "/" + path, "liveCSS": True, "liveImg": True})

    def tell_browsers(self, paths: set[str] | None) -> None:
        """Reload the browsers showing one of `paths` (every browser when None); safe from any thread."""
        if self._loop is not None and (paths is None or paths):
            try:
                self._loop.call_soon_threadsafe(self._reload, paths)
            except RuntimeError:  # the loop has closed
                pass

    def error_page(self, path: str = "") -> bytes:
        """Return the page shown in place of the page at `path` while the last rebuild failed."""
        return self._error_page(self.problems, path)

    # --- rebuilding ------------------------------------------------------------------------
    @property
    def open_pages(self) -> tuple[str, ...]:
        """The files (under the folder) shown by the browsers connected now."""
        return self._wanted

    @property
    def idle(self) -> bool:
        """Whether the folder is up to date with the sources as last seen (or broken) and nothing waits."""
        with self._lock:
            waiting = bool(self._pending)
        finished = bool(self.problems) or self.complete
        return finished and not waiting and not self._building

    def poke(self, reason: str) -> None:
        """Start a rebuild although no source changed (a background job finished, say)."""
        with self._lock:
            self._pending.add(reason)

    def _watch(self) -> None:
        while not self._stop.is_set():
            changed = self._watcher.changes()
            if changed:
                with self._lock:
                    self._pending |= changed
            with self._lock:
                waiting = bool(self._pending)
            if waiting:
                self._rebuild()
            else:
                self._stop.wait(self.poll)

    def _superseded(self) -> bool:
        """Whether a newer change waits (checked between files; the sources are polled at most every `poll` s)."""
        if self._stop.is_set():
            return True
        now = time.monotonic()
        if now - self._last_check >= self.poll:
            self._last_check = now
            changed = self._watcher.changes()
            with self._lock:
                self._pending |= changed
        with self._lock:
            return bool(self._pending)

    def _rebuild(self) -> None:
        self._building = True
        with self._lock:
            changed, self._pending = self._pending, set()

        def written(name: str, paths: set[str]) -> None:
            if name == "wanted" and self.problems:
                self._recovered()
            elif paths:
                self.tell_browsers(paths)
            else:
                return
            if name != "rest" and self._clients:
                time.sleep(SERVE_PAUSE)  # rendering holds the interpreter; let the reloading browsers in first

        session = Session(self._wanted, written, self._superseded)
        try:
            self.complete = self._rebuild_site(changed, session)
            if self.problems:  # recovered although no page was open
                self._recovered()
        except Broken as exc:
            self.complete = False
            more = self._watcher.settled(0.05)
            if more:  # caught a file while it was being written: build again rather than report
                with self._lock:
                    self._pending |= more | changed
            else:
                self._failed(exc)
        finally:
            self.passes += 1
            self._building = False

    def _failed(self, exc: Broken) -> None:
        self._report_failure(exc)
        if tuple(exc.problems) != self.problems:
            self.problems = tuple(exc.problems)
            self.tell_browsers(None)

    def _recovered(self) -> None:
        self.problems = ()
        self._report_recovery()
        self.tell_browsers(None)


def output_path(url: str) -> str | None:
    """Return the file under the served folder that a page URL shows, e.g. "en/cases/x/index.html"."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if ".." in path.split("/"):
        return None
    return path + "index.html" if path == "" or path.endswith("/") else path


# --- the web side -------------------------------------------------------------------------------
class _InjectScript(web.OutputTransform):
    """Add the LiveReload client to every HTML page served, and what the caller's `inject` adds."""

    def __init__(self, request: httputil.HTTPServerRequest, inject: Callable[[str, bytes], bytes] | None = None):
        super().__init__(request)
        self._path = unquote(urlsplit(request.uri or "/").path)
        self._inject = inject

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if NO_RELOAD_HEADER in headers:
            del headers[NO_RELOAD_HEADER]
        elif "text/html" in headers.get("Content-Type", "") and b"</head>" in chunk:
            changed = chunk.replace(b"</head>", _SCRIPT + b"</head>", 1)
            if self._inject is not None:
                changed = self._inject(self._path, changed)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(int(headers["Content-Length"]) + len(changed) - len(chunk))
            chunk = changed
        return status_code, headers, chunk


class _LocalOnly:
    """Answer only requests whose Host names this machine (see hosts.py: DNS rebinding)."""

    server: LiveReloadServer
    request: httputil.HTTPServerRequest  # RequestHandler's, which this is mixed into

    def prepare(self) -> None:
        if not allowed_host(self.request.headers.get("Host"), self.server.host):
            raise web.HTTPError(403, "Host %r not allowed", self.request.headers.get("Host"))


class _FolderFiles(_LocalOnly, web.StaticFileHandler):
    """The served folder; every page is the error page while the last rebuild failed."""

    # Tornado passes each handler's own URL-spec arguments to initialize(), so its signature is the handler's to choose.
    def initialize(self, server: LiveReloadServer) -> None:  # type: ignore[override]
        self.server = server
        super().initialize(path=str(server.folder), default_filename="index.html")

    async def get(self, path: str, include_body: bool = True) -> None:
        if "\0" in path:  # a file name never holds NUL; the file system would raise
            raise web.HTTPError(400, "NUL in the path")
        if self.server.problems and _is_page(path):
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(self.server.error_page(path) if include_body else b"")
            return
        await super().get(path, include_body)

    def compute_etag(self) -> None:
        return None  # the files change under the same names; never let the browser keep one

    def should_return_304(self) -> bool:
        return False

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs) -> None:
        missing = self.server.folder / "404.html"
        if status_code == 404 and missing.is_file():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(missing.read_bytes())
        else:
            super().write_error(status_code, **kwargs)


def _is_page(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return last == "" or last.endswith(".html") or "." not in last


class _LiveReloadScript(_LocalOnly, web.RequestHandler):
    """The LiveReload browser client, as shipped with the livereload package."""

    def initialize(self, server: LiveReloadServer) -> None:
        self.server = server

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript")
        self.write((resources.files("livereload") / "vendors" / "livereload.js").read_bytes())


class _LiveReloadSocket(_LocalOnly, websocket.WebSocketHandler):
    """The LiveReload protocol (official-7): hello, then info with the page's URL; the server sends reload."""

    def initialize(self, server: LiveReloadServer) -> None:
        self.server = server

    def check_origin(self, origin: str) -> bool:
        # Tornado accepts an Origin whose host equals the Host header: a rebound name passes that. A page of
        # another local server (another port) has no business with this one's reloads either.
        return same_origin(origin, self.request.headers.get("Host"), self.request.protocol, self.server.host)

    def on_message(self, message) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("command") == "hello":
            self.send(_HELLO)
            self.server._hello(self, None)
        elif data.get("command") == "info" and isinstance(data.get("url"), str) and self in self.server._clients:
            self.server._hello(self, data["url"])

    def send(self, message: dict) -> None:
        try:
            self.write_message(json.dumps(message))
        except websocket.WebSocketClosedError:
            self.server._bye(self)

    def on_close(self) -> None:
        self.server._bye(self)


# --- watching the sources ---------------------------------------------------------------------

_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".bak")


def ignored(name: str) -> bool:
    """Return whether a file name is an editor's or a tool's scratch file, not a source."""
    return name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES) or name == "4913"


class Watcher:
    """Notice files added, changed or removed under some folders of `root`, by polling."""

    def __init__(self, root: Path, folders: Iterable[str]):
        self.root = root
        self.folders = tuple(folders)
        self._seen = self._scan()

    def _scan(self) -> dict[str, tuple[int, int, int]]:
        seen = {}
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(self.root / folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
                for name in filenames:
                    if ignored(name):
                        continue
                    path = os.path.join(dirpath, name)
                    try:
                        st = os.stat(path)
                    except OSError:  # removed while we looked
                        continue
                    seen[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return seen

    def changes(self) -> set[str]:
        """Return the files (relative to the root) added, changed or removed since the last call."""
        seen = self._scan()
        changed = {p for p in seen.keys() | self._seen.keys() if seen.get(p) != self._seen.get(p)}
        self._seen = seen
        return {Path(p).relative_to(self.root).as_posix() for p in changed}

    def settled(self, pause: float = 0.02, longest: float = 1.0) -> set[str]:
        """Wait until nothing changed for `pause` seconds (an editor may write a file in parts); return what did."""
        changed: set[str] = set()
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline:
            time.sleep(pause)
            more = self.changes()
            if not more:
                break
            changed |= more
        return changed
