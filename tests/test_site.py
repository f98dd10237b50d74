"""The built website: every page in both languages, links that resolve, content escaped."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from site_builder.build import build
from site_builder.content import load_site
from site_builder.render import render_site

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(built_guide) -> Path:
    return built_guide


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_page_exists_in_both_languages(built):
    en = {p.relative_to(built / "en") for p in (built / "en").rglob("index.html")}
    zh = {p.relative_to(built / "zh") for p in (built / "zh").rglob("index.html")}
    assert en == zh
    assert len(en) > 27 * 2
    for case in load_site(ROOT)[0].cases:
        assert Path("cases", case.id, "index.html") in en


def test_pages_declare_their_language(built):
    assert parse(built / "en" / "index.html").lang == "en"
    assert parse(built / "zh" / "cases" / "ju-proof-of-concept-grants" / "index.html").lang == "zh-CN"


def test_no_broken_internal_links_or_anchors(built):
    pages = {p: parse(p) for p in built.rglob("*.html")}
    broken = []
    for page, parser in pages.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("mailto:", "tel:", "//")):
                continue
            target = (built / unquote(parts.path).lstrip("/")) if parts.path.startswith("/") else (page.parent / unquote(parts.path))
            if parts.path == "":
                target = page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built)} → {link}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in pages[target].ids \
                    and not parts.fragment.startswith("page="):
                broken.append(f"{page.relative_to(built)} → {link} (no #{parts.fragment})")
    assert not broken, broken[:20]


def test_language_switch_keeps_the_page(built):
    page = built / "en" / "cases" / "thu-five-one-working-system" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert 'href="/zh/cases/thu-five-one-working-system/" hreflang="zh-CN"' in html


def test_chinese_pages_show_chinese_interface_and_content(built):
    html = (built / "zh" / "cases" / "thu-five-one-working-system" / "index.html").read_text(encoding="utf-8")
    assert "清华大学" in html and "关键成功因素" in html
    assert "Key success factors" not in html


def test_search_index_is_built_for_both_languages(built):
    for lang, title in (("en", "Hebei University Science Park"), ("zh", "河北大学科技园")):
        index = json.loads((built / "search" / f"{lang}.json").read_text(encoding="utf-8"))
        stored = {doc["url"]: doc for doc in index["storedFields"].values()}
        assert stored["cases/hbu-science-park/"]["title"] == title
        assert stored["cases/hbu-science-park/"]["section"] == "3.3.1"
        assert len(stored) == index["documentCount"] == 27 + 3 + 1  # cases, policies, the needs analysis
        terms = {term for term, _ in index["index"]}
        if lang == "zh":  # overlapping bigrams, and each run's last character alone
            assert {"马斯", "斯特", "特里", "里赫", "赫特", "清华", "华大"} <= terms
        else:  # one spelling for both
            assert {"license", "organization", "program", "center"} <= terms
            assert not {"licence", "organisation", "programme", "centre"} & terms


def test_case_text_cannot_inject_script(tmp_path):
    site, _ = load_site(ROOT)
    case = site.cases[0]
    evil = case.profile.short_description.model_copy(
        update={"en": 'Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))'})
    profile = case.profile.model_copy(update={"short_description": evil})
    hacked = case.model_copy(update={"profile": profile, "institution": case.institution.model_copy(update={"en": "<b>X</b>"})})
    site = site.__class__(root=site.root, guide=site.guide, cases=(hacked, *site.cases[1:]))
    page = next(o for o in render_site(site) if o.path == f"en/cases/{case.id}/index.html").body.decode()
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page
    assert "&lt;b&gt;X&lt;/b&gt;" in page


def test_base_url_prefixes_every_link():
    site, _ = load_site(ROOT)
    page = next(o for o in render_site(site, base_url="/guide/") if o.path == "en/cases/index.html").body.decode()
    hrefs = re.findall(r'(?:href|src)="(/[^"]*)"', page)
    assert hrefs and all(h.startswith("/guide/") for h in hrefs), [h for h in hrefs if not h.startswith("/guide/")]


def test_a_content_error_leaves_the_previous_output_untouched(tmp_path):
    import shutil

    project = tmp_path / "p"
    for folder in ("guide", "themes", "translations", "cases"):
        shutil.copytree(ROOT / folder, project / folder)
    output = tmp_path / "out"
    build(project, output, pdf=False, search=False)
    before = sorted(p.relative_to(output) for p in output.rglob("*"))
    (project / "cases" / "ua-emprende.yaml").write_text("id: [broken", encoding="utf-8")
    from site_builder.problems import ContentError

    with pytest.raises(ContentError):
        build(project, output, pdf=False, search=False)
    assert sorted(p.relative_to(output) for p in output.rglob("*")) == before


def test_two_builds_are_identical(tmp_path):
    site, _ = load_site(ROOT)
    first = {o.path: o.body for o in render_site(site)}
    second = {o.path: o.body for o in render_site(load_site(ROOT)[0])}
    assert first == second


def test_a_case_image_is_published_where_its_page_points(project, tmp_path):
    images = project / "cases" / "images"
    images.mkdir()
    from PIL import Image

    Image.new("RGB", (8, 8), "blue").save(images / "diagram.png")  # a real image: validation opens it
    case = project / "cases" / "small-case.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(text + "image:\n  file: cases/images/diagram.png\n  alt: {en: A diagram, zh: 示意图}\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    build(project, out, pdf=False, search=False)
    assert (out / "cases" / "images" / "diagram.png").read_bytes() == (images / "diagram.png").read_bytes()
    page = (out / "en" / "cases" / "small-case" / "index.html").read_text(encoding="utf-8")
    assert 'src="/cases/images/diagram.png"' in page and 'alt="A diagram"' in page


# Findability ----------------------------------------------------------------------------------------------------

def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_a_case_breadcrumb_names_the_chapter_and_the_collecting_partner(built):
    html = (built / "zh" / "cases" / "thu-technology-transfer" / "index.html").read_text(encoding="utf-8")
    crumbs = text_of(re.search(r'<nav aria-label="[^"]*" class="breadcrumb">(.*?)</nav>', html).group(1))
    # A Tsinghua case collected by Renmin University: the partner shows as the collector, not as the institution.
    assert crumbs == "案例研究 › 3 中国案例研究 › 3.2 由中国人民大学收集 › 3.2.3 清华大学技术转移案例", crumbs
    html = (built / "en" / "cases" / "thu-technology-transfer" / "index.html").read_text(encoding="utf-8")
    crumbs = text_of(re.search(r'class="breadcrumb">(.*?)</nav>', html).group(1))
    assert " › 3.2 Collected by Renmin University of China › 3.2.3 " in crumbs, crumbs


@pytest.mark.parametrize("page", ["cases/", "themes/proof-of-concept/", "partners/renmin-university-of-china/"])
def test_case_cards_show_the_institution_and_the_themes(built, page):
    site = load_site(ROOT)[0]
    themes = {t.id: t.name.zh for t in site.guide.themes}
    html = (built / "zh" / page / "index.html").read_text(encoding="utf-8")
    cards = html.split('<li class="case-card"')[1:]  # each card, up to the next
    assert cards
    for card in cards:
        case = site.case(re.search(r'href="/zh/cases/([^/]+)/"', card).group(1))
        shown = re.search(r'<ul class="theme-tags"[^>]*>(.*?)</ul>', card, re.S)
        assert case.institution.zh in card
        assert shown and re.findall(r"<li>(.*?)</li>", shown.group(1)) == [themes[t] for t in themes if t in case.themes]


def facet_labels(built: Path, lang: str, facet: str) -> list[str]:
    html = (built / lang / facet / "index.html").read_text(encoding="utf-8")
    return re.findall(rf'<li><a href="/{lang}/{facet}/[^"]+/">([^<]+)</a>', html)


def test_each_keyword_is_listed_once_per_language_chinese_by_pinyin(built):
    zh, en = facet_labels(built, "zh", "keywords"), facet_labels(built, "en", "keywords")
    assert len(zh) == len(set(zh)) and "知识产权" in zh and "衍生企业" in zh, sorted(zh)
    assert len({e.casefold() for e in en}) == len(en), en
    assert en == sorted(en, key=str.casefold)
    # By pinyin: bu (部门协同) < chan (产业…) < chong (重庆…, a heteronym read chóng) < ji (技术转移) < zhi (知识产权).
    order = [zh.index(k) for k in ("部门协同", "产业技术研究院", "重庆理工大学", "技术转移", "知识产权")]
    assert order == sorted(order), zh
    institutions = facet_labels(built, "zh", "institutions")  # bao (保定) < bei (北京) < chong (重庆) < zhong (中国)
    order = [institutions.index(i) for i in ("保定学院", "北京大学", "重庆理工大学", "中国人民大学")]
    assert order == sorted(order), institutions
    count = re.search(r'/zh/keywords/[^"]+/">知识产权</a>\s*<span class="count">(\d+)', (built / "zh" / "keywords" / "index.html").read_text(encoding="utf-8"))
    site = load_site(ROOT)[0]
    assert int(count.group(1)) == sum(any(k.zh == "知识产权" for k in c.profile.keywords) for c in site.cases)


def test_a_policy_lists_its_most_related_cases_by_shared_themes(built):
    site = load_site(ROOT)[0]
    for policy in site.policies:
        html = (built / "en" / "policies" / policy.id / "index.html").read_text(encoding="utf-8")
        section = re.search(r'<section aria-labelledby="policy-cases".*?</section>', html, re.S).group(0)
        shown = [site.case(i) for i in re.findall(r'href="/en/cases/([^/]+)/"', section)]
        shared = [len(set(policy.themes) & set(c.themes)) for c in shown]
        everyone = sorted((len(set(policy.themes) & set(c.themes)) for c in site.cases), reverse=True)
        assert 0 < len(shown) <= 8 and all(shared)
        assert shared == sorted(shared, reverse=True) and shared == everyone[:len(shown)], (policy.id, shared)


def test_the_website_and_the_pdf_name_an_author_and_a_contact_alike(project):
    from site_builder import pdf

    case = project / "cases" / "small-case.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(
        "  - name: Test Author\n",
        "  - name: Guo He\n    name_zh: 郭和\n    role: {en: Director, zh: 主任}\n").replace(
        "  name: Test Contact\n", "  name: Li Ming\n  name_zh: 李明\n"), encoding="utf-8")
    site, _ = load_site(project)
    pages = {o.path: o.body.decode() for o in render_site(site)}
    editions = {e.code: e.html for e in pdf.prepare_editions(site)}
    for code, author, contact in (("en", "Guo He (Director)", "Li Ming"), ("zh", "郭和（主任）", "李明")):
        for named in (author, f"{contact}</"):
            assert named in pages[f"{code}/cases/small-case/index.html"]
            assert named in editions[code]
