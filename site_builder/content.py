"""Load the project's content: read, validate and cross-check every file, then build the Site.

This is the first stage of the pipeline. It reports every problem of every
file in one run; nothing downstream ever sees content that failed here.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import inspect
import io
import logging
import pickle
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pydantic
import yaml
from pydantic import BaseModel

from . import models, validate, yamlsource
from .languages import LANGUAGE_CODES
from .messages import Message, _
from .models import Case, CaseChapter, Guide, NeedsAnalysis, Partner, Policy, RichText, Text, Theme
from .paths import CASES_DIR, GUIDE_FILE, NEEDS_FILE, PARSE_CACHE, POLICIES_DIR, is_project  # noqa: F401  -- also read as content.*
from .problems import ContentError, Problem, display_path
from .validate import validate_document
from .write import replace_file
from .yamlsource import NotRegularFile, YamlDocument, dotted, load_yaml, read_regular_file

log = logging.getLogger(__name__)

IMAGES_DIR = PurePosixPath(CASES_DIR) / "images"
IMAGE_FORMATS = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "GIF": (".gif",), "WEBP": (".webp",)}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Names that need no escaping in a URL, a file system or the PDF's links: no '#', '?', spaces or line breaks.
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Site:
    """All validated content, cases in guide order."""

    root: Path
    guide: Guide
    cases: tuple[Case, ...]
    draft: bool = False
    policies: tuple[Policy, ...] = ()
    needs: NeedsAnalysis | None = None

    def case(self, case_id: str) -> Case:
        """Return the case with this id."""
        return self._by_id[case_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, Case]:
        return {c.id: c for c in self.cases}

    def section_cases(self, number: str) -> list[Case]:
        """Return the cases of the partner section `number` (e.g. "3.2"), in order."""
        return [c for c in self.cases if c.section.rsplit(".", 1)[0] == number]

    def updates_of(self, case: Case) -> list[Case]:
        """Return the cases that update `case`."""
        return self._updates.get(case.id, [])

    @functools.cached_property
    def _updates(self) -> dict[str, list[Case]]:
        updates: dict[str, list[Case]] = {}
        for c in self.cases:
            if c.update_of is not None:
                updates.setdefault(c.update_of, []).append(c)
        return updates

    def policies_for(self, case: Case) -> list[Policy]:
        """Return the policies that share a theme with `case`."""
        return [p for p in self.policies if set(p.themes) & set(case.themes)]

    def cases_for(self, policy: Policy, limit: int = 8) -> list[Case]:
        """Return the cases most related to `policy`: most themes shared first, at most `limit`.

        Among cases sharing as many themes, one whose themes the policy covers more fully
        comes first (it is about less else), then guide order.
        """
        wanted = set(policy.themes)
        sharing = [c for c in self.cases if wanted & set(c.themes)]
        ranked = sorted(sharing, key=lambda c: (-len(wanted & set(c.themes)),
                                                -len(wanted & set(c.themes)) / len(set(c.themes)), c.section_key))
        return ranked[:limit]

    def chapter_of(self, case: Case) -> tuple[CaseChapter, str]:
        """Return the chapter that holds `case` and the number of its partner's section (e.g. "3.2")."""
        number = case.section.rsplit(".", 1)[0]
        chapter = next(ch for ch in self.guide.case_chapters if any(s.number == number for s in ch.sections))
        return chapter, number


def case_files(root: Path) -> list[Path]:
    """Return the project's case files, sorted."""
    return sorted((root / CASES_DIR).glob("*.yaml"))


def policy_files(root: Path) -> list[Path]:
    """Return the project's policy files, sorted."""
    return sorted((root / POLICIES_DIR).glob("*.yaml"))


def model_for(root: Path, path: Path) -> type[BaseModel]:
    """Return the model of a content file, from where it lies in the project."""
    resolved = path.resolve()
    if resolved == (root / GUIDE_FILE).resolve():
        return Guide
    if resolved == (root / NEEDS_FILE).resolve():
        return NeedsAnalysis
    return Policy if resolved.parent.name == POLICIES_DIR else Case


def load_guide(root: Path) -> Guide:
    """Load and check the guide data alone; raise ContentError when it is wrong."""
    problems: list[Problem] = []
    _doc, guide = _load(root, root / GUIDE_FILE, Guide, problems)
    if guide is None or any(p.severity == "error" for p in problems):
        raise ContentError(problems)
    return guide


