"""Render the website: Site → targets (output path, how to make its bytes, the sources it reads). Pure: nothing here writes.

`site_targets` is the one list of the website's files, in the order a full build
writes them; pipeline.py runs it whole (build) or live (serve).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import posixpath
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jinja2
from babel.numbers import format_decimal
from jinja2.filters import do_truncate
from markupsafe import Markup

from . import charts, citation
from .content import Site, image_output_path
from .facets import build_facets, facet_keys, in_reading_order, keyword_keys, related_cases, slugify
from .fields import BLOCKS, CASE_FIELDS, FIELDS_BY_KEY, block_fields, csv_columns, csv_row, filled_fields
from .i18n import format_number, format_partial_date, load_translations
from .languages import LANGUAGE, LANGUAGES
from .markup import plain_text, render_markdown, typographic
from .messages import _
from .models import Case, Policy, Text
from .outline import contents, subheadings_at, with_anchors
from .paths import CASES_DIR, GUIDE_DIR, GUIDE_FILE, POLICIES_DIR, STATIC_DIR, TEMPLATES_DIR, TRANSLATIONS_DIR
from .problems import Problem, display_path
from .typography import ELLIPSIS, WORD_GAP, person_name, tidy_spacing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Output:
    """One file of the built site: its path under the output folder and its bytes."""

    path: str
    body: bytes


@dataclass(frozen=True)
class PdfInfo:
    """What the website says about one PDF edition."""

    file: str  # path under the output folder
    size: int
    pages: int
    case_pages: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """One output file: its path under the output folder, how to make its bytes, the project paths it reads.

    A source ending in "/" stands for everything under that folder.
    """

    path: str
    make: Callable[[], bytes]
    sources: frozenset[str] = frozenset()
    share: str = ""  # targets with the same key are made by one worker: they reuse each other's work

    def reads(self, changed: Iterable[str]) -> bool:
        """Return whether this target reads one of the changed project paths."""
        folders = [s for s in self.sources if s.endswith("/")]
        return any(path in self.sources or path.startswith(tuple(folders)) for path in changed)


def _hashable(value: Any) -> Any:
    """Return `value` with its lists as tuples, so that it can be a dictionary key."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def _translate_once(env: jinja2.Environment, translations: Any) -> None:
    """Install the interface translations so that each string is looked up and escaped once per language.

    Jinja's gettext looks a string up and wraps it on every call (some 200,000 calls for
    4,300 pages); a string without variables always gives the same result.
    """
    # Added to the environment at run time by the jinja2.ext.i18n extension, which Jinja's types cannot see.
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    translate = cast(Callable[..., Any], env.globals["gettext"])
    done: dict[str, Any] = {}

    @jinja2.pass_context
    def gettext(context: Any, string: str, **variables: Any) -> Any:
        if variables:
            return translate(context, string, **variables)
        found = done.get(string)
        if found is None:
            found = done[string] = translate(context, string)
        return found

    env.globals.update(gettext=gettext, _=gettext)



