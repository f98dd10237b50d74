"""Render the PDF editions of the guide with WeasyPrint, one per language.

The print templates live in themes/default/templates/pdf/, the print stylesheet is
themes/default/static/pdf.css.

Speed. WeasyPrint is single-threaded and spends its time in layout (line breaking,
tables: about 60 %) and in drawing and writing the pages (about 40 %, of which the
tagging of the pdf/ua-1 variant takes a quarter); both grow with the number of lines.
The two editions are independent, so they are rendered at the same time in two worker
processes, with Python's cycle collector paused (about a tenth of the time went to
its passes over the boxes) and, in a worker, left off (see _start_worker). Case tables use `table-layout: fixed`: automatic table
layout measures every Chinese character as a break point and is ten times slower.
See also pdf.css.

Reproducibility. The same input gives byte-identical PDFs: the dates come from the
content, never from the clock (created: the guide's year, the one on the cover;
modified: `build_timestamp`, the newest case date; both SOURCE_DATE_EPOCH when set),
and no random document id is written.

Reuse. With a cache folder, an edition whose inputs did not change is not rendered
again: its fingerprint covers the edition's print HTML, the stylesheet, the images
it shows, this module, the versions of WeasyPrint and the libraries it writes with,
and the font files; the previous PDF and what the website needs to know about it
are kept under that fingerprint. System libraries (Pango, HarfBuzz, fontconfig) are
not in it: after upgrading them, delete the cache folder (.cache/pdf/).
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import gc
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import subprocess
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .content import Site
from .languages import LANGUAGES
from .messages import _
from .paths import PDF_STYLESHEET
from .pipeline import die_with_parent
from .problems import EnvironmentProblem, Problem
from .render import Output, PdfInfo, Renderer, build_timestamp, source_date_epoch
from .typography import HAN_IDEOGRAPHS
from .write import replace_file

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"
FONT_FAMILIES = ("Noto Sans", CJK_FONT)  # the faces pdf.css names; their files go into the fingerprint
# Tagged, with the document language and title; declared PDF/UA-1 because the structure tree is made to
# pass the independent checkers (tests/test_pdf.py; see "Tagging" below).
PDF_VARIANT = "pdf/ua-1"
STYLESHEET = PDF_STYLESHEET  # read by the tests as pdf.STYLESHEET
TEMPLATE = "pdf/guide.html"
CACHE_KEEP = 2  # cached PDFs kept per language (the current one and the one before)
RENDERING_PACKAGES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "fonttools")


@dataclass(frozen=True)
class Edition:
    """One edition ready to render: its print HTML and what it depends on."""

    code: str
    source: str  # the print HTML with its drawn labels still as references (see drawn_text)
    base_url: str
    stylesheet: str  # file path
    fingerprint: str

    @functools.cached_property
    def html(self) -> str:
        """Return the print HTML to render, with its drawn labels in place."""
        return with_drawn_text(self.source)


@dataclass(frozen=True)
class Rendered:
    """One rendered edition."""

    body: bytes
    pages: int
    case_pages: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # time spent rendering it (0 when it came from the cache)
    cpu_seconds: float = 0.0  # CPU time of that
    cached: bool = False


def pdf_name(site: Site, code: str) -> str:
    """Return the download path of one edition."""
    return f"downloads/cipnet-{site.guide.deliverable.lower()}-good-practices-guide-{code}.pdf"


def render_editions(site: Site, *, cache: Path | None = None, jobs: int | None = None
                    ) -> tuple[list[Output], dict[str, PdfInfo]]:
    """Return both PDF files and, for the website, their size, page count and case start pages.

    `cache` is a folder where rendered editions are kept and reused while their inputs do
    not change (None: always render). `jobs` is the number of worker processes (default:
    one per edition, at most one per CPU; 1 renders in this process).
    """
    check_fonts()
    editions = prepare_editions(site)
    results: dict[str, Rendered] = {}
    todo = []
    for edition in editions:
        hit = _cache_get(cache, edition) if cache else None
        if hit:
            log.info("%s", _("PDF (%(edition)s) unchanged, reusing the cached one (%(pages)d pages)",
                             edition=edition.code, pages=hit.pages).render())
            results[edition.code] = hit
        else:
            todo.append(edition)
    for edition, rendered in zip(todo, render_all(todo, jobs=jobs)):
        log.info("%s", _("PDF (%(edition)s): %(pages)d pages in %(seconds).1f s", edition=edition.code,
                         pages=rendered.pages, seconds=rendered.seconds).render())
        results[edition.code] = rendered
        if cache:
            _cache_put(cache, edition, rendered)
    outputs, infos = [], {}
    for edition in editions:
        rendered = results[edition.code]
        name = pdf_name(site, edition.code)
        outputs.append(Output(name, rendered.body))
        infos[edition.code] = PdfInfo(name, len(rendered.body), rendered.pages, dict(rendered.case_pages))
    return outputs, infos


def prepare_editions(site: Site) -> list[Edition]:
    """Return every edition's print HTML and fingerprint (no layout yet)."""
    renderer = Renderer(site)
    stylesheet = site.root / STYLESHEET
    shared = _shared_fingerprint(stylesheet)
    editions = []
    for lang in LANGUAGES:
        html = print_html(site, renderer, lang.code)
        digest = hashlib.sha256(shared)
        digest.update(lang.code.encode() + b"\0" + html.encode("utf-8"))
        for path in _local_images(html, site.root):
            digest.update(b"\0" + path.as_posix().encode() + b"\0" + _file_digest(path))
        editions.append(Edition(lang.code, html, str(site.root), str(stylesheet), digest.hexdigest()))
    return editions