def taken_sections(root: Path) -> set[str]:
    """Return the section numbers the case files use, reading them leniently."""
    taken = set()
    for path in case_files(root):
        try:
            data = load_yaml(path, path.name).data
        except ContentError:
            continue
        if isinstance(data, dict) and isinstance(data.get("section"), str):
            taken.add(data["section"])
    return taken


def load_site(root: Path, *, draft: bool = False, files: list[Path] | None = None,
              parsed: ParsedFiles | None = None, case_paths: list[Path] | None = None) -> tuple[Site, list[Problem]]:
    """Load and check the project at `root`; return the Site and its warnings.

    Raise ContentError with every problem found when anything is wrong. With
    `files`, those case files are checked in place of the project's own. With
    `parsed`, files read before are taken from it (see ParsedFiles). With `case_paths`,
    those are the project's case files (one not written yet, say) instead of cases/*.yaml.
    """
    problems: list[Problem] = []
    guide_doc, guide = _load(root, root / GUIDE_FILE, Guide, problems, parsed)
    needs_path = root / NEEDS_FILE
    if files is None:
        chosen_cases, chosen_policies = case_files(root) if case_paths is None else case_paths, policy_files(root)
        chosen_needs = needs_path if needs_path.exists() else None
    else:  # files named on the command line: each is checked as what its place in the project holds
        kinds = {f: model_for(root, f) for f in files}
        chosen_policies = [f for f, kind in kinds.items() if kind is Policy]
        chosen_needs = next((f for f, kind in kinds.items() if kind is NeedsAnalysis), None)
        chosen_cases = [f for f, kind in kinds.items() if kind is Case]
    # A case file named on the command line may be a draft under any name; the project's own are named by id.
    loaded = _load_all(root, chosen_cases, Case, problems, named_by_id=files is None, parsed=parsed)
    policies = _load_all(root, chosen_policies, Policy, problems, named_by_id=True, parsed=parsed)
    needs_doc, needs = _load(root, chosen_needs, NeedsAnalysis, problems, parsed) if chosen_needs else (None, None)
    if guide_doc and guide:
        problems += _check_guide(guide_doc, guide)
        problems += _check_cases(root, guide, loaded, draft)
        problems += _check_policies(guide, policies)
    if needs_doc and needs:
        problems += _check_charts(needs_doc, needs)
    documents = ([(guide_doc, guide)] if guide else []) + loaded + policies + ([(needs_doc, needs)] if needs else [])
    for doc, model in documents:
        problems += _check_languages(doc, model, draft)
        problems += _check_rich_text(doc, model, draft)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ContentError(problems)
    cases = tuple(sorted((case for _, case in loaded), key=lambda c: c.section_key))
    ordered_policies = tuple(sorted((p for _, p in policies), key=lambda p: (p.jurisdiction != "national", p.date, p.id)))
    assert guide is not None
    return Site(root=root, guide=guide, cases=cases, draft=draft, policies=ordered_policies, needs=needs), sorted(problems)


def _load_all(root: Path, paths: list[Path], model: type[BaseModel], problems: list[Problem], *,
              named_by_id: bool, parsed: ParsedFiles | None = None) -> list[tuple[YamlDocument, Any]]:
    """Load files of one model; with `named_by_id`, each file's name must be its id."""
    loaded = []
    for path in paths:
        doc, item = _load(root, path, model, problems, parsed)
        if doc and item:
            loaded.append((doc, item))
            if named_by_id and item.id != path.stem:
                problems.append(_at(doc, ("id",), _("id '%(id)s' differs from the file name '%(file)s'", id=item.id, file=path.name),
                                    _("rename the file to %(id)s.yaml, or set id: %(stem)s", id=item.id, stem=path.stem)))
    return loaded


class ParsedFiles(dict):
    """What reading and checking each file gave, by path: for callers that load the same project again and again.

    The live preview keeps one and forgets the paths its watcher saw change, so that
    a pass reads again only the files that changed.
    """

    def forget(self, root: Path, changed: set[str]) -> None:
        """Forget the files at these project paths (relative to `root`)."""
        for name in changed:
            self.pop(root / name, None)


