"""The ways readers can narrow the list of cases: region, country, partner, institution, theme, keyword, target group."""
from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache

from .content import Site
from .models import Case, Text

# The source writes one country two ways ("China", "P.R. China"); one facet value serves both.
COUNTRY_ALIASES = {"p-r-china": "china"}


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and the cases that have it, in guide order."""

    key: str
    label: Text
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Facet:
    """A facet: its URL segment, its interface title (a msgid) and its values."""

    id: str
    title: str
    values: tuple[FacetValue, ...]
    by_label: bool = True  # listed by label in the reader's order; else in the guide's order


@lru_cache(maxsize=8192)  # called for every keyword and target group on every page that links it
def slugify(text: str) -> str:
    """Return a URL-safe key for a label ("Spin-off companies" → "spin-off-companies")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"
    return slug if len(slug) <= 60 else slug[:60].rsplit("-", 1)[0]  # keep URLs and file names short


def _strip_acronym(text: Text) -> Text:
    """Drop a trailing "(PKU)" so that "Peking University (PKU)" and "Peking University" meet."""
    pattern = r"\s*[（(][A-Z]{2,}[）)]$"
    return Text(en=re.sub(pattern, "", text.en), zh=re.sub(pattern, "", text.zh))


def _facet(facet_id: str, title: str, cases: Iterable[Case], values_of: Callable[[Case], Iterable[tuple[str, Text]]],
           *, sort_by_label: bool = True) -> Facet:
    labels: dict[str, Text] = {}
    members: dict[str, list[Case]] = {}
    for case in cases:
        for key, label in values_of(case):
            labels.setdefault(key, label)
            held = members.setdefault(key, [])
            if not held or held[-1] is not case:  # cases come one at a time: a repeat is the last one added
                held.append(case)
    keys = sorted(labels, key=lambda k: labels[k].en.lower()) if sort_by_label else list(labels)
    return Facet(facet_id, title, tuple(FacetValue(k, labels[k], tuple(members[k])) for k in keys), sort_by_label)


def pinyin(text: str) -> tuple[str, ...]:
    """Return the pinyin of a Chinese text, a tone number after each syllable (保定 → bao3 ding4)."""
    # Imported here: loading its dictionaries takes about 0.2 s, and a build whose labels are all
    # in the caller's cache (see label_order) does not need it.
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def label_order(label: Text, lang: str, known: MutableMapping[str, tuple[str, ...]] | None = None) -> tuple:
    """Return the key that sorts labels as a reader of `lang` expects: Chinese by pinyin, English alphabetically.

    `known` keeps the pinyin of the Chinese labels seen before, by text; missing ones are added to it.
    """
    if lang == "zh":
        # Tone numbers after each syllable: 保定 (bao3) before 北京 (bei3), 重庆 (chong2) before 创新 (chuang4).
        text = label.zh.casefold()
        if known is None:
            return pinyin(text), label.zh
        if text not in known:
            known[text] = pinyin(text)
        return known[text], label.zh
    return label.en.casefold(), label.en


def in_reading_order(facet: Facet, lang: str, known: MutableMapping[str, tuple[str, ...]] | None = None
                     ) -> tuple[FacetValue, ...]:
    """Return a facet's values in the order a reader of `lang` scans them (`known`: see label_order)."""
    if not facet.by_label:
        return facet.values
    return tuple(sorted(facet.values, key=lambda v: label_order(v.label, lang, known)))


def keyword_keys(site: Site) -> dict[str, str]:
    """Return, for each keyword's English slug, the key of its facet value.

    Keywords written alike in either language are one keyword: "IP" and "Intellectual
    property" are both 知识产权, "Spin-off" and "spin out companies" both 衍生企业. Each
    group takes the key of its most used member.
    """
    parent: dict[str, str] = {}
    uses: dict[str, int] = {}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    by_chinese: dict[str, str] = {}
    for case in site.cases:
        for keyword in case.profile.keywords:
            key = slugify(keyword.en)
            parent.setdefault(key, key)
            uses[key] = uses.get(key, 0) + 1
            chinese = keyword.zh.casefold().strip()
            if chinese:
                other = by_chinese.setdefault(chinese, key)
                parent[root(key)] = root(other)
    groups: dict[str, list[str]] = {}
    for key in parent:
        groups.setdefault(root(key), []).append(key)
    chosen = {}
    for members in groups.values():
        main = min(members, key=lambda k: (-uses[k], k))
        chosen.update({k: main for k in members})
    return chosen


