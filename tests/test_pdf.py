"""The PDF editions, read back: outline, contents, text, fonts, metadata, tags, page breaks, cache.

The two editions of the real guide are rendered once for the module (in parallel, as the
build does, their layout checked on the way) and read back with pypdf and poppler's pdftotext / pdffonts, independently of
what the renderer reports about itself. The page-break rules are checked on the PDF text
and, for what the text cannot show (lines per fragment, overflow), on WeasyPrint's layout.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from site_builder import pdf
from site_builder.build import build_pdfs_only
from site_builder.content import load_site
from site_builder.i18n import LANGUAGE, load_translations
from site_builder.markup import typographic

ROOT = Path(__file__).resolve().parent.parent
CODES = ("en", "zh")
MM = 72 / 25.4  # PDF points per millimetre
MARGIN = 22 * MM  # top and bottom page margins (pdf.css)
SIDE_MARGIN, MEASURE = 24 * MM, 162 * MM  # left page margin and text width (pdf.css)
LABEL_COLUMN = {"en": SIDE_MARGIN + 0.20 * MEASURE, "zh": SIDE_MARGIN + 0.15 * MEASURE}  # its right edge
# Characters a Chinese line must not start with (closing punctuation) or end with (opening punctuation).
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…%")
NO_LINE_END = set("（《「『【〔〈“‘")

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


# --- fixtures and helpers -------------------------------------------------------------

@pytest.fixture(scope="module")
def site():
    return load_site(ROOT)[0]


@pytest.fixture(scope="module")
def rendering(site, tmp_path_factory):
    """Render both editions of the real guide once for the module, in parallel as the build does, checking their
    layout on the way (render_and_check): {code: (path, PdfInfo, bytes, layout problems, layout counts)}."""
    pdf.check_fonts()
    prepared = pdf.prepare_editions(site)
    assert [e.code for e in prepared] == list(CODES)
    with ProcessPoolExecutor(max_workers=2, mp_context=pdf._process_context()) as pool:
        results = list(pool.map(render_and_check, prepared))
    folder = tmp_path_factory.mktemp("pdf")
    rendered_editions = {}
    for code, (problems, counts, rendered) in zip(CODES, results):
        name = pdf.pdf_name(site, code)
        path = folder / Path(name).name
        path.write_bytes(rendered.body)
        info = pdf.PdfInfo(name, len(rendered.body), rendered.pages, dict(rendered.case_pages))  # as render_editions
        rendered_editions[code] = (path, info, rendered.body, problems, counts)
    return rendered_editions


@pytest.fixture(scope="module")
def editions(rendering):
    """Both editions of the real guide: {code: (path, PdfInfo, bytes)}."""
    return {code: result[:3] for code, result in rendering.items()}


def text(path: Path, first: int | None = None, last: int | None = None, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else [])
    args += (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    return subprocess.run(args + [str(path), "-"], capture_output=True, text=True, check=True).stdout


@functools.lru_cache(maxsize=None)
def page_texts(path: Path) -> list[str]:
    """Return the text of every page (pdftotext pages end with a form feed)."""
    return text(path).split("\f")[:-1]


@functools.lru_cache(maxsize=None)
def page_lines(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Return each page's text lines as (x_min, y_min, x_max, y_max, text), from pdftotext -bbox-layout."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in ET.fromstring(xml).iter("{http://www.w3.org/1999/xhtml}page"):
        lines = []
        for line in page.iterfind(".//h:line", ns):
            words = [w.text or "" for w in line.iterfind("h:word", ns)]
            box = [float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
            lines.append((*box, " ".join(words)))
        pages.append(lines)
    return pages


def squash(value: str) -> str:
    """Text without whitespace or soft hyphens, for comparing what pdftotext returns with the source."""
    return re.sub(r"[\s\u00ad]+", "", unicodedata.normalize("NFKC", value))


def title(case, code: str) -> str:
    """The case's title as the edition prints it (typographic quotes, see markup.typographic)."""
    return typographic(case.profile.name.get(code))


def body_lines(lines, height: float):
    """The lines of a page inside its margins (without running header and footer)."""
    return [line for line in lines if line[1] >= MARGIN - 1 and line[3] <= height - MARGIN + 1]


def case_page_ranges(site, info) -> dict[str, range]:
    """The pages each case occupies, from the case start pages in the contents."""
    starts = [info.case_pages[c.id] for c in site.cases]
    ends = starts[1:] + [info.pages + 1]
    return {c.id: range(start, end) for c, start, end in zip(site.cases, starts, ends)}


# --- outline, contents and page numbers -----------------------------------------------

def outline_entries(reader, items=None, depth=0):
    """Yield (depth, title, page number) for every outline entry."""
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            yield from outline_entries(reader, item, depth + 1)
        else:
            yield depth, item.title, reader.get_destination_page_number(item) + 1


@pytest.mark.parametrize("code", CODES)
def test_outline_lists_every_chapter_and_case(editions, site, code):
    """The bookmarks hold the acronyms, the introduction, every chapter, partner section and case."""
    from pypdf import PdfReader

    entries = list(outline_entries(PdfReader(editions[code][0])))
    titles = [squash(t) for _, t, _ in entries]
    guide = site.guide
    expected = [f"1 {guide.introduction.get(code)}"]
    expected += [f"{ch.number} {ch.title.get(code)}" for ch in guide.introduction_chapters]
    for chapter in guide.case_chapters:
        expected.append(f"{chapter.number} {chapter.title.get(code)}")
        expected += [f"{s.number} {guide.partner(s.partner).name.get(code)}" for s in chapter.sections]
    expected += [f"{case.section} {title(case, code)}" for case in site.cases]
    missing = [t for t in expected if squash(t) not in titles]
    assert not missing, f"not in the outline: {missing}"
    case_entries = [(d, t) for d, t, _ in entries if re.match(r"\d+\.\d+\.\d+ ", t)]
    assert len(case_entries) == len(site.cases), "one bookmark per case"
    assert {d for d, _ in case_entries} == {2}, "cases nest under their partner section, under their chapter"


