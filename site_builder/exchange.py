"""Hand the content's texts to translation tools as PO and XLIFF 1.2, and take the translations back.

One unit per bilingual text, keyed by file and field path
(`cases/x.yaml#profile.name`: the PO msgctxt; in XLIFF, the `<file original>`
and the trans-unit id), with the English as source, the current Chinese as
target, a state (new, stale, translated), the glossary terms found in the
English as notes, and, for a stale unit, the English its Chinese was made from
(PO `#| msgid`, an XLIFF `<alt-trans>`). Each unit also carries its place
(`#: cases/x.yaml:33`), which converters such as po2xliff keep when they drop
the key: an import then finds the unit by its place and its English.

The formats are read and written by translate-toolkit; the YAML is written back
by ruamel.yaml's round-trip mode, which keeps comments, key order, quoting and
block styles, so that the files' diff shows only the changed text.
"""
from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal

from .freshness import FieldState, FieldText, all_states, file_states, read_store, rerecord, write_store
from .messages import _
from .problems import ContentError, Problem

UnitState = Literal["new", "stale", "translated"]

SOURCE_LANGUAGE = "en"
TARGET_LANGUAGE = "zh-CN"  # BCP 47, as in the site's html lang; the catalogs' gettext form is zh_CN
PO_LANGUAGE = "zh_CN"
KEY_SEPARATOR = "#"
DEFAULT_DIR = Path("exchange")
BASENAME = f"content.{PO_LANGUAGE}"


MARKDOWN_NOTE = "Markdown: keep the English's paragraphs (blank lines), list items (- , 1. ) and #### headings"


@dataclass(frozen=True)
class Unit:
    """One text for translation."""

    text: FieldText
    state: UnitState
    previous: str | None  # the English the current Chinese was made from (stale units)
    notes: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.text.file}{KEY_SEPARATOR}{self.text.field}"


def unit_state(state: FieldState) -> UnitState:
    """Return a field's state as translation tools name it: new, stale or translated."""
    if state.state == "missing":
        return "new"
    # Chinese never recorded as made from any English needs the same review as stale Chinese.
    return "translated" if state.state == "fresh" else "stale"


def glossary_notes(english: str, glossary) -> tuple[str, ...]:
    """Return a note for each glossary term or name found in `english`."""
    notes = []
    for entry in glossary:
        text = english
        for phrase in entry.exceptions:
            text = re.sub(re.escape(phrase), lambda m: " " * len(m.group(0)), text, flags=re.I)
        if match := entry.pattern.search(text):
            notes.append(f"glossary: {match.group(0)} = {' / '.join(entry.zh)}")
    return tuple(dict.fromkeys(notes))


def collect_units(root: Path, files: list[Path] | None = None, pending_only: bool = False) -> list[Unit]:
    """Return the units of the project's bilingual texts (of `files` only, when given)."""
    from .glossary import load_entities, load_glossary

    glossary = load_glossary(root)
    entities = load_entities(root)
    store = read_store(root)
    states = ([s for path in files for s in file_states(root, path, store)] if files is not None
              else all_states(root, store))
    units = []
    for state in states:
        kind = unit_state(state)
        if pending_only and kind == "translated":
            continue
        previous = state.old_english if kind == "stale" else None
        notes = glossary_notes(state.text.english, glossary)
        notes += tuple(f"glossary: {m.group(0)} = {e.zh}" for e in entities if (m := e.pattern.search(state.text.english)))
        if state.text.markdown and _blocks(state.text.english) != ["paragraph"]:
            notes += (MARKDOWN_NOTE,)
        units.append(Unit(state.text, kind, previous, notes))
    return units


# --- Writing --------------------------------------------------------------------------

