"""Render the PDF editions of the guide with WeasyPrint, one per language.

The print templates live in themes/default/templates/pdf/. Case tables use
`table-layout: fixed`: automatic table layout measures every Chinese
character as a break point and is ten times slower.
"""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from .content import Site
from .i18n import LANGUAGES
from .problems import ContentError, Problem
from .render import THEME_DIR, Output, PdfInfo, Renderer, build_timestamp

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"


def pdf_name(site: Site, code: str) -> str:
    """Return the download path of one edition."""
    return f"downloads/cipnet-{site.guide.deliverable.lower()}-good-practices-guide-{code}.pdf"


def render_editions(site: Site) -> tuple[list[Output], dict[str, PdfInfo]]:
    """Return both PDF files and, for the website, their size, page count and case start pages."""
    check_fonts()
    outputs, infos = [], {}
    renderer = Renderer(site)
    for lang in LANGUAGES:
        body, pages, case_pages = render_edition(site, renderer, lang.code)
        name = pdf_name(site, lang.code)
        outputs.append(Output(name, body))
        infos[lang.code] = PdfInfo(name, len(body), pages, case_pages)
    return outputs, infos


def render_edition(site: Site, renderer: Renderer, code: str) -> tuple[bytes, int, dict[str, int]]:
    """Return one edition's PDF bytes, its page count and the page each case starts on."""
    from weasyprint import CSS, HTML

    env = renderer.envs[code]
    html = env.get_template("pdf/guide.html").render(path="", created=build_timestamp(site))
    stylesheet = CSS(filename=str(site.root / THEME_DIR / "static" / "pdf.css"))
    document = HTML(string=html, base_url=str(site.root)).render(stylesheets=[stylesheet])
    case_pages = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("case-") and anchor[5:] not in case_pages:
                case_pages[anchor[5:]] = number
    body = document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return body, len(document.pages), case_pages


def check_fonts() -> None:
    """Fail loudly, before any layout, when the Chinese font is missing (never print blank boxes)."""
    try:
        found = subprocess.run(["fc-list", f":family={CJK_FONT}"], capture_output=True, text=True).stdout
    except OSError:
        found = ""
    if CJK_FONT not in found:
        raise ContentError([Problem("fonts", 0, 0, "", f"the font '{CJK_FONT}' is not installed, so the Chinese PDF "
                                    "would show blank boxes", "install Debian's fonts-noto-cjk (./bootstrap.sh does)")])