@pytest.mark.parametrize("code", CODES)
def test_contents_page_numbers_are_the_pages_where_cases_start(editions, site, code):
    """The contents print, for every case, the page where the case's title is; the outline and the
    renderer's own case_pages (used by the website's citations) agree."""
    from pypdf import PdfReader

    path, info, _ = editions[code]
    reader = PdfReader(path)
    outline_page = {squash(t): page for _, t, page in outline_entries(reader)}
    pages = [squash(page) for page in page_texts(path)]
    assert len(pages) == info.pages
    contents_heading = squash(load_translations(ROOT, code).gettext("Table of contents"))
    first = next(n for n, page in enumerate(pages, 1) if contents_heading in page[:200])
    acronyms = squash(load_translations(ROOT, code).gettext("List of acronyms"))
    last = outline_page[acronyms] - 1  # the contents end before the list of acronyms
    contents = text(path, first, last, layout=True).splitlines()
    assert site.cases
    for case in site.cases:
        line = next(i for i, entry in enumerate(contents) if entry.strip().startswith(case.section + " "))
        number = next(int(m.group(1)) for entry in contents[line:line + 4] if (m := re.search(r"(\d+)\s*$", entry)))
        start = outline_page[squash(f"{case.section} {title(case, code)}")]
        heading = squash(f"{case.section} {title(case, code)}")
        assert heading[:40] in pages[number - 1], f"{case.id}: the title is not on page {number}"
        assert heading[:40] not in pages[number - 2], f"{case.id}: the case starts before page {number}"
        assert number == start, f"{case.id}: contents say {number}, the bookmark points to {start}"
        assert info.case_pages[case.id] == number, f"{case.id}: case_pages says {info.case_pages[case.id]}"


# --- text and fonts -------------------------------------------------------------------

def test_chinese_text_extracts(editions, site):
    """The Chinese edition's text comes out as Chinese: titles, terms, no replacement or private-use characters."""
    extracted = text(editions["zh"][0])
    flat = squash(extracted)
    assert "知识产权" in flat
    assert squash(site.guide.title.get("zh")) in flat
    for case in site.cases[6:12]:  # several Chinese cases
        assert squash(title(case, "zh")) in flat, case.id
    assert "\ufffd" not in extracted
    private = sorted({c for c in extracted if unicodedata.category(c) == "Co"})
    assert not private, f"private-use characters: {private}"


def test_chinese_lines_never_start_with_closing_punctuation(editions):
    """No line of the Chinese edition starts with ，。、；：）” etc. or ends with （“ etc."""
    bad = []
    for number, lines in enumerate(page_lines(editions["zh"][0]), 1):
        for *_, line in lines:
            line = line.strip()
            if line and (line[0] in NO_LINE_START or line[-1] in NO_LINE_END):
                bad.append(f"page {number}: {line[:30]}")
    assert not bad, bad


# --- Chinese setting (clreq) -------------------------------------------------------------

CJK_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
FULL_WIDTH_MARKS = set("，。、；：？！（）《》“”‘’")
LIST_MARKER = re.compile(r"\s*([0-9]+[.)]|[•◦▪·–-])")


def chinese_line_figures(path: Path) -> dict:
    """Measure the Chinese setting of an edition from its glyph positions (pdfplumber), from chapter 1 on.

    Lines are the body-size, non-bold characters of one text row of one column. A line is non-final
    when the next line of its column follows at most 1.85 em below, at the same indent, and does not
    start a list item. Returns the count of non-final lines, of those ending more than 1 em short of
    their column's right edge (the rightmost line end of that column on the page), of adjacent
    full-width mark pairs, of those where the first mark still takes a full em, and of paragraph
    ends whose last line holds a single character.
    """
    import pdfplumber
    from pypdf import PdfReader

    reader = PdfReader(path)
    first = min(reader.get_destination_page_number(i) + 1 for i in reader.outline
                if not isinstance(i, list) and i.title.startswith("1 "))
    figures = {"non-final lines": 0, "short": 0, "mark pairs": 0, "full-em pairs": 0, "one-character last lines": 0}
    with pdfplumber.open(path) as document:
        for page in document.pages[first - 1:]:
            chars = [c for c in page.chars if MARGIN - 1 <= c["top"] and c["bottom"] <= page.height - MARGIN + 1
                     and "Bold" not in c["fontname"]]
            sizes = [round(c["size"], 1) for c in chars if CJK_IDEOGRAPH.match(c["text"])]
            if not sizes:
                continue
            body = max(set(sizes), key=sizes.count)
            rows: dict = {}
            for c in chars:
                if abs(c["size"] - body) < 0.2:
                    rows.setdefault(round(c["top"]), []).append(c)
            lines = []
            for top in sorted(rows):
                row = sorted(rows[top], key=lambda c: c["x0"])
                line = [row[0]]
                for a, b in zip(row, row[1:]):
                    if b["x0"] - a["x1"] > 3 * body:  # the next column
                        lines.append(line)
                        line = []
                    line.append(b)
                lines.append(line)
            edges: dict = {}
            for line in lines:
                key = line[0]["x0"] > 100  # a table's text column, or the full measure
                edges[key] = max(edges.get(key, 0), line[-1]["x1"])
            for index, line in enumerate(lines):
                chars_text = "".join(c["text"] for c in line)
                for a, b in zip(line, line[1:]):
                    if a["text"] in FULL_WIDTH_MARKS and b["text"] in FULL_WIDTH_MARKS:
                        figures["mark pairs"] += 1
                        figures["full-em pairs"] += b["x0"] - a["x0"] > 0.9 * body
                if len(CJK_IDEOGRAPH.findall(chars_text)) < len(chars_text) / 2:
                    continue
                following = [later for later in lines[index + 1:index + 4]
                             if abs(later[0]["x0"] - line[0]["x0"]) < 0.5 * body
                             and 0 < later[0]["top"] - line[0]["top"] < 1.85 * body
                             and not LIST_MARKER.match("".join(c["text"] for c in later[:4]))
                             and not any(abs(c["top"] - later[0]["top"]) < 3
                                         and later[0]["x0"] - 2.5 * body < c["x0"] < later[0]["x0"] - 1
                                         for c in page.chars)]  # a list item's marker left of it: a new item
                if following:
                    figures["non-final lines"] += 1
                    figures["short"] += edges[line[0]["x0"] > 100] - line[-1]["x1"] > body
                else:
                    previous = [earlier for earlier in lines[max(0, index - 3):index]
                                if 0 < line[0]["top"] - earlier[0]["top"] < 1.85 * body]
                    stripped = chars_text.strip().rstrip("".join(FULL_WIDTH_MARKS))
                    figures["one-character last lines"] += bool(previous) and len(stripped) == 1
    return figures


