"""The case editor of the live preview: the form, case data ⇄ YAML text, check, save, drafts, translation state.

Pure logic; editor_http.py serves it. The form is made by walking the `Case`
model, so that it never falls behind the content format. A case's data is the
YAML's own shape as plain JSON; saving merges it onto the file's current text
with ruamel.yaml's round trip (exchange.edit_text), so that comments, key order,
quoting and every untouched line stay as they were. The check runs `validate`'s
own path on the text the save would write (content.load_site with that text in
the file's place), so the problems are the ones `validate` prints.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import tempfile
import threading
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import models
from .content import case_files, load_guide, load_site, parsed_as, taken_sections
from .exchange import edit_text, round_trip_yaml, styled, unit_state
from .freshness import field_state, read_store, read_texts, word_diff
from .markup import render_markdown
from .messages import FIELD_LABELS, Message, _, render
from .paths import CASES_DIR, DRAFTS_DIR
from .problems import ContentError, Problem, display_path
from .yamlsource import MAX_DEPTH, load_yaml, parse_yaml

MAX_REQUEST_BYTES = 1024 * 1024
_FILE = re.compile(r"^(?:cases|drafts)/([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$")
_SAVING = threading.Lock()  # one save or mark at a time: each reads, checks and writes the same files

_REGIONS = {"EU": _("EU"), "China": _("China")}
_MORE_LABELS = {"name_zh": _("Name in Chinese characters")}  # fields the guide's template does not name


class EditorError(Exception):
    """A request the editor refuses: an HTTP status, a message in both languages and what else the page needs."""

    def __init__(self, status: int, message: Message, **body: Any):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.body = body


# --- the form -----------------------------------------------------------------------------------

def form(root: Path, lang: str) -> dict:
    """Return the form of a case in `lang`: every field of the Case model with its label, help and kind."""
    guide = load_guide(root)
    choices = {
        "partner": [{"value": p.id, "label": p.name.get(lang) or p.name.en} for p in guide.partners],
        "themes": [{"value": t.id, "label": t.name.get(lang) or t.name.en} for t in guide.themes],
    }
    return {"lang": lang, "fields": _fields(models.Case, (), lang, choices)}


def _fields(model: type[BaseModel], path: tuple[str, ...], lang: str, choices: dict[str, list]) -> list[dict]:
    return [_field(name, info, path + (name,), lang, choices) for name, info in model.model_fields.items()]


def _field(name: str, info: FieldInfo, path: tuple[str, ...], lang: str, choices: dict[str, list]) -> dict:
    keys = (".".join(path), ".".join(path[-2:]), name)
    label = next((labels[k] for labels in (FIELD_LABELS, _MORE_LABELS) for k in keys if k in labels), None)
    entry = {"key": name, "label": render(label, lang) if label else name,
             "help": Message(info.description).render(lang) if info.description else "",
             "required": info.is_required()}
    entry.update(_kind(info.annotation, info.metadata, path, lang, choices))
    return entry


def _kind(annotation: Any, metadata: list, path: tuple[str, ...], lang: str, choices: dict[str, list]) -> dict:
    """Return the form kind of a type (and its item, fields or choices)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, metadata = typing.get_args(annotation)[0], [*metadata, *annotation.__metadata__]
    extra = [getattr(m, "json_schema_extra", None) or {} for m in metadata]
    formats = {e.get("format") for e in extra} | {e.get("pattern") for e in extra}
    if path[-1] in choices:
        return {"kind": "choice", "choices": choices[path[-1]]} if annotation is str else \
            {"kind": "list", "item": {"kind": "choice", "choices": choices[path[-1]]}}
    if typing.get_origin(annotation) is list:
        return {"kind": "list", "item": _kind(typing.get_args(annotation)[0], [], path, lang, choices)}
    if typing.get_origin(annotation) is typing.Literal:
        return {"kind": "choice", "choices": [{"value": v, "label": render(_REGIONS.get(v, v), lang)}
                                              for v in typing.get_args(annotation)]}
    if isinstance(annotation, type) and issubclass(annotation, models.Text):
        return {"kind": "markdown" if issubclass(annotation, models.RichText) else "text"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"kind": "group", "fields": _fields(annotation, path, lang, choices)}
    for schema, kind in (("uri", "url"), ("email", "email"), (models.PARTIAL_DATE_PATTERN, "date")):
        if schema in formats:
            return {"kind": kind}
    return {"kind": "string"}


