"""The case editor's HTTP side in the live preview: its pages, its JSON API, and the links on the preview's pages.

Every request must name this machine in Host (hosts.py: DNS rebinding); every
API call is a POST of at most 1 MiB of JSON with the session's token in
X-Editor-Token and, when the browser sends one, this server's own Origin: the
scheme, host and port the request reached, so that a page of another local
server cannot post. The token is made when the preview starts and reaches only
the editor's pages.
Nothing in a request is evaluated: the JSON is data, written as YAML text by
ruamel.yaml and read back only by the safe reader (yamlsource).
"""
from __future__ import annotations

import asyncio
import html
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from tornado import httputil, web

from . import editor
from .editor import MAX_REQUEST_BYTES, EditorError
from .hosts import allowed_host, same_origin
from .languages import LANGUAGE, load_translations
from .livereload import NO_RELOAD_HEADER
from .messages import MESSAGE_LANGUAGES, Message, _, current_language, render
from .paths import TEMPLATES_DIR, THEME_DIR

PAGE_TEMPLATE = "editor/page.html"
STATIC_DIR = THEME_DIR / "editor"
_EDITOR_PAGE = re.compile(r"^/_editor/(en|zh)/")
_CASE_PAGE = re.compile(r"^/(en|zh)/cases/([a-z0-9]+(?:-[a-z0-9]+)*)/(?:index\.html)?$")
# After the skip link where there is one, so that it stays the first stop of the keyboard.
_BODY = re.compile(rb'<body[^>]*>(?:\s*<a class="skip-link"[^>]*>[^<]*</a>)?')


@dataclass
class EditorSession:
    """What the editor's handlers share: the project, the preview's host, the session token, draft mode."""

    root: Path
    host: str
    draft: bool = False  # check as `validate --draft` does (the preview was started with --draft)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    output: Path | None = None  # the folder the preview serves: whether a saved case's page is there yet

    def __post_init__(self) -> None:
        self.root = self.root.resolve()


def routes(session: EditorSession) -> list[tuple]:
    """Return the editor's URL specs for the live-reload server."""
    options = {"session": session}
    return [
        (r"/_editor/api/(form|open|check|save|markdown|mark|built)", EditorApi, options),
        (r"/_editor/(en|zh)/new", EditorPage, options),
        (r"/_editor/(en|zh)/edit/([a-z0-9]+(?:-[a-z0-9]+)*)", EditorPage, options),
        (r"/_editor/static/(.*)", EditorStatic, {"session": session, "path": str(session.root / STATIC_DIR)}),
    ]


def inject(path: str, page: bytes) -> bytes:
    """Add the "Edit" link (case pages) and the "New case" link (every page) to a preview page's first chunk."""
    lang = path.lstrip("/").split("/", 1)[0]
    if lang not in MESSAGE_LANGUAGES or not (body := _BODY.search(page)):
        return page
    # The words are looked up outside the f-strings: Babel's extractor does not look inside them.
    edit, new_case, bar_name = (html.escape(word.render(lang)) for word in (_("Edit"), _("New case"), _("Editor")))
    links = [f'<a class="editor-link" href="/_editor/{lang}/new">{new_case}</a>']
    if case := _CASE_PAGE.match(path):
        links.insert(0, f'<a class="editor-link" href="/_editor/{lang}/edit/{case.group(2)}">{edit}</a>')
    # The bar's look is the theme's (editor/links.css); the stylesheet link comes with it, so that built pages
    # never refer to the editor.
    bar = ('<link rel="stylesheet" href="/_editor/static/links.css">'
           f'<nav class="editor-bar" aria-label="{bar_name}">' + "".join(links) + "</nav>")
    return page[:body.end()] + bar.encode("utf-8") + page[body.end():]


def request_language(request: httputil.HTTPServerRequest) -> str:
    """Return the editor language (/_editor/en/… or /_editor/zh/…) of a request's URL or Referer, else the preview's."""
    for url in (request.path, request.headers.get("Referer", "")):
        try:
            path = urlsplit(url).path
        except ValueError:
            continue
        if match := _EDITOR_PAGE.match(path):
            return match.group(1)
    return current_language()


class _Guarded(web.RequestHandler):
    """A handler of the editor: answers only requests whose Host names this machine."""

    session: EditorSession

    def initialize(self, session: EditorSession) -> None:  # type: ignore[override]
        self.session = session

    def prepare(self) -> None:
        if not allowed_host(self.request.headers.get("Host"), self.session.host):
            raise web.HTTPError(403, "Host %r not allowed", self.request.headers.get("Host"))

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "frame-ancestors 'none'")  # no page of another site frames it


