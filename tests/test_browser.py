"""The built website in a real browser (Debian's Chromium through Playwright), and the structure of every page.

The site is built once for the run (conftest.built_guide) and served over HTTP on 127.0.0.1 (the search needs HTTP); one browser
serves every test. Every page type is checked (and screenshotted, whole page) in both languages, at 360 and 1280 px,
in the light and the dark colour scheme; the PNGs go to a temporary folder, or to SITE_SCREENSHOTS=/some/folder.
"""
from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import CHROMIUM, SITE_ADDRESS
from search_queries import COMPLETE, query_set, run_queries
from site_builder.content import load_site

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

from axe_playwright_python.base import AxeResults  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASE = "ju-proof-of-concept-grants"
PHONE, DESKTOP = (360, 740), (1280, 900)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SCREENSHOTS = os.environ.get("SITE_SCREENSHOTS")
ADDRESS = SITE_ADDRESS  # the published address the site is built for (served here from 127.0.0.1)

# One page of each type, in each language; the language-neutral pages come once.
PAGE_TYPES = {
    "home": "",
    "case-index": "cases/",
    "facet-overview": "themes/",
    "facet": "countries/poland/",
    "case": f"cases/{CASE}/",
    "parallel": f"cases/{CASE}/parallel/",
    "about": "about/",
    "acronyms": "acronyms/",
    "downloads": "downloads/",
    "search": "search/",
    "policy-index": "policies/",
    "policy": "policies/moe-2022-thousands-schools/",
    "needs-analysis": "needs-analysis/",
}
PAGES = [pytest.param(f"/{lang}/{path}", id=f"{lang}-{name}") for lang in ("en", "zh") for name, path in PAGE_TYPES.items()]
PAGES += [pytest.param("/", id="language-choice"), pytest.param("/404.html", id="404")]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's signature
        pass


@pytest.fixture(scope="module")
def built(built_guide) -> Path:
    return built_guide  # built for ADDRESS (conftest.SITE_ADDRESS), served here from 127.0.0.1


@pytest.fixture(scope="module")
def site_url(built):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def cases(built) -> list[dict]:
    return json.loads((built / "data" / "cases.json").read_text(encoding="utf-8"))["cases"]


class Problems:
    """What went wrong while a page was open: console errors, failed requests, requests to other hosts."""

    def __init__(self):
        self.console: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []

    def __bool__(self):
        return bool(self.console or self.failed or self.foreign)

    def __repr__(self):
        return f"console errors {self.console}, failed requests {self.failed}, other hosts {self.foreign}"

    def take(self) -> Problems:
        """Return what was recorded so far, and start afresh (for a page that goes on to another address)."""
        taken = Problems()
        taken.console, taken.failed, taken.foreign = self.console[:], self.failed[:], self.foreign[:]
        self.console.clear(), self.failed.clear(), self.foreign.clear()
        return taken


def watch(page) -> Problems:
    """Record the page's problems; block (and record) every request to a host other than 127.0.0.1."""
    problems = Problems()

    def route(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.foreign.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems.console.append(f"{m.text} ({m.location.get('url')})"))
    page.on("pageerror", lambda e: problems.console.append(str(e)))
    # A request cut short by leaving the page (the icon Chromium loads last) is no fault of the page's; a missing
    # file still shows as its 404 response below.
    page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "") and problems.failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.failed.append(f"{r.url} {r.status}"))
    return problems


SCHEMES = ("light", "dark")


def new_context(browser, size=DESKTOP, js=True, scheme="light"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, java_script_enabled=js, locale="en-GB",
                                  color_scheme=scheme)
    context.set_default_timeout(10_000)
    return context


class Tabs:
    """One tab per viewport and script setting, reused from test to test (a new context costs more than a page)."""

    def __init__(self, browser):
        self.browser = browser
        self.opened: dict[tuple, tuple] = {}

    def tab(self, size=DESKTOP, js=True, scheme="light"):
        """Return (page, problems) for that viewport, script setting and colour scheme."""
        if (size, js, scheme) not in self.opened:
            page = new_context(self.browser, size, js, scheme).new_page()
            self.opened[size, js, scheme] = page, watch(page)
        return self.opened[size, js, scheme]

    @contextmanager
    def open(self, url: str, size=DESKTOP, js=True, scheme="light"):
        """Go to `url`; yield (page, the problems seen from then on)."""
        page, problems = self.tab(size, js, scheme)
        problems.take()
        try:
            page.goto(url)
            yield page, problems
        finally:
            page.goto("about:blank")  # the next visit starts with a fresh document, even to the same address

    def close(self):
        for page, _ in self.opened.values():
            page.context.close()


@pytest.fixture(scope="module")
def tabs(browser):
    opened = Tabs(browser)
    yield opened
    opened.close()


