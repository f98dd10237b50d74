"""Languages: interface catalogs (Babel), locale formatting, and the state of the content's translations.

Interface strings live in templates as `{{ _("...") }}` (and in the code as
`_("...")`) and are translated in translations/<locale>/LC_MESSAGES/messages.po. Content translations record,
in translations/content-sources.json, the English text each Chinese text was
made from (see freshness.py), so that `i18n status` can tell stale from fresh
and show what changed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from .languages import LANGUAGE, LANGUAGES, Language, load_translations, po_path  # noqa: F401  -- also read through i18n
from .paths import MESSAGES_DOMAIN, SOURCES_FILE, TRANSLATIONS_DIR  # noqa: F401
from .problems import ContentError

if TYPE_CHECKING:
    from .messages import Message

log = logging.getLogger(__name__)

DOMAIN = MESSAGES_DOMAIN


@functools.lru_cache(maxsize=None)
def _locale(code: str) -> Locale:
    """Return Babel's locale of a language, parsed once (Babel parses a locale name anew at every call)."""
    return Locale.parse(LANGUAGE[code].babel)


def format_partial_date(value: str, code: str) -> str:
    """Return a YYYY[-MM[-DD]] date in the language's own form, at the precision given."""
    locale = _locale(code)
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return format_date(dt.date(*parts), "long", locale=locale)
    if len(parts) == 2:
        return format_skeleton("yMMMM", dt.date(parts[0], parts[1], 1), locale=locale)
    return format_skeleton("y", dt.date(parts[0], 1, 1), locale=locale)


def format_number(value: int, code: str) -> str:
    """Return a number formatted for the language."""
    return format_decimal(value, locale=_locale(code))


# --- Content translation status -------------------------------------------------------
# The record and the freshness rules live in freshness.py; these are the command's entry points.


def translation_status(root: Path) -> dict[str, dict[str, str]]:
    """Return {file: {field: 'missing' | 'stale' | 'unmarked'}} for every Chinese text that is not fresh."""
    from .freshness import all_states

    report: dict[str, dict[str, str]] = {}
    for state in all_states(root):
        if state.state != "fresh":
            report.setdefault(state.text.file, {})[state.text.field] = state.state
    return report


def status_lines(root: Path) -> tuple[list[str], int, int]:
    """Return the status report's lines, and how many texts are fresh out of how many.

    Each text that is not fresh is one `file:line: field: state` line; a stale
    one is followed by a word diff of its English since the translation was made.
    """
    from .freshness import all_states, word_diff
    from .messages import _

    states = all_states(root)
    lines = []
    for state in states:
        if state.state == "fresh":
            continue
        text = state.text
        lines.append(f"{text.file}:{text.line}: {text.field}: {_state_names()[state.state].render()}")
        if state.state == "stale":
            if state.old_english is None:
                lines.append("    " + _("(the English it was translated from was not kept; compare with the file's "
                                        "history)").render())
            else:
                lines += [f"    {hunk}" for hunk in word_diff(state.old_english, text.english)]
    fresh = sum(state.state == "fresh" for state in states)
    return lines, fresh, len(states)


