"""The content: faithful to its source, clean of extraction debris, fully and consistently translated."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from site_builder.content import load_site
from site_builder.glossary import amount_misses, entity_misses, glossary_misses, load_entities, load_glossary
from site_builder.i18n import translation_status

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(__file__).parent / "sources" / "d1.2.3-guide-extracted.txt"  # the guide as extracted from its PDF

# Template labels in the source and the field each one fills.
LABELS = {
    "SHORT DESCRIPTION": "profile.short_description",
    "BACKGROUND": "profile.background",
    "KEY WORDS": "profile.keywords",
    "ACHIEVEMENTS": "impact.achievements",
    "AWARDS": "impact.awards",
    "KEY SUCCESS FACTORS": "impact.key_success_factors",
    "IMPACT": "impact.impact",
}
# Where this edition corrects the source's wording inside a transcribed field: (section, field) →
# [(the source's words, this edition's words)]. Each correction must be explained in the case's
# editorial_notes, which quote the source's words, so a correction is never silent.
CORRECTIONS = {
    ("3.1.2", "impact.achievements"): [("RMB70,144.6 million", "RMB701.446 million")],
    ("3.1.3", "impact.achievements"): [("Shenzheng", "Shenzhen")],
    ("3.5.2", "profile.short_description"): [("However, there is are strategies", "In addition, there are strategies")],
}
STOP_LABELS = ("PHOTOGRAPH", "INFORMATION SOURCES", "WEBSITE", "CONTACT DETAILS", "IMPACT RESULTS", "IMPACT|RESULTS")
DEBRIS = re.compile(r"<[a-z/][^>]*>|Co-funded by the\s*\n|Erasmus\+ Programme\s*\nof the|\t|-{5,}|•|Case name\s+Study|"
                    r"Case author\s+study|\(max\. [\d.]+ characters\)|&nbsp;|&lt;|&gt;")


@pytest.fixture(scope="module")
def site():
    loaded, _ = load_site(ROOT)
    return loaded


def source_sections() -> dict[str, list[str]]:
    """Return the source lines of each case, by section number (the body, not the contents list)."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    heading = re.compile(r"^(\d\.\d\.\d)\.? \S")
    starts = [(i, heading.match(text).group(1)) for i, text in enumerate(lines)
              if heading.match(text) and not re.search(r"\t\d+$|\.{3,}\s*\d*$", text) and i > 150]
    sections = {}
    for n, (start, number) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        part = lines[start:end]
        cut = next((i for i, text in enumerate(part[1:], 1) if re.match(r"^\d\.\d\.? [A-Z]", text)), len(part))
        sections[number] = part[:cut]
    return sections


def source_fields(lines: list[str]) -> dict[str, str]:
    """Split a case's source lines into the template's rich fields."""
    fields: dict[str, list[str]] = {}
    current = None
    for line in lines:
        label = line.split("\t", 1)[0].strip()
        if label.startswith(STOP_LABELS):
            current = None
            continue
        name = re.sub(r"\s*\(max\..*\)$", "", label)
        if name in LABELS and "\t" in line:
            current = LABELS[name]
            fields.setdefault(current, []).append(line.split("\t", 1)[1])
        elif current:
            fields[current].append(line)
    return {k: "\n".join(v) for k, v in fields.items()}


def words(text: str) -> Counter:
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"Co-funded by the|Erasmus\+ Programme|of the European Union\n", " ", text)
    text = re.sub(r"\[citation needed\]|\bn/a\b", " ", text, flags=re.I)
    return Counter(re.findall(r"[^\W_]+", text.lower()))


def field_text(case, dotted: str) -> str:
    value = case
    for part in dotted.split("."):
        value = getattr(value, part)
    if isinstance(value, list):
        return " ".join(item.en for item in value)
    return value.en if value is not None else ""


def test_every_case_of_the_guide_is_transcribed(site):
    assert sorted(source_sections()) == sorted(c.section for c in site.cases)
    assert len(site.cases) == 27
    assert sum(c.region == "EU" for c in site.cases) == 6


