"""The full build: load → validate → model → render → write, in that order.

One of the pipeline's two drivers (the other is serve.py): it runs every target
of the site whole into a staging folder, indexes it for search and swaps it in
place of the output folder. Nothing touches the output folder until every file
validated and every page rendered.
"""
from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import logging
import os
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import jinja2
from pydantic import BaseModel

from .content import Site, iter_texts, load_site
from .markup import convert, converter_version, remember
from .messages import Message, _
from .models import RichText
from .paths import JINJA_CACHE, MARKDOWN_CACHE, PDF_CACHE, PINYIN_CACHE
from .pipeline import map_in_parallel, run_full, write_targets
from .problems import Problem
from .render import Output, PdfInfo, fixed_targets, missing_address, site_targets
from .write import output_lock, replace_file

log = logging.getLogger(__name__)


def build(root: Path, output: Path, *, draft: bool = False, pdf: bool = True, base_url: str | None = None,
          search: bool = True) -> Site:
    """Build the website (and the PDFs unless pdf=False) into `output`; `base_url` overrides the guide's site_url."""
    with fewer_collections():
        return _build(root, output, draft=draft, pdf=pdf, base_url=base_url, search=search)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run Python's cycle collector less often while building, and not over what the build keeps (see keep_all).

    A build makes millions of objects that live until it ends (the content's models and
    parsed documents, the targets); at 1,000 cases the collector's passes over them cost
    about a third of the main process's CPU time. Its thresholds are put back afterwards.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def keep_all() -> None:
    """Let the collector skip every object made so far (they live until the build ends).

    Called before the workers fork: a collection in a worker would otherwise walk the
    whole inherited site and write to its pages, which the fork shares until written.
    """
    gc.freeze()


def _build(root: Path, output: Path, *, draft: bool, pdf: bool, base_url: str | None, search: bool) -> Site:
    started = time.perf_counter()
    log.info("%s", _("building the site into %(folder)s …", folder=output).render())
    stages: list[tuple[Message, float]] = []

    def stage(summary: Message, since: float) -> float:
        now = time.perf_counter()
        stages.append((summary, now - since))
        return now

    site, warnings = load_site(root, draft=draft)
    convert_texts(site)
    if no_address := missing_address(site, base_url):
        warnings = [*warnings, no_address]
    _warn(warnings)
    mark = stage(_("checked %(cases)d case(s), %(policies)d policy file(s), %(warnings)d warning(s)",
                   cases=len(site.cases), policies=len(site.policies), warnings=len(warnings)), started)
    pdf_outputs, pdfs = render_pdfs(site) if pdf else ([], {})
    if pdf:
        mark = stage(_("PDF editions: %(count)d (%(pages)s pages)", count=len(pdfs),
                       pages=" + ".join(str(info.pages) for info in pdfs.values())), mark)
    pinyin = known_pinyin(root)
    learned = len(pinyin)
    targets = site_targets(site, base_url=base_url, pdfs=pdfs, template_cache=compiled_templates(root), pinyin=pinyin)
    if len(pinyin) != learned:
        save_pinyin(root, pinyin)
    targets += fixed_targets(pdf_outputs)
    pages = sum(1 for t in targets if t.path.endswith(".html"))
    if search:
        from .search import search_index

        index, indexed = search_index(site)
        targets += fixed_targets(index)
        mark = stage(_("search index: %(pages)d pages", pages=indexed), mark)
    # Pages are rendered and written together, in worker processes: one stage for both.
    keep_all()
    count = run_full(targets, output)
    stage(_("rendered %(pages)d pages", pages=pages), mark)
    stages.append((_("wrote %(count)d files", count=count), 0.0))
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


def render_pdfs(site: Site) -> tuple[list[Output], dict[str, PdfInfo]]:
    """Return the PDF files and what the website needs to know about them, rendered in parallel.

    An edition whose inputs did not change since the last build is taken from .cache/pdf/.
    """
    from .pdf import render_editions

    return render_editions(site, cache=site.root / PDF_CACHE)


def build_pdfs_only(root: Path, output: Path, *, draft: bool = False) -> None:
    """Render the PDF editions and write them into an existing (or new) output folder."""
    site, warnings = load_site(root, draft=draft)
    _warn(warnings)
    files, pdfs = render_pdfs(site)
    with output_lock(output):
        write_targets(fixed_targets(files), output)
    for info in pdfs.values():
        log.info("%s", _("wrote %(file)s (%(pages)d pages)", file=output / info.file, pages=info.pages).render())


