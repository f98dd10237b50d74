"""Measure the search: recall and ranking of a query set derived from the content, in Chromium.

    .venv/bin/python bench/search.py [--site DIR] [--failures] [--json FILE]

Builds the website with its search index into a temporary folder (or takes an existing
build with --site), serves it on 127.0.0.1, opens each language's search page in Debian's
Chromium and runs every query of tests/search_queries.py through the site's own search
engine. Prints, per language and per kind of query: recall@3 and recall@10 of the pages
that must come first (the case of the institution or title named; for the other kinds,
every page that contains the words), the recall over all results of every page that
contains the words, the mean reciprocal rank of the first such page, and how many
queries found everything they should. A query of kind "absent" passes when it finds nothing.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import json
import re
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402

from search_queries import format_summary, query_set, run_queries  # noqa: E402
from site_builder.build import build  # noqa: E402
from site_builder.content import load_site  # noqa: E402


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's signature
        pass


def index_weight(built: Path) -> list[tuple[str, int, int]]:
    """Return (file, bytes, gzip'd bytes) of the search's own files: index and scripts."""
    files = sorted(p for folder in ("search", "static/vendor") for p in (built / folder).rglob("*")
                   if p.is_file() and not p.name.endswith(".txt"))
    files += [p for p in (built / "static" / "search.js",) if p.exists()]  # the header box's keys are in site.js
    return [(p.relative_to(built).as_posix(), p.stat().st_size, len(gzip.compress(p.read_bytes(), 6))) for p in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site to measure (default: build one now)")
    parser.add_argument("--failures", action="store_true", help="list every query that did not find all it should")
    parser.add_argument("--json", type=Path, help="also write every query's results as JSON")
    args = parser.parse_args()
    site, _ = load_site(ROOT)
    with tempfile.TemporaryDirectory() as temporary:
        built = args.site
        if built is None:
            built = Path(temporary) / "site"
            build(ROOT, built, pdf=False)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        scores = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            for lang in ("en", "zh"):
                queries = query_set(site, lang, built)
                started = time.perf_counter()
                scores += run_queries(page, url, lang, queries)
                print(f"{lang}: {len(queries)} queries in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            browser.close()
        server.shutdown()
        weight = index_weight(built)
    print(format_summary(scores))
    print(f"\nindex and scripts: {sum(w[1] for w in weight) / 1000:.1f} KB, gzip {sum(w[2] for w in weight) / 1000:.1f} KB")
    shared = list(weight)
    for lang in ("en", "zh"):
        own = [w for w in weight if re.search(rf"(^|[./]){lang}(-[a-z]+)?[._]", w[0].rsplit("/", 1)[-1])]
        shared = [w for w in shared if w not in own]
        print(f"  {lang} only: {sum(w[1] for w in own) / 1000:.1f} KB, gzip {sum(w[2] for w in own) / 1000:.1f} KB "
              f"({len(own)} files)")
    print(f"  shared scripts and styles: {sum(w[1] for w in shared) / 1000:.1f} KB, "
          f"gzip {sum(w[2] for w in shared) / 1000:.1f} KB ({', '.join(w[0] for w in shared)})")
    if args.failures:
        print("\nqueries that did not find everything they should:")
        for s in scores:
            if not s.ok:
                q = s.query
                print(f"  {q.lang} {q.kind:11} {q.text!r}: R@10 {s.recall_10:.2f}, all {s.recall_all:.2f}, "
                      f"{len(s.results)} results; missing {s.missing[:4]}{' …' if len(s.missing) > 4 else ''}"
                      + (f"; found {s.results[:3]}" if q.kind == "absent" else ""))
    if args.json:
        args.json.write_text(json.dumps([{"lang": s.query.lang, "kind": s.query.kind, "query": s.query.text,
                                          "targets": sorted(s.query.targets), "results": s.results, "ok": s.ok}
                                         for s in scores], ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
