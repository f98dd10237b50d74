"""The case editor's server side: the form, check = validate, save by round trip, drafts, translation state, security."""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from conftest import fetch
from site_builder import editor
from site_builder.cli import main
from site_builder.content import iter_texts
from site_builder.markup import render_markdown
from site_builder.models import Case
from site_builder.serve import Preview

BAD_CASES = Path(__file__).resolve().parent / "bad_cases"
CASE = "ju-proof-of-concept-grants"
FILE = f"cases/{CASE}.yaml"


@pytest.fixture
def preview(project: Path):
    with Preview(project, port=0, search=False, poll=0.01) as running:
        yield running


def post(preview: Preview, action: str, body: object, *, token: str | None = None, headers: dict | None = None,
         raw: bytes | None = None) -> tuple[int, dict]:
    """POST to the editor's API as its page does; return the status and the JSON answer."""
    assert preview.editor is not None
    sent = {"Content-Type": "application/json", "X-Editor-Token": preview.editor.token if token is None else token,
            **(headers or {})}
    request = urllib.request.Request(f"{preview.url}_editor/api/{action}", method="POST", headers=sent,
                                     data=raw if raw is not None else json.dumps(body).encode("utf-8"))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --- the form -----------------------------------------------------------------------------------

def _keys(fields: list[dict], prefix: str = "") -> set[str]:
    found = set()
    for entry in fields:
        key = prefix + entry["key"]
        found.add(key)
        inner = entry.get("fields") or entry.get("item", {}).get("fields") or []
        found |= _keys(inner, key + ".")
    return found


def _model_keys(model: type, prefix: str = "") -> set[str]:
    import typing

    from pydantic import BaseModel

    from site_builder.models import Text

    found = set()
    for name, info in model.model_fields.items():
        found.add(prefix + name)
        inner = [a for a in typing.get_args(info.annotation) if a is not type(None)] or [info.annotation]
        inner = [typing.get_args(a)[0] if typing.get_origin(a) is list else a for a in inner]
        for kind in inner:
            if isinstance(kind, type) and issubclass(kind, BaseModel) and not issubclass(kind, Text):
                found |= _model_keys(kind, prefix + name + ".")
    return found


def test_the_form_has_every_field_of_the_case_model_with_labels_help_and_kinds(project: Path):
    form = editor.form(project.resolve(), "zh")
    assert _keys(form["fields"]) == _model_keys(Case)
    fields = {f["key"]: f for f in form["fields"]}
    profile = {f["key"]: f for f in fields["profile"]["fields"]}
    assert fields["institution"] == {"key": "institution", "kind": "text", "label": "高校名称",
                                     "help": "高校名称：案例所涉及的机构。", "required": True}
    assert profile["short_description"]["kind"] == "markdown" and profile["short_description"]["label"] == "简介"
    assert profile["keywords"]["kind"] == "list" and profile["keywords"]["item"] == {"kind": "text"}
    assert profile["keywords"]["help"] == "关键词（KEY WORDS），每项一个。"
    assert fields["date"]["kind"] == "date" and fields["date"]["required"] is False
    assert fields["region"]["choices"] == [{"value": "EU", "label": "欧盟"}, {"value": "China", "label": "中国"}]
    assert {"value": "nankai-university", "label": "南开大学"} in fields["partner"]["choices"]
    assert fields["themes"]["item"]["kind"] == "choice" and fields["themes"]["item"]["choices"]
    assert fields["information_sources"]["fields"][0]["item"] == {"kind": "url"}
    assert {f["key"]: f["kind"] for f in fields["contact"]["fields"]}["email"] == "email"
    authors = {f["key"]: f for f in fields["authors"]["item"]["fields"]}
    assert authors["name"]["kind"] == "string" and authors["role"]["kind"] == "text"
    english = editor.form(project.resolve(), "en")
    assert {f["key"]: f for f in english["fields"]}["institution"]["label"] == "HEI name"


# --- check = validate ---------------------------------------------------------------------------

def _validate_lines(root: Path, capsys, lang: str, file: str) -> list[str]:
    capsys.readouterr()
    main(["--project", str(root), "--lang", lang, "validate"])
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith(file + ":")]


