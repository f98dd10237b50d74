"""The case editor of the live preview in a real browser (Debian's Chromium through Playwright).

Each test runs a real preview (`serve`'s Preview, on 127.0.0.1) over its own copy of the small project, and works
the form only as an editor would: with clicks, typing and keys. Screenshots of the form (both languages, 360 and
1280 px), of a conflict and of a stale translation go to a temporary folder, or to EDITOR_SCREENSHOTS=/some/folder.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import CHROMIUM, make_small_project
from site_builder.build import build
from site_builder.serve import Preview

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

CASE = "ju-proof-of-concept-grants"
PHONE, DESKTOP = (360, 740), (1280, 900)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def fid(path: str) -> str:
    """Return the CSS selector of the form's input for a dotted field path (editor.js: idFor)."""
    return "#f-" + path.replace(".", "--")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project under git, so that a test can show what a save changed."""
    root = make_small_project(tmp_path / "project")
    git = ["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    return root


@pytest.fixture
def preview(project: Path):
    with Preview(project, port=0, search=False, poll=0.01) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("EDITOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("editor-screenshots")


class Watched:
    """A page and what went wrong on it: script errors, and requests to any host but the preview's."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        # Which address a "Failed to load resource" message is about: the console does not say.
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.request.method} {r.url}"))

        def route(route):
            if re.match(r"https?://127\.0\.0\.1[:/]", route.request.url):
                route.continue_()
            else:
                self.errors.append("other host: " + route.request.url)
                route.abort()

        page.route("**/*", route)


@pytest.fixture
def tab(browser):
    """Open a tab of `size`, in the light or dark scheme; close every one at the end."""
    opened = []

    def open_tab(size=DESKTOP, scheme="light") -> Watched:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-GB",
                                      color_scheme=scheme)
        context.set_default_timeout(15_000)
        opened.append(context)
        return Watched(context.new_page())

    yield open_tab
    for context in opened:
        context.close()


def wait_checked(page) -> None:
    """Wait until the form's last check has come back (the summary shows its result) and no check is pending."""
    page.wait_for_function("() => !document.getElementById('editor-summary').hidden")
    page.wait_for_timeout(700)  # the check runs 400 ms after the last key; then its answer
    page.wait_for_load_state("networkidle")


def remaining_problems(page) -> list[str]:
    return page.eval_on_selector_all("#editor-summary-list li", "items => items.map(i => i.textContent)")


def fill_text(page, path: str, en: str, zh: str) -> None:
    page.fill(fid(path + ".en"), en)
    page.fill(fid(path + ".zh"), zh)


def axe_violations(page) -> list[dict]:
    page.evaluate(Axe().axe_script)
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)",
                         {**WCAG, "resultTypes": ["violations"]})


# --- a new case, entirely through the form ------------------------------------------------------------------------

MARKDOWN_EN = ("The office first tests an idea with a small grant.\n\n"
               "It then helps the team in three ways:\n\n"
               "- a prototype\n- a patent filing\n- a first customer")
MARKDOWN_ZH = "该办公室先以小额资助检验一个想法。\n\n随后从三个方面帮助团队：\n\n- 原型\n- 专利申请\n- 第一个客户"


