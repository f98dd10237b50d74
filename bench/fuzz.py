"""Fuzz the builder: mutate the real case and policy files, and check that nothing ends in a traceback.

Each mutated file is put alone into a small project (the real guide, theme and
translations) and run through the whole pipeline: load and validate; when the
content is accepted, render every output, read each output format back with a
real parser (XML, CSV, JSON, BibTeX, RIS) and write the files into a folder.
A rejected file must be rejected with located problems (ContentError); any other
exception is a failure, reported with its traceback.

Mutations are seeded, so a run can be repeated exactly:

    .venv/bin/python bench/fuzz.py --files 2000            # by hand: a few minutes
    .venv/bin/python bench/fuzz.py --seconds 20 --seed 7   # bounded in time, as the test suite runs it

It prints the files tried, how many were accepted and rejected, the tracebacks
(which must be 0) and the slowest file, and exits 1 when there was a traceback.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_builder.content import ParsedFiles, load_site  # noqa: E402
from site_builder.problems import ContentError  # noqa: E402
from site_builder.render import render_site  # noqa: E402
from site_builder.write import write_files  # noqa: E402

# Values and tokens that broke, or could break, some stage of the builder.
INTERESTING = [
    "2019.03", "2019.0", ".inf", "-.inf", ".nan", "1e999", "-0", "0o777", "0x" + "f" * 5000,
    ":".join(["59"] * 2600), "9" * 5000, "!!bool maybe", "!!int abc", "!!float x", "!!timestamp 2019-99-99",
    "!!binary ###", "!!python/object:os.system", "!ruby x", "!<tag:x> y", "&a [*a]", "*a", "*undefined", "&b",
    '"\\U00110000"', '"\\x01"', '"\\ud800"', '"\\uffff"', '"\\N"', '"\\_"', '"\\L"', '"\\t"', '"\\0"',
    '"=HYPERLINK(\\"http://x.example\\",\\"y\\")"', "+1+1", "-2+3", "@SUM(1)", '"Lab} of {Ideas"', "\\}",
    '"a\\nER  - b"', '"First\\nSecond"', "<script>alert(1)</script>", "TT &amp; IP", "&", "%", "#", "_",
    "{", "}", "[", "]", "|", ">", "|-", ">+", '"', "'", "- ", "? x", ": x", "~", "null", '""', "''",
    "2019-13-45", "12/03/2019", "2019-02-30", '"../x/cases/images/ok.png"', '".git/config"',
    '"cases/images/a#b.png"', '"cases/images/a?b.png"', '"cases/images/a\\nb.png"', "%TAG ! x", "---", "...",
    "`x`", "!x", "a: b: c", "{a: 1, a: 2}", "[1, [2, [3]]]", "<<: *a", "x" * 20000, "中文：冒号",
    "\u2028", "\u2029", "\x85", "\ufeff", "\u200b", "\t", "\r", "\r\n", "\\", "\U0001F600", "\uff1a",
]
SPECIAL_CHARACTERS = ["\t", "\u2028", "\u2029", "\x85", "\ufeff", "\uff1a", "\u3000", "\r", "\\", "\x00", "\x1b"]


@dataclass
class Report:
    """What a fuzzing run found."""

    tried: int = 0
    accepted: int = 0
    rejected: int = 0
    tracebacks: list[tuple[str, str]] = field(default_factory=list)
    slowest: tuple[str, float] = ("", 0.0)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"files tried: {self.tried}", f"accepted (built and parsed back): {self.accepted}",
                 f"rejected with located messages: {self.rejected}", f"tracebacks: {len(self.tracebacks)}",
                 f"slowest file: {self.slowest[1]:.2f} s ({self.slowest[0]})", f"total: {self.seconds:.0f} s"]
        for name, text in self.tracebacks[:5]:
            lines.append(f"--- {name}\n{text}")
        return "\n".join(lines)


def mutate(text: str, rng: random.Random) -> bytes:
    """Return `text` with one to three random mutations, as bytes (some mutations break the UTF-8)."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(8)
        i = rng.randrange(len(lines))
        if kind == 0 and ":" in lines[i]:  # replace a value
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(INTERESTING)}"
        elif kind == 1:  # insert a token anywhere in a line
            at = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + rng.choice(INTERESTING + SPECIAL_CHARACTERS) + lines[i][at:]
        elif kind == 2 and len(lines) > 1:
            del lines[i]
        elif kind == 3:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 4:  # indentation
            lines[i] = rng.choice(["", " ", "  ", "\t", "    "]) + lines[i].lstrip(" ") if rng.random() < 0.5 \
                else lines[i][rng.randint(0, 2):]
        elif kind == 5:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 6:  # a new list item or key with an interesting value
            indent = " " * (len(lines[i]) - len(lines[i].lstrip(" ")))
            lines.insert(i, indent + rng.choice(["- ", "extra: ", "name: ", "date: ", "en: ", "zh: "])
                         + rng.choice(INTERESTING))
        else:
            lines = lines[:i] or lines  # truncate
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:  # flip a byte
        at = rng.randrange(len(data))
        data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    return data


