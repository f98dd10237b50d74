"""Benchmark the website build (HTML only: no PDFs, no search index) and the weight of its pages.

    python bench/web.py            # the full run (a few minutes on two cores)
    python bench/web.py --quick    # a short run
    python bench/web.py --help

Four measurements, printed and written as JSON to bench/results/:

1. The real project, built N times with `build(root, out, pdf=False, search=False)` in
   this process, after one warm-up build that is not counted (imports, disk cache):
   median wall time, HTML pages per second, and the ratio to the 2 s target.
   Then the same build in fresh processes (`python -c ...`), timed from outside, so that
   interpreter start and imports are in: what an editor waits for on the command line.
2. The stages of that build, each timed by calling it directly: `content.load_site`,
   `render.render_site`, `write.write_files` (into an empty folder).
3. Synthetic projects of several sizes (see synthetic.py), built in this process:
   time, pages per second, time per case, the split between the stages, and how close
   to linear the growth is (least-squares line through the times, its R², and
   time(largest) / time(smallest) against the ratio of the sizes).
4. Page weight of the real build: for every HTML page, gzip(HTML) plus gzip(each CSS
   file it links, print style sheet included); the maximum, the median and the heaviest
   pages, against the 50 KB target (KB = 1,000 bytes).

This is a measurement, not a test: it asserts nothing, and nothing in tests/ depends on
timings.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path: put the repository there instead,
# so that a script here can never stand in for a module of the same name.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import posixpath  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import yaml  # noqa: E402

from bench.synthetic import make_project  # noqa: E402
from site_builder import build as build_module  # noqa: E402
from site_builder.build import build  # noqa: E402
from site_builder.content import load_site  # noqa: E402
from site_builder.render import render_site  # noqa: E402
from site_builder.write import write_files  # noqa: E402

TARGET_REAL_S = 2.0        # the 27-case site, HTML in both languages
TARGET_SYNTHETIC_S = 30.0  # 1,000 cases
TARGET_SYNTHETIC_CASES = 1000
TARGET_PAGE_KB = 50.0      # gzip'd HTML + CSS of one page
KB = 1000
RESULTS = ROOT / "bench" / "results"


# --- timing helpers ------------------------------------------------------------------
def timed(function, *args, **kwargs):
    """Call the function; return its wall-clock seconds, this process's CPU seconds and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, time.process_time() - cpu, result


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float:
    return os.getloadavg()[0]


def busy_note() -> str:
    """A warning when other processes compete for the CPUs (wall-clock times are then too high)."""
    load = load_average()
    cpus = os.cpu_count() or 1
    return f"   [load average {load:.1f} on {cpus} CPUs: the machine is busy, trust CPU times more]" if load > cpus else ""


class StageTimer:
    """Time the stages inside `build()` by wrapping the functions it calls (restored on exit)."""

    NAMES = ("load_site", "render_site", "write_files")

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.html_pages = 0

    def __enter__(self):
        self.saved = {name: getattr(build_module, name) for name in self.NAMES}
        for name, function in self.saved.items():
            setattr(build_module, name, self._wrap(name, function))
        return self

    def __exit__(self, *exc):
        for name, function in self.saved.items():
            setattr(build_module, name, function)

    def _wrap(self, name, function):
        def wrapper(*args, **kwargs):
            seconds, _, result = timed(function, *args, **kwargs)
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            if name == "render_site":
                self.html_pages = count_html(result)
            return result
        return wrapper


def count_html(outputs) -> int:
    return sum(1 for output in outputs if output.path.endswith(".html"))