# --- files --------------------------------------------------------------------------------------

def case_id_of(file: object) -> str:
    """Return the case id of `cases/<id>.yaml` or `drafts/<id>.yaml`; refuse any other path (400)."""
    if not isinstance(file, str) or not (match := _FILE.fullmatch(file)):
        raise EditorError(400, _("only case files can be edited: cases/<id>.yaml, where the id is lower-case "
                                 "letters, digits and hyphens"))
    return match.group(1)


def _safe(root: Path, path: Path) -> Path:
    """Return `path` when writing it stays inside the project: its folder no link out, itself no link, a plain file."""
    folder = Path(os.path.realpath(path.parent))
    if not folder.is_relative_to(root) or folder != root / path.parent.name:
        raise EditorError(403, _("%(file)s leads out of the project through a link", file=_shown(root, path)))
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(mode):
        raise EditorError(403, _("%(file)s is not a plain file (a link, a folder or a device)",
                                 file=_shown(root, path)))
    return path


def _shown(root: Path, path: Path) -> str:
    """Return a path of the project as written from its root (not where a link leads)."""
    return path.relative_to(root).as_posix()


def _places(root: Path, case_id: str) -> tuple[Path, Path]:
    """Return the case file and the draft file of a case, both checked."""
    return (_safe(root, root / CASES_DIR / f"{case_id}.yaml"), _safe(root, root / DRAFTS_DIR / f"{case_id}.yaml"))


def exists(root: Path, case_id: str) -> bool:
    """Return whether a case has a file or a draft (either may be refused when opened)."""
    return any(os.path.lexists(root / folder / f"{case_id}.yaml") for folder in (CASES_DIR, DRAFTS_DIR))