class EditorPage(_Guarded):
    """The editor's page: a case's form, or a new case's."""

    def get(self, lang: str, case_id: str | None = None) -> None:
        root = self.session.root
        if case_id is not None and not editor.exists(root, case_id):
            raise web.HTTPError(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header(NO_RELOAD_HEADER, "1")  # a reload would lose what is typed in the form
        if not (root / TEMPLATES_DIR / PAGE_TEMPLATE).is_file():  # the theme has no editor page
            self.write(_fallback_page(lang))
            return
        self.write(_environment(root, lang).get_template(PAGE_TEMPLATE).render(
            lang=lang, html_lang=LANGUAGE[lang].html, token=self.session.token, case_id=case_id))


def _environment(root: Path, lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root / TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    # Added to the environment at run time by the jinja2.ext.i18n extension, which Jinja's types cannot see.
    env.install_gettext_translations(load_translations(root, lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"]
    return env


def _fallback_page(lang: str) -> str:
    title = html.escape(_("Edit case").render(lang))
    text = html.escape(_("This theme has no editor page (%(file)s).", file=f"templates/{PAGE_TEMPLATE}").render(lang))
    return (f'<!doctype html>\n<html lang="{LANGUAGE[lang].html}"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><h1>{title}</h1><p>{text}</p></body></html>\n")


class EditorStatic(_Guarded, web.StaticFileHandler):
    """The editor page's script and style sheet (themes/default/editor/), served by the preview only."""

    def initialize(self, session: EditorSession, path: str) -> None:  # type: ignore[override]
        self.session = session
        web.StaticFileHandler.initialize(self, path=path)

    def compute_etag(self) -> None:
        return None


class EditorApi(_Guarded):
    """The JSON API: POST /_editor/api/<action> with the session's token."""

    lang = "en"
    body: Any = None

    def prepare(self) -> None:
        # Every refusal before the body is read is said in the language of the page that sent the request.
        self.lang = request_language(self.request)
        super().prepare()
        if len(self.request.body) > MAX_REQUEST_BYTES:
            raise _Refused(413, _("the request is larger than %(size)s bytes", size=f"{MAX_REQUEST_BYTES:,}"))
        if not same_origin(self.request.headers.get("Origin"), self.request.headers.get("Host"), self.request.protocol,
                           self.session.host):
            raise _Refused(403, _("requests from other sites are refused"))
        # The headers decide first: a request without the token costs no parse of up to 1 MiB of JSON.
        if not secrets.compare_digest(self.request.headers.get("X-Editor-Token", "").encode(),
                                      self.session.token.encode()):
            raise _Refused(403, _("the editor's token is missing or wrong; reload the editor page"))
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise _Refused(400, _("the request must be a JSON object"))
        try:
            self.body = json.loads(self.request.body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond what Python parses
            self.body = None
        if not isinstance(self.body, dict):
            raise _Refused(400, _("the request must be a JSON object"))
        if self.body.get("lang") in MESSAGE_LANGUAGES:
            self.lang = self.body["lang"]

    async def post(self, action: str) -> None:
        # Checking loads the whole project: off the server's loop, so that pages and reloads go on meanwhile.
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(None, self._answer, action, self.body)
        except EditorError as exc:
            self._error(exc.status, exc.message, exc.body)
            return
        self._json(200, answer)

    def _answer(self, action: str, body: dict) -> dict:
        root, lang, draft = self.session.root, self.lang, self.session.draft
        if action == "form":
            return editor.form(root, lang)
        if action == "open":
            if isinstance(body.get("new"), dict):
                return editor.new_case(root, body["new"].get("partner"))
            return editor.open_case(root, editor.case_id_of(f"cases/{body.get('case_id')}.yaml"))
        if action == "markdown":
            return {"html": editor.markdown(body.get("text"))}
        if action == "mark":
            return editor.mark(root, body.get("file"), body.get("fields"))
        if action == "built":  # a case saved for the first time has a page once the preview's rebuild wrote it
            case_id = editor.case_id_of(body.get("file"))
            page = self.session.output / lang / "cases" / case_id / "index.html" if self.session.output else None
            return {"built": bool(page and page.is_file())}
        data = body.get("data")
        if not isinstance(data, dict):
            raise EditorError(400, _("the case data must be an object of fields"))
        if action == "check":
            text, problems = editor.check_data(root, body.get("file"), data, draft=draft)
            return {"problems": [editor.problem_json(p, lang) for p in problems], "yaml": text}
        answer = editor.save(root, body.get("file"), data, body.get("version"), as_draft=body.get("draft") is True,
                             draft=draft)
        answer["problems"] = [editor.problem_json(p, lang) for p in answer["problems"]]
        return answer

    def _json(self, status: int, value: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(value, ensure_ascii=False, allow_nan=False))  # JSON.parse takes no NaN

    def _error(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        value: dict[str, Any] = {"error": render(message, self.lang)}
        for key, item in (extra or {}).items():
            value[key] = [editor.problem_json(p, self.lang) for p in item] if key == "problems" else item
        self._json(status, value)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        refused = kwargs.get("exc_info", (None, None))[1]
        if isinstance(refused, _Refused):
            self._error(status_code, refused.message)
        elif status_code == 403:  # the Host check
            self._error(403, _("this address is not allowed; open the preview at 127.0.0.1 or localhost"))
        else:
            self._error(status_code, _("the editor failed (%(status)d); see the preview's terminal",
                                       status=status_code))


class _Refused(web.HTTPError):
    """A request the API refuses before reading it: its status and the message to show."""

    def __init__(self, status: int, message: Message):
        super().__init__(status)
        self.message = message
