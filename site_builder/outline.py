"""Headings of rendered HTML: their levels, their "link to this section" anchors, a page's table of contents.

Works on HTML the templates already rendered and escaped: it moves tags, never re-escapes text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

_SUBHEADING = re.compile(r"<(/?)h([4-6])\b")
_ANCHOR = re.compile(r'<a class="heading-anchor"[^>]*>.*?</a>', re.S)
_SECTION_HEADING = re.compile(r'<h([23]) id="([^"]+)"([^>]*)>(.*?)</h\1>', re.S)


@dataclass(frozen=True)
class Heading:
    """One entry of a table of contents."""

    level: int
    id: str
    text: str  # plain text, unescaped


def subheadings_at(html: Markup, level: int) -> Markup:
    """Return `html` with the Markdown sub-headings (#### → h4) moved so that the first level is `level`.

    Rich text writes its sub-headings as h4, right for a field under an h3; where the text sits
    under an h1 or h2 its headings must not skip a level (the HTML checker, screen readers' outlines).
    """
    shift = level - 4
    if not shift:
        return html
    return Markup(_SUBHEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + shift)}", str(html)))


def with_anchors(html: Markup, label: str) -> Markup:
    """Return `html` with a visible "link to this section" anchor at the end of every h2 and h3 that has an id."""

    def anchored(m: re.Match) -> str:
        level, ident, attributes, inner = m.groups()
        anchor = (f'<a class="heading-anchor" href="#{ident}"><span aria-hidden="true">#</span>'
                  f'<span class="visually-hidden">{Markup.escape(label)}</span></a>')
        return f'<h{level} id="{ident}"{attributes}>{inner} {anchor}</h{level}>'

    return Markup(_SECTION_HEADING.sub(anchored, str(html)))


def headings(html: Markup) -> list[Heading]:
    """Return the h2 and h3 headings of `html` that have an id, in order."""
    return [Heading(int(level), ident, Markup(_ANCHOR.sub("", inner)).striptags())
            for level, ident, _, inner in _SECTION_HEADING.findall(str(html))]


def contents(html: Markup) -> list[tuple[Heading, list[Heading]]]:
    """Return a table of contents of `html`: each h2 with the h3s under it."""
    tree: list[tuple[Heading, list[Heading]]] = []
    for heading in headings(html):
        if heading.level == 2 or not tree:
            tree.append((heading, []))
        else:
            tree[-1][1].append(heading)
    return tree