@pytest.mark.parametrize("bad", sorted(p.name for p in BAD_CASES.glob("*.yaml") if not p.name.startswith("35-")))
def test_check_gives_exactly_the_problems_validate_gives(bad: str, project: Path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # validate's glossary check is strict in CI, the editor's never
    root = project.resolve()
    text = (BAD_CASES / bad).read_bytes().decode("utf-8")
    problems = editor.check(root, "small-case", text)  # the file on disk is still the good one
    target = root / "cases" / "small-case.yaml"
    target.write_bytes(text.encode("utf-8"))
    langs = ("en", "zh") if bad[:2] in ("03", "07", "13", "15", "23") else ("en",)
    for lang in langs:
        expected = _validate_lines(root, capsys, lang, "cases/small-case.yaml")
        assert [p.render(lang) for p in problems] == expected
    assert problems, "every bad case has a problem"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_check_gives_validates_glossary_warnings(lang: str, project: Path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    root = project.resolve()
    text = (root / FILE).read_text(encoding="utf-8").replace("雅盖隆大学技术转移与", "雅盖隆大学技术移交与", 1)
    assert "技术移交" in text
    problems = editor.check(root, CASE, text)
    (root / FILE).write_text(text, encoding="utf-8")
    expected = _validate_lines(root, capsys, lang, FILE)
    assert [p.render(lang) for p in problems] == expected
    assert any(p.severity == "warning" and "glossary" in p.render("en") for p in problems)


@pytest.mark.parametrize("bad", ["15-missing-chinese.yaml", "16-missing-english.yaml", "31-empty-value.yaml"])
def test_check_in_a_draft_preview_gives_what_validate_draft_gives(bad: str, project: Path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    root = project.resolve()
    text = (BAD_CASES / bad).read_text(encoding="utf-8")
    problems = editor.check(root, "small-case", text, draft=True)
    (root / "cases" / "small-case.yaml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    main(["--project", str(root), "validate", "--draft"])
    expected = [line for line in capsys.readouterr().err.splitlines() if line.startswith("cases/small-case.yaml:")]
    assert [p.render("en") for p in problems] == expected and problems


def test_check_of_an_unchanged_case_is_clean_and_its_text_is_the_file(project: Path):
    root = project.resolve()
    data = editor.open_case(root, CASE)["data"]
    text, problems = editor.check_data(root, FILE, data)
    assert problems == [] and text == (root / FILE).read_text(encoding="utf-8")


def test_markdown_is_rendered_as_the_site_renders_rich_text(preview: Preview):
    text = "Two paragraphs.\n\n- a list\n- of two\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    status, answer = post(preview, "markdown", {"lang": "en", "text": text})
    assert status == 200 and answer == {"html": str(render_markdown(text))}
    assert "<script" not in answer["html"] and "javascript:" not in answer["html"]


# --- save -------------------------------------------------------------------------------------

def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


def _committed(project: Path) -> Path:
    _git(project, "init", "-q")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    return project


def test_editing_one_field_changes_only_that_fields_lines(project: Path):
    root = _committed(project).resolve()
    opened = editor.open_case(root, CASE)
    data = opened["data"]
    data["profile"]["name"]["en"] = "Proof of concept grants at the Jagiellonian University"
    saved = editor.save(root, FILE, data, opened["version"], as_draft=False)
    assert saved["saved"] == FILE and saved["draft"] is False
    diff = _git(root, "diff", "-U0", "--", FILE)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    en: Proof of concept grants as an example of good practice in TT and IP management at the "
                       "Jagiellonian University",
                       "+    en: Proof of concept grants at the Jagiellonian University"]


def _stripped(value: object) -> object:
    """Return data with its texts stripped, as the models read them."""
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def test_an_edit_of_any_text_of_any_real_case_changes_only_its_own_lines(tmp_path: Path):
    import copy
    import difflib

    from site_builder.yamlsource import load_yaml

    edits = 0
    for path in sorted((Path(__file__).resolve().parent.parent / "cases").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        document = load_yaml(path, path.name)
        assert editor.yaml_text(text, document.data) == text  # nothing changed: every byte kept
        for field in [f for f in document.scalars if f and f[-1] in ("en", "zh")][::9]:
            data = copy.deepcopy(document.data)
            node = data
            for part in field[:-1]:
                node = node[part]
            node[field[-1]] = (node[field[-1]] or "").rstrip("\n") + " edited"
            written = editor.yaml_text(text, data)
            _style, first, last = document.scalars[field]
            for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, text.splitlines(), written.splitlines(),
                                                                autojunk=False).get_opcodes():
                assert tag == "equal" or (first - 1 <= i1 and i2 <= last + 1), (path.name, field)
            again = tmp_path / "again.yaml"
            again.write_text(written, encoding="utf-8")
            assert _stripped(load_yaml(again, "again.yaml").data) == _stripped(data)  # a `|` block ends in a line break
            edits += 1
    assert edits > 100


def test_lists_grow_shrink_and_keys_come_and_go_with_the_rest_of_the_file_kept(project: Path):
    root = _committed(project).resolve()
    opened = editor.open_case(root, CASE)
    data = opened["data"]
    data["profile"]["keywords"].append({"en": "prototype", "zh": "原型"})
    del data["target_groups"][1]
    data["authors"][1]["name_zh"] = "奥莲娜"
    del data["date"]
    data["target_groups_detail"] = {"en": "First paragraph.\n\nSecond paragraph.", "zh": "第一段。\n\n第二段。"}
    editor.save(root, FILE, data, opened["version"], as_draft=False)
    diff = _git(root, "diff", "-U0", "--", FILE)
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ['-  - en: researchers', "-    zh: 研究人员", '-date: "2019-04-05"']
    assert added == ["+    name_zh: 奥莲娜", "+target_groups_detail:", "+  en: |", "+    First paragraph.", "+",
                     "+    Second paragraph.", "+  zh: |", "+    第一段。", "+", "+    第二段。",
                     "+    - en: prototype", "+      zh: 原型"]
    after = editor.open_case(root, CASE)["data"]
    assert after["target_groups_detail"]["en"] == "First paragraph.\n\nSecond paragraph.\n"
    after["target_groups_detail"] = data["target_groups_detail"]
    assert after == data
    reordered = editor.open_case(root, CASE)
    authors = reordered["data"]["authors"]
    authors.reverse()
    editor.save(root, FILE, reordered["data"], reordered["version"], as_draft=False)
    assert [a["name"] for a in editor.open_case(root, CASE)["data"]["authors"]] == ["Olena Roguska", "Krystian Gurba"]


def test_a_file_changed_on_disk_is_not_overwritten(project: Path):
    root = project.resolve()
    opened = editor.open_case(root, CASE)
    path = root / FILE
    path.write_text(path.read_text(encoding="utf-8").replace("Poland", "Polska"), encoding="utf-8")
    before = path.read_bytes()
    opened["data"]["country"]["en"] = "Republic of Poland"
    with pytest.raises(editor.EditorError) as refused:
        editor.save(root, FILE, opened["data"], opened["version"], as_draft=False)
    assert refused.value.status == 409
    conflict = refused.value.body["conflict"]
    assert conflict["disk"] == before.decode("utf-8") and "Republic of Poland" in conflict["yours"]
    assert path.read_bytes() == before


@pytest.mark.parametrize("broken", [b"id: [unclosed\n", b"- a list\n", b"id: \xff\n"])
def test_a_file_broken_on_disk_is_reported_not_a_server_error(project: Path, broken: bytes):
    root = project.resolve()
    opened = editor.open_case(root, CASE)
    (root / FILE).write_bytes(broken)
    for attempt in (lambda: editor.check_data(root, FILE, opened["data"]),
                    lambda: editor.save(root, FILE, opened["data"], opened["version"], as_draft=True)):
        with pytest.raises(editor.EditorError) as refused:
            attempt()
        assert refused.value.status == 422 and "text editor" in str(refused.value.message)
    assert (root / FILE).read_bytes() == broken


def test_a_case_holding_infinity_opens_as_json(preview: Preview):
    path = preview.root / FILE
    path.write_text(path.read_text(encoding="utf-8").replace('date: "2019-04-05"', "date: .inf"), encoding="utf-8")
    status, opened = post(preview, "open", {"lang": "en", "case_id": CASE})
    assert status == 200 and opened["data"]["date"] == ".inf"


def test_errors_are_saved_only_as_a_draft_and_a_clean_save_publishes_it(project: Path):
    root = project.resolve()
    opened = editor.open_case(root, CASE)
    before = (root / FILE).read_bytes()
    data = opened["data"]
    data["date"] = "5/4/2019"
    with pytest.raises(editor.EditorError) as refused:
        editor.save(root, FILE, data, opened["version"], as_draft=False)
    assert refused.value.status == 422 and [p.field for p in refused.value.body["problems"]] == ["date"]
    assert not (root / "drafts").exists() and (root / FILE).read_bytes() == before
    saved = editor.save(root, FILE, data, opened["version"], as_draft=True)
    assert saved["saved"] == f"drafts/{CASE}.yaml" and saved["draft"] is True and saved["problems"]
    assert (root / FILE).read_bytes() == before
    reopened = editor.open_case(root, CASE)
    assert reopened["draft"] is True and reopened["data"]["date"] == "5/4/2019" and reopened["file"] == FILE
    reopened["data"]["date"] = "2019-04-05"
    final = editor.save(root, FILE, reopened["data"], reopened["version"], as_draft=False)
    assert final["saved"] == FILE and final["draft"] is False
    assert not (root / "drafts" / f"{CASE}.yaml").exists() and (root / FILE).read_bytes() == before


def test_a_hand_edit_of_the_case_while_its_draft_is_open_refuses_the_save(project: Path):
    root = project.resolve()
    opened = editor.open_case(root, CASE)
    data = opened["data"]
    data["date"] = "5/4/2019"
    editor.save(root, FILE, data, opened["version"], as_draft=True)
    reopened = editor.open_case(root, CASE)
    case = root / FILE
    case.write_text(case.read_text(encoding="utf-8") + "# a hand edit (or a git pull)\n", encoding="utf-8")
    reopened["data"]["date"] = "2019-04-05"
    untouched = _untouched(case)
    with pytest.raises(editor.EditorError) as refused:
        editor.save(root, FILE, reopened["data"], reopened["version"], as_draft=False)
    assert refused.value.status == 409 and "# a hand edit" in refused.value.body["conflict"]["disk"]
    untouched()


def test_a_file_with_crlf_line_ends_keeps_them(project: Path):
    root = project.resolve()
    case = root / FILE
    case.write_bytes(case.read_bytes().replace(b"\n", b"\r\n"))
    before = case.read_bytes()
    opened = editor.open_case(root, CASE)
    assert editor.save(root, FILE, opened["data"], opened["version"], as_draft=False)["saved"] == FILE
    assert case.read_bytes() == before
    opened = editor.open_case(root, CASE)
    opened["data"]["country"]["en"] = "Republic of Poland"
    editor.save(root, FILE, opened["data"], opened["version"], as_draft=False)
    changed = [(a, b) for a, b in zip(before.split(b"\r\n"), case.read_bytes().split(b"\r\n")) if a != b]
    assert changed == [(b"  en: Poland", b"  en: Republic of Poland")] and b"\n" not in case.read_bytes().replace(b"\r\n", b"")


@pytest.mark.parametrize("partner", [[], {}, None, 3])
def test_a_new_case_of_a_partner_that_is_no_name_is_refused(project: Path, partner: object):
    with pytest.raises(editor.EditorError) as refused:
        editor.new_case(project.resolve(), partner)
    assert refused.value.status == 400


def test_a_new_case_is_created_from_the_scaffold_and_passes_validate(project: Path, capsys):
    root = project.resolve()
    opened = editor.new_case(root, "nankai-university")
    assert opened["version"] == "" and opened["data"]["section"].startswith("3.")
    data = opened["data"]
    data["id"] = "nankai-new-practice"
    fill = {"en": "Nankai University", "zh": "南开大学"}
    data.update(institution=fill, country={"en": "China", "zh": "中国"}, authors=[{"name": "Li Wei"}],
                target_groups=[{"en": "Researchers", "zh": "研究人员"}], themes=[], editorial_notes=[],
                information_sources={"websites": ["https://www.nankai.edu.cn/"]})
    data["profile"] = {"name": {"en": "A new practice", "zh": "一项新实践"},
                       "short_description": {"en": "First paragraph.\n\n- one\n- two", "zh": "第一段。\n\n- 一\n- 二"},
                       "keywords": [{"en": "licensing", "zh": "许可"}]}
    for name in ("impact", "contact", "date"):
        data.pop(name, None)
    saved = editor.save(root, opened["file"], data, "", as_draft=False)
    assert saved == {"saved": "cases/nankai-new-practice.yaml", "version": saved["version"], "draft": False,
                     "problems": []}
    text = (root / saved["saved"]).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/case.schema.json")  # the scaffold's header
    assert "short_description:" in text and "    en: |\n      First paragraph.\n\n      - one\n" in text
    capsys.readouterr()
    assert main(["--project", str(root), "validate", str(root / saved["saved"])]) == 0
    with pytest.raises(editor.EditorError) as refused:  # a new case never replaces a file
        editor.save(root, opened["file"], data, "", as_draft=False)
    assert refused.value.status == 409


# --- translation state ------------------------------------------------------------------------

def test_translation_state_and_mark_write_what_i18n_mark_writes(project: Path, tmp_path: Path):
    root = project.resolve()
    assert {v["state"] for v in editor.open_case(root, CASE)["translation"].values()} == {"translated"}
    path = root / FILE
    path.write_text(path.read_text(encoding="utf-8").replace("en: Poland", "en: Republic of Poland"), encoding="utf-8")
    twin = tmp_path / "twin"
    shutil.copytree(root, twin)
    state = editor.open_case(root, CASE)["translation"]["country"]
    assert state == {"state": "stale", "diff": "{+Republic of+} Poland"}
    answer = editor.mark(root, FILE, ["country"])
    assert answer["translation"]["country"] == {"state": "translated", "diff": ""}
    assert main(["--project", str(twin), "i18n", "mark", FILE, "country"]) == 0
    sources = "translations/content-sources.json"
    assert (root / sources).read_bytes() == (twin / sources).read_bytes()
    with pytest.raises(editor.EditorError) as refused:
        editor.mark(root, FILE, ["profile.nam"])
    assert refused.value.status == 400 and "profile.name" in str(refused.value.message)


def test_every_bilingual_field_has_a_state(project: Path):
    root = project.resolve()
    case = Case.model_validate(editor.open_case(root, CASE)["data"])
    from site_builder.yamlsource import dotted

    assert set(editor.translation(root, CASE)) == {dotted(path) for path, _text in iter_texts(case)}


# --- the HTTP side --------------------------------------------------------------------------------

def test_the_api_answers_the_page(preview: Preview):
    status, form = post(preview, "form", {"lang": "zh"})
    assert status == 200 and form["lang"] == "zh" and form["fields"][0]["key"] == "id"
    status, opened = post(preview, "open", {"lang": "zh", "case_id": CASE})
    assert status == 200 and opened["file"] == FILE and len(opened["version"]) == 64
    data = opened["data"]
    data["date"] = "5/4/2019"
    status, checked = post(preview, "check", {"lang": "zh", "file": FILE, "data": data})
    assert status == 200 and 'date: "5/4/2019"' in checked["yaml"]
    assert [(p["field"], p["severity"]) for p in checked["problems"]] == [("date", "error")]
    assert checked["problems"][0]["message"] == "“5/4/2019”不是“年-月-日”格式的日期"
    status, refused = post(preview, "save", {"lang": "zh", "file": FILE, "data": data, "version": opened["version"],
                                             "draft": False})
    assert status == 422 and refused["problems"][0]["field"] == "date" and refused["error"].startswith("1 个错误")
    status, opened_new = post(preview, "open", {"lang": "en", "new": {"partner": "nankai-university"}})
    assert status == 200 and opened_new["version"] == "" and opened_new["data"]["partner"] == "nankai-university"
    status, missing = post(preview, "open", {"lang": "zh", "case_id": "no-such-case"})
    assert status == 404 and missing == {"error": "没有案例 no-such-case"}


@pytest.mark.parametrize("started_in, page", [("en", "zh"), ("zh", "en")])
def test_mark_refusals_are_in_the_editor_pages_language_not_the_previews(preview: Preview, started_in: str,
                                                                         page: str):
    from site_builder.messages import set_language

    path = preview.root / FILE
    path.write_text(path.read_text(encoding="utf-8").replace("  zh: 波兰\n", "", 1), encoding="utf-8")
    set_language(started_in)  # the language the preview was started in (--lang, LANG)
    no_chinese = post(preview, "mark", {"lang": page, "file": FILE, "fields": ["country"]})
    unknown = post(preview, "mark", {"lang": page, "file": FILE, "fields": ["profile.nam"]})
    if page == "zh":
        assert no_chinese == (400, {"error": f"{FILE}：country没有可记录的中文，请先翻译"})
        assert unknown[0] == 400 and unknown[1]["error"].startswith(f"{FILE}：没有双语字段“profile.nam”；是否指")
    else:
        assert no_chinese == (400, {"error": f"{FILE}: country has no Chinese text to mark; translate it first"})
        assert unknown[0] == 400 and unknown[1]["error"].startswith(f"{FILE}: no bilingual field 'profile.nam'")


def test_pages_get_the_editor_links_and_the_editor_page_never_reloads(preview: Preview):
    status, page = fetch(f"{preview.url}zh/cases/{CASE}/")
    assert status == 200
    assert f'<a class="editor-link" href="/_editor/zh/edit/{CASE}">编辑</a>' in page
    assert '<a class="editor-link" href="/_editor/zh/new">新建案例</a>' in page
    assert page.index('class="skip-link"') < page.index('class="editor-bar"')  # the skip link stays first
    status, home = fetch(f"{preview.url}en/")
    assert '<a class="editor-link" href="/_editor/en/new">New case</a>' in home and "/_editor/en/edit/" not in home
    status, editor_page = fetch(f"{preview.url}_editor/zh/edit/{CASE}")
    assert status == 200 and 'lang="zh-CN"' in editor_page
    assert "livereload.js" not in editor_page and "editor-bar" not in editor_page
    assert fetch(f"{preview.url}_editor/zh/edit/no-such-case")[0] == 404


def test_the_editor_page_template_gets_lang_token_and_case(project: Path):
    template = project / "themes" / "default" / "templates" / "editor" / "page.html"
    template.parent.mkdir(exist_ok=True)
    template.write_text('<html lang="{{ html_lang }}"><meta name="editor-token" content="{{ token }}">'
                        '<meta name="editor-lang" content="{{ lang }}"><h1>{{ _("Edit case") }}</h1>'
                        "<p>{{ case_id }}</p></html>", encoding="utf-8")
    with Preview(project, port=0, search=False, poll=0.01) as running:
        assert running.editor is not None
        status, page = fetch(f"{running.url}_editor/zh/edit/{CASE}")
        assert status == 200
        assert page == (f'<html lang="zh-CN"><meta name="editor-token" content="{running.editor.token}">'
                        f'<meta name="editor-lang" content="zh"><h1>编辑案例</h1><p>{CASE}</p></html>')
        assert fetch(f"{running.url}_editor/en/new")[1].endswith("<p>None</p></html>")


def test_no_editor_means_no_links_and_no_endpoints(project: Path):
    with Preview(project, port=0, search=False, poll=0.01, editor=False) as running:
        assert "editor-link" not in fetch(f"{running.url}en/cases/{CASE}/")[1]
        assert fetch(f"{running.url}_editor/en/new")[0] == 404


def test_the_built_site_has_no_editor(project: Path, tmp_path: Path):
    from site_builder.build import build

    output = tmp_path / "out"
    build(project, output, pdf=False, search=False)
    assert not list(output.rglob("_editor*"))
    for page in output.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "_editor" not in text and "editor-link" not in text, page


def test_a_save_reloads_the_case_page(preview: Preview):
    async def run() -> dict:
        ws = await websocket_connect(preview.url.replace("http://", "ws://") + "livereload")
        await ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        await asyncio.wait_for(ws.read_message(), 5)
        page = f"en/cases/{CASE}/"
        await ws.write_message(json.dumps({"command": "info", "plugins": {}, "url": preview.url + page}))
        while page + "index.html" not in preview.open_pages:
            await asyncio.sleep(0.01)
        status, opened = await asyncio.to_thread(post, preview, "open", {"lang": "en", "case_id": CASE})
        opened["data"]["country"]["en"] = "Republic of Poland"
        status, saved = await asyncio.to_thread(post, preview, "save", {"lang": "en", "file": FILE, "data": opened["data"],
                                                                         "version": opened["version"], "draft": False})
        assert status == 200, saved
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), 15))
            if message["command"] == "reload":
                ws.close()
                return message

    assert asyncio.run(run())["path"] == f"/en/cases/{CASE}/index.html"
    assert "Republic of Poland" in fetch(f"{preview.url}en/cases/{CASE}/")[1]


