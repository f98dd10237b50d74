"""Per-field translation freshness: `i18n mark FILE FIELD…`, `i18n status` with its word diff, the old record format."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.freshness import SOURCES_FILE, fingerprint, word_diff

CASE = "cases/ju-proof-of-concept-grants.yaml"


def run(project: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--project", str(project), "i18n", *args])
    out, err = capsys.readouterr()
    return code, out, err


def edit(project: Path, old: str, new: str, file: str = CASE) -> None:
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def marked(project: Path, capsys) -> Path:
    """The small project with every translation recorded as fresh."""
    assert run(project, capsys, "mark", "--all", "cases/small-case.yaml")[0] == 0
    assert run(project, capsys, "status")[0] == 0
    return project


def test_mark_needs_the_fields_or_all(marked: Path, capsys):
    code, _, err = run(marked, capsys, "mark", CASE)
    assert code == 2 and "--all" in err
    code, _, err = run(marked, capsys, "mark", CASE, "profile.nam")
    assert code == 2 and "no bilingual field 'profile.nam'; did you mean profile.name" in err


def test_marking_one_field_leaves_another_stale_one_stale(marked: Path, capsys):
    # Two English fields change; only the name's Chinese is revised and marked.
    edit(marked, "as an example of good practice in TT", "as an example of good practices in TT")
    edit(marked, "small grants (up to 25,000 EUR) for development", "small grants (of up to 25,000 EUR) for the development")
    edit(marked, "良好实践范例", "良好实践案例")
    code, out, _ = run(marked, capsys, "mark", CASE, "profile.name")
    assert (code, out) == (0, "recorded 1 translation(s) as made from the current English\n")
    code, out, _ = run(marked, capsys, "status")
    assert code == 1
    assert out == (
        "cases/ju-proof-of-concept-grants.yaml:33: profile.short_description: stale\n"
        "    … been awarding small grants [-(up-]{+(of up+} to 25,000 EUR) for {+the+} development of"
        " promising research …\n"
        "175/176 Chinese texts complete and fresh (99.4%)\n"
    )


def test_reordering_list_items_is_not_a_change(marked: Path, capsys):
    edit(marked, "  - en: Academics\n    zh: 高校教师\n  - en: researchers\n    zh: 研究人员\n",
         "  - en: researchers\n    zh: 研究人员\n  - en: Academics\n    zh: 高校教师\n")
    assert run(marked, capsys, "status")[0] == 0
    # Swapping the English alone leaves each Chinese next to the wrong English: both are stale.
    edit(marked, "  - en: researchers\n    zh: 研究人员\n  - en: Academics\n    zh: 高校教师\n",
         "  - en: researchers\n    zh: 高校教师\n  - en: Academics\n    zh: 研究人员\n")
    code, out, _ = run(marked, capsys, "status")
    assert code == 1
    assert out.splitlines()[0] == f"{CASE}:22: target_groups[0]: stale"
    assert out.splitlines()[2] == f"{CASE}:24: target_groups[1]: stale"


def test_old_fingerprint_records_keep_their_state_and_are_upgraded(marked: Path, capsys):
    store = json.loads((marked / SOURCES_FILE).read_text(encoding="utf-8"))
    # The old format: fingerprints of the English alone, one of them of an English since changed.
    store[CASE] = {field: fingerprint(entry["en"]) for field, entry in store[CASE].items()}
    store[CASE]["country"] = fingerprint("Polska")
    (marked / SOURCES_FILE).write_text(json.dumps(store, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(marked, capsys, "status")
    assert code == 1
    assert out.splitlines()[:2] == [
        f"{CASE}:9: country: stale",
        "    (the English it was translated from was not kept; compare with the file's history)",
    ]
    assert run(marked, capsys, "migrate")[0] == 0
    upgraded = json.loads((marked / SOURCES_FILE).read_text(encoding="utf-8"))[CASE]
    assert upgraded["profile.name"]["en"].startswith("Proof of concept grants")
    assert upgraded["country"] == fingerprint("Polska"), "a stale record keeps its state"
    assert run(marked, capsys, "status")[1].splitlines()[0] == f"{CASE}:9: country: stale"


def test_word_diff_shows_hunks_with_context():
    old = "one two three four five six seven eight nine ten eleven twelve"
    new = "one two three four five six seven eight nine ten eleven twelve thirteen"
    assert word_diff(old, new) == ["… nine ten eleven twelve {+thirteen+}"]
    assert word_diff("a b\n\nc d", "a b c d") == ["a b [-¶-] c d"]


def test_a_field_name_marks_the_texts_inside_it(marked: Path, capsys):
    edit(marked, "  - en: Academics\n", "  - en: Academic staff\n")
    edit(marked, "  - en: researchers\n", "  - en: Researchers\n")
    assert set(run(marked, capsys, "status")[1].split()) >= {f"{CASE}:22:", f"{CASE}:24:"}
    code, out, _ = run(marked, capsys, "mark", CASE, "target_groups")
    assert (code, out) == (0, "recorded 2 translation(s) as made from the current English\n")
    assert run(marked, capsys, "status")[0] == 0


def test_a_field_without_chinese_cannot_be_marked(marked: Path, capsys):
    edit(marked, "country:\n  en: Poland\n  zh: 波兰\n", "country:\n  en: Poland\n  zh: ''\n")
    code, _, err = run(marked, capsys, "mark", CASE, "country")
    assert code == 2 and err == f"i18n mark: {CASE}: country has no Chinese text to mark; translate it first\n"