def to_po(units: list[Unit]) -> bytes:
    """Return the units as a PO file: stale units are fuzzy, with their old English as `#| msgid`."""
    from translate.storage import po

    store = po.pofile()
    store.updateheader(add=True, Language=PO_LANGUAGE, Project_Id_Version="CIPnet Good Practices Guide content",
                       Language_Team="Simplified Chinese", X_Source_Language=SOURCE_LANGUAGE)
    for unit in units:
        entry = store.addsourceunit(unit.text.english)
        entry.setcontext(unit.key)
        entry.addlocation(f"{unit.text.file}:{unit.text.line}")
        for note in unit.notes:
            entry.addnote(note, origin="developer")
        entry.target = unit.text.chinese
        if unit.state == "stale":
            entry.markfuzzy(True)
            if unit.previous is not None:
                entry.prev_source = unit.previous
    return bytes(store)


_XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"


def _xliff12_class():
    from translate.storage import xliff

    class Xliff12Unit(xliff.xliffunit):
        namespace = _XLIFF12

    class Xliff12File(xliff.xlifffile):
        """translate-toolkit's XLIFF store, writing version 1.2 (it writes 1.1 by default)."""

        UnitClass = Xliff12Unit
        namespace = _XLIFF12
        XMLskeleton = (f'<?xml version="1.0" ?>\n<xliff version="1.2" xmlns="{_XLIFF12}">\n'
                       f'<file original="NoName" source-language="{SOURCE_LANGUAGE}" datatype="plaintext">\n'
                       "<body>\n</body>\n</file>\n</xliff>")

    return Xliff12File


_XLIFF_STATE = {"new": "new", "stale": "needs-review-translation", "translated": "translated"}


def to_xliff(units: list[Unit]) -> bytes:
    """Return the units as XLIFF 1.2: one <file> per content file, one trans-unit per field."""
    store = _xliff12_class()(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=TARGET_LANGUAGE)
    for unit in units:
        entry = store.addsourceunit(unit.text.english, filename=unit.text.file, createifmissing=True)
        entry.setid(unit.text.field)
        entry.xmlelement.set("resname", unit.text.field)
        entry.target = unit.text.chinese
        target = entry.getlanguageNode(lang=None, index=1)
        if target is None:  # an empty target is not written; a CAT tool wants the element and its state
            entry.target = " "
            target = entry.getlanguageNode(lang=None, index=1)
            target.text = ""
        target.set("state", _XLIFF_STATE[unit.state])
        entry.markapproved(unit.state == "translated")
        for note in unit.notes:
            entry.addnote(note, origin="developer")
        if unit.previous is not None:
            entry.addalttrans(unit.text.chinese, origin="previous-version", sourcetxt=unit.previous)
        entry.addlocation(f"{unit.text.file}:{unit.text.line}")
    return bytes(store)


def export(root: Path, output: Path, formats: tuple[str, ...] = ("po", "xliff"), files: list[Path] | None = None,
           pending_only: bool = False) -> tuple[list[Path], list[Unit]]:
    """Write the exchange files into `output`; return their paths and the units."""
    units = collect_units(root, files, pending_only)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        path = output / f"{BASENAME}.{'po' if name == 'po' else 'xlf'}"
        path.write_bytes(to_po(units) if name == "po" else to_xliff(units))
        written.append(path)
    return written, units


# --- Reading back ---------------------------------------------------------------------

@dataclass(frozen=True)
class Incoming:
    """A unit read from an exchange file."""

    key: str | None
    location: str | None  # "cases/x.yaml:33"
    line: int  # in the exchange file
    source: str
    target: str
    done: bool  # translated and not marked for review (fuzzy / needs-review)