# --- security: each refusal leaves the file as it was ----------------------------------------------

def _untouched(path: Path):
    """Return a check that `path` (or its absence) is as it is now: same bytes and modification time."""
    before = (path.read_bytes(), path.stat().st_mtime_ns) if path.exists() else None

    def check() -> None:
        assert ((path.read_bytes(), path.stat().st_mtime_ns) if path.exists() else None) == before, path

    return check


def _save_body(preview: Preview, file: str = FILE) -> dict:
    status, opened = post(preview, "open", {"lang": "en", "case_id": CASE})
    assert status == 200
    opened["data"]["country"]["en"] = "Hacked"
    return {"lang": "en", "file": file, "data": opened["data"], "version": opened["version"], "draft": True}


@pytest.mark.parametrize("headers, token, status", [
    ({"Origin": "http://evil.example"}, None, 403),  # a cross-origin POST from another site's page
    ({"Origin": "null"}, None, 403),  # a sandboxed frame or a file:// page
    ({}, "", 403),  # no token
    ({}, "wrong-token", 403),
    ({"Host": "evil.example:8000"}, None, 403),  # DNS rebinding: another site's name resolved to 127.0.0.1
    ({"Content-Type": "text/plain"}, None, 400),  # what a form of another site can send without a preflight
])
def test_requests_without_the_rights_are_refused_and_nothing_is_written(preview: Preview, headers, token, status):
    body = _save_body(preview)
    unchanged = _untouched(preview.root / FILE)
    no_draft = _untouched(preview.root / "drafts" / f"{CASE}.yaml")
    answer = post(preview, "save", body, token=token, headers=headers)
    assert answer[0] == status and answer[1]["error"]
    unchanged()
    no_draft()