def version(data: bytes | None) -> str:
    """Return the version of a file's bytes (its SHA-256), '' for a file that does not exist."""
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def state_version(case: bytes | None, draft: bytes | None) -> str:
    """Return the version a form holds: the case file's, or, while the case has a draft, both files' together.

    With a draft open, a save writes the case file once the errors are fixed: a change made to the
    case file meanwhile (by hand, a `git pull`) must refuse that save as a change to the draft does.
    """
    if draft is None:
        return version(case)
    return hashlib.sha256(b"draft\0" + draft + b"\0case\0" + (case if case is not None else b"")).hexdigest()


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditorError(422, _("the file on disk is not valid UTF-8; fix it in a text editor first")) from None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write(path: Path, body: bytes, *, new: bool) -> None:
    """Write a file atomically (temporary file, fsync, rename; mode 0644); with `new`, never over an existing one."""
    path.parent.mkdir(exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # the watcher skips it
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if new:
            os.link(temporary, path)  # fails when the file exists: a new case never replaces one
        else:
            os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


# --- opening ------------------------------------------------------------------------------------

def open_case(root: Path, case_id: str) -> dict:
    """Return a case's data, version and translation state; its draft's when it has one."""
    case, draft = _places(root, case_id)
    source = draft if draft.exists() else case
    if not source.exists():
        raise EditorError(404, _("there is no case %(id)s", id=case_id))
    # One reading gives both the data and the version, so that a change between two readings cannot slip past save.
    body = source.read_bytes()
    try:
        data = parse_yaml(body, source, display_path(source, root)).data
    except ContentError as exc:
        raise EditorError(422, _("the file cannot be read as YAML; fix it in a text editor first"),
                          problems=exc.problems) from None
    return {"file": f"{CASES_DIR}/{case_id}.yaml", "data": _jsonable(data),
            "version": state_version(_read(case), body if source == draft else None),
            "draft": source == draft, "translation": translation(root, case_id)}


def _jsonable(value: Any) -> Any:
    """Return YAML data as JSON can carry it: a number JSON has no word for (.inf, .nan) as the text YAML writes."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    return value


def new_case(root: Path, partner: object) -> dict:
    """Return the data of a new case of `partner`: the scaffold, with the next free section number."""
    guide = load_guide(root)
    if not isinstance(partner, str) or partner not in {p.id for p in guide.partners}:
        raise EditorError(400, _("unknown partner '%(id)s'", id=str(partner)))
    from .scaffold import default_id, next_section

    drafted = {str(d.get("section")) for d in _draft_data(root)}
    section = next_section(guide, str(partner), taken_sections(root) | drafted)
    case_id = default_id(section)
    text = _scaffold(root, {"partner": partner, "id": case_id, "section": section})
    return {"file": f"{CASES_DIR}/{case_id}.yaml", "data": load_text(text),
            "version": "", "draft": False, "translation": {}}


def _draft_data(root: Path) -> list[dict]:
    found = []
    for path in sorted((root / DRAFTS_DIR).glob("*.yaml")):
        try:
            data = load_yaml(path, path.name).data
        except ContentError:
            continue
        if isinstance(data, dict):
            found.append(data)
    return found


def load_text(text: str) -> Any:
    """Return the plain data of a YAML text, read as content files are read."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.yaml"
        path.write_text(text, encoding="utf-8")
        return load_yaml(path, "case.yaml").data


def _scaffold(root: Path, data: dict) -> str:
    """Return the text a new case starts from: the scaffold of `new`, or nothing when its partner is unknown."""
    from .scaffold import render_case

    guide = load_guide(root)
    partner, case_id, section = (str(data.get(k) or "") for k in ("partner", "id", "section"))
    if partner not in {p.id for p in guide.partners}:
        return ""
    text = render_case(guide, partner, case_id or "new-case", section or "1.1.1")
    # Its empty `|` blocks hold an indented blank line to type on; a form's text needs none.
    return re.sub(r" +$", "", text, flags=re.M)


# --- data → text --------------------------------------------------------------------------------

def yaml_text(text: str, data: dict) -> str:
    """Return the YAML text of `data` written onto the file's `text`: untouched lines, comments and quotes kept."""
    if not isinstance(data, dict):
        raise EditorError(400, _("the case data must be an object of fields"))
    if _depth(data) > MAX_DEPTH:
        raise EditorError(400, _("the case data is nested more than %(depth)d levels deep", depth=MAX_DEPTH))
    if not text.strip():
        from .exchange import dump_yaml

        return dump_yaml(round_trip_yaml(), _fresh(data))
    if "\r\n" in text:  # the round trip writes LF: a CRLF file keeps its line ends (and its diff its size)
        return yaml_text(text.replace("\r\n", "\n"), data).replace("\n", "\r\n")
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    def merge(document: Any) -> None:
        if not isinstance(document, CommentedMap):
            raise EditorError(422, _("the file on disk holds no fields (`key: value` lines); fix it in a text editor first"))
        _merge(document, data)

    try:
        return edit_text(text, merge)
    except YAMLError:  # the file on disk is being edited by hand, say
        raise EditorError(422, _("the file cannot be read as YAML; fix it in a text editor first")) from None


def _depth(value: Any, limit: int = MAX_DEPTH + 1) -> int:
    """Return how deep `value` nests (counting no further than `limit`)."""
    if limit <= 0 or not isinstance(value, (dict, list)):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in items), default=0)


def _fresh(value: Any) -> Any:
    """Return JSON data as round-trip data, every text of several lines as a `|` block."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((str(k), _fresh(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    if isinstance(value, str):
        return styled(None, value)
    return value


def _merge(old: Any, new: Any, model: type[BaseModel] | None = models.Case) -> Any:
    """Return `new` written onto the round-trip value `old`: what is equal stays as it was written.

    A key that appears goes where the model's field order puts it; the blank lines and
    comments after the last item of a list or mapping stay at its end as it grows or shrinks.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import PlainScalarString

    if isinstance(new, dict):
        if not isinstance(old, CommentedMap):
            return _fresh(new)
        last, order = _last_key(old), list(model.model_fields) if model else []
        trailing = _take_trailing(old) if last not in new or any(k not in old for k in new) else None
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            if key in old:
                # An empty value that gets items: the blank lines after its line go after its last item.
                grows = not _end_places(old[key]) and isinstance(value, (dict, list)) and bool(value)
                moved = _split_off(old.ca.items.get(key), 2) if grows else None
                old[key] = _merge(old[key], value, _submodel(model, key))
                _put_trailing(old[key], moved)
            else:
                before = [k for k in order[:order.index(key)] if k in old] if key in order else list(old)
                old.insert(list(old).index(before[-1]) + 1 if before else 0, key, _fresh(value))
        _put_trailing(old, trailing)
        return old
    if isinstance(new, list):
        if not isinstance(old, CommentedSeq):
            return _fresh(new)
        trailing = _take_trailing(old) if len(new) != len(old) else None
        del old[len(new):]
        for i, value in enumerate(new):
            if i < len(old):
                old[i] = _merge(old[i], value, model)  # a list's model is its items' (see _submodel)
            else:
                old.append(_fresh(value))
        _put_trailing(old, trailing)
        return old
    if isinstance(new, str):
        if old is not None and not isinstance(old, (bool, dict, list)) and str(old).strip() == new.strip():
            return old  # the same text (a `|` block's final line break, a year written as a number)
        # An empty text is a placeholder (the scaffold's `""` and `|`): the new text takes its own style.
        value = styled(old if isinstance(old, str) and old else None, new)
        return PlainScalarString(value) if type(value) is str else value  # a plain str would keep the old quotes
    if type(old) is type(new) and old == new:
        return old
    return new


