"""The build: load → validate → model → render → write, in that order.

Nothing touches the output folder until every file validated and every page
rendered; the finished build is then swapped in whole (see write.py).
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .content import Site, load_site
from .problems import Problem
from .render import PdfInfo, missing_address, render_site
from .write import new_staging, publish, write_files

log = logging.getLogger(__name__)


def build(root: Path, output: Path, *, draft: bool = False, pdf: bool = True, base_url: str | None = None,
          search: bool = True) -> Site:
    """Build the website (and the PDFs unless pdf=False) into `output`; `base_url` overrides the guide's site_url."""
    started = time.perf_counter()
    site, warnings = load_site(root, draft=draft)
    if no_address := missing_address(site, base_url):
        warnings = [*warnings, no_address]
    _warn(warnings)
    pdf_outputs, pdfs = render_pdfs(site) if pdf else ([], {})
    outputs = render_site(site, base_url=base_url, pdfs=pdfs) + pdf_outputs
    staging = new_staging(output)
    try:
        count = write_files(outputs, staging)
        if search:
            from .search import index_site

            index_site(staging)
        publish(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("built %d files (%d cases, %s) into %s in %.1f s", count, len(site.cases),
             "with PDFs" if pdf else "no PDFs", output, time.perf_counter() - started)
    return site


def render_pdfs(site: Site) -> tuple[list, dict[str, PdfInfo]]:
    """Return the PDF files and what the website needs to know about them.

    An edition whose inputs did not change since the last build is taken from .cache/pdf/.
    """
    from .pdf import CACHE_DIR, render_editions

    return render_editions(site, cache=site.root / CACHE_DIR)


def build_pdfs_only(root: Path, output: Path, *, draft: bool = False) -> None:
    """Render the PDF editions and write them into an existing (or new) output folder."""
    site, warnings = load_site(root, draft=draft)
    _warn(warnings)
    files, pdfs = render_pdfs(site)
    write_files(files, output)
    for info in pdfs.values():
        log.info("wrote %s (%d pages)", output / info.file, info.pages)


def _warn(warnings: list[Problem]) -> None:
    for problem in warnings:
        log.warning("%s", problem)
    if warnings:
        log.warning("%d warning(s)", len(warnings))