@pytest.mark.parametrize("raw", [b"not json", b'{"lang": "zh", "file": "' + FILE.encode(), b"[" * 100_000])
def test_the_token_is_checked_before_the_body_is_read(preview: Preview, raw: bytes, monkeypatch):
    parsed = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text, *a, **k: parsed.append(text) or real_loads(text, *a, **k))
    case = _untouched(preview.root / FILE)
    status, answer = post(preview, "save", None, raw=raw, token="wrong-token")
    assert (status, answer["error"]) == (403, "the editor's token is missing or wrong; reload the editor page")
    assert raw not in parsed  # refused on its headers alone: the body was never parsed
    case()


@pytest.mark.parametrize("started_in, referer, expected", [
    ("en", "/_editor/zh/edit/" + CASE, "编辑器令牌缺失或错误"),
    ("zh", "/_editor/en/new", "the editor's token is missing or wrong"),
    ("zh", "/en/cases/" + CASE + "/", "编辑器令牌缺失或错误"),  # no editor page: the preview's language
    ("en", None, "the editor's token is missing or wrong"),
])
def test_a_refused_request_is_answered_in_the_language_of_the_page_that_sent_it(
        preview: Preview, started_in: str, referer: str | None, expected: str):
    from site_builder.messages import set_language

    set_language(started_in)
    headers = {"Referer": preview.url.rstrip("/") + referer} if referer else {}
    status, answer = post(preview, "save", None, raw=b'{"lang": "en"}' if started_in == "zh" else b'{"lang": "zh"}',
                          token="", headers=headers)
    assert status == 403 and answer["error"].startswith(expected)
    status, answer = post(preview, "save", None, raw=b"{}", headers={**headers, "Host": "evil.example"})
    assert status == 403 and answer["error"].startswith("不允许使用此地址" if "编辑器" in expected else "this address")


