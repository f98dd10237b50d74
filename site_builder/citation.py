"""How to cite a case: a formatted reference, BibTeX and RIS."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Case, Guide
from .typography import person_name


@dataclass(frozen=True)
class CaseReference:
    """A case as a chapter of the guide, in one language."""

    case: Case
    guide: Guide
    lang: str
    url: str | None  # the case page's full address; None where the site's address is not known
    page: int | None  # first page of the case in that language's PDF edition

    def title(self) -> str:
        return self.case.profile.name.get(self.lang) or self.case.profile.name.en

    def book(self) -> str:
        return self.guide.title.get(self.lang) or self.guide.title.en

    def authors(self) -> list[str]:
        return [person_name(a, self.lang) for a in self.case.authors]

    def year(self) -> int:
        return self.guide.year


def formatted(ref: CaseReference) -> str:
    """Return a reference in the guide's own citation style."""
    authors = "; ".join(ref.authors())
    editors = " & ".join(_initialled(e.name) for e in ref.guide.editors)
    page = f", p. {ref.page}" if ref.page else ""
    if ref.lang == "zh":
        page = f"，第{ref.page}页" if ref.page else ""
        return (f"{authors}：{ref.title()}。载于：{editors}编，《{ref.book()}》（{ref.guide.deliverable}，"
                f"{ref.year()}）第{ref.case.section}节{page}。{ref.guide.project.acronym}项目。{ref.url or ''}").rstrip()
    return (f"{authors}. {ref.title()}. In: {ref.book()}, section {ref.case.section}{page}. "
            f"{editors} eds. ({ref.year()}). {ref.guide.project.acronym} project, {ref.guide.deliverable}. {ref.url or ''}").rstrip()


def _initialled(name: str) -> str:
    """"Noelia López" → "López N." as the guide's own citation writes its editors."""
    parts = name.split()
    return f"{parts[-1]} {parts[0][0]}." if len(parts) > 1 else name


def _bib_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def bibtex(ref: CaseReference) -> str:
    """Return a BibTeX @incollection entry."""
    fields = {
        "author": " and ".join(ref.authors()),
        "title": ref.title(),
        "booktitle": ref.book(),
        "editor": " and ".join(e.name for e in ref.guide.editors),
        "year": str(ref.year()),
        "publisher": ref.guide.contact.name.get(ref.lang) or ref.guide.contact.name.en,
        "note": f"{ref.guide.project.acronym} deliverable {ref.guide.deliverable}, section {ref.case.section}",
        "url": ref.url,
        "language": "english" if ref.lang == "en" else "chinese",
    }
    if ref.page:
        fields["pages"] = str(ref.page)
    key = f"cipnet{ref.year()}-{ref.case.id}-{ref.lang}"
    body = ",\n".join(f"  {k} = {{{_bib_escape(v) if k != 'url' else v}}}" for k, v in fields.items() if v)
    return f"@incollection{{{key},\n{body}\n}}\n"


def ris(ref: CaseReference) -> str:
    """Return an RIS record (type CHAP)."""
    lines = ["TY  - CHAP"]
    lines += [f"AU  - {a}" for a in ref.authors()]
    lines += [f"TI  - {ref.title()}", f"T2  - {ref.book()}"]
    lines += [f"A2  - {e.name}" for e in ref.guide.editors]
    lines += [f"PY  - {ref.year()}", *([f"UR  - {ref.url}"] if ref.url else []), f"LA  - {'en' if ref.lang == 'en' else 'zh'}",
              f"N1  - {ref.guide.project.acronym} deliverable {ref.guide.deliverable}, section {ref.case.section}"]
    if ref.page:
        lines.append(f"SP  - {ref.page}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"
