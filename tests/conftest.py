"""Shared fixtures: the real project, and small throw-away projects built from it."""
from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the tests never download a browser
SITE_ADDRESS = "https://guide.example.org/"  # the address the shared build is made for: feeds, sitemap, canonical links


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Run every test with English messages, whatever the machine's language (tests that want Chinese ask)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from site_builder.messages import set_language

    set_language("en")


@pytest.fixture(scope="session")
def built_guide(tmp_path_factory) -> Path:
    """Build the real guide's website once for the whole run (with its search index, for SITE_ADDRESS, no PDFs).

    The site, browser, HTML checker and typography tests all read this one build; none may change it.
    """
    from site_builder.build import build

    output = tmp_path_factory.mktemp("guide-site") / "output"
    build(ROOT, output, pdf=False, search=True, base_url=SITE_ADDRESS)
    return output


@pytest.fixture(scope="session")
def built_small_project(tmp_path_factory) -> Path:
    """Build the small project's website once for the whole run, dated by SOURCE_DATE_EPOCH so that it is stable.

    The golden-output test compares it with tests/golden/; other tests that only read it share it.
    """
    from site_builder.build import build

    folder = tmp_path_factory.mktemp("small-site")
    project = make_small_project(folder / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1577836800")  # 2020-01-01, the guide's year
        build(project, folder / "output", pdf=False, search=False)
    return folder / "output"


def make_small_project(root: Path) -> Path:
    """Write the small project into `root`: the real guide data, two real cases and the small test case."""
    (root / "cases").mkdir(parents=True)
    for folder in ("guide", "themes", "translations", "schema"):
        shutil.copytree(ROOT / folder, root / folder)
    for case in ("ju-proof-of-concept-grants", "um-chemelot-inscite"):
        shutil.copy(ROOT / "cases" / f"{case}.yaml", root / "cases")
    shutil.copy(FIXTURES / "small-case.yaml", root / "cases")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Return a small project: the real guide data, two real cases and the small test case."""
    return make_small_project(tmp_path / "project")


@pytest.fixture(scope="module")
def browser():
    """Return Debian's Chromium driven by Playwright, one per test module (the modules that use it skip without it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def fetch(url: str, timeout: float = 30) -> tuple[int, str]:
    """GET a page of a running preview; return its status and text (an error page's too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")
