"""Generate the JSON Schema files in `schema/` from the content models: the editor's view of validate's rules.

Editors' YAML plugins (yaml-language-server) check a case against case.schema.json as
it is typed. The models give the structure; this module adds what the plugin needs to
flag what `validate` flags and to say it in the editor's words:

- every text needs `en:` and `zh:`, neither empty; web addresses start with http(s)://;
  rich text has no pasted Word bullets and no paragraphs folded without `|`;
- partner and theme ids are the guide's own (guide/guide.yaml), offered with their names;
- a year written as a number (`date: 2019`) and a telephone number written as a number
  are accepted, as `validate` accepts them;
- descriptions, titles and error messages in Chinese first, then English. The plugin has
  no per-language descriptions and a file's modeline names one schema for every editor,
  so one schema carries both languages; the plugin's own messages follow the client's
  locale (zh-cn). The strings come from the interface catalog like every other message.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from .messages import FIELD_LABELS, Message, _
from .models import PARTIAL_DATE_PATTERN, SECTION_PATTERN, SLUG_PATTERN, Case, Guide, NeedsAnalysis, Policy
from .paths import GUIDE_FILE, SCHEMA_DIR

SCHEMAS: dict[str, tuple[type[BaseModel], Message]] = {
    "case.schema.json": (Case, _("A CIPnet case study")),
    "guide.schema.json": (Guide, _("The CIPnet guide's front matter")),
    "policy.schema.json": (Policy, _("A policy document of the guide's policy context")),
    "needs-analysis.schema.json": (NeedsAnalysis, _("The needs-analysis survey behind the guide")),
}

# Rules validate applies in code, as patterns the plugin can check (JavaScript regular expressions).
URL_PATTERN = r"^https?://[^\s/?#]*\.[^\s/?#]*([/?#]\S*)?$"
NOT_FOLDED_PATTERN = r"^([^\n]*|[\s\S]*\n)$"  # several lines, yet no final newline: folded, not written with |
NO_PASTED_BULLETS_PATTERN = r"^(?![\s\S]*(^|\n)[ \t]*([•●▪·◦■]|[0-9]{1,2}[ \t]*、|[（(][0-9]{1,2}[）)]|[①-⑳]))"

_MESSAGES = {
    "date": _("write YYYY, YYYY-MM or YYYY-MM-DD (only the parts the source gives), e.g. 2019-04-05"),
    "section": _("write the guide's numbering with dots, e.g. \"3.2.1\""),
    "slug": _("use lower-case letters, digits and hyphens only, e.g. 'my-case'"),
    "url": _("write one full address starting with https:// or http://"),
    "email": _("write it as name@example.org"),
    "en": _("English text is missing"),
    "zh": _("Chinese text is missing"),
    "folded": _("these lines are joined into one paragraph: write `|` after the key and the text on the lines "
                "below it, indented"),
    "bullets": _("a line starts with a bullet or numbering pasted from Word or WPS: write \"- \" for a bullet and "
                 "\"1. \" for a number"),
    "list": _("expected a list: write one item per line starting with \"- \""),
    "text": _("expected text in both languages: write an `en:` line and a `zh:` line indented below the key"),
    "section_type": _("quote it, e.g. section: \"2.1.1\""),
    "en_description": _("English text."),
    "zh_description": _("Simplified Chinese text (简体中文)."),
}


def bilingual(text: str, *, short: bool = False) -> str:
    """Return `text` in Chinese, then in English (the English alone where it has no translation).

    A `short` text (a title) keeps both on one line: `关键词（Key words）`.
    """
    message = text if isinstance(text, Message) else Message(text)
    zh, en = message.render("zh"), message.render("en")
    if zh == en:
        return en
    return f"{zh}（{en}）" if short else f"{zh}\n\n{en}"


def _string(pattern: str, message: Message, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "patternErrorMessage": bilingual(message), **extra}


def _text_def(rich: bool) -> dict[str, Any]:
    def language(code: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "minLength": 1, "errorMessage": bilingual(_MESSAGES[code]),
                                  "description": bilingual(_MESSAGES[f"{code}_description"])}
        if rich:
            schema["allOf"] = [_string(NOT_FOLDED_PATTERN, _MESSAGES["folded"]),
                               _string(NO_PASTED_BULLETS_PATTERN, _MESSAGES["bullets"])]
        return schema

    # errorMessage replaces the plugin's own words for every mistake of the object itself (not of its
    # lines): "Incorrect type. Expected Text", "Missing property zh", "Property x is not allowed".
    return {"type": "object", "additionalProperties": False, "required": ["en", "zh"],
            "errorMessage": bilingual(_MESSAGES["text"]),
            "properties": {"en": language("en"), "zh": language("zh")}}


def _editor_view(node: Any, key: str | None = None) -> Any:
    """Return a node of the models' schema with the editor's rules and both languages' words."""
    if isinstance(node, list):
        return [_editor_view(item, key) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name == "title":
            continue  # pydantic's titles are made from field names; labels are set below
        if name == "description" and isinstance(value, str):
            out[name] = bilingual(value)
        elif name == "properties":
            out[name] = {field: _labelled(field, _editor_view(schema, field)) for field, schema in value.items()}
        else:
            out[name] = _editor_view(value, key)
    pattern = out.get("pattern")
    if pattern == PARTIAL_DATE_PATTERN:
        out["patternErrorMessage"] = bilingual(_MESSAGES["date"])
    elif pattern == SECTION_PATTERN:
        out["patternErrorMessage"] = bilingual(_MESSAGES["section"])
        out["errorMessage"] = bilingual(_MESSAGES["section_type"])  # 3.4 without quotes is read as a number
    elif pattern == SLUG_PATTERN:
        out["patternErrorMessage"] = bilingual(_MESSAGES["slug"])
    if out.get("format") == "uri":
        del out["format"]
        out.update(pattern=URL_PATTERN, patternErrorMessage=bilingual(_MESSAGES["url"]))
    elif out.get("format") == "email":
        out["patternErrorMessage"] = bilingual(_MESSAGES["email"])
    if out.get("type") == "array" and "minItems" not in out:
        out["errorMessage"] = bilingual(_MESSAGES["list"])  # only the list itself: its items have their own
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list):
        if any(a.get("pattern") == PARTIAL_DATE_PATTERN for a in alternatives):
            alternatives.insert(1, {"type": "integer", "minimum": 1000, "maximum": 9999})  # date: 2019
        elif key == "telephone":
            alternatives.insert(1, {"type": "integer"})  # validate reads a number as its digits
    return out