def print_html(site: Site, renderer: Renderer, code: str) -> str:
    """Return the print HTML of one edition, its drawn labels as references (Edition.html draws them)."""
    template = renderer.envs[code].get_template(TEMPLATE)
    font = CJK_FONT if code == "zh" else "Noto Sans:italic"
    modified = build_timestamp(site)
    # Created in the year the cover names (the guide's); changed when its newest case was. SOURCE_DATE_EPOCH,
    # when set, dates both, as it dates everything else in a reproducible build.
    created = modified if source_date_epoch() else str(site.guide.year)
    return link_bare_urls(template.render(path="", created=created, modified=modified, eu_emblem=eu_emblem(),
                                          drawn_text=lambda text: drawn_text_reference(text, font)))


# A URL ends before a space, a tag, a quote, a dash or ellipsis, or any Chinese character or mark: in Chinese
# text it runs straight into the words after it ("http://uaemprende.ua.es”和账号“@ua_emprende”").
_NOT_IN_URL = "\\s<>\"'\u2010-\u2027\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_BARE_URL = re.compile(f"https?://[^{_NOT_IN_URL}]+[^{_NOT_IN_URL}.,;:!?)]")
_TAG_OR_LINK = re.compile(r"(<a\b.*?</a>|<[^>]*>)", re.S)


def link_bare_urls(html: str) -> str:
    """Make every URL written out in the body's text a link (case text writes some without Markdown's <>)."""
    head, separator, body = html.partition("<body")
    parts = _TAG_OR_LINK.split(body)
    for index in range(0, len(parts), 2):  # text outside tags and outside existing links
        parts[index] = _BARE_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', parts[index])
    return head + separator + "".join(parts)


