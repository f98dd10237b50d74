"""Compare the website build with Hugo's on the same corpus, whole process, interleaved.

    .venv/bin/python bench/hugo.py                      # 27, 100, 300 and 1,000 cases
    .venv/bin/python bench/hugo.py --sizes 27 --runs 3  # a short run
    .venv/bin/python bench/hugo.py --big 10000          # also 10,000 cases: time and peak memory, once each

For each size, `synthetic.py` makes a project (27 is the real corpus: the first
round of synthetic cases keeps the real texts), and `hugo_site` writes the
equivalent Hugo site from the same files: every case as a Markdown page in
English and in Chinese (its fields as sections, in the same order), the same
seven taxonomies (region, country, consortium partner, institution, theme,
keyword, target group) with their term pages and lists, the three related cases
on each case page (Hugo's related-content index over keywords and themes),
previous and next links, a side-by-side page per case and language (a second
output format showing both languages), the home page, a sitemap and an RSS feed
per language. Both builds write their files.

Each round runs the commands one after the other in a fresh process, timed
from outside, with the order alternating from round to round:

- `ours`: `python -m site_builder build --no-pdf --no-search` (its parse and
  template caches warm from the round before, as on an editor's machine);
- `ours-cold`: the same after deleting the whole `.cache/` (every file parsed,
  every Markdown text converted, every template compiled);
- `hugo`: `hugo --quiet` (Debian's `hugo` package; install it with
  `apt-get install -y hugo`; the tests do not need it).

Each builds over its own previous output, as an editor rebuilds: Hugo writes
into its folder, ours writes over the build it keeps beside the output.
`PYTHONDONTWRITEBYTECODE` is unset for the builds (`--keep-environment` keeps it).

It prints, per size, the median and the range (min–max) of each, the ratio of
the medians to Hugo's, and the growth exponent k of time ∝ cases^k fitted on
all sizes (1 is linear). The load average is printed with each size: the
machine may be shared, so read the ratios of interleaved runs rather than the
absolute times. Peak memory is the largest resident set of the process and the
children it waited for (wait4).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import yaml  # noqa: E402

from bench.synthetic import make_project  # noqa: E402

LANGUAGES = ("en", "zh")
TAXONOMIES = {  # singular → plural, as our facets name them
    "region": "regions", "country": "countries", "partner": "partners", "institution": "institutions",
    "theme": "themes", "keyword": "keywords", "target_group": "target-groups",
}
FIELDS = (  # (label en, label zh, where in the case) in the order the case page shows them
    ("Short description", "简介", ("profile", "short_description")),
    ("Background", "背景", ("profile", "background")),
    ("Achievements", "成果", ("impact", "achievements")),
    ("Awards", "奖项", ("impact", "awards")),
    ("Key success factors", "关键成功因素", ("impact", "key_success_factors")),
    ("Impact", "影响", ("impact", "impact")),
)

# --- the equivalent Hugo site ---------------------------------------------------------------

CONFIG = """\
baseURL = "/"
title = "CIPnet Good Practices Guide"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = []
enableRobotsTXT = true

[languages.en]
contentDir = "content/en"
languageName = "English"
weight = 1
[languages.zh]
contentDir = "content/zh"
languageName = "中文"
weight = 2

[taxonomies]
{taxonomies}

[outputFormats.parallel]
mediaType = "text/html"
baseName = "index"
path = "parallel"
isHTML = true
permalinkable = true

[outputs]
home = ["HTML", "RSS"]
page = ["HTML", "parallel"]
section = ["HTML"]
taxonomy = ["HTML"]
term = ["HTML"]

