"""Located problems in content files: what is wrong, where, and how to fix it."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .messages import _, current_language, field_label, render

Severity = Literal["error", "warning"]
MAX_PER_FILE = 50  # more than this from one file is one mistake repeated; the rest are counted, not listed


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
        self.problems = capped(sorted(problems))


def capped(problems: list[Problem], limit: int = MAX_PER_FILE) -> list[Problem]:
    """Keep the first `limit` problems of each file, and say how many more there are."""
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem.file] = counts.get(problem.file, 0) + 1
    if all(count <= limit for count in counts.values()):
        return problems
    kept: list[Problem] = []
    shown: dict[str, int] = {}
    for problem in problems:
        shown[problem.file] = shown.get(problem.file, 0) + 1
        if shown[problem.file] <= limit:
            kept.append(problem)
        elif shown[problem.file] == limit + 1:
            last = kept[-1]
            kept.append(Problem(problem.file, last.line, last.column, "",
                                _("and %(count)s more problem(s) in this file", count=f"{counts[problem.file] - limit:,}"),
                                _("fix the ones above first; they are often one mistake repeated")))
    return kept


class EnvironmentProblem(Exception):
    """Raised when the machine lacks something a build needs (the Chinese font for the PDFs); not the content's fault.

    The command line exits with status 3 for it, as for a folder it cannot write.
    """

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
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


def report(problems: list[Problem]) -> None:
    """Print problems one per line on standard error, then a count."""
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        print(_("%(errors)d error(s), %(warnings)d warning(s)", errors=errors, warnings=warnings).render(),
              file=sys.stderr)
