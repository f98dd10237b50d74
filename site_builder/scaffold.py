"""Write a new case file with every field, ready to fill in."""
from __future__ import annotations

import re
from pathlib import Path

from .models import Guide

TEMPLATE = """\
# yaml-language-server: $schema=../schema/case.schema.json
# A new case study. Fill in every field the source gives; remove the optional
# ones it leaves empty. Rich text fields take Markdown: paragraphs separated by
# a blank line, "- " bullets, "1. " numbered items, "#### " sub-headings.
# Check your work with:  python -m site_builder validate --draft {path}

id: {id}                         # stable id: also the file name and the page address
section: "{section}"                  # section number in the guide (next free one under {parent})
region: {region}                          # EU or China
partner: {partner}   # consortium partner that collected the case
institution:                         # HEI name: the institution the case is about
  en: ""
  zh: ""
country:
  en: ""
  zh: ""
authors:                             # case-study author(s): names exactly as given
  - name: ""
    # name_zh: ""                    # optional: the name in Chinese characters, where known (not guessed from pinyin)
    role:                            # optional
      en: ""
      zh: ""
target_groups:                       # one target group per item
  - en: ""
    zh: ""
date: "{year}"                         # YYYY, YYYY-MM or YYYY-MM-DD: only what the source gives
themes: []                           # ids from guide/guide.yaml: {themes}

profile:
  name:                              # case-study name
    en: ""
    zh: ""
  short_description:                 # Markdown
    en: |
      
    zh: |
      
  background:                        # Markdown; optional
    en: |
      
    zh: |
      
  keywords:                          # one keyword per item
    - en: ""
      zh: ""

impact:                              # impact / results / outcomes; each field optional, Markdown
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

# image:                             # photograph / diagram; optional
#   file: cases/images/{id}.png      # path from the project root
#   alt: {{en: "", zh: ""}}            # what the image shows
#   caption: {{en: "", zh: ""}}        # optional

information_sources:
  websites: []                       # full addresses, one per item: - https://example.org/

contact:                             # each field optional
  name: ""
  # name_zh: ""                      # optional: the name in Chinese characters, where known
  role: {{en: "", zh: ""}}
  institution: {{en: "", zh: ""}}
  address: {{en: "", zh: ""}}
  telephone: ""
  email: ""

# update_of: other-case-id           # when this case updates an earlier one
editorial_notes: []                  # where this file corrects its source: - {{en: "...", zh: "..."}}
"""


def next_section(guide: Guide, partner: str, taken: set[str]) -> str:
    """Return the next free case number in the partner's section."""
    parent = next(s.number for ch in guide.case_chapters for s in ch.sections if s.partner == partner)
    n = 1
    while f"{parent}.{n}" in taken:
        n += 1
    return f"{parent}.{n}"


def render_case(guide: Guide, partner: str, case_id: str, section: str, year: int) -> str:
    """Return the text of a new, empty case file."""
    region = next(ch.region for ch in guide.case_chapters for s in ch.sections if s.partner == partner)
    return TEMPLATE.format(
        id=case_id, section=section, parent=section.rsplit(".", 1)[0], region=region, partner=partner,
        year=year, themes=", ".join(t.id for t in guide.themes), path=f"cases/{case_id}.yaml",
    )


def default_id(section: str) -> str:
    """Return a placeholder id for a new case in `section`."""
    return "case-" + re.sub(r"\D+", "-", section)