def read_exchange(path: Path, shown: str) -> list[Incoming]:
    """Return the units of a PO or XLIFF file, or raise ContentError when it cannot be read."""
    from translate.storage import factory
    from translate.storage.base import TranslationStore

    try:
        store: TranslationStore = factory.getobject(str(path))
    except Exception as exc:  # translate-toolkit raises what its parsers raise (lxml, ValueError, …)
        raise ContentError([Problem(shown, 1, 1, "", _("cannot read this file as PO or XLIFF (%(reason)s)", reason=str(exc)),
                                    _("import the .po or .xlf file that `i18n export` wrote, as your tool saved it"))]) \
            from None
    units = []
    for unit in store.units:
        if unit.isheader() or not unit.source:
            continue
        units.append(Incoming(_key_of(unit), next(iter(unit.getlocations()), None),
                              _line_of(unit), str(unit.source), str(unit.target or ""), _is_done(unit)))
    return units


_DONE_STATES = {"translated", "signed-off", "final"}


def _is_done(unit) -> bool:
    """Return whether the translator finished the unit: a PO entry not fuzzy; an XLIFF one approved or translated.

    CAT tools set an XLIFF target's state and often leave `approved` as they found it,
    which translate-toolkit alone reads as fuzzy; the state is what they mean.
    """
    if not unit.target:
        return False
    element = getattr(unit, "xmlelement", None)
    if element is None or not hasattr(unit, "getlanguageNode"):
        return not unit.isfuzzy()
    if element.get("approved") == "yes":
        return True
    target = unit.getlanguageNode(lang=None, index=1)
    state = target.get("state") if target is not None else None
    return state in _DONE_STATES if state else element.get("approved") != "no"


def _line_of(unit) -> int:
    """Return the unit's line in its file (PO units know it; XLIFF units through their element)."""
    element = getattr(unit, "xmlelement", None)
    return (element.sourceline if element is not None else getattr(unit, "line_number", 0)) or 0


def _key_of(unit) -> str | None:
    context = unit.getcontext() if hasattr(unit, "getcontext") else ""
    if context and KEY_SEPARATOR in context:
        return context
    from translate.storage.xliff import ID_SEPARATOR

    uid = unit.getid() or ""
    if ID_SEPARATOR in uid:
        original, field_path = uid.split(ID_SEPARATOR, 1)
        return f"{original}{KEY_SEPARATOR}{field_path}"
    return None


@dataclass
class ImportPlan:
    """What an import changes: new Chinese per file and field, and the fields to record as fresh."""

    changes: dict[str, dict[str, str]] = field(default_factory=dict)
    reviewed: dict[str, set[str]] = field(default_factory=dict)  # fields confirmed with their Chinese unchanged
    pending: int = 0  # units left for review or untranslated
    warnings: list[Problem] = field(default_factory=list)  # imported all the same: the glossary's renderings missing


def plan_import(root: Path, path: Path, shown: str) -> ImportPlan:
    """Check every unit of an exchange file against the content; raise ContentError listing every problem."""
    from .freshness import content_files

    from .glossary import load_glossary

    glossary = load_glossary(root)
    incoming = read_exchange(path, shown)
    texts: dict[str, FieldText] = {}
    by_place: dict[str, FieldText] = {}
    states: dict[str, FieldState] = {}
    store = read_store(root)
    for content in content_files(root):
        for state in file_states(root, content, store):
            key = f"{state.text.file}{KEY_SEPARATOR}{state.text.field}"
            texts[key], states[key] = state.text, state
            by_place.setdefault(f"{state.text.file}:{state.text.line}", state.text)
    plan = ImportPlan()
    problems = []
    for unit in incoming:
        def problem(field_name: str, message: str, hint: str) -> None:
            problems.append(Problem(shown, unit.line or 1, 1, field_name, message, hint))

        text = texts.get(unit.key) if unit.key else None
        if text is None and unit.location in by_place:
            # The key was lost on the way (po2xliff and xliff2po drop it): the place holds, the English is checked below.
            text = by_place[unit.location]
        if text is None:
            where = unit.key or unit.location or unit.source[:40]
            problem("", _("unknown unit '%(unit)s': no such file and field in the project", unit=where),
                    _("import only files made by `i18n export`; the field may have been renamed or deleted since"))
            continue
        key = f"{text.file}{KEY_SEPARATOR}{text.field}"
        if unit.source.rstrip("\n") != text.english.rstrip("\n"):
            problem(text.field, _("the English of %(file)s:%(line)d %(field)s changed since the export", file=text.file,
                           line=text.line, field=text.field),
                    _("run `i18n export` again and translate the current English (your tool's memory keeps your work)"))
            continue
        if not unit.done:
            plan.pending += 1
            continue
        chinese = _normalise(unit.target, text.english)
        if shape := structure_mismatch(text.english, chinese, text.markdown):
            problem(text.field, _("the Chinese does not keep the English's Markdown structure: %(difference)s",
                                  difference=shape),
                    _("keep the paragraphs (blank lines), the list items (`- `, `1. `) and the `####` headings of the "
                      "English"))
            continue
        plan.warnings += _glossary_warnings(text, chinese, glossary, shown, unit.line or 1)
        if chinese != text.chinese:
            plan.changes.setdefault(text.file, {})[text.field] = chinese
        elif states[key].state != "fresh":
            plan.reviewed.setdefault(text.file, set()).add(text.field)
    if problems:
        raise ContentError(problems)
    return plan


