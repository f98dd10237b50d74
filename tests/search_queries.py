"""The search's query set, derived from the content itself, and how a result list is scored against it.

Shared by the browser tests (tests/test_browser.py) and the figures (bench/search.py). Every query
comes from the data: each institution in both languages, in its full and short forms; each case
title; the glossary's terms and names; the countries; the keywords; British and American spellings
of the words the cases use; words cut short; and names that occur on no page. What a query must
find is worked out from the texts, independently of any search engine: the pages whose text
contains it (English: as whole words, either spelling; Chinese: as a substring).
"""
from __future__ import annotations

import functools
import html
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from site_builder.content import Site, iter_texts
from site_builder.glossary import GLOSSARY_FILE
from site_builder.markup import plain_text

KINDS = ("institution", "title", "glossary", "name", "keyword", "spelling", "prefix", "absent")
# Kinds whose every query must find every target (the tests fail below 100 %).
COMPLETE = ("institution", "title")
# Words that make no name on their own: the rest of an institution's name is its short form.
GENERIC = {"university", "of", "the", "for", "and", "institute", "college", "school"}
ZH_SUFFIX = re.compile(r"(大学|学院)$")
# Candidates for names that no page names; those that a page does name after all are dropped.
ABSENT = {
    "en": ["Sorbonne", "Tongji", "Tongji University", "Fudan", "Zhejiang University", "Heidelberg", "Oxford",
           "Sorbonne University"],
    "zh": ["同济", "同济大学", "复旦", "复旦大学", "浙江大学", "索邦大学", "牛津大学", "海德堡"],
}
# British and American spellings: (British pattern, American replacement) on whole words.
SPELLINGS = [
    (r"(\w{4,}i)s(ation|ations|e|ed|es|ing)$", r"\1z\2"),
    (r"(\w{3,}y)s(e|ed|es|ing)$", r"\1z\2"),
    (r"^(licen|defen|offen)ce(s)?$", r"\1se\2"),
    (r"(\w+)tre(s)?$", r"\1ter\2"),
    (r"(\w+)gramme(s)?$", r"\1gram\2"),
    (r"(\w{3,})our(s|ed|ing|able)?$", r"\1or\2"),
]
# Words whose "s" is no spelling variant (promise, comprise, advise, …) and "-our" words that are not British.
NOT_SPELLINGS = re.compile(r"(promis|compris|supervis|advis|revis|exercis|enterpris|otherwis|surpris|franchis|televis"
                           r"|premis|devis|expertis|aris|ris|wis|rais|prais|precis|concis|merchandis|paradis|nois|pois"
                           r"|cruis|bruis|disguis|compromis|advertis|decis|excis|incis|chastis|ours?$|hours?$|fours?$"
                           r"|tours?$|yours?$|flour|pour|sour|contour|devour|entrepreneur|amateur)")


@dataclass(frozen=True)
class Document:
    """One searchable page: its path under a language (e.g. "cases/x/"), its kind and its text."""

    path: str
    kind: str  # case, policy, page
    title: str
    institution: str
    text: str


@dataclass
class Query:
    """A query, the pages that must come first (targets) and every page that contains it."""

    lang: str
    kind: str
    text: str
    targets: set[str]
    contains: set[str]
    variants: tuple[str, ...] = ()  # spellings counted as the same word


@dataclass
class Score:
    query: Query
    results: list[str]
    recall_3: float = 0.0
    recall_10: float = 0.0
    recall_all: float = 0.0
    precision: float = 0.0  # share of the results that contain the query
    reciprocal_rank: float = 0.0
    ok: bool = False
    missing: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=None)