@pytest.mark.parametrize("number", sorted(source_sections()))
def test_each_field_covers_its_source_text(site, number):
    case = next(c for c in site.cases if c.section == number)
    for field, text in source_fields(source_sections()[number]).items():
        if text.strip() == "None":  # the source's way of leaving a field empty (3.5.1 awards)
            continue
        if field == "profile.keywords":  # "a, b, and c": the list's "and" is not a keyword
            text = re.sub(r",\s*and\s+", ", ", text)
        for theirs, mine in CORRECTIONS.get((number, field), []):
            assert theirs in text and mine in field_text(case, field), (number, field, theirs)
            assert any(theirs in note.en for note in case.editorial_notes), f"{number}: no editorial note on {theirs!r}"
            text = text.replace(theirs, mine)
        source, ours = words(text), words(field_text(case, field))
        if not source:
            continue
        covered = sum(min(n, ours[w]) for w, n in source.items()) / sum(source.values())
        missing = [w for w, n in source.items() if ours[w] < n]
        assert covered >= 0.98, f"{number} {field}: {covered:.1%} of the source's words; missing: {missing[:20]}"


def test_case_names_match_the_source(site):
    text = SOURCE.read_text(encoding="utf-8")
    for case in site.cases:
        assert case.profile.name.en in text.replace("\t", " "), case.id


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.yaml")) + [ROOT / "guide" / "guide.yaml"],
                         ids=lambda p: p.name)
