"""Read a YAML content file safely, remembering where every value came from.

PyYAML's safe composer gives us the node tree with line and column marks; we
build plain Python values from it ourselves so that we can refuse what a
content file must never do (custom tags, duplicate keys, alias bombs, deep
nesting) and point at the exact place when anything is wrong.
"""
from __future__ import annotations

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
    _check_events(text, file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; still report them cleanly
        raise _error(file, 1, 1, f"YAML error: {exc}", "check the file's syntax") from None
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
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _error(file, line, column, f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                     "save the file as UTF-8 in your editor") from None


def _check_events(text: str, file: str) -> None:
    """Refuse deep nesting and non-standard tags before composing (the composer recurses)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
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
        except yaml.YAMLError as exc:
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
