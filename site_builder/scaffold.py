"""Write a new case file with every field, ready to fill in."""
from __future__ import annotations

import re
import textwrap

from .messages import _, current_language
from .models import Guide

TEMPLATE = """\
# yaml-language-server: $schema=../schema/case.schema.json
# {c[intro]}
# {c[check]}  python -m site_builder validate --draft {path}

id: {id}                         # {c[id]}
section: "{section}"                  # {c[section]}
region: {region}                          # {c[region]}
partner: {partner}   # {c[partner]}
institution:                         # {c[institution]}
  en: ""
  zh: ""
country:
  en: ""
  zh: ""
authors:                             # {c[authors]}
  - name: ""
    # name_zh: ""                    # {c[name_zh]}
    role:                            # {c[optional]}
      en: ""
      zh: ""
target_groups:                       # {c[target_groups]}
  - en: ""
    zh: ""
# target_groups_detail:              # {c[target_groups_detail]}
date:                                # {c[date]}
themes: []                           # {c[themes]}

profile:
  name:                              # {c[name]}
    en: ""
    zh: ""
  short_description:                 # {c[markdown]}
    en: |
      
    zh: |
      
  background:                        # {c[markdown_optional]}
    en: |
      
    zh: |
      
  keywords:                          # {c[keywords]}
    - en: ""
      zh: ""

impact:                              # {c[impact]}
  achievements:
    en: |
      
    zh: |
      
  awards:
    en: ""
    zh: ""
  key_success_factors:
    en: ""
    zh: ""
  impact:
    en: ""
    zh: ""

# image:                             # {c[image]}
#   file: cases/images/{id}.png      # {c[image_file]}
#   alt: {{en: "", zh: ""}}            # {c[image_alt]}
#   caption: {{en: "", zh: ""}}        # {c[optional]}

information_sources:
  websites: []                       # {c[websites]}

contact:                             # {c[contact]}
  name: ""
  # name_zh: ""                      # {c[name_zh]}
  role: {{en: "", zh: ""}}
  institution: {{en: "", zh: ""}}
  address: {{en: "", zh: ""}}
  telephone: ""
  email: ""

# update_of: other-case-id           # {c[update_of]}
editorial_notes: []                  # {c[editorial_notes]}
"""


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
    return TEMPLATE.format(
        id=case_id, section=section, parent=section.rsplit(".", 1)[0], region=region, partner=partner,
        path=f"cases/{case_id}.yaml",
        c=_comments(section.rsplit(".", 1)[0], ", ".join(t.id for t in guide.themes)),
    )


def default_id(section: str) -> str:
    """Return a placeholder id for a new case in `section`."""
    return "case-" + re.sub(r"\D+", "-", section)