def eu_emblem() -> str:
    """Return a data URL of the EU emblem as SVG, drawn from its official geometry.

    A blue rectangle (#003399) of proportions 3:2; twelve gold (#FFDD00) five-pointed stars, one point
    up, on a circle centred on it whose radius is a third of its height, at the positions of the hours
    on a clock face; each star's outer radius is an eighteenth of the height.
    """
    height = 200.0
    width, centre_x, centre_y = 1.5 * height, 0.75 * height, 0.5 * height
    circle, outer = height / 3, height / 18
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(54))  # a regular pentagram's inner radius
    stars = []
    for hour in range(12):
        angle = math.radians(30 * hour)
        x, y = centre_x + circle * math.sin(angle), centre_y - circle * math.cos(angle)
        points = []
        for corner in range(10):
            radius = outer if corner % 2 == 0 else inner
            turn = math.radians(36 * corner)
            points.append(f"{x + radius * math.sin(turn):.3f},{y - radius * math.cos(turn):.3f}")
        stars.append(f'<polygon points="{" ".join(points)}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}">'
           f'<rect width="{width:g}" height="{height:g}" fill="#003399"/><g fill="#FFDD00">{"".join(stars)}</g></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# A label to draw, as the print HTML refers to it until the edition is rendered: drawing it reads the font
# (a fraction of a second for the Chinese one), which an edition taken from the cache does not need. The
# fingerprint covers the reference, and the font files and this module, which decide the drawing.
_DRAWN_TEXT = re.compile(r"drawn-text:([^:\"]*):([^\"]*)")


def drawn_text_reference(text: str, font: str) -> str:
    """Return the reference that stands for drawn_text(text, font) in the print HTML's head."""
    return f"drawn-text:{quote(font, safe='')}:{quote(text, safe='')}"


def with_drawn_text(html: str) -> str:
    """Return the print HTML with each drawn-text reference in its head replaced by the drawing."""
    head, separator, body = html.partition("<body")
    head = _DRAWN_TEXT.sub(lambda m: drawn_text(unquote(m.group(2)), unquote(m.group(1))), head)
    return head + separator + body


@functools.lru_cache(maxsize=8)
def drawn_text(text: str, font: str, size: float = 7.5, colour: str = "#555") -> str:
    """Return a data URL of an SVG image that draws a short text as outlines, in points.

    Used for the "(continued)" label of a table row that runs over to the next page. WeasyPrint
    repeats a cell's background on each of its fragments (box-decoration-break: clone), and the
    label of the row's first fragment covers it there; as outlines, the words stay out of the text
    that is copied, searched or read aloud on the first page, where they are hidden.
    """
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.ttLib import TTFont

    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", font], capture_output=True, text=True).stdout
    path, _, index = found.rpartition(":")
    face = TTFont(path, fontNumber=int(index or 0), lazy=True)
    glyphs, cmap, metrics = face.getGlyphSet(), face.getBestCmap(), face["hmtx"]
    units = face["head"].unitsPerEm
    ascent, descent = face["hhea"].ascent, -face["hhea"].descent
    paths, x = [], 0
    for character in text:
        name = cmap.get(ord(character), ".notdef")
        pen = SVGPathPen(glyphs)
        glyphs[name].draw(pen)
        paths.append(f'<path transform="translate({x} {ascent}) scale(1 -1)" d="{pen.getCommands()}"/>')
        x += metrics[name][0]
    width, height = x * size / units, (ascent + descent) * size / units
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.2f}pt" height="{height:.2f}pt" '
           f'viewBox="0 0 {x} {ascent + descent}"><g fill="{colour}">{"".join(paths)}</g></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_all(editions: list[Edition], *, jobs: int | None = None) -> list[Rendered]:
    """Render editions, in parallel worker processes when there is more than one and more than one CPU."""
    jobs = min(jobs or os.cpu_count() or 1, len(editions))
    if multiprocessing.current_process().daemon:
        jobs = 1  # a daemonic process (the live preview's renderer) may not start workers
    if jobs <= 1:
        return [render_edition(e.html, e.base_url, e.stylesheet) for e in editions]
    import weasyprint  # noqa: F401  -- imported once here, inherited by forked workers

    # The longest edition first, so that it never waits for a free worker.
    order = sorted(range(len(editions)), key=lambda i: -len(editions[i].html))
    try:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_process_context(),
                                   initializer=_start_worker, initargs=(os.getpid(),))
        try:
            futures = {i: pool.submit(render_edition, editions[i].html, editions[i].base_url,
                                      editions[i].stylesheet) for i in order}
            results = [futures[i].result() for i in range(len(editions))]
        except BaseException:  # interrupted (Ctrl+C, SIGTERM) or failed: end the workers now, not after their layout
            end_workers(pool)
            raise
        pool.shutdown()
        return results
    except (BrokenProcessPool, OSError) as error:
        log.warning("could not render the PDFs in parallel (%s); rendering them one after the other", error)
        return [render_edition(e.html, e.base_url, e.stylesheet) for e in editions]


