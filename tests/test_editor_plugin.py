"""The editor's YAML plugin and `validate` agree: yaml-language-server, driven over LSP, flags what validate flags.

The corpus in tests/editor_mistakes/ holds realistic mistakes an editor makes, one per
file (the second line says which). For each, the plugin must flag the lines validate
flags, and nothing else; the files marked "not a mistake" must pass both. The plugin is
the real one (npm's yaml-language-server, pinned in package.json), asked for Chinese
(`zh-cn`) as a Chinese editor's VS Code asks.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lsp import YamlLanguageServer, available
from site_builder.content import load_site
from site_builder.problems import ContentError, Problem

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((Path(__file__).parent / "editor_mistakes").glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """Return a project holding the real guide data and the corpus as its cases."""
    root = tmp_path_factory.mktemp("editor") / "project"
    for folder in ("guide", "schema", "themes", "translations"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "cases").mkdir()
    for path in CORPUS:
        shutil.copy(path, root / "cases" / path.name)
    return root


@pytest.fixture(scope="module")
def editor(workspace: Path):
    server = YamlLanguageServer(workspace, locale="zh-cn")
    for path in sorted((workspace / "cases").glob("*.yaml")):
        server.open(path)
    yield server
    server.close()


def validate_errors(root: Path, path: Path) -> list[Problem]:
    try:
        _, problems = load_site(root, files=[path])
    except ContentError as exc:
        problems = exc.problems
    return [p for p in problems if p.severity == "error"]


def test_the_corpus_holds_at_least_20_mistakes():
    mistakes = [p for p in CORPUS if p.read_text(encoding="utf-8").splitlines()[1].startswith("# mistake:")]
    assert len(mistakes) >= 20


@pytest.mark.parametrize("name", [p.name for p in CORPUS])
def test_the_editor_flags_the_lines_validate_flags(workspace: Path, editor: YamlLanguageServer, name: str):
    path = workspace / "cases" / name
    what = path.read_text(encoding="utf-8").splitlines()[1]
    problems = validate_errors(workspace, path)
    diagnostics = [d for d in editor.diagnostics(path) if d["severity"] == 1]
    flagged = [(d["range"]["start"]["line"] + 1, d["range"]["end"]["line"] + 1) for d in diagnostics]
    shown = "\n".join([str(p) for p in problems] + [f"editor {a}-{b}: {d['message']}"
                                                    for (a, b), d in zip(flagged, diagnostics)])
    if what.startswith("# not a mistake:"):
        assert not problems and not diagnostics, shown
        return
    assert problems, f"validate lets this pass: {what}"
    lines = {p.line for p in problems}
    if any(str(p.message).startswith("YAML syntax error") for p in problems):
        # The file cannot be read: compare the reader's own messages, not the schema's guesses at
        # what the plugin half-read. The plugin's reader may stop on the line above validate's, where
        # it took a more-indented line for the rest of the value above it.
        syntax = {start for (start, _), d in zip(flagged, diagnostics) if d.get("source") == "YAML"}
        assert lines <= syntax | {line + 1 for line in syntax}, shown
        return
    for line in lines:
        assert any(start <= line <= end for start, end in flagged), f"the editor misses line {line}:\n{shown}"
    for start, end in flagged:
        assert any(start <= line <= end for line in lines), f"only the editor flags lines {start}-{end}:\n{shown}"


def test_the_editor_speaks_chinese(workspace: Path, editor: YamlLanguageServer):
    messages = {name: [d["message"] for d in editor.diagnostics(workspace / "cases" / name)]
                for name in ("07-date-with-slashes.yaml", "10-misspelt-key.yaml", "13-missing-chinese.yaml")}
    assert messages["07-date-with-slashes.yaml"][0].startswith("请写成 YYYY、YYYY-MM 或 YYYY-MM-DD")
    assert messages["10-misspelt-key.yaml"] == ["属性 kewords 不被允许。"]  # the plugin's own words, in zh-cn
    assert messages["13-missing-chinese.yaml"][0].startswith("这里应是中英两种语言的文字")


def test_hover_shows_the_field_description_in_chinese(workspace: Path, editor: YamlLanguageServer):
    path = workspace / "cases" / "27-year-as-number.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("  keywords:"))
    text = editor.hover(path, row, 4)
    assert "关键词（Key words）" in text and "每项一个" in text, text
    assert text.index("每项一个") < text.index("one per list item"), "Chinese first"


def test_the_real_content_passes_the_editor_too():
    files = sorted(ROOT.glob("cases/*.yaml")) + sorted(ROOT.glob("policies/*.yaml"))
    files += [ROOT / "guide" / "guide.yaml", ROOT / "guide" / "needs-analysis.yaml"]
    server = YamlLanguageServer(ROOT, locale="en")
    try:
        for path in files:
            server.open(path)
        flagged = {path.name: [d["message"] for d in server.diagnostics(path) if d["severity"] == 1] for path in files}
    finally:
        server.close()
    assert not {name: found for name, found in flagged.items() if found}