@dataclass(frozen=True)
class Page:
    """A page to render: its path inside a language ("" is the home page) and its template."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    search: bool = False  # whether the search index takes this page


class Renderer:
    """Render pages for one site; holds the Jinja environments and shared data."""

    def __init__(self, site: Site, base_url: str | None = None, pdfs: dict[str, PdfInfo] | None = None, *,
                 template_cache: jinja2.BytecodeCache | None = None,
                 pinyin: MutableMapping[str, tuple[str, ...]] | None = None):
        self.site = site
        self.base_url = site_base_url(site, base_url)
        self.base_path = urlsplit(self.base_url).path or "/"
        # Canonical links, hreflang, the sitemap and feed ids are valid only as full URLs.
        self.has_address = bool(urlsplit(self.base_url).netloc)
        self.pdfs = pdfs or {}
        self.keyword_keys = keyword_keys(site)
        self.facets = build_facets(site, self.keyword_keys)
        self.facet_keys = facet_keys(self.facets)
        self._pages: list[Page] | None = None
        self.related = related_cases(site)
        self.compiled = template_cache  # compiled templates kept by the caller (see build.compiled_templates)
        # Every list page shows every facet's values in each language's order: sorted once here, before
        # the workers fork. `pinyin` is the caller's record of the Chinese labels' pinyin (see build.known_pinyin).
        self.reading_orders = {(facet.id, lang.code): in_reading_order(facet, lang.code, pinyin)
                               for facet in self.facets for lang in LANGUAGES}
        self.envs = {lang.code: self._environment(lang.code) for lang in LANGUAGES}

    # --- environment -------------------------------------------------------------
    def _environment(self, code: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.site.root / TEMPLATES_DIR),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            bytecode_cache=self.compiled,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _translate_once(env, load_translations(self.site.root, code))
        env.globals.update(
            lang=LANGUAGE[code],
            languages=LANGUAGES,
            site=self.site,
            guide=self.site.guide,
            facets=self.facets,
            facet_keys=self.facet_keys,
            pdfs=self.pdfs,
            url=self.url,
            asset=self.asset,
            abs_url=self.abs_url,
            has_address=self.has_address,
            word_gap=WORD_GAP[code],
            slugify=slugify,
            keyword_key=lambda keyword: self.keyword_keys[slugify(keyword.en)],
            case_card=self._case_card(env),
            cite=lambda case, c: citation.formatted(self.reference(case, c)),
            jsonld=self.jsonld,
            render_in=lambda text, lang_code: render_markdown(text.get(lang_code)) if text else Markup(""),
            chart=lambda value, not_given: charts.bar_chart(value, lambda text: self.text(text, code), not_given),
            percent=charts.format_percent,
            case_fields=CASE_FIELDS,  # a case's fields in the guide's order, with their labels (fields.py)
            case_blocks=BLOCKS,
            case_field=FIELDS_BY_KEY,  # by key, e.g. case_field.keywords
            block_fields=block_fields,
            filled_fields=filled_fields,
        )
        env.filters.update(
            t=lambda text: typographic(self.text(text, code)),
            md=lambda text: self.rich(text, code),
            person=lambda who: person_name(who, code),
            plain=lambda text: tidy_spacing(plain_text(self.text(text, code)), code),
            date=lambda value: format_partial_date(value, code),
            number=lambda value: format_number(value, code),
            missing=lambda text: text is not None and not text.get(code),
            subheadings_at=subheadings_at,
            contents=contents,
            with_anchors=with_anchors,
            truncate=shortening(ELLIPSIS[code]),
            reading_order=lambda facet: self.reading_orders[facet.id, code],
            size=lambda n: format_decimal(round(n / 1_048_576, 1), locale=LANGUAGE[code].babel) + " MB",
        )
        return env

    def _case_card(self, env: jinja2.Environment) -> Callable[..., Markup]:
        """Return the `case_card` macro of macros.html, rendered once per case (and filter keys) in this language.

        Every facet page that lists a case shows the same card; the cases' index shows it with its filter keys.
        The macro's other arguments are part of the key, whatever they are.
        """
        cards: dict[tuple, Markup] = {}

        def case_card(case: Case, *args: Any, **kwargs: Any) -> Markup:
            key = (case.id, _hashable(args), _hashable(sorted(kwargs.items())))
            card = cards.get(key)
            if card is None:
                macros = env.get_template("macros.html").module
                card = cards[key] = macros.case_card(case, *args, **kwargs)  # type: ignore[attr-defined]  # a macro
            return card

        return case_card

    # --- helpers for templates ---------------------------------------------------
    def url(self, code: str, path: str = "") -> str:
        """Return the site-absolute URL of a page in a language."""
        return f"{self.base_path}{code}/{path}"

    def asset(self, path: str) -> str:
        """Return the URL of a file at the site's root (static files, downloads)."""
        return f"{self.base_path}{path}"

    def abs_url(self, path: str) -> str:
        """Return a full URL when the site's address is known, else the site-absolute path."""
        if self.has_address:
            return self.base_url + path.removeprefix(self.base_path)
        return path

    def text(self, text: Text | None, code: str) -> str:
        if text is None:
            return ""
        # A draft build may lack a translation; the page flags it (see `missing`) and shows the other language.
        return text.get(code) or text.get("en" if code == "zh" else "zh")

    def rich(self, text: Text | None, code: str) -> Markup:
        return render_markdown(self.text(text, code)) if text else Markup("")

    def reference(self, case: Case, code: str) -> citation.CaseReference:
        """Return the citation data of a case in one language, with its PDF page when known."""
        pdf = self.pdfs.get(code)
        address = self.abs_url(self.url(code, f"cases/{case.id}/")) if self.has_address else None
        return citation.CaseReference(case, self.site.guide, code, address,
                                      pdf.case_pages.get(case.id) if pdf else None)

    def jsonld(self, case: Case, code: str) -> Markup:
        """Return schema.org JSON-LD for a case page (escaped for a <script> element)."""
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": self.text(case.profile.name, code),
            "inLanguage": LANGUAGE[code].html,
            "author": [{"@type": "Person", "name": person_name(a, code)} for a in case.authors],
            "about": {"@type": "CollegeOrUniversity", "name": self.text(case.institution, code)},
            "keywords": [self.text(k, code) for k in case.profile.keywords],
            "isPartOf": {"@type": "Book", "name": self.text(self.site.guide.title, code),
                         "editor": [{"@type": "Person", "name": e.name} for e in self.site.guide.editors]},
        }
        if self.has_address:
            data["url"] = self.abs_url(self.url(code, f"cases/{case.id}/"))
        if case.date:
            data["dateCreated"] = case.date
        text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(text)

    # --- pages -------------------------------------------------------------------
    def pages(self) -> list[Page]:
        """Return every page of one language's site (the same list for every language)."""
        if self._pages is None:
            self._pages = self._list_pages()
        return self._pages

    def _list_pages(self) -> list[Page]:
        site = self.site
        pages = [
            Page("", "home.html"),
            Page("cases/", "case_index.html", {"cases": site.cases, "facet": None, "value": None}),
            Page("about/", "about.html"),
            Page("acronyms/", "acronyms.html"),
            Page("downloads/", "downloads.html"),
            Page("search/", "search.html"),
        ]
        for i, case in enumerate(site.cases):
            chapter, partner_section = site.chapter_of(case)
            context = {
                "case": case,
                "previous": site.cases[i - 1] if i > 0 else None,
                "next": site.cases[i + 1] if i + 1 < len(site.cases) else None,
                "updates": site.updates_of(case),
                "updated": site.case(case.update_of) if case.update_of else None,
                "related": self.related[case.id],
                "partner": site.guide.partner(case.partner),
                "themes": [t for t in site.guide.themes if t.id in case.themes],
                "policies": site.policies_for(case),
                "chapter": chapter,
                "partner_section": partner_section,
            }
            pages.append(Page(f"cases/{case.id}/", "case.html", context, search=True))
            pages.append(Page(f"cases/{case.id}/parallel/", "parallel.html", context))
        if site.policies:
            pages.append(Page("policies/", "policy_index.html", {"policies": site.policies}))
        for policy in site.policies:
            pages.append(Page(f"policies/{policy.id}/", "policy.html",
                              {"policy": policy, "cases": site.cases_for(policy),
                               "themes": [t for t in site.guide.themes if t.id in policy.themes]}, search=True))
        if site.needs:
            pages.append(Page("needs-analysis/", "needs.html", {"needs": site.needs}, search=True))
        for facet in self.facets:
            pages.append(Page(f"{facet.id}/", "facet.html", {"facet": facet}))
            for value in facet.values:
                pages.append(Page(f"{facet.id}/{value.key}/", "case_index.html",
                                  {"cases": value.cases, "facet": facet, "value": value}))
        return pages

    @staticmethod
    def output_path(page: Page, code: str) -> str:
        """Return where a page's file goes under the output folder."""
        return f"{code}/{page.path}index.html"

    def render_page(self, page: Page, code: str) -> Output:
        env = self.envs[code]
        template = env.get_template(page.template)
        html = template.render(page=page, path=page.path, **page.context)
        return Output(self.output_path(page, code), html.encode("utf-8"))