def render_edition(html: str, base_url: str, stylesheet: str, *, chinese_setting: bool = True,
                   tagged: bool = True) -> Rendered:
    """Lay out one edition and write it as PDF; runs in a worker process.

    `chinese_setting` and `tagged` are there to measure what each costs (bench/pdf.py --features).
    """
    global _editions_rendered
    started, cpu = time.perf_counter(), time.process_time()
    if _editions_rendered and not gc.isenabled():  # a worker's second edition: first free what the first left
        gc.collect()
    with _cyclic_gc_paused():
        rendered = write_edition(layout_edition(html, base_url, stylesheet, chinese_setting=chinese_setting),
                                 started, tagged=tagged)
    _editions_rendered += 1
    return dataclasses.replace(rendered, cpu_seconds=time.process_time() - cpu)


_editions_rendered = 0  # in this process


def _start_worker(parent: int) -> None:
    """Set up a worker process: it ends with the build, and its cycle collector stays off.

    An edition's layout leaves its boxes in reference cycles; collecting them once the
    PDF is written took half a second of each worker's time, for memory that the worker's end
    (os._exit, without a collection) gives back anyway.
    """
    die_with_parent(parent)
    gc.disable()


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause Python's cycle collector while an edition renders.

    Layout allocates hundreds of thousands of boxes that live until the PDF is written,
    so the collector's full passes keep walking objects that cannot be freed yet. The
    document and its cycles are dropped together afterwards (a worker just exits).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def layout_edition(html: str, base_url: str, stylesheet: str, *, chinese_setting: bool = True):
    """Return the laid-out WeasyPrint document of one edition (with WeasyPrint's own setting of Chinese
    where `chinese_setting` is false and this process has not installed ours)."""
    from weasyprint import CSS, HTML

    if chinese_setting:
        _install_chinese_setting()
    return HTML(string=html, base_url=base_url).render(stylesheets=[CSS(filename=stylesheet)])


def write_edition(document, started: float, *, tagged: bool = True) -> Rendered:
    """Write a laid-out edition as PDF (tagged, as PDF/UA-1, unless `tagged` is false); note the page each
    case starts on."""
    case_pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("case-") and anchor[5:] not in case_pages:
                case_pages[anchor[5:]] = number
    if tagged:
        _install_tagging()
        _mark_artifacts(document)
    _drop_hidden_continued_labels(document)
    body = document.write_pdf(pdf_variant=PDF_VARIANT if tagged else None, finisher=_finish_pdf)
    return Rendered(body, len(document.pages), case_pages, time.perf_counter() - started)


def check_fonts() -> None:
    """Fail loudly, before any layout, when the Chinese font is missing (never print blank boxes)."""
    try:
        found = subprocess.run(["fc-list", f":family={CJK_FONT}"], capture_output=True, text=True).stdout
    except OSError:
        found = ""
    if CJK_FONT not in found:
        raise EnvironmentProblem([Problem("fonts", 0, 0, "", _("the font '%(font)s' is not installed, so the Chinese "
                                                               "PDF would show blank boxes", font=CJK_FONT),
                                          _("install Debian's fonts-noto-cjk (./bootstrap.sh does)"))])


# --- Chinese setting ------------------------------------------------------------------
# WeasyPrint 70 justifies only at spaces, and Noto Sans CJK 2.004 (Debian's) has `halt` (half-width
# punctuation) but not `chws` (contextual half-width spacing), while CSS can only switch a font
# feature on for a whole element, whose edges WeasyPrint then treats as break opportunities. So
# the Chinese setting is done where the text meets Pango: _install_chinese_setting.