def test_no_extraction_debris(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def strings(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value

    for text in strings(data):
        found = DEBRIS.search(text)
        assert not found, f"debris {found.group(0)!r} in: {text[:120]!r}"


def test_debris_pattern_catches_debris():
    for sample in ("<p>text</p>", "Co-funded by the\nErasmus+", "a\tb", "Case name Study", "• item", "---------"):
        assert DEBRIS.search(sample), sample


def test_source_slips_are_corrected_with_notes(site):
    suep = site.case("suep-research-innovation-tt")
    assert suep.institution.en == "Shanghai University of Electric Power" and suep.editorial_notes
    cqmu = site.case("cqmu-research-innovation-tt")
    assert cqmu.institution.en == "Chongqing Medical University" and cqmu.editorial_notes


def test_chinese_follows_the_glossary(site):
    glossary = load_glossary(ROOT)
    models = [("guide", site.guide)] + [(c.id, c) for c in site.cases] + [(p.id, p) for p in site.policies]
    models += [("needs-analysis", site.needs)] if site.needs else []
    misses = [(model_id, *m) for model_id, model in models for m in glossary_misses(model, glossary)]
    assert not misses, "\n".join(f"{i}: {f}: '{t}' needs one of {zh}" for i, f, t, zh in misses)


def test_glossary_check_finds_a_wrong_rendering(site):
    case = site.case("ju-proof-of-concept-grants")
    wrong = case.model_copy(update={"institution": case.institution.model_copy(update={"zh": "雅盖隆"})})
    fields = [m[0] for m in glossary_misses(wrong, load_glossary(ROOT))]
    assert "institution" in fields


def test_chinese_edition_is_complete_and_fresh():
    assert translation_status(ROOT) == {}


def test_chinese_text_has_no_stray_spaces_or_ascii_punctuation(site):
    from site_builder.content import iter_texts

    bad = []
    for model in [site.guide, *site.cases, *site.policies, *([site.needs] if site.needs else [])]:
        for path, text in iter_texts(model):
            for line in text.zh.splitlines():
                if re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", line) or re.search(r"[\u4e00-\u9fff][,;:?!]", line):
                    bad.append(line[:80])
    assert not bad, bad[:10]


def test_chinese_text_has_no_italics(site):
    """Chinese has no italic type: titles go in 《》, names of programmes and awards in “”."""
    from site_builder.content import iter_texts
    from site_builder.markup import render_markdown

    italic = []
    for model in [site.guide, *site.cases, *site.policies, *([site.needs] if site.needs else [])]:
        for path, text in iter_texts(model):
            italic += re.findall(r"<em>(.*?)</em>", render_markdown(text.zh))
    assert not italic, italic[:10]


def nested_brackets(zh: str) -> list[str]:
    """Return the text around each （ opened inside another （…）."""
    found, depth = [], 0
    for i, char in enumerate(zh):
        if char == "（":
            depth += 1
            if depth > 1:
                found.append(zh[max(0, i - 20):i + 20])
        elif char == "）":
            depth = max(0, depth - 1)
    return found


def test_chinese_brackets_do_not_nest_in_their_own_kind(site):
    """（…（…）…） reads badly; rephrase (与技术成熟度即TRL无关) or use another pair inside."""
    from site_builder.content import iter_texts

    nested = [f"{model_id}: {snippet}" for model_id, model in content_models(site)
              for _, text in iter_texts(model) for snippet in nested_brackets(text.zh)]
    assert not nested, "\n".join(nested)
    assert nested_brackets("评审（不取决于技术成熟度（TRL））") and not nested_brackets("（甲）（乙〔丙〕）")


def test_case_titles_are_unique_in_each_language(site):
    """Contents, bookmarks, running heads and search results tell every case apart (2.3.2 is the update)."""
    for lang in ("en", "zh"):
        titles = Counter(c.profile.name.get(lang) for c in site.cases)
        assert not [t for t, n in titles.items() if n > 1], lang
    assert site.case("um-chemelot-inscite-update").profile.name.zh.endswith("（更新）")


def content_models(site):
    return ([("guide", site.guide)] + [(c.id, c) for c in site.cases] + [(p.id, p) for p in site.policies]
            + ([("needs-analysis", site.needs)] if site.needs else []))


def test_named_entities_have_one_form_in_each_language(site):
    entities = load_entities(ROOT)
    misses = [(model_id, *m) for model_id, model in content_models(site) for m in entity_misses(model, entities)]
    assert not misses, "\n".join(f"{i}: {f}: {problem}" for i, f, problem in misses)


def test_entity_check_finds_a_variant_and_a_missing_chinese_form(site):
    policy = next(p for p in site.policies if p.id == "moe-2022-thousands-schools")
    for en, zh, expected in [("Office of the State Intellectual Property Office", "国家知识产权局办公室",
                              "variant 'Office of the State Intellectual Property Office'"),
                             ("General Office of the China National Intellectual Property Administration", "国家知识产权局",
                              "lacks 国家知识产权局办公室"),
                             ("General Office of the Ministry of Education", "国家知识产权局办公室",
                              "Chinese has 国家知识产权局办公室 but the English does not name")]:
        issuer = policy.issuers[2].model_copy(update={"en": en, "zh": zh})
        wrong = policy.model_copy(update={"issuers": [*policy.issuers[:2], issuer]})
        problems = [p for f, p in entity_misses(wrong, load_entities(ROOT)) if f == "issuers[2]"]
        assert any(expected in p for p in problems), (expected, problems)
    case = site.case("usst-tt-ip-strategic-cooperation")
    awards = case.impact.awards.model_copy(update={"zh": case.impact.awards.zh.replace("中国技术市场协会金桥奖", "全国技术市场金桥奖")})
    wrong = case.model_copy(update={"impact": case.impact.model_copy(update={"awards": awards})})
    assert any("全国技术市场金桥奖" in p for _, p in entity_misses(wrong, load_entities(ROOT)))


def test_terms_with_one_rendering_keep_one(site):
    """'Academics', 'accesit', 'mentoring' and the entities each have exactly one Chinese rendering."""
    terms = {entry.en[0]: entry.zh for entry in load_glossary(ROOT)}
    assert terms["academics"] == ("高校教师",)
    assert terms["accesit"] == ("二等奖（accésit）",)
    assert terms["mentoring"] == ("导师指导",)
    entities = load_entities(ROOT)
    assert len({e.en for e in entities}) == len(entities)
    assert all(isinstance(e.zh, str) and e.zh for e in entities)


def test_chinese_amounts_are_in_wan_and_yi(site):
    """No 百万 in Chinese; every English amount in millions or billions has the same value in 万/亿."""
    from site_builder.content import iter_texts
    from site_builder.yamlsource import dotted

    misses = [(model_id, dotted(path), problem)
              for model_id, model in content_models(site)
              for path, text in iter_texts(model)
              for problem in amount_misses(text.en, text.zh)]
    assert not misses, "\n".join(f"{i}: {f}: {p}" for i, f, p in misses)


def test_amount_check_catches_calques_and_wrong_values():
    assert amount_misses("RMB211.775 million", "211.775百万元人民币")
    assert amount_misses("RMB 701.446 million", "7.01亿元")  # rounded: not the same value
    assert amount_misses("hundreds of millions of yuan", "大量资金")
    assert not amount_misses("RMB 701.446 million, RMB211.775 million", "70,144.6万元（约7.01亿元）、21,177.5万元")
    assert not amount_misses("5 billion yuan, €1.6 million, one million yuan", "50亿元、160万欧元、100万元")


# Chinese number style (see the glossary's rules for translators). A range joins its ends
# with the dash the policies print (2014—2015年, 1—2个), never an ASCII hyphen; a number of
# five or more digits groups its thousands with commas (45,000名). Neither rule reaches into
# codes: standard numbers (GB/T 33251-2016 quoted from the English, EN ISO 13485:2016), ISO
# dates (2019-04-08), project and document numbers (586103-EPP-1-2017-1-PL), URLs, or the
# contact details (postal codes 30-348 and 100084, telephone numbers).
STANDARD_BEFORE = re.compile(r"(?:GB(?:/[TZ])?|ISO(?:/IEC)?|IEC|EN)\s?$")
HYPHEN_RANGE = re.compile(r"(?<![A-Za-z0-9_/.:-])\d+(?:\.\d+)?-\d+(?:\.\d+)?(?![A-Za-z0-9_/:-])")
UNGROUPED = re.compile(r"(?<![A-Za-z0-9_/.,:-])\d{5,}(?![A-Za-z0-9_/-])")


def number_style_misses(zh: str, pattern: re.Pattern) -> list[str]:
    """Return the matches of `pattern` in Chinese text that are not part of a standard's number."""
    return [m.group() for m in pattern.finditer(zh) if not STANDARD_BEFORE.search(zh[:m.start()])]


def chinese_number_misses(models, pattern: re.Pattern) -> list[str]:
    """Return 'model: field: match' for each miss in the Chinese texts outside contact details."""
    from site_builder.content import iter_texts
    from site_builder.yamlsource import dotted

    return [f"{model_id}: {dotted(path)}: {miss}"
            for model_id, model in models
            for path, text in iter_texts(model) if "contact" not in path
            for miss in number_style_misses(text.zh, pattern)]


def test_chinese_ranges_use_the_dash(site):
    misses = chinese_number_misses(content_models(site), HYPHEN_RANGE)
    assert not misses, "\n".join(misses)


def test_chinese_case_numbers_group_their_thousands(site):
    misses = chinese_number_misses([(c.id, c) for c in site.cases], UNGROUPED)
    assert not misses, "\n".join(misses)


def test_number_style_checks_find_ranges_and_ungrouped_numbers_but_not_codes():
    assert number_style_misses("（Innovation Incubator，2014-2015年）、围绕1-2个、1.5-2万元", HYPHEN_RANGE) == [
        "2014-2015", "1-2", "1.5-2"]
    assert not number_style_misses("2014—2015年；GB/T 33251-2016；ISO 9001-2015；日期2019-04-08；"
                                   "项目编号：586103-EPP-1-2017-1-PL；https://example.org/2019-2020/", HYPHEN_RANGE)
    assert number_style_misses("近45000名学生、14000余名", UNGROUPED) == ["45000", "14000"]
    assert not number_style_misses("45,000名、5500余名、70,144.6万元、EN ISO 13485:2016、GB/T 33251—2016、"
                                   "586103-EPP", UNGROUPED)


def test_quotes_are_typographic_when_rendered_and_chinese_keeps_its_marks(site):
    """English straight quotes become “” ‘’ at render time; Chinese has none to guess and keeps its “”."""
    import html as html_module

    from site_builder.content import iter_texts
    from site_builder.markup import plain_text, typographic

    straight, changed, chinese_straight = [], [], []
    for model_id, model in content_models(site):
        for path, text in iter_texts(model):
            shown_forms = [html_module.unescape(plain_text(text.en))]  # rich text, as pages show it
            if "\n" not in text.en.strip():
                shown_forms.append(typographic(text.en.strip()))  # a plain field, as titles show it
            for shown in shown_forms:
                if re.search(r"[\"']", shown):
                    straight.append((model_id, shown[:80]))
            if '"' in text.zh:
                chinese_straight.append((model_id, text.zh[:80]))
            shown_zh = html_module.unescape(plain_text(text.zh))
            if [c for c in shown_zh if c in "“”"] != [c for c in text.zh if c in "“”"]:
                changed.append((model_id, text.zh[:80]))
    assert not straight, straight[:5]
    assert not chinese_straight, chinese_straight[:5]
    assert not changed, changed[:5]


def test_typographic_turns_quotes_of_a_title():
    from site_builder.markup import typographic

    assert typographic('A "Five-One" working system') == "A “Five-One” working system"
    assert typographic("Vice-Rector's Office") == "Vice-Rector’s Office"
    assert typographic("技术转移与知识产权管理“五个一”工作体系") == "技术转移与知识产权管理“五个一”工作体系"
    assert typographic("1. *a* <b>") == "1. *a* <b>"  # plain text stays plain


# Chinese wordings a close reading found wrong (issue 13), with the case and field they were in.
# Each is either false or a calque; the test keeps them from coming back.
WRONG_CHINESE = [
    ("thu-technology-transfer", "profile.background", "技术转移研究院"),  # the English names the TT office
    ("hbu-science-park", "profile.background", "首批参与国家"),  # HBU is not on the national list
    ("ua-emprende", "impact.impact", "阿利坎特大学创建了更多"),  # companies come out of it
    ("btbu-technology-transfer", "profile.short_description", "食品与化学工程学院"),  # 食品学院 then
    ("bsu-research-innovation-tt", "profile.short_description", "策略"),  # 战略, as in 3.5.3
    ("swmu-research-innovation-tt", "profile.short_description", "策略"),
    ("swmu-research-innovation-tt", "profile.short_description", "不过，学校同样"),
    ("cqut-ip-training-base", "impact.achievements", "Yuan Jie"),  # 袁杰
    ("thu-five-one-working-system", "profile.background", "（Wang Guowei）"),  # no pinyin after names
    ("ju-proof-of-concept-grants", "profile.short_description", "优质研究成果"),  # 'promising'
    ("swmu-research-innovation-tt", "impact.impact", "策略"),  # 一系列明确的战略
    ("hbu-science-park", "profile.background", "参与国家"),  # the tier is Hebei's own programme
    ("ua-emprende", "impact.key_success_factors", "校内人员"),  # 'university community': 全校师生
    ("ua-emprende", "impact.impact", "大学师生"),
]


@pytest.mark.parametrize("case_id, field, wrong", WRONG_CHINESE)
def test_corrected_chinese_stays_corrected(site, case_id, field, wrong):
    value = site.case(case_id)
    for part in field.split("."):
        value = getattr(value, part)
    assert wrong not in value.zh


def test_national_notice_number_is_the_one_liaoning_cites(site):
    """The MoE notice's source is an English translation; its number is checked against the Liaoning guideline."""
    moe = next(p for p in site.policies if p.id == "moe-2022-thousands-schools")
    liaoning = (ROOT / "tests" / "sources" / "policy-liaoning-2023-ip-operation-centre-pilots.txt").read_text(encoding="utf-8")
    assert liaoning.count(moe.document_number) == 2
