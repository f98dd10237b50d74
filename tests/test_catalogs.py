"""Interface strings: all in the catalog, all translated; none hard-coded in templates."""
from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from site_builder.catalogs import extract_catalog
from site_builder.i18n import po_path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "themes" / "default" / "templates"


def catalog():
    return read_po(io.BytesIO(po_path(ROOT, "zh").read_bytes()), locale="zh_Hans_CN")


def test_every_catalog_entry_is_translated():
    untranslated = [m.id for m in catalog() if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, untranslated


def test_catalog_holds_every_template_string():
    in_templates = {m.id for m in extract_catalog(ROOT) if m.id}
    in_catalog = {m.id for m in catalog() if m.id}
    assert in_templates <= in_catalog, f"run `python -m site_builder i18n update`: {in_templates - in_catalog}"


def test_placeholders_survive_translation():
    for m in catalog():
        if m.id and m.string:
            assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(re.findall(r"%\(\w+\)s", m.string)), m.id


def _bare_text(template: str) -> list[str]:
    """Return words in a template that do not come through gettext or data."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    visible = []
    for attr in re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', text):
        visible.append(attr)
    text = re.sub(r"<[^>]+>", " ", text)
    visible.append(text)
    return [w for chunk in visible for w in re.findall(r"[A-Za-z]{3,}", chunk)]


# Pages outside the language tree (the bilingual root) and machine formats carry fixed text on purpose.
EXEMPT = {"root.html", "feed.xml", "sitemap.xml"}
ALLOWED_WORDS = {"BibTeX", "RIS", "PDF", "JSON", "CSV", "cases", "json", "csv", "UTF", "article", "website"}  # formats, og:type


def test_templates_have_no_bare_interface_text():
    offenders = {}
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.name not in EXEMPT:
            bare = [w for w in _bare_text(path.read_text(encoding="utf-8")) if w not in ALLOWED_WORDS]
            if bare:
                offenders[path.name] = bare
    assert not offenders, offenders


def test_the_bare_text_check_catches_a_hard_coded_label():
    assert sorted(_bare_text('<p>Read more</p> {{ _("Fine") }} <img alt="A photo">')) == ["Read", "more", "photo"]
