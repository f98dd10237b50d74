"""Read a YAML content file safely, remembering where every value came from.

PyYAML's safe composer gives us the node tree with line and column marks; we
build plain Python values from it ourselves so that we can refuse what a
content file must never do (custom tags, duplicate keys, alias bombs, deep
nesting) and point at the exact place when anything is wrong.

Where PyYAML was built with libyaml, its C parser and composer read the file:
about twenty times faster than the pure-Python ones, with the same node marks.
The pure-Python reader stays the reference. It reads again any file the C one
fails on, so that every message and position is its own, and it alone reads
a file holding anything the two treat differently (see `_fast_unsafe`).
"""
from __future__ import annotations

import bisect
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .messages import Message, _
from .problems import ContentError, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 40
MAX_VALUES = 100_000  # values built, counting every alias expansion: bounds "billion laughs"
MAX_INT_BITS = 64  # content numbers are years and percentages; a huge one cannot even be printed

Path_ = tuple[str | int, ...]



def _yaml_12_core(loader: type) -> type:
    """Return `loader` resolving plain values as YAML 1.2's core schema does, as the editor's plugin reads them.

    PyYAML follows YAML 1.1, where `NO`, `yes`, `on` and `off` are yes/no values,
    `010` is octal 8 and `1_000` is a number; in YAML 1.2 (yaml-language-server) the
    first four are text, `010` is 10 and `1_000` is text. The known recipe: a loader
    subclass whose implicit resolvers are YAML 1.2's (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
    """
    class Loader(loader):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers: dict = {}

    for tag, pattern, first in (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ):
        Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))
    Loader.__name__ = Loader.__qualname__ = f"Yaml12{loader.__name__}"
    return Loader


_LOADER: type = _yaml_12_core(yaml.SafeLoader)
# libyaml's C reader, where this PyYAML has it; None makes every file go through the pure-Python one.
_FAST_LOADER: type | None = (_yaml_12_core(yaml.CSafeLoader) if getattr(yaml, "__with_libyaml__", False)
                             and hasattr(yaml, "CSafeLoader") else None)
_UNSAFE_CHARACTERS = re.compile(r"[\t\x85\u2028\u2029\ufeff]")
_UNSAFE_BUT_TAB = re.compile(r"[\x85\u2028\u2029\ufeff]")
_QUOTED_OR_BLOCK = ("'", '"', "|", ">")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters a value may not hold even when written as an escape ("\x01", "\ud800"): control
# characters other than tab and line breaks, lone surrogates and non-characters break the
# XML feed, the CSV and the UTF-8 files the build writes.
_BAD_IN_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_KEY_INDICATOR = re.compile(r"[\s\[\]{},:]\?")
_COMMENT_AFTER_INDICATOR = re.compile(r"[|>][-+0-9]*#")


# What YAML 1.1 does not allow in a stream (PyYAML's Reader.NON_PRINTABLE).
_UNPRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _fast_unsafe(text: str) -> bool:
    """Return whether libyaml may read `text` differently from the pure-Python reader.

    A file holding any of these is read by the pure-Python reader alone:
    - a tab (libyaml takes one after `key:` or `- ` for a space; the other refuses it);
    - a byte-order mark after the start (libyaml skips one at the start of any line);
    - NEL and the Unicode line and paragraph separators (line breaks to YAML, which the
      check for document markers below would not see);
    - `?` where it can start an explicit key (`? key`, `{? }`: empty values placed differently);
    - document markers (an empty `---` at the end of a file without a final newline, likewise);
    - a comment right after a block scalar's `|` or `>` (libyaml takes `|#`; the other refuses it).
    `_check_events` catches the rest, which only the parsed events show (see there).
    Written as several small tests: one regular expression for all of it is several times slower.
    """
    return bool(
        _UNSAFE_CHARACTERS.search(text) or _fast_unsafe_structure(text))


def _fast_unsafe_structure(text: str) -> bool:
    """Return whether `text` holds one of the constructs the two readers place differently (see above)."""
    return bool(
        ("?" in text and (text.startswith("?") or _KEY_INDICATOR.search(text)))
        or text.startswith(("---", "...")) or any(f"{eol}{marker}" in text for eol in "\n\r" for marker in ("---", "..."))
        or _COMMENT_AFTER_INDICATOR.search(text)
    )


class _ReadAgain(Exception):
    """The fast reader met something the pure-Python reader may read differently."""


_DECIMAL = re.compile(r"^[-+]?[0-9]+$")

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


