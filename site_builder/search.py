"""Build the full-text search index: Site → one index file per language, read in the browser by MiniSearch.

Chinese has no spaces between words, and a dictionary segmenter splits transliterated
names (马斯特里赫特, 阿利坎特) unpredictably, differently at index and at query time. So
Chinese text is indexed as overlapping character bigrams, as Lucene's CJK analyser does:
any substring of two or more characters is found, and a query is cut the same way. The
last character of each run of Chinese is also indexed on its own, so that every character
begins some indexed term and a one-character query finds it by prefix.

English words are folded (case, accents) and brought to one spelling: plural "s" off,
British spellings to American (licence → license, -ise → -ize, programme → program,
centre → center, -our → -or). The rules only need to treat index and query alike; the
browser's copy of them is in themes/default/static/search.js, and a test checks that
both cut every page's text into the same terms.

The file written is MiniSearch's own serialised form (serializationVersion 2, MiniSearch
7.2.0 in static/vendor/), so the browser loads the index without building it.
"""
from __future__ import annotations

import functools
import html
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import nh3

from .content import Site, iter_texts
from .i18n import LANGUAGES
from .markup import render_markdown
from .render import Output
from .typography import HAN_IDEOGRAPHS

INDEX_PATH = "search/{lang}.json"
FIELDS = ("title", "institution", "keywords", "text")
STORED = ("kind", "section", "title", "institution", "keywords", "text")
CJK = HAN_IDEOGRAPHS
RUNS = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
CJK_RUN = re.compile(rf"[{CJK}]")
NUMBER = re.compile("[0-9]+")

# British → American, applied in order to a word whose plural "s" is already off. Each rule
# must be mirrored in search.js.
SPELLING_RULES = tuple((re.compile(pattern, re.ASCII), replacement) for pattern, replacement in (  # \w as in JS
    (r"^(licen|defen|offen|preten)c", r"\1s"),
    (r"(?<=\w{3}[iy])s(ation|ational|able|e|ed|er|ing)?$", r"z\1"),
    (r"(?<=\w{2})tre$", "ter"),
    (r"gramme$", "gram"),
    (r"(?<=\w{3})our(ed|ing|able|ite)?$", r"or\1"),
    (r"(?<=\w{3})ogue$", "og"),
))


@dataclass(frozen=True)
class Document:
    """One searchable page in one language."""

    url: str  # path under the language's folder, e.g. "cases/x/"
    kind: str  # "case", "policy" or "page"
    section: str
    title: str
    institution: str
    keywords: str
    text: str


class _Marks(dict):
    """A str.translate table that drops combining marks (accents), filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.category(chr(code)).startswith("M") else code
        return self[code]


_MARKS = _Marks()


def fold(text: str) -> str:
    """Return `text` in lower case, without accents, full-width letters made narrow."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
    return text if text.isascii() else text.translate(_MARKS)


@functools.lru_cache(maxsize=65536)  # a page repeats its words; the rules cost more than the lookup
def word_term(word: str) -> str:
    """Return the indexed form of a folded English (or other alphabetic) word."""
    if len(word) > 2 and not NUMBER.fullmatch(word):
        if word.endswith("ies") and not word.endswith(("eies", "aies")):
            word = word[:-3] + "y"
        elif word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
            word = word[:-1]
        elif word.endswith("s") and not word.endswith(("us", "ss")):
            word = word[:-1]
    for pattern, replacement in SPELLING_RULES:
        word = pattern.sub(replacement, word)
    return word


def terms(text: str) -> list[str]:
    """Return the terms a text is indexed under, in order (repeats kept: they count)."""
    found = []
    for run in RUNS.findall(fold(text)):
        if CJK_RUN.match(run):
            found += [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]
        else:
            found.append(word_term(run))
    return found


def _plain(text: str) -> str:
    """Return the words of a Markdown text, one paragraph or list item a line (so excerpts stop at its end)."""
    blocks = re.sub(r"</(p|li|h[1-6]|blockquote)>|<br\s*/?>", "\n", str(render_markdown(text)))
    lines = html.unescape(nh3.clean(blocks, tags=set())).split("\n")
    return "\n".join(line for line in (" ".join(part.split()) for part in lines) if line)


def documents(site: Site, lang: str) -> list[Document]:
    """Return the searchable pages of one language: the cases, the policies and the needs analysis."""
    def body(model, *extra: str) -> str:
        texts = [_plain(t.get(lang)) for _, t in iter_texts(model) if t.get(lang)]
        return "\n".join(texts + [e for e in extra if e])

    docs = [Document(f"cases/{c.id}/", "case", c.section, c.profile.name.get(lang), c.institution.get(lang),
                     "\n".join(k.get(lang) for k in c.profile.keywords),
                     body(c, *(a.name for a in c.authors))) for c in site.cases]
    docs += [Document(f"policies/{p.id}/", "policy", "", p.title.get(lang), "", p.short_title.get(lang),
                      body(p, p.document_number or "")) for p in site.policies]
    if site.needs:
        docs.append(Document("needs-analysis/", "page", "", site.needs.title.get(lang), "", "", body(site.needs)))
    return docs


def index(docs: list[Document]) -> dict:
    """Return MiniSearch's serialised index of `docs` (the structure of its toJSON())."""
    postings: dict[str, dict[int, dict[int, int]]] = {}
    lengths: dict[str, list[int]] = {}
    for short_id, doc in enumerate(docs):
        row = []
        for field_id, name in enumerate(FIELDS):
            found = terms(getattr(doc, name))
            row.append(len(set(found)))  # MiniSearch counts a field's distinct terms as its length
            for term, count in Counter(found).items():
                postings.setdefault(term, {}).setdefault(field_id, {})[short_id] = count
        lengths[str(short_id)] = row
    count = len(docs)
    return {
        "documentCount": count,
        "nextId": count,
        "documentIds": {str(i): doc.url for i, doc in enumerate(docs)},
        "fieldIds": {name: i for i, name in enumerate(FIELDS)},
        "fieldLength": lengths,
        "averageFieldLength": [sum(row[i] for row in lengths.values()) / count if count else 0
                               for i in range(len(FIELDS))],
        "storedFields": {str(i): {"url": doc.url, **{name: getattr(doc, name) for name in STORED}}
                         for i, doc in enumerate(docs)},
        "dirtCount": 0,
        "index": [[term, {str(f): {str(d): n for d, n in docs_.items()} for f, docs_ in fields.items()}]
                  for term, fields in sorted(postings.items())],
        "serializationVersion": 2,
    }


def search_files(site: Site) -> list[Output]:
    """Return the search index of each language (search/en.json, search/zh.json)."""
    return search_index(site)[0]


def search_index(site: Site) -> tuple[list[Output], int]:
    """Return the search index of each language and how many pages they hold in all."""
    files, pages = [], 0
    for lang in LANGUAGES:
        docs = documents(site, lang.code)
        files.append(Output(INDEX_PATH.format(lang=lang.code),
                            json.dumps(index(docs), ensure_ascii=False, separators=(",", ":")).encode()))
        pages += len(docs)
    return files, pages
