"""The EN → ZH glossary in translations/glossary.yaml, and the check that the content follows it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel

from .content import iter_texts
from .messages import _
from .problems import Problem, display_path
from .yamlsource import dotted, load_yaml

GLOSSARY_FILE = Path("translations") / "glossary.yaml"


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


def load_glossary(root: Path) -> list[Entry]:
    """Return the glossary's terms and names."""
    data = yaml.load((root / GLOSSARY_FILE).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries = [Entry(tuple(t["en"]), tuple(t["zh"]), tuple(t.get("except", ()))) for t in data["terms"]]
    entries += [Entry((n["en"],), (n["zh"],)) for n in data["names"]]
    return entries


def glossary_problems(root: Path, documents: list[tuple[Path, BaseModel]], *, strict: bool) -> list[Problem]:
    """Return a located problem wherever a Chinese text ignores the glossary (errors when `strict`)."""
    glossary = load_glossary(root)
    problems = []
    for path, model in documents:
        misses = _misses(model, glossary)
        if not misses:
            continue
        doc = load_yaml(path, display_path(path, root))
        for where, term, renderings in misses:
            line, column = doc.position(where + ("zh",))
            problems.append(Problem(doc.file, line, column, dotted(where + ("zh",)),
                                    _("the Chinese does not use the glossary's rendering of '%(term)s'", term=term),
                                    _("write %(renderings)s (translations/glossary.yaml)",
                                      renderings=" / ".join(renderings)),
                                    "error" if strict else "warning"))
    return problems


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
        found = []
        lower = text.en.lower()
        for entry in glossary:
            if not any(form in lower for form in entry.lowered):
                continue  # a substring test first: the regular expressions cost most of validate's time
            english = text.en
            for phrase in entry.exceptions:
                english = re.sub(re.escape(phrase), lambda m: " " * len(m.group(0)), english, flags=re.I)
            found += [(m.start(), m.end(), m.group(0), entry) for m in entry.pattern.finditer(english)]
        for start, end, term, entry in found:
            inside_longer = any(s <= start and end <= e and (e - s) > (end - start) for s, e, _term, _entry in found)
            if not inside_longer and not any(zh in text.zh for zh in entry.zh):
                misses.append((path, term, entry.zh))
    return sorted(set(misses), key=misses.index)