@dataclass
class YamlDocument:
    """A parsed file: its data and the position of each value and key."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found while reading, e.g. duplicate keys
    # Each text value's style (None plain, '|' literal, '>' folded, quotes) and first and last line:
    # what the checks of rich text need to tell a folded paragraph from a `|` block.
    scalars: dict[Path_, tuple[str | None, int, int]] = field(default_factory=dict)
    text: str = ""

    def source_lines(self) -> list[str]:
        """Return the file's lines as its positions count them: not split at NEL, U+2028 or U+2029."""
        return _LINE_BREAK.split(self.text)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Return (line, column) of the value at `path`, or of its nearest known parent."""
        table = self.keys if key else self.values
        for cut in range(len(path), -1, -1):
            prefix = tuple(path[:cut])
            if prefix in table:
                return table[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)


class NotRegularFile(OSError):
    """A path names something other than a regular file (a pipe, a device, a folder)."""


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """Return the bytes of `path`, refusing anything but a regular file (a FIFO would block forever).

    With `limit`, read at most limit + 1 bytes, so that the caller can tell the file is too large.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _("a folder") if stat.S_ISDIR(mode) else _("a named pipe") if stat.S_ISFIFO(mode) \
                else _("not a regular file")
            raise NotRegularFile(0, kind, str(path))
        chunks, size = [], 0
        while limit is None or size <= limit:
            chunk = os.read(fd, 1 << 20 if limit is None else min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_yaml(path: Path, file: str) -> YamlDocument:
    """Parse `path` (shown as `file` in messages) or raise ContentError.

    Problems that leave the data usable (a duplicate key: the first one wins)
    are kept in `problems` so that validation can go on and report the rest.
    """
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        raise _error(file, 1, 1, _("this is %(kind)s, not a file", kind=exc.strerror),
                     _("content files must be plain files; remove it or move it out of the folder")) from None
    except OSError as exc:
        raise _error(file, 1, 1, _("cannot read the file (%(reason)s)", reason=exc.strerror),
                     _("check that it exists and is readable")) from None
    return parse_yaml(raw, path, file)


def parse_yaml(raw: bytes, path: Path, file: str) -> YamlDocument:
    """Parse the bytes of `path` read by read_regular_file(path, MAX_FILE_BYTES), or raise ContentError (see load_yaml)."""
    if len(raw) > MAX_FILE_BYTES:
        size = path.stat().st_size
        raise _error(file, 1, 1, _("file is %(size)s bytes, over the %(limit)s-byte limit",
                                   size=f"{size:,}", limit=f"{MAX_FILE_BYTES:,}"),
                     _("a case file is a few dozen kilobytes; check that this is the right file"))
    text = _decode(raw, file)
    lines = _Lines(text)
    root = _compose(text, file, lines)
    doc = YamlDocument(file=file, data=None)
    if root is None:
        raise _error(file, 1, 1, _("the file is empty"), _("start from `python -m site_builder new`"))
    doc.text = text
    builder = _Builder(doc, lines)
    doc.data = builder.build(root, ())
    doc.problems = builder.problems
    return doc


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _error(file, line, column, _("the file is not valid UTF-8 (byte 0x%(byte)02x)", byte=raw[exc.start]),
                     _("save the file as UTF-8 in your editor")) from None
    # Characters YAML refuses (PyYAML's reader would raise an unlocated error): often pasted in from a PDF.
    if bad := _UNPRINTABLE.search(text):
        text_before = text[: bad.start()]
        line, column = text_before.count("\n") + 1, bad.start() - (text_before.rfind("\n") + 1) + 1
        raise _error(file, line, column, _("the file contains the control character U+%(code)04X", code=ord(bad.group())),
                     _("delete it (it is invisible in most editors; it often comes from copying out of a PDF)"))
    return text


class _Lines:
    """Turn a reader's character index into the line and column an editor shows.

    YAML counts NEL, U+2028 and U+2029 as line breaks, editors do not: positions are
    computed from the index, counting only CR, LF and CRLF.
    """

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def place(self, mark) -> tuple[int, int]:
        index = mark.index
        line = bisect.bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1


@dataclass(frozen=True)
class _Index:
    """A position in the text, for `_Lines.place`."""

    index: int


def _compose(text: str, file: str, lines: _Lines) -> yaml.Node | None:
    """Return the node tree of `text` (None when it holds no document), or raise ContentError."""
    if _FAST_LOADER is not None:
        fast = not _fast_unsafe(text)
        if not fast and "\t" in text and not _UNSAFE_BUT_TAB.search(text):
            # The pure-Python reader takes seconds on a large file: decide about tabs with the fast one.
            fast = _tabs_only_in_quotes(text, file, lines, _FAST_LOADER) and not _fast_unsafe_structure(text)
        if fast:
            try:
                _check_events(text, file, lines, _FAST_LOADER)
                return yaml.compose(text, Loader=_FAST_LOADER)
            except (yaml.YAMLError, ContentError, _ReadAgain):
                pass  # read it again below: the messages and positions are the pure-Python reader's
    loader = _CheckedLoader(text, file, lines)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text, lines) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; still report them cleanly
        raise _error(file, 1, 1, _("YAML error: %(detail)s", detail=str(exc)), _("check the file's syntax")) from None
    except (ValueError, OverflowError, KeyError) as exc:  # e.g. an escape beyond Unicode, "\U00110000"
        line, column = lines.place(loader.get_mark())
        raise _error(file, line, column, _("cannot read this value (%(detail)s)", detail=str(exc)),
                     _("check the escape sequences (\\x, \\u, \\U) in the quoted text here")) from None
    finally:
        loader.dispose()


