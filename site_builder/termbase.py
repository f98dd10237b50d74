"""The glossary for translators' tools: TBX (OmegaT, Trados MultiTerm, memoQ, Weblate) and CSV.

translations/glossary.yaml stays the one source; these files are made from it
on demand (`i18n glossary`, and by `i18n export` next to the content).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .exchange import SOURCE_LANGUAGE, TARGET_LANGUAGE
from .glossary import read_glossary
from .typography import HAN_IDEOGRAPHS


@dataclass(frozen=True)
class Concept:
    """One glossary entry: its English forms, its accepted Chinese renderings (the first preferred), a note."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]
    note: str = ""
    not_in: tuple[str, ...] = ()  # English phrases where the word has another sense
    deprecated: tuple[str, ...] = ()  # Chinese forms that must not be used (an entity's variants)


def load_concepts(root: Path) -> list[Concept]:
    """Return the glossary's terms, then its names."""
    data = read_glossary(root)
    concepts = [Concept(tuple(t["en"]), tuple(t["zh"]), " ".join(str(t.get("note", "")).split()),
                        tuple(t.get("except", ()))) for t in data["terms"]]
    concepts += [Concept((n["en"],), (n["zh"],), "official name") for n in data["names"]]
    # Named entities: one Chinese form; other English forms the source uses; variants never to be written.
    for entity in data.get("entities", []):
        variants = entity.get("variants", ())
        concepts.append(Concept((entity["en"], *entity.get("source_forms", ())), (entity["zh"],), "named entity",
                                deprecated=tuple(v for v in variants if _CJK.search(v))))
    return concepts


# Any Chinese character marks a variant as a Chinese form (the others are English forms).
_CJK = re.compile(f"[{HAN_IDEOGRAPHS}]")


def _note(concept: Concept) -> str:
    parts = [concept.note] if concept.note else []
    if concept.not_in:
        parts.append("not a term in: " + "; ".join(concept.not_in))
    if concept.deprecated:
        parts.append("never: " + ", ".join(concept.deprecated))
    return " — ".join(parts)


def to_tbx(concepts: list[Concept]) -> bytes:
    """Return the glossary as TBX: one termEntry per concept, the preferred Chinese term marked."""
    from lxml import etree
    from translate.storage import tbx

    store = tbx.tbxfile(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=TARGET_LANGUAGE)
    for concept in concepts:
        entry = store.addsourceunit(concept.english[0])
        entry.set_source_terms(list(concept.english))
        entry.set_target_terms(list(concept.chinese + concept.deprecated))
        if note := _note(concept):
            entry.addnote(note, origin="translator")
        if len(concept.chinese) + len(concept.deprecated) > 1:
            # CAT tools show the preferred rendering first, and flag the admitted and the forbidden ones.
            for position, tig in enumerate(entry.target_dom.iter("tig")):
                status = etree.SubElement(tig, "termNote", type="administrativeStatus")
                status.text = ("preferredTerm-admn-sts" if position == 0 else "admittedTerm-admn-sts"
                               if position < len(concept.chinese) else "deprecatedTerm-admn-sts")
    return bytes(store)


def to_csv(concepts: list[Concept]) -> str:
    """Return the glossary as CSV: one row per English form, its preferred Chinese, the other renderings and note."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([SOURCE_LANGUAGE, TARGET_LANGUAGE, "note"])
    for concept in concepts:
        others = concept.chinese[1:]
        note = " — ".join(p for p in ((f"also: {', '.join(others)}" if others else ""), _note(concept)) if p)
        for english in concept.english:
            writer.writerow([english, concept.chinese[0], note])
    return out.getvalue()


def write_glossary(root: Path, output: Path, formats: tuple[str, ...] = ("tbx", "csv")) -> list[Path]:
    """Write the glossary into `output` in the formats asked; return the paths."""
    concepts = load_concepts(root)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        path = output / f"glossary.{name}"
        if name == "tbx":
            path.write_bytes(to_tbx(concepts))
        else:
            path.write_text(to_csv(concepts), encoding="utf-8")
        written.append(path)
    return written