def test_chinese_setting_is_justified_with_narrowed_punctuation(editions):
    """Non-final lines of Chinese text reach the column's edge (the slack is spread between characters),
    adjacent full-width marks do not leave a full em of white, and last lines of one character are rare."""
    figures = chinese_line_figures(editions["zh"][0])
    print(f"\nChinese line ends: {figures}")
    assert figures["non-final lines"] > 300, figures
    assert figures["short"] <= 0.02 * figures["non-final lines"], figures
    # Left full: an opening mark after an opening one (see pdf.py), and pairs split by an element boundary.
    assert figures["mark pairs"] > 50 and figures["full-em pairs"] <= 0.08 * figures["mark pairs"], figures
    assert figures["one-character last lines"] <= 3, figures


def test_chinese_template_text_uses_full_width_punctuation(editions, site):
    """What the print template itself writes on Chinese pages uses full-width marks, and the block headers
    copy as words (no letter-spacing between their characters)."""
    extracted = re.sub(r"\s+", "", text(editions["zh"][0]))
    assert "（编）" in extracted and "(编)" not in extracted
    assert "联系：" in extracted and "联系:" not in extracted
    several = [c for c in site.cases if len(c.authors) > 1]
    assert several
    for case in several:
        expected = "；".join(f"{a.name}（{a.role.get('zh')}）" if a.role else a.name for a in case.authors)
        assert re.sub(r"\s+", "", expected) in extracted, f"{case.id}: authors not as {expected!r}"
    gettext = load_translations(ROOT, "zh").gettext
    for block in ("Profile", "Impact, results and outcomes", "Information sources", "Contact details"):
        assert gettext(block) in extracted, f"block header {gettext(block)!r} does not copy as a word"


def test_a_url_written_out_in_the_text_links_to_itself_and_ends_where_the_url_does():
    """A bare URL becomes a link that stops before the words around it, also in Chinese text where no space
    follows it; existing links and attributes are left alone."""
    html = ('<html><head><title>t</title></head><body><p>网址“http://uaemprende.ua.es”和账号“@ua_emprende”。'
            "See ‘http://example.org/a_b?x=1&amp;y=2’, http://example.org/end. (https://example.org/x) "
            '<a href="https://example.org/kept">https://example.org/kept</a> <img src="http://example.org/i.png">'
            "见http://example.org/c（中文）</p></body></html>")
    linked = pdf.link_bare_urls(html)
    assert re.findall(r'<a href="([^"]*)">\1</a>', linked) == [
        "http://uaemprende.ua.es", "http://example.org/a_b?x=1&amp;y=2", "http://example.org/end",
        "https://example.org/x", "https://example.org/kept", "http://example.org/c"]
    assert '<img src="http://example.org/i.png">' in linked


def fonts(path: Path) -> list[tuple[str, str]]:
    """Return (name, emb) of every font, from pdffonts."""
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, "no fonts"
    return [(row.split()[0], row.split()[-5]) for row in rows]


@pytest.mark.parametrize("code", CODES)
def test_every_font_is_embedded(editions, code):
    rows = fonts(editions[code][0])
    assert all(emb == "yes" for _, emb in rows), rows


def test_chinese_edition_uses_the_simplified_chinese_face(editions):
    names = [re.sub(r"[^a-z]", "", name.split("+")[-1].lower()) for name, _ in fonts(editions["zh"][0])]
    assert any("notosanscjksc" in n for n in names), names
    assert not any(re.search(r"cjk(jp|kr|tc|hk)", n) for n in names), names