def search(page, term: str, everything=False) -> list[str]:
    """Type `term` into the search page's box and wait for the results; return their paths, best first."""
    page.fill("#search-q", term)
    page.press("#search-q", "Enter")
    page.wait_for_function("document.getElementById('search-status').textContent.trim() !== ''", timeout=15_000)
    return [urlsplit(h).path for h in page.eval_on_selector_all("#search-results h2 a", "els => els.map(e => e.href)")]


def result_titles(page) -> list[tuple[str, str]]:
    """Return the path and title of each page found, in order."""
    links = page.eval_on_selector_all("#search-results h2 a", "els => els.map(e => [e.href, e.textContent.trim()])")
    return [(urlsplit(href).path, title) for href, title in links]


SEARCH_TERM = {"en": "proof of concept", "zh": "知识产权"}
SECTION_FIRST = re.compile(r"\d+(\.\d+)+ \S")  # "3.6.1 Title": the case's section number, then its title


def visible_cases(page) -> set[str]:
    links = page.eval_on_selector_all(
        ".case-card :is(h2, h3) a", "els => els.filter(e => e.checkVisibility()).map(e => new URL(e.href).pathname)")
    return set(links)


@dataclass
class Visit:
    problems: Problems
    scroll_width: int
    too_wide: list[str]
    violations: list[dict]


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Return the folder the page screenshots go to."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        return Path(SCREENSHOTS)
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def visits(tabs, site_url, screenshots) -> dict[tuple[str, int, str], Visit]:
    """Open every page at both widths in both colour schemes: its problems, its scroll width, axe's violations.

    One tab per width goes from page to page; axe runs in both tabs at once (each is its own renderer process).
    Each visit saves a screenshot of the whole page, named after its path, width and scheme.
    """
    found = {}
    for scheme in SCHEMES:
        found.update(_visit_every_page(tabs, site_url, screenshots, scheme))
    return found


def _visit_every_page(tabs, site_url, screenshots: Path, scheme: str) -> dict[tuple[str, int, str], Visit]:
    axe_source = Axe().axe_script
    both = [(size, *tabs.tab(size, scheme=scheme)) for size in (DESKTOP, PHONE)]
    found = {}
    for path in (p.values[0] for p in PAGES):
        for size, page, problems in both:
            problems.take()
            page.goto(site_url + path)
            if path.endswith("/search/"):
                search(page, SEARCH_TERM[path.split("/")[1]])
            page.evaluate(axe_source)
            # Start axe after this call returns, so that the other tab can work at the same time.
            page.evaluate("""options => { window.axeRun = new Promise(done => setTimeout(
                () => done(axe.run(document, options).then(results => results.violations)))); }""",
                          {**WCAG, "resultTypes": ["violations"]})
        for size, page, problems in both:
            violations = page.evaluate("window.axeRun")
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.scrollingElement.scrollWidth")
            too_wide = page.evaluate("""limit => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit + 0.5 && e.checkVisibility())
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 8)""", size[0])
            name = (path.strip("/").replace("/", "_") or "root") + f"-{size[0]}-{scheme}.png"
            page.screenshot(path=str(screenshots / name), full_page=True)
            found[path, size[0], scheme] = Visit(problems.take(), width, too_wide, violations)
    for _, page, _ in both:
        page.goto("about:blank")
    return found




# 1. The language switch --------------------------------------------------------------------------------------

def test_language_switch_leads_to_the_same_case_and_back(tabs, site_url, cases):
    case = next(c for c in cases if c["id"] == CASE)
    with tabs.open(f"{site_url}/en/cases/{CASE}/") as (page, _):
        assert page.get_attribute("html", "lang") == "en"
        page.click(".lang-switch a[hreflang='zh-CN']")
        page.wait_for_url(f"**/zh/cases/{CASE}/")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert page.inner_text("h1").strip() == case["profile"]["name"]["zh"]
        assert page.get_attribute(".lang-switch [aria-current]", "lang") == "zh-CN"
        page.click(".lang-switch a[hreflang='en']")
        page.wait_for_url(f"**/en/cases/{CASE}/")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1").strip() == case["profile"]["name"]["en"]


# 2. Facets -----------------------------------------------------------------------------------------------------

