"""The ways readers can narrow the list of cases: region, country, partner, institution, theme, keyword, target group."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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

    def value(self, key: str) -> FacetValue:
        return next(v for v in self.values if v.key == key)


@lru_cache(maxsize=8192)  # called for every keyword of every pair of cases
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
            if all(c is not case for c in members.setdefault(key, [])):  # `in` would compare whole cases
                members[key].append(case)
    keys = sorted(labels, key=lambda k: labels[k].en.lower()) if sort_by_label else list(labels)
    return Facet(facet_id, title, tuple(FacetValue(k, labels[k], tuple(members[k])) for k in keys))


def _capitalised(text: Text) -> Text:
    return Text(en=text.en[:1].upper() + text.en[1:], zh=text.zh)


def build_facets(site: Site) -> tuple[Facet, ...]:
    """Return every facet of the site's cases; titles are interface msgids."""
    guide = site.guide
    region_names = {ch.region: ch.title for ch in guide.case_chapters}
    themes = {t.id: t.name for t in guide.themes}
    order = {p.id: i for i, p in enumerate(guide.partners)}
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
               lambda c: [(slugify(k.en), _capitalised(k)) for k in c.profile.keywords]),
        _facet("target-groups", "Target group", site.cases,
               lambda c: [(slugify(g.en), _capitalised(g)) for g in c.target_groups]),
    )


def case_facet_keys(case: Case, facets: tuple[Facet, ...]) -> list[str]:
    """Return "facet:value" tokens for a case (used by the in-page filter)."""
    # By id: comparing whole cases field by field is slow, and ids are unique.
    return [f"{f.id}:{v.key}" for f in facets for v in f.values if any(c.id == case.id for c in v.cases)]


def related_cases(case: Case, site: Site, limit: int = 3) -> list[Case]:
    """Return the cases sharing the most keywords and themes with `case`."""
    def tags(c: Case) -> set[str]:
        return {slugify(k.en) for k in c.profile.keywords} | {f"theme:{t}" for t in c.themes}

    mine = tags(case)
    scored = [(len(mine & tags(other)), other) for other in site.cases if other.id != case.id]
    scored = [(score, other) for score, other in scored if score > 0]
    scored.sort(key=lambda item: (-item[0], item[1].section_key))
    return [other for _, other in scored[:limit]]