def _submodel(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    """Return the model of the field `key` of `model` (of its items, for a list), if it is one."""
    if model is None:
        return None
    annotation: Any = getattr(model.model_fields.get(key), "annotation", None)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), None)
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _last_key(node: Any) -> Any:
    return next(reversed(list(node)), None) if isinstance(node, dict) else None


def _end_places(node: Any) -> list[tuple[Any, Any, int]]:
    """Return where a comment after the last value inside `node` can be kept, outermost first."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    places = []
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        key = _last_key(node) if isinstance(node, CommentedMap) else len(node) - 1
        places.append((node, key, 2 if isinstance(node, CommentedMap) else 0))
        node = node[key]
    return places


def _take_trailing(node: Any) -> Any:
    """Remove and return the blank lines and comment lines after the last value inside `node` (not its line's comment)."""
    for holder, key, slot in reversed(_end_places(node)):
        entry = holder.ca.items.get(key)
        if entry and len(entry) > slot and entry[slot] is not None:
            return _split_off(entry, slot)
    return None


def _split_off(entry: list | None, slot: int) -> Any:
    """Return the lines after the first of a comment entry's token, leaving the first (the value's own comment)."""
    import copy

    token = entry[slot] if entry and len(entry) > slot else None
    if entry is None or token is None:
        return None
    head, _, rest = token.value.partition("\n")
    if not rest:
        return None
    entry[slot] = copy.copy(token)
    entry[slot].value = head + "\n"
    moved = copy.copy(token)
    moved.value = "\n" + rest
    return moved


def _put_trailing(node: Any, token: Any) -> None:
    """Put the lines `_take_trailing` took after the last value inside `node`."""
    places = _end_places(node)
    if token is None or not places:
        return
    holder, key, slot = places[-1]
    entry = holder.ca.items.setdefault(key, [None, None, None, None])
    if entry[slot] is None:
        entry[slot] = token
    else:
        entry[slot].value = entry[slot].value.rstrip("\n") + token.value


# --- checking -----------------------------------------------------------------------------------

def check(root: Path, case_id: str, text: str, *, draft: bool = False) -> list[Problem]:
    """Return the problems `validate` reports for the case file `cases/<case_id>.yaml` if it held `text`."""
    from .glossary import glossary_problems

    target = root / CASES_DIR / f"{case_id}.yaml"
    shown = display_path(target, root)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / target.name
        scratch.write_text(text, encoding="utf-8")
        parsed = parsed_as(root, target, scratch)
        try:
            _site, problems = load_site(root, draft=draft, parsed=parsed, case_paths=sorted({*case_files(root), target}))
        except ContentError as exc:
            problems = exc.problems
        else:
            (doc, case), _found = parsed[target]
            problems += glossary_problems(root, [(doc, case)], strict=False)  # doc names the file as `shown`
    return [p for p in problems if p.file == shown]


def problem_json(problem: Problem, lang: str) -> dict:
    """Return a problem as the page shows it, in `lang`."""
    return {"field": problem.field, "line": problem.line, "column": problem.column, "severity": problem.severity,
            "message": render(problem.message, lang), "hint": render(problem.hint, lang),
            "text": problem.render(lang)}


def check_data(root: Path, file: object, data: dict, *, draft: bool = False) -> tuple[str, list[Problem]]:
    """Return the text a save of `data` would write and its problems."""
    case_id = case_id_of(file)
    case, draft_file = _places(root, case_id)
    source = draft_file if draft_file.exists() else case
    current = _read(source)
    text = yaml_text(_decoded(current) if current is not None else _scaffold(root, data), data)
    return text, check(root, case_id, text, draft=draft)


# --- saving -------------------------------------------------------------------------------------

def save(root: Path, file: object, data: dict, known_version: object, *, as_draft: bool, draft: bool = False) -> dict:
    """Write `data` into its case file (or its draft, when it has errors and `as_draft`); return what was written.

    Refused, with nothing written: a file changed since `known_version` (409), a new
    case whose file exists (409), errors when not `as_draft` (422).
    """
    if not isinstance(data, dict):
        raise EditorError(400, _("the case data must be an object of fields"))
    case_id = case_id_of(file)
    if known_version == "" and isinstance(data.get("id"), str) and _FILE.fullmatch(f"cases/{data['id']}.yaml"):
        case_id = data["id"]  # a new case's file follows the id chosen in the form
    with _SAVING:
        case, draft_file = _places(root, case_id)
        source = draft_file if draft_file.exists() else case
        current, case_bytes = _read(source), _read(case)
        draft_bytes = current if source == draft_file else None
        text = yaml_text(_decoded(current) if current is not None else _scaffold(root, data), data)
        if state_version(case_bytes, draft_bytes) != known_version:
            disk = current.decode("utf-8", "replace") if current is not None else ""
            if draft_bytes is not None and case_bytes is not None:  # either may have changed: show both
                disk = (f"# {_shown(root, draft_file)}\n{disk}\n"
                        f"# {_shown(root, case)}\n{case_bytes.decode('utf-8', 'replace')}")
            message = _("%(file)s already exists; choose another id", file=_shown(root, source)) \
                if known_version == "" else _("the file changed on disk since you opened it; nothing was saved")
            raise EditorError(409, message, conflict={"disk": disk, "yours": text})
        problems = check(root, case_id, text, draft=draft)
        errors = [p for p in problems if p.severity == "error"]
        if errors and not as_draft:
            raise EditorError(422, _("%(count)d error(s): fix them or save as a draft", count=len(errors)),
                              problems=problems)
        body = text.encode("utf-8")
        target = draft_file if errors else case
        try:
            _write(target, body, new=not target.exists())
        except FileExistsError:
            raise EditorError(409, _("%(file)s already exists; choose another id", file=_shown(root, target)),
                              conflict={"disk": target.read_text(encoding="utf-8", errors="replace"), "yours": text}) \
                from None
        if not errors and draft_file.exists():
            draft_file.unlink()
    return {"saved": _shown(root, target), "version": state_version(case_bytes, body) if errors else version(body),
            "draft": bool(errors),
            "problems": problems}


# --- translation state --------------------------------------------------------------------------

def translation(root: Path, case_id: str) -> dict:
    """Return each bilingual field's translation state, with the English's changes since a stale translation."""
    case, draft_file = _places(root, case_id)
    source = draft_file if draft_file.exists() else case
    if not source.exists():
        return {}
    try:
        texts = read_texts(root, case, read_from=source)
    except ContentError:
        return {}  # not valid yet: no state to show
    records = read_store(root).get(display_path(case, root), {})
    states = {}
    for text in texts:
        state = field_state(text, records)
        kind = unit_state(state)
        diff = "\n".join(word_diff(state.old_english, text.english)) if kind == "stale" and state.old_english else ""
        states[text.field] = {"state": kind, "diff": diff}
    return states


def mark(root: Path, file: object, fields: object) -> dict:
    """Record the Chinese of `fields` as translated from their current English, as `i18n mark` does."""
    from .i18n import UnknownField, mark_translated

    case_id = case_id_of(file)
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise EditorError(400, _("name the fields to mark as a list"))
    with _SAVING:
        case, draft_file = _places(root, case_id)
        if draft_file.exists() or not case.exists():
            raise EditorError(409, _("save the case without errors first; a draft's translations cannot be marked"))
        try:
            mark_translated(root, [case], fields)
        except UnknownField as exc:
            raise EditorError(400, exc.message) from None
        except ContentError as exc:
            raise EditorError(422, _("the file is not valid, so its translations cannot be checked"),
                              problems=exc.problems) from None
    return {"translation": translation(root, case_id)}


def markdown(text: object) -> str:
    """Return a rich text's HTML exactly as the site shows it (sanitised)."""
    if not isinstance(text, str):
        raise EditorError(400, _("the text must be a string"))
    return str(render_markdown(text))