def filesystem(path: Path) -> str:
    """Return the type of the file system holding `path` ("unknown" where /proc/mounts is not readable)."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                mount, fstype = line.split()[1:3]
                inside = str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")
                if inside and len(mount) > len(best):
                    best, kind = mount, fstype
    except OSError:
        pass
    return kind


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


# --- 1 and 2: the real project -------------------------------------------------------
def bench_real(root: Path, work: Path, runs: int, fresh_runs: int) -> tuple[dict, Path]:
    print(f"\n== Real project: {root} ==")
    cases = len(list((root / "cases").glob("*.yaml")))
    warmup = work / "real-warmup"
    with StageTimer() as timer:
        first, _, _ = timed(build, root, warmup, pdf=False, search=False)
    pages = timer.html_pages
    times, cpus, loads = [], [], []
    for i in range(runs):
        loads.append(load_average())
        seconds, cpu, _ = timed(build, root, work / f"real-{i}", pdf=False, search=False)
        times.append(seconds)
        cpus.append(cpu)
        shutil.rmtree(work / f"real-{i}")
    median = statistics.median(times)
    print(f"{cases} cases, {pages} HTML pages; build(pdf=False, search=False) in this process, "
          f"{runs} runs after one warm-up ({first:.2f} s, not counted){busy_note()}")
    print(f"  median {median:.3f} s (min {min(times):.3f}, max {max(times):.3f}; CPU {statistics.median(cpus):.3f} s)   "
          f"{pages / median:,.0f} pages/s   {median / TARGET_REAL_S:.2f} × the {TARGET_REAL_S:g} s target")
    result = {"cases": cases, "html_pages": pages, "warmup_s": first, "build_s": summary(times),
              "cpu_s": summary(cpus), "load_average": loads,
              "pages_per_s": pages / median, "ratio_to_target": median / TARGET_REAL_S}

    if fresh_runs:
        code = ("import sys; from pathlib import Path; from site_builder.build import build; "
                "build(Path(sys.argv[1]), Path(sys.argv[2]), pdf=False, search=False)")
        fresh, fresh_cpu = [], []
        for i in range(fresh_runs):
            out = work / f"real-fresh-{i}"
            started, cpu = time.perf_counter(), children_cpu()
            subprocess.run([sys.executable, "-c", code, str(root), str(out)], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
            fresh.append(time.perf_counter() - started)
            fresh_cpu.append(children_cpu() - cpu)
            shutil.rmtree(out)
        fmedian = statistics.median(fresh)
        print(f"  fresh process ({fresh_runs} runs; interpreter start and imports included): median {fmedian:.3f} s "
              f"(CPU {statistics.median(fresh_cpu):.3f} s)   "
              f"{pages / fmedian:,.0f} pages/s   {fmedian / TARGET_REAL_S:.2f} × target")
        result["fresh_process_s"] = summary(fresh)
        result["fresh_process_cpu_s"] = summary(fresh_cpu)
        result["fresh_ratio_to_target"] = fmedian / TARGET_REAL_S

    stages: dict[str, list[float]] = {name: [] for name in StageTimer.NAMES}
    stages_cpu: dict[str, list[float]] = {name: [] for name in StageTimer.NAMES}

    def stage(name, function, *args):
        seconds, cpu, result = timed(function, *args)
        stages[name].append(seconds)
        stages_cpu[name].append(cpu)
        return result

    for i in range(runs):
        site, _ = stage("load_site", load_site, root)
        outputs = stage("render_site", render_site, site)
        folder = work / f"stage-{i}"
        folder.mkdir()
        stage("write_files", write_files, outputs, folder)
        shutil.rmtree(folder)
    medians = {name: statistics.median(values) for name, values in stages.items()}
    total = sum(medians.values())
    print(f"  stages, called directly (median of {runs}):")
    for name, seconds in medians.items():
        print(f"    {name:<12} {seconds:.3f} s ({seconds / total:4.0%})   CPU {statistics.median(stages_cpu[name]):.3f} s")
    print(f"  libyaml reader: {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no (pure-Python YAML)'}")
    result["stages_s"] = {name: summary(values) for name, values in stages.items()}
    result["stages_cpu_s"] = {name: summary(values) for name, values in stages_cpu.items()}
    return result, warmup


# --- 3: synthetic projects -----------------------------------------------------------
def bench_synthetic(root: Path, work: Path, sizes: list[int], runs: int) -> dict:
    print(f"\n== Synthetic projects: {', '.join(map(str, sizes))} cases "
          f"(build in this process, median of {runs}) ==")
    print(f"{'cases':>6} {'pages':>6} {'time s':>8} {'CPU s':>7} {'pages/s':>8} {'ms/case':>8}   "
          f"{'load':>6} {'render':>7} {'write':>6} {'other':>6}")
    rows = []
    for size in sizes:
        project = make_project(size, work / f"synthetic-{size}", root)
        times, cpus, splits, pages, loads = [], [], [], 0, []
        for i in range(runs):
            out = work / f"synthetic-{size}-out-{i}"
            loads.append(load_average())
            with StageTimer() as timer:
                seconds, cpu, _ = timed(build, project, out, pdf=False, search=False)
            times.append(seconds)
            cpus.append(cpu)
            splits.append(timer.seconds)
            pages = timer.html_pages
            shutil.rmtree(out)
        shutil.rmtree(project)
        median = statistics.median(times)
        split = {name: statistics.median(s[name] for s in splits) for name in StageTimer.NAMES}
        other = median - sum(split.values())
        print(f"{size:>6} {pages:>6} {median:>8.2f} {statistics.median(cpus):>7.2f} {pages / median:>8,.0f} "
              f"{1000 * median / size:>8.1f}   {split['load_site']:>6.2f} {split['render_site']:>7.2f} "
              f"{split['write_files']:>6.2f} {other:>6.2f}{busy_note()}")
        rows.append({"cases": size, "html_pages": pages, "build_s": summary(times), "cpu_s": summary(cpus),
                     "load_average": loads, "pages_per_s": pages / median,
                     "ms_per_case": 1000 * median / size, "stages_s": split, "other_s": other})
    result: dict = {"sizes": rows}
    if len(rows) >= 2:
        xs = [r["cases"] for r in rows]
        ys = [r["build_s"]["median"] for r in rows]
        slope, intercept, r2 = least_squares(xs, ys)
        growth = ys[-1] / ys[0]
        exponent, _, _ = least_squares([math.log(x) for x in xs], [math.log(y) for y in ys])
        print(f"  linearity: time ≈ {intercept:.2f} s + {1000 * slope:.1f} ms × cases (R² = {r2:.4f}); "
              f"time({xs[-1]}) / time({xs[0]}) = {growth:.2f} for {xs[-1] / xs[0]:g}× the cases")
        print(f"  growth exponent {exponent:.2f} (time ∝ cases^k fitted on a log-log scale: 1 is linear, 2 quadratic)")
        residual = max(abs(y - (intercept + slope * x)) for x, y in zip(xs, ys))
        print(f"  largest distance from the line: {residual:.2f} s")
        projected = intercept + slope * TARGET_SYNTHETIC_CASES
        print(f"  {TARGET_SYNTHETIC_CASES} cases: "
              + (f"measured {ys[xs.index(TARGET_SYNTHETIC_CASES)]:.2f} s" if TARGET_SYNTHETIC_CASES in xs
                 else f"projected {projected:.2f} s (a straight line through small sizes understates "
                      f"any faster-than-linear growth: measure it)")
              + f" against the {TARGET_SYNTHETIC_S:g} s target")
        result["linearity"] = {"slope_ms_per_case": 1000 * slope, "intercept_s": intercept, "r2": r2,
                               "time_ratio": growth, "size_ratio": xs[-1] / xs[0], "growth_exponent": exponent,
                               "max_residual_s": residual, "projected_1000_s": projected}
    return result


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Return slope, intercept and R² of the least-squares line through the points."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    total = sum((y - my) ** 2 for y in ys)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    return slope, intercept, 1 - residual / total if total else 1.0


# --- 4: page weight -------------------------------------------------------------------
class _Stylesheets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").split() and attributes.get("href"):
            self.hrefs.append(attributes["href"])


def bench_weight(site_dir: Path, level: int) -> dict:
    print(f"\n== Page weight: gzip (level {level}) of each HTML page + the CSS it links ==")
    css_cache: dict[str, int | None] = {}

    def gz(path: Path) -> int:
        return len(gzip.compress(path.read_bytes(), compresslevel=level, mtime=0))

    pages, missing = [], set()
    for page in sorted(site_dir.rglob("*.html")):
        relative = page.relative_to(site_dir).as_posix()
        parser = _Stylesheets()
        parser.feed(page.read_text(encoding="utf-8"))
        url_dir = "/" + posixpath.dirname(relative) + "/"
        css = 0
        for href in parser.hrefs:
            path = urlsplit(href).path
            if not path.startswith("/"):
                path = posixpath.normpath(posixpath.join(url_dir, path))
            if path not in css_cache:
                target = site_dir / path.lstrip("/")
                css_cache[path] = gz(target) if target.is_file() else None
            if css_cache[path] is None:
                missing.add(path)
            else:
                css += css_cache[path]
        html = gz(page)
        pages.append({"page": relative, "html_gz": html, "css_gz": css, "total_gz": html + css})
    pages.sort(key=lambda p: p["total_gz"], reverse=True)
    totals = [p["total_gz"] / KB for p in pages]
    over = [p for p in pages if p["total_gz"] / KB > TARGET_PAGE_KB]
    heaviest = pages[0]
    print(f"{len(pages)} pages; max {totals[0]:.1f} KB, median {statistics.median(totals):.1f} KB "
          f"(target {TARGET_PAGE_KB:g} KB; {len(over)} page(s) over)")
    print("  heaviest:")
    for p in pages[:5]:
        print(f"    {p['total_gz'] / KB:6.1f} KB  = HTML {p['html_gz'] / KB:5.1f} + CSS {p['css_gz'] / KB:4.1f}   {p['page']}")
    print("  style sheets (gzip'd): " + ", ".join(f"{path} {size / KB:.1f} KB" for path, size in sorted(css_cache.items())
                                                 if size is not None))
    if missing:
        print("  linked but not in this build (not counted): " + ", ".join(sorted(missing)))
    return {"gzip_level": level, "kb": KB, "pages": len(pages), "max_kb": totals[0],
            "median_kb": statistics.median(totals), "heaviest": heaviest, "over_target": len(over),
            "top": pages[:20], "css_gz": css_cache, "missing_css": sorted(missing)}


# --- main -------------------------------------------------------------------------------
def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1 or sizes[-1] > 9999:
        raise argparse.ArgumentTypeError("give sizes from 1 to 9999, separated by commas")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the HTML build (no PDFs, no search index): the real project, synthetic projects "
                    "of growing size, and the gzip'd weight of each page. Results are printed and saved as "
                    "JSON in bench/results/.")
    parser.add_argument("--runs", type=int, default=5, help="timed builds of the real project (default 5)")
    parser.add_argument("--fresh-runs", type=int, default=3,
                        help="builds of the real project in fresh processes, imports included (default 3; 0 skips)")
    parser.add_argument("--sizes", type=parse_sizes, default=[100, 250, 500, 1000],
                        help="synthetic corpus sizes, comma-separated (default 100,250,500,1000)")
    parser.add_argument("--synthetic-runs", type=int, default=1, help="builds per synthetic size (default 1)")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic projects")
    parser.add_argument("--gzip-level", type=int, default=6, choices=range(1, 10), metavar="1-9",
                        help="gzip level for page weight (default 6, a common server setting)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 2 builds, 1 fresh build, synthetic sizes 50,100,200")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to benchmark (default: this repository)")
    parser.add_argument("--workdir", type=Path,
                        help="where the builds are written (default: the system's temporary folder); the write "
                             "stage depends on its file system: compare a disk with tmpfs (/dev/shm)")
    parser.add_argument("--json", type=Path, help="where to write the results (default bench/results/html-<time>.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.fresh_runs, args.sizes = 2, 1, [50, 100, 200]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    root = args.root.resolve()
    results: dict = {
        "benchmark": "html",
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "libyaml": bool(getattr(yaml, "__with_libyaml__", False)), "load_average_at_start": load_average()},
        "commit": _git(root, "rev-parse", "HEAD"), "uncommitted_changes": bool(_git(root, "status", "--porcelain")),
        "targets": {"real_s": TARGET_REAL_S, "synthetic_s": TARGET_SYNTHETIC_S,
                    "synthetic_cases": TARGET_SYNTHETIC_CASES, "page_kb": TARGET_PAGE_KB},
        "options": {"runs": args.runs, "fresh_runs": args.fresh_runs, "sizes": [] if args.no_synthetic else args.sizes,
                    "synthetic_runs": args.synthetic_runs, "quick": args.quick},
    }
    print(f"{os.cpu_count()} CPU(s), load average {load_average():.1f}, Python {platform.python_version()}, "
          f"commit {(results['commit'] or 'unknown')[:12]}{' + uncommitted changes' if results['uncommitted_changes'] else ''}")
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-html-", dir=args.workdir) as temp:
        work = Path(temp)
        results["workdir"] = {"path": str(work), "filesystem": filesystem(work)}
        print(f"builds written under {work} ({results['workdir']['filesystem']})")
        results["real"], site_dir = bench_real(root, work, args.runs, args.fresh_runs)
        results["weight"] = bench_weight(site_dir, args.gzip_level)
        if not args.no_synthetic:
            results["synthetic"] = bench_synthetic(root, work, args.sizes, args.synthetic_runs)
    path = args.json or RESULTS / f"html-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nresults written to {path}")
    return 0


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


if __name__ == "__main__":
    sys.exit(main())