IDEOGRAPHS = HAN_IDEOGRAPHS
CLOSING_MARKS = "，。、；：？！）》」』】〕〉”’"  # their blank half is on the right
OPENING_MARKS = "（《「『【〔〈“‘"  # their blank half is on the left
# A closing mark before another mark takes half width: two adjacent marks then leave half an em of
# white between them, not a full em (clreq 3.1.6). An opening mark after an opening one ("（“") stays
# full: its blank half comes first, and the font's `halt` removes it by drawing the glyph half an em
# left of its origin, over the box of the mark before it; poppler's text extraction (pdftotext, and the
# viewers built on it) then splits the line between the two marks ("计划（" / "“973计划”"), so a copy
# or a search of the text breaks there. Closing marks keep their origin: `halt` only shortens them.
_NARROWED_MARK = re.compile(f"[{CLOSING_MARKS}](?=[{CLOSING_MARKS}{OPENING_MARKS}])")
# A text's last two characters (with any marks after them) stay on one line, so that a paragraph's
# last line never holds a single character.
_TEXT_END = re.compile(f"(?:[{IDEOGRAPHS}][{CLOSING_MARKS}]*){{2}}$")
_CJK_RUN = re.compile(f"[{IDEOGRAPHS}{CLOSING_MARKS}{OPENING_MARKS}]+")
_CJK_ANY = re.compile(f"[{IDEOGRAPHS}{CLOSING_MARKS}{OPENING_MARKS}]")  # what each rule above needs


def _cjk_gaps(text: str) -> list[tuple[int, int, float]]:
    """Return the runs of Chinese characters in a line's text as (start, end, places to space).

    Pango spaces a run's characters by half the letter-spacing before and half after each, except
    before the first and after the last character of the text: so a run inside the text adds as
    many spacings as it has characters, a run at either end half a spacing less at that end.
    """
    return [(m.start(), m.end(), m.end() - m.start() - 0.5 * (m.start() == 0) - 0.5 * (m.end() == len(text)))
            for m in _CJK_RUN.finditer(text)]


def _install_chinese_setting() -> None:
    """Teach WeasyPrint's text layout three rules of Chinese setting (clreq); Latin text is left as it is.

    - Justification between characters: WeasyPrint 70 spreads a justified line's slack over its
      spaces only, so a line of Chinese, which has none, stayed as short as it was broken. The count
      of expandable places in a text box now adds the gaps around its Chinese characters, and when
      the line is drawn those characters are letter-spaced by the line's share of the slack.
    - Punctuation width: the first of two adjacent marks gets the font's `halt` glyph (half width).
    - No single-character last line: Pango may not break between a text's last two characters.
    Each is a Pango attribute on a range of the text, so breaking follows UAX #14 as before.
    """
    from weasyprint.layout import inline
    from weasyprint.text import line_break
    from weasyprint.text.ffi import ffi, pango

    if getattr(inline.count_expandable_spaces, "inter_character", False):
        return
    try:
        pango.pango_attr_allow_breaks_new  # noqa: B018  -- declared by a later WeasyPrint
    except AttributeError:
        ffi.cdef("PangoAttribute * pango_attr_allow_breaks_new (gboolean allow_breaks);")  # Pango >= 1.44
    count_spaces = inline.count_expandable_spaces
    set_text = line_break.Layout.set_text

    def count_expandable_spaces(box):
        from weasyprint.formatting_structure import boxes

        spaces = count_spaces(box)
        if isinstance(box, boxes.TextBox) and _CJK_ANY.search(box.text):
            spaces += sum(places for _, _, places in _cjk_gaps(box.text))
        return spaces

    def set_chinese_text(self, text, justify=False):
        set_text(self, text, justify)
        text = self.text
        if not _CJK_ANY.search(text):  # Latin text (all but a few of the English edition's): nothing to do
            return
        attributes = []
        for mark in _NARROWED_MARK.finditer(text):
            attributes.append((mark.start(), mark.end(), pango.pango_attr_font_features_new(b"halt 1")))
        if end := _TEXT_END.search(text):
            attributes.append((end.start(), end.end(), pango.pango_attr_allow_breaks_new(False)))
        if justify and self.justification_spacing:
            letter_spacing = self.style["letter_spacing"]
            spacing = self.justification_spacing + (0 if letter_spacing == "normal" else letter_spacing)
            for start, end, _ in _cjk_gaps(text):
                attributes.append((start, end, pango.pango_attr_letter_spacing_new(int(spacing * line_break.TO_UNITS))))
        if not attributes:
            return
        attribute_list = pango.pango_layout_get_attributes(self.layout)
        if attribute_list == ffi.NULL:
            attribute_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        for start, end, attribute in attributes:
            attribute.start_index, attribute.end_index = len(text[:start].encode()), len(text[:end].encode())
            pango.pango_attr_list_change(attribute_list, attribute)
        pango.pango_layout_set_attributes(self.layout, attribute_list)

    # WeasyPrint reads this marker off the function it calls; a function's attributes are untyped.
    count_expandable_spaces.inter_character = True  # type: ignore[attr-defined]
    inline.count_expandable_spaces = count_expandable_spaces
    line_break.Layout.set_text = set_chinese_text