class UnknownField(ValueError):
    """A field named on the command line is not a bilingual text of the file."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message  # shown later, in the language of whoever asked (the command line, an editor page)


def mark_translated(root: Path, files: list[Path], fields: list[str] | None = None) -> int:
    """Record that the Chinese of these fields (every field when None) was made from the current English.

    A field name also marks the texts inside it (`profile.keywords` marks every
    keyword). Every other record of the store is kept, and entries in the old,
    fingerprint-only format are upgraded where they are fresh. Return how many
    translations were recorded.
    """
    from .freshness import file_states, read_store, rerecord, write_store

    store = read_store(root)
    count = 0
    named = {path.resolve().relative_to(root).as_posix() for path in files}
    project = {path.resolve().relative_to(root).as_posix(): path for path in _content_files(root)}
    # Every content file, so that old fingerprint-only records are upgraded everywhere, and any other file named.
    for name, path in {**project, **{n: root / n for n in named if n not in project}}.items():
        try:
            states = file_states(root, path, store)
        except ContentError:
            if name in named:
                raise
            continue  # a draft elsewhere in the project: leave its records as they are
        marked: set[str] = set()
        if name in named:
            candidates = [s.text.field for s in states if s.text.chinese]
            if fields is None:
                marked = set(candidates)
            else:
                for wanted in fields:
                    hits = [f for f in candidates if f == wanted or f.startswith((wanted + ".", wanted + "["))]
                    if not hits:
                        raise UnknownField(_unknown_field_message(name, wanted, states))
                    marked.update(hits)
            count += len(marked)
        store[name] = rerecord(states, marked)
    write_store(root, store)
    return count


def _unknown_field_message(name: str, wanted: str, states) -> Message:
    import difflib

    from .messages import _

    all_fields = [s.text.field for s in states]
    if any(s.text.field == wanted or s.text.field.startswith((wanted + ".", wanted + "[")) for s in states):
        return _("%(file)s: %(field)s has no Chinese text to mark; translate it first", file=name, field=wanted)
    close = difflib.get_close_matches(wanted, all_fields, n=3)
    if close:
        return _("%(file)s: no bilingual field '%(field)s'; did you mean %(choices)s?", file=name, field=wanted,
                 choices=", ".join(close))
    return _("%(file)s: no bilingual field '%(field)s'; `i18n status` lists the fields by name", file=name,
             field=wanted)


def _state_names():
    from .messages import _

    return {"missing": _("missing"), "stale": _("stale"), "unmarked": _("not marked")}


def _content_files(root: Path) -> list[Path]:
    from .freshness import content_files

    return content_files(root)


def run(root: Path, args: argparse.Namespace) -> int:
    """Run an `i18n` action from the command line."""
    from .messages import _

    if args.i18n_command == "status":
        lines, fresh, total = status_lines(root)
        for line in lines:
            print(line)
        print(_("%(fresh)d/%(total)d Chinese texts complete and fresh (%(percent).1f%%)", fresh=fresh, total=total,
                percent=100 * fresh / total).render())
        return 1 if fresh < total else 0
    if args.i18n_command == "mark":
        named = [args.file, *args.fields] if args.all else [args.file]
        # A path is taken from the current folder when it leads into the project, else from the project's folder.
        files = [Path(f).resolve() if Path(f).resolve().is_relative_to(root) else (root / f).resolve() for f in named]
        for path in files:
            if not path.is_file() or not path.is_relative_to(root):
                print(_("i18n mark: no content file %(file)s in the project %(root)s", file=path, root=root).render(),
                      file=sys.stderr)
                return 2
        if not args.all and not args.fields:
            print(_("i18n mark: name the fields whose Chinese you revised (`i18n mark %(file)s profile.name …`), "
                    "or pass --all to record every field of the file as translated from its current English",
                    file=args.file).render(), file=sys.stderr)
            return 2
        try:
            count = mark_translated(root, files, None if args.all else list(args.fields))
        except UnknownField as exc:
            print(f"i18n mark: {exc.message.render()}", file=sys.stderr)
            return 2
        print(_("recorded %(count)d translation(s) as made from the current English", count=count).render())
        return 0
    if args.i18n_command == "migrate":
        mark_translated(root, [])
        print(_("%(file)s: every fresh translation now records the English it was made from",
                file=SOURCES_FILE).render())
        return 0
    if args.i18n_command == "export":
        return _export(root, args)
    if args.i18n_command == "glossary":
        from .termbase import write_glossary

        formats = ("tbx", "csv") if args.format == "all" else (args.format,)
        for path in write_glossary(root, Path(args.output) if args.output else root / "exchange", formats):
            print(_("wrote %(file)s", file=path).render())
        return 0
    if args.i18n_command == "import":
        return _import(root, args)
    if args.i18n_command == "update":
        from .catalogs import update_catalogs

        try:
            update_catalogs(root)
        except RuntimeError as exc:  # pybabel has said what is wrong
            print(_("i18n update: %(reason)s", reason=str(exc)).render(), file=sys.stderr)
            return 1
        return 0
    print(f"unknown action {args.i18n_command}", file=sys.stderr)
    return 2


def _export(root: Path, args: argparse.Namespace) -> int:
    from .exchange import export
    from .messages import _
    from .termbase import write_glossary

    formats = ("po", "xliff") if args.format == "all" else (args.format,)
    files = [(root / f).resolve() if not Path(f).resolve().is_relative_to(root) else Path(f).resolve()
             for f in args.files] or None
    for path in files or []:
        if not path.is_file():
            print(_("i18n export: no content file %(file)s", file=path).render(), file=sys.stderr)
            return 2
    output = Path(args.output) if args.output else root / "exchange"
    written, units = export(root, output, formats, files, pending_only=args.pending)
    written += write_glossary(root, output)  # the tools check the translation against it
    counts = {state: sum(u.state == state for u in units) for state in ("new", "stale", "translated")}
    for path in written:
        print(_("wrote %(file)s", file=path).render())
    print(_("%(units)d units: %(new)d new, %(stale)d stale, %(translated)d translated", units=len(units),
            **counts).render())
    return 0


def _import(root: Path, args: argparse.Namespace) -> int:
    from .exchange import apply_import, plan_import
    from .messages import _
    from .problems import display_path

    path = Path(args.file)
    if not path.is_file():
        print(_("i18n import: no such file: %(file)s", file=path).render(), file=sys.stderr)
        return 2
    plan = plan_import(root, path, display_path(path, root))
    changed = apply_import(root, plan)
    for warning in plan.warnings:
        print(warning, file=sys.stderr)
    fields = sum(len(c) for c in plan.changes.values())
    reviewed = sum(len(r) for r in plan.reviewed.values())
    for name in changed:
        print(_("updated %(file)s: %(fields)s", file=name, fields=", ".join(plan.changes[name])).render())
    print(_("imported %(fields)d translation(s) into %(files)d file(s), confirmed %(reviewed)d unchanged; "
            "%(pending)d unit(s) still new or marked for review were left as they are", fields=fields,
            files=len(changed), reviewed=reviewed, pending=plan.pending).render())
    return 0
