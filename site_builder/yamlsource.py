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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .problems import ContentError, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 40
MAX_VALUES = 100_000  # values built, counting every alias expansion: bounds "billion laughs"

Path_ = tuple[str | int, ...]

# libyaml's C reader, where this PyYAML has it; None makes every file go through the pure-Python one.
_FAST_LOADER: type | None = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
_UNSAFE_CHARACTERS = re.compile(r"[\t\x85\u2028\u2029\ufeff]")
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
        _UNSAFE_CHARACTERS.search(text)
        or ("?" in text and (text.startswith("?") or _KEY_INDICATOR.search(text)))
        or text.startswith(("---", "...")) or any(f"{eol}{marker}" in text for eol in "\n\r" for marker in ("---", "..."))
        or _COMMENT_AFTER_INDICATOR.search(text)
    )


class _ReadAgain(Exception):
    """The fast reader met something the pure-Python reader may read differently."""


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


def load_yaml(path: Path, file: str) -> YamlDocument:
    """Parse `path` (shown as `file` in messages) or raise ContentError.

    Problems that leave the data usable (a duplicate key: the first one wins)
    are kept in `problems` so that validation can go on and report the rest.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _error(file, 1, 1, f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit",
                         "a case file is a few dozen kilobytes; check that this is the right file")
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(file, 1, 1, f"cannot read the file ({exc.strerror})", "check that it exists and is readable") from None
    text = _decode(raw, file)
    root = _compose(text, file)
    doc = YamlDocument(file=file, data=None)
    if root is None:
        raise _error(file, 1, 1, "the file is empty", "start from `python -m site_builder new`")
    builder = _Builder(doc)
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
        raise _error(file, line, column, f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                     "save the file as UTF-8 in your editor") from None
    # Characters YAML refuses (PyYAML's reader would raise an unlocated error): often pasted in from a PDF.
    if bad := _UNPRINTABLE.search(text):
        before = text[: bad.start()]
        line, column = before.count("\n") + 1, bad.start() - (before.rfind("\n") + 1) + 1
        raise _error(file, line, column, f"the file contains the control character U+{ord(bad.group()):04X}",
                     "delete it (it is invisible in most editors; it often comes from copying out of a PDF)")
    return text


def _compose(text: str, file: str) -> yaml.Node | None:
    """Return the node tree of `text` (None when it holds no document), or raise ContentError."""
    if _FAST_LOADER is not None and not _fast_unsafe(text):
        try:
            _check_events(text, file, _FAST_LOADER)
            return yaml.compose(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, ContentError, _ReadAgain):
            pass  # read it again below: the messages and positions are the pure-Python reader's
    _check_events(text, file)
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; still report them cleanly
        raise _error(file, 1, 1, f"YAML error: {exc}", "check the file's syntax") from None


def _check_events(text: str, file: str, loader: type = yaml.SafeLoader) -> None:
    """Refuse deep nesting and non-standard tags before composing (the composer recurses).

    With the fast loader, raise _ReadAgain where the pure-Python reader would read the
    file differently: in a flow collection, at a plain scalar holding `?` (it ends the
    scalar there and reports an error) and at an empty key or value (`[a: ]`, placed
    after the colon by it, at the next token by libyaml); anywhere, at an empty value
    tagged `!` (null for it, an empty string for libyaml).
    """
    depth = 0
    flow = 0  # depth inside flow collections
    fast = loader is not yaml.SafeLoader
    try:
        for event in yaml.parse(text, Loader=loader):
            if fast:
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    flow += 1 if flow or event.flow_style else 0
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    flow -= 1 if flow else 0
                elif isinstance(event, yaml.ScalarEvent) and (
                        (flow and not event.style and (not event.value or "?" in event.value))
                        or (event.tag == "!" and not event.value)):
                    raise _ReadAgain
            tag = getattr(event, "tag", None)
            if tag and tag not in _STANDARD_TAGS and tag != "!":
                mark = event.start_mark
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                raise _error(file, mark.line + 1, mark.column + 1, f"the tag '{shown}' is not allowed",
                             "remove the tag: content files hold plain text, lists and mappings")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise _error(file, mark.line + 1, mark.column + 1,
                                 f"nesting is deeper than {MAX_DEPTH} levels",
                                 "flatten the structure; the template nests only a few levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None


class _Builder:
    """Build plain values from nodes, recording positions and problems."""

    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            mark = node.start_mark
            raise _error(self.doc.file, mark.line + 1, mark.column + 1,
                         f"aliases expand to more than {MAX_VALUES:,} values",
                         "do not use YAML anchors (&) and aliases (*) to repeat content")
        self.doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep dates as written; the model checks their form
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, IndexError, OverflowError) as exc:  # e.g. `!!int abc`
            mark = node.start_mark
            self.problems.append(Problem(self.doc.file, mark.line + 1, mark.column + 1, dotted(path),
                                         f"cannot read this value ({getattr(exc, 'problem', exc)})", "write it as plain text"))
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(Problem(self.doc.file, line, column, dotted(path),
                                             "this key is not a plain name",
                                             "keys are field names such as `profile` or `en`; merge keys (<<) are not supported"))
                continue
            key = str(key_node.value)
            if key in result:
                first = self.doc.keys[path + (key,)]
                self.problems.append(Problem(self.doc.file, line, column, dotted(path + (key,)),
                                             f"duplicate key '{key}' (first given on line {first[0]})",
                                             "keep one of the two and delete the other"))
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


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ContentError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "syntax error"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    hint = _syntax_hint(problem)
    # The parser often notices a mistake (an unclosed quote, a bad indent) lines after it was made.
    if exc.context_mark and exc.context_mark.line + 1 < line:
        hint += f"; the mistake may be anywhere from line {exc.context_mark.line + 1} to here"
    return _error(file, line, column, f"YAML syntax error: {problem}", hint)


def _syntax_hint(problem: str) -> str:
    if "'\\t'" in problem or "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or written as a block with `|`; check the indentation too"
    if "could not find expected ':'" in problem or "simple key" in problem:
        return "each line in a mapping is `key: value`; check the indentation and unclosed quotes"
    if "found undefined alias" in problem:
        return "remove the `*alias`, or define the matching `&anchor` above it"
    if "expected <block end>" in problem or "block sequence" in problem or "block mapping" in problem:
        return "check the indentation: items of one list or mapping start in the same column"
    if "quoted scalar" in problem:
        return "close the quotation mark"
    return "check the indentation, colons and quotes around this place"


def _error(file: str, line: int, column: int, message: str, hint: str) -> ContentError:
    return ContentError([Problem(file, line, column, "", message, hint)])
