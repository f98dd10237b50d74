"""Located problems in content files: what is wrong, where, and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in a content file."""

    file: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        warning = " warning:" if self.severity == "warning" else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{place}:{warning}{field} {self.message}{hint}"


class ContentError(Exception):
    """Raised when content has errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the content")
        self.problems = sorted(problems)


def display_path(path: Path, root: Path | None = None) -> str:
    """Return `path` relative to `root` (or the working directory) when it lies inside it."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)
