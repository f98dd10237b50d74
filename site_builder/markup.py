"""Turn a content field's Markdown into safe HTML.

Case text is data from contributors: after Markdown, every tag and attribute
outside a short allow-list is removed (nh3), so no content can inject script
or styles into the site.
"""
from __future__ import annotations

from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "ul", "ol", "li", "h4", "h5", "h6", "strong", "em", "a", "br", "blockquote", "code", "sub", "sup"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_md = markdown.Markdown(extensions=["sane_lists"], output_format="html")


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Return sanitised HTML for a Markdown text."""
    _md.reset()
    html = _md.convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)


def plain_text(text: str) -> str:
    """Return the words of a Markdown text without markup (for descriptions and search)."""
    return nh3.clean(render_markdown(text), tags=set()).replace("\n", " ").strip()