def test_facets_filter_the_case_list_in_place(tabs, site_url, cases):
    def having(theme):
        return {f"/en/cases/{c['id']}/" for c in cases if theme in c["themes"]}

    polish = {f"/en/cases/{c['id']}/" for c in cases if c["country"]["en"] == "Poland"}
    spin_offs, tto = having("spin-offs-and-start-ups"), having("tto-organisation")
    assert set() < polish & spin_offs < polish & (spin_offs | tto)  # the data still makes the point
    with tabs.open(f"{site_url}/en/cases/") as (page, problems):
        assert len(visible_cases(page)) == len(cases) == 27
        page.click("details.facet:has([data-facet^='countries:']) > summary")
        country = page.locator("[data-facet='countries:poland']")
        country.click()
        assert country.get_attribute("aria-pressed") == "true"
        assert visible_cases(page) == polish
        assert page.inner_text(".result-count").startswith(f"{len(polish)} of {len(cases)}")
        assert urlsplit(page.url).path == "/en/cases/"  # filtering stays on the page
        page.click("[data-facet='themes:spin-offs-and-start-ups']")  # a second facet narrows the list
        assert visible_cases(page) == polish & spin_offs
        page.click("[data-facet='themes:tto-organisation']")  # a second value of the same facet widens it again
        assert visible_cases(page) == polish & (spin_offs | tto)
        assert page.is_hidden("h2.chapter-heading >> nth=1")  # no Chinese case is left: its chapter goes too
        country.focus()
        page.keyboard.press(" ")  # the facet values are toggle buttons: Space works as well as a click
        assert country.get_attribute("aria-pressed") == "false"
        assert visible_cases(page) == spin_offs | tto
        page.click(".clear-filters")
        assert len(visible_cases(page)) == len(cases)
        assert page.is_hidden(".clear-filters")
        assert not problems, problems
    # A filtered list is a link: the address chooses the filter when the page opens.
    with tabs.open(f"{site_url}/en/cases/#themes:spin-offs-and-start-ups") as (page, _):
        assert visible_cases(page) == spin_offs
        assert page.get_attribute("[data-facet='themes:spin-offs-and-start-ups']", "aria-pressed") == "true"


def test_facet_links_work_without_javascript(tabs, site_url, cases, built):
    chinese = {f"/zh/cases/{c['id']}/" for c in cases if "proof-of-concept" in c["themes"]}
    with tabs.open(f"{site_url}/zh/cases/", js=False) as (page, _):
        # Facet titles are translated like the rest of the interface.
        titles = page.eval_on_selector_all("details.facet > summary", "els => els.map(e => e.textContent.trim())")
        assert titles and not [t for t in titles if re.search("[A-Za-z]", t)], titles
        page.click("a[data-facet='themes:proof-of-concept']")
        page.wait_for_url("**/zh/themes/proof-of-concept/")
        assert visible_cases(page) == chinese
        assert page.inner_text(".result-count").startswith(str(len(chinese)))


# 3. Search -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("term", ["知识产权", "技术转移"])
def test_chinese_search_finds_chinese_cases(tabs, site_url, built, cases, term):
    with tabs.open(f"{site_url}/zh/search/") as (page, problems):
        results = search(page, term, everything=True)
        assert not problems, problems
    assert results, f"no result for {term}"
    assert all(r.startswith("/zh/") for r in results), results
    assert all(term in (built / r.lstrip("/") / "index.html").read_text(encoding="utf-8") for r in results), results
    titled = {f"/zh/cases/{c['id']}/" for c in cases if term in c["profile"]["name"]["zh"]}
    assert titled and titled <= set(results), titled - set(results)


def test_english_search_finds_the_proof_of_concept_case(tabs, site_url, cases):
    with tabs.open(f"{site_url}/en/search/") as (page, problems):
        results = search(page, "proof of concept")
        titles = result_titles(page)
        meta = page.eval_on_selector_all("#search-results .case-meta", "els => els.map(e => e.textContent.trim())")
        marks = page.eval_on_selector_all("#search-results mark", "els => els.map(e => e.textContent)")
        assert not problems, problems
    assert results[0] == f"/en/cases/{CASE}/"
    assert all(r.startswith("/en/") for r in results), results
    # A case's section number leads its title, as in the guide; the institution comes under it.
    case_titles = [title for path, title in titles if "/cases/" in path]
    assert case_titles and all(SECTION_FIRST.match(title) for title in case_titles), titles
    assert meta[0] == next(c["institution"]["en"] for c in cases if c["id"] == CASE)
    assert marks and {m.lower() for m in marks} <= {"proof", "of", "concept", "proofs", "concepts"}, marks
    with tabs.open(f"{site_url}/en/search/?q=concept+proof") as (page, _):  # words a little apart, in any order
        page.wait_for_selector("#search-results h2 a", timeout=15_000)
        assert result_titles(page)[0][0] == f"/en/cases/{CASE}/"


def index_texts(built: Path, lang: str) -> dict[str, str]:
    """Return the text the search shows excerpts from, by page address."""
    index = json.loads((built / "search" / f"{lang}.json").read_text(encoding="utf-8"))
    return {f"/{lang}/{doc['url']}": doc["text"] for doc in index["storedFields"].values()}


