"""Which English each Chinese text was made from, and which Chinese texts are stale.

translations/content-sources.json keeps, for every translated field of every
content file, the English the Chinese was made from (as gettext keeps a
previous msgid) and a fingerprint of that Chinese:

    {"cases/x.yaml": {"profile.name": {"en": "Knowledge transfer", "zh": "3f2a…"}}}

Entries written before the English was kept hold only a 12-character
fingerprint of it (`"profile.name": "3914451dbef6"`); they are read as they
are, so the fresh/stale state they record stays the same, and are upgraded the
next time the file is written: a fresh one gets its current English recorded, a
stale one keeps its fingerprint (its old English is lost).
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

from pydantic import ValidationError

from .messages import _
from .problems import ContentError, Problem
from .yamlsource import Path_, dotted

SOURCES_FILE = Path("translations") / "content-sources.json"

State = Literal["fresh", "missing", "unmarked", "stale"]


def fingerprint(text: str) -> str:
    """Return a short fingerprint of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Record:
    """What one translation was made from."""

    english_fingerprint: str
    english: str | None = None  # None in entries written before the English was kept
    chinese_fingerprint: str | None = None

    @classmethod
    def made_from(cls, english: str, chinese: str) -> Record:
        """Return the record of a translation made now from `english`."""
        return cls(fingerprint(english), english, fingerprint(chinese))

    def to_json(self) -> str | dict[str, str]:
        if self.english is None:
            return self.english_fingerprint
        return {"en": self.english, "zh": self.chinese_fingerprint or ""}

    @classmethod
    def from_json(cls, value: str | dict[str, str]) -> Record:
        if isinstance(value, str):  # the old format: a fingerprint of the English alone
            return cls(value)
        return cls(fingerprint(value["en"]), value["en"], value.get("zh") or None)


Store = dict[str, dict[str, Record]]


def read_store(root: Path) -> Store:
    """Return the recorded sources of every content file's translations."""
    path = root / SOURCES_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: {field: Record.from_json(value) for field, value in fields.items()} for name, fields in data.items()}


def write_store(root: Path, store: Store) -> None:
    """Write the store whole, sorted, so that its diff shows only what changed."""
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    # One line per field: a re-translated field is a one-line change.
    files = []
    for name in sorted(n for n in store if store[n]):
        fields = ",\n".join(f"  {dump(field)}: {dump(store[name][field].to_json())}" for field in sorted(store[name]))
        files.append(f" {dump(name)}: {{\n{fields}\n }}")
    path = root / SOURCES_FILE
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text("{\n" + ",\n".join(files) + "\n}\n", encoding="utf-8")
    temporary.replace(path)


@dataclass(frozen=True)
class FieldText:
    """One bilingual text of a content file, where it is."""

    file: str
    line: int
    path: Path_
    english: str
    chinese: str
    markdown: bool = False  # a rich text: paragraphs, lists and headings

    @property
    def field(self) -> str:
        return dotted(self.path)


@dataclass(frozen=True)
class FieldState:
    """The translation state of one field."""

    text: FieldText
    state: State
    record: Record | None  # the record that makes it fresh, or the stale one

    @property
    def old_english(self) -> str | None:
        """Return the English the stale translation was made from, when it was kept."""
        return self.record.english if self.state == "stale" and self.record else None


def content_files(root: Path) -> list[Path]:
    """Return every content file holding bilingual text."""
    from .content import GUIDE_FILE, NEEDS_FILE, case_files, policy_files

    needs = [root / NEEDS_FILE] if (root / NEEDS_FILE).exists() else []
    return [root / GUIDE_FILE, *case_files(root), *policy_files(root), *needs]