def test_only_the_previews_own_origin_may_post(preview: Preview):
    host, port = preview.address
    body = _save_body(preview)
    unchanged = _untouched(preview.root / FILE)
    no_draft = _untouched(preview.root / "drafts" / f"{CASE}.yaml")
    for other in ("http://127.0.0.1:9999", f"https://{host}:{port}", f"http://localhost:{port}", f"http://{host}",
                  f"http://{host}:{port}.evil.example", f"http://{host}:{port}/"):
        status, answer = post(preview, "save", body, headers={"Origin": other})
        assert status == 403 and answer["error"] == "requests from other sites are refused", other
        unchanged()
        no_draft()
    assert post(preview, "save", body, headers={"Origin": f"http://{host}:{port}"})[0] == 200
    assert post(preview, "form", {"lang": "en"}, headers={"Origin": f"http://localhost:{port}",
                                                          "Host": f"localhost:{port}"})[0] == 200

    async def reload_socket(origin: str) -> None:
        request = HTTPRequest(preview.url.replace("http://", "ws://") + "livereload", headers={"Origin": origin})
        (await websocket_connect(request)).close()

    with pytest.raises(HTTPClientError) as refused:  # nor may it follow the preview's reloads
        asyncio.run(reload_socket("http://127.0.0.1:9999"))
    assert refused.value.code == 403
    asyncio.run(reload_socket(f"http://{host}:{port}"))