def make_project(folder: Path) -> Path:
    """Return an empty project: the real guide, theme, translations and schema, no cases or policies."""
    root = folder / "project"
    (root / "cases" / "images").mkdir(parents=True)
    (root / "policies").mkdir()
    for name in ("guide", "themes", "translations", "schema"):
        shutil.copytree(ROOT / name, root / name)
    from PIL import Image

    Image.new("RGB", (4, 4), "green").save(root / "cases" / "images" / "ok.png")
    return root


def check_outputs(outputs: list) -> None:
    """Read every output format back with a real parser; raise on the first that does not parse."""
    import bibtexparser
    import rispy

    for output in outputs:
        path, body = output.path, output.body
        if path.endswith(".xml"):
            ET.fromstring(body)
        elif path.endswith(".json"):
            json.loads(body)
        elif path.endswith(".csv"):
            for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
                for cell in row:
                    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                        raise AssertionError(f"{path}: a cell starts a formula: {cell[:40]!r}")
        elif path.endswith(".bib"):
            library = bibtexparser.parse_string(body.decode("utf-8"))
            if library.failed_blocks or len(library.entries) != 1:
                raise AssertionError(f"{path}: BibTeX does not parse as one entry")
        elif path.endswith(".ris"):
            if len(rispy.loads(body.decode("utf-8"))) != 1:
                raise AssertionError(f"{path}: RIS does not parse as one record")
        elif path.endswith(".html"):
            body.decode("utf-8")


def run(files: int | None = None, *, seconds: float | None = None, seed: int = 1, quiet: bool = False) -> Report:
    """Fuzz until `files` files were tried or `seconds` passed; return the report."""
    rng = random.Random(seed)
    sources = sorted((ROOT / "cases").glob("*.yaml")) + sorted((ROOT / "policies").glob("*.yaml"))
    texts = [(p.parent.name, p.name, p.read_text(encoding="utf-8")) for p in sources]
    report = Report()
    started = time.perf_counter()
    unchanged = ParsedFiles()  # the guide's files are read and checked once, as the live preview does
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None  # written outputs: memory, where there is some
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=scratch) as temporary:
        root = make_project(Path(temporary))
        while (files is None or report.tried < files) and (seconds is None or time.perf_counter() - started < seconds):
            folder, name, text = rng.choice(texts)
            data = mutate(text, rng)
            target = root / folder / name
            target.write_bytes(data)
            unchanged.forget(root, {f"{folder}/{name}"})  # as the preview's watcher reports it
            label = f"seed {seed} #{report.tried} ({folder}/{name})"
            one = time.perf_counter()
            try:
                try:
                    site, _ = load_site(root, parsed=unchanged)
                except ContentError as exc:
                    if not exc.problems or any(p.line < 1 and p.file.endswith(".yaml") for p in exc.problems):
                        raise AssertionError("rejected without a located problem") from exc
                    report.rejected += 1
                else:
                    outputs = render_site(site, base_url="https://guide.example.org/")  # feeds need it
                    check_outputs(outputs)
                    with tempfile.TemporaryDirectory(dir=temporary) as out:
                        write_files(outputs, Path(out))
                    report.accepted += 1
            except Exception:
                report.tracebacks.append((label, traceback.format_exc(limit=8)))
                keep = ROOT / "bench" / "results" / "fuzz-failures"
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"seed{seed}-{report.tried}-{name}").write_bytes(data)
            took = time.perf_counter() - one
            if took > report.slowest[1]:
                report.slowest = (label, took)
            target.unlink()
            unchanged.forget(root, {f"{folder}/{name}"})  # keep only the guide's files cached
            report.tried += 1
            if not quiet and report.tried % 100 == 0:
                print(f"{report.tried} files, {len(report.tracebacks)} traceback(s), "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    report.seconds = time.perf_counter() - started
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, help="how many mutated files to try (default: 2000 unless --seconds)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args()
    files = args.files if args.files or args.seconds else 2000
    report = run(files, seconds=args.seconds, seed=args.seed)
    print(report.summary())
    return 1 if report.tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