def test_a_new_case_made_in_the_form_is_saved_shown_and_valid(preview, project, tab, screenshots):
    watched = tab()
    page = watched.page
    page.goto(preview.url + "en/")
    page.click("a.editor-link[href='/_editor/en/new']")
    page.wait_for_url("**/_editor/en/new")
    page.select_option("#editor-partner", "jagiellonian-university")
    page.click("#editor-start button[type=submit]")
    page.wait_for_selector("#editor-form:not([hidden])")

    page.fill(fid("id"), "ju-test-grants")
    fill_text(page, "institution", "Jagiellonian University", "雅盖隆大学")
    fill_text(page, "country", "Poland", "波兰")
    page.fill(fid("authors.0.name"), "Anna Nowak")
    fill_text(page, "target_groups.0", "Researchers", "研究人员")
    page.click("#w-f-target_groups > .list-add")  # a second item, through the list's own button
    fill_text(page, "target_groups.1", "Students", "学生")
    page.fill(fid("date"), "2024")
    page.select_option(fid("date") + "-month", "05")
    fill_text(page, "profile.name", "Small grants that test an idea", "检验想法的小额资助")
    fill_text(page, "profile.short_description", MARKDOWN_EN, MARKDOWN_ZH)
    fill_text(page, "profile.keywords.0", "proof of concept", "概念验证")
    page.click("#w-f-themes > .list-add")
    page.select_option(fid("themes.0"), "proof-of-concept")
    wait_checked(page)
    # The rendered preview of the Markdown field shows its list and its paragraphs as the site renders them.
    preview_box = page.locator(fid("profile.short_description.en") + " ~ .markdown-preview")
    expect(preview_box.locator("li")).to_have_count(3)
    expect(preview_box.locator("p")).to_have_count(2)

    problems = remaining_problems(page)
    errors = [p for p in problems if p.startswith("Error")]
    assert not errors, errors
    expect(page.locator("#editor-save")).to_be_enabled()
    page.click("#editor-save")
    expect(page.locator("#editor-status")).to_contain_text("Saved cases/ju-test-grants.yaml")
    saved = yaml.safe_load((project / "cases" / "ju-test-grants.yaml").read_text(encoding="utf-8"))
    assert saved["profile"]["short_description"]["en"].strip() == MARKDOWN_EN
    assert [t["en"] for t in saved["target_groups"]] == ["Researchers", "Students"]
    assert saved["date"] == "2024-05"

    page.click("#editor-status a")  # "See the case in the preview"
    page.wait_for_url("**/en/cases/ju-test-grants/")
    page.wait_for_selector("h1:has-text('Small grants that test an idea')", timeout=30_000)
    # The preview may still reload the page once its rebuild ends: expect() waits for the text, count() would not.
    expect(page.locator("main li", has_text="a patent filing")).to_have_count(1)
    # Typed in directly, in a tab of its own (the English one may still reload once the rebuild ends), the
    # Chinese page is there once the rebuild has written it; the link above waits for it itself.
    chinese = preview.output / "zh" / "cases" / "ju-test-grants" / "index.html"
    deadline = time.monotonic() + 30
    while not chinese.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    chinese_tab = tab()
    chinese_tab.page.goto(preview.url + "zh/cases/ju-test-grants/")
    expect(chinese_tab.page.locator("h1")).to_have_text("检验想法的小额资助")
    expect(chinese_tab.page.locator("main li", has_text="专利申请")).to_have_count(1)
    assert not chinese_tab.errors, chinese_tab.errors
    assert not watched.errors, watched.errors

    validate = subprocess.run([sys.executable, "-m", "site_builder", "validate"], cwd=project, capture_output=True,
                              text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr


# --- one field of a real case ----------------------------------------------------------------------------------

def test_editing_one_field_changes_only_that_field_s_lines(preview, project, tab):
    page = tab().page
    page.goto(preview.url + f"en/cases/{CASE}/")
    page.focus(f"a.editor-link[href='/_editor/en/edit/{CASE}']")  # the bar's link, reached and followed by keyboard
    page.keyboard.press("Enter")
    page.wait_for_selector("#editor-form:not([hidden])")
    wait_checked(page)
    page.fill(fid("country.en"), "Republic of Poland")
    wait_checked(page)
    page.keyboard.press("Control+s")  # as the Save button
    expect(page.locator("#editor-status")).to_contain_text(f"Saved cases/{CASE}.yaml")
    diff = subprocess.run(["git", "-C", str(project), "diff", "-U0", "--", "cases/"], capture_output=True, text=True,
                          check=True).stdout
    print(diff)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-  en: Poland", "+  en: Republic of Poland"], diff


# --- a case with errors: only a draft ------------------------------------------------------------------------

def test_a_case_with_errors_is_saved_only_as_a_draft_until_they_are_fixed(preview, project, tab, screenshots):
    page = tab().page
    page.goto(preview.url + f"_editor/en/edit/{CASE}")
    page.wait_for_selector("#editor-form:not([hidden])")
    before = (project / "cases" / f"{CASE}.yaml").read_bytes()
    page.fill(fid("country.en"), "")
    wait_checked(page)
    # The problem is next to its field, tied to the input, and in the summary with a link to the field.
    problem_id = page.get_attribute(fid("country.en"), "aria-describedby").split()[-1]
    expect(page.locator(f"#{problem_id}")).to_be_visible()
    assert page.get_attribute(fid("country.en"), "aria-invalid") == "true"
    assert page.locator(f"#w-{fid('country.en')[1:]} #{problem_id}").count() == 1
    page.click(f"#editor-summary-list a[href='{fid('country.en')}']")
    expect(page.locator(fid("country.en"))).to_be_focused()
    expect(page.locator("#editor-save")).to_be_disabled()
    expect(page.locator("#editor-remaining")).to_contain_text("1 problem(s) remain")
    page.locator("#w-" + fid("country")[1:]).screenshot(path=str(screenshots / "problem-at-its-field-1280.png"))

    page.click("#editor-save-draft")
    expect(page.locator("#editor-status")).to_contain_text(f"Saved as a draft: drafts/{CASE}.yaml")
    assert (project / "cases" / f"{CASE}.yaml").read_bytes() == before
    assert (project / "drafts" / f"{CASE}.yaml").is_file()

    page.reload()  # the draft is what opens now, and the page says so
    page.wait_for_selector("#editor-form:not([hidden])")
    expect(page.locator("#editor-status")).to_contain_text("saved draft")
    expect(page.locator(fid("country.en"))).to_have_value("")
    page.fill(fid("country.en"), "Poland")
    wait_checked(page)
    page.click("#editor-save")
    expect(page.locator("#editor-status")).to_contain_text(f"Saved cases/{CASE}.yaml")
    assert not (project / "drafts" / f"{CASE}.yaml").exists()
    # Back to the text it had, but for the field that went through the draft (its quoting may follow the draft's).
    after = (project / "cases" / f"{CASE}.yaml").read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before.decode("utf-8").splitlines(), after) if old != new]
    assert len(after) == len(before.decode("utf-8").splitlines()) and len(changed) <= 1, changed
    assert yaml.safe_load("\n".join(after)) == yaml.safe_load(before)