@pytest.mark.parametrize("origin, host, configured, same", [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", "127.0.0.1", True),
    ("http://127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1", False),
    ("http://LOCALHOST:8000", "localhost:8000", "127.0.0.1", True),
    ("http://[::1]:8000", "[::1]:8000", "::1", True),
    ("http://127.0.0.1", "127.0.0.1:80", "127.0.0.1", True),  # the scheme's own port may go unsaid
    ("http://192.168.1.5:8000", "192.168.1.5:8000", "0.0.0.0", True),  # --host 0.0.0.0, reached on the LAN
    ("http://mybox.lan:8000", "mybox.lan:8000", "mybox.lan", True),  # --host mybox.lan
    ("http://evil.example:8000", "evil.example:8000", "127.0.0.1", False),  # DNS rebinding: both name the attacker
    ("http://127.0.0.1:9999", "127.0.0.1:8000", "127.0.0.1", False),
    ("https://127.0.0.1:8000", "127.0.0.1:8000", "127.0.0.1", False),
    ("null", "127.0.0.1:8000", "127.0.0.1", False),
    (None, "127.0.0.1:8000", "127.0.0.1", True),  # not a browser's page
])
def test_same_origin_is_scheme_host_and_port_of_the_host_header(origin, host, configured, same):
    from site_builder.hosts import same_origin

    assert same_origin(origin, host, "http", configured) is same


