"""Build the full-text search index with Pagefind (its extended build segments Chinese words)."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from .problems import ContentError, Problem

log = logging.getLogger(__name__)


def index_site(folder: Path) -> None:
    """Index the built site in `folder` into folder/pagefind/."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder), "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise ContentError([Problem("pagefind", 0, 0, "", "the search index could not be built: " + " / ".join(detail),
                                    "check that the pagefind[extended] package is installed (see README)")])
    if not (folder / "pagefind" / "pagefind-ui.js").exists():
        raise ContentError([Problem("pagefind", 0, 0, "", "the search index is missing after indexing",
                                    "run `python -m pagefind --site output` to see Pagefind's own messages")])
