"""The EN → ZH glossary in translations/glossary.yaml, and the checks that the content follows it.

Three checks, each returning what it finds rather than raising, so that a test can list every
miss at once: terms and names (`glossary_misses`), named entities in both directions with their
forbidden variant forms (`entity_misses`), and money written the Chinese way (`amount_misses`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel

from .content import iter_texts
from .messages import _
from .paths import GLOSSARY_FILE
from .problems import Problem
from .yamlsource import YamlDocument, dotted


@dataclass(frozen=True)
class Entry:
    """One term or name: its English forms and accepted Chinese renderings."""

    en: tuple[str, ...]
    zh: tuple[str, ...]
    exceptions: tuple[str, ...] = ()  # English phrases where the word has another sense

    @cached_property
    def lowered(self) -> tuple[str, ...]:
        return tuple(form.lower() for form in self.en)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # Whole words, plural forms included; acronyms (all capitals) match case-sensitively.
        alternatives = []
        for form in sorted(self.en, key=len, reverse=True):
            body = re.escape(form) + r"(?:s|es)?"
            alternatives.append(body if form.isupper() else f"(?i:{body})")
        return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


@dataclass(frozen=True)
class Entity:
    """A named body, programme, policy, award or law: one English and one Chinese form.

    `source_forms` are other English forms the guide's own text uses, kept where a case is
    transcribed; `variants` are forms (in either language) that must not appear at all.
    """

    en: str
    zh: str
    source_forms: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        forms = sorted((self.en, *self.source_forms), key=len, reverse=True)
        return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.I)


def read_glossary(root: Path) -> dict:
    """Return translations/glossary.yaml as data: terms, names and entities."""
    return yaml.load((root / GLOSSARY_FILE).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_glossary(root: Path) -> list[Entry]:
    """Return the glossary's terms and names."""
    data = read_glossary(root)
    entries = [Entry(tuple(t["en"]), tuple(t["zh"]), tuple(t.get("except", ()))) for t in data["terms"]]
    entries += [Entry((n["en"],), (n["zh"],)) for n in data["names"]]
    return entries


def load_entities(root: Path) -> list[Entity]:
    """Return the glossary's named entities."""
    return [Entity(e["en"], e["zh"], tuple(e.get("source_forms", ())), tuple(e.get("variants", ())))
            for e in read_glossary(root)["entities"]]


def entity_misses(model: BaseModel, entities: list[Entity]) -> list[tuple[str, str]]:
    """Return (field, problem) wherever a text breaks the named-entity list.

    English names the entity → the Chinese has its Chinese form; Chinese form present (not
    only inside a longer listed one) → the English names an entity with that form; and no
    variant form in either language, except in editorial notes, whose job is to quote the source.
    """
    misses = []
    by_zh: dict[str, list[Entity]] = {}
    for entity in entities:
        by_zh.setdefault(entity.zh, []).append(entity)
    for path, text in iter_texts(model):
        field = dotted(path)
        if text.en and text.zh:
            for entity in entities:
                if entity.pattern.search(text.en) and entity.zh not in text.zh:
                    misses.append((field, f"English names '{entity.en}' but the Chinese lacks {entity.zh}"))
            for zh, named in by_zh.items():
                # 中国技术市场协会 inside 中国技术市场协会金桥奖 is the award's name, checked as such
                own = text.zh
                for longer in by_zh:
                    if zh in longer and zh != longer:
                        own = own.replace(longer, "")
                if zh in own and not any(e.pattern.search(text.en) for e in named):
                    misses.append((field, f"Chinese has {zh} but the English does not name '{named[0].en}'"))
        if path and path[0] == "editorial_notes":
            continue
        for entity in entities:
            for variant in entity.variants:
                for lang in ("en", "zh"):
                    if variant.lower() in text.get(lang).lower():
                        misses.append((field, f"variant '{variant}' of '{entity.en}' / {entity.zh}"))
    return sorted(set(misses), key=misses.index)


# --- Money: Chinese counts in 万 (10⁴) and 亿 (10⁸), never in 百万 --------------------------

