"""Live preview: build into a private folder, serve it on loopback, rebuild and reload on every change.

The server knows nothing about content: it is handed a build function. A
content error is printed with its location and the last good site stays served.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from .build import build
from .content import CASES_DIR, GUIDE_FILE
from .problems import ContentError
from .render import THEME_DIR

log = logging.getLogger(__name__)

WATCHED = (CASES_DIR, str(GUIDE_FILE.parent), str(THEME_DIR), "translations")


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, draft: bool = False) -> None:
    """Serve a live-reloading preview of the site until interrupted."""
    from livereload import Server

    output = Path(tempfile.mkdtemp(prefix="site-builder-preview-")) / "site"

    def rebuild() -> None:
        try:
            build(root, output, draft=draft, pdf=False, search=True)
        except ContentError as exc:
            from .cli import report

            report(exc.problems)
            log.error("not rebuilt: fix the problems above; the last good pages stay served")

    rebuild()
    if not output.exists():
        raise ContentError([])  # nothing valid to serve yet; the problems were printed
    server = Server()
    for folder in WATCHED:
        server.watch(str(root / folder), rebuild, delay=0.2)
    log.info("serving http://%s:%d/en/ — edit files under %s; Ctrl+C to stop", host, port, ", ".join(WATCHED))
    server.serve(root=str(output), host=host, port=port, open_url_delay=None, restart_delay=0)