# --- Tagging ----------------------------------------------------------------------------
# WeasyPrint 70 builds the structure tree page by page: an element that runs over a page break
# becomes one structure element per page (29 case tables became 81 /Table), header cells have no
# /Scope, an item of paragraphs holds them without a list-item body, the contents' leader dots are
# text (each "." read aloud), the running headers and footers are marked content that no structure
# element holds. _install_tagging joins each element's pieces into one structure element, gives
# header cells their scope, wraps loose list-item content in an LBody and tags the contents as TOC
# and TOCI; _mark_artifacts has leader dots and page furniture drawn as artifacts; _finish_pdf opens
# the viewer on the bookmarks and lets links print. With that, both independent PDF/UA-1 checkers
# pass the editions' conformance checks (tests/test_pdf.py); if they stop passing, drop the claim.

_DROPPED = "_site_builder_dropped"


def _mark_artifacts(document) -> None:
    """Flag the text that is decoration, not content: leader dots and the running header and footer."""
    from weasyprint.formatting_structure import boxes

    for page in document.pages:
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox):
                for box in child.descendants():
                    box.artifact = True
            else:
                for box in child.descendants():
                    if getattr(box, "is_leader", False):
                        for text in box.descendants():
                            text.artifact = True
        # The dots are not a link of their own (the entry's title and page number are).
        page.links = [link for link in page.links if not getattr(link[-1], "artifact", False)]


def _drop_hidden_continued_labels(document) -> None:
    """Remove the "(continued)" image from the label cells where the label covers it (a row's first page).

    Drawing it costs as much as a tenth of the rendering, and it is seen only where a row continues.
    """
    from weasyprint.formatting_structure import boxes

    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            if (isinstance(box, boxes.TableCellBox) and box.background is not None and box.element_tag == "th"
                    and any(layer.image is not None for layer in box.background.layers)
                    and any(getattr(child, "element_tag", None) == "span" for child in box.descendants(placeholders=True))):
                box.background = box.background._replace(
                    layers=[layer for layer in box.background.layers if layer.image is None])


