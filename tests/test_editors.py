"""Editors' messages: their language, plain words, and the mistakes that used to pass."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.messages import _, field_label, language_from_environment
from site_builder.problems import Problem
from site_builder.yamlsource import load_yaml

SMALL = "cases/small-case.yaml"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LANGUAGE", "LC_", "CI"))}
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True, text=True,
                          env=clean | {"LANG": "C.UTF-8"} | env)


def edit(project: Path, old: str, new: str, file: str = SMALL) -> None:
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the language -------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, expected", [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
    ({"LANG": "en_GB.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),
    ({"LANGUAGE": "fr:zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANG": "C"}, "en"),
    ({"LC_ALL": "", "LANG": "zh_TW.UTF-8"}, "zh"),
])
def test_the_language_follows_the_environment_as_gettext_reads_it(env, expected):
    assert language_from_environment(env) == expected


def test_a_message_shows_in_either_language():
    message = _("'%(value)s' is not a web address", value="www.x.cn")
    assert message == "'www.x.cn' is not a web address"  # a str: English wherever it is used as one
    assert message.render("zh") == "“www.x.cn”不是网址"


def test_a_field_is_named_with_the_template_label_in_chinese():
    assert field_label("profile.keywords", "zh") == "profile.keywords（关键词）"
    assert field_label("profile.name.zh", "zh") == "profile.name.zh（案例名称，中文）"
    assert field_label("profile.keywords", "en") == "profile.keywords"
    problem = Problem("cases/x.yaml", 35, 13, "profile.keywords", _("required field is missing"),
                      _("add `%(name)s:` under %(parent)s", name="keywords", parent="profile"))
    assert problem.render("zh") == "cases/x.yaml:35:13: profile.keywords（关键词）：缺少必填字段——在 profile 下添加 `keywords:`"


def test_validate_speaks_chinese_from_lang_or_the_option(project: Path):
    edit(project, "  zh: 南开大学\n", "")
    by_env = run(["validate"], project, LANG="zh_CN.UTF-8")
    by_option = run(["validate", "--lang", "zh"], project)
    for result in (by_env, by_option):
        assert result.returncode == 1
        assert f"{SMALL}:6:1: institution.zh（高校名称，中文）：缺少中文——在 `zh:` 后补上中文译文，或用 --draft 生成草稿" \
            in result.stderr, result.stderr
        assert "1 个错误，0 个警告" in result.stderr
    assert "Chinese text is missing" in run(["validate", "--lang", "en"], project, LANG="zh_CN.UTF-8").stderr


def test_options_after_the_command_and_the_version(project: Path):
    assert run(["validate", "-q"], project).stdout == ""
    assert run(["validate", "--verbose"], project).returncode == 0
    version = run(["--version"], project)
    assert version.returncode == 0 and version.stdout.startswith("site-builder ")
    assert "检查所有案例" in run(["validate", "--help", "--lang", "zh"], project).stdout


def test_help_headings_end_with_the_languages_colon(project: Path):
    for args in (["--help"], ["validate", "--help"], ["i18n", "--help"]):
        chinese = run([*args, "--lang", "zh"], project).stdout
        headings = [line for line in chinese.splitlines() if line and not line.startswith(" ")][1:]
        assert "选项：" in headings and not [h for h in headings if h.endswith(":")], chinese
    assert "options:" in run(["--help", "--lang", "en"], project).stdout.splitlines()


# --- YAML as the editor's plugin reads it (YAML 1.2) -------------------------------------------------------

def test_plain_values_are_read_as_yaml_1_2_does(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text("a: NO\nb: yes\nc: on\nd: off\ne: 010\nf: 1_000\ng: true\nh: 0x1F\ni: 2019-04-05\nj: ~\n")
    data = load_yaml(path, "x.yaml").data
    assert data == {"a": "NO", "b": "yes", "c": "on", "d": "off", "e": 10, "f": "1_000", "g": True, "h": 31,
                    "i": "2019-04-05", "j": None}


def test_a_country_code_no_is_text(project: Path):
    edit(project, "  en: China\n", "  en: NO\n")
    assert run(["validate"], project).returncode == 0


# --- mistakes that used to pass ----------------------------------------------------------------------------

FOLDED = """    en: A short description.
      Its second line.

      A second paragraph.
