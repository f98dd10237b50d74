"""A case's fields in the order of the guide's case template, with their labels: the one list that the case
page, the side-by-side page, the PDF's case table, the CSV and the scaffold read.

Each field names its place in the `Case` model (a dotted path, as in the YAML file and in messages); what
kind of value it holds is read from the model, so that a field changed there is shown accordingly. A test
checks that every field of the model is listed here or named in `NOT_SHOWN`.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from .messages import Message, _
from .models import Author, Case, Image, RichText, Text

# The blocks of the guide's case template, in order, with their headings ("" is the unheaded first block).
BLOCKS: dict[str, Message | None] = {
    "": None,
    "profile": _("Profile"),
    "impact": _("Impact, results and outcomes"),
    "image": _("Photograph / diagram"),
    "information_sources": _("Information sources"),
    "contact": _("Contact details"),
    "editorial_notes": _("Editorial notes"),
}


@dataclass(frozen=True)
class CaseField:
    """One field of a case as the guide's template shows it."""

    path: str  # in the model and the YAML file: "profile.short_description"
    label: Message  # the template's label, through the interface catalog
    block: str = ""  # the template block it sits in (see BLOCKS)
    item_label: Message | None = None  # a list shown one item a row: the label of a row, where not `label`
    kind_override: str | None = None  # where the model's type does not say it: "date", "email"

    @property
    def key(self) -> str:
        """Return the field's own name, e.g. `short_description` (the CSV's column stem)."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def anchor(self) -> str:
        """Return the id of the field's heading on the case page: its key, or key-detail where a block has it."""
        return self.key.replace("_", "-") + ("-detail" if self.key in BLOCKS else "")

    @cached_property
    def kind(self) -> str:
        """Return what the value is: text, rich, texts, people, image, list (of plain strings) or plain."""
        return self.kind_override or _kind(_annotation(self.path))

    @property
    def bilingual(self) -> bool:
        """Return whether the value is written in both languages (a text, or a list of texts)."""
        return self.kind in ("text", "rich", "texts")

    def value(self, case: BaseModel) -> Any:
        """Return the field's value in `case` (None where it or the block holding it is not given)."""
        value: Any = case
        for name in self.path.split("."):
            value = getattr(value, name, None) if value is not None else None
        return value


# In the order of the guide's case template (D1.2.3): the PDF's case table shows them so, block by block.
CASE_FIELDS: tuple[CaseField, ...] = (
    CaseField("profile.name", _("Case study name")),
    CaseField("institution", _("Institution")),
    CaseField("authors", _("Case study author")),
    CaseField("country", _("Country")),
    CaseField("target_groups", _("Target groups")),
    CaseField("target_groups_detail", _("Target groups in detail")),
    CaseField("date", _("Date"), kind_override="date"),
    CaseField("profile.short_description", _("Short description"), "profile"),
    CaseField("profile.background", _("Background"), "profile"),
    CaseField("profile.keywords", _("Keywords"), "profile", item_label=_("Keyword")),
    CaseField("impact.achievements", _("Achievements"), "impact"),
    CaseField("impact.awards", _("Awards"), "impact"),
    CaseField("impact.key_success_factors", _("Key success factors"), "impact"),
    CaseField("impact.impact", _("Impact"), "impact"),
    CaseField("image", _("Photograph / diagram"), "image"),
    CaseField("information_sources.websites", _("Website"), "information_sources"),
    CaseField("contact.name", _("Name"), "contact"),
    CaseField("contact.role", _("Role"), "contact"),
    CaseField("contact.institution", _("Institution"), "contact"),
    CaseField("contact.address", _("Address"), "contact"),
    CaseField("contact.telephone", _("Telephone"), "contact"),
    CaseField("contact.email", _("E-mail"), "contact", kind_override="email"),
    CaseField("editorial_notes", _("Editorial notes"), "editorial_notes"),
)
FIELDS_BY_PATH = {f.path: f for f in CASE_FIELDS}
FIELDS_BY_KEY = {f.key: f for f in CASE_FIELDS if f.block != "contact"}  # the templates name a field by its key

# The model's fields the template has no row for: where the case sits in the guide and how it links to the
# rest (the pages show them as breadcrumbs, links and facets), and the parts of a field shown with it.
NOT_SHOWN = ("id", "section", "region", "partner", "themes", "update_of", "contact.name_zh")

# The CSV's columns, by field (a text gives an _en and a _zh column). Their order is the published one of
# data/cases.csv, kept so that spreadsheets and scripts reading it by position go on working.
CSV_FIELDS = ("id", "section", "region", "partner", "institution", "country", "profile.name", "date", "themes",
              "profile.keywords", "target_groups", "information_sources.websites", "profile.short_description")
_CSV_SEPARATORS = {"en": "; ", "zh": "；"}  # between the items of a list of texts, as each language writes them


def block_fields(block: str) -> tuple[CaseField, ...]:
    """Return the fields of one block of the template, in order."""
    return tuple(f for f in CASE_FIELDS if f.block == block)


def filled_fields(case: Case, block: str) -> tuple[CaseField, ...]:
    """Return the fields of one block that `case` gives a value."""
    return tuple(f for f in block_fields(block) if f.value(case))


def csv_columns() -> list[str]:
    """Return the CSV's column names."""
    names = []
    for path in CSV_FIELDS:
        field = _csv_field(path)
        names += [f"{field.key}_{code}" for code in _CSV_SEPARATORS] if field.bilingual else [field.key]
    return names


def csv_row(case: Case) -> list[str]:
    """Return a case's CSV cells (as text, before any spreadsheet escaping)."""
    cells = []
    for path in CSV_FIELDS:
        field = _csv_field(path)
        value = field.value(case)
        if field.kind == "text":
            cells += [value.get(code) for code in _CSV_SEPARATORS]
        elif field.kind == "rich":
            cells += [value.get(code) if value else "" for code in _CSV_SEPARATORS]
        elif field.kind == "texts":
            cells += [separator.join(item.get(code) for item in value) for code, separator in _CSV_SEPARATORS.items()]
        elif field.kind == "list":
            cells.append(" ".join(value))
        else:
            cells.append(value or "")
    return cells


def _csv_field(path: str) -> CaseField:
    return FIELDS_BY_PATH.get(path) or CaseField(path, Message(path))  # where a case sits in the guide: no label


def _annotation(path: str) -> Any:
    """Return the model's type of the field at `path`, without its `| None`."""
    model: Any = Case
    annotation: Any = None
    for name in path.split("."):
        annotation = without_none(model.model_fields[name].annotation)
        model = annotation
    return annotation


def without_none(annotation: Any) -> Any:
    """Return a field's type without its `| None` (`Text | None` → `Text`)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
    return annotation


def _kind(annotation: Any) -> str:
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return {Text: "texts", Author: "people"}.get(item, "list")
    if isinstance(annotation, type) and issubclass(annotation, Text):
        return "rich" if issubclass(annotation, RichText) else "text"
    if annotation is Image:
        return "image"
    return "plain"
