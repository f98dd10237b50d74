"""Typographic conventions of each language that the templates cannot write as literal text.

Chinese (GB/T 15834, W3C clreq): full-width marks carry their own space, so no typed space
follows them; an ellipsis is two three-dot characters; words are not separated by spaces.
"""
from __future__ import annotations

import re
from typing import Protocol

# The Chinese characters (CJK Unified Ideographs, Extension A, Compatibility Ideographs) as a regular
# expression's character-class body: what the search index cuts into bigrams, the PDF spaces as Chinese and
# the glossary export reads as a Chinese form. themes/default/static/search.js repeats it for the browser.
HAN_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# Full-width punctuation: a space typed after one of these is always wrong in Chinese text.
_FULL_WIDTH_THEN_SPACE = re.compile(r"(?<=[，。、；：？！）》”’」』】〕…])[ \t\n]+")

ELLIPSIS = {"en": "...", "zh": "……"}  # what a shortened text ends with
WORD_GAP = {"en": " ", "zh": ""}  # between two pieces of running text the templates put side by side


def tidy_spacing(text: str, code: str) -> str:
    """Return plain text without the spaces that joining Chinese paragraphs and list items leaves after full-width marks."""
    return _FULL_WIDTH_THEN_SPACE.sub("", text) if code == "zh" else text


class Named(Protocol):
    @property
    def name(self) -> str | None: ...
    @property
    def name_zh(self) -> str | None: ...


def person_name(person: Named, code: str) -> str:
    """Return how a page in language `code` names a person: the Chinese name on Chinese pages where known."""
    if code == "zh" and person.name_zh:
        return person.name_zh
    return person.name or ""
