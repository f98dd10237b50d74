"""Interface catalogs: extract the theme's and the code's strings, update each language's .po file.

The theme's strings come from its templates; the messages editors see (validate,
build, serve, new, i18n, the schema's help) from `_()` calls in site_builder/*.py.

Catalogs are compiled in memory at build time (i18n.load_translations), so
only the .po files live in the repository.
"""
from __future__ import annotations

import io
import logging
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .i18n import LANGUAGES, po_path
from .messages import _
from .render import THEME_DIR

log = logging.getLogger(__name__)

POT_FILE = Path("translations") / "messages.pot"
_METHOD_MAP = [("**.html", "jinja2"), ("**.xml", "jinja2")]
_OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
            "**.xml": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
# The messages editors see: `_("...")` calls in the code (site_builder/messages.py).
_CODE_DIR = "site_builder"
_CODE_METHOD_MAP = [("**.py", "python")]


def extract_catalog(root: Path) -> Catalog:
    """Return a template catalog of every interface string in the theme and the code."""
    catalog = Catalog(project="cipnet-site-builder", version="1", charset="utf-8", fuzzy=False,
                      copyright_holder="CIPnet site builder contributors")
    templates = root / THEME_DIR / "templates"
    for filename, lineno, message, comments, context in extract_from_dir(
        str(templates), method_map=_METHOD_MAP, options_map=_OPTIONS
    ):
        catalog.add(message, None, [(f"themes/default/templates/{filename}", lineno)], auto_comments=comments,
                    context=context)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root / _CODE_DIR), method_map=_CODE_METHOD_MAP, keywords={"_": None}
    ):
        catalog.add(message, None, [(f"{_CODE_DIR}/{filename}", lineno)], auto_comments=comments, context=context)
    # The fields' descriptions in the JSON Schema, which the models give in English.
    from .schema import schema_strings

    for message in schema_strings():
        if message not in catalog:
            catalog.add(message, None, [("site_builder/models.py", 0)])
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    # No creation dates or line numbers: the files change only when the strings do.
    write_po(buffer, catalog, width=100, omit_header=False, no_location=False, include_lineno=False, sort_output=True)
    return buffer.getvalue()


def update_catalogs(root: Path) -> None:
    """Extract the strings, write messages.pot, merge it into every language's .po."""
    template = extract_catalog(root)
    template.creation_date = template.revision_date = _fixed_date()
    (root / POT_FILE).write_bytes(_po_bytes(template))
    for lang in LANGUAGES:
        if lang.code == "en":
            continue  # English is the source language
        path = po_path(root, lang.code)
        if path.exists():
            catalog = read_po(io.BytesIO(path.read_bytes()), locale=lang.babel)
        else:
            catalog = Catalog(locale=lang.babel)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False
        catalog.project, catalog.version = "cipnet-site-builder", "1"
        catalog.copyright_holder = "CIPnet site builder contributors"
        catalog.creation_date = catalog.revision_date = _fixed_date()
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))
        untranslated = [m.id for m in catalog if m.id and not m.string]
        log.info("%s", _("%(file)s: %(count)d strings, %(untranslated)d untranslated", file=path.relative_to(root),
                         count=len([m for m in catalog if m.id]), untranslated=len(untranslated)).render())


def _fixed_date():
    import datetime as dt

    return dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
