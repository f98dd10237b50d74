"""Live preview: the pipeline's second driver, behind the generic live-reload server.

Each change the server's watcher sees starts a pass of `LiveSite.update`: the
project is loaded again (only the changed files are read again), and the site's
targets — the same list the full build runs — are made in the live order (see
pipeline.py). Optional background jobs write the search index and render
the PDF editions from the same loaded Site, in parallel as `build` does; the
PDFs then join the targets.
"""
from __future__ import annotations

import html
import ipaddress
import logging
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2

from .build import compiled_templates
from .content import ParsedFiles, Site, load_site
from .editor_http import EditorSession
from .editor_http import inject as editor_links
from .editor_http import routes as editor_routes
from .languages import LANGUAGE
from .livereload import Broken, LiveReloadServer, Session
from .messages import _, current_language
from .paths import PDF_CACHE, THEME_DIR, WATCHED
from .pipeline import LiveOutput, Pass
from .problems import ContentError, EnvironmentProblem, Problem, display_path, report
from .render import Output, PdfInfo, fixed_targets, site_targets
from .write import replace_file

log = logging.getLogger(__name__)

INDEX_DELAY = 0.5  # quiet time before the search index is rebuilt
PDF_DELAY = 2.0  # quiet time before the PDF editions are rendered again (with --pdf)


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, draft: bool = False, pdf: bool = False,
          search: bool = True, editor: bool = True) -> None:
    """Serve a live-reloading preview of the site until interrupted."""
    preview = Preview(root, host=host, port=port, draft=draft, pdf=pdf, search=search, editor=editor)
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
        if preview.editor:
            log.info("%s", _("case editor: %(url)s — or the Edit link of any case page",
                             url=f"{preview.url}_editor/{'zh' if current_language() == 'zh' else 'en'}/new").render())
        preview.server.serve_forever()
    finally:
        preview.close()


class LiveSite:
    """A site built into `output` and kept up to date by `update()`, through the pipeline's live run."""

    def __init__(self, root: Path, output: Path, *, draft: bool = False, base_url: str = "/"):
        self.root = root
        self.draft = draft
        self.base_url = base_url
        self.site: Site | None = None
        self.warnings: list[Problem] = []
        self.pdf_files: list[Output] = []  # set by whoever renders the PDF editions
        self.pdfs: dict[str, PdfInfo] = {}
        self._output = LiveOutput(output)
        self._parsed = ParsedFiles()
        self._templates = compiled_templates(root)

    def update(self, changed: Iterable[str] = (), *, wanted: Iterable[str] = (),
               step: Callable[[str, set[str]], None] = lambda name, paths: None,
               superseded: Callable[[], bool] = lambda: False) -> Pass:
        """Bring the output up to date after the project paths `changed` changed; return what was written.

        Raise ContentError when the content is wrong (nothing is written then); any
        other error (in a template, say) propagates, the files written before it stay.
        """
        changed = set(changed)
        self._parsed.forget(self.root, changed)
        site, self.warnings = load_site(self.root, draft=self.draft, parsed=self._parsed)
        first, self.site = self.site is None, site
        targets = site_targets(site, base_url=self.base_url, pdfs=self.pdfs, template_cache=self._templates)
        targets += fixed_targets(self.pdf_files)
        return self._output.update(targets, changed=changed, wanted=wanted, step=step, superseded=superseded,
                                   everything=first)