def read_texts(root: Path, path: Path, *, read_from: Path | None = None) -> list[FieldText]:
    """Return the bilingual texts of a content file, validated leniently (drafts too).

    With `read_from`, read that file instead, as the content file `path` (a new version of it).
    """
    from .content import iter_texts, model_for
    from .models import RichText
    from .yamlsource import load_yaml

    name = path.resolve().relative_to(root).as_posix()
    document = load_yaml(read_from or path, name)
    try:
        value = model_for(root, path).model_validate(document.data)
    except ValidationError:
        raise ContentError([Problem(name, 1, 1, "", _("the file is not valid, so its translations cannot be checked"),
                                    _("run `python -m site_builder validate %(file)s` and fix what it reports",
                                      file=name))]) from None
    return [FieldText(name, document.position(field, key=True)[0], field, text.en, text.zh, isinstance(text, RichText))
            for field, text in iter_texts(value)]


def _siblings(field: Path_, records: dict[str, Record]) -> Iterator[Record]:
    """Yield the records of the other items of the list `field` is an item of (reordering is no change)."""
    last = max((i for i, part in enumerate(field) if isinstance(part, int)), default=None)
    if last is None:
        return
    tail = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in field[last + 1:])
    pattern = re.compile(re.escape(dotted(field[:last])) + r"\[\d+\]" + re.escape(tail))
    for name, record in records.items():
        if pattern.fullmatch(name):
            yield record


def field_state(text: FieldText, records: dict[str, Record]) -> FieldState:
    """Return whether the Chinese of `text` is missing, unmarked, stale or fresh."""
    if not text.chinese:
        return FieldState(text, "missing", None)
    english = fingerprint(text.english)
    record = records.get(text.field)
    if record and record.english_fingerprint == english:
        return FieldState(text, "fresh", record)
    chinese = fingerprint(text.chinese)
    for sibling in _siblings(text.path, records):
        if sibling.english_fingerprint == english and sibling.chinese_fingerprint == chinese:
            return FieldState(text, "fresh", sibling)  # the same pair of texts, moved within its list
    return FieldState(text, "stale" if record else "unmarked", record)


def file_states(root: Path, path: Path, store: Store) -> list[FieldState]:
    """Return the state of every bilingual field of one content file."""
    texts = read_texts(root, path)
    records = store.get(texts[0].file if texts else path.resolve().relative_to(root).as_posix(), {})
    return [field_state(text, records) for text in texts]


def all_states(root: Path, store: Store | None = None) -> list[FieldState]:
    """Return the state of every bilingual field of the project."""
    store = read_store(root) if store is None else store
    return [state for path in content_files(root) for state in file_states(root, path, store)]


def rerecord(states: list[FieldState], marked: set[str]) -> dict[str, Record]:
    """Return a file's records: new ones for `marked` fields, the kept ones (under today's paths) for the rest."""
    records: dict[str, Record] = {}
    for state in states:
        text = state.text
        if text.field in marked:
            records[text.field] = Record.made_from(text.english, text.chinese)
        elif state.state == "fresh":  # upgraded from a fingerprint, or moved within its list
            records[text.field] = Record.made_from(text.english, text.chinese)
        elif state.state == "stale" and state.record:
            records[text.field] = state.record
    return records


def word_diff(old: str, new: str, context: int = 4) -> list[str]:
    """Return the changes from `old` to `new`, one hunk a line: `… a [-b-]{+c+} d …` (¶ is a paragraph break)."""
    def words(text: str) -> list[str]:
        return ["¶" if token.strip() == "" else token for token in re.findall(r"\S+|\n[ \t]*\n\s*", text.strip())]

    a, b = words(old), words(new)
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        parts = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(" ".join(a[i1:i2]))
                continue
            removed = "[-" + " ".join(a[i1:i2]) + "-]" if i2 > i1 else ""
            added = "{+" + " ".join(b[j1:j2]) + "+}" if j2 > j1 else ""
            parts.append(removed + added)
        first, last = group[0], group[-1]
        lead = "… " if first[1] > 0 or first[3] > 0 else ""
        tail = " …" if last[2] < len(a) or last[4] < len(b) else ""
        hunks.append(lead + " ".join(p for p in parts if p) + tail)
    return hunks
