"""Check parsed content against the models and explain every error in plain words."""
from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .models import Text
from .problems import Problem
from .yamlsource import YamlDocument, dotted

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Return the validated model, or None and the problems that prevent it."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [_explain(doc, model, error) for error in exc.errors(include_url=False)]


def _explain(doc: YamlDocument, model: type[BaseModel], error: dict[str, Any]) -> Problem:
    path = tuple(error["loc"])
    kind = error["type"]
    given = error.get("input")
    line, column = doc.position(path, key=kind == "extra_forbidden")
    field = dotted(path)
    name = str(path[-1]) if path and isinstance(path[-1], str) else "item"
    message, hint = error["msg"], ""

    if kind == "content":
        hint = error["ctx"]["hint"]
    elif kind == "missing":
        parent = dotted(path[:-1]) or "the top level"
        message = "required field is missing"
        hint = f"add `{name}:` under {parent}"
        if _expects_text(model, path):
            hint += " with `en:` and `zh:` lines below it"
    elif kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1])
        message = f"unknown field '{name}'"
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = "allowed here: " + ", ".join(allowed)
        else:
            hint = "remove it"
    elif given is None and kind in ("string_type", "model_type", "list_type", "model_attributes_type"):
        message = "the value is empty"
        hint = "write a value after the colon, or remove the key if the source has nothing here"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        if _expects_text(model, path) and isinstance(given, str):
            message = "expected text in both languages, got a single string"
            hint = "write it as an `en:` line and a `zh:` line indented below the key"
        else:
            fields = _fields_at(model, path)
            message = f"expected a mapping of fields, got {_describe(given)}"
            hint = "write indented `key: value` lines" + (f" (fields: {', '.join(fields)})" if fields else "")
    elif kind == "list_type":
        item = _singular(name)
        message = f"expected a list of {name.replace('_', ' ')}, got {_describe(given)}"
        hint = f"write one {item} per line starting with \"- \""
    elif kind == "string_type":
        message = f"expected text, got {_describe(given)}"
        hint = "write plain text; quote it if it looks like a number, list or mapping"
    elif kind == "literal_error":
        message = f"'{given}' is not allowed here ({error['msg'].removeprefix('Input should be ')})"
        hint = "use exactly one of the listed values"
    elif kind == "string_too_short":
        message = "the value is empty"
        hint = "write a value, or remove the key"
    elif kind == "int_parsing" or kind == "int_type":
        message = f"expected a whole number, got {_describe(given)}"
        hint = "write digits only, e.g. 2020"
    elif kind == "string_pattern_mismatch":
        message = f"'{given}' does not have the expected form"
        hint = error["msg"]
    return Problem(doc.file, line, column, field, message, hint)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"yes/no value {str(value).lower()}"
    if isinstance(value, str):
        return "a single string"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _singular(name: str) -> str:
    words = name.replace("_", " ")
    return words[:-1] if words.endswith("s") else words


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
