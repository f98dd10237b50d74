"""Interface catalogs: extract the theme's and the code's strings, update each language's .po file.

`i18n update` runs Babel's own command line with pybabel's defaults, so it writes
exactly what these write (only the date stamps differ from run to run):

    pybabel extract -F babel.cfg -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations

babel.cfg says where the strings are. Catalogs are compiled in memory at build
time (i18n.load_translations); `pybabel compile -d translations` also works, and
git ignores the .mo files it leaves.
"""
from __future__ import annotations

import contextlib
import io
import logging
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.pofile import read_po

from .languages import LANGUAGES, po_path
from .messages import _
from .paths import TRANSLATIONS_DIR

log = logging.getLogger(__name__)

POT_FILE = TRANSLATIONS_DIR / "messages.pot"
MAPPING_FILE = Path("babel.cfg")
_DATE_STAMP = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.M)


def extract_catalog(root: Path) -> Catalog:
    """Return a template catalog of every interface string that babel.cfg points at."""
    with (root / MAPPING_FILE).open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING_FILE))
    catalog = Catalog(charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map=method_map, options_map=options_map
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract_models(fileobj, keywords, comment_tags, options):
    """Extract models.py for Babel: its `_()` messages, then the descriptions the models give the JSON Schema.

    babel.cfg names this extractor for site_builder/models.py, so that plain
    `pybabel extract` finds the schema's help texts too.
    """
    from babel.messages.extract import extract_python

    from .schema import schema_strings

    source = fileobj.read()
    found = set()
    for lineno, funcname, message, comments in extract_python(io.BytesIO(source), keywords, comment_tags, options):
        found.add(message)
        yield lineno, funcname, message, comments
    lines = source.decode("utf-8").splitlines()
    for description in schema_strings():
        if description in found:
            continue
        start = description[:40]
        lineno = next((i for i, line in enumerate(lines, 1) if start in line), 1)  # where the text begins, if whole
        yield lineno, None, description, []


def _pybabel(*args: str) -> None:
    """Run a pybabel command in this process; raise RuntimeError if it fails."""
    try:
        CommandLineInterface().run(["pybabel", "--quiet", *args])
    except SystemExit as exc:  # Babel's command line exits on bad options or files
        if exc.code:
            raise RuntimeError(f"pybabel {' '.join(args)} failed (exit {exc.code})") from None


def update_catalogs(root: Path) -> None:
    """Extract the strings into messages.pot and merge it into every language's .po, as pybabel does."""
    targets = [root / POT_FILE] + [po_path(root, lang.code) for lang in LANGUAGES if lang.code != "en"]
    before = {path: path.read_bytes() for path in targets if path.exists()}
    # Relative paths: pybabel writes the locations (#: file:line) relative to the folder it runs in.
    with contextlib.chdir(root):
        _pybabel("extract", "-F", str(MAPPING_FILE), "-o", str(POT_FILE), ".")
        for lang in LANGUAGES:
            if lang.code != "en" and not po_path(root, lang.code).exists():
                _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l", lang.babel)
        _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR))
    # pybabel stamps the date on every run; a run that changed no message leaves the files as they were.
    for path, old in before.items():
        if _DATE_STAMP.sub(b"", path.read_bytes()) == _DATE_STAMP.sub(b"", old):
            path.write_bytes(old)
    for lang in LANGUAGES:
        if lang.code == "en":
            continue  # English is the source language
        path = po_path(root, lang.code)
        catalog = read_po(io.BytesIO(path.read_bytes()), locale=lang.babel)
        messages = [m for m in catalog if m.id]
        untranslated = [m for m in messages if not m.string or m.fuzzy]
        log.info("%s", _("%(file)s: %(count)d strings, %(untranslated)d to translate or review", file=path.relative_to(root),
                         count=len(messages), untranslated=len(untranslated)).render())