def _labelled(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    label = FIELD_LABELS.get(field)
    return {"title": bilingual(label, short=True), **schema} if label else schema


def _guide_choices(root: Path) -> dict[str, dict[str, str]]:
    """Return the guide's partner and theme ids with their names, {"partner": {id: name}, "themes": …}.

    Read leniently from the guide file: a broken guide leaves the ids unlisted (validate reports it).
    """
    try:
        data = yaml.load((root / GUIDE_FILE).read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return {key: {item["id"]: f"{item['name']['zh']}（{item['name']['en']}）" for item in data[kind]}
                for key, kind in (("partner", "partners"), ("themes", "themes"))}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return {}


def _list_choices(schema: dict[str, Any], choices: dict[str, dict[str, str]]) -> None:
    """Let the editor offer, and check, the guide's own partner and theme ids (validate checks them too)."""
    properties = schema.get("properties", {})
    for key, ids in choices.items():
        target = properties.get(key)
        if target is None:
            continue
        target = target.get("items", target)
        target["enum"] = list(ids)
        target["markdownEnumDescriptions"] = list(ids.values())


def render_schemas(root: Path = Path(__file__).resolve().parent.parent) -> dict[str, str]:
    """Return the text of each schema file, keyed by file name."""
    out = {}
    choices = _guide_choices(root)
    for name, (model, title) in SCHEMAS.items():
        schema = _editor_view(model.model_json_schema())
        if model in (Case, Policy):
            _list_choices(schema, choices)
        defs = schema.get("$defs", {})
        for text_model, rich in (("Text", False), ("RichText", True)):
            if text_model in defs:
                defs[text_model] = {"description": defs[text_model].get("description", ""), **_text_def(rich)}
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": bilingual(title, short=True), **schema}
        out[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def schema_strings() -> list[str]:
    """Return the English descriptions the models give the schema, for the interface catalog."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "description" and isinstance(value, str) and value not in found:
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for model, _title in SCHEMAS.values():
        walk(model.model_json_schema())
    return found


def stale_schemas(root: Path) -> dict[str, str]:
    """Return {file name: fresh text} for each schema file under `root` that is missing or out of date."""
    stale = {}
    for name, text in render_schemas(root).items():
        path = root / SCHEMA_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale[name] = text
    return stale


def write_schemas(root: Path) -> list[Path]:
    """Write the stale schema files under `root`; return their paths."""
    changed = []
    for name, text in stale_schemas(root).items():
        path = root / SCHEMA_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed
