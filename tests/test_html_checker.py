"""Every built page passes the Nu HTML Checker (vnu.jar, npm's `vnu-jar`) with no error and no warning."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")
pytestmark = pytest.mark.skipif(not (JAVA and VNU.exists()),
                                reason="needs Java and node_modules/vnu-jar (./bootstrap.sh test installs both)")


def check(folder: Path) -> list[str]:
    """Return every message of the checker over the HTML files under `folder`, one line each."""
    result = subprocess.run([JAVA, "-jar", str(VNU), "--skip-non-html", "--format", "json", "--exit-zero-always",
                             str(folder)], capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [f"{m.get('url', '').removeprefix(folder.as_uri())}:{m.get('lastLine', '?')}: "
            f"{m.get('subType', m['type'])}: {m['message']}" for m in messages]


def test_every_page_is_valid_html_with_no_warning(built_guide):
    output = built_guide
    assert len(list(output.rglob("*.html"))) > 100
    messages = check(output)
    assert not messages, "\n".join(messages[:30])


def test_the_checker_reports_a_skipped_heading_level(tmp_path):
    (tmp_path / "page.html").write_text('<!doctype html><html lang="en"><title>t</title><h1>a</h1><h3>b</h3></html>',
                                        encoding="utf-8")
    assert any("skipping 1 heading level" in m for m in check(tmp_path))