_EN_AMOUNT = re.compile(
    r"(?:(?:RMB|CNY|¥|€|EUR|US\$|\$)\s?)?(\d[\d,]*(?:\.\d+)?|one|two|three|ten|a)\s+(million|billion)\b", re.I)
_ZH_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(万|亿)")
_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "ten": 10}


def amount_misses(en: str, zh: str) -> list[str]:
    """Return the problems with the Chinese amounts of one text.

    Chinese writes money in 万 and 亿 (21,177.5万元, 7.01亿元), never in 百万 (a calque of
    "million"); every exact English amount in millions or billions must reappear in the
    Chinese with the same value, and an English "tens/hundreds of millions" needs 千万/亿.
    """
    problems = []
    if "百万" in zh:
        problems.append("百万 in Chinese: write 万 or 亿 (1 million = 100万; 100 million = 1亿)")
    zh_values = {_value(number) * (10**4 if unit == "万" else 10**8) for number, unit in _ZH_AMOUNT.findall(zh)}
    for number, unit in _EN_AMOUNT.findall(en):
        amount = (_WORDS.get(number.lower()) or _value(number)) * (10**6 if unit.lower() == "million" else 10**9)
        if not any(abs(amount - v) <= amount * 1e-9 for v in zh_values):
            problems.append(f"'{number} {unit}' has no Chinese amount of the same value in 万/亿")
    for vague, needed in (("tens of millions", "千万"), ("hundreds of millions", "亿")):
        if vague in en.lower() and needed not in zh:
            problems.append(f"'{vague}' needs {needed} in Chinese")
    return problems


def _value(number: str) -> float:
    return float(number.replace(",", ""))


def glossary_problems(root: Path, documents: list[tuple[YamlDocument, BaseModel]], *, strict: bool) -> list[Problem]:
    """Return a located problem wherever a Chinese text ignores the glossary (errors when `strict`).

    `documents` are the files as content.load_site read them (see content.ParsedFiles): their
    positions locate the problems, so no file is read again.
    """
    glossary = load_glossary(root)
    problems = []
    for doc, model in documents:
        misses = _misses(model, glossary)
        if not misses:
            continue
        for where, term, renderings in misses:
            line, column = doc.position(where + ("zh",))
            problems.append(Problem(doc.file, line, column, dotted(where + ("zh",)),
                                    _("the Chinese does not use the glossary's rendering of '%(term)s'", term=term),
                                    _("write %(renderings)s (translations/glossary.yaml)",
                                      renderings=" / ".join(renderings)),
                                    "error" if strict else "warning"))
    return problems


def find_terms(english: str, glossary: list[Entry]) -> list[tuple[int, int, str, Entry]]:
    """Return (start, end, words, entry) for each glossary term in `english`, by entry, outside its exception phrases."""
    found = []
    lower = english.lower()
    for entry in glossary:
        if not any(form in lower for form in entry.lowered):
            continue  # a substring test first: the regular expressions cost most of validate's time
        text = english
        for phrase in entry.exceptions:  # blanked out, so that the positions stay those of `english`
            text = re.sub(re.escape(phrase), lambda m: " " * len(m.group(0)), text, flags=re.I)
        found += [(m.start(), m.end(), m.group(0), entry) for m in entry.pattern.finditer(text)]
    return found


def glossary_misses(model: BaseModel, glossary: list[Entry]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Return (field, English term, accepted renderings) wherever a translation ignores the glossary."""
    return [(dotted(where), term, renderings) for where, term, renderings in _misses(model, glossary)]


def _misses(model: BaseModel, glossary: list[Entry]) -> list[tuple[tuple, str, tuple[str, ...]]]:
    """Return (field, English term, accepted renderings) wherever a translation ignores the glossary.

    A term inside a longer glossary match ("Hebei University" inside "Hebei
    University of Technology") is not counted on its own.
    """
    misses = []
    for path, text in iter_texts(model):
        if not text.en or not text.zh:
            continue
        found = find_terms(text.en, glossary)
        for start, end, term, entry in found:
            inside_longer = any(s <= start and end <= e and (e - s) > (end - start) for s, e, _term, _entry in found)
            if not inside_longer and not any(zh in text.zh for zh in entry.zh):
                misses.append((path, term, entry.zh))
    return sorted(set(misses), key=misses.index)
