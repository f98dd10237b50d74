"""Keep a built site up to date with its sources while they are edited: the live preview's engine.

Each change starts a pass. The project is loaded again — files whose bytes did
not change are not parsed again (see `content.reusing_files`) — and the site is
rendered and written in steps, the most wanted files first:

1. "static": the theme's static files;
2. "wanted": the pages open in a browser;
3. "documents": the pages of the documents that changed, and those that hold
   them directly (the previous and next case, the updated case);
4. "rest": every other page and file.

Only the files whose bytes changed are written, each atomically, and the caller
hears of them after each step, so an open page can reload as soon as it is
written. Step 4 renders the whole site again: that is what makes the result
equal to a full build's whatever the templates depend on. It stops early when
`superseded()` says a newer change is waiting (the next pass renders it all
again). Files the site no longer has are removed at the end of a complete pass.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from .content import Site, load_site, reusing_files
from .i18n import LANGUAGES
from .problems import Problem
from .render import Output, Page, PdfInfo, Renderer, site_files, static_files
from .write import remove_file, replace_file

log = logging.getLogger(__name__)

STEPS = ("static", "wanted", "documents", "rest")


@dataclasses.dataclass
class Pass:
    """What one pass did."""

    complete: bool = False  # every file was rendered (the pass was not superseded)
    changed: set[str] = dataclasses.field(default_factory=set)  # files written or removed
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    documents: int = 0  # content documents that changed since the previous pass


class _Remembering(dict):
    """The loader's file cache; remembers which entries a load used so that the others can go."""

    def __init__(self) -> None:
        super().__init__()
        self.used: set = set()

    def __getitem__(self, key):
        self.used.add(key)
        return super().__getitem__(key)

    def forget_unused(self) -> None:
        for key in [k for k in self if k not in self.used]:
            del self[key]
        self.used = set()


class LiveSite:
    """A site built into `output` and kept up to date by `update()`."""

    def __init__(self, root: Path, output: Path, *, draft: bool = False, base_url: str = "/"):
        self.root = root
        self.output = output
        self.draft = draft
        self.base_url = base_url
        self.pdfs: dict[str, PdfInfo] = {}  # set by whoever renders the PDF editions
        self.site: Site | None = None
        self._files: dict[str, bytes] = {}  # path under output → digest of the bytes written there
        self._cache = _Remembering()

    def update(self, *, wanted: Iterable[str] = (), step: Callable[[str, set[str]], None] = lambda name, paths: None,
               superseded: Callable[[], bool] = lambda: False) -> Pass:
        """Bring the output up to date with the sources and return what changed.

        `wanted` are output paths (en/cases/x/index.html) to render first; `step(name,
        paths)` is called after each step with the files it changed. Raise ContentError
        when the content is wrong (nothing is written then); any other error (in a
        template, say) propagates, the files written before it stay.
        """
        self._cache.used = set()
        with reusing_files(self._cache):
            site, warnings = load_site(self.root, draft=self.draft)
        self._cache.forget_unused()
        changed_documents = _changed_documents(self.site, site)
        self.site = site
        result = Pass(warnings=warnings, documents=len(changed_documents))
        renderer = Renderer(site, self.base_url, self.pdfs)
        produced: set[str] = set()

        def write(name: str, outputs: Iterable[Output]) -> None:
            changed = set()
            for output in outputs:
                produced.add(output.path)
                digest = hashlib.blake2b(output.body, digest_size=16).digest()
                if self._files.get(output.path) != digest:
                    replace_file(self.output, output.path, output.body)
                    self._files[output.path] = digest
                    changed.add(output.path)
            result.changed |= changed
            step(name, changed)

        write("static", static_files(self.root))
        pages = {renderer.output_path(page, lang.code): (page, lang.code)
                 for page in renderer.pages() for lang in LANGUAGES}
        first = [path for path in dict.fromkeys(wanted) if path in pages]
        write("wanted", (renderer.render_page(*pages.pop(path)) for path in first))
        ids = {id(document) for document in changed_documents}
        own = [path for path, (page, _) in pages.items() if _holds(page, ids)]
        write("documents", (renderer.render_page(*pages.pop(path)) for path in own))

        def rest() -> Iterable[Output]:
            for page, code in pages.values():
                if superseded():
                    return
                yield renderer.render_page(page, code)
            result.complete = True
            yield from site_files(renderer)

        write("rest", rest())
        if result.complete:
            gone = set(self._files) - produced
            for path in sorted(gone):
                remove_file(self.output, path)
                del self._files[path]
            if gone:
                result.changed |= gone
                step("removed", gone)
        return result


def _documents(site: Site) -> list[BaseModel]:
    """Return the content documents of a site: the guide, each case, each policy…"""
    documents: list[BaseModel] = []
    for field in dataclasses.fields(site):
        value = getattr(site, field.name)
        if isinstance(value, BaseModel):
            documents.append(value)
        elif isinstance(value, tuple):
            documents += [v for v in value if isinstance(v, BaseModel)]
    return documents


def _changed_documents(old: Site | None, new: Site) -> list[BaseModel]:
    """Return the documents of `new` that are not in `old`: files read again come back as new objects."""
    if old is None:
        return _documents(new)
    kept = {id(document) for document in _documents(old)}
    return [document for document in _documents(new) if id(document) not in kept]


def _holds(page: Page, ids: set[int]) -> bool:
    return any(id(value) in ids for value in page.context.values())


# --- watching the sources ---------------------------------------------------------------------

_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".bak")


def ignored(name: str) -> bool:
    """Return whether a file name is an editor's or a tool's scratch file, not a source."""
    return name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES) or name == "4913"


class Watcher:
    """Notice files added, changed or removed under some folders of `root`, by polling."""

    def __init__(self, root: Path, folders: Iterable[str]):
        self.root = root
        self.folders = tuple(folders)
        self._seen = self._scan()

    def _scan(self) -> dict[str, tuple[int, int, int]]:
        seen = {}
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(self.root / folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
                for name in filenames:
                    if ignored(name):
                        continue
                    path = os.path.join(dirpath, name)
                    try:
                        st = os.stat(path)
                    except OSError:  # removed while we looked
                        continue
                    seen[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return seen

    def changes(self) -> set[str]:
        """Return the files (relative to the root) added, changed or removed since the last call."""
        seen = self._scan()
        changed = {p for p in seen.keys() | self._seen.keys() if seen.get(p) != self._seen.get(p)}
        self._seen = seen
        return {Path(p).relative_to(self.root).as_posix() for p in changed}

    def settled(self, pause: float = 0.02, longest: float = 1.0) -> set[str]:
        """Wait until nothing changed for `pause` seconds (an editor may write a file in parts); return what did."""
        changed: set[str] = set()
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline:
            time.sleep(pause)
            more = self.changes()
            if not more:
                break
            changed |= more
        return changed
