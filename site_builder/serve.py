"""Live preview: build into a private folder, serve it, and on every change rebuild what changed and reload the browser.

Threads: the HTTP server (Tornado) runs the web pages and the LiveReload
websocket; a build thread polls the sources and runs the passes of
`incremental.LiveSite`; optional workers write the search index and render
the PDF editions in the background, so neither delays a reload.

A browser reloads when the page it shows was rewritten (or a stylesheet
changed). While the content has errors, each is printed in the terminal and
every page request gets an error page listing them; the last good pages stay
on disk, and the next good save brings the site back.
"""
from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from tornado import httpserver, netutil, web, websocket

from .content import CASES_DIR, GUIDE_FILE, POLICIES_DIR, load_site
from .hosts import allowed_host, allowed_origin
from .incremental import LiveSite, Pass, Watcher
from .messages import Message, _, current_language
from .problems import ContentError, Problem, display_path
from .render import THEME_DIR
from .write import replace_file

log = logging.getLogger(__name__)

WATCHED = (CASES_DIR, POLICIES_DIR, str(GUIDE_FILE.parent), str(THEME_DIR), "translations")
POLL_SECONDS = 0.025  # how often the sources are checked for changes (a check takes about a millisecond)
SERVE_PAUSE = 0.1  # after telling browsers to reload, the build waits this long so that their requests go first
INDEX_DELAY = 0.5  # quiet time before the search index is rebuilt
PDF_DELAY = 2.0  # quiet time before the PDF editions are rendered again (with --pdf)

_SCRIPT = b'<script src="/livereload.js"></script>'
_HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
          "serverName": "site-builder"}


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, draft: bool = False, pdf: bool = False,
          search: bool = True) -> None:
    """Serve a live-reloading preview of the site until interrupted."""
    preview = Preview(root, host=host, port=port, draft=draft, pdf=pdf, search=search)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    if threading.current_thread() is threading.main_thread():  # `kill` stops it as cleanly as Ctrl+C
        signal.signal(signal.SIGTERM, lambda number, frame: preview.stop())
    try:
        preview.start()
        if not ipaddress.ip_address(preview.address[0]).is_loopback:
            log.warning("%s", _("WARNING: listening on %(address)s: other machines can see the preview",
                                  address=preview.address[0]).render())
        log.info("%s", _("serving %(url)s — edit files under %(folders)s; Ctrl+C to stop",
                         url=f"{preview.url}{'zh' if current_language() == 'zh' else 'en'}/",
                         folders=", ".join(WATCHED)).render())
        preview.serve_forever()
    finally:
        preview.close()