class Preview:
    """The live preview of one project. Use `with Preview(...) as p:` to run it in the background."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 8000, draft: bool = False,
                 pdf: bool = False, search: bool = True, poll: float | None = None, editor: bool = True):
        self.root = root
        self._folder = Path(tempfile.mkdtemp(prefix="site-builder-preview-"))
        self.output = self._folder / "site"
        self.output.mkdir()
        self.site = LiveSite(root, self.output, draft=draft)
        options: dict = {"poll": poll} if poll is not None else {}
        # The case editor (editor_http.py): its pages and API, and the links to it on every page.
        self.editor = EditorSession(root, host, draft, output=self.output) if editor else None
        if self.editor:
            options.update(routes=editor_routes(self.editor), inject=editor_links)
        self.server = LiveReloadServer(self.output, self._rebuild, root=root, watched=WATCHED, host=host, port=port,
                                       failed=_failed, recovered=_recovered, error_page=error_page, **options)
        self.last_pass: Pass | None = None
        self._warnings: list[Problem] = []
        self._unindexed = False  # pages were written since the search index was last asked for
        self._indexer = _Indexer(self, self.server.stopping) if search else None
        self._pdfs = _PdfWorker(self, self.server.stopping) if pdf else None

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def open_pages(self) -> tuple[str, ...]:
        return self.server.open_pages

    @property
    def idle(self) -> bool:
        return self.server.idle

    @property
    def problems(self) -> tuple:
        return self.server.problems

    def start(self) -> None:
        """Build the site, listen, start watching and the background jobs."""
        self.server.start()
        for worker in filter(None, (self._indexer, self._pdfs)):
            self.server.thread(worker.run, type(worker).__name__)
        if self._pdfs:
            self._pdfs.request()

    def stop(self) -> None:
        self.server.stop()

    def close(self) -> None:
        """Stop, wait for every thread, and remove the private folder."""
        self.server.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Preview:
        self.start()
        try:
            self.server.serve_in_background()
        except RuntimeError:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _rebuild(self, changed: set[str], session: Session) -> bool:
        """Run one pass of the live site for the server; return whether it checked every file."""
        started = time.perf_counter()
        first = self.site.site is None
        timings: dict[str, float] = {}

        def step(name: str, paths: set[str]) -> None:
            timings[name] = time.perf_counter() - started
            self._unindexed = self._unindexed or any(p.endswith(".html") for p in paths)
            session.written(name, paths)

        try:
            result = self.site.update(changed, wanted=session.wanted, step=step, superseded=session.superseded)
        except ContentError as exc:
            raise Broken(exc.problems, _("the content has errors")) from None
        except Exception as exc:  # a template error, most likely; the preview goes on
            log.debug("rebuild failed", exc_info=True)
            raise Broken([_located(exc, self.root)], _("a template or the builder failed")) from None
        self.last_pass = result
        if self.site.warnings != self._warnings:
            report(self.site.warnings)
            self._warnings = self.site.warnings
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
        return result.complete


def _failed(exc: Broken) -> None:
    """Print what is wrong in the terminal, in the editor's language."""
    report(exc.problems)
    log.error("%s", _("not rebuilt: %(what)s; fix them and save — the last good pages stay on disk",
                      what=exc.what).render())


def _recovered() -> None:
    log.info("%s", _("fixed: the preview is up to date again").render())


def error_page(problems: tuple, path: str) -> bytes:
    """Return the page shown in place of the page at `path` while the content has errors, in that page's language."""
    first = path.lstrip("/").split("/", 1)[0]
    lang = first if first in LANGUAGE else current_language()
    items = "\n".join(f"<li><code>{html.escape(p.render(lang))}</code></li>" for p in problems)
    title = html.escape(_("Preview: errors").render(lang))
    heading = html.escape(_("The preview is not up to date").render(lang))
    advice = html.escape(_("%(count)d problem(s) to fix. The page reloads by itself when you save a fix; the last "
                           "good pages are kept until then.", count=len(problems)).render(lang))
    return (
        f"<!doctype html>\n<html lang=\"{LANGUAGE[lang].html}\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}"
        "li{margin:.5rem 0;color:#8b0000}code{white-space:pre-wrap}</style></head><body>"
        f"<h1>{heading}</h1><p>{advice}</p>\n<ol>\n{items}\n</ol>"
        "</body></html>\n"
    ).encode("utf-8")


def _located(exc: BaseException, root: Path) -> Problem:
    """Return an error as a located problem: the template line that failed when there is one."""
    message = f"{type(exc).__name__}: {exc}"
    hint = _("fix it and save; the last good pages stay on disk")
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Problem(display_path(Path(exc.filename), root), exc.lineno or 1, 1, "", exc.message or message, hint)
    theme = str(root / THEME_DIR)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(theme):
            return Problem(display_path(Path(frame.filename), root), frame.lineno or 1, 1, "", message, hint)
    return Problem("(builder)", 0, 0, "", message, _("run with -v to see where it failed"))


# --- background jobs ------------------------------------------------------------------------------
class _Debounced:
    """A job that runs `work()` once requests have stopped coming for `delay` seconds."""

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
    """Render the PDF editions of the last loaded Site, in parallel worker processes, then make them targets."""

    delay = PDF_DELAY

    def __init__(self, preview: Preview, stop: threading.Event):
        super().__init__(stop)
        self.preview = preview

    def work(self) -> None:
        from .pdf import render_editions

        site = self.preview.site.site
        if site is None:
            return
        started = time.perf_counter()
        try:
            files, infos = render_editions(site, cache=self.preview.root / PDF_CACHE)
        except EnvironmentProblem as exc:
            log.error("the PDF editions were not rendered:\n%s", "\n".join(str(p) for p in exc.problems))
            return
        if self._stop.is_set():
            return
        self.preview.site.pdf_files, self.preview.site.pdfs = files, infos
        self.preview.server.poke("pdf")
        log.info("rendered the PDF editions in %.0f s", time.perf_counter() - started)