def test_search_takes_the_query_from_the_address(tabs, site_url, built):
    texts = index_texts(built, "zh")
    with tabs.open(f"{site_url}/zh/search/?q=%E7%9F%A5%E8%AF%86%E4%BA%A7%E6%9D%83") as (page, _):
        page.wait_for_selector("#search-results h2 a", timeout=15_000)
        assert page.input_value("#search-q") == "知识产权"
        titles = result_titles(page)
        excerpts = page.eval_on_selector_all("#search-results .search-excerpt", "els => els.map(e => e.textContent)")
        marks = page.eval_on_selector_all("#search-results mark", "els => els.map(e => e.textContent)")
    case_titles = [title for path, title in titles if "/cases/" in path]
    assert case_titles and all(SECTION_FIRST.match(title) for title in case_titles), titles
    assert set(marks) == {"知识产权"}, marks
    # Each Chinese excerpt starts where a clause starts: after 。，；… or at the start of a paragraph.
    assert len(excerpts) == len(titles)
    for (path, _), shown in zip(titles, excerpts):
        passage = shown.removesuffix("…")
        at = texts[path].find(passage)
        assert at >= 0, (path, shown)
        assert at == 0 or texts[path][at - 1] in "。！？；，、：\n", (path, texts[path][max(0, at - 20):at + 20])


@pytest.mark.parametrize("lang, named, unnamed", [("en", "operation centre", "patent"), ("zh", "运营中心", "专利")])
def test_cases_come_before_policies_unless_the_query_names_a_policy(tabs, site_url, lang, named, unnamed):
    ask = "async q => (await window.siteSearch).search(q).map(r => r.kind)"
    with tabs.open(f"{site_url}/{lang}/search/") as (page, _):
        kinds = page.evaluate(ask, unnamed)
        assert "case" in kinds and "policy" in kinds, kinds
        assert kinds == sorted(kinds, key=lambda kind: kind != "case"), kinds  # every case, then the rest
        kinds = page.evaluate(ask, named)  # two policies have it in their titles
        assert kinds[:2] == ["policy", "policy"], kinds


@pytest.mark.parametrize("lang, name, message", [("zh", "同济", "没有页面包含“同济”。"),
                                                 ("en", "Sorbonne", "No page contains “Sorbonne”.")])
def test_a_name_no_page_contains_finds_nothing_and_says_so(tabs, site_url, lang, name, message):
    with tabs.open(f"{site_url}/{lang}/search/") as (page, problems):
        assert search(page, name) == []
        assert page.inner_text("#search-status").strip() == message
        assert not problems, problems


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_query_set_finds_every_page_it_should(browser, site_url, built, lang):
    """Every query derived from the content (tests/search_queries.py) finds what it must, first what it names."""
    site, _ = load_site(ROOT)
    queries = query_set(site, lang, built)
    assert {q.kind for q in queries} >= {"institution", "title", "glossary", "keyword", "absent"}
    page = new_context(browser).new_page()
    try:
        scores = run_queries(page, site_url, lang, queries)
    finally:
        page.context.close()
    failed = [f"{s.query.kind} {s.query.text!r}: recall@10 {s.recall_10:.2f}, of all {s.recall_all:.2f}, "
              f"missing {s.missing[:3]}, found {s.results[:3]}" for s in scores if not s.ok]
    complete = [f for f in failed if f.split()[0] in (*COMPLETE, "absent")]
    assert not complete, complete  # institutions and titles: 100 % recall; an absent name: nothing
    assert not failed, failed


def test_the_browser_cuts_text_into_the_same_terms_as_the_builder(tabs, site_url):
    """Index and query must agree: MiniSearch indexing every page in the browser gives the builder's index."""
    for lang in ("en", "zh"):
        with tabs.open(f"{site_url}/{lang}/search/") as (page, problems):
            differences = page.evaluate("""async () => {
                const engine = await window.siteSearch;
                const built = await (await fetch(document.getElementById('search').dataset.index)).json();
                const again = new MiniSearch(engine.options);
                again.addAll(Object.values(built.storedFields));
                const mine = again.toJSON();
                const table = entries => Object.fromEntries(entries.map(([term, data]) => [term, JSON.stringify(data)]));
                const a = table(built.index), b = table(mine.index);
                const terms = new Set([...Object.keys(a), ...Object.keys(b)]);
                const differ = [...terms].filter(t => a[t] !== b[t]).slice(0, 10).map(t => [t, a[t], b[t]]);
                if (JSON.stringify(built.fieldLength) !== JSON.stringify(mine.fieldLength)) differ.push(['fieldLength']);
                if (Object.keys(a).length < 1000) differ.push(['too few terms', Object.keys(a).length]);
                return differ;
            }""")
            assert not problems, problems
        assert differences == [], (lang, differences)


