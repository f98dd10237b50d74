"""The validator: every kind of bad input gets one clear, located message, exit 1 and no traceback."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.cli import main

BAD = sorted((Path(__file__).parent / "bad_cases").glob("*.yaml"))


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGUAGE", "LC_"))} | {"LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)  # English messages, whatever the machine's language


def test_the_corpus_covers_at_least_25_kinds_of_bad_input():
    assert len(BAD) >= 25


def test_the_small_project_is_valid(project: Path):
    result = run_cli(["validate"], project)
    assert result.returncode == 0, result.stderr
    assert "ok: 3 case(s)" in result.stdout


def validate_in_process(project: Path, capsys) -> tuple[int, str, str]:
    """Run `validate` on a project in this process (the command line is the same; the interpreter starts once)."""
    code = main(["--project", str(project), "validate"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("bad", BAD, ids=lambda p: p.stem)
def test_bad_input_gets_a_located_message(bad: Path, project: Path, monkeypatch, capsys):
    expect = bad.read_bytes().split(b"\n", 1)[0].decode().removeprefix("# expect: ").strip() if bad.stat().st_size else ""
    target = project / "cases" / bad.name
    shutil.copy(bad, target)
    monkeypatch.chdir(project)
    code, out, err = validate_in_process(project, capsys)  # an uncaught exception fails the test with its traceback
    assert code == 1, out + err
    assert "Traceback" not in err
    lines = [text for text in err.splitlines() if text.startswith(f"cases/{bad.name}:")]
    assert lines, err
    # Every line names file:line:column, says what is wrong and how to fix it.
    for line in lines:
        assert re.match(rf"cases/{re.escape(bad.name)}:\d+:\d+: .+ — .+", line), line
    if not expect:  # the empty file carries no expectation line
        expect = "1:1 the file is empty"
    place, _, rest = expect.partition(" ") if re.match(r"\d+:\d+ ", expect) else ("", "", expect)
    message, _, hint = rest.partition(" | ")
    wanted = [text for text in lines if message in text and hint in text]
    assert wanted, f"no line with {message!r} / {hint!r} in:\n" + "\n".join(lines)
    if place:
        assert any(text.startswith(f"cases/{bad.name}:{place}:") for text in wanted), wanted


def test_a_file_over_the_size_cap_is_refused(project: Path):
    big = project / "cases" / "big.yaml"
    big.write_text("id: big\n" + "# padding\n" * 120_000, encoding="utf-8")
    result = run_cli(["validate"], project)
    assert result.returncode == 1
    assert "cases/big.yaml:1:1: file is" in result.stderr and "over the" in result.stderr


def test_a_byte_order_mark_is_fine(project: Path):
    path = project / "cases" / "small-case.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert run_cli(["validate"], project).returncode == 0


def test_every_problem_is_reported_in_one_run(project: Path):
    path = project / "cases" / "small-case.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("region: China", "region: Asia").replace("contact@example.org", "nobody")
    path.write_text(text.replace("  keywords:", "  kewords:"), encoding="utf-8")
    result = run_cli(["validate"], project)
    assert result.returncode == 1
    assert all(s in result.stderr for s in ("'Asia'", "'nobody'", "'kewords'"))
    assert "3 error(s)" in result.stderr


def test_missing_translations_are_warnings_in_draft_mode(project: Path):
    path = project / "cases" / "small-case.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  zh: 南开大学\n", ""), encoding="utf-8")
    strict, draft = run_cli(["validate"], project), run_cli(["validate", "--draft"], project)
    assert strict.returncode == 1 and "institution.zh: Chinese text is missing" in strict.stderr
    assert draft.returncode == 0 and "warning: institution.zh: Chinese text is missing" in draft.stderr


def test_usage_errors_exit_2(project: Path):
    assert run_cli(["validate", "no-such-file.yaml"], project).returncode == 2
    assert run_cli(["no-such-command"], project).returncode == 2
    assert run_cli(["validate"], project.parent).returncode == 2  # not a project folder


def test_every_command_has_help(project: Path):
    for command in ("validate", "build", "pdf", "serve", "new", "schema", "i18n"):
        result = run_cli([command, "--help"], project)
        assert result.returncode == 0 and "usage:" in result.stdout, command


def test_the_console_script_is_the_same_cli():
    script = Path(sys.executable).parent / "site-builder"
    assert script.exists(), "install the project with pip install -e ."
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout


def test_main_returns_exit_codes(project: Path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["validate"]) == 0
    (project / "cases" / "x.yaml").write_text("id: [", encoding="utf-8")
    assert main(["validate"]) == 1