def shortening(ellipsis: str) -> Callable[..., str]:
    """Return Jinja's `truncate` filter ending in the language's own ellipsis ("……" in Chinese).

    It keeps the built-in's signature and its environment argument, so templates compiled
    against the built-in (the .cache/jinja bytecode) call it the same way.
    """

    @jinja2.pass_environment
    def truncate(env: jinja2.Environment, text: str, length: int = 255, killwords: bool = False,
                 end: str | None = None, leeway: int | None = None) -> str:
        return do_truncate(env, text, length, killwords, ellipsis if end is None else end, leeway)

    return truncate


# --- the site's address ---------------------------------------------------------------

def site_base_url(site: Site, base_url: str | None) -> str:
    """Return the URL the site is served from: `base_url` when given (--base-url), else the guide's site_url, else "/"."""
    chosen = base_url if base_url is not None else (site.guide.site_url or "/")
    return chosen if chosen.endswith("/") else chosen + "/"


def missing_address(site: Site, base_url: str | None) -> Problem | None:
    """Return a warning when the site's full address is unknown, so that what needs it is left out."""
    if urlsplit(site_base_url(site, base_url)).netloc:
        return None
    return Problem(display_path(site.root / GUIDE_FILE, site.root), 1, 1, "site_url",
                   _("the website's address is not set: canonical links, language alternates, sitemap.xml, "
                     "the feeds and the address in citations are left out"),
                   _("add `site_url: https://…/` to guide/guide.yaml, or build with --base-url https://…/"),
                   severity="warning")