# --- metadata and tags ----------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_metadata_language_and_tags(editions, site, code):
    from pypdf import PdfReader

    reader = PdfReader(editions[code][0])
    meta = reader.metadata
    guide = site.guide
    assert meta.title == guide.title.get(code)
    assert meta.author == ", ".join(e.name for e in guide.editors)
    assert guide.deliverable in meta.subject and guide.project.acronym in meta.subject
    assert guide.themes[0].name.get(code) in meta["/Keywords"]
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == LANGUAGE[code].html
    assert "/StructTreeRoot" in catalog, "the PDF is tagged"
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert b"pdfuaid:part" in catalog["/Metadata"].get_object().get_data()
    assert catalog["/PageMode"] == "/UseOutlines", "the viewer opens with the bookmarks pane"
    # Created in the year the cover names; changed when the newest case was.
    assert meta.creation_date.year == guide.year
    newest = max(c.date for c in site.cases if c.date)
    assert meta.modification_date.strftime("%Y-%m-%d").startswith(newest)
    assert str(guide.year) in text(editions[code][0], 1, 1)


# --- structure tree and the independent PDF/UA-1 checkers ----------------------------------

def structure_elements(document) -> list:
    """Return every structure element of a pikepdf document's tree, depth first, as (type, element, parent type)."""
    import pikepdf

    found = []

    def walk(element, parent):
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            return
        found.append((str(element.S), element, parent))
        kids = element.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            walk(kid, str(element.S))

    roots = document.Root.StructTreeRoot.K
    for root in roots if isinstance(roots, pikepdf.Array) else [roots]:
        walk(root, None)
    return found


@pytest.mark.parametrize("code", CODES)
def test_structure_tree(editions, site, code):
    """One /Table per table (not one per page), header cells with /Scope, list items of label and body,
    the contents as TOC / TOCI, leader dots not in the tree, figures with alternative text."""
    import pikepdf

    path = editions[code][0]
    html = next(e.html for e in pdf.prepare_editions(site) if e.code == code)
    document = pikepdf.open(path)
    elements = structure_elements(document)
    types = [kind for kind, _, _ in elements]
    assert types.count("/Table") == html.count("<table"), "one structure element per table"
    headers = [e for kind, e, _ in elements if kind == "/TH"]
    assert headers and all(str(e.A.Scope) in ("/Row", "/Column") for e in headers)
    for kind, element, _ in elements:
        if kind == "/LI":
            kids = {str(k.S) for k in element.K if hasattr(k, "get") and "/S" in k}
            assert kids <= {"/Lbl", "/LBody"} and "/LBody" in kids, kids
    entries = html.count('<li class="toc-')
    assert types.count("/TOC") == 1 and types.count("/TOCI") == entries
    figures = [e for kind, e, _ in elements if kind == "/Figure"]
    assert all(str(e.get("/Alt", "")).strip() for e in figures), "a figure without alternative text"
    # The leader dots are artifacts. WeasyPrint draws each dot as a text run of its own: on a contents page,
    # hundreds of tagged runs of one and the same glyph would be the dots, each read aloud.
    contents_pages = {e.Pg.objgen for kind, e, _ in elements if kind == "/TOCI"}
    assert contents_pages
    dots_in_tree = 0
    for page in document.pages:
        if page.objgen not in contents_pages:
            continue
        artifact, runs = [], []
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name in ("BMC", "BDC"):
                artifact.append(str(operands[0]) == "/Artifact")
            elif name == "EMC" and artifact:
                artifact.pop()
            elif name in ("Tj", "TJ") and not any(artifact):
                runs.append(bytes(operands[0]) if name == "Tj" else b"".join(
                    bytes(o) for o in operands[0] if isinstance(o, pikepdf.String)))
        single = [run for run in runs if len(run) <= 2]
        dots_in_tree += max((single.count(run) for run in set(single)), default=0) > 100
    assert dots_in_tree == 0, f"{dots_in_tree} contents page(s) with their leader dots tagged as text"


@pytest.mark.parametrize("code", CODES)
def test_independent_pdf_ua_checkers_pass(editions, code):
    """The PDF/UA-1 claim holds for two checkers that know nothing of this project: page (a validator of
    the PDF/UA-1 rules) passes the file, and outloud finds no error in its conformance checks (its
    semantic checks are reported, not required)."""
    import json

    import page

    path = editions[code][0]
    report = page.validate_pdf(str(path), profile="ua1")
    failures = sorted({f"{f.rule_id}: {f.message}" for f in report.failures})
    assert report.is_compliant, failures
    outloud = shutil.which("outloud") or str(Path(sys.executable).parent / "outloud")
    result = subprocess.run([outloud, "--json", "-", "--layer", "conformance", "--fail-on", "never", str(path)],
                            capture_output=True, text=True, check=True)
    findings = json.loads(result.stdout)["results"][0]["findings"]
    errors = [f"{f['rule']} p{f.get('page')}: {f['message']}" for f in findings if f["severity"] == "error"]
    assert not errors, errors


# --- page furniture -------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_cover_has_no_running_header_or_page_number(editions, code):
    path, info, _ = editions[code]
    pages = page_lines(path)
    height = 841.89
    cover, second = pages[0], pages[1]
    assert cover, "the cover has text"
    in_margins = [line[4] for line in cover if line[1] < MARGIN or line[3] > height - MARGIN]
    assert not in_margins, f"header or footer on the cover: {in_margins}"
    assert not any(line[4].strip() == "1" for line in cover)
    # The next page does have them: the short title on top, the page number at the foot.
    assert any(line[3] < MARGIN and line[4] for line in second)
    assert any(line[1] > height - MARGIN and line[4].strip() == "2" for line in second)


