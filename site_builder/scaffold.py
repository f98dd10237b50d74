"""Write a new case file with every field of the case model, ready to fill in.

The file is generated from `models.Case`, field by field in the model's order (the order of the YAML
files and of the JSON Schema), so a field added to the model appears here without a second list to
keep in step; `fields.CASE_FIELDS` orders the same fields for readers, and both are checked against the
model by tests/test_fields.py. What is said about each field comes from `_comments`, in the editor's
language.
"""
from __future__ import annotations

import re
import textwrap
import typing
from typing import Any

from pydantic import BaseModel

from .fields import without_none
from .messages import _, current_language
from .models import Case, Guide, RichText, Text

COMMENT_COLUMN = 37  # where the comments start, so that they read as one column
# Optional fields most cases leave out: written as comments, to be uncommented where the source gives them.
COMMENTED_OUT = frozenset({"target_groups_detail", "image", "authors.name_zh", "contact.name_zh", "update_of"})
# Lists most cases leave empty: written as [], their form shown in the comment.
EMPTY_LISTS = frozenset({"editorial_notes"})
# The comment (a key of `_comments`) of each field that has one, by its path in the model.
COMMENT_OF = {
    "id": "id", "section": "section", "region": "region", "partner": "partner", "institution": "institution",
    "authors": "authors", "authors.name_zh": "name_zh", "authors.role": "optional", "target_groups": "target_groups",
    "target_groups_detail": "target_groups_detail", "date": "date", "themes": "themes", "profile.name": "name",
    "profile.short_description": "markdown", "profile.background": "markdown_optional",
    "profile.keywords": "keywords", "impact": "impact", "image": "image", "image.file": "image_file",
    "image.alt": "image_alt", "image.caption": "optional", "information_sources.websites": "websites",
    "contact": "contact", "contact.name_zh": "name_zh", "update_of": "update_of",
    "editorial_notes": "editorial_notes",
}


def _comments(parent: str, themes: str) -> dict[str, str]:
    """Return the scaffold's comments in the current message language."""
    comments = {
        "intro": _("A new case study. Fill in every field the source gives; remove the optional ones it leaves "
                   "empty. Rich text fields take Markdown: paragraphs separated by a blank line, \"- \" bullets, "
                   "\"1. \" numbered items, \"#### \" sub-headings; write `|` after the key of any text of more "
                   "than one line."),
        "check": _("Check your work with:"),
        "id": _("stable id: also the file name and the page address"),
        "section": _("section number in the guide (next free one under %(parent)s)", parent=parent),
        "region": _("EU or China"),
        "partner": _("consortium partner that collected the case"),
        "institution": _("HEI name: the institution the case is about"),
        "authors": _("case-study author(s): names exactly as given"),
        "optional": _("optional"),
        "name_zh": _("optional: the name in Chinese characters, where known (not guessed from pinyin)"),
        "target_groups": _("one target group per item"),
        "target_groups_detail": _("optional: where the source describes the target groups at length, that text "
                                  "(en and zh, Markdown)"),
        "date": _("the source's date: YYYY, YYYY-MM or YYYY-MM-DD, only what the source gives; empty until then"),
        "themes": _("ids from guide/guide.yaml: %(ids)s", ids=themes),
        "name": _("case-study name"),
        "markdown": _("Markdown"),
        "markdown_optional": _("Markdown; optional"),
        "keywords": _("one keyword per item"),
        "impact": _("impact / results / outcomes; each field optional, Markdown"),
        "image": _("photograph / diagram; optional"),
        "image_file": _("path from the project root"),
        "image_alt": _("what the image shows"),
        "websites": _("full addresses, one per item: %(example)s", example="- https://example.org/"),
        "contact": _("each field optional"),
        "update_of": _("when this case updates an earlier one"),
        "editorial_notes": _("where this file corrects its source: %(example)s",
                             example='- {en: "...", zh: "..."}'),
    }
    # One line each: a comment must not run onto a line of its own without its "#".
    flat = {key: " ".join(text.render().split()) for key, text in comments.items()}
    if current_language() == "en":  # Chinese has no spaces to break at; an editor wraps it on screen
        flat["intro"] = "\n# ".join(textwrap.wrap(flat["intro"], width=86))
    return flat