"""


def test_paragraphs_without_the_bar_are_an_error_and_a_draft_warning(project: Path):
    edit(project, "    en: |\n      A short description with a list:\n\n      - first item\n      - second item\n", FOLDED)
    strict, draft = run(["validate"], project), run(["validate", "--draft"], project)
    expected = f"{SMALL}:24:9: profile.short_description.en: these lines are joined into one paragraph — write `|`"
    assert strict.returncode == 1 and expected in strict.stderr, strict.stderr
    assert draft.returncode == 0 and expected.replace(":24:9:", ":24:9: warning:") in draft.stderr, draft.stderr


def test_list_items_folded_into_a_line_are_reported(project: Path):
    edit(project, "    en: |\n      A short description with a list:\n\n      - first item\n      - second item\n",
         "    en: A short description with a list\n      - first item\n      - second item\n")
    assert "these lines are joined into one paragraph" in run(["validate"], project).stderr


@pytest.mark.parametrize("pasted, markdown", [
    ("• 第一项", "- 第一项"), ("● 第一项", "- 第一项"), ("▪第一项", "- 第一项"), ("· 第一项", "- 第一项"),
    ("1、第一项", "1. 第一项"), ("（1）第一项", "1. 第一项"), ("② 第一项", "2. 第一项"),
])
def test_pasted_bullets_and_chinese_numbering_show_the_markdown_to_write(project: Path, pasted: str, markdown: str):
    edit(project, "      - 第一项\n", f"      {pasted}\n")
    result = run(["validate", "--draft"], project)
    assert result.returncode == 1
    assert f"{SMALL}:32:7: profile.short_description.zh: the line starts with" in result.stderr, result.stderr
    assert f"write a Markdown list item: {markdown}" in result.stderr


def test_glossary_deviations_are_warnings_and_errors_when_strict_or_in_ci(project: Path):
    edit(project, "  zh: 雅盖隆大学\n", "  zh: 亚盖隆大学\n", "cases/ju-proof-of-concept-grants.yaml")
    plain = run(["validate"], project)
    line = ("cases/ju-proof-of-concept-grants.yaml:8:7: warning: institution.zh: the Chinese does not use the "
            "glossary's rendering of 'Jagiellonian University'")
    assert plain.returncode == 0 and line in plain.stderr, plain.stderr
    assert run(["validate", "--strict"], project).returncode == 1
    in_ci = run(["validate"], project, CI="true")
    assert in_ci.returncode == 1 and line.replace(" warning:", "") in in_ci.stderr


def test_build_says_it_started_and_sums_up_each_stage(project: Path, tmp_path: Path):
    result = run(["--lang", "zh", "build", "--no-pdf", "-o", str(tmp_path / "out")], project)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("开始生成网站"), lines
    summary = "\n".join(lines[1:])
    for stage in ("已检查 3 个案例", "个网页", "已写入", "搜索索引：", "PDF 版本：未生成（--no-pdf）"):
        assert stage in summary, summary
    assert lines[-1].startswith("已生成 ") and lines[-1].endswith(" 秒")


def test_a_telephone_number_losing_its_leading_zero_is_a_warning(project: Path):
    edit(project, "  email: contact@example.org", "  telephone: 02223508888\n  email: contact@example.org")
    result = run(["validate"], project)
    assert result.returncode == 0
    assert (f"{SMALL}:42:14: warning: contact.telephone: 02223508888 is read as a number, which drops its leading 0 — "
            'put it in quotes: telephone: "02223508888"') in result.stderr, result.stderr
    edit(project, "telephone: 02223508888", 'telephone: "022-23508888"')
    assert "telephone" not in run(["validate"], project).stderr


def test_the_catalog_extracts_the_code_and_the_schema_too():
    from site_builder.catalogs import extract_catalog

    ROOT = Path(__file__).resolve().parent.parent
    ids = {m.id for m in extract_catalog(ROOT) if m.id}
    assert "'%(value)s' is not a web address" in ids  # a _() message in site_builder/models.py
    assert "KEY WORDS, one per list item." in ids  # a model's description, shown in the schema
    assert "Preview: errors" in ids  # the preview's error page


def test_every_translation_keeps_every_placeholder_of_its_message():
    import io
    import re

    from babel.messages.pofile import read_po

    from site_builder.i18n import LANGUAGE, po_path

    ROOT = Path(__file__).resolve().parent.parent
    placeholder = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdrfxX%]")
    catalog = read_po(io.BytesIO(po_path(ROOT, "zh").read_bytes()), locale=LANGUAGE["zh"].babel)
    wrong = [m.id for m in catalog if m.id and m.string
             and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))]
    assert not wrong, wrong


BAD_INPUT = sorted((Path(__file__).parent / "bad_cases").glob("*.yaml"))
MISTAKES = sorted((Path(__file__).parent / "editor_mistakes").glob("*.yaml"))


@pytest.mark.parametrize("bad", BAD_INPUT + MISTAKES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_problem_reads_in_chinese(bad: Path, project: Path):
    import re

    from site_builder.content import load_site
    from site_builder.messages import render
    from site_builder.problems import ContentError

    target = project / "cases" / bad.name
    shutil.copy(bad, target)
    try:
        _site, problems = load_site(project)  # the whole project: some mistakes are across files
    except ContentError as exc:
        problems = exc.problems
    assert problems or "not a mistake" in bad.read_text(encoding="utf-8")
    for problem in problems:
        message, hint = render(problem.message, "zh"), render(problem.hint, "zh")
        assert re.search(r"[\u4e00-\u9fff]", message) and (not hint or re.search(r"[\u4e00-\u9fff]", hint)), \
            problem.render("zh")


def test_a_line_separator_inside_an_earlier_value_does_not_shift_the_telephone_check(project: Path):
    # U+2028 is a line break to Python's str.splitlines(), but not to the reader's positions or to an editor.
    edit(project, "  zh: 南开大学", '  zh: "南开\u2028大学"')
    edit(project, "  email: contact@example.org", "  telephone: 02223508888\n  email: contact@example.org")
    result = run(["validate"], project)
    assert f"{SMALL}:42:14: warning: contact.telephone: 02223508888 is read as a number" in result.stderr, result.stderr