@pytest.mark.parametrize("file", ["../x.yaml", "cases/../../etc/passwd", "/etc/passwd", str(Path("/tmp/x.yaml")),
                                  "cases/../guide/guide.yaml", "guide/guide.yaml", "cases/sub/x.yaml",
                                  "cases\\..\\x.yaml", "cases/X.yaml", "drafts/../cases/x.yaml", 7, None])
def test_paths_outside_the_case_files_are_refused(preview: Preview, file):
    guide = _untouched(preview.root / "guide" / "guide.yaml")
    case = _untouched(preview.root / FILE)
    status, answer = post(preview, "save", _save_body(preview, file))
    assert status == 400 and answer["error"].startswith("only case files can be edited")
    guide()
    case()
    assert not (preview.root.parent / "x.yaml").exists() and not Path("/tmp/x.yaml").exists()


def test_a_symlink_out_of_the_project_is_neither_read_nor_written(preview: Preview, tmp_path: Path):
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((preview.root / FILE).read_bytes())
    link = preview.root / "cases" / "linked-out.yaml"
    link.symlink_to(outside)
    kept = _untouched(outside)
    status, answer = post(preview, "open", {"lang": "en", "case_id": "linked-out"})
    assert status == 403 and "data" not in answer
    body = _save_body(preview, "cases/linked-out.yaml")
    body["data"]["id"] = "linked-out"
    status, answer = post(preview, "save", body)
    assert status == 403 and answer["error"] == "cases/linked-out.yaml is not a plain file (a link, a folder or a device)"
    kept()
    assert link.is_symlink()


def test_a_drafts_folder_linking_out_is_refused(preview: Preview, tmp_path: Path):
    body = _save_body(preview)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (preview.root / "drafts").symlink_to(elsewhere)
    body["data"]["date"] = "5/4/2019"  # an error: the save would go to drafts/
    case = _untouched(preview.root / FILE)
    status, answer = post(preview, "save", body)
    assert status == 403 and "leads out of the project" in answer["error"]
    assert not list(elsewhere.iterdir())
    case()


def test_an_oversized_body_is_refused(preview: Preview):
    body = _save_body(preview)
    body["data"]["profile"]["background"]["en"] = "x" * (1024 * 1024)
    case = _untouched(preview.root / FILE)
    status, answer = post(preview, "save", body)
    assert status == 413 and answer["error"] == "the request is larger than 1,048,576 bytes"
    case()


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(preview: Preview):
    # Over the server's cap the connection is closed as soon as the Content-Length is seen, instead of the
    # whole body being buffered first (Tornado's own cap is 100 MB).
    from site_builder.livereload import MAX_BODY_SIZE

    case = _untouched(preview.root / FILE)
    with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
        post(preview, "save", None, raw=b"x" * (MAX_BODY_SIZE + 1))
    case()
    assert post(preview, "form", {"lang": "en"})[0] == 200  # the server goes on


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"lang": "en", "file": "' + FILE.encode()])
def test_a_body_that_is_not_a_json_object_is_refused(preview: Preview, raw: bytes):
    case = _untouched(preview.root / FILE)
    status, answer = post(preview, "save", None, raw=raw)
    assert status == 400 and answer["error"] == "the request must be a JSON object"
    case()


