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


# BibTeX counts braces to find where a field ends and knows no escaped brace ("\}" still closes
# one), so each character LaTeX treats specially becomes a command whose own braces balance.
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


def one_line(text: str) -> str:
    """Return `text` with every run of white space (line breaks included) as one space."""
    return " ".join(text.split())


def bib_escape(text: str) -> str:
    """Return text as the value of a braced BibTeX field: one line, LaTeX specials escaped, braces balanced."""
    return _BIBTEX_SPECIAL_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group()], one_line(text))


def _bib_url(url: str) -> str:
    """Return a URL for a BibTeX url field: percent-encode what would unbalance braces or escape."""
    return one_line(url).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


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
    body = ",\n".join(f"  {k} = {{{bib_escape(v) if k != 'url' else _bib_url(v)}}}" for k, v in fields.items() if v)
    return f"@incollection{{{key},\n{body}\n}}\n"


def ris(ref: CaseReference) -> str:
    """Return an RIS record (type CHAP)."""
    tags: list[tuple[str, object]] = [("TY", "CHAP")]
    tags += [("AU", a) for a in ref.authors()]
    tags += [("TI", ref.title()), ("T2", ref.book())]
    tags += [("A2", e.name) for e in ref.guide.editors]
    tags += [("PY", ref.year()), *([("UR", ref.url)] if ref.url else []), ("LA", "en" if ref.lang == "en" else "zh"),
             ("N1", f"{ref.guide.project.acronym} deliverable {ref.guide.deliverable}, section {ref.case.section}")]
    if ref.page:
        tags.append(("SP", ref.page))
    # RIS is one tag per line: a line break inside a value would start a new tag, or a new record.
    lines = [f"{tag}  - {one_line(str(value))}" for tag, value in tags]
    return "\n".join(lines + ["ER  - "]) + "\n"
