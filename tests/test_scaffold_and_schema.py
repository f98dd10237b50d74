"""`new` writes a case that validates once filled; the committed JSON Schema is fresh."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from site_builder.cli import main
from site_builder.schema import render_schemas

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_fresh():
    for name, text in render_schemas().items():
        committed = (ROOT / "schema" / name).read_text(encoding="utf-8")
        assert committed == text, f"schema/{name} is stale: run `python -m site_builder schema`"


def test_schema_lists_the_template_fields():
    schema = json.loads((ROOT / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    assert {"id", "section", "profile", "impact", "contact", "update_of"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_new_writes_the_next_free_section_with_the_modeline(project: Path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["new", "--partner", "jagiellonian-university", "--id", "my-new-case"]) == 0
    text = (project / "cases" / "my-new-case.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/case.schema.json")
    assert 'section: "2.1.2"' in text  # 2.1.1 is taken in the small project
    # Unfilled, it does not validate, and says where to fill in.
    assert main(["validate"]) == 1
    assert "cases/my-new-case.yaml:" in capsys.readouterr().err


def test_new_case_validates_once_filled(project: Path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["new", "--partner", "nankai-university", "--id", "filled-case"]) == 0
    path = project / "cases" / "filled-case.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return "Filled text" if value in ("", None) else value

    data = fill(data)
    data["date"] = "2019-04"  # left empty by `new` until the editor gives the source's date
    data["contact"]["email"] = "someone@example.org"
    data["themes"] = ["tto-organisation"]
    data["information_sources"]["websites"] = ["https://example.org/"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["validate"]) == 0, capsys.readouterr().err


def test_the_untouched_scaffold_validates_as_a_draft_and_leaves_the_date_empty(project: Path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["new", "--partner", "nankai-university", "--id", "untouched"]) == 0
    text = (project / "cases" / "untouched.yaml").read_text(encoding="utf-8")
    assert re.search(r"^date: +#", text, re.M), "the date must be empty until the editor gives the source's"
    assert main(["validate", "--draft", "cases/untouched.yaml"]) == 0, capsys.readouterr().err
    assert "warning: authors[0].name: the author's name is empty" in capsys.readouterr().err
    assert main(["validate", "cases/untouched.yaml"]) == 1


def test_new_explains_what_an_id_looks_like(project: Path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    try:
        main(["new", "--partner", "nankai-university", "--id", "My Case"])
    except SystemExit as exc:
        assert exc.code == 2
    err = capsys.readouterr().err
    assert "lower-case Latin letters, digits and hyphens" in err and "--id my-case" in err


def test_new_refuses_an_unknown_partner(project: Path, monkeypatch):
    monkeypatch.chdir(project)
    try:
        main(["new", "--partner", "nowhere"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("expected a usage error")


def test_every_case_file_carries_the_schema_modeline():
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert re.fullmatch(r"# yaml-language-server: \$schema=\.\./schema/case\.schema\.json", first), path.name


_HAN = r"[\u3400-\u9fff\uf900-\ufaff]"
_CODE_SPAN = re.compile(r"`[^`]*`")  # YAML as it is typed (`section: "2.1.1"`): its quotes are the syntax


def _chinese_and_committed(fresh: object, committed: object, where: str):
    """Yield (place, Chinese text, committed text) for every string of the schema written in Chinese only."""
    if isinstance(fresh, dict) and isinstance(committed, dict):
        for key, value in fresh.items():
            yield from _chinese_and_committed(value, committed.get(key), f"{where}.{key}")
    elif isinstance(fresh, list) and isinstance(committed, list):
        for i, (value, kept) in enumerate(zip(fresh, committed)):
            yield from _chinese_and_committed(value, kept, f"{where}[{i}]")
    elif isinstance(fresh, str) and re.search(_HAN, fresh):
        yield where, fresh, committed


def test_the_chinese_schema_help_uses_chinese_punctuation_and_no_ascii_quotes(monkeypatch):
    from site_builder import schema
    from site_builder.messages import Message

    def chinese_only(text: str, *, short: bool = False) -> str:
        return (text if isinstance(text, Message) else Message(text)).render("zh")

    monkeypatch.setattr(schema, "bilingual", chinese_only)
    checked, wrong = 0, []
    for name, text in render_schemas().items():
        committed = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
        for where, chinese, kept in _chinese_and_committed(json.loads(text), committed, name):
            # The Chinese is what the schema file shows first (before its English), so the files are what is checked.
            assert isinstance(kept, str) and kept.startswith(chinese), where
            prose = _CODE_SPAN.sub("`…`", chinese)
            for rule, pattern in (("ASCII quotes", r"\"[^\"]*\"|'[^']*'"),
                                  ("a half-width mark", rf"{_HAN}[,:;()]|[,:;()]{_HAN}"),
                                  ("a space between Chinese characters", rf"{_HAN} +{_HAN}")):
                if re.search(pattern, prose):
                    wrong.append(f"{where}: {rule}: {chinese}")
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 100  # every description, title and message of the four schemas, not a few
