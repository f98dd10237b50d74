"""The policy context and the needs-analysis survey: figures equal their sources, charts are accessible."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.content import load_site
from site_builder.render import Renderer

ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).parent / "sources"
SLIDES = SOURCES / "needs-analysis-slides.txt"  # a copy of the slides the survey was presented in


@pytest.fixture(scope="module")
def site():
    return load_site(ROOT)[0]


def numbers(text: str) -> list[str]:
    """Return the numbers in a text, thousands separators removed: '1,000 and 0.1%' → ['1000', '0.1']."""
    return [n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", text)]


# --- Policies -------------------------------------------------------------------------

def test_every_policy_target_figure_is_in_its_source_and_in_both_languages(site):
    assert len(site.policies) == 3
    for policy in site.policies:
        source = (SOURCES / f"policy-{policy.id}.txt").read_text(encoding="utf-8")
        assert policy.summary.targets, policy.id
        for target in policy.summary.targets:
            assert target.figure in source, f"{policy.id}: {target.figure} is not in the source"
            for lang in ("en", "zh"):
                found = numbers(target.text.get(lang))
                missing = [n for n in numbers(target.figure) if n not in found]
                assert not missing, f"{policy.id}: {lang} target text lacks {missing}: {target.text.get(lang)}"


def test_policy_dates_and_numbers_are_in_their_sources(site):
    for policy in site.policies:
        source = (SOURCES / f"policy-{policy.id}.txt").read_text(encoding="utf-8")
        if policy.document_number and policy.jurisdiction != "national":  # the national notice's source is English
            assert policy.document_number in source
        year = policy.date[:4]
        assert year in source


def test_cases_and_policies_link_each_other_by_theme(site):
    renderer = Renderer(site)
    pages = {p.path: p for p in renderer.pages()}
    case = site.case("cqut-ip-training-base")
    shared = site.policies_for(case)
    assert shared and all(set(p.themes) & set(case.themes) for p in shared)
    html = renderer.render_page(pages[f"cases/{case.id}/"], "en").body.decode()
    for policy in shared:
        assert f'/en/policies/{policy.id}/"' in html
    # A policy lists its most related cases (at most eight, see test_site.py), and each of them links back.
    policy = shared[0]
    html = renderer.render_page(pages[f"policies/{policy.id}/"], "zh").body.decode()
    listed = site.cases_for(policy)
    assert listed and all(f'/zh/cases/{c.id}/"' in html for c in listed)
    assert policy.title.zh in html
    for listed_case in listed:
        assert f'/zh/policies/{policy.id}/"' in renderer.render_page(pages[f"cases/{listed_case.id}/"], "zh").body.decode()


def test_a_broken_policy_gets_a_located_error(project):
    (project / "policies").mkdir()
    good = (ROOT / "policies" / "moe-2022-thousands-schools.yaml").read_text(encoding="utf-8")
    broken = good.replace("jurisdiction: national", "jurisdiction: beijing")
    (project / "policies" / "moe-2022-thousands-schools.yaml").write_text(broken, encoding="utf-8")
    other = (ROOT / "policies" / "shanghai-2022-ip-operation-centres.yaml").read_text(encoding="utf-8")
    other = re.sub(r"^themes:.*?(?=^\S|\Z)", "themes: [no-such-theme]\n", other, flags=re.M | re.S)
    (project / "policies" / "shanghai-2022-ip-operation-centres.yaml").write_text(other, encoding="utf-8")
    line = broken.splitlines().index("jurisdiction: beijing") + 1
    result = subprocess.run([sys.executable, "-m", "site_builder", "--project", str(project), "validate"],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert re.search(rf"policies/moe-2022-thousands-schools\.yaml:{line}:\d+: jurisdiction: .* — ", out), out
    assert re.search(r"policies/shanghai-2022-ip-operation-centres\.yaml:\d+:\d+: themes\[0\]: unknown theme 'no-such-theme'", out), out


# --- Needs analysis -------------------------------------------------------------------

def _slide_figures() -> dict[tuple[str, str], dict[str, float]]:
    """Read the slides' figures: {(chart id, series id): {area label (normalised): percent}}.

    Each findings slide has a part for technology transfer leaders/managers
    and one for researchers; strategy and indicator figures are written as
    **Area** (NN%), office figures as "NN% … have a … **Office name**".
    """
    text = SLIDES.read_text(encoding="utf-8")
    slides = {"offices": "Main results & findings: TT environment", "strategies": "Main results & findings: Strategy",
              "indicators": "Main results & findings: Indicators"}
    figures = {}
    for chart, heading in slides.items():
        start = text.index(heading)
        end = text.index("Main results & findings", start + len(heading)) if chart != "indicators" else text.index("Conclusions", start)
        slide = text[start:end]
        leaders, researchers = slide.split("Researchers", 1)
        for series, part in (("tto-leaders", leaders), ("researchers", researchers)):
            if chart == "offices":
                found = re.findall(r"(\d+)% (?:of the investigated universities )?have a (?:department or )?\*\*([^*]+)\*\*", part)
                figures[chart, series] = {_area(label): float(value) for value, label in found}
            else:
                found = re.findall(r"\*\*([^*]+)\*\* \((\d+)%\)", part)
                figures[chart, series] = {_area(label): float(value) for label, value in found}
    return figures


def _area(label: str) -> str:
    label = label.lower().replace("office for ipr management", "ipr").replace("technology transfer office", "tto")
    return re.sub(r"s$", "", label.strip())


def _row_area(label: str) -> str:
    label = label.lower()
    if "ipr management" in label:
        return "ipr"
    if label.startswith("technology transfer office"):
        return "tto"
    return re.sub(r"s$", "", label.strip())


def test_every_chart_figure_equals_the_slides_and_gaps_stay_empty(site):
    needs = site.needs
    assert needs is not None
    source = _slide_figures()
    checked = 0
    for chart in needs.charts:
        for series in chart.series:
            given = source[chart.id, series.id]
            assert given, f"no figures read from the slides for {chart.id}/{series.id}"
            for row in chart.rows:
                area = _row_area(row.label.en)
                value = row.values.get(series.id)
                assert value == given.get(area), f"{chart.id}/{series.id}/{row.label.en}: {value} vs slides {given.get(area)}"
                checked += value is not None
            # every figure of the slide is in the chart
            assert set(given) <= {_row_area(r.label.en) for r in chart.rows}, (chart.id, series.id, set(given))
    assert checked == sum(len(v) for v in source.values()) == 41


def test_survey_counts_equal_the_slides(site):
    slides = SLIDES.read_text(encoding="utf-8")
    respondents = next(s for s in site.needs.sections if "86" in s.body.en)
    for figure in ("86", "180", "89", "91"):
        assert figure in numbers(slides)
        for lang in ("en", "zh"):
            assert figure in numbers(respondents.body.get(lang)), (lang, figure)


class _Figures(HTMLParser):
    """Collect each chart's SVG text alternative and its table's cells."""

    def __init__(self):
        super().__init__()
        self.svgs: list[dict] = []
        self.ids: dict[str, str] = {}
        self._id = None
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs.append(attrs)
        if tag in ("title", "desc") and attrs.get("id"):
            self._id = attrs["id"]
            self.ids[self._id] = ""
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("title", "desc"):
            self._id = None
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._id:
            self.ids[self._id] += data
        if self._in_cell:
            self.cells[-1] += data


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_charts_have_text_alternatives_and_tables_with_the_same_numbers(site, lang):
    renderer = Renderer(site)
    page = next(p for p in renderer.pages() if p.path == "needs-analysis/")
    html = renderer.render_page(page, lang).body.decode()
    parsed = _Figures()
    parsed.feed(html)
    assert len(parsed.svgs) == len(site.needs.charts)
    for svg in parsed.svgs:
        assert svg.get("role") == "img"
        labels = svg["aria-labelledby"].split()
        assert len(labels) == 2 and all(parsed.ids.get(i, "").strip() for i in labels)
    expected = [f"{row.values[s.id]:g}%" if row.values.get(s.id) is not None else None
                for chart in site.needs.charts for row in chart.rows for s in chart.series]
    cells = [c.strip() for c in parsed.cells]
    assert len(cells) == len(expected)
    for cell, value in zip(cells, expected):
        assert cell == value if value else not re.search(r"\d", cell)
    # every percentage the page prints is one of the slides' figures
    slide_figures = set(re.findall(r"(\d+)%", SLIDES.read_text(encoding="utf-8")))
    printed = set(re.findall(r"(\d+)%", re.sub(r"<[^>]+>", " ", html)))
    assert printed and printed <= slide_figures, printed - slide_figures


def test_the_slide_reader_notices_a_changed_figure(site, tmp_path, monkeypatch):
    changed = SLIDES.read_text(encoding="utf-8").replace("**Research Grants** (99%)", "**Research Grants** (98%)")
    fake = tmp_path / "slides.txt"
    fake.write_text(changed, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "SLIDES", fake)
    with pytest.raises(AssertionError, match="Research Grants"):
        test_every_chart_figure_equals_the_slides_and_gaps_stay_empty(site)


def test_project_without_context_files_still_builds(built_small_project):
    # The fixture project has no policies/: their pages and links are simply absent.
    out = built_small_project
    assert (out / "en" / "cases" / "index.html").exists()
    assert not (out / "en" / "policies").exists()
    assert "/policies/" not in (out / "en" / "index.html").read_text(encoding="utf-8")