@pytest.mark.parametrize("keys", ["/", "Control+k", "Meta+k"])
def test_the_header_search_box_opens_with_a_key_and_leads_to_the_results(tabs, site_url, keys):
    with tabs.open(f"{site_url}/zh/cases/{CASE}/") as (page, problems):
        page.keyboard.press(keys)
        assert page.evaluate("document.activeElement.id") == "site-search-q"
        label = page.locator("label[for='site-search-q']")
        assert label.is_visible() and label.inner_text().strip() == "搜索"
        page.keyboard.type("马斯特里赫特")
        page.keyboard.press("Enter")
        page.wait_for_url("**/zh/search/?q=*")
        page.wait_for_selector("#search-results h2 a", timeout=15_000)
        assert set(result_titles(page)[i][0] for i in range(2)) == {
            "/zh/cases/um-chemelot-inscite/", "/zh/cases/um-chemelot-inscite-update/"}
        assert not problems, problems


def test_on_a_phone_the_header_search_box_opens_with_the_menu(tabs, site_url):
    with tabs.open(f"{site_url}/en/cases/{CASE}/", PHONE) as (page, problems):
        assert page.locator("#site-search-q").is_hidden()  # folded with the menu: the header stays one row
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "site-search-q"
        assert page.locator("label[for='site-search-q']").is_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE[0]
        assert not problems, problems


def test_every_page_has_the_header_search_box(built):
    missing = [p.relative_to(built).as_posix() for lang in ("en", "zh") for p in (built / lang).rglob("index.html")
               if 'id="site-search-q"' not in (text := p.read_text(encoding="utf-8")) or 'for="site-search-q"' not in text]
    assert not missing, missing[:10]


@pytest.mark.skipif(not SCREENSHOTS, reason="set SITE_SCREENSHOTS=folder to save them")
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang, query", [("en", "licence"), ("zh", "清华")])
def test_screenshots_of_search_results(tabs, site_url, lang, query, size):
    with tabs.open(f"{site_url}/{lang}/search/?q={query}", size) as (page, _):
        page.wait_for_selector("#search-results h2 a", timeout=15_000)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"search-{lang}-{size[0]}.png"), full_page=False)


# 4. Side by side -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_parallel_page_shows_both_languages(tabs, site_url, cases, lang):
    case = next(c for c in cases if c["id"] == CASE)
    with tabs.open(f"{site_url}/{lang}/cases/{CASE}/parallel/") as (page, _):
        row = page.locator("table.parallel tbody tr").first
        assert row.locator("td[lang='en']").inner_text().strip() == case["profile"]["name"]["en"]
        assert row.locator("td[lang='zh-CN']").inner_text().strip() == case["profile"]["name"]["zh"]
        english = page.locator("td[lang='en']").all_inner_texts()
        chinese = page.locator("td[lang='zh-CN']").all_inner_texts()
        assert len(english) == len(chinese) > 5
        assert case["profile"]["short_description"]["en"][:60] in " ".join(english)
        assert case["profile"]["short_description"]["zh"][:30] in " ".join(chinese)
        assert not [t for t in chinese if not re.search("[\u4e00-\u9fff]", t)]


def test_chinese_is_set_in_a_chinese_face_upright_and_with_more_leading(tabs, site_url):
    style = """e => { const s = getComputedStyle(e);
        return [s.fontFamily, parseFloat(s.lineHeight) / parseFloat(s.fontSize), s.fontStyle]; }"""
    with tabs.open(f"{site_url}/zh/cases/{CASE}/") as (page, _):
        family, leading, _ = page.eval_on_selector(".prose p", style)
        assert family.startswith('"Noto Sans CJK SC"') and 1.6 <= leading <= 1.8, (family, leading)
        # No slanted Chinese: the content has no italics in Chinese (tests/test_content.py), and an
        # <em> that slips in is set upright by the style sheet.
        assert page.query_selector(".source-note em") is None
        upright = page.evaluate("""() => { const e = document.createElement('em'); e.textContent = '中文';
            document.querySelector('.source-note p').appendChild(e); return getComputedStyle(e).fontStyle; }""")
        assert upright == "normal"
    with tabs.open(f"{site_url}/en/cases/{CASE}/parallel/") as (page, _):
        family, leading, _ = page.eval_on_selector("td[lang='zh-CN']", style)
        assert family.startswith('"Noto Sans CJK SC"') and 1.6 <= leading <= 1.8, (family, leading)
        family, leading, _ = page.eval_on_selector("td[lang='en']", style)
        assert "CJK" not in family.split(",")[0] and leading < 1.65, (family, leading)


# 5. Console, network -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_no_errors_and_no_other_hosts(visits, path):
    for width in (DESKTOP[0], PHONE[0]):
        for scheme in SCHEMES:
            problems = visits[path, width, scheme].problems
            assert not problems, f"at {width} px, {scheme}: {problems}"


# 6. Accessibility ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_wcag_violations(visits, path, size, scheme):
    violations = visits[path, size[0], scheme].violations
    assert not violations, AxeResults({"violations": violations}).generate_report()


