"""Build the full-text search index with Pagefind (its extended build segments Chinese words)."""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from .messages import _
from .problems import ContentError, Problem

log = logging.getLogger(__name__)


def index_site(folder: Path, output: Path | None = None) -> None:
    """Index the built site in `folder` into folder/pagefind/ (or into `output`, to be moved there later)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder), "--quiet"]
    if output is not None:
        command += ["--output-path", str(output)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 and (failed := re.search(r"\(os error (\d+)\)", result.stderr + result.stdout)):
        number = int(failed.group(1))  # the disk, not the content: a full disk, a read-only folder
        raise OSError(number, os.strerror(number), str(output or folder / "pagefind"))
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise ContentError([Problem("pagefind", 0, 0, "", _("the search index could not be built: %(detail)s",
                                                            detail=" / ".join(detail)),
                                    _("check that the pagefind[extended] package is installed (see README)"))])
    if not ((output or folder / "pagefind") / "pagefind-ui.js").exists():
        raise ContentError([Problem("pagefind", 0, 0, "", _("the search index is missing after indexing"),
                                    _("run `python -m pagefind --site output` to see Pagefind's own messages"))])
    _sort_languages((output or folder / "pagefind") / "pagefind-entry.json")


def _sort_languages(entry: Path) -> None:
    """Write the index's list of languages in a fixed order: Pagefind's varies from run to run.

    The order matters to Pagefind only to break a tie between equally large languages when
    a page's own language has no index, which never happens here.
    """
    data = json.loads(entry.read_text(encoding="utf-8"))
    if isinstance(data.get("languages"), dict):
        data["languages"] = dict(sorted(data["languages"].items()))
        entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