[related]
includeNewer = true
threshold = 1
toLower = false
[[related.indices]]
name = "keywords"
weight = 1
[[related.indices]]
name = "themes"
weight = 1
"""

BASEOF = """\
<!doctype html>
<html lang="{{ .Language.Lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · CIPnet</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">{{ end }}
<link rel="stylesheet" href="/static/site.css"></head>
<body>
<header><a href="{{ "/" | relLangURL }}">{{ i18n "guide" }}</a>
<nav>{{ range .Translations }}<a href="{{ .RelPermalink }}">{{ .Language.LanguageName }}</a>{{ end }}</nav>
<nav><a href="{{ "cases/" | relLangURL }}">{{ i18n "cases" }}</a> <a href="{{ "themes/" | relLangURL }}">{{ i18n "themes" }}</a> <a href="{{ "partners/" | relLangURL }}">{{ i18n "partners" }}</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><p>{{ i18n "disclaimer" }}</p></footer>
</body></html>
"""

CARD = """\
<li class="case-card"><p>{{ .Params.section }} · {{ .Params.institution_name }} · {{ .Params.country_name }}</p>
<h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><p>{{ .Summary | plainify | truncate 220 }}</p></li>
"""

SINGLE = """\
{{ define "main" }}
<article><p>{{ .Params.section }} · {{ .Params.institution_name }}</p><h1>{{ .Title }}</h1>
{{ .Content }}
<h2>{{ i18n "keywords" }}</h2><ul>{{ range .GetTerms "keywords" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
<h2>{{ i18n "themes" }}</h2><ul>{{ range .GetTerms "themes" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
<h2>{{ i18n "target_groups" }}</h2><ul>{{ range .GetTerms "target-groups" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ with .OutputFormats.Get "parallel" }}<p><a href="{{ .RelPermalink }}">{{ i18n "parallel" }}</a></p>{{ end }}
{{ $related := .Site.RegularPages.Related . | first 3 }}
{{ with $related }}<h2>{{ i18n "related" }}</h2><ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Params.section }} {{ .Title }}</a> {{ .Params.institution_name }}</li>{{ end }}</ul>{{ end }}
<nav>{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>
{{ end }}
"""

PARALLEL = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<table><tr><th>{{ .Language.LanguageName }}</th>{{ range .Translations }}<th>{{ .Language.LanguageName }}</th>{{ end }}</tr>
<tr><td>{{ .Content }}</td>{{ range .Translations }}<td>{{ .Content }}</td>{{ end }}</tr></table>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1><p>{{ len .Pages }}</p>
<ul class="case-list">{{ range .Pages.ByParam "section" }}{{ partial "card.html" . }}{{ end }}</ul>
{{ end }}
"""

TERMS = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"""

HOME = """\
{{ define "main" }}
<h1>{{ i18n "guide" }}</h1>
<ul class="case-list">{{ range first 6 (where .Site.RegularPages "Section" "cases") }}{{ partial "card.html" . }}{{ end }}</ul>
{{ end }}
"""

I18N = {
    "en": {"guide": "Good Practices Guide", "cases": "Case studies", "themes": "Themes", "partners": "Partners",
           "keywords": "Keywords", "target_groups": "Target groups", "related": "Related cases",
           "parallel": "Side-by-side English and Chinese", "disclaimer": "The content reflects the views only of the authors."},
    "zh": {"guide": "良好实践指南", "cases": "案例研究", "themes": "主题", "partners": "合作伙伴",
           "keywords": "关键词", "target_groups": "目标群体", "related": "相关案例",
           "parallel": "中英文对照", "disclaimer": "本出版物内容仅代表作者观点。"},
}


def hugo_site(project: Path, dest: Path) -> Path:
    """Write the Hugo site equivalent to the project's website into `dest` (which must not exist)."""
    guide = yaml.load((project / "guide" / "guide.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    themes = {t["id"]: t["name"] for t in guide["themes"]}
    partners = {p["id"]: p["name"] for p in guide["partners"]}
    taxonomies = "\n".join(f'{singular} = "{plural}"' for singular, plural in TAXONOMIES.items())
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "layouts" / "partials").mkdir(parents=True)
    (dest / "i18n").mkdir()
    (dest / "hugo.toml").write_text(CONFIG.format(taxonomies=taxonomies), encoding="utf-8")
    for name, text in (("baseof.html", BASEOF), ("single.html", SINGLE), ("single.parallel.html", PARALLEL),
                       ("list.html", LIST), ("terms.html", TERMS)):
        (dest / "layouts" / "_default" / name).write_text(text, encoding="utf-8")
    (dest / "layouts" / "index.html").write_text(HOME, encoding="utf-8")
    (dest / "layouts" / "partials" / "card.html").write_text(CARD, encoding="utf-8")
    for code, strings in I18N.items():
        (dest / "i18n" / f"{code}.toml").write_text(
            "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in strings.items()), encoding="utf-8")
    shutil.copytree(project / "themes" / "default" / "static", dest / "static" / "static")
    for code in LANGUAGES:
        (dest / "content" / code / "cases").mkdir(parents=True)
        (dest / "content" / code / "cases" / "_index.md").write_text(
            json.dumps({"title": I18N[code]["cases"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in sorted((project / "cases").glob("*.yaml")):
        case = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for code in LANGUAGES:
            page = dest / "content" / code / "cases" / f"{case['id']}.md"
            page.write_text(_case_page(case, code, themes, partners), encoding="utf-8")
    return dest


def _case_page(case: dict, code: str, themes: dict, partners: dict) -> str:
    def text(value: dict | None) -> str:
        return (value or {}).get(code) or ""

    front = {
        "title": text(case["profile"]["name"]),
        "section": case["section"],
        "weight": int("".join(f"{int(n):03d}" for n in case["section"].split("."))),
        "translationKey": case["id"],
        "institution_name": text(case["institution"]),
        "country_name": text(case["country"]),
        # Taxonomies, by their plural name as Hugo wants them in front matter.
        "regions": [case["region"]],
        "countries": [text(case["country"])],
        "partners": [text(partners[case["partner"]])],
        "institutions": [text(case["institution"])],
        "themes": [text(themes[t]) for t in case.get("themes", [])],
        "keywords": [text(k) for k in case["profile"].get("keywords", [])],
        "target-groups": [text(g) for g in case.get("target_groups", [])],
    }
    if case.get("date"):
        front["date"] = _full_date(str(case["date"]))
    body = []
    for label_en, label_zh, (part, field) in FIELDS:
        value = text((case.get(part) or {}).get(field))
        if value:
            body.append(f"## {label_en if code == 'en' else label_zh}\n\n{value.strip()}\n")
    return json.dumps(front, ensure_ascii=False, indent=1) + "\n\n" + "\n".join(body)


def _full_date(value: str) -> str:
    parts = (value.split("-") + ["01", "01"])[:3]
    return "-".join(parts)


# --- timing ------------------------------------------------------------------------------

def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Run a command; return its wall time and peak resident memory in KB (with the children it waited for)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{error[-2000:]}")
    return elapsed, usage.ru_maxrss


def commands(project: Path, hugo: Path, out: Path) -> dict[str, tuple[list[str], Path, list[Path]]]:
    """Return each build's command, folder and the folders to delete before it runs.

    Both builders build over their own previous output, as on an editor's machine: Hugo
    writes into its folder, ours writes over the build before the published one. `ours-cold`
    first deletes the whole .cache/ (parsed files, converted Markdown, compiled templates,
    the labels' pinyin), so that it also measures a first build.
    """
    ours = [sys.executable, "-m", "site_builder", "--project", str(project), "build", "--no-pdf", "--no-search",
            "-o", str(out / "ours")]
    return {
        "ours": (ours, project, []),
        "ours-cold": (ours, project, [project / ".cache"]),
        "hugo": (["hugo", "--quiet", "-s", str(hugo), "-d", str(out / "hugo")], hugo, []),
    }


def measure(size: int, runs: int, work: Path, env: dict[str, str]) -> dict[str, list[tuple[float, int]]]:
    project = make_project(size, work / f"project-{size}")
    hugo = hugo_site(project, work / f"hugo-{size}")
    todo = commands(project, hugo, work / f"out-{size}")
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in todo}
    for name, (command, cwd, _) in todo.items():  # warm-up: disk cache, compiled templates, the first parse cache
        timed(command, cwd, env)
    names = list(todo)
    for run in range(runs):
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            command, cwd, clear = todo[name]
            for folder in clear:
                shutil.rmtree(folder, ignore_errors=True)
            results[name].append(timed(command, cwd, env))
    return results


def exponent(sizes: list[int], times: list[float]) -> float:
    """Return k of time ∝ sizes^k, by least squares on a log-log scale."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[27, 100, 300, 1000])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each build per size (default 5)")
    parser.add_argument("--big", type=int, default=0, help="also build this many cases once each: time and memory")
    parser.add_argument("--workdir", type=Path, default=None, help="where to make the projects (default: a temporary folder)")
    parser.add_argument("--keep-environment", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE if set (default: unset it, as on an editor's machine)")
    args = parser.parse_args(argv)
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed: apt-get install -y hugo")
    version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()
    print(f"hugo: {version}\nCPUs: {os.cpu_count()}, load average before: {load()}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    # Python keeps the project's compiled modules in __pycache__ on an editor's machine; a machine that
    # sets PYTHONDONTWRITEBYTECODE compiles them again at every start (about 60 ms of CPU).
    if not args.keep_environment:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    work = Path(tempfile.mkdtemp(prefix="bench-hugo-", dir=args.workdir))
    medians: dict[str, list[float]] = {}
    try:
        print(f"\n{'cases':>6} {'build':<10} {'median s':>9} {'range s':>15} {'× hugo':>7} {'peak MB':>8}  load")
        for size in args.sizes:
            results = measure(size, args.runs, work, env)
            hugo_median = statistics.median(t for t, _ in results["hugo"])
            for name, values in results.items():
                times = [t for t, _ in values]
                median = statistics.median(times)
                medians.setdefault(name, []).append(median)
                print(f"{size:>6} {name:<10} {median:>9.2f} {min(times):>7.2f}–{max(times):<7.2f} "
                      f"{median / hugo_median:>7.2f} {max(m for _, m in values) / 1024:>8.0f}  {load()}")
            shutil.rmtree(work / f"out-{size}", ignore_errors=True)
        if len(args.sizes) > 1:
            print("\ngrowth exponent k (time ∝ cases^k, all sizes): " +
                  ", ".join(f"{name} {exponent(args.sizes, values):.2f}" for name, values in medians.items()))
            last = len(args.sizes) - 1
            for i in range(last):
                pair = [args.sizes[i], args.sizes[i + 1]]
                print(f"  {pair[0]}→{pair[1]}: " + ", ".join(
                    f"{name} {exponent(pair, values[i:i + 2]):.2f}" for name, values in medians.items()))
        if args.big:
            project = make_project(args.big, work / f"project-{args.big}")
            hugo = hugo_site(project, work / f"hugo-{args.big}")
            todo = commands(project, hugo, work / f"out-{args.big}")
            print(f"\n{args.big} cases, one run each (cold: no parse cache yet), load {load()}:")
            for name in ("ours-cold", "hugo", "ours"):
                command, cwd, clear = todo[name]
                for folder in clear:
                    shutil.rmtree(folder, ignore_errors=True)
                elapsed, peak = timed(command, cwd, env)
                print(f"  {name:<10} {elapsed:8.1f} s  peak {peak / 1024:6.0f} MB  load {load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
