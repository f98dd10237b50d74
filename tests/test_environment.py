"""Errors of the machine, not of the content, have their own exit status (3) and a located message."""
from __future__ import annotations

from site_builder import pdf
from site_builder.cli import main


def test_a_missing_font_exits_with_status_3(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pdf, "CJK_FONT", "No Such Font CJK")
    assert main(["--project", str(project), "pdf", "--output", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "fonts:" in err and "'No Such Font CJK' is not installed" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_help_documents_status_3(capsys):
    try:
        main(["--help"])
    except SystemExit as exit:
        assert exit.code == 0
    assert "3 environment errors" in capsys.readouterr().out
