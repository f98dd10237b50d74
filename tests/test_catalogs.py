"""Interface strings: all in the catalog, all translated; none hard-coded in templates."""
from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from site_builder.catalogs import extract_catalog
from site_builder.i18n import LANGUAGE, po_path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "themes" / "default" / "templates"


def catalog():
    return read_po(io.BytesIO(po_path(ROOT, "zh").read_bytes()), locale=LANGUAGE["zh"].babel)


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


def _without_date_stamps(text: str) -> str:
    return re.sub(r'^"(POT-Creation-Date|PO-Revision-Date): .*\n', "", text, flags=re.M)


def test_update_writes_what_pybabel_writes(tmp_path: Path):
    """`i18n update` and plain pybabel give the same files: same width, locations, order (dates aside)."""
    import shutil
    import subprocess
    import sys

    from site_builder.catalogs import POT_FILE, update_catalogs

    copies = []
    for name in ("ours", "pybabel"):
        root = tmp_path / name
        for folder in ("themes", "translations"):
            shutil.copytree(ROOT / folder, root / folder)
        shutil.copytree(ROOT / "site_builder", root / "site_builder", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "babel.cfg", root)
        # A new interface string, so that both really extract and merge.
        (root / "themes/default/templates/about.html").write_text(
            (root / "themes/default/templates/about.html").read_text(encoding="utf-8") + '{{ _("A new label") }}\n',
            encoding="utf-8")
        copies.append(root)
    update_catalogs(copies[0])
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([pybabel, "-q", "extract", "-F", "babel.cfg", "-o", "translations/messages.pot", "."],
                   cwd=copies[1], check=True)
    subprocess.run([pybabel, "-q", "update", "-i", "translations/messages.pot", "-d", "translations"],
                   cwd=copies[1], check=True)
    for path in (POT_FILE, po_path(Path(), "zh")):
        ours, theirs = ((root / path).read_text(encoding="utf-8") for root in copies)
        assert 'msgid "A new label"' in ours
        assert _without_date_stamps(ours) == _without_date_stamps(theirs), path


def test_one_language_code_everywhere():
    zh = LANGUAGE["zh"]
    path = po_path(ROOT, "zh")
    assert path.relative_to(ROOT).as_posix() == f"translations/{zh.babel}/LC_MESSAGES/messages.po"
    assert f'"Language: {zh.babel}\\n"' in path.read_text(encoding="utf-8")
    assert zh.html == zh.babel.replace("_", "-")  # the same locale, in BCP 47 form (html lang, XLIFF, TBX)


def test_compiled_catalogs_are_not_committed():
    import subprocess

    ignored = subprocess.run(["git", "check-ignore", "-q", "translations/zh_CN/LC_MESSAGES/messages.mo"], cwd=ROOT)
    assert ignored.returncode == 0