def _glossary_warnings(text: FieldText, chinese: str, glossary, shown: str, line: int) -> list[Problem]:
    """Return a warning for each glossary term of the English whose accepted renderings the Chinese lacks."""
    from .glossary import glossary_misses
    from .models import Text

    return [Problem(shown, line, 1, text.field, _("'%(term)s' is not rendered as the glossary says", term=term),
                    _("use %(renderings)s (translations/glossary.yaml)", renderings=" / ".join(renderings)),
                    severity="warning")
            for _field, term, renderings in glossary_misses(Text(en=text.english, zh=chinese), glossary)]


def _normalise(target: str, english: str) -> str:
    """Return the Chinese as the model holds texts: without surrounding blank space (tools often add a line break)."""
    return target.strip()


_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")
_HEADING = re.compile(r"^#{1,6}\s")


def _blocks(text: str) -> list[str]:  # Messages: compared by their English
    """Return the shape of a Markdown text: one word per block, with its list items counted."""
    shape: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if _HEADING.match(lines[0]):
            shape.append(_("heading"))
        elif _LIST_ITEM.match(lines[0]):
            items = sum(bool(_LIST_ITEM.match(line)) for line in lines)
            shape.append(_("list of 1 item") if items == 1 else _("list of %(count)d items", count=items))
        else:
            shape.append(_("paragraph"))
    return shape


def structure_mismatch(english: str, chinese: str, markdown: bool = True) -> str | None:
    """Say how the structure of the Chinese differs from the English's (its Markdown's, in a rich text), or return None."""
    if "\n" not in english.strip() and "\n" in chinese.strip():
        return _("the English is one line, the Chinese has several")
    if not markdown:
        return None
    source, target = _blocks(english), _blocks(chinese)
    if source == target:
        return None
    for number, (a, b) in enumerate(zip(source, target), 1):
        if a != b:
            return _("block %(number)d is a %(english)s in the English, a %(chinese)s in the Chinese", number=number,
                     english=a, chinese=b)
    return _("the English has %(english)d blocks, the Chinese %(chinese)d", english=len(source), chinese=len(target))


# --- Writing the YAML back ------------------------------------------------------------

def round_trip_yaml():
    """Return a ruamel.yaml round-trip reader and writer set up as the content files are written."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never fold a long line: the files keep each text on the lines it was written on
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _parse_field(dotted: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", dotted)]


def styled(old: object, new: str) -> object:
    """Return the text `new` in the YAML style of the value it replaces (a `|` block, quotes, or plain)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString

    if isinstance(old, LiteralScalarString) or "\n" in new:
        # Keep the block's chomping: `|` ends the text with a line break, `|-` without.
        keep_break = str(old).endswith("\n") if isinstance(old, LiteralScalarString) else True
        return LiteralScalarString(new.rstrip("\n") + ("\n" if keep_break else ""))
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(new)
    return new