def fold(text: str) -> str:
    """Return `text` in lower case without accents, with full-width forms made narrow."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def documents(site: Site, lang: str) -> list[Document]:
    """Return the searchable pages of one language, with all their text in that language."""
    def texts(model) -> str:
        return "\n".join(html.unescape(plain_text(t.get(lang))) for _, t in iter_texts(model) if t.get(lang))

    docs = [Document(f"cases/{c.id}/", "case", c.profile.name.get(lang), c.institution.get(lang), texts(c))
            for c in site.cases]
    docs += [Document(f"policies/{p.id}/", "policy", p.title.get(lang), "", texts(p) + "\n" + (p.document_number or ""))
             for p in site.policies]
    if site.needs:
        docs.append(Document("needs-analysis/", "page", site.needs.title.get(lang), "", texts(site.needs)))
    return docs


def phrase_pattern(phrase: str, lang: str) -> re.Pattern[str]:
    """Return a pattern that finds `phrase` in comparable text: Chinese as a substring, other words from a word's start.

    English words are compared in the singular and in their American spelling (see `comparable`), so either
    spelling finds both.
    """
    phrase = fold(phrase)
    if lang == "zh" and re.search(r"[\u3400-\u9fff]", phrase):
        return re.compile(re.escape(phrase))
    words = [american(singular(w)) for w in re.findall(r"\w+", phrase)]
    return re.compile(r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words))


@functools.lru_cache(maxsize=None)
def singular(word: str) -> str:
    """Return a plural English word without its plural ending ("academics" → "academic"), roughly."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=None)
def comparable(text: str) -> str:
    """Return `text` folded, each word in the singular and its American spelling."""
    return re.sub(r"[a-z]+", lambda m: american(singular(m.group())), fold(text))


def containing(docs: list[Document], phrases: list[str], lang: str) -> set[str]:
    patterns = [phrase_pattern(p, lang) for p in phrases]
    return {d.path for d in docs if any(p.search(comparable(d.text)) for p in patterns)}


@functools.lru_cache(maxsize=None)
def american(word: str) -> str:
    """Return the American spelling of a British word, or the word itself."""
    if NOT_SPELLINGS.match(word):
        return word
    for pattern, replacement in SPELLINGS:
        if re.search(pattern, word):
            return re.sub(pattern, replacement, word)
    return word


def short_forms(institution: str, lang: str) -> list[str]:
    """Return the short forms of an institution's name: its acronym, and its name without generic words."""
    forms = re.findall(r"[（(]([^）)]+)[）)]", institution)
    full = re.sub(r"\s*[（(][^）)]+[）)]", "", institution).strip()
    if lang == "zh":
        forms.append(ZH_SUFFIX.sub("", full))
    else:
        words = full.split()
        lead = []
        for word in words:
            if word.lower() in GENERIC:
                if lead:
                    break
                continue
            lead.append(word)
        if lead and len(lead) < len(words):
            forms.append(" ".join(lead))
    return [f for f in dict.fromkeys(forms) if f and f != full] + ([full] if full != institution else [])


def query_set(site: Site, lang: str, built: Path | None = None) -> list[Query]:
    """Return every query of one language, with what each must find."""
    docs = documents(site, lang)
    queries: list[Query] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, text: str, targets: set[str] | None = None, variants: tuple[str, ...] = ()):
        text = text.strip()
        if not text or (fold(text), kind) in seen:
            return
        contains = containing(docs, [text, *variants], lang)
        if not contains:
            return  # named on no searchable page (e.g. a glossary term only the front matter uses)
        seen.add((fold(text), kind))
        queries.append(Query(lang, kind, text, contains if targets is None else targets, contains, variants))

    cases = [d for d in docs if d.kind == "case"]
    for name in dict.fromkeys(d.institution for d in cases):
        for form in [name, *short_forms(name, lang)]:
            pattern = phrase_pattern(form, lang)
            add("institution", form, {d.path for d in cases if pattern.search(comparable(d.institution))})
    for title in dict.fromkeys(d.title for d in cases):
        add("title", title, {d.path for d in cases if d.title == title})
    glossary = yaml.safe_load((site.root / GLOSSARY_FILE).read_text(encoding="utf-8"))
    for term in glossary["terms"]:
        for form in term[lang]:
            if not (lang == "en" and form.isupper() and len(form) <= 3):  # "TT", "IP": too short to mean one thing
                add("glossary", form)
    for name in glossary["names"]:
        add("name", name[lang])
    for case in site.cases:
        add("name", case.country.get(lang))
        for keyword in case.profile.keywords:
            add("keyword", keyword.get(lang))
    if lang == "en":
        words = sorted({w for d in docs for w in re.findall(r"[a-z]+", fold(d.text))})
        for word in words:
            other = american(word)
            if other != word and len(word) >= 6 and not word.endswith("s"):
                add("spelling", word, variants=(other,))
                add("spelling", other, variants=(word,))
        for case in site.cases:
            for keyword in case.profile.keywords:
                last = re.findall(r"[a-z]+", fold(keyword.en))[-1:]
                if last and len(last[0]) >= 8:
                    cut = last[0][:max(5, len(last[0]) - 4)]
                    add("prefix", cut, variants=tuple({re.sub(r"(?<=\w{3}[iy])s", "z", cut)} - {cut}))
    visible = page_texts(built, lang) if built else [d.text for d in docs]
    for name in ABSENT[lang]:
        pattern = phrase_pattern(name, lang)
        if not any(pattern.search(comparable(t)) for t in visible):
            queries.append(Query(lang, "absent", name, set(), set()))
    return queries