def render_site(site: Site, *, base_url: str | None = None, pdfs: dict[str, PdfInfo] | None = None,
                template_cache: jinja2.BytecodeCache | None = None) -> list[Output]:
    """Return every file of the website: pages in each language, data files, feeds, static assets."""
    return [Output(t.path, t.make()) for t in site_targets(site, base_url=base_url, pdfs=pdfs,
                                                          template_cache=template_cache)]


# Every page reads the templates, the interface catalogs and the guide data.
_EVERY_PAGE = frozenset({TEMPLATES_DIR.as_posix() + "/", TRANSLATIONS_DIR.as_posix() + "/", GUIDE_FILE.as_posix()})
_ALL_CONTENT = frozenset({CASES_DIR + "/", POLICIES_DIR + "/", GUIDE_DIR.as_posix() + "/"})


def case_source(case: Case) -> str:
    """Return the project path of a case's file (the project's case files are named by id)."""
    return f"{CASES_DIR}/{case.id}.yaml"


def site_targets(site: Site, *, base_url: str | None = None, pdfs: dict[str, PdfInfo] | None = None,
                 template_cache: jinja2.BytecodeCache | None = None,
                 pinyin: MutableMapping[str, tuple[str, ...]] | None = None) -> list[Target]:
    """Return every target of the website, in the order a full build writes them.

    Pages in each language, then the site root and 404 page, citations, data files,
    feeds and sitemap, case images and the theme's static files.
    """
    renderer = Renderer(site, base_url, pdfs, template_cache=template_cache, pinyin=pinyin)
    targets = [page_target(renderer, page, lang.code) for lang in LANGUAGES for page in renderer.pages()]
    targets += _made_together(["index.html", "404.html"], lambda: language_root(renderer), _EVERY_PAGE)
    for lang in LANGUAGES:
        for case in site.cases:
            sources = frozenset({case_source(case), GUIDE_FILE.as_posix()})
            for suffix, write in (("bib", citation.bibtex), ("ris", citation.ris)):
                targets.append(Target(f"{lang.code}/cases/{case.id}/{case.id}.{suffix}",
                                      _citation(renderer, case, lang.code, write), sources))
    targets += _made_together(["data/cases.json", "data/cases.csv"], lambda: data_files(site), _ALL_CONTENT)
    feeds = [f"{lang.code}/feed.xml" for lang in LANGUAGES] + ["sitemap.xml"] if renderer.has_address else []
    targets += _made_together(feeds + ["robots.txt"], lambda: feeds_and_sitemap(renderer), _ALL_CONTENT | _EVERY_PAGE)
    targets += [Target(o.path, _constant(o.body), frozenset({o.path})) for o in case_images(site)]
    targets += [Target(o.path, _constant(o.body), frozenset({(STATIC_DIR / o.path.removeprefix("static/")).as_posix()}))
                for o in static_files(site.root)]
    return targets


def page_target(renderer: Renderer, page: Page, code: str) -> Target:
    """Return the target of one page in one language, with the content files it shows."""
    if not page.context or page.template in ("case_index.html", "facet.html"):  # lists and overviews read every case
        # One worker makes every list: each case's card is rendered once and reused (see Renderer._case_card).
        return Target(renderer.output_path(page, code), lambda: renderer.render_page(page, code).body,
                      _EVERY_PAGE | _ALL_CONTENT, share="lists")
    sources = set(_EVERY_PAGE)
    for value in page.context.values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, Case):
                sources.add(case_source(item))
            elif isinstance(item, Policy):
                sources.add(f"{POLICIES_DIR}/{item.id}.yaml")
    return Target(renderer.output_path(page, code), lambda: renderer.render_page(page, code).body, frozenset(sources))


def _constant(body: bytes) -> Callable[[], bytes]:
    return lambda: body


def fixed_targets(outputs: list[Output]) -> list[Target]:
    """Return targets for files already made (PDFs, the search index): their bytes as they are."""
    return [Target(o.path, _constant(o.body)) for o in outputs]


def _made_together(paths: list[str], make_all: Callable[[], list[Output]], sources: frozenset[str]) -> list[Target]:
    """Return targets for files that one function makes together, made when the first of them is wanted.

    So they are made by the worker that writes them, not while the targets are listed.
    """
    made: dict[str, bytes] = {}

    def maker(path: str) -> Callable[[], bytes]:
        def make() -> bytes:
            if not made:
                made.update((output.path, output.body) for output in make_all())
                if set(made) != set(paths):
                    raise RuntimeError(f"expected the files {sorted(paths)}, made {sorted(made)}")
            return made[path]
        return make

    return [Target(path, maker(path), sources) for path in paths]


