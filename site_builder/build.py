"""The build: load → validate → model → render → write, in that order.

Nothing touches the output folder until every file validated and every page
rendered; the finished build is then swapped in whole (see write.py).
"""
from __future__ import annotations

import json
import logging
import shutil
import time
import unicodedata
from pathlib import Path

from .content import Site, load_site
from .messages import Message, _
from .problems import Problem
from .render import Output, PdfInfo, missing_address, render_site
from .search import search_files
from .write import check_complete, new_staging, output_lock, publish, write_files

log = logging.getLogger(__name__)


def build(root: Path, output: Path, *, draft: bool = False, pdf: bool = True, base_url: str | None = None,
          search: bool = True) -> Site:
    """Build the website (and the PDFs unless pdf=False) into `output`; `base_url` overrides the guide's site_url."""
    started = time.perf_counter()
    log.info("%s", _("building the site into %(folder)s …", folder=output).render())
    stages: list[tuple[Message, float]] = []

    def stage(summary: Message, since: float) -> float:
        now = time.perf_counter()
        stages.append((summary, now - since))
        return now

    site, warnings = load_site(root, draft=draft)
    if no_address := missing_address(site, base_url):
        warnings = [*warnings, no_address]
    _warn(warnings)
    mark = stage(_("checked %(cases)d case(s), %(policies)d policy file(s), %(warnings)d warning(s)",
                   cases=len(site.cases), policies=len(site.policies), warnings=len(warnings)), started)
    pdf_outputs, pdfs = render_pdfs(site) if pdf else ([], {})
    if pdf:
        mark = stage(_("PDF editions: %(count)d (%(pages)s pages)", count=len(pdfs),
                       pages=" + ".join(str(info.pages) for info in pdfs.values())), mark)
    outputs = render_site(site, base_url=base_url, pdfs=pdfs) + pdf_outputs
    pages = sum(1 for o in outputs if str(o.path).endswith(".html"))
    mark = stage(_("rendered %(pages)d pages", pages=pages), mark)
    if search:
        index = search_files(site)
        outputs += index
        mark = stage(_("search index: %(pages)d pages", pages=_indexed_pages(index)), mark)
    with output_lock(output):  # a second build into the same folder waits for this one
        staging = new_staging(output)
        try:
            count = write_files(outputs, staging)
            mark = stage(_("wrote %(count)d files", count=count), mark)
            check_complete(staging, (o.path for o in outputs))
            publish(staging, output)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if not pdf:
        stages.append((_("PDF editions: not built (--no-pdf)"), 0.0))
    if not search:
        stages.append((_("search index: not built (--no-search)"), 0.0))
    for summary, seconds in stages:
        text = summary.render()
        pad = " " * max(1, 60 - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))
        log.info("  %s%s%s", text, pad, _("%(seconds).1f s", seconds=seconds).render() if seconds else "")
    log.info("%s", _("built %(count)d files (%(cases)d cases) into %(folder)s in %(seconds).1f s", count=count,
                     cases=len(site.cases), folder=output, seconds=time.perf_counter() - started).render())
    return site


def _indexed_pages(index: list[Output]) -> int:
    """Return how many pages the search index holds, in all languages."""
    return sum(json.loads(file.body)["documentCount"] for file in index)


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
    with output_lock(output):
        write_files(files, output)
    for info in pdfs.values():
        log.info("%s", _("wrote %(file)s (%(pages)d pages)", file=output / info.file, pages=info.pages).render())


def _warn(warnings: list[Problem]) -> None:
    for problem in warnings:
        log.warning("%s", problem)
    if warnings:
        log.warning("%s", _("%(count)d warning(s)", count=len(warnings)).render())
