"""Turn a content field's Markdown into safe HTML.

Case text is data from contributors: after Markdown, every tag and attribute
outside a short allow-list is removed (nh3), so no content can inject script
or styles into the site.

Quotation marks are made typographic here, at render time, by Python-Markdown's
`smarty` extension: the YAML keeps the source's quotes (the transcription tests
compare it with the sources), and the English edition shows one convention,
“curly”, in rich text and in plain fields such as titles alike. Chinese text is
written with “” already and has no straight double quotes (a test keeps it so),
so smarty leaves it as it is; an apostrophe inside quoted English becomes ’.
"""
from __future__ import annotations

import html
import threading
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "ul", "ol", "li", "h4", "h5", "h6", "strong", "em", "a", "br", "blockquote", "code", "sub", "sup"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_md = markdown.Markdown(extensions=["sane_lists", "smarty"], output_format="html")
# A Markdown instance keeps state while it converts: the preview converts from several threads
# (its rebuilds, its search index, the case editor's previews), one at a time.
_CONVERTING = threading.Lock()

# The same typography for one-line plain fields (titles, names, keywords): Markdown reduced to
# paragraphs and smarty, so that a title's "*" or "1. " stays what it is.
_plain = markdown.Markdown(extensions=["smarty"], output_format="html")
for _name in ("html_block",):
    _plain.preprocessors.deregister(_name)
# A Registry lists its names in no public attribute; types-Markdown leaves the private `_priority` out.
_block_priorities = _plain.parser.blockprocessors._priority  # type: ignore[attr-defined]
for _name in [item.name for item in _block_priorities if item.name not in ("empty", "paragraph")]:
    _plain.parser.blockprocessors.deregister(_name)
for _name in [item.name for item in _plain.inlinePatterns._priority]:  # type: ignore[attr-defined]
    _plain.inlinePatterns.deregister(_name)


@lru_cache(maxsize=32768)  # every text of a 1,000-case guide, both languages; each is shown on several pages
def render_markdown(text: str) -> Markup:
    """Return sanitised HTML for a Markdown text."""
    with _CONVERTING:
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


@lru_cache(maxsize=32768)  # titles and names, shown on every page that lists them
def typographic(text: str) -> str:
    """Return a plain one-line text with typographic quotes, dashes and ellipses (still plain, not HTML)."""
    if not any(c in text for c in "\"'-."):
        return text
    with _CONVERTING:
        _plain.reset()
        converted = _plain.convert(text).removeprefix("<p>").removesuffix("</p>")
    return html.unescape(converted) if "\n" not in converted and "<" not in converted else text


@lru_cache(maxsize=32768)  # case summaries are shown on every list that holds the case
def plain_text(text: str) -> str:
    """Return the words of a Markdown text without markup (for descriptions and search).

    The result is plain text, not HTML: nh3 leaves entities such as &amp; in the text it
    returns, which are decoded here so that the template escapes the text once, not twice.
    """
    return html.unescape(nh3.clean(render_markdown(text), tags=set())).replace("\n", " ").strip()