def _capitalised(text: Text) -> Text:
    return Text(en=text.en[:1].upper() + text.en[1:], zh=text.zh)


def build_facets(site: Site, known_keys: dict[str, str] | None = None) -> tuple[Facet, ...]:
    """Return every facet of the site's cases; titles are interface msgids.

    `known_keys` is keyword_keys(site), when the caller has it already.
    """
    guide = site.guide
    region_names = {ch.region: ch.title for ch in guide.case_chapters}
    themes = {t.id: t.name for t in guide.themes}
    order = {p.id: i for i, p in enumerate(guide.partners)}
    keyword_key = keyword_keys(site) if known_keys is None else known_keys
    keyword_label: dict[str, Text] = {}  # a group's label is its main member's
    for case in site.cases:
        for keyword in case.profile.keywords:
            if keyword_key[slugify(keyword.en)] == slugify(keyword.en):
                keyword_label.setdefault(slugify(keyword.en), _capitalised(keyword))
    return (
        _facet("regions", "Region", site.cases, lambda c: [(c.region.lower(), region_names[c.region])], sort_by_label=False),
        _facet("countries", "Country", site.cases,
               lambda c: [(COUNTRY_ALIASES.get(slugify(c.country.en), slugify(c.country.en)), c.country)]),
        _facet("partners", "Consortium partner", sorted(site.cases, key=lambda c: order[c.partner]),
               lambda c: [(c.partner, guide.partner(c.partner).name)], sort_by_label=False),
        _facet("institutions", "Institution", site.cases,
               lambda c: [(slugify(_strip_acronym(c.institution).en), _strip_acronym(c.institution))]),
        _facet("themes", "Theme", site.cases, lambda c: [(t, themes[t]) for t in c.themes]),
        _facet("keywords", "Keyword", site.cases,
               lambda c: [(keyword_key[slugify(k.en)], keyword_label[keyword_key[slugify(k.en)]])
                          for k in c.profile.keywords]),
        _facet("target-groups", "Target group", site.cases,
               lambda c: [(slugify(g.en), _capitalised(g)) for g in c.target_groups]),
    )


def facet_keys(facets: tuple[Facet, ...]) -> dict[str, list[str]]:
    """Return each case's "facet:value" tokens (used by the in-page filter), by case id, in one pass."""
    keys: dict[str, list[str]] = {}
    for f in facets:
        for v in f.values:
            for c in v.cases:
                keys.setdefault(c.id, []).append(f"{f.id}:{v.key}")
    return keys


def related_cases(site: Site, limit: int = 3) -> dict[str, list[Case]]:
    """Return, by case id, the cases sharing the most keywords and themes with each case (ties: guide order).

    Linear in the number of cases for a corpus whose cases fall into a bounded number
    of keyword-and-theme combinations: cases with the same keywords and themes score
    alike against any other case, so each such group offers only its first few
    members; cases that share no keyword are scored by their themes alone, through
    the groups of cases with the same themes. `site.cases` is in guide order, so a
    case's index is its section key, computed once by the loader.
    """
    cases = site.cases
    keywords = [frozenset(slugify(k.en) for k in c.profile.keywords) for c in cases]
    themes = [frozenset(c.themes) for c in cases]
    groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}  # same keywords and themes → indices
    by_themes: dict[frozenset[str], list[int]] = {}  # same themes → indices, in guide order
    for i in range(len(cases)):
        groups.setdefault((keywords[i], themes[i]), []).append(i)
        by_themes.setdefault(themes[i], []).append(i)
    keyword_groups: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
    for key in groups:
        for keyword in key[0]:
            keyword_groups.setdefault(keyword, []).append(key)
    related = {}
    for i, case in enumerate(cases):
        mine_k, mine_t = keywords[i], themes[i]
        scores: dict[int, int] = {}
        for key in {key for keyword in mine_k for key in keyword_groups[keyword]}:
            score = len(key[0] & mine_k) + len(key[1] & mine_t)
            for j in [j for j in groups[key] if j != i][:limit]:  # the rest of the group ranks after these
                scores[j] = score
        for group_themes, members in by_themes.items():
            shared = len(group_themes & mine_t)
            if not shared:
                continue
            taken = 0
            for j in members:
                if taken == limit:
                    break
                if j != i and mine_k.isdisjoint(keywords[j]):  # those sharing a keyword were scored above
                    scores[j] = shared
                    taken += 1
        best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        related[case.id] = [cases[j] for j, _ in best]
    return related