def compiled_templates(root: Path) -> jinja2.BytecodeCache | None:
    """Return Jinja's on-disk cache of compiled templates under .cache/jinja/ (None where it cannot be written).

    Compiling the theme's templates costs more than a third of a second on every
    build; Jinja recompiles a template only when its source changes. The drivers
    hand it to the renderer, which stays pure.
    """
    folder = root / JINJA_CACHE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # Jinja writes its cache files this way, and would raise
            pass
    except OSError as exc:
        if folder not in _WARNED:
            _WARNED.add(folder)
            log.warning("%s", _("building without the template cache: %(folder)s: %(reason)s", folder=str(folder),
                                reason=exc.strerror).render())
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


_WARNED: set[Path] = set()


def convert_texts(site: Site) -> None:
    """Convert every Markdown text of the site to HTML once, before rendering, in parallel; keep them for the next build.

    Converting Markdown is about half of rendering. Done here, each text is converted
    once, by whichever worker is free, where the render workers would each convert the
    texts their pages show (the list pages show every case's summary); the workers
    forked to render inherit the results. The texts of earlier builds come from
    .cache/markdown.json (keyed by the converter's version; safe to delete), which
    keeps the current texts only.
    """
    texts = sorted({value for model in _models(site) for _path, text in iter_texts(model)
                    if isinstance(text, RichText) for value in (text.en, text.zh) if value})
    version = converter_version()
    cache = site.root / MARKDOWN_CACHE
    known: dict[str, str] = {}
    try:  # JSON, not pickle: reading a cache must never run code, whoever wrote it
        stored = json.loads(cache.read_bytes())
        if stored["version"] == version and all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in stored["html"].items()):
            known = stored["html"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, damaged, another version or shape
        pass
    missing = [text for text in texts if text not in known]
    if missing:
        known.update(zip(missing, map_in_parallel(convert, missing)))
    current = {text: known[text] for text in texts}
    remember(current)
    if missing or len(current) != len(known):
        try:
            replace_file(cache.parent, cache.name,
                         json.dumps({"version": version, "html": current}, ensure_ascii=False).encode("utf-8"))
        except OSError as error:  # a read-only project still builds
            log.debug("Markdown cache not written: %s", error)
    log.debug("Markdown: %d texts, %d converted", len(texts), len(missing))


def _models(site: Site) -> list[BaseModel]:
    """Return every model of the site that holds texts: the guide, cases, policies and the needs analysis."""
    return [site.guide, *site.cases, *site.policies, *([site.needs] if site.needs else [])]


def _pinyin_version() -> str:
    """Return a fingerprint of the installed pypinyin, found without importing it (that takes 0.2 s)."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return ""
    folder = Path(spec.origin).parent
    stats = [os.stat(folder / name) for name in ("__init__.py", "phrases_dict.json", "pinyin_dict.json")
             if (folder / name).exists()]
    return ";".join(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)


def known_pinyin(root: Path) -> dict[str, tuple[str, ...]]:
    """Return the pinyin of the Chinese facet labels sorted by earlier builds, from .cache/pinyin.json.

    Sorting the Chinese labels needs pypinyin, whose dictionaries take about 0.2 s to load at
    every build; the labels rarely change, so their pinyin is kept. Empty when the record is
    missing, unreadable or made by another pypinyin.
    """
    try:
        data = json.loads((root / PINYIN_CACHE).read_text(encoding="utf-8"))
        if data["pypinyin"] != _pinyin_version():
            return {}
        labels = {text: tuple(syllables) for text, syllables in data["labels"].items()
                  if isinstance(text, str) and isinstance(syllables, list) and all(isinstance(x, str) for x in syllables)}
        return labels if len(labels) == len(data["labels"]) else {}  # a record of another shape is not used at all
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_pinyin(root: Path, pinyin: dict[str, tuple[str, ...]]) -> None:
    """Keep the labels' pinyin in .cache/pinyin.json for the next build (see known_pinyin)."""
    body = json.dumps({"pypinyin": _pinyin_version(), "labels": pinyin}, ensure_ascii=False, sort_keys=True)
    try:
        replace_file(root / PINYIN_CACHE.parent, PINYIN_CACHE.name, body.encode("utf-8"))
    except OSError as error:  # a read-only project still builds
        log.debug("pinyin record not written: %s", error)


def _warn(warnings: list[Problem]) -> None:
    for problem in warnings:
        log.warning("%s", problem)
    if warnings:
        log.warning("%s", _("%(count)d warning(s)", count=len(warnings)).render())