# 7. Phone layout -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_scrolling_on_a_phone(visits, path):
    visit = visits[path, PHONE[0], "light"]
    assert visit.scroll_width <= PHONE[0], f"{visit.scroll_width} px wide: {visit.too_wide}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_case_index_puts_the_filters_first_collapsed_on_a_phone(tabs, site_url, lang):
    with tabs.open(f"{site_url}/{lang}/cases/", PHONE) as (page, _):
        panel = page.locator("details.filter-panel")
        assert panel.evaluate("e => e.compareDocumentPosition(document.querySelector('.case-list')) & 4")  # before
        assert panel.get_attribute("open") is None
        first = page.locator(".case-card").first.bounding_box()
        assert first["y"] + 40 < PHONE[1], "the first result is below the first screen"
        assert panel.locator("> summary").bounding_box()["y"] < first["y"]
        panel.locator("> summary").click()
        assert panel.get_attribute("open") is not None
        assert page.locator("[data-facet='regions:eu']").is_visible()
    with tabs.open(f"{site_url}/{lang}/cases/", DESKTOP) as (page, _):
        panel = page.locator("details.filter-panel")
        assert panel.get_attribute("open") is not None
        assert page.locator("[data-facet='regions:eu']").is_visible()
        assert panel.bounding_box()["x"] < page.locator(".case-list").first.bounding_box()["x"]  # side by side
    with tabs.open(f"{site_url}/{lang}/cases/", PHONE, js=False) as (page, _):
        # Without scripts the filters stay open (nothing hides them for good); the disclosure needs no script.
        assert page.locator("[data-facet='regions:eu']").is_visible()
        page.locator("details.filter-panel > summary").click()
        assert page.locator("[data-facet='regions:eu']").is_hidden()


# 8. Keyboard ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/en/", f"/zh/cases/{CASE}/", "/en/cases/"])
def test_first_tab_reaches_a_visible_skip_link_to_the_content(tabs, site_url, path):
    with tabs.open(site_url + path) as (page, _):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        box = page.locator(".skip-link").bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 20 and box["height"] > 10
        assert box["x"] + box["width"] <= DESKTOP[0]
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        assert page.evaluate("document.activeElement.tagName") == "MAIN"
        page.keyboard.press("Tab")  # the next stop is inside the content, not back in the header
        assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


# 9. Long pages: contents and section links --------------------------------------------------------------------

LONG_PAGES = [f"/en/cases/{CASE}/", f"/zh/cases/{CASE}/", "/en/policies/moe-2022-thousands-schools/",
              "/zh/policies/moe-2022-thousands-schools/"]


def lands_on(page, ident: str) -> bool:
    """Whether the heading `ident` is where the reader looks after following a link to it."""
    return page.evaluate("""id => { const r = document.getElementById(id).getBoundingClientRect();
        const bottom = Math.ceil(scrollY + innerHeight) >= document.scrollingElement.scrollHeight;
        return location.hash === '#' + id && r.top >= 0 && (r.top < 80 || (bottom && r.bottom <= innerHeight)); }""", ident)


@pytest.mark.parametrize("path", LONG_PAGES)
def test_every_contents_link_lands_on_its_heading(tabs, site_url, path):
    with tabs.open(site_url + path) as (page, problems):
        targets = page.eval_on_selector_all(".page-toc li > a", "els => els.map(e => e.getAttribute('href').slice(1))")
        headings = page.eval_on_selector_all("article :is(h2, h3)[id]:not(.page-toc *)", "els => els.map(e => e.id)")
        assert len(targets) >= 5 and targets == headings, (targets, headings)  # every section, in order
        for ident in targets:
            page.click(f".page-toc a[href='#{ident}']")
            assert lands_on(page, ident), ident
            # The contents stay in view beside the text on a wide screen.
            box = page.locator(".page-toc").bounding_box()
            assert box["y"] >= 0 and box["x"] > page.locator(f"#{ident}").bounding_box()["x"] + 300, (ident, box)
        page.click(".page-toc .back-to-top a")
        assert page.evaluate("scrollY") == 0
        assert not problems, problems


@pytest.mark.parametrize("path", LONG_PAGES[:2])
def test_contents_are_a_closed_disclosure_on_a_phone(tabs, site_url, path):
    with tabs.open(site_url + path, PHONE) as (page, _):
        panel = page.locator("#toc-panel")
        assert panel.get_attribute("open") is None
        assert panel.bounding_box()["y"] < page.locator(".case-facts").bounding_box()["y"]  # before the text
        page.click("#toc-panel > summary")
        ident = page.eval_on_selector_all(".page-toc li > a", "els => els.map(e => e.getAttribute('href').slice(1))")[3]
        page.click(f".page-toc a[href='#{ident}']")
        assert lands_on(page, ident), ident
        page.click(".back-to-top.page-end a")  # the contents are out of reach at the end of the page: a link back up
        assert page.evaluate("scrollY") == 0
    with tabs.open(site_url + path, PHONE, js=False) as (page, _):
        assert page.locator("#toc-panel").get_attribute("open") is not None