def test_data_nested_too_deep_is_refused(preview: Preview):
    body = _save_body(preview)
    case = _untouched(preview.root / FILE)
    deeper_than_python_parses = b'{"lang": "en", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, answer = post(preview, "save", None, raw=deeper_than_python_parses)
    assert status == 400 and answer["error"] == "the request must be a JSON object"
    body["data"]["country"] = json.loads("[" * 60 + "]" * 60)
    status, answer = post(preview, "save", body)
    assert status == 400 and answer["error"] == "the case data is nested more than 40 levels deep"
    case()


def test_yaml_tags_in_the_data_are_text_never_evaluated(preview: Preview, tmp_path: Path):
    marker = tmp_path / "evaluated"
    payload = f"!!python/object/apply:os.system ['touch {marker}']"
    body = _save_body(preview)
    body["data"]["country"]["en"] = payload
    body["data"]["profile"]["name"]["en"] = "!!python/object:os.system"
    body["data"]["!!python/name:os.system"] = "x"  # an unknown key: an error, so the draft takes it
    status, answer = post(preview, "save", body)
    assert status == 200 and answer["draft"] is True
    assert any(p["message"].startswith("unknown field") for p in answer["problems"])
    text = (preview.root / answer["saved"]).read_text(encoding="utf-8")
    assert f"en: \"{payload}\"" in text or f"en: '{payload}'" in text
    status, opened = post(preview, "open", {"lang": "en", "case_id": CASE})
    assert opened["data"]["country"]["en"] == payload  # read back as the text it is
    assert not marker.exists()


def test_the_editor_page_and_its_token_are_refused_to_a_foreign_host(preview: Preview):
    assert preview.editor is not None
    request = urllib.request.Request(f"{preview.url}_editor/en/new", headers={"Host": "evil.example:8000"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403 and preview.editor.token not in refused.value.read().decode("utf-8")
    assert fetch(f"{preview.url}_editor/static/../../../guide/guide.yaml")[0] in (400, 403, 404)


def test_a_get_on_the_api_is_refused(preview: Preview):
    status, answer = fetch(f"{preview.url}_editor/api/form")
    assert status == 403 and "token" in json.loads(answer)["error"]


def test_the_preview_listens_on_loopback_unless_told_otherwise(project: Path):
    with Preview(project, port=0, search=False, poll=0.01) as running:
        assert running.address[0] == "127.0.0.1"


def test_write_is_atomic_and_leaves_no_temporary_file(project: Path):
    root = project.resolve()
    opened = editor.open_case(root, CASE)
    opened["data"]["country"]["en"] = "Republic of Poland"
    editor.save(root, FILE, opened["data"], opened["version"], as_draft=False)
    assert sorted(p.name for p in (root / "cases").iterdir() if p.name.startswith(".")) == []
    assert oct((root / FILE).stat().st_mode & 0o777) == "0o644"
    assert re.search(r"en: Republic of Poland\n", (root / FILE).read_text(encoding="utf-8"))
    assert os.access(root / FILE, os.R_OK)


def test_markdown_converts_correctly_from_several_threads():
    """The editor's previews convert while the preview's rebuild and search index do: one shared converter."""
    import sys
    import threading

    from site_builder import markup

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        convert = markup.render_markdown.__wrapped__  # past the cache: every call converts
        texts = [f"Paragraph {i} with *emphasis*:\n\n- item {i}a\n- item {i}b\n\n#### Heading {i}" for i in range(1000)]
        expected = [str(convert(text)) for text in texts]
        results: list = [None] * len(texts)

        def work(start: int) -> None:
            for i in range(start, len(texts), 8):
                results[i] = str(convert(texts[i]))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(before)
    assert results == expected


def test_built_says_whether_the_preview_has_written_a_cases_page_yet(preview: Preview):
    """The editor follows its "see the case" link only once the page is there (editor.js: openWhenBuilt)."""
    page = preview.output / "en" / "cases" / "ju-not-yet" / "index.html"
    assert post(preview, "built", {"file": "cases/ju-not-yet.yaml", "lang": "en"}) == (200, {"built": False})
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html>", encoding="utf-8")
    assert post(preview, "built", {"file": "cases/ju-not-yet.yaml", "lang": "en"}) == (200, {"built": True})
    assert post(preview, "built", {"file": "cases/ju-not-yet.yaml", "lang": "zh"}) == (200, {"built": False})
    assert post(preview, "built", {"file": "../output/x.yaml", "lang": "en"})[0] == 400