@pytest.mark.parametrize("code", CODES)
def test_running_header_and_footer_stay_on_one_line(editions, code):
    """Long case titles are shortened in the running header: header and footer never wrap into the text."""
    height = 841.89
    for number, lines in enumerate(page_lines(editions[code][0])[1:], 2):
        header = [line for line in lines if line[3] < MARGIN]
        footer = [line for line in lines if line[1] > height - MARGIN]
        for name, furniture in (("header", header), ("footer", footer)):
            tops = sorted(line[1] for line in furniture)
            assert tops and tops[-1] - tops[0] < 3, f"page {number}: the {name} takes more than one line"


@pytest.mark.parametrize("code", CODES)
def test_case_title_is_repeated_on_continuation_pages(editions, site, code):
    """Every page of a case after its first names the case (number and title) in its running header."""
    path, info, _ = editions[code]
    pages = page_lines(path)
    continued = 0
    for case in site.cases:
        pages_of_case = case_page_ranges(site, info)[case.id]
        first_words = squash(title(case, code))[:12]
        for number in pages_of_case[1:]:
            header = squash(" ".join(word[4] for word in pages[number - 1] if word[3] < MARGIN))
            assert squash(site.guide.short_title.get(code)) in header, f"page {number}"
            assert squash(case.section) + first_words in header, f"{case.id}: page {number} header {header!r}"
            continued += 1
    assert continued > len(site.cases) // 2, "many cases run over several pages"


@pytest.mark.parametrize("code", CODES)
def test_running_head_names_the_case_that_starts_on_the_page(editions, site, code):
    """A page where a case starts names that case in its running head, also when the case starts part-way
    down the page (the first one, if several start there, as books do); a page without a case start names
    the case running on it; a chapter's opening page names none (its heading is there)."""
    from pypdf import PdfReader

    path, info, _ = editions[code]
    pages = page_lines(path)
    reader = PdfReader(path)
    chapter_starts = {reader.get_destination_page_number(item) + 1 for item in reader.outline
                      if not isinstance(item, list)}
    names = {case.id: squash(case.section) + squash(title(case, code))[:12] for case in site.cases}
    starting: dict[int, list[str]] = {}
    for case in site.cases:
        starting.setdefault(info.case_pages[case.id], []).append(case.id)
    height = 841.89
    running, part_way = None, 0
    for number in range(min(starting), info.pages + 1):
        header = squash(" ".join(line[4] for line in pages[number - 1] if line[3] < MARGIN))
        named = [case_id for case_id, name in names.items() if name in header]
        if number in chapter_starts:
            assert not named, f"page {number} opens a chapter, yet its running head names {named}"
        elif number in starting:
            assert named == starting[number][:1], f"page {number}: head {header!r}, cases starting {starting[number]}"
            top = squash(min(body_lines(pages[number - 1], height), key=lambda line: line[1])[4])
            part_way += not names[starting[number][0]].startswith(top[:len(names[starting[number][0]])])
        else:
            assert named == [running], f"page {number}: head {header!r}, running case {running}"
        running = starting.get(number, [running])[-1]
    assert part_way >= 5, f"only {part_way} pages where a case starts part-way"


@pytest.mark.parametrize("code", CODES)
def test_no_label_heading_or_block_header_left_at_a_page_foot(editions, site, code):
    """The last line above a page's footer is never a row label alone, a block header row or a heading."""
    path, info, _ = editions[code]
    gettext = load_translations(ROOT, code).gettext
    labels = {squash(gettext(s)) for s in (
        "Case study name", "Institution", "Case study author", "Country", "Target groups", "Date",
        "Short description", "Background", "Keywords", "Achievements", "Awards", "Key success factors",
        "Impact", "Photograph / diagram", "Website", "Name", "Role", "Address", "Telephone", "E-mail",
        "Editorial notes")}
    blocks = {squash(gettext(s)) for s in ("Profile", "Impact, results and outcomes", "Information sources",
                                           "Contact details")}
    headings = [squash(f"{case.section} {title(case, code)}") for case in site.cases]
    headings += [squash(f"{s.number} {site.guide.partner(s.partner).name.get(code)}")
                 for ch in site.guide.case_chapters for s in ch.sections]
    headings += [squash(f"{ch.number} {ch.title.get(code)}") for ch in site.guide.introduction_chapters]
    height = 841.89
    pages = page_lines(path)
    first_case = min(info.case_pages.values())
    checked = 0
    for number in range(first_case, info.pages + 1):
        lines = body_lines(pages[number - 1], height)
        bottom = max(line[3] for line in lines)
        last = [line for line in lines if line[3] > bottom - 3]
        if all(line[2] <= LABEL_COLUMN[code] + 1 for line in last):  # nothing in the text column at the foot
            foot = squash(" ".join(line[4] for line in last))
            assert foot not in labels, f"page {number}: label {foot!r} left at the foot"
        foot = squash(" ".join(line[4] for line in last))
        assert foot.casefold() not in {b.casefold() for b in blocks}, f"page {number}: block header at the foot"
        assert not any(h.startswith(foot) and len(foot) > 4 for h in headings), f"page {number}: heading at the foot"
        checked += 1
    assert checked > 50


# --- page economy ----------------------------------------------------------------------

def page_fills(path: Path) -> list[float]:
    """Return each page's fill: the share of the text area's height down to its lowest line of text."""
    height = 841.89
    fills = []
    for lines in page_lines(path):
        bottoms = [line[3] for line in body_lines(lines, height)]
        fills.append(max(0.0, (max(bottoms, default=MARGIN) - MARGIN) / (height - 2 * MARGIN)))
    return fills