def _citation(renderer: Renderer, case: Case, code: str, write: Callable[[citation.CaseReference], str]
              ) -> Callable[[], bytes]:
    return lambda: write(renderer.reference(case, code)).encode("utf-8")


def case_images(site: Site) -> list[Output]:
    """Return the cases' images, at the same path under the output folder as under the project."""
    files = sorted({c.image.file for c in site.cases if c.image and c.image.file})
    return [Output(image_output_path(f), (site.root / f).read_bytes()) for f in files]


def language_root(renderer: Renderer) -> list[Output]:
    """The site root (a bilingual landing page) and the 404 page."""
    env = renderer.envs["en"]
    # The 404 page serves every missing address: its frame is English, its message in both languages.
    # A template's macros are attributes of its module at run time only.
    message_zh = renderer.envs["zh"].get_template("macros.html").module.not_found("h2")  # type: ignore[attr-defined]
    title_zh = load_translations(renderer.site.root, "zh").gettext("Page not found")
    not_found = env.get_template("404.html").render(path="", not_found_zh=message_zh, not_found_title_zh=title_zh)
    return [
        Output("index.html", env.get_template("root.html").render(path="").encode("utf-8")),
        Output("404.html", not_found.encode("utf-8")),
    ]


def data_files(site: Site) -> list[Output]:
    """The whole data set as JSON and CSV."""
    cases = [case.model_dump(mode="json", exclude_none=True) for case in site.cases]
    data = json.dumps({"guide": site.guide.model_dump(mode="json", exclude_none=True), "cases": cases},
                      ensure_ascii=False, indent=1)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_columns())
    for c in site.cases:
        writer.writerow(csv_cells(csv_row(c)))
    # A byte-order mark lets spreadsheet programs read the Chinese text as UTF-8.
    return [Output("data/cases.json", data.encode("utf-8") + b"\n"),
            Output("data/cases.csv", b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))]


# What a spreadsheet program reads as the start of a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(values: list[str]) -> list[str]:
    """Return spreadsheet cells that can never run as formulas: a leading ' is added where one could."""
    return ["'" + value if value.startswith(_FORMULA_START) else value for value in values]


def feeds_and_sitemap(renderer: Renderer) -> list[Output]:
    """The Atom feeds, sitemap.xml and robots.txt; feeds and sitemap only when the site's address is known.

    Atom ids and sitemap <loc> must be full URLs: without the address there is nothing valid to write.
    """
    if not renderer.has_address:
        return [Output("robots.txt", b"User-agent: *\nAllow: /\n")]
    outputs = []
    updated = build_timestamp(renderer.site)
    for lang in LANGUAGES:
        env = renderer.envs[lang.code]
        body = env.get_template("feed.xml").render(path="feed.xml", feed_updated=updated)
        outputs.append(Output(f"{lang.code}/feed.xml", body.encode("utf-8")))
    paths = [page.path for page in renderer.pages()]
    sitemap = renderer.envs["en"].get_template("sitemap.xml").render(paths=paths, path="")
    outputs.append(Output("sitemap.xml", sitemap.encode("utf-8")))
    outputs.append(Output("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {renderer.abs_url(renderer.asset('sitemap.xml'))}\n".encode()))
    return outputs


def source_date_epoch() -> dt.datetime | None:
    """Return SOURCE_DATE_EPOCH as a UTC date and time, or None when it is unset or not a count of seconds.

    The one reading of the variable: every date it sets (pages, feeds, the PDFs' metadata) agrees.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not (epoch.isascii() and epoch.isdigit()):  # "²".isdigit() is true too, and int() refuses it
        return None
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    except (OverflowError, OSError, ValueError):  # beyond the years a date can hold
        return None


def build_timestamp(site: Site) -> str:
    """Return the build's date as RFC 3339: SOURCE_DATE_EPOCH when set, else the newest case date.

    Taken from the content, never from the clock, so that two builds of the same input are identical.
    """
    if epoch := source_date_epoch():
        return epoch.strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = max((c.date for c in site.cases if c.date), default=str(site.guide.year))
    parts = [int(p) for p in newest.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2]).strftime("%Y-%m-%dT00:00:00Z")


def static_files(root: Path) -> list[Output]:
    """Return the theme's static files, under static/."""
    static = root / STATIC_DIR
    return [Output(posixpath.join("static", p.relative_to(static).as_posix()), p.read_bytes())
            for p in sorted(static.rglob("*")) if p.is_file()]