def _tabs_only_in_quotes(text: str, file: str, lines: _Lines, loader: type) -> bool:
    """Return whether every tab lies in quoted text; report one the pure-Python reader would refuse.

    That reader refuses a tab anywhere outside quoted text, block text and comments;
    when the first such tab is certain, it is reported here without the slow reader.
    Inside quoted text the two readers agree on tabs (23,331 random quoted values with
    tabs read alike); in block text (`|`, `>`) they do not, nor always on comments.
    """
    spans: list[tuple[int, int, bool]] = []  # start, end, quoted (else block)
    end = len(text)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.ScalarEvent) and event.style in _QUOTED_OR_BLOCK:
                assert event.start_mark is not None and event.end_mark is not None  # the parser marks every event
                spans.append((event.start_mark.index, event.end_mark.index, event.style in ("'", '"')))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        end = mark.index if mark else end
    starts = [start for start, _end, _quoted in spans]
    only_quoted = end == len(text)
    for match in re.finditer("\t", text):
        index = match.start()
        if index > end:
            return False
        i = bisect.bisect_right(starts, index) - 1
        if i >= 0 and spans[i][0] <= index < spans[i][1]:
            only_quoted = only_quoted and spans[i][2]
            continue
        line_start = text.rfind("\n", 0, index) + 1
        if "#" in text[line_start:index]:
            return False  # perhaps in a comment: leave it to the pure-Python reader
        line, column = lines.place(_Index(index))
        raise _error(file, line, column, _("YAML syntax error: %(cause)s", cause=_("a tab is used to indent or separate")),
                     _("indent with spaces, not tabs"))
    return only_quoted


class _CheckedLoader(_LOADER):  # type: ignore[misc, valid-type]
    """The pure-Python loader, checking each event as the composer takes it (one pass, not two)."""

    def __init__(self, text: str, file: str, lines: _Lines):
        super().__init__(text)
        self._checker = _EventChecker(file, lines, fast=False)

    def get_event(self):
        event = super().get_event()
        self._checker.check(event)
        return event


def _check_events(text: str, file: str, lines: _Lines, loader: type = _LOADER) -> None:
    """Refuse deep nesting and non-standard tags before composing (the composer recurses).

    With the fast loader, raise _ReadAgain where the pure-Python reader would read the
    file differently: in a flow collection, at a plain scalar holding `?` (it ends the
    scalar there and reports an error) and at an empty key or value (`[a: ]`, placed
    after the colon by it, at the next token by libyaml); anywhere, at an empty value
    tagged `!` (null for it, an empty string for libyaml).
    """
    checker = _EventChecker(file, lines, fast=loader is not _LOADER)
    try:
        for event in yaml.parse(text, Loader=loader):
            checker.check(event)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text, lines) from None


class _EventChecker:
    """Refuse deep nesting and non-standard tags, one parser event at a time."""

    def __init__(self, file: str, lines: _Lines, *, fast: bool):
        self.file, self.lines, self.fast = file, lines, fast
        self.depth = 0
        self.flow = 0  # depth inside flow collections

    def check(self, event) -> None:
        if self.fast:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.flow += 1 if self.flow or event.flow_style else 0
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.flow -= 1 if self.flow else 0
            elif isinstance(event, yaml.ScalarEvent) and (
                    (self.flow and not event.style and (not event.value or "?" in event.value))
                    or (event.tag == "!" and not event.value)):
                raise _ReadAgain
        tag = getattr(event, "tag", None)
        if tag and tag not in _STANDARD_TAGS and tag != "!":
            line, column = self.lines.place(event.start_mark)
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _error(self.file, line, column, _("the tag '%(tag)s' is not allowed", tag=shown),
                         _("remove the tag: content files hold plain text, lists and indented fields"))
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                line, column = self.lines.place(event.start_mark)
                raise _error(self.file, line, column, _("nesting is deeper than %(levels)d levels", levels=MAX_DEPTH),
                             _("flatten the structure; the template nests only a few levels"))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.depth -= 1