def next_section(guide: Guide, partner: str, taken: set[str]) -> str:
    """Return the next free case number in the partner's section."""
    parent = next(s.number for ch in guide.case_chapters for s in ch.sections if s.partner == partner)
    n = 1
    while f"{parent}.{n}" in taken:
        n += 1
    return f"{parent}.{n}"


def render_case(guide: Guide, partner: str, case_id: str, section: str) -> str:
    """Return the text of a new, empty case file."""
    region = next(ch.region for ch in guide.case_chapters for s in ch.sections if s.partner == partner)
    parent = section.rsplit(".", 1)[0]
    comments = _comments(parent, ", ".join(t.id for t in guide.themes))
    path = f"cases/{case_id}.yaml"
    given = {"id": case_id, "section": f'"{section}"', "region": region, "partner": partner,
             "image.file": f"cases/images/{case_id}.png", "update_of": "other-case-id"}
    lines = ["# yaml-language-server: $schema=../schema/case.schema.json", f"# {comments['intro']}",
             f"# {comments['check']}  python -m site_builder validate --draft {path}", ""]
    lines += _model_lines(Case, "", given, comments)
    return "\n".join(lines) + "\n"


def _model_lines(model: type[BaseModel], prefix: str, given: dict[str, str], comments: dict[str, str],
                 *, indent: str = "", commented: bool = False) -> list[str]:
    """Return the lines of a model's fields, each key with its empty value and its comment.

    `commented`: the model is itself an optional field written as a comment (see COMMENTED_OUT).
    """
    lines: list[str] = []
    for name, info in model.model_fields.items():
        path = prefix + name
        hidden = not commented and path in COMMENTED_OUT
        kind, inner = _kind(info.annotation)
        comment = comments.get(COMMENT_OF.get(path, ""))

        def line(text: str, comment: str | None = None, *, hidden: bool = hidden) -> str:
            if commented:
                text = "# " + indent + text
            elif hidden:
                text = indent + "# " + text
            else:
                text = indent + text
            return f"{text.ljust(COMMENT_COLUMN - 1)} # {comment}" if comment else text

        if not prefix and kind == "model" and lines and lines[-1]:
            lines.append("")  # a block of the template: set apart from what comes before
        if path in given:
            lines.append(line(f"{name}: {given[path]}", comment))
        elif kind == "model":
            lines.append(line(f"{name}:", comment))
            lines += _model_lines(inner, path + ".", given, comments, indent=indent + "  ",
                                  commented=commented or hidden)
        elif kind == "text" and (hidden or commented):
            lines.append(line(f'{name}: {{en: "", zh: ""}}', comment))
        elif kind == "text":
            lines += [line(f"{name}:", comment), line('  en: ""'), line('  zh: ""')]
        elif kind == "rich" and (hidden or commented):
            lines.append(line(f"{name}:", comment))
        elif kind == "rich":  # a block scalar: the text goes on the indented lines below its `|`
            lines += [line(f"{name}:", comment), line("  en: |"), indent + " " * 4, line("  zh: |"), indent + " " * 4]
        elif kind == "texts" and path not in EMPTY_LISTS:
            lines += [line(f"{name}:", comment), line('  - en: ""'), line('    zh: ""')]
        elif kind == "items":
            lines.append(line(f"{name}:", comment))
            item = _model_lines(inner, path + ".", given, comments, indent=indent + "    ")
            item[0] = indent + "  - " + item[0][len(indent) + 4:]
            lines += item
        elif kind in ("list", "texts"):
            lines.append(line(f"{name}: []", comment))
        elif kind == "string":
            lines.append(line(f'{name}: ""', comment))
        else:  # a value with a form of its own (a date, an address): left empty, which reads as not given
            lines.append(line(f"{name}:", comment))
        if not prefix and kind == "model":
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _kind(annotation: Any) -> tuple[str, Any]:
    """Return how a field is written empty, and the type it holds.

    model, text, rich, texts (a list of texts), items (a list of models), list (of anything else),
    string (a plain string), or other (a string of a given form, or any other value).
    """
    annotation = without_none(annotation)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, Text):
            return "texts", item
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "items", item
        return "list", item
    if isinstance(annotation, type) and issubclass(annotation, RichText):
        return "rich", annotation
    if isinstance(annotation, type) and issubclass(annotation, Text):
        return "text", annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if annotation is str:
        return "string", annotation
    return "other", annotation


def default_id(section: str) -> str:
    """Return a placeholder id for a new case in `section`."""
    return "case-" + re.sub(r"\D+", "-", section)