def _load(root: Path, path: Path, model: type[BaseModel], problems: list[Problem], parsed: ParsedFiles | None = None):
    if parsed is None:
        return _read(root, path, model, problems)
    if path not in parsed:
        found: list[Problem] = []
        parsed[path] = (_read(root, path, model, found), found)
    loaded, found = parsed[path]
    problems += found
    return loaded


@functools.lru_cache(maxsize=1)
def reader_version() -> bytes:
    """Return a fingerprint of the code that reads and checks a file, so that a change to it empties the parse cache."""
    digest = hashlib.sha256(f"{sys.version}|pydantic {pydantic.VERSION}|yaml {yaml.__version__}".encode())
    for module in (yamlsource, models, validate):
        digest.update(Path(inspect.getfile(module)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.digest()


def _read(root: Path, path: Path, model: type[BaseModel], problems: list[Problem]):
    """Read and check one file, through the parse cache in .cache/parsed/ when it can be used."""
    try:
        raw = read_regular_file(path, 2 * 1024 * 1024)  # never a pipe or a device: it could block
    except OSError:  # _parse reports it, located
        return _parse(root, path, model, problems)
    key = hashlib.sha256(reader_version() + b"\0" + str(path).encode() + b"\0" + model.__name__.encode() + b"\0"
                         + raw).hexdigest()
    cached = root / PARSE_CACHE / f"{key}.pickle"
    try:
        loaded, found = pickle.loads(cached.read_bytes())
    except Exception:  # missing, or written by another version: read the file
        found = []
        loaded = _parse(root, path, model, found)
        try:
            replace_file(root / PARSE_CACHE, cached.name, pickle.dumps((loaded, found), pickle.HIGHEST_PROTOCOL))
        except OSError as error:  # a read-only project still builds
            log.debug("parse cache not written: %s", error)
    problems += found
    return loaded


def parsed_as(root: Path, path: Path, text_file: Path) -> ParsedFiles:
    """Return what reading the case file `path` gives when it holds the text of `text_file` (a version not saved yet).

    Handed to load_site, it checks that text exactly as the project's file, with its messages naming `path`.
    """
    found: list[Problem] = []
    parsed = ParsedFiles()
    parsed[path] = (_parse(root, text_file, Case, found, shown=display_path(path, root)), found)
    return parsed


def _parse(root: Path, path: Path, model: type[BaseModel], problems: list[Problem], shown: str | None = None):
    file = shown or display_path(path, root)
    try:
        doc = load_yaml(path, file)
    except ContentError as exc:
        problems += exc.problems
        return None, None
    problems += doc.problems
    if not isinstance(doc.data, dict):
        problems.append(Problem(file, 1, 1, "", _("expected fields (`key: value` lines) at the top level"),
                                _("start from `python -m site_builder new`, which writes every field")))
        return doc, None
    value, found = validate_document(doc, model)
    problems += found
    return doc, value


def _at(doc: YamlDocument, path: tuple, message: str, hint: str, severity: str = "error") -> Problem:
    line, column = doc.position(path)
    return Problem(doc.file, line, column, dotted(path), message, hint, severity)  # type: ignore[arg-type]


def _check_guide(doc: YamlDocument, guide: Guide) -> list[Problem]:
    problems = []
    groups: list[tuple[str, Sequence[Partner | Theme]]] = [("partners", guide.partners), ("themes", guide.themes)]
    for kind, items in groups:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(_at(doc, (kind, i, "id"), _("duplicate id '%(id)s'", id=item.id),
                                                _("give each entry its own id")))
            seen.add(item.id)
    partner_ids = {p.id for p in guide.partners}
    for c, chapter in enumerate(guide.case_chapters):
        for s, section in enumerate(chapter.sections):
            if section.partner not in partner_ids:
                problems.append(_at(doc, ("case_chapters", c, "sections", s, "partner"),
                                    _("unknown partner '%(id)s'", id=section.partner), _choices(section.partner, partner_ids)))
    return problems


def _check_cases(root: Path, guide: Guide, loaded: list[tuple[YamlDocument, Case]], draft: bool) -> list[Problem]:
    problems: list[Problem] = []
    sections = {s.number: (s, ch) for ch in guide.case_chapters for s in ch.sections}
    partner_ids = {p.id for p in guide.partners}
    theme_ids = {t.id for t in guide.themes}
    problems += _duplicates(loaded, "id", _("every case needs its own id"))
    problems += _duplicates(loaded, "section", _("run `python -m site_builder new` to get the next free number"))
    by_id = {case.id for _, case in loaded}
    for doc, case in loaded:
        if case.partner not in partner_ids:
            problems.append(_at(doc, ("partner",), _("unknown partner '%(id)s'", id=case.partner), _choices(case.partner, partner_ids)))
        parent = case.section.rsplit(".", 1)[0]
        if parent not in sections:
            problems.append(_at(doc, ("section",), _("section %(number)s is in no partner section of the guide", number=case.section),
                                _("use a number under one of %(numbers)s", numbers=", ".join(sorted(sections)))))
        else:
            section, chapter = sections[parent]
            if section.partner != case.partner:
                problems.append(_at(doc, ("partner",), _("section %(number)s belongs to partner '%(id)s'", number=parent, id=section.partner),
                                    _("set partner: %(id)s, or move the case to that partner's section",
                                      id=section.partner)))
            if chapter.region != case.region:
                problems.append(_at(doc, ("region",), _("chapter %(number)s holds %(region)s cases", number=chapter.number, region=chapter.region),
                                    _("set region: %(region)s", region=chapter.region)))
        problems += _unknown_themes(doc, case.themes, theme_ids)
        problems += _check_telephone(doc)
        for i, author in enumerate(case.authors):
            if not author.name:
                problems.append(_at(doc, ("authors", i, "name"), _("the author's name is empty"),
                                    _("write the name exactly as the source gives it, or remove the author"),
                                    "warning" if draft else "error"))
        if case.image and case.image.file:
            problems += _check_image(root, doc, case.image.file)
    for doc, case in loaded:
        if case.update_of is not None and (case.update_of not in by_id or case.update_of == case.id):
            hint = _("name the id of another case") if case.update_of == case.id else _choices(case.update_of, by_id)
            problems.append(_at(doc, ("update_of",), _("'%(id)s' is not another case's id", id=case.update_of), hint))
    return problems


_NUMBER_WITH_LEADING_ZERO = re.compile(r"^\s*telephone:\s*(0[0-9]+)\s*(#.*)?$")


def _check_telephone(doc: YamlDocument) -> list[Problem]:
    """Warn where a telephone number starting with 0 is written without quotes: YAML reads it as a number."""
    style, line, _last = doc.scalars.get(("contact", "telephone"), ("", 0, 0))
    source = doc.source_lines()
    if style is not None or not 0 < line <= len(source) or not (m := _NUMBER_WITH_LEADING_ZERO.match(source[line - 1])):
        return []
    return [_at(doc, ("contact", "telephone"), _("%(number)s is read as a number, which drops its leading 0",
                                                  number=m.group(1)),
                _("put it in quotes: telephone: \"%(number)s\"", number=m.group(1)), "warning")]


def _check_policies(guide: Guide, loaded: list[tuple[YamlDocument, Policy]]) -> list[Problem]:
    problems = _duplicates(loaded, "id", _("every policy needs its own id"))
    theme_ids = {t.id for t in guide.themes}
    for doc, policy in loaded:
        problems += _unknown_themes(doc, policy.themes, theme_ids)
    return problems


def _duplicates(loaded: list[tuple[YamlDocument, Any]], key: str, hint: str) -> list[Problem]:
    """Report, in every file that shares it, a value of `key` that must be unique."""
    users: dict[str, list[YamlDocument]] = {}
    for doc, item in loaded:
        users.setdefault(getattr(item, key), []).append(doc)
    problems = []
    for value, docs in users.items():
        for doc in docs if len(docs) > 1 else []:
            others = ", ".join(d.file for d in docs if d is not doc)
            problems.append(_at(doc, (key,), _("%(key)s %(value)s is also used by %(others)s", key=key, value=value, others=others),
                                hint))
    return problems


def _unknown_themes(doc: YamlDocument, themes: list[str], theme_ids: set[str]) -> list[Problem]:
    return [_at(doc, ("themes", i), _("unknown theme '%(id)s'", id=theme), _choices(theme, theme_ids))
            for i, theme in enumerate(themes) if theme not in theme_ids]


def _check_charts(doc: YamlDocument, needs: NeedsAnalysis) -> list[Problem]:
    problems = []
    for c, chart in enumerate(needs.charts):
        series = {s.id for s in chart.series}
        for r, row in enumerate(chart.rows):
            for key, value in row.values.items():
                path = ("charts", c, "rows", r, "values", key)
                if key not in series:
                    problems.append(_at(doc, path, _("unknown series '%(id)s'", id=key), _choices(key, series)))
                elif value is not None and not 0 <= value <= 100:
                    problems.append(_at(doc, path, _("%(value)s is not a percentage", value=value),
                                                  _("give a number from 0 to 100")))
    return problems


def image_output_path(file: str) -> str:
    """Return where a case's image goes under the output folder: its place under the images folder."""
    return (IMAGES_DIR / PurePosixPath(file).relative_to(IMAGES_DIR)).as_posix()


def _check_image(root: Path, doc: YamlDocument, file: str) -> list[Problem]:
    """Check that an image lies in the images folder, has a plain name, and is a readable picture."""
    def problem(message: Message, hint: Message) -> list[Problem]:
        return [_at(doc, ("image", "file"), message, hint)]

    where = _("put the image under %(folder)s/ and give its path from the project root, e.g. %(folder)s/diagram.png",
              folder=str(IMAGES_DIR))
    path = (root / file).resolve()
    if not path.is_relative_to(root.resolve()):
        return problem(_("'%(file)s' lies outside the project", file=file), where)
    written = PurePosixPath(file)
    if written.is_absolute() or "\\" in file or ".." in written.parts or written.parts[:2] != IMAGES_DIR.parts \
            or len(written.parts) < 3:
        return problem(_("'%(file)s' is not in %(folder)s/", file=file, folder=str(IMAGES_DIR)), where)
    bad = next((part for part in written.parts[2:] if not _IMAGE_NAME.match(part)), None)
    if bad is not None:
        return problem(_("the image name '%(name)s' has characters that break web addresses", name=bad),
                       _("rename the file with letters, digits, '-', '_' and '.' only, e.g. lab-diagram.png"))
    if not path.is_relative_to((root / IMAGES_DIR).resolve()):
        return problem(_("'%(file)s' leads out of %(folder)s/ through a link", file=file, folder=str(IMAGES_DIR)),
                       _("copy the image itself into the folder"))
    if not path.exists():
        return problem(_("image '%(file)s' does not exist", file=file),
                       _("check the path (relative to the project root) and the file name's capital letters"))
    try:
        data = read_regular_file(path, MAX_IMAGE_BYTES)
    except NotRegularFile as exc:
        return problem(_("'%(file)s' is %(kind)s, not an image file", file=file, kind=exc.strerror),
                       _("give the path of an image file"))
    except OSError as exc:
        return problem(_("image '%(file)s' cannot be read (%(reason)s)", file=file, reason=exc.strerror),
                       _("check the file's permissions"))
    if len(data) > MAX_IMAGE_BYTES:
        return problem(_("image '%(file)s' is over %(size)d MB", file=file, size=MAX_IMAGE_BYTES // 1_048_576),
                       _("save it smaller; a page shows it a few hundred pixels wide"))
    kinds = ", ".join(suffix for suffixes in IMAGE_FORMATS.values() for suffix in suffixes)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as picture:
            found = picture.format
            picture.verify()
    except Exception:  # Pillow raises many kinds of error for a damaged or foreign file
        return problem(_("'%(file)s' is not a readable image", file=file), _("save it as one of %(kinds)s", kinds=kinds))
    if found not in IMAGE_FORMATS:
        return problem(_("'%(file)s' is a %(format)s image, which the site does not show", file=file, format=found),
                       _("save it as one of %(kinds)s", kinds=kinds))
    if PurePosixPath(file).suffix.lower() not in IMAGE_FORMATS[found]:
        return problem(_("'%(file)s' holds a %(format)s image under another extension", file=file, format=found),
                       _("rename it to end in %(suffix)s", suffix=IMAGE_FORMATS[found][0]))
    return []


def _check_languages(doc: YamlDocument, model: BaseModel, draft: bool) -> list[Problem]:
    severity = "warning" if draft else "error"
    problems = []
    for path, text in iter_texts(model):
        for lang in LANGUAGE_CODES:
            if not text.get(lang):
                other = "zh" if lang == "en" else "en"
                if not text.get(other):
                    # A draft may hold fields still to fill in (the untouched scaffold does).
                    problems.append(_at(doc, path, _("the text is empty in both languages"),
                                        _("write the text, or remove the field if the source has nothing"), severity))
                    break
                message = _("Chinese text is missing") if lang == "zh" else _("English text is missing")
                if lang == "zh":
                    hint = _("add the translation as `zh:`") if draft else \
                        _("add the translation as `zh:`, or build with --draft")
                else:
                    hint = _("add the English text as `en:`") if draft else \
                        _("add the English text as `en:`, or build with --draft")
                problem = _at(doc, path + (lang,), message, hint, severity)
                if path + (lang,) not in doc.keys and path in doc.keys:  # no `zh:` line: point at the text's key
                    problem = dataclasses.replace(problem, line=doc.keys[path][0], column=doc.keys[path][1])
                problems.append(problem)
    return problems


# A line that starts with a bullet pasted from Word or WPS, or with Chinese-style numbering.
_PASTED_BULLET = re.compile(r"^(\s*)([•●▪·◦■]\s*|(\d{1,2})\s*、\s*|[（(](\d{1,2})[）)]\s*|([①-⑳])\s*)(?=\S)")
# What makes a folded line a paragraph or an item of its own: a blank line, a Markdown list item or heading.
_BLOCK_START = re.compile(r"^\s*(?:$|[-*+]\s|\d{1,2}[.)]\s|#{1,6}\s|[•●▪·◦■]|\d{1,2}\s*、|[（(]\d{1,2}[）)]|[①-⑳])")


def _check_rich_text(doc: YamlDocument, model: BaseModel, draft: bool) -> list[Problem]:
    """Report rich text that the site would show otherwise than the editor meant.

    - Several paragraphs or list items written without `|`: YAML folds their lines into
      one paragraph (a warning in a draft, an error otherwise).
    - A bullet pasted from Word or WPS, or Chinese-style numbering, at the start of a line:
      an error that shows the Markdown to write. It is not converted silently: `·` is also
      the middle dot of transliterated names, and `1、` may start a sentence of a paragraph,
      so only the editor can tell a list from text.
    """
    problems = []
    source = doc.source_lines()
    for path, text in iter_texts(model):
        if not isinstance(text, RichText):
            continue
        for lang in LANGUAGE_CODES:
            where = path + (lang,)
            style, first, last = doc.scalars.get(where, (None, 0, 0))
            value = text.get(lang)
            if style != "|" and last > first and any(_BLOCK_START.match(line) for line in source[first:last]):
                problems.append(_at(doc, where, _("these lines are joined into one paragraph"),
                                    _("write `|` after `%(lang)s:` and the text on the lines below it, indented; then a "
                                      "blank line separates paragraphs and each \"- \" line is a list item", lang=lang),
                                    "warning" if draft else "error"))
            for k, line in enumerate(value.split("\n")):
                if not (m := _PASTED_BULLET.match(line)):
                    continue
                number = m.group(3) or m.group(4) or (str(ord(m.group(5)) - ord("①") + 1) if m.group(5) else None)
                markdown = f"{m.group(1)}{number + '. ' if number else '- '}{line[m.end():]}"
                if style == "|" and first + k < len(source):
                    line_no = first + 1 + k
                    column = len(source[line_no - 1]) - len(source[line_no - 1].lstrip()) + 1
                else:
                    line_no, column = doc.position(where)
                problems.append(Problem(doc.file, line_no, column, dotted(where),
                                        _("the line starts with “%(mark)s”, which the site shows as plain text, not as a list",
                                          mark=m.group(2).strip()),
                                        _("write a Markdown list item: %(markdown)s", markdown=markdown.strip())))
    return problems


def iter_texts(value: object, path: tuple = ()) -> Iterator[tuple[tuple, Text]]:
    """Yield (path, Text) for every bilingual text inside a model, in field order."""
    if isinstance(value, Text):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from iter_texts(getattr(value, name), path + (name,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from iter_texts(item, path + (i,))


def _choices(given: str, known: set[str]) -> str:
    close = difflib.get_close_matches(given, sorted(known), n=1, cutoff=0.5)
    return _("did you mean '%(name)s'?", name=close[0]) if close else _("known: %(names)s", names=", ".join(sorted(known)))