def chapter_last_pages(path: Path) -> set[int]:
    """Return the last page of every top-level part (the pages before a top-level bookmark, and the last)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    starts = {reader.get_destination_page_number(item) + 1 for item in reader.outline if not isinstance(item, list)}
    return {start - 1 for start in starts} | {len(reader.pages)}


@pytest.mark.parametrize("code", CODES)
def test_no_page_is_left_nearly_empty(editions, code):
    """Every page but the cover and the last page of a chapter uses at least a quarter of its text area."""
    path = editions[code][0]
    fills = page_fills(path)
    report = " ".join(f"{number}:{fill:.0%}" for number, fill in enumerate(fills, 1))
    print(f"\n{code}: {len(fills)} pages, mean fill {sum(fills) / len(fills):.0%}\n{report}")
    ends = chapter_last_pages(path)
    sparse = [f"page {n}: {fill:.0%}" for n, fill in enumerate(fills, 1) if fill < 0.25 and n not in ends and n > 1]
    assert not sparse, f"nearly empty pages: {sparse}"


# --- layout rules that the text cannot show ---------------------------------------------

def layout_problems(document) -> tuple[list[str], dict[str, int]]:
    """Return the page-break rules a laid-out edition breaks, and some counts."""
    from weasyprint.formatting_structure import boxes

    problems, counts = [], {"split rows": 0, "split paragraphs": 0, "pages": len(document.pages)}
    rows: dict = {}  # <tr> → [(page, lines of its text cell on that page)]
    paragraphs: dict = {}  # element holding lines → {page: lines}

    def walk(box, ancestors, page, found):
        box = getattr(box, "_box", box)  # absolutely positioned boxes sit in placeholders
        if isinstance(box, boxes.LineBox):
            if box.position_y + box.height > found["bottom"] + 0.5:
                problems.append(f"page {page}: a line runs off the page")
            return
        if isinstance(box, boxes.TableRowBox) and any(
                isinstance(a, boxes.TableBox) and "template" in (a.element.get("class") or "") for a in ancestors):
            lines = sum(isinstance(b, boxes.LineBox) for b in box.children[-1].descendants(placeholders=True))
            rows.setdefault(box.element, []).append((page, lines))
        if isinstance(box, boxes.BlockContainerBox) and box.children and all(
                isinstance(child, boxes.LineBox) for child in box.children):
            lines_on = paragraphs.setdefault(box.element, {})
            lines_on[page] = lines_on.get(page, 0) + len(box.children)
            if box.style["position"] != "absolute" and not any(a.style["position"] == "absolute" for a in ancestors):
                found["last"] = [box, *reversed(ancestors)]
        for child in getattr(box, "children", ()):
            walk(child, [*ancestors, box], page, found)

    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        found = {"bottom": page_box.content_box_y() + page_box.height, "last": None}
        for child in page_box.children:
            if not isinstance(child, boxes.MarginBox):
                walk(child, [], number, found)
        for box in found["last"] or ():  # what ends the page, innermost first
            if box.element_tag in ("h1", "h2", "h3", "h4"):
                problems.append(f"page {number}: a heading ({box.element_tag}) is last on the page")
            if (isinstance(box, boxes.TableRowBox) and "block" in (box.element.get("class") or "")
                    and number < len(document.pages)):
                problems.append(f"page {number}: a block header row is last on the page")
    for element, fragments in rows.items():
        if len(fragments) > 1:
            counts["split rows"] += 1
            label = "".join(element[0].itertext()).strip()
            if "flow" not in (element.get("class") or ""):
                problems.append(f"page {fragments[0][0]}: the short row {label!r} breaks across pages")
            for number, lines in fragments:
                if lines < 2:
                    problems.append(f"page {number}: row {label!r} keeps {lines} line(s) of text on this page")
    for element, lines_on in paragraphs.items():
        if len(lines_on) > 1:
            counts["split paragraphs"] += 1
            for number, lines in lines_on.items():
                if lines < 2:
                    problems.append(f"page {number}: a <{element.tag}> keeps {lines} line on this page")
    return problems, counts


def render_and_check(edition: pdf.Edition) -> tuple[list[str], dict[str, int], pdf.Rendered]:
    """Render an edition through the same steps as the build (pdf.render_edition), checking its layout on the way."""
    started = time.perf_counter()
    document = pdf.layout_edition(edition.html, edition.base_url, edition.stylesheet)
    problems, counts = layout_problems(document)
    return problems, counts, pdf.write_edition(document, started)


@pytest.mark.parametrize("code", CODES)
def test_page_break_rules_hold_in_the_layout(rendering, code):
    """Rows break only between lines, keeping two lines of text on each page; short rows never break;
    paragraphs keep two lines on each page (orphans, widows); no heading or block header row is last
    on a page; no line runs off the page."""
    problems, counts = rendering[code][3:]
    assert not problems
    assert counts["split rows"] >= 10, f"long rows do break across pages: {counts}"


@pytest.mark.parametrize("code", CODES)
def test_same_input_gives_byte_identical_pdfs(project, code):
    """Two renderings of one edition, in two worker processes as the build renders, give the same bytes (the small
    project's: the real guide is rendered once for this module, and the same code renders both)."""
    edition = next(e for e in pdf.prepare_editions(load_site(project)[0]) if e.code == code)
    first, second = pdf.render_all([edition, edition], jobs=2)
    assert second.body == first.body, "the second rendering differs"


def long_row_project(project: Path) -> None:
    """Give the small project's case a background (in both languages) longer than a page."""
    case = project / "cases" / "um-chemelot-inscite.yaml"
    source = case.read_text(encoding="utf-8")
    paragraph = {"en": "A long background paragraph that runs on and on to fill the page. " * 6,
                 "zh": "这是一个很长的背景段落，用来填满整页的篇幅，以检查表格行能否跨页断开。" * 6}
    head, background = source.split("\n  background:\n", 1)
    for code in CODES:
        marker = f"\n    {code}: |\n"
        text = "".join(f"      {i}. {paragraph[code]}\n\n" for i in range(1, 25))
        background = background.replace(marker, f"{marker}      LONGSTART\n\n{text}      LONGEND\n\n", 1)
    case.write_text(head + "\n  background:\n" + background, encoding="utf-8")


def test_a_row_taller_than_a_page_breaks_instead_of_overflowing(project):
    long_row_project(project)
    site = load_site(project)[0]
    for edition in pdf.prepare_editions(site):
        assert "LONGEND" in edition.html
        problems, counts = layout_problems(pdf.layout_edition(edition.html, edition.base_url, edition.stylesheet))
        assert not problems, f"{edition.code}: {problems}"
        assert counts["split rows"] >= 2


def label_cell_inks(path: Path, page: int) -> tuple[int, int]:
    """Return the dark-grey and the black pixels in the label column of a page's first 12 pt of text area.

    The "(continued)" label is drawn in #555 (grey), a row's own label is text in #111 (black).
    """
    from PIL import Image

    dpi = 144
    png = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(path)],
                         capture_output=True, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    left, top, right, bottom = SIDE_MARGIN + 1, MARGIN + 1, SIDE_MARGIN + 0.13 * MEASURE, MARGIN + 12
    box = tuple(round(value * dpi / 72) for value in (left, top, right, bottom))
    values = image.crop(box).tobytes()  # one byte a pixel (mode L)
    return sum(70 <= v <= 110 for v in values), sum(v < 50 for v in values)


