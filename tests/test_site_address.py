"""The site's published address: absolute canonical links, alternates, sitemap, feeds and citations, or none at all."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from site_builder.build import build

CASE = "ju-proof-of-concept-grants"


def set_site_url(project: Path, address: str) -> None:
    guide = project / "guide" / "guide.yaml"
    text = guide.read_text(encoding="utf-8")
    guide.write_text(text.replace("\ndeliverable:", f"\nsite_url: {address}\ndeliverable:", 1), encoding="utf-8")


def urls(page: str) -> list[str]:
    """Return the addresses a page gives for itself: canonical, alternates, og:url, the feed."""
    return re.findall(r'<link rel="(?:canonical|alternate)"[^>]*href="([^"]*)"|<meta property="og:url" content="([^"]*)"',
                      page)


def test_the_guide_s_address_makes_every_self_reference_absolute(project, tmp_path, caplog):
    set_site_url(project, "https://guide.example.org/gpg")
    output = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        build(project, output, pdf=False, search=False)
    assert "site_url" not in caplog.text
    page = (output / "zh" / "cases" / CASE / "index.html").read_text(encoding="utf-8")
    found = [a or b for a, b in urls(page)]
    assert len(found) == 6, found  # canonical, three alternates, the feed, og:url
    assert all(u.startswith("https://guide.example.org/gpg/") for u in found), found
    assert f'<link rel="canonical" href="https://guide.example.org/gpg/zh/cases/{CASE}/">' in page
    assert f"https://guide.example.org/gpg/zh/cases/{CASE}/</p>" in page  # the citation ends in the full address
    assert 'href="/gpg/zh/cases/"' in page  # links inside the site stay site-absolute
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    assert locs and all(u.startswith("https://guide.example.org/gpg/") for u in locs), locs
    assert (output / "robots.txt").read_text().splitlines()[-1] == "Sitemap: https://guide.example.org/gpg/sitemap.xml"
    feed = (output / "en" / "feed.xml").read_text(encoding="utf-8")
    ids = re.findall(r"<id>([^<]*)</id>", feed)
    assert ids and all(u.startswith("https://guide.example.org/gpg/en/") for u in ids), ids
    ris = (output / "en" / "cases" / CASE / f"{CASE}.ris").read_text(encoding="utf-8")
    assert f"UR  - https://guide.example.org/gpg/en/cases/{CASE}/" in ris


def test_base_url_overrides_the_guide_s_address(project, tmp_path):
    set_site_url(project, "https://guide.example.org/")
    output = tmp_path / "out"
    build(project, output, pdf=False, search=False, base_url="https://mirror.example.net/guide/")
    page = (output / "en" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://mirror.example.net/guide/en/">' in page
    assert "guide.example.org" not in page


def test_without_an_address_the_build_warns_once_and_writes_nothing_invalid(project, tmp_path, caplog):
    output = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        build(project, output, pdf=False, search=False)
    assert caplog.text.count("address is not set") == 1, caplog.text
    assert "guide/guide.yaml" in caplog.text
    page = (output / "en" / "cases" / CASE / "index.html").read_text(encoding="utf-8")
    assert not urls(page), urls(page)
    assert "feed.xml" not in page
    assert not (output / "sitemap.xml").exists() and not (output / "en" / "feed.xml").exists()
    assert "Sitemap" not in (output / "robots.txt").read_text()
    ris = (output / "en" / "cases" / CASE / f"{CASE}.ris").read_text(encoding="utf-8")
    assert "UR  -" not in ris