class Preview:
    """The live preview of one project. Use `with Preview(...) as p:` to run it in the background."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 8000, draft: bool = False,
                 pdf: bool = False, search: bool = True, poll: float = POLL_SECONDS):
        self.root = root
        self.host = host
        self.port = port
        self.poll = poll
        self._folder = Path(tempfile.mkdtemp(prefix="site-builder-preview-"))
        self.output = self._folder / "site"
        self.output.mkdir()
        self.site = LiveSite(root, self.output, draft=draft)
        self.problems: tuple[Problem, ...] = ()  # what is wrong now; pages show an error page while there is any
        self.passes = 0  # passes finished (complete or not), for tests and benchmarks
        self.last_pass: Pass | None = None
        self._building = False
        self._watcher = Watcher(root, WATCHED)
        self._pending: set[str] = set()  # changes noticed and not built yet (guarded by _lock)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wanted: tuple[str, ...] = ()  # output paths of the pages open in browsers
        self._clients: dict[_LiveReloadSocket, str | None] = {}  # each browser and the page it shows
        self._warnings: list[Problem] = []
        self._sockets: list = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._threads: list[threading.Thread] = []
        self._indexer = _Indexer(self, self._stop) if search else None
        self._pdfs = _PdfWorker(self, self._stop) if pdf else None
        self._last_check = 0.0
        self._unindexed = False  # pages were written since the search index was last asked for

    # --- life cycle ------------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The address the server listens on (after start)."""
        return self._sockets[0].getsockname()[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self) -> None:
        """Build the site, listen, and start watching (the HTTP server runs in `serve_forever`)."""
        self._sockets = netutil.bind_sockets(self.port, address=self.host)
        self._rebuild(first=True)
        for worker in filter(None, (self._indexer, self._pdfs)):
            self._thread(worker.run, type(worker).__name__)
        if self._pdfs:
            self._pdfs.request()
        self._thread(self._watch, "watch")

    def serve_forever(self) -> None:
        """Run the HTTP server in this thread until `stop()` (or Ctrl+C)."""
        asyncio.run(self._serve())

    def stop(self) -> None:
        """Ask every thread to stop; safe from any thread."""
        self._stop.set()
        if self._loop and self._stopped:
            try:
                self._loop.call_soon_threadsafe(self._stopped.set)
            except RuntimeError:  # the loop has already closed
                pass

    def close(self) -> None:
        """Stop, wait for every thread and worker process, and remove the private folder."""
        self.stop()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        for sock in self._sockets:
            sock.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Preview:
        self.start()
        ready = threading.Event()
        self._thread(lambda: asyncio.run(self._serve(ready)), "http")
        ready.wait()
        if self._stop.is_set():
            self.close()
            raise RuntimeError("the preview's server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _thread(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=f"preview-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- HTTP ------------------------------------------------------------------------------
    async def _serve(self, ready: threading.Event | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        app = web.Application([
            (r"/livereload", _LiveReloadSocket, {"preview": self}),
            (r"/livereload\.js", _LiveReloadScript, {"preview": self}),
            (r"/(.*)", _SiteFiles, {"preview": self}),
        ], transforms=[_InjectScript])
        try:
            server = httpserver.HTTPServer(app)
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
        self._clients[client] = _output_path(url) if url else None
        self._wanted = tuple(p for p in self._clients.values() if p)

    def _bye(self, client: _LiveReloadSocket) -> None:
        self._clients.pop(client, None)
        self._wanted = tuple(p for p in self._clients.values() if p)

    def _reload(self, paths: set[str] | None) -> None:
        """Reload the browsers showing one of `paths` (every browser when None); run in the server's loop."""
        static = sorted(p for p in paths or () if p.startswith("static/"))
        for client, page in list(self._clients.items()):
            if paths is None or (page in paths if page else len(static) < len(paths)):
                client.send({"command": "reload", "path": "/" + (page or ""), "liveCSS": True, "liveImg": True})
            else:  # the client swaps a stylesheet or an image in place, and reloads the page for anything else
                for path in static:
                    client.send({"command": "reload", "path": "/" + path, "liveCSS": True, "liveImg": True})

    def _tell_browsers(self, paths: set[str] | None) -> None:
        if self._loop is not None and (paths is None or paths):
            try:
                self._loop.call_soon_threadsafe(self._reload, paths)
            except RuntimeError:  # the loop has closed
                pass

    # --- building --------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            changed = self._watcher.changes()
            with self._lock:
                changed |= self._pending
            if changed:
                self._add_pending(changed)
                self._rebuild()
            else:
                self._stop.wait(self.poll)

    @property
    def open_pages(self) -> tuple[str, ...]:
        """The files (under the output folder) shown by the browsers connected now."""
        return self._wanted

    @property
    def idle(self) -> bool:
        """Whether the whole site is up to date with the sources as last seen (or has errors) and nothing waits."""
        with self._lock:
            waiting = bool(self._pending)
        finished = bool(self.problems) or (self.last_pass is not None and self.last_pass.complete)
        return finished and not waiting and not self._building

    def _take_pending(self) -> set[str]:
        with self._lock:
            pending, self._pending = self._pending, set()
        return pending

    def _add_pending(self, changed: set[str]) -> None:
        with self._lock:
            self._pending |= changed

    def poke(self, reason: str) -> None:
        """Start a pass although no source changed (the PDF editions were rendered, say)."""
        self._add_pending({reason})

    def _superseded(self) -> bool:
        """Whether a newer change waits (checked between pages; the sources are polled at most every `poll` s)."""
        if self._stop.is_set():
            return True
        now = time.monotonic()
        if now - self._last_check >= self.poll:
            self._last_check = now
            self._add_pending(self._watcher.changes())
        with self._lock:
            return bool(self._pending)

    def _rebuild(self, first: bool = False) -> None:
        started = time.perf_counter()
        self._building = True
        changed = self._take_pending()
        timings: dict[str, float] = {}

        def step(name: str, paths: set[str]) -> None:
            timings[name] = time.perf_counter() - started
            self._unindexed = self._unindexed or any(p.endswith(".html") for p in paths)
            if name == "wanted" and self.problems:
                self._recovered()
            elif paths:
                self._tell_browsers(paths)
            else:
                return
            if name != "rest" and self._clients:
                time.sleep(SERVE_PAUSE)  # rendering holds the interpreter; let the reloading browsers in first

        try:
            result = self.site.update(wanted=self._wanted, step=step, superseded=self._superseded)
            self.last_pass = result
            if self.problems:  # recovered although no page was open
                self._recovered()
        except ContentError as exc:
            more = self._watcher.settled(0.05)
            if more:  # caught a file while it was being written: build again rather than report
                self._add_pending(more)
            else:
                self._failed(exc.problems, _("the content has errors"))
            return
        except Exception as exc:  # a template error, most likely; the preview goes on
            log.debug("rebuild failed", exc_info=True)
            self._failed([_located(exc, self.root)], _("a template or the builder failed"))
            return
        finally:
            self.passes += 1
            self._building = False
        self._report_warnings(result)
        if self._pdfs and changed - {"pdf"}:
            self._pdfs.request()
        if result.complete and self._indexer and self._unindexed:
            self._unindexed = False
            self._indexer.request()
        if first:
            log.info("%s", _("built %(count)d files in %(seconds).1f s", count=len(result.changed),
                             seconds=time.perf_counter() - started).render())
        elif result.complete:
            shown = ", ".join(sorted(changed - {"pdf"})[:3]) or "the PDF editions"
            log.info("%s", _("%(files)s → %(count)d file(s) updated in %(seconds).1f s", files=shown,
                             count=len(result.changed), seconds=time.perf_counter() - started).render())
            log.debug("steps done after: %s", ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in timings.items()))

    def _failed(self, problems: list[Problem], what: Message) -> None:
        from .cli import report

        report(problems)
        log.error("%s", _("not rebuilt: %(what)s; fix them and save — the last good pages stay on disk",
                          what=what).render())
        if tuple(problems) != self.problems:
            self.problems = tuple(problems)
            self._tell_browsers(None)

    def _recovered(self) -> None:
        self.problems = ()
        log.info("%s", _("fixed: the preview is up to date again").render())
        self._tell_browsers(None)

    def _report_warnings(self, result: Pass) -> None:
        if result.warnings != self._warnings:
            from .cli import report

            report(result.warnings)
            self._warnings = result.warnings

    def error_page(self, lang: str = "en") -> bytes:
        """Return the page shown in place of every page while the content has errors, in `lang`."""
        items = "\n".join(f"<li><code>{html.escape(p.render(lang))}</code></li>" for p in self.problems)
        title = html.escape(_("Preview: errors").render(lang))
        heading = html.escape(_("The preview is not up to date").render(lang))
        advice = html.escape(_("%(count)d problem(s) to fix. The page reloads by itself when you save a fix; the last "
                               "good pages are kept until then.", count=len(self.problems)).render(lang))
        return (
            f"<!doctype html>\n<html lang=\"{_HTML_LANG.get(lang, 'en')}\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}"
            "li{margin:.5rem 0;color:#8b0000}code{white-space:pre-wrap}</style></head><body>"
            f"<h1>{heading}</h1><p>{advice}</p>\n<ol>\n{items}\n</ol>"
            "</body></html>\n"
        ).encode("utf-8")


_HTML_LANG = {"en": "en", "zh": "zh-CN"}


def _page_language(path: str) -> str:
    """Return the language of the page at a URL path: its first folder, e.g. "zh" for zh/cases/x/."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in _HTML_LANG else current_language()


def _output_path(url: str) -> str | None:
    """Return the file under the output folder that a page URL shows, e.g. "en/cases/x/index.html"."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if ".." in path.split("/"):
        return None
    return path + "index.html" if path == "" or path.endswith("/") else path


def _located(exc: BaseException, root: Path) -> Problem:
    """Return an error as a located problem: the template line that failed when there is one."""
    message = f"{type(exc).__name__}: {exc}"
    hint = _("fix it and save; the last good pages stay on disk")
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Problem(display_path(Path(exc.filename), root), exc.lineno or 1, 1, "", exc.message or message, hint)
    templates = str(root / THEME_DIR)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(templates):
            return Problem(display_path(Path(frame.filename), root), frame.lineno or 1, 1, "", message, hint)
    return Problem("(builder)", 0, 0, "", message, _("run with -v to see where it failed"))


# --- the web side -------------------------------------------------------------------------------
class _InjectScript(web.OutputTransform):
    """Add the LiveReload client to every HTML page served."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if "text/html" in headers.get("Content-Type", "") and b"</head>" in chunk:
            chunk = chunk.replace(b"</head>", _SCRIPT + b"</head>", 1)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(int(headers["Content-Length"]) + len(_SCRIPT))
        return status_code, headers, chunk


class _LocalOnly:
    """Answer only requests whose Host names this machine (see hosts.py: DNS rebinding)."""

    preview: Preview

    def prepare(self) -> None:
        if not allowed_host(self.request.headers.get("Host"), self.preview.host):
            raise web.HTTPError(403, "Host %r not allowed", self.request.headers.get("Host"))


class _SiteFiles(_LocalOnly, web.StaticFileHandler):
    """The built site; every page is the error page while the content has errors."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview
        super().initialize(path=str(preview.output), default_filename="index.html")

    async def get(self, path: str, include_body: bool = True) -> None:
        if "\0" in path:  # a file name never holds NUL; the file system would raise
            raise web.HTTPError(400, "NUL in the path")
        if self.preview.problems and _is_page(path):
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(self.preview.error_page(_page_language(path)) if include_body else b"")
            return
        await super().get(path, include_body)

    def compute_etag(self) -> None:
        return None  # the files change under the same names; never let the browser keep one

    def should_return_304(self) -> bool:
        return False

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs) -> None:
        missing = self.preview.output / "404.html"
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

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript")
        self.write((resources.files("livereload") / "vendors" / "livereload.js").read_bytes())