# --- a change on disk while the form is open ------------------------------------------------------------------

def test_a_change_on_disk_is_not_overwritten_and_both_versions_are_shown(preview, project, tab, screenshots):
    page = tab().page
    page.goto(preview.url + f"_editor/en/edit/{CASE}")
    page.wait_for_selector("#editor-form:not([hidden])")
    page.fill(fid("institution.en"), "Jagiellonian University in Kraków")
    wait_checked(page)
    path = project / "cases" / f"{CASE}.yaml"
    theirs = path.read_text(encoding="utf-8").replace("zh: 雅盖隆大学", "zh: 亚捷隆大学", 1)
    path.write_text(theirs, encoding="utf-8")  # another editor, or a git pull

    page.click("#editor-save")
    conflict = page.locator("#editor-conflict")
    expect(conflict).to_be_visible()
    assert path.read_text(encoding="utf-8") == theirs, "the save overwrote the change on disk"
    expect(page.locator("#conflict-disk")).to_contain_text("亚捷隆大学")
    expect(page.locator("#conflict-yours")).to_contain_text("Jagiellonian University in Kraków")
    # Each side marks the lines the other lacks: the institution's English (changed here), its Chinese (on disk).
    expect(page.locator("#conflict-disk mark")).to_have_text(["  en: Jagiellonian University\n", "  zh: 亚捷隆大学\n"])
    expect(page.locator("#conflict-yours mark")).to_have_text(["  en: Jagiellonian University in Kraków\n",
                                                               "  zh: 雅盖隆大学\n"])
    expect(page.locator("#editor-conflict h2")).to_be_focused()
    page.screenshot(path=str(screenshots / "conflict-1280.png"), full_page=False)
    violations = axe_violations(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations]

    page.click("#conflict-reload")
    expect(conflict).to_be_hidden()
    expect(page.locator(fid("institution.zh"))).to_have_value("亚捷隆大学")


def test_a_new_case_with_a_taken_id_says_so_and_never_shows_the_other_case_as_its_own(preview, project, tab):
    page = tab().page
    page.goto(preview.url + "_editor/zh/new")
    page.select_option("#editor-partner", "jagiellonian-university")
    page.click("#editor-start button[type=submit]")
    page.wait_for_selector("#editor-form:not([hidden])")
    path = project / "cases" / f"{CASE}.yaml"
    before = path.read_bytes()
    page.fill(fid("id"), CASE)
    wait_checked(page)
    page.click("#editor-save-draft")  # an untouched new case has errors: it can be saved as a draft only
    expect(page.locator("#editor-status")).to_contain_text("已存在")
    expect(page.locator("#editor-conflict")).to_be_hidden()
    expect(page.locator(fid("id"))).to_be_focused()
    assert path.read_bytes() == before


# --- translation state ----------------------------------------------------------------------------------------

def test_a_stale_translation_shows_the_english_diff_and_can_be_marked(preview, project, tab, screenshots):
    page = tab().page
    page.goto(preview.url + f"_editor/en/edit/{CASE}")
    page.wait_for_selector("#editor-form:not([hidden])")
    zh = page.locator("#w-" + fid("profile.name.zh")[1:])
    expect(zh).not_to_have_class(re.compile(r"\bstale\b"))
    old = page.input_value(fid("profile.name.en"))
    page.fill(fid("profile.name.en"), old.replace("Proof of concept grants", "Proof-of-concept grants"))
    wait_checked(page)
    page.click("#editor-save")
    expect(page.locator("#editor-status")).to_contain_text("Saved")

    page.reload()
    page.wait_for_selector("#editor-form:not([hidden])")
    expect(zh).to_have_class(re.compile(r"\bstale\b"))
    expect(zh.locator("del")).to_contain_text("Proof of concept")
    expect(zh.locator("ins")).to_contain_text("Proof-of-concept")
    field = page.locator("#w-" + fid("profile.name")[1:])
    field.scroll_into_view_if_needed()
    field.screenshot(path=str(screenshots / "stale-translation-1280.png"))
    violations = axe_violations(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations]
    chinese = tab().page  # the same state on the Chinese page
    chinese.goto(preview.url + f"_editor/zh/edit/{CASE}")
    chinese.wait_for_selector("#w-" + fid("profile.name.zh")[1:] + ".stale")
    expect(chinese.locator("#w-" + fid("profile.name.zh")[1:] + " button.mark-translated")).to_have_text("标记为已翻译")
    chinese.locator("#w-" + fid("profile.name")[1:]).screenshot(path=str(screenshots / "stale-translation-zh-1280.png"))

    zh.locator("button.mark-translated").click()
    expect(zh).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#editor-status")).to_contain_text("Marked as translated")
    page.reload()
    page.wait_for_selector("#editor-form:not([hidden])")
    expect(zh).not_to_have_class(re.compile(r"\bstale\b"))


# --- accessibility, both languages, phone and desktop ------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_form_is_axe_clean_and_fits_a_phone(preview, tab, screenshots, lang):
    for size in (PHONE, DESKTOP):
        for scheme in ("light", "dark"):
            watched = tab(size, scheme)
            page = watched.page
            page.goto(preview.url + f"_editor/{lang}/edit/{CASE}")
            page.wait_for_selector("#editor-form:not([hidden])")
            wait_checked(page)
            assert page.get_attribute("html", "lang") == {"en": "en", "zh": "zh-CN"}[lang]
            expect(page.locator("#editor-save")).to_have_text({"en": "Save", "zh": "保存"}[lang])
            expect(page.locator("#w-f-profile h2")).to_have_text({"en": "Profile", "zh": "概况"}[lang])
            violations = axe_violations(page)
            assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations]
            assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0]
            page.screenshot(path=str(screenshots / f"form-{lang}-{size[0]}-{scheme}.png"), full_page=False)
            if scheme == "light":
                page.locator("#w-f-profile h2").evaluate("heading => heading.scrollIntoView()")
                page.screenshot(path=str(screenshots / f"form-{lang}-{size[0]}-profile.png"), full_page=False)
            assert not watched.errors, watched.errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_new_case_page_is_axe_clean_with_its_problems_shown(preview, tab, screenshots, scheme):
    for lang in ("en", "zh"):
        page = tab(PHONE, scheme).page
        page.goto(preview.url + f"_editor/{lang}/new")
        page.click("#editor-start button[type=submit]")
        page.wait_for_selector("#editor-form:not([hidden])")
        wait_checked(page)
        assert remaining_problems(page), "an empty new case has problems to fix"
        expect(page.locator("#editor-save")).to_be_disabled()
        expect(page.locator("#editor-save-draft")).to_be_visible()
        invalid = page.locator("[aria-invalid=true]").first
        described = invalid.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{i}.problem").count() for i in described)
        # Problems inside lists (validate names them "authors[0].name") are at their fields too, none at the top.
        expect(page.locator(fid("authors.0.name"))).to_have_attribute("aria-invalid", "true")
        expect(page.locator(fid("profile.keywords.0.en"))).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#editor-general")).to_have_count(0)
        violations = axe_violations(page)
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations]
        page.screenshot(path=str(screenshots / f"new-{lang}-360-{scheme}.png"), full_page=False)


def test_keyboard_alone_reorders_a_list(preview, tab):
    page = tab().page
    page.goto(preview.url + f"_editor/en/edit/{CASE}")
    page.wait_for_selector("#editor-form:not([hidden])")
    first, second = (page.input_value(fid(f"profile.keywords.{i}.en")) for i in (0, 1))
    page.focus(fid("profile.keywords.0.zh"))
    page.keyboard.press("Tab")  # the first item's "move up" is disabled: Tab lands on "move down"
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Move ") and focused.endswith(" down"), focused
    page.keyboard.press("Enter")
    assert page.input_value(fid("profile.keywords.0.en")) == second
    assert page.input_value(fid("profile.keywords.1.en")) == first
    assert page.evaluate("document.activeElement.classList.contains('list-down')")


# --- the built site knows nothing of the editor ----------------------------------------------------------------

def test_the_built_site_has_no_editor(preview, project, tmp_path):
    served = urllib.request.urlopen(preview.url + f"en/cases/{CASE}/", timeout=30).read().decode("utf-8")
    assert re.search(r"_editor|editor-link", served), "the preview's page has the links the built one must not have"
    output = tmp_path / "output"
    build(project, output, pdf=False, search=False)
    found = [str(p.relative_to(output)) for p in output.rglob("*") if p.is_file() and p.suffix in (".html", ".js", ".css")
             and re.search(r"_editor|editor-link", p.read_text(encoding="utf-8", errors="replace"))]
    assert not found
    assert not list(output.rglob("*editor*"))