def test_a_row_continued_on_the_next_page_is_labelled_there(project, tmp_path):
    """Where a row of running text runs over to the next page, its label cell there shows "(continued)" /
    "（续）" (drawn, in grey), not its label again and not nothing; on the row's first page the label
    cell holds the label, as text."""
    long_row_project(project)
    site = load_site(project)[0]
    for edition in pdf.prepare_editions(site):
        path = tmp_path / f"{edition.code}.pdf"
        path.write_bytes(pdf.render_all([edition])[0].body)
        pages = [squash(page) for page in page_texts(path)]
        first = next(n for n, page in enumerate(pages, 1) if "LONGSTART" in page)
        last = next(n for n, page in enumerate(pages, 1) if "LONGEND" in page)
        assert last > first, f"{edition.code}: the long row fits one page"
        gettext = load_translations(ROOT, edition.code).gettext
        labels = {squash(gettext(row)) for row in ("Background", "Achievements")}  # long_row_project's row
        for number in range(first + 1, last + 1):
            lines = body_lines(page_lines(path)[number - 1], 841.89)
            top = min(line[1] for line in lines)
            in_label_column = [line[4] for line in lines if line[1] < top + 12 and line[2] <= LABEL_COLUMN[edition.code]]
            assert not in_label_column, f"{edition.code} page {number}: text in the label cell: {in_label_column}"
            grey, black = label_cell_inks(path, number)
            assert grey > 20 and black == 0, f"{edition.code} page {number}: no drawn label ({grey} grey pixels)"
        lines = page_lines(path)[first - 1]
        start = next(line for line in lines if "LONGSTART" in squash(line[4]))
        beside = [squash(line[4]) for line in lines if line[2] <= LABEL_COLUMN[edition.code] and abs(line[1] - start[1]) < 6]
        assert len(beside) == 1 and beside[0] in labels, f"{edition.code}: beside the row's first line: {beside}"


# --- reproducible, dated, cached ------------------------------------------------------

def test_source_date_epoch_dates_the_pdfs(project, monkeypatch):
    """SOURCE_DATE_EPOCH sets the creation and modification dates (else the newest case date does)."""
    from pypdf import PdfReader

    site = load_site(project)[0]
    bodies = []
    for epoch in (1_600_000_000, 1_700_000_000):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
        english = next(e for e in pdf.prepare_editions(site) if e.code == "en")
        body = pdf.render_all([english])[0].body
        meta = PdfReader(io.BytesIO(body)).metadata
        expected = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
        assert meta.creation_date == expected and meta.modification_date == expected
        bodies.append(body)
    assert bodies[0] != bodies[1]


@pytest.mark.parametrize("epoch", ["", "soon", "1.6e9", "-1", "\u00b2", "99999999999999999999"])
def test_a_source_date_epoch_that_is_not_a_count_of_seconds_is_ignored(project, monkeypatch, epoch):
    """The PDFs read SOURCE_DATE_EPOCH as the website does: a value that is not a count of seconds dates
    nothing (created: the guide's year; modified: the newest case), and never stops the build."""
    from site_builder.render import build_timestamp

    site = load_site(project)[0]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    unset = [e.source for e in pdf.prepare_editions(site)]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    assert [e.source for e in pdf.prepare_editions(site)] == unset
    assert f'<meta name="dcterms.created" content="{site.guide.year}">' in unset[0]
    assert f'<meta name="dcterms.modified" content="{build_timestamp(site)}">' in unset[0]


