"""Exchange with translation tools: `i18n export` (PO, XLIFF 1.2), edits made with translate-toolkit, `i18n import`."""
from __future__ import annotations

import csv
import difflib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from translate.storage import po

from site_builder.cli import main
from site_builder.i18n import translation_status

CASE = "cases/ju-proof-of-concept-grants.yaml"
TOOLS = Path(sys.executable).parent  # translate-toolkit's converters, installed next to this Python
NAME_EN = "Proof of concept grants as an example of good practice in TT and IP management at the Jagiellonian University"
NAME_ZH = "概念验证资助——雅盖隆大学技术转移与知识产权管理的良好实践范例"
NEW_NAME_ZH = "概念验证资助：雅盖隆大学技术转移与知识产权管理的良好实践范例"


def run(project: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--project", str(project), *args])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(project: Path) -> dict[str, str]:
    """Return the text of every content file and of the translation record."""
    files = [*project.glob("cases/*.yaml"), *project.glob("guide/*.yaml"), project / "translations/content-sources.json"]
    return {p.relative_to(project).as_posix(): p.read_text(encoding="utf-8") for p in files}


def changed_lines(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """Return, per file, the lines removed (-) and added (+)."""
    out = {}
    for name in before:
        diff = [line for line in difflib.unified_diff(before[name].splitlines(), after[name].splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        if diff:
            out[name] = diff
    return out


def edit_po(path: Path, english_start: str, chinese: str) -> None:  # english_start: or the unit's key
    """Translate one unit of a PO file with translate-toolkit, as a translator's tool would."""
    store = po.pofile.parsefile(str(path))
    hits = ([u for u in store.units if u.getcontext() == english_start]  # a unit's key, where the file still has it
            or [u for u in store.units if str(u.source).startswith(english_start)])
    assert len(hits) == 1, english_start
    hits[0].target = chinese
    hits[0].markfuzzy(False)
    store.savefile(str(path))


def pocount(path: Path) -> dict[str, str]:
    out = subprocess.run([str(TOOLS / "pocount"), "--csv", str(path)], capture_output=True, text=True, check=True).stdout
    return next(csv.DictReader(io.StringIO(out), skipinitialspace=True))


@pytest.fixture
def marked(project: Path, capsys) -> Path:
    """The small project with every translation fresh but one: the stale short description of the JU case."""
    assert run(project, capsys, "i18n", "mark", "--all", "cases/small-case.yaml")[0] == 0
    path = project / CASE
    path.write_text(path.read_text(encoding="utf-8").replace("small grants (up to", "small grants (of up to"),
                    encoding="utf-8")
    assert translation_status(project) == {CASE: {"profile.short_description": "stale"}}
    return project


def test_export_writes_one_unit_per_text_with_state_notes_and_old_english(marked: Path, capsys, tmp_path: Path):
    code, out, _ = run(marked, capsys, "i18n", "export", "-o", str(tmp_path))
    assert code == 0
    assert out.splitlines()[-1] == "176 units: 0 new, 1 stale, 175 translated"
    text = (tmp_path / "content.zh_CN.po").read_text(encoding="utf-8")
    assert (
        "#. glossary: TT = 技术转移 / 技术转让 / 成果转化\n"
        "#. glossary: IP = 知识产权\n"
        "#. glossary: Proof of concept = 概念验证\n"
        "#. glossary: good practice = 良好实践 / 良好做法\n"
        "#. glossary: Jagiellonian University = 雅盖隆大学\n"
        f"#: {CASE}:30\n"
        f'msgctxt "{CASE}#profile.name"\n'
    ) in text
    units = {u.getcontext(): u for u in po.pofile.parsefile(str(tmp_path / "content.zh_CN.po")).units if u.getcontext()}
    stale = units[f"{CASE}#profile.short_description"]
    assert stale.isfuzzy() and "small grants (up to 25,000 EUR)" in stale.prev_source
    assert "small grants (of up to 25,000 EUR)" in stale.source
    xliff = (tmp_path / "content.zh_CN.xlf").read_text(encoding="utf-8")
    assert 'xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"' in xliff
    assert f'<file original="{CASE}" source-language="en" target-language="zh-CN" datatype="plaintext">' in xliff
    assert ('<trans-unit xml:space="preserve" id="profile.name" resname="profile.name" approved="yes">\n'
            f"        <source>{NAME_EN}</source>\n"
            f'        <target state="translated">{NAME_ZH}</target>\n') in xliff
    assert '<target state="needs-review-translation">' in xliff and '<alt-trans xml:space="preserve" origin="previous-version">' in xliff
    counts = pocount(tmp_path / "content.zh_CN.xlf")
    assert (counts["Translated Messages"], counts["Fuzzy Messages"], counts["Untranslated Messages"]) == ("175", "1", "0")


def test_round_trip_through_translate_toolkit_changes_only_the_edited_field(marked: Path, capsys, tmp_path: Path):
    assert run(marked, capsys, "i18n", "export", "--format", "xliff", "-o", str(tmp_path))[0] == 0
    # A translator's tool chain: XLIFF → PO, edit one unit, PO → XLIFF (both converters drop the unit keys).
    subprocess.run([str(TOOLS / "xliff2po"), str(tmp_path / "content.zh_CN.xlf"), str(tmp_path / "work.po")],
                   check=True, capture_output=True)
    edit_po(tmp_path / "work.po", NAME_EN, NEW_NAME_ZH)
    counts = pocount(tmp_path / "work.po")
    assert (counts["Translated Messages"], counts["Fuzzy Messages"]) == ("175", "1")
    subprocess.run([str(TOOLS / "po2xliff"), str(tmp_path / "work.po"), str(tmp_path / "back.xlf")],
                   check=True, capture_output=True)
    before = snapshot(marked)
    code, out, err = run(marked, capsys, "i18n", "import", str(tmp_path / "back.xlf"))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"updated {CASE}: profile.name"
    changes = changed_lines(before, snapshot(marked))
    assert changes[CASE] == [f"-    zh: {NAME_ZH}", f"+    zh: {NEW_NAME_ZH}"]
    assert list(changes) == [CASE, "translations/content-sources.json"]
    assert len(changes["translations/content-sources.json"]) == 2  # the one field's record
    assert run(marked, capsys, "validate", str(marked / CASE))[0] == 0
    # The edited field is fresh; the stale one stays stale.
    assert translation_status(marked) == {CASE: {"profile.short_description": "stale"}}


def test_import_of_a_stale_rich_text_keeps_the_block_layout_and_makes_it_fresh(marked: Path, capsys, tmp_path: Path):
    assert run(marked, capsys, "i18n", "export", "--format", "po", "-o", str(tmp_path))[0] == 0
    work = tmp_path / "content.zh_CN.po"
    units = {u.getcontext(): u for u in po.pofile.parsefile(str(work)).units if u.getcontext()}
    chinese = str(units[f"{CASE}#profile.short_description"].target).replace("最高25,000欧元", "最高不超过25,000欧元")
    edit_po(work, "Since 2015, Centre for Technology Transfer", chinese)
    before = snapshot(marked)
    assert run(marked, capsys, "i18n", "import", str(work))[0] == 0
    changes = changed_lines(before, snapshot(marked))
    assert [line[:1] for line in changes[CASE]] == ["-", "+"]
    assert changes[CASE][1].startswith("+      自2015年起") and "最高不超过25,000欧元" in changes[CASE][1]
    assert (marked / CASE).read_text(encoding="utf-8").count("    zh: |\n") == before[CASE].count("    zh: |\n")
    assert translation_status(marked) == {}


def test_import_refuses_a_unit_whose_english_changed_since_the_export(marked: Path, capsys, tmp_path: Path):
    assert run(marked, capsys, "i18n", "export", "--format", "po", "-o", str(tmp_path))[0] == 0
    work = tmp_path / "content.zh_CN.po"
    edit_po(work, NAME_EN, NEW_NAME_ZH)
    edit_po(work, f"{CASE}#institution", "雅盖隆大学（克拉科夫）")  # a good unit: it is not written either
    path = marked / CASE
    path.write_text(path.read_text(encoding="utf-8").replace("example of good practice", "example of a good practice"),
                    encoding="utf-8")
    before = snapshot(marked)
    code, out, err = run(marked, capsys, "i18n", "import", str(work))
    line = next(i for i, text in enumerate(work.read_text(encoding="utf-8").splitlines(), 1)
                if text == f'msgctxt "{CASE}#profile.name"') - 6  # the unit starts at its first comment
    assert code == 1 and out == ""
    assert err == (
        f"{work}:{line}:1: profile.name: the English of {CASE}:30 profile.name changed since the export"
        " — run `i18n export` again and translate the current English (your tool's memory keeps your work)\n"
        "1 error(s), 0 warning(s)\n"
    )
    assert snapshot(marked) == before, "nothing is written"


def test_import_refuses_unknown_units_and_broken_markdown(marked: Path, capsys, tmp_path: Path):
    assert run(marked, capsys, "i18n", "export", "--format", "po", "-o", str(tmp_path))[0] == 0
    work = tmp_path / "content.zh_CN.po"
    store = po.pofile.parsefile(str(work))
    units = {u.getcontext(): u for u in store.units if u.getcontext()}
    background = units[f"{CASE}#profile.background"]
    background.target = str(background.target).replace("\n\n", "")  # two paragraphs run into one
    units[f"{CASE}#profile.name"].setcontext(f"{CASE}#profile.title")
    units[f"{CASE}#profile.name"].target = NEW_NAME_ZH
    units[f"{CASE}#profile.name"].sourcecomments = []
    units[f"{CASE}#profile.name"].locations = []
    store.savefile(str(work))
    before = snapshot(marked)
    code, _, err = run(marked, capsys, "i18n", "import", str(work))
    assert code == 1
    assert "profile.background: the Chinese does not keep the English's Markdown structure: " \
           "the English has 2 blocks, the Chinese 1" in err
    assert f"unknown unit '{CASE}#profile.title': no such file and field in the project" in err
    assert err.endswith("2 error(s), 0 warning(s)\n")
    assert snapshot(marked) == before


def test_glossary_for_translation_tools(project: Path, capsys, tmp_path: Path):
    from translate.storage import tbx

    from site_builder.termbase import load_concepts

    code, out, _ = run(project, capsys, "i18n", "glossary", "-o", str(tmp_path))
    assert code == 0 and out.split() == ["wrote", str(tmp_path / "glossary.tbx"), "wrote", str(tmp_path / "glossary.csv")]
    concepts = load_concepts(project)
    store = tbx.tbxfile.parsefile(str(tmp_path / "glossary.tbx"))
    assert len(store.units) == len(concepts)
    first = store.units[0]
    assert [t.text for t in first.get_source_terms()] == ["technology transfer", "TT"]
    assert [(t.text, t.administrative_status) for t in first.get_target_terms()] == [
        ("技术转移", "preferredTerm-admn-sts"), ("技术转让", "admittedTerm-admn-sts"), ("成果转化", "admittedTerm-admn-sts")]
    rows = list(csv.DictReader((tmp_path / "glossary.csv").open(encoding="utf-8")))
    assert len(rows) == sum(len(c.english) for c in concepts)
    assert rows[1] == {"en": "TT", "zh-CN": "技术转移", "note": rows[0]["note"]}
    assert rows[0]["note"].startswith("also: 技术转让, 成果转化 — 技术转移 for the field")
    startup = next(r for r in rows if r["en"] == "startup")
    assert startup["note"].endswith("not a term in: lean startup")
    # Named entities: every English form the guide uses, one Chinese form, the variants flagged as forbidden.
    assert {"en": "CNIPA", "zh-CN": "国家知识产权局", "note": "named entity"} in rows
    entity = next(u for u in store.units if [t.text for t in u.get_target_terms()][:1] == ["千校万企"])
    assert [(t.text, t.administrative_status) for t in entity.get_target_terms()] == [
        ("千校万企", "preferredTerm-admn-sts"), ("教科技厅函〔2022〕26号", "deprecatedTerm-admn-sts")]


def test_xliff_import_keeps_a_file_s_own_indentation(marked: Path, capsys, tmp_path: Path):
    """um-chemelot-inscite indents one mapping by four spaces, which ruamel.yaml alone would rewrite."""
    from translate.storage import xliff

    assert run(marked, capsys, "i18n", "export", "--format", "xliff", "-o", str(tmp_path))[0] == 0
    store = xliff.xlifffile.parsefile(str(tmp_path / "content.zh_CN.xlf"))
    unit = next(u for u in store.units if u.getid() == "cases/um-chemelot-inscite.yaml\x04target_groups_detail")
    unit.target = str(unit.target).replace("C. 政策制定者", "C. 政策制定机构")
    store.savefile(str(tmp_path / "edited.xlf"))
    before = snapshot(marked)
    assert run(marked, capsys, "i18n", "import", str(tmp_path / "edited.xlf"))[0] == 0
    changes = changed_lines(before, snapshot(marked))
    assert changes["cases/um-chemelot-inscite.yaml"] == ["-      C. 政策制定者", "+      C. 政策制定机构"]
    assert translation_status(marked) == {CASE: {"profile.short_description": "stale"}}


def test_xliff_unit_set_translated_by_its_state_is_imported(marked: Path, capsys, tmp_path: Path):
    """A CAT tool marks a reviewed unit by its target's state and leaves `approved="no"` as it was."""
    assert run(marked, capsys, "i18n", "export", "--format", "xliff", "-o", str(tmp_path))[0] == 0
    text = (tmp_path / "content.zh_CN.xlf").read_text(encoding="utf-8")
    assert text.count('<target state="needs-review-translation">') == 1
    text = text.replace('<target state="needs-review-translation">', '<target state="translated">')
    text = text.replace("小额资助（最高25,000欧元）", "小额资助（最高不超过25,000欧元）")
    (tmp_path / "edited.xlf").write_text(text, encoding="utf-8")
    code, out, _ = run(marked, capsys, "i18n", "import", str(tmp_path / "edited.xlf"))
    assert code == 0 and out.splitlines()[0] == f"updated {CASE}: profile.short_description"
    assert translation_status(marked) == {}
    # Left for review, the same unit is not imported.
    (tmp_path / "review.xlf").write_text(text.replace('<target state="translated">', '<target state="needs-review-translation">'),
                                         encoding="utf-8")
    code, out, _ = run(marked, capsys, "i18n", "import", str(tmp_path / "review.xlf"))
    assert code == 0 and out.startswith("imported 0 translation(s) into 0 file(s)")


def test_structure_check():
    from site_builder.exchange import structure_mismatch

    assert structure_mismatch("#1 Yixueyuan Road", "医学院路1号", markdown=False) is None
    assert structure_mismatch("A road", "第一行\n第二行", markdown=False) == "the English is one line, the Chinese has several"
    assert structure_mismatch("Intro:\n\n- one\n- two", "引言：\n\n- 一\n- 二") is None
    assert structure_mismatch("Intro:\n\n- one\n- two", "引言：\n\n- 一二") == \
        "block 2 is a list of 2 items in the English, a list of 1 item in the Chinese"
    assert structure_mismatch("#### Title\n\nText.", "标题\n\n正文。") == \
        "block 1 is a heading in the English, a paragraph in the Chinese"


def test_import_warns_where_the_chinese_ignores_the_glossary(marked: Path, capsys, tmp_path: Path):
    assert run(marked, capsys, "i18n", "export", "--format", "po", "-o", str(tmp_path))[0] == 0
    work = tmp_path / "content.zh_CN.po"
    edit_po(work, f"{CASE}#institution", "亚盖隆大学")  # not the official name
    code, out, err = run(marked, capsys, "i18n", "import", str(work))
    line = next(i for i, text in enumerate(work.read_text(encoding="utf-8").splitlines(), 1)
                if text == f'msgctxt "{CASE}#institution"') - 2
    assert code == 0 and out.splitlines()[0] == f"updated {CASE}: institution"
    assert err == (f"{work}:{line}:1: warning: institution: 'Jagiellonian University' is not rendered as the"
                   " glossary says — use 雅盖隆大学 (translations/glossary.yaml)\n")
