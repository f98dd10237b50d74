"""Check parsed content against the models and explain every error in plain words."""
from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .messages import Message, _
from .models import Text
from .problems import MAX_PER_FILE, Problem
from .yamlsource import YamlDocument, dotted

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Return the validated model, or None and the problems that prevent it."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False), key=lambda e: doc.position(tuple(e["loc"])))
        # Only the first ones are listed (see problems.capped); explaining 38,000 unknown keys took a minute.
        return None, [_explain(doc, model, error) if i < MAX_PER_FILE else _brief(doc, error)
                      for i, error in enumerate(errors)]


def _brief(doc: YamlDocument, error: ErrorDetails) -> Problem:
    """Return an error with its place only: one of those counted, not listed."""
    path = tuple(error["loc"])
    line, column = doc.position(path)
    return Problem(doc.file, line, column, dotted(path), _("the value is not accepted (%(detail)s)", detail=error["msg"]))


def _explain(doc: YamlDocument, model: type[BaseModel], error: ErrorDetails) -> Problem:
    path = tuple(error["loc"])
    kind = error["type"]
    given = error.get("input")
    line, column = doc.position(path, key=kind == "extra_forbidden")
    if kind == "missing" and tuple(path[:-1]) in doc.keys:
        line, column = doc.keys[tuple(path[:-1])]  # the key the field belongs under, as the editor's plugin shows it
    field = dotted(path)
    name = str(path[-1]) if path and isinstance(path[-1], str) else "item"
    message, hint = _("the value is not accepted (%(detail)s)", detail=error["msg"]), ""

    if kind == "content":
        message, hint = error["ctx"]["message"], error["ctx"]["hint"]
    elif kind == "missing":
        parent = dotted(path[:-1])
        message = _("required field is missing")
        hint = _("add `%(name)s:` under %(parent)s", name=name, parent=parent) if parent else \
            _("add `%(name)s:` at the top level", name=name)
        if _expects_text(model, path):
            hint = _("%(hint)s with `en:` and `zh:` lines below it", hint=hint)
    elif kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1])
        message = _("unknown field '%(name)s'", name=name)
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hint = _("did you mean '%(name)s'?", name=close[0])
        elif allowed:
            hint = _("allowed here: %(names)s", names=", ".join(allowed))
        else:
            hint = _("remove it")
    elif given is None and kind in ("string_type", "model_type", "list_type", "model_attributes_type"):
        message = _("the value is empty")
        hint = _("write a value after the colon, or remove the key if the source has nothing here")
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        if _expects_text(model, path) and isinstance(given, str):
            message = _("expected text in both languages, got a single text")
            hint = _("write it as an `en:` line and a `zh:` line indented below the key")
        else:
            fields = _fields_at(model, path)
            message = _("expected indented fields, got %(given)s", given=_describe(given))
            hint = _("write indented `key: value` lines (fields: %(fields)s)", fields=", ".join(fields)) if fields \
                else _("write indented `key: value` lines")
    elif kind == "list_type":
        message = _("expected a list, got %(given)s", given=_describe(given))
        hint = _("write one item per line starting with \"- \"")
        if name == "keywords":
            message = _("expected a list of keywords, got %(given)s", given=_describe(given))
            hint = _("write one keyword per line starting with \"- \"")
    elif kind == "string_type":
        message = _("expected text, got %(given)s", given=_describe(given))
        hint = _("write plain text; put it in quotes if it looks like a number, a list or a yes/no value")
    elif kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", ""))) or [error["msg"]]
        message = _("'%(value)s' is not allowed here (%(allowed)s)", value=given, allowed=", ".join(allowed))
        hint = _("use exactly one of the listed values")
    elif kind == "string_too_short":
        message = _("the value is empty")
        hint = _("write a value, or remove the key")
    elif kind == "int_parsing" or kind == "int_type":
        message = _("expected a whole number, got %(given)s", given=_describe(given))
        hint = _("write digits only, e.g. 2020")
    elif kind == "string_pattern_mismatch":
        message = _("'%(value)s' does not have the expected form", value=given)
        hint = error["msg"]
    return Problem(doc.file, line, column, field, message, hint)


def _describe(value: Any) -> Message:
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("the yes/no value %(value)s", value=str(value).lower())
    if isinstance(value, str):
        return _("a single text")
    if isinstance(value, (int, float)):
        return _("the number %(value)s", value=value)
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("indented fields")
    return _("a value of another kind")


def _model_at(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """Follow `path` through the model's fields; return the model found there, if any."""
    current: Any = model
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = info.annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] so that the model inside shows."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _fields_at(model: type[BaseModel], path: tuple) -> list[str]:
    found = _model_at(model, path)
    return list(found.model_fields) if found else []


def _expects_text(model: type[BaseModel], path: tuple) -> bool:
    found = _model_at(model, path)
    return found is not None and issubclass(found, Text)