def edit_text(text: str, edit: Callable[[Any], None]) -> str:
    """Return a YAML file's text after `edit` changed its round-trip data; untouched lines stay byte-identical."""
    yaml = round_trip_yaml()
    data = yaml.load(text)
    unchanged = dump_yaml(yaml, data)
    edit(data)
    changed = dump_yaml(yaml, data)
    if unchanged == text:
        return changed
    return carry_over(text, unchanged, changed)


def rewrite(text: str, changes: dict[str, str]) -> str:
    """Return a YAML file's text with the Chinese of `changes` ({field: Chinese}) replaced, all else kept."""
    def edit(data) -> None:
        for dotted, chinese in changes.items():
            node = data
            for part in _parse_field(dotted):
                node = node[part]
            node["zh"] = styled(node.get("zh"), chinese)

    return edit_text(text, edit)


def dump_yaml(yaml, data) -> str:
    """Return round-trip data as YAML text."""
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 0


def carry_over(text: str, unchanged: str, changed: str) -> str:
    """Apply ruamel's changes to the file's own text, where ruamel writes the file differently (a 4-space indent).

    ruamel.yaml has one indentation for a whole file; a file indented otherwise in
    places would come back re-indented there. The lines ruamel changed are put in
    the file's text instead, shifted by the file's own indentation at that place.
    """
    lines, before, after = (t.splitlines(keepends=True) for t in (text, unchanged, changed))
    if len(lines) != len(before):
        return changed  # not the same lines: take ruamel's text whole (the import checks its data)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            out += lines[i1:i2]
            continue
        at = min(i1, len(lines) - 1)
        shift = _indent(lines[at]) - _indent(before[at])
        for line in after[j1:j2]:
            out.append(" " * max(0, _indent(line) + shift) + line.lstrip(" ") if line.strip() else line)
    return "".join(out)


def apply_import(root: Path, plan: ImportPlan) -> list[str]:
    """Write the planned Chinese into the content files and record those fields as fresh; return the files changed.

    Every new file is made and checked first (it must read and validate as before,
    with only the planned texts changed); then all are put in place, so that a
    problem leaves every file as it was.
    """
    from .freshness import read_texts

    staged: list[tuple[Path, Path]] = []
    problems: list[Problem] = []
    try:
        for name, changes in sorted(plan.changes.items()):
            path = root / name
            before = {t.field: t for t in read_texts(root, path)}
            temporary = path.with_name(f".{path.name}.import")
            temporary.write_text(rewrite(path.read_text(encoding="utf-8"), changes), encoding="utf-8")
            staged.append((temporary, path))
            try:
                after = {t.field: t for t in read_texts(root, path, read_from=temporary)}
            except ContentError as exc:
                problems += [Problem(name, p.line, p.column, p.field, p.message, p.hint) for p in exc.problems]
                continue
            expected = {f: (t.english, changes.get(f, t.chinese)) for f, t in before.items()}
            if {f: (t.english, t.chinese) for f, t in after.items()} != expected:
                problems.append(Problem(name, 1, 1, "", _("writing the translations back would change other text"),
                                        _("report this; edit the file by hand meanwhile")))
        if problems:
            raise ContentError(problems)
        for temporary, path in staged:
            temporary.replace(path)
        staged = []
    finally:
        for temporary, _path in staged:
            temporary.unlink(missing_ok=True)
    store = read_store(root)
    for name in sorted(set(plan.changes) | set(plan.reviewed)):
        marked = set(plan.changes.get(name, {})) | plan.reviewed.get(name, set())
        store[name] = rerecord(file_states(root, root / name, store), marked)
    write_store(root, store)
    return sorted(plan.changes)