def _install_tagging() -> None:
    """Wrap WeasyPrint's structure-tree builder and marked-content writer (see "Tagging" above)."""
    import pydyf
    from weasyprint import pdf as weasyprint_pdf
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import stream, tags

    if getattr(tags._build_box_tree, "joined", False):
        return
    build_box_tree = tags._build_box_tree
    marked = stream.Stream.marked

    @contextlib.contextmanager
    def marked_or_artifact(self, box, tag):
        if getattr(box, "artifact", False):
            with self.artifact():
                yield
        else:
            with marked(self, box, tag):
                yield

    def build(box, parent, pdf, page_number, nums, annotations, tag_list):
        real = box._box if isinstance(box, AbsolutePlaceholder) else box
        if getattr(real, "artifact", False) or getattr(real, "is_leader", False):
            return  # drawn as an artifact: not in the tree
        seen = pdf.__dict__.setdefault("_site_builder_seen", {})
        for element in build_box_tree(box, parent, pdf, page_number, nums, annotations, tag_list):
            _retag(real, element, pdf)
            key = (id(real.element), real.element_tag, element["S"]) if real.element is not None else None
            previous = seen.get(key)
            if previous and previous[0] == page_number - 1 and element["S"] != "/Link":
                _join(previous[1], element, pdf, page_number, nums, annotations)
                seen[key] = (page_number, previous[1])
                continue
            if key:
                seen[key] = (page_number, element)
            yield element

    def _retag(box, element, pdf) -> None:
        """Give header cells their scope; tag the contents list as TOC, its entries as TOCI."""
        attributes = box.element.attrib if box.element is not None else {}
        if element["S"] == "/TH":
            element["A"]["Scope"] = "/Row" if attributes.get("scope") == "row" else "/Column"
        elif element["S"] == "/LI":  # an item of paragraphs: its paragraphs go in one list-item body
            _wrap_list_body(element, pdf)
        elif element["S"] == "/L" and "toc" in attributes.get("class", "").split():
            element["S"] = "/TOC"
        if element["S"] == "/LI" and attributes.get("class", "").startswith("toc-"):
            element["S"] = "/TOCI"
            for kid in element["K"]:
                if isinstance(kid, bytes) and _object(pdf, kid).get("S") == "/LBody":
                    _object(pdf, kid)["S"] = "/Reference"

    def _join(first, later, pdf, page_number, nums, annotations) -> None:
        """Move a later page's piece of an element into its first piece."""
        page = pdf.page_references[page_number]
        for kid in later["K"]:
            if isinstance(kid, int):  # marked content on this page, under the first piece's element
                nums[kid] = first.reference
                kid = pydyf.Dictionary({"Type": "/MCR", "Pg": page, "MCID": kid})
            elif isinstance(kid, bytes):
                target = _object(pdf, kid)
                if target.get("Type") == "/StructElem":
                    target["P"] = first.reference
            first["K"].append(kid)
        annotations[:] = [(first.reference if reference == later.reference else reference, annotation)
                          for reference, annotation in annotations]
        pdf.__dict__.setdefault(_DROPPED, []).append(later)

    def add_tags(pdf, *args, **kwargs):
        # pydyf recomputes page_references from the whole object list on every use, and the tree
        # builder uses it for every element: the pages are all there by now, so look them up once.
        cls = pdf.__class__
        pdf.__class__ = type(cls.__name__, (cls,), {"page_references": pdf.page_references})
        try:
            return add_tags_to_pdf(pdf, *args, **kwargs)
        finally:
            pdf.__class__ = cls

    add_tags_to_pdf = weasyprint_pdf.add_tags
    build.joined = True  # type: ignore[attr-defined]  # a marker on the function, read back below
    tags._build_box_tree = build
    stream.Stream.marked = marked_or_artifact
    weasyprint_pdf.add_tags = add_tags


def _wrap_list_body(item, pdf) -> None:
    """Put the kids of a list item other than its label (Lbl) and body (LBody) into an LBody of their own."""
    import pydyf

    loose = [kid for kid in item["K"] if not (isinstance(kid, bytes) and _object(pdf, kid).get("S") in ("/Lbl", "/LBody"))]
    if not loose:
        return
    body = pydyf.Dictionary({"Type": "/StructElem", "S": "/LBody", "K": pydyf.Array(loose), "P": item.reference})
    if "Pg" in item:
        body["Pg"] = item["Pg"]
    pdf.add_object(body)
    for kid in loose:
        if isinstance(kid, bytes) and _object(pdf, kid).get("Type") == "/StructElem":
            _object(pdf, kid)["P"] = body.reference
    item["K"] = pydyf.Array([kid for kid in item["K"] if kid not in loose] + [body.reference])


def _object(pdf, reference: bytes):
    return pdf.objects[int(reference.split()[0])]


