"""The one list of a case's fields (site_builder/fields.py) covers the model, and what reads it agrees."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel

from site_builder.content import load_site
from site_builder.fields import CASE_FIELDS, FIELDS_BY_PATH, NOT_SHOWN, csv_columns
from site_builder.models import Case
from site_builder.scaffold import render_case

ROOT = Path(__file__).resolve().parent.parent

# The model's blocks whose fields are listed one by one (the others are shown as one field each).
EXPANDED = ("profile", "impact", "information_sources", "contact")


def model_paths(model: type[BaseModel] = Case, prefix: str = "") -> list[str]:
    """Return the dotted paths of the model's fields, in the model's (the YAML file's) order."""
    paths = []
    for name, info in model.model_fields.items():
        path = prefix + name
        inner = [a for a in (info.annotation, *getattr(info.annotation, "__args__", ())) if isinstance(a, type)]
        block = next((a for a in inner if issubclass(a, BaseModel)), None)
        paths += model_paths(block, path + ".") if path in EXPANDED and block else [path]
    return paths


def test_every_field_of_the_model_is_listed_once_or_named_as_not_shown():
    listed = [f.path for f in CASE_FIELDS]
    assert len(listed) == len(set(listed))
    assert sorted(listed + list(NOT_SHOWN)) == sorted(model_paths()), set(model_paths()) ^ set(listed + list(NOT_SHOWN))


def test_the_kinds_come_from_the_model():
    kinds = {path: FIELDS_BY_PATH[path].kind for path in
             ("profile.name", "impact.awards", "profile.keywords", "authors", "image", "information_sources.websites",
              "contact.telephone", "date")}
    assert kinds == {"profile.name": "text", "impact.awards": "rich", "profile.keywords": "texts", "authors": "people",
                     "image": "image", "information_sources.websites": "list", "contact.telephone": "plain",
                     "date": "date"}


def test_the_csv_keeps_its_published_columns():
    assert csv_columns() == [
        "id", "section", "region", "partner", "institution_en", "institution_zh", "country_en", "country_zh",
        "name_en", "name_zh", "date", "themes", "keywords_en", "keywords_zh", "target_groups_en",
        "target_groups_zh", "websites", "short_description_en", "short_description_zh"]


def test_the_scaffold_writes_every_field_in_the_model_order():
    guide = load_site(ROOT)[0].guide
    text = render_case(guide, "nankai-university", "x", "3.4.9")
    # The keys it leaves commented out (image, name_zh, update_of) are fields too.
    data = yaml.safe_load(re.sub(r"(?m)^(\s*)# (\s*)(\w+):", r"\1\2\3:", text))
    written = [path for path in model_paths() if _has(data, path)]
    assert written == model_paths()


def _has(data: dict, path: str) -> bool:
    for name in path.split("."):
        if not isinstance(data, dict) or name not in data:
            return False
        data = data[name]
    return True