class _LiveReloadSocket(_LocalOnly, websocket.WebSocketHandler):
    """The LiveReload protocol (official-7): hello, then info with the page's URL; the server sends reload."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def check_origin(self, origin: str) -> bool:
        # Tornado accepts an Origin whose host equals the Host header: a rebound name passes that.
        return allowed_origin(origin, self.preview.host)

    def on_message(self, message) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("command") == "hello":
            self.send(_HELLO)
            self.preview._hello(self, None)
        elif data.get("command") == "info" and isinstance(data.get("url"), str) and self in self.preview._clients:
            self.preview._hello(self, data["url"])

    def send(self, message: dict) -> None:
        try:
            self.write_message(json.dumps(message))
        except websocket.WebSocketClosedError:
            self.preview._bye(self)

    def on_close(self) -> None:
        self.preview._bye(self)


# --- background workers ----------------------------------------------------------------------------
class _Debounced:
    """A worker that runs `work()` once requests have stopped coming for `delay` seconds."""

    delay = 0.5

    def __init__(self, stop: threading.Event):
        self._stop = stop
        self._requested = threading.Event()
        self._last = 0.0

    def request(self) -> None:
        self._last = time.monotonic()
        self._requested.set()

    def run(self) -> None:
        while not self._stop.is_set():
            if not self._requested.wait(0.1):
                continue
            if time.monotonic() - self._last < self.delay:
                self._stop.wait(0.05)
                continue
            self._requested.clear()
            try:
                self.work()
            except Exception:
                log.exception("%s failed", type(self).__name__)

    def work(self) -> None:
        raise NotImplementedError


class _Indexer(_Debounced):
    """Write the search index of the last site built (each file atomically)."""

    delay = INDEX_DELAY

    def __init__(self, preview: Preview, stop: threading.Event):
        super().__init__(stop)
        self.preview = preview

    def work(self) -> None:
        from .search import search_files

        site = self.preview.site.site
        if site is None:
            return
        started = time.perf_counter()
        for output in search_files(site):
            if self._stop.is_set():
                return
            replace_file(self.preview.output, output.path, output.body)
        log.debug("search index updated in %.1f s", time.perf_counter() - started)


class _PdfWorker(_Debounced):
    """Render the PDF editions in a separate process (WeasyPrint is slow), then rebuild the pages that show them."""

    delay = PDF_DELAY

    def __init__(self, preview: Preview, stop: threading.Event):
        super().__init__(stop)
        self.preview = preview

    def work(self) -> None:
        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_render_pdfs, args=(str(self.preview.root), self.preview.site.draft, send,
                                                             os.getpid()),
                                  name="preview-pdf", daemon=True)
        process.start()
        send.close()
        try:
            while not self._stop.is_set() and not receive.poll(0.1):
                if not process.is_alive() and not receive.poll(0):
                    log.error("the PDF editions were not rendered (the renderer stopped)")
                    return
            if self._stop.is_set():
                return
            status, files, infos = receive.recv()
        except EOFError:
            log.error("the PDF editions were not rendered (the renderer stopped)")
            return
        finally:
            if process.is_alive() and self._stop.is_set():
                process.terminate()
            process.join()
            receive.close()
        if status != "ok":
            log.error("the PDF editions were not rendered:\n%s", "\n".join(files))
            return
        for output in files:
            replace_file(self.preview.output, output.path, output.body)
        self.preview.site.pdfs = infos
        self.preview.poke("pdf")
        log.info("rendered the PDF editions in %.0f s", time.perf_counter() - started)


def _render_pdfs(root: str, draft: bool, connection, parent: int) -> None:
    """Render the PDF editions and send them back (runs in a child process)."""
    from .build import render_pdfs
    from .pdf import die_with_parent

    die_with_parent(parent)  # a killed preview must not leave its renderer behind

    try:
        site, _warnings = load_site(Path(root), draft=draft)
        files, infos = render_pdfs(site)
        connection.send(("ok", files, infos))
    except ContentError as exc:
        connection.send(("error", [str(p) for p in exc.problems], None))
    except Exception as exc:  # reported by the preview, which goes on without PDFs
        connection.send(("error", [f"{type(exc).__name__}: {exc}"], None))
    finally:
        connection.close()