def test_fingerprint_covers_what_an_edition_shows(project):
    """An edition's fingerprint changes with its own text, the images it shows and the stylesheet."""
    from PIL import Image

    (project / "cases" / "images").mkdir()
    picture = project / "cases" / "images" / "diagram.png"
    Image.new("RGB", (40, 30), "red").save(picture)
    case = project / "cases" / "small-case.yaml"
    case.write_text(case.read_text(encoding="utf-8") + "image:\n  file: cases/images/diagram.png\n"
                    "  alt: {en: A red diagram, zh: 红色图表}\n", encoding="utf-8")

    def fingerprints():
        return {e.code: e.fingerprint for e in pdf.prepare_editions(load_site(project)[0])}

    before = fingerprints()
    assert fingerprints() == before, "the same input gives the same fingerprint"
    Image.new("RGB", (40, 30), "blue").save(picture)
    after_image = fingerprints()
    assert all(after_image[c] != before[c] for c in CODES)
    case.write_text(case.read_text(encoding="utf-8").replace("zh: 红色图表", "zh: 红色示意图"), encoding="utf-8")
    after_text = fingerprints()
    assert after_text["en"] == after_image["en"] and after_text["zh"] != after_image["zh"]
    stylesheet = project / pdf.STYLESHEET
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert all(fingerprints()[c] != after_text[c] for c in CODES)


def test_build_reuses_unchanged_pdfs(project, tmp_path, monkeypatch):
    """A second build takes both PDFs from .cache/pdf/; changing a case's English text renders the
    English edition again, and only that one."""
    rendered = []
    original = pdf.render_all

    def counting(editions, **kwargs):
        rendered.extend(e.code for e in editions)
        return original(editions, **kwargs)

    monkeypatch.setattr(pdf, "render_all", counting)
    output = tmp_path / "output"
    build_pdfs_only(project, output)
    assert sorted(rendered) == ["en", "zh"]
    first = {p.name: p.read_bytes() for p in (output / "downloads").glob("*.pdf")}
    assert len(first) == 2
    assert len(list((project / ".cache" / "pdf").glob("*.pdf"))) == 2

    rendered.clear()

    def not_needed(*args):
        raise AssertionError("a label drawn (the font read) for editions that come from the cache")

    with monkeypatch.context() as patched:
        patched.setattr(pdf, "drawn_text", not_needed)
        build_pdfs_only(project, output)
    assert rendered == [], "nothing changed: nothing rendered"
    assert {p.name: p.read_bytes() for p in (output / "downloads").glob("*.pdf")} == first

    case = project / "cases" / "um-chemelot-inscite.yaml"
    source = case.read_text(encoding="utf-8")
    assert source.count("received an EU OPZuid grant") == 1  # English text only
    case.write_text(source.replace("received an EU OPZuid grant", "received an EU OPZuid grant (changed)"),
                    encoding="utf-8")
    build_pdfs_only(project, output)
    assert rendered == ["en"]
    en = next((output / "downloads").glob("*-en.pdf"))
    zh = next((output / "downloads").glob("*-zh.pdf"))
    assert en.read_bytes() != first[en.name] and zh.read_bytes() == first[zh.name]
    assert "OPZuid grant (changed)" in text(en)


# --- cover ---------------------------------------------------------------------------------

def test_eu_emblem_follows_the_official_geometry():
    """Twelve five-pointed gold stars on a circle of a third of the height, on a 3:2 blue rectangle;
    each star's outer radius an eighteenth of the height, one point up."""
    import base64
    import math

    svg = ET.fromstring(base64.b64decode(pdf.eu_emblem().split(",", 1)[1]))
    ns = "{http://www.w3.org/2000/svg}"
    rect = svg.find(f"{ns}rect")
    width, height = float(rect.get("width")), float(rect.get("height"))
    assert width / height == 1.5 and rect.get("fill").upper() == "#003399"
    group = svg.find(f"{ns}g")
    assert group.get("fill").upper() == "#FFDD00"
    stars = [[tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
             for polygon in group.iter(f"{ns}polygon")]
    assert len(stars) == 12 and all(len(star) == 10 for star in stars)
    for star in stars:
        cx = sum(x for x, _ in star) / 10
        cy = sum(y for _, y in star) / 10
        assert math.isclose(math.hypot(cx - width / 2, cy - height / 2), height / 3, rel_tol=1e-3)
        outer = [math.hypot(x - cx, y - cy) for x, y in star[::2]]
        assert all(math.isclose(r, height / 18, rel_tol=1e-3) for r in outer)
        assert math.isclose(star[0][0], cx, abs_tol=1e-3) and star[0][1] < cy, "one point straight up"


@pytest.mark.parametrize("code", CODES)
def test_cover_and_legal_page_carry_the_emblem_and_the_co_funding_line(editions, site, code):
    """The cover and the legal notice show the EU emblem (a figure with alternative text) beside the
    co-funding line; the consortium lists are headed as in the guide."""
    import pikepdf

    path = editions[code][0]
    gettext = load_translations(ROOT, code).gettext
    line = squash(site.guide.cofunding_line.get(code))
    pages = [squash(page) for page in page_texts(path)]
    legal = next(n for n, page in enumerate(pages) if squash(gettext("Legal notice")) in page[:80])
    assert line in pages[0] and line in pages[legal]
    consortium = next(page for page in pages if squash(gettext("Consortium")) in page)
    assert squash(gettext("European Union")) in consortium and squash(gettext("China")) in consortium
    document = pikepdf.open(path)
    flags = [e for kind, e, _ in structure_elements(document)
             if kind == "/Figure" and str(e.get("/Alt", "")) == gettext("Flag of the European Union")]
    assert {e.Pg.objgen for e in flags} == {document.pages[0].objgen, document.pages[legal].objgen}