def _finish_pdf(document, pdf) -> None:
    """Open on the bookmarks, let links print, and empty the structure elements joined into others."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    for object_ in pdf.objects:
        if isinstance(object_, dict) and object_.get("Type") == "/Annot":
            object_["F"] = 4  # print
    for element in pdf.__dict__.pop(_DROPPED, []):
        element.clear()  # unreferenced now; an empty dictionary, so that nothing reads it as a structure element
    pdf.__dict__.pop("_site_builder_seen", None)


# --- worker processes -----------------------------------------------------------------

def end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes at once and release the pool."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)



def _process_context() -> multiprocessing.context.BaseContext:
    """Fork (fast: the workers inherit the loaded modules) unless other threads run; then spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# --- cache ----------------------------------------------------------------------------

def _shared_fingerprint(stylesheet: Path) -> bytes:
    """Return what both editions depend on besides their HTML: code, stylesheet, versions, fonts."""
    parts = [b"pdf-edition-1", Path(__file__).read_bytes(), stylesheet.read_bytes(), PDF_VARIANT.encode()]
    for package in RENDERING_PACKAGES:
        try:
            parts.append(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            parts.append(f"{package}=-".encode())
    for path in _font_files():
        stat = path.stat()
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return hashlib.sha256(b"\0".join(parts)).digest()


def _font_files() -> list[Path]:
    """Return the files of the font families the editions use, as fontconfig finds them."""
    files: set[Path] = set()
    for family in FONT_FAMILIES:
        try:
            listing = subprocess.run(["fc-list", f":family={family}", "file"], capture_output=True, text=True).stdout
        except OSError:
            continue
        files.update(Path(line.rstrip().rstrip(":")) for line in listing.splitlines() if line.strip())
    return sorted(path for path in files if path.is_file())


def _local_images(html: str, root: Path) -> list[Path]:
    """Return the local files the HTML shows (<img src>), so that replacing one invalidates the PDF."""
    paths = set()
    for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', html):
        parts = urlsplit(src)
        if not parts.scheme and not parts.netloc:
            paths.add(root / unquote(parts.path))
    return sorted(paths)


def _file_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"missing"


def _cache_get(cache: Path, edition: Edition) -> Rendered | None:
    """Return the cached rendering of an edition with this fingerprint, if there is a sound one."""
    info_file, pdf_file = _cache_files(cache, edition)
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        body = pdf_file.read_bytes()
    except (OSError, ValueError):
        return None
    if info.get("fingerprint") != edition.fingerprint or info.get("sha256") != hashlib.sha256(body).hexdigest():
        return None
    with contextlib.suppress(OSError):
        os.utime(info_file)  # most recently used: kept longest
    return Rendered(body, int(info["pages"]), {k: int(v) for k, v in info["case_pages"].items()}, cached=True)


def _cache_put(cache: Path, edition: Edition, rendered: Rendered) -> None:
    """Keep a rendering under its fingerprint and drop the older ones of that language."""
    info_file, pdf_file = _cache_files(cache, edition)
    info = {"fingerprint": edition.fingerprint, "language": edition.code, "pages": rendered.pages,
            "case_pages": rendered.case_pages, "sha256": hashlib.sha256(rendered.body).hexdigest()}
    try:
        replace_file(cache, pdf_file.name, rendered.body)
        replace_file(cache, info_file.name, json.dumps(info, indent=1, sort_keys=True).encode("utf-8"))
        entries = sorted(cache.glob(f"{edition.code}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[CACHE_KEEP:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".pdf").unlink(missing_ok=True)
    except OSError as error:
        log.warning("%s", _("could not keep the %(language)s PDF in the cache: %(folder)s: %(reason)s",
                            language=edition.code, folder=str(cache), reason=str(error.strerror or error)).render())


def _cache_files(cache: Path, edition: Edition) -> tuple[Path, Path]:
    stem = f"{edition.code}-{edition.fingerprint[:32]}"
    return cache / f"{stem}.json", cache / f"{stem}.pdf"

