"""Languages: interface catalogs (Babel), locale formatting, and the state of the content's translations.

Interface strings live in templates as `{{ _("...") }}` and are translated in
translations/<locale>/LC_MESSAGES/messages.po. Content translations record,
in translations/content-sources.json, a fingerprint of the English text each
Chinese text was made from, so that `i18n status` can tell stale from fresh.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import logging
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Language:
    """A language the site is published in."""

    code: str  # content key and URL prefix
    babel: str  # Babel locale
    html: str  # html lang / hreflang
    name: str  # the language's own name, for the switcher


LANGUAGES = (
    Language("en", "en_GB", "en", "English"),
    Language("zh", "zh_Hans_CN", "zh-CN", "中文"),
)
LANGUAGE = {lang.code: lang for lang in LANGUAGES}

TRANSLATIONS_DIR = Path("translations")
DOMAIN = "messages"
SOURCES_FILE = TRANSLATIONS_DIR / "content-sources.json"


def po_path(root: Path, code: str) -> Path:
    return root / TRANSLATIONS_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(root: Path, code: str) -> NullTranslations:
    """Return the interface translations for a language (English is the source language)."""
    if code == "en":
        return NullTranslations()
    path = po_path(root, code)
    if not path.exists():
        log.warning("WARNING: no interface catalog at %s; the %s pages will show English labels", path, code)
        return NullTranslations()
    return _compile(path.read_bytes(), code)


@lru_cache(maxsize=8)
def _compile(po_bytes: bytes, code: str) -> Translations:
    catalog = read_po(io.BytesIO(po_bytes), locale=LANGUAGE[code].babel)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def format_partial_date(value: str, code: str) -> str:
    """Return a YYYY[-MM[-DD]] date in the language's own form, at the precision given."""
    locale = Locale.parse(LANGUAGE[code].babel)
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return format_date(dt.date(*parts), "long", locale=locale)
    if len(parts) == 2:
        return format_skeleton("yMMMM", dt.date(parts[0], parts[1], 1), locale=locale)
    return format_skeleton("y", dt.date(parts[0], 1, 1), locale=locale)


def format_number(value: int, code: str) -> str:
    """Return a number formatted for the language."""
    return format_decimal(value, locale=LANGUAGE[code].babel)


# --- Content translation status -------------------------------------------------------

def fingerprint(text: str) -> str:
    """Return a short fingerprint of an English text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _read_sources(root: Path) -> dict[str, dict[str, str]]:
    path = root / SOURCES_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _content_files(root: Path) -> list[Path]:
    from .content import GUIDE_FILE, NEEDS_FILE, case_files, policy_files

    needs = [root / NEEDS_FILE] if (root / NEEDS_FILE).exists() else []
    return [root / GUIDE_FILE, *case_files(root), *policy_files(root), *needs]


def _texts(root: Path, path: Path):
    """Yield (field, Text) of a content file, validated leniently (status must work on drafts)."""
    from .content import iter_texts, model_for
    from .yamlsource import dotted, load_yaml

    from pydantic import ValidationError

    from .messages import _
    from .problems import ContentError, Problem

    model = model_for(root, path)
    name = path.relative_to(root).as_posix()
    try:
        value = model.model_validate(load_yaml(path, name).data)
    except ValidationError:
        raise ContentError([Problem(name, 1, 1, "", _("the file is not valid, so its translations cannot be checked"),
                                    _("run `python -m site_builder validate %(file)s` and fix what it reports",
                                      file=name))]) from None
    for field, text in iter_texts(value):
        yield dotted(field), text


def translation_status(root: Path) -> dict[str, dict[str, str]]:
    """Return {file: {field: 'missing' | 'stale' | 'unmarked'}} for every Chinese text that is not fresh."""
    sources = _read_sources(root)
    report: dict[str, dict[str, str]] = {}
    for path in _content_files(root):
        name = path.relative_to(root).as_posix()
        recorded = sources.get(name, {})
        for field, text in _texts(root, path):
            state = None
            if not text.zh:
                state = "missing"
            elif field not in recorded:
                state = "unmarked"
            elif recorded[field] != fingerprint(text.en):
                state = "stale"
            if state:
                report.setdefault(name, {})[field] = state
    return report


def mark_translated(root: Path, files: list[Path]) -> int:
    """Record that the Chinese texts of `files` were made from their current English; return how many."""
    sources = _read_sources(root)
    count = 0
    for path in files:
        path = path.resolve()
        name = path.relative_to(root).as_posix()
        entry = {field: fingerprint(text.en) for field, text in _texts(root, path) if text.zh}
        sources[name] = dict(sorted(entry.items()))
        count += len(entry)
    (root / SOURCES_FILE).write_text(json.dumps(dict(sorted(sources.items())), indent=1, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    return count


def _state_names():
    from .messages import _

    return {"missing": _("missing"), "stale": _("stale: the English changed since"), "unmarked": _("not marked")}


def run(root: Path, args: argparse.Namespace) -> int:
    """Run an `i18n` action from the command line."""
    from .messages import _

    states = _state_names()
    if args.i18n_command == "status":
        report = translation_status(root)
        total = sum(1 for p in _content_files(root) for _text in _texts(root, p))
        bad = sum(len(v) for v in report.values())
        for name, fields in sorted(report.items()):
            for field, state in fields.items():
                print(f"{name}: {field}: {states[state].render()}")
        print(_("%(fresh)d/%(total)d Chinese texts complete and fresh (%(percent).1f%%)", fresh=total - bad, total=total,
                percent=100 * (total - bad) / total).render())
        return 1 if bad else 0
    if args.i18n_command == "mark":
        count = mark_translated(root, [Path(f) for f in args.files])
        print(_("recorded %(count)d translation(s) as made from the current English", count=count).render())
        return 0
    if args.i18n_command == "update":
        from .catalogs import update_catalogs

        update_catalogs(root)
        return 0
    print(f"unknown action {args.i18n_command}", file=sys.stderr)
    return 2
