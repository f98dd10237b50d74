"""The languages the guide is published in (the one registry the models, the renderer and the catalogs read),
and each language's interface catalog."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .paths import MESSAGES_DOMAIN, TRANSLATIONS_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Language:
    """A language the site is published in."""

    code: str  # content key and URL prefix
    babel: str  # locale: Babel's, the catalog's folder and `Language:` header (gettext form)
    html: str  # html lang / hreflang, XLIFF and TBX (the same locale in BCP 47 form)
    name: str  # the language's own name, for the switcher


LANGUAGES = (
    Language("en", "en_GB", "en", "English"),
    Language("zh", "zh_CN", "zh-CN", "中文"),
)
LANGUAGE = {lang.code: lang for lang in LANGUAGES}
LANGUAGE_CODES = tuple(lang.code for lang in LANGUAGES)
SOURCE_LANGUAGE = "en"  # the language interface strings are written in


def po_path(root: Path, code: str) -> Path:
    """Return the interface catalog of a language, where pybabel keeps it (translations/<locale>/LC_MESSAGES/)."""
    return root / TRANSLATIONS_DIR / LANGUAGE[code].babel / "LC_MESSAGES" / f"{MESSAGES_DOMAIN}.po"


def load_translations(root: Path, code: str) -> Any:
    """Return the interface translations for a language (English is the source language)."""
    from babel.support import NullTranslations  # late: plain English runs never need Babel

    if code == SOURCE_LANGUAGE:
        return NullTranslations()
    path = po_path(root, code)
    if not path.exists():
        log.warning("WARNING: no interface catalog at %s; the %s pages will show English labels", path, code)
        return NullTranslations()
    return _compile(path.read_bytes(), code)


@lru_cache(maxsize=8)
def _compile(po_bytes: bytes, code: str) -> Any:
    """Compile a .po catalog in memory (only the .po files live in the repository)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    catalog = read_po(io.BytesIO(po_bytes), locale=LANGUAGE[code].babel)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=MESSAGES_DOMAIN)