class _Builder:
    """Build plain values from nodes, recording positions and problems."""

    def __init__(self, doc: YamlDocument, lines: _Lines):
        self.doc = doc
        self.lines = lines
        self.problems: list[Problem] = []
        self.count = 0
        self.seen: set[int] = set()  # collections built so far: one met again came through an alias
        self.aliased = False
        self.open: set[int] = set()  # collections being built now: an alias to one of them never ends
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        line, column = self.lines.place(node.start_mark)
        if self.count > MAX_VALUES:
            if self.aliased:
                raise _error(self.doc.file, line, column,
                             _("aliases expand to more than %(count)s values", count=f"{MAX_VALUES:,}"),
                             _("do not use YAML anchors (&) and aliases (*) to repeat content"))
            raise _error(self.doc.file, line, column, _("the file holds more than %(count)s values", count=f"{MAX_VALUES:,}"),
                         _("a case has a few hundred; check that this is the right file"))
        if len(path) > MAX_DEPTH:  # aliases can nest lists deeper than the file's own indentation
            raise _error(self.doc.file, line, column, _("nesting is deeper than %(levels)d levels", levels=MAX_DEPTH),
                         _("do not use YAML anchors (&) and aliases (*) to repeat content"))
        self.doc.values.setdefault(path, (line, column))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            key = id(node)
            if key in self.open:
                raise _error(self.doc.file, line, column, _("an alias (*) refers to the list or mapping it is inside of"),
                             _("remove the alias: such a value never ends"))
            self.aliased = self.aliased or key in self.seen
            self.seen.add(key)
            self.open.add(key)
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            finally:
                self.open.discard(key)
        assert isinstance(node, yaml.ScalarNode)  # neither a mapping nor a list
        # Plain style: None from the pure-Python reader, "" from libyaml.
        self.doc.scalars[path] = (node.style or None, line, self.lines.place(node.end_mark)[0])
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep dates as written; the model checks their form
        if node.tag == "tag:yaml.org,2002:int" and isinstance(node.value, str) and _DECIMAL.match(node.value):
            value: Any = int(node.value, 10) if len(node.value) < 1000 else None  # YAML 1.2: 010 is ten
        else:
            try:
                value = self.constructor.construct_object(node)
            except Exception as exc:  # any value YAML can express, e.g. `!!int abc`, `!!bool maybe`
                self._problem(line, column, path, _("cannot read this value (%(detail)s)",
                                                    detail=str(getattr(exc, "problem", None) or exc)),
                              _("write it as plain text"))
                return None
        if value is None and node.tag == "tag:yaml.org,2002:int" or \
                isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            self._problem(line, column, path, _("this number is too large"),
                          _("write the number as the source gives it, in quotes if it is not a count or a year"))
            return None
        if isinstance(value, str) and (bad := _BAD_IN_VALUE.search(value)):
            self._problem(line, column, path, _("the text contains the control character U+%(code)04X", code=ord(bad.group())),
                          _("delete it (it is often written as an escape such as \\x01 in quoted text)"))
            return None
        return value

    def _problem(self, line: int, column: int, path: Path_, message: Message, hint: Message) -> None:
        self.problems.append(Problem(self.doc.file, line, column, dotted(path), message, hint))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, column = self.lines.place(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(Problem(self.doc.file, line, column, dotted(path),
                                             _("this key is not a plain name"),
                                             _("keys are field names such as `profile` or `en`; merge keys (<<) are not supported")))
                continue
            key = str(key_node.value)
            if key in result:
                first = self.doc.keys[path + (key,)]
                self.problems.append(Problem(self.doc.file, line, column, dotted(path + (key,)),
                                             _("duplicate key '%(key)s' (first given on line %(line)d)", key=key, line=first[0]),
                                             _("keep one of the two and delete the other")))
                continue
            self.doc.keys[path + (key,)] = (line, column)
            result[key] = self.build(value_node, path + (key,))
        return result


def dotted(path: Path_) -> str:
    """Return a field path as `profile.keywords[2].en`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str, lines: _Lines) -> ContentError:
    """Return the located error for a parser's complaint, naming the editor's likely mistake."""
    mark = exc.problem_mark or exc.context_mark
    line, column = lines.place(mark) if mark else (1, 1)
    context_line = lines.place(exc.context_mark)[0] if exc.context_mark else line
    problem = exc.problem or "syntax error"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    first = context_line if context_line < line else line
    cause, hint, at = _likely_cause(text, problem, first, line)
    if at:
        line, column = at
    elif context_line < line:
        # The parser often notices a mistake (an unclosed quote, a bad indent) lines after it was made.
        hint = _("%(hint)s; the mistake may be anywhere from line %(first)d to here", hint=hint, first=first)
    return _error(file, line, column, _("YAML syntax error: %(cause)s", cause=cause), hint)


_FULL_WIDTH_COLON = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*\s*：")
_CURLY_QUOTED = re.compile(r":\s+[“”‘’]")
_DASH_WITHOUT_SPACE = re.compile(r"^\s*-[^\s\-]")
_QUOTED_VALUE = re.compile(r"^\s*(?:-\s+)?[\w-]+:\s+([\"'])")
_LANGUAGE_KEY = re.compile(r"^(\s*)(?:-\s+)?(en|zh):")


def _likely_cause(text: str, problem: str, first: int, last: int) -> tuple[Message, Message, tuple[int, int] | None]:
    """Name the editor's likely mistake behind a parser error in plain words; return (cause, fix, place).

    The parser reports what it met, often a line or two after the mistake, so the lines
    from where it started to look (`first`) to where it stopped (`last`) are searched,
    plus the two before.
    """
    lines = _LINE_BREAK.split(text)  # as an editor counts them: not at NEL, U+2028 or U+2029
    window = range(max(first - 3, 0), min(last, len(lines)))
    for i in window:
        if "\t" in lines[i][: len(lines[i]) - len(lines[i].lstrip())] or "'\\t'" in problem:
            if "\t" in lines[i]:
                return (_("a tab is used to indent or separate"), _("indent with spaces, not tabs"),
                        (i + 1, lines[i].index("\t") + 1))
    for i in window:
        if m := _FULL_WIDTH_COLON.match(lines[i]):
            return (_("a full-width colon ：comes after the key"),
                    _("write an ordinary colon and a space after the key, e.g. `zh: 文字`"), (i + 1, m.end()))
    for i in window:
        if m := _CURLY_QUOTED.search(lines[i]):
            return (_("the value is in curly quotes “ ”, which do not count as quotes here"),
                    _("use straight quotes \"…\" around the value, or none at all"), (i + 1, m.end()))
    for i in window:
        if _DASH_WITHOUT_SPACE.match(lines[i]):
            return (_("a list item's \"-\" has no space after it"),
                    _("write a space after the \"-\", e.g. `- keyword`"), (i + 1, lines[i].index("-") + 1))
    for i in window:
        if (m := _QUOTED_VALUE.match(lines[i])) and lines[i].replace('\\"', "").count(m.group(1)) % 2:
            return (_("a quotation mark is not closed"), _("close the quotation mark, or remove it"), (i + 1, m.end()))
    for i in window:
        if (m := _LANGUAGE_KEY.match(lines[i])) and m.group(2) == "zh":
            for j in range(i - 1, max(i - 40, -1), -1):
                if (n := _LANGUAGE_KEY.match(lines[j])) and n.group(2) == "en":
                    if len(n.group(1)) + (2 if "-" in lines[j][: n.end()] else 0) != len(m.group(1)):
                        return (_("`zh:` is indented differently from its `en:`"),
                                _("start `zh:` in the same column as the `en:` above it"), (i + 1, 1))
                    break
    if "mapping values are not allowed" in problem:
        return (_("a value contains \": \""),
                _("put the value in quotes, or write it as a block starting with `|` on the line after the key"), None)
    if "found undefined alias" in problem:
        return (_("a \"*\" starts a value"), _("put the value in quotes"), None)
    if "quoted scalar" in problem:
        return (_("a quotation mark is not closed"), _("close the quotation mark, or remove it"), None)
    if "could not find expected ':'" in problem or "simple key" in problem:
        return (_("a line is neither `key: value` nor a list item"),
                _("each line is `key: value` or `- item`; check the indentation and unclosed quotes"), None)
    if "expected <block end>" in problem or "block sequence" in problem or "block mapping" in problem:
        return (_("the indentation does not line up"),
                _("items of one list, and the fields under one key, start in the same column"), None)
    return (_("the file's layout cannot be read here (%(detail)s)", detail=problem),
            _("check the indentation, colons and quotes around this place"), None)


def _error(file: str, line: int, column: int, message: Message, hint: Message) -> ContentError:
    return ContentError([Problem(file, line, column, "", message, hint)])