def page_texts(built: Path, lang: str) -> list[str]:
    """Return the text of every page of one language of a built site (to be sure an absent name is absent)."""
    return [re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8")) for p in sorted((built / lang).rglob("*.html"))]


def score(query: Query, results: list[str]) -> Score:
    """Score one result list (paths under the language, best first) against a query."""
    s = Score(query, results)
    if query.kind == "absent":
        s.ok = not results
        s.recall_3 = s.recall_10 = s.recall_all = s.precision = s.reciprocal_rank = float(s.ok)
        return s
    targets = query.targets
    s.recall_3 = len(targets & set(results[:3])) / min(len(targets), 3)
    s.recall_10 = len(targets & set(results[:10])) / min(len(targets), 10)
    s.recall_all = len(query.contains & set(results)) / len(query.contains)
    s.precision = len(query.contains & set(results)) / len(results) if results else 0.0
    s.reciprocal_rank = next((1 / (i + 1) for i, r in enumerate(results) if r in targets), 0.0)
    s.missing = sorted(query.contains - set(results))
    s.ok = s.recall_10 == 1.0 and s.recall_all == 1.0
    return s


def summary(scores: list[Score]) -> list[tuple[str, str, int, float, float, float, float, float, int]]:
    """Return (language, kind, queries, recall@3, recall@10, recall of all results, precision, MRR, passed) rows."""
    rows = []
    for lang in ("en", "zh"):
        for kind in (*KINDS, "all"):
            group = [s for s in scores if s.query.lang == lang and (kind == "all" or s.query.kind == kind)]
            if not group:
                continue
            rows.append((lang, kind, len(group), statistics.mean(s.recall_3 for s in group),
                         statistics.mean(s.recall_10 for s in group), statistics.mean(s.recall_all for s in group),
                         statistics.mean(s.precision for s in group), statistics.mean(s.reciprocal_rank for s in group), sum(s.ok for s in group)))
    return rows


def format_summary(scores: list[Score]) -> str:
    lines = [f"{'lang':4} {'kind':11} {'queries':>7} {'R@3':>6} {'R@10':>6} {'R(all)':>6} {'P':>6} {'MRR':>6} {'passed':>7}"]
    for lang, kind, n, r3, r10, rall, precision, mrr, passed in summary(scores):
        lines.append(f"{lang:4} {kind:11} {n:7d} {r3:6.3f} {r10:6.3f} {rall:6.3f} {precision:6.3f} {mrr:6.3f} {passed:4d}/{n:<3d}")
    return "\n".join(lines)


# How the site's search is asked from the browser, on the language's search page: a list of queries in, for each
# the addresses of the pages found, best first.
ASK = """async queries => {
    const engine = await window.siteSearch;
    return queries.map(query => engine.search(query).map(r => r.url));
}"""


def run_queries(page, site_url: str, lang: str, queries: list[Query]) -> list[Score]:
    """Run the queries of one language in the browser tab `page`; return their scores."""
    page.goto(f"{site_url}/{lang}/search/")
    found = page.evaluate(ASK, [q.text for q in queries])
    prefix = f"/{lang}/"
    scores = []
    for query, urls in zip(queries, found):
        paths = [re.sub(r"index\.html$", "", u.split("#")[0].split("?")[0]) for u in urls]
        paths = list(dict.fromkeys(p.split(prefix, 1)[1] if prefix in p else p for p in paths))
        scores.append(score(query, paths))
    return scores
