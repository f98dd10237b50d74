"""Chinese pages punctuate as Chinese text: full-width marks, no typed space after them, Chinese names where known."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.content import load_site
from site_builder.render import render_site

ROOT = Path(__file__).resolve().parent.parent
HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
FULL_WIDTH = "，。、；：？！（）《》“”"
# Half-width punctuation touching a Chinese character; a typed space after a full-width mark (a
# " · " separator between two items of an interface line excepted); a spaced dash next to Chinese.
WRONG = re.compile(rf"{HAN}[,.:;?!()\[\]]|[,:;?!()\[\]]{HAN}|[{FULL_WIDTH}] (?!· )(?=\S)|{HAN} [–-] | [–-] {HAN}")
BLOCKS = set("address article aside blockquote br dd details div dl dt figcaption figure footer form h1 h2 h3 h4 h5 "
             "h6 header hr li main nav ol p section summary table tbody td th thead tr ul title caption".split())
VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "source"}


class ChineseText(HTMLParser):
    """The text a reader sees on a page, block by block, leaving out scripts and anything marked as English."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self.parts.append("\x00")
        if tag in VOID:
            return
        lang = dict(attrs).get("lang") or ""
        self.hidden.append(tag in ("script", "style", "svg") or lang.startswith("en")
                           or bool(self.hidden and self.hidden[-1]))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.hidden:
            self.hidden.pop()
        if tag in BLOCKS:
            self.parts.append("\x00")

    def handle_data(self, data):
        if not (self.hidden and self.hidden[-1]):
            self.parts.append(data)

    def blocks(self) -> list[str]:
        text = re.sub(r"\s+", " ", "".join(self.parts))  # white space in HTML shows as one space
        return [b.strip() for b in text.split("\x00") if b.strip()]


def wrong_punctuation(html: str) -> list[str]:
    """Return each place (with a little context) where a page's Chinese text has half-width punctuation or spacing."""
    parser = ChineseText()
    parser.feed(html)
    return [block[max(0, m.start() - 12):m.end() + 12] for block in parser.blocks() for m in WRONG.finditer(block)]


@pytest.fixture(scope="module")
def built(built_guide) -> Path:
    return built_guide


def test_every_chinese_page_uses_full_width_punctuation(built):
    pages = sorted((built / "zh").rglob("*.html"))
    assert len(pages) > 100
    found = {p.relative_to(built).as_posix(): w for p in pages if (w := wrong_punctuation(p.read_text(encoding="utf-8")))}
    assert not found, "\n".join(f"{page}: {places[:3]}" for page, places in list(found.items())[:20])


@pytest.mark.parametrize("html, places", [
    ("<p><strong>共同资助。</strong> 本出版物</p>", 1),  # a space after 。
    ('<p>见<a href="#">加速器矩阵</a>.</p>', 1),  # an ASCII full stop after a link
    ("<p>联系: 张三; 李四 (编)</p>", 3),
    ("<p>雅盖隆大学 (波兰) – 项目协调单位</p>", 3),
    ('<p>中文<span lang="en">(English text; fine)</span>。</p><p>2.3.2 · 马斯特里赫特大学（荷兰） · 中国</p>', 0),
])
def test_the_punctuation_check_finds_what_it_should(html, places):
    assert len(wrong_punctuation(html)) == places, wrong_punctuation(html)


def test_chinese_pages_show_a_person_s_chinese_name_where_the_case_gives_one():
    site, _ = load_site(ROOT)
    case = next(c for c in site.cases if c.id == "thu-technology-transfer")
    author = case.authors[0].model_copy(update={"name_zh": "郭和"})
    contact = case.contact.model_copy(update={"name_zh": "刘子龙"})
    named = case.model_copy(update={"authors": [author, *case.authors[1:]], "contact": contact})
    site = site.__class__(root=site.root, guide=site.guide, cases=tuple(named if c is case else c for c in site.cases))
    pages = {o.path: o.body.decode() for o in render_site(site, base_url="https://guide.example.org/")
             if o.path.endswith(f"cases/{case.id}/index.html")}
    zh, en = pages[f"zh/cases/{case.id}/index.html"], pages[f"en/cases/{case.id}/index.html"]
    assert "郭和" in zh and "刘子龙" in zh and "Guo, He" not in zh and "Liu, Zilong" not in zh
    assert "郭和：" in zh  # the citation names the author in Chinese too
    assert "Guo, He" in en and "Liu, Zilong" in en and "郭和" not in en