def test_every_section_heading_links_to_itself(built):
    problems = []
    for path in [*(built / "en" / "cases").glob("*/index.html"), *(built / "zh" / "policies").glob("*/index.html")]:
        html = path.read_text(encoding="utf-8")
        for level, ident, inner in re.findall(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', html, re.S):
            if f'<a class="heading-anchor" href="#{ident}"' not in inner:
                problems.append(f"{path.relative_to(built)}: h{level}#{ident}")
    assert not problems, problems[:10]


# 10. Phones: the header and its menu ------------------------------------------------------------------------

def test_phone_header_is_one_row_with_a_menu(tabs, site_url):
    with tabs.open(f"{site_url}/zh/cases/{CASE}/", PHONE) as (page, problems):
        assert page.locator(".site-header").bounding_box()["height"] < 70
        menu = page.locator(".menu-toggle")
        assert menu.get_attribute("aria-expanded") == "false" and page.locator("#main-nav").is_hidden()
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        page.click("#main-nav a[href$='/zh/about/']")
        page.wait_for_url("**/zh/about/")
        assert not problems, problems
    with tabs.open(f"{site_url}/zh/cases/{CASE}/", PHONE, js=False) as (page, _):
        assert page.locator("#main-nav a[href$='/zh/about/']").is_visible()  # no scripts: no menu, the links show
        assert page.locator(".menu-toggle").is_hidden() and page.locator(".theme-toggle").is_hidden()


# 11. Colour schemes ------------------------------------------------------------------------------------------

def background(page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def test_the_colour_scheme_follows_the_system_and_the_reader_s_choice_is_remembered(browser, site_url):
    context = new_context(browser, DESKTOP, scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{site_url}/en/")
        dark = background(page)
        toggle = page.locator(".theme-toggle")
        assert toggle.get_attribute("aria-pressed") == "true"
        toggle.click()
        light = background(page)
        assert toggle.get_attribute("aria-pressed") == "false" and light != dark
        # Another page, with the header's script blocked: the choice still applies, from the first script in <head>.
        page.route("**/static/site.js", lambda route: route.abort())
        page.goto(f"{site_url}/zh/cases/")
        assert background(page) == light
        page.unroute("**/static/site.js")
        page.goto(f"{site_url}/zh/cases/")
        page.click(".theme-toggle")
        assert background(page) == dark and page.evaluate("localStorage.getItem('colour-scheme')") == "dark"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_charts_and_search_highlights_are_readable_in_both_schemes(tabs, site_url, scheme):
    contrast = """([fg, bg]) => { const lum = c => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); }"""
    with tabs.open(f"{site_url}/en/needs-analysis/", scheme=scheme) as (page, _):
        paper = background(page)
        bars = page.eval_on_selector_all(".chart rect", "els => [...new Set(els.map(e => getComputedStyle(e).fill))]")
        text = page.eval_on_selector(".chart text", "e => getComputedStyle(e).fill")
        assert len(bars) >= 2
        assert all(page.evaluate(contrast, [bar, paper]) >= 3 for bar in bars), (bars, paper)
        assert page.evaluate(contrast, [text, paper]) >= 4.5, (text, paper)
    with tabs.open(f"{site_url}/en/search/?q=proof", scheme=scheme) as (page, _):
        page.wait_for_selector("#search-results mark", timeout=15_000)
        mark = page.eval_on_selector("#search-results mark", "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert page.evaluate(contrast, mark) >= 4.5, mark
        # Results are titled by the page's title alone, without a heading's "link to this section" anchor.
        titles = page.eval_on_selector_all("#search-results h2 a", "els => els.map(e => e.textContent)")
        assert titles and not [t for t in titles if "#" in t or "Link to this section" in t], titles


# 12. Details that broke on one width -------------------------------------------------------------------------

def test_favicon_and_404_page(tabs, site_url):
    with tabs.open(f"{site_url}/en/") as (page, _):
        icon = page.get_attribute("link[rel=icon]", "href")
        assert page.request.get(site_url + icon).status == 200
    with tabs.open(f"{site_url}/404.html") as (page, problems):
        assert page.locator(".site-header .brand").is_visible() and page.locator("#main-nav a").count() >= 5
        page.fill("#not-found-search-zh", "知识产权")
        page.press("#not-found-search-zh", "Enter")
        page.wait_for_url("**/zh/search/?q=*")
        page.wait_for_selector("#search-results h2 a", timeout=15_000)
        assert not problems, problems


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_side_by_side_field_names_never_break_inside_a_word(tabs, site_url, lang):
    with tabs.open(f"{site_url}/{lang}/cases/um-chemelot-inscite/parallel/") as (page, _):
        broken = page.evaluate("""() => [...document.querySelectorAll('.parallel tbody th')].flatMap(th => {
            const room = th.clientWidth - parseFloat(getComputedStyle(th).paddingLeft) - parseFloat(getComputedStyle(th).paddingRight);
            return th.textContent.split(/\\s+/).filter(w => /[A-Za-z]/.test(w)).filter(word => {
                const probe = document.createElement('span'); probe.textContent = word; probe.style.whiteSpace = 'nowrap';
                th.appendChild(probe); const wide = probe.getBoundingClientRect().width > room + 0.5; probe.remove(); return wide; });
        })""")
    assert not broken, broken


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_needs_analysis_fits_a_phone_with_legible_charts(tabs, site_url, lang):
    with tabs.open(f"{site_url}/{lang}/needs-analysis/", PHONE) as (page, _):
        wraps = page.eval_on_selector_all(".table-wrap", "els => els.map(e => e.scrollWidth - e.clientWidth)")
        assert wraps and not any(wraps), wraps  # no table needs its scroll box
        sizes = page.eval_on_selector_all(".chart", """els => els.map(svg => svg.getBoundingClientRect().width
            / svg.viewBox.baseVal.width * Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize))))""")
        assert sizes and min(sizes) >= 12, sizes


@pytest.mark.parametrize("path", ["/en/cases/um-chemelot-inscite/", "/zh/cases/ua-lean-ct/"])
def test_missing_image_note_fits_a_phone(tabs, site_url, path):
    with tabs.open(site_url + path, PHONE) as (page, _):
        spill = page.eval_on_selector(".image-missing", """f => { const r = f.getBoundingClientRect();
            return [...f.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > r.right + 0.5
                || e.scrollWidth > e.clientWidth + 1).map(e => e.tagName); }""")
        assert not spill, spill


def test_a_case_page_fetches_one_stylesheet_and_no_print_stylesheet(tabs, site_url):
    page, _ = tabs.tab()
    requested: list[str] = []

    def record(request):
        requested.append(urlsplit(request.url).path)

    page.on("request", record)
    try:
        page.goto(f"{site_url}/zh/cases/{CASE}/")
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("request", record)
        page.goto("about:blank")
    styles = [p for p in requested if p.endswith(".css")]
    assert styles == ["/static/site.css"], requested


# Structure of every built page ---------------------------------------------------------------------------------

class Structure(HTMLParser):
    """What the structure checks need from a page, read with the standard library's HTML parser."""

    def __init__(self):
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()
        self.lang = None
        self.title = ""
        self.links: list[dict] = []
        self.meta: dict[str, str] = {}
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] += 1
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "meta" and attrs.get("property"):
            self.meta[attrs["property"]] = attrs.get("content") or ""

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_every_page_has_one_main_one_h1_unique_ids_and_a_title(built):
    problems = []
    pages = sorted(built.rglob("*.html"))
    assert len(pages) > 100
    for path in pages:
        page = Structure()
        page.feed(path.read_text(encoding="utf-8"))
        name = path.relative_to(built).as_posix()
        if page.tags["main"] != 1:
            problems.append(f"{name}: {page.tags['main']} <main>")
        if page.tags["h1"] != 1:
            problems.append(f"{name}: {page.tags['h1']} <h1>")
        if duplicates := [i for i, n in page.ids.items() if n > 1]:
            problems.append(f"{name}: duplicate ids {duplicates}")
        if page.lang != ("zh-CN" if name.startswith("zh/") else "en"):
            problems.append(f"{name}: html lang {page.lang!r}")
        if not page.title.strip():
            problems.append(f"{name}: no <title>")
    assert not problems, problems


def test_every_language_page_has_canonical_alternates_and_open_graph(built):
    problems = []
    for path in sorted([*(built / "en").rglob("index.html"), *(built / "zh").rglob("index.html")]):
        page = Structure()
        page.feed(path.read_text(encoding="utf-8"))
        name = path.relative_to(built).as_posix()
        lang, rest = name.split("/", 1)
        own = ADDRESS + name.removesuffix("index.html")
        canonical = [link["href"] for link in page.links if link.get("rel") == "canonical"]
        if canonical != [own]:
            problems.append(f"{name}: canonical {canonical}")
        alternates = {link.get("hreflang"): link["href"] for link in page.links if link.get("rel") == "alternate"
                      and link.get("hreflang")}
        expected = {"en": f"{ADDRESS}en/{rest}", "zh-CN": f"{ADDRESS}zh/{rest}", "x-default": f"{ADDRESS}en/{rest}"}
        expected = {k: v.removesuffix("index.html") for k, v in expected.items()}
        if alternates != expected:
            problems.append(f"{name}: hreflang alternates {alternates}")
        og = page.meta
        if not og.get("og:title") or og.get("og:url") != own or \
                og.get("og:locale") != {"en": "en_GB", "zh": "zh_CN"}[lang]:
            problems.append(f"{name}: Open Graph {og}")
    assert not problems, problems[:20]
