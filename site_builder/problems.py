"""Located problems in content files: what is wrong, where, and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .messages import _, current_language, field_label, render

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
        return self.render()

    def render(self, lang: str | None = None) -> str:
        """Return the problem on one line, in `lang` (default: the current message language)."""
        lang = lang or current_language()
        place = f"{self.file}:{self.line}:{self.column}"
        message, hint = render(self.message, lang), render(self.hint, lang)
        if lang == "en":
            field = f" {self.field}:" if self.field else ""
            warning = " warning:" if self.severity == "warning" else ""
            return f"{place}:{warning}{field} {message}" + (f" — {hint}" if hint else "")
        # Chinese: full-width punctuation, the field with the template's label.
        warning = render(_("warning:"), lang) if self.severity == "warning" else ""
        field = f"{field_label(self.field, lang)}：" if self.field else ""
        return f"{place}: {warning}{field}{message}" + (f"——{hint}" if hint else "")


class ContentError(Exception):
    """Raised when content has errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(str(_("%(count)d problem(s) in the content", count=len(problems))))
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
