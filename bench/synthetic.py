"""Make a synthetic guide project of any size from the real one, for the benchmarks.

The project gets the real guide data, theme, translations and schema, and `count`
case files derived from the real cases: they are taken in turn (case 28 is the
first one again), each with a new id `synthetic-NNNN`, the next free section
number inside its partner's section of the guide (3.2.1, 3.2.2, … 3.2.140, …)
and a title that names its number. Its prose (short description, background,
the impact fields) has its words changed too, in both languages: each English
word of four letters or more is replaced by another word of the corpus, and
each Chinese character by another character of the corpus, by a substitution
that differs from case to case. So no two cases share a text, and no cache of
rendered Markdown flatters a build, while the length and the Markdown structure
of every text stay those of a real case. Keywords, target groups and
institutions are kept, so the facets have the real project's shape. `update_of`
is pointed at the copy of its target in the same round, or dropped when that
copy is not in the corpus.

    python bench/synthetic.py 1000 /tmp/guide-1000   # make a project to look at
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("guide", "themes", "translations", "schema", "policies")  # policies only where the project has them
_NAME = re.compile(r"^(profile:\n  name:\n    en: )(.*)\n(    zh: )(.*)\n", re.MULTILINE)


def make_project(count: int, dest: Path, source: Path = ROOT) -> Path:
    """Write a project of `count` synthetic cases into `dest` (which must not exist); return it."""
    if not 1 <= count <= 99999:
        raise ValueError("count must be from 1 to 99999")
    dest.mkdir(parents=True)
    for folder in COPIED:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
    (dest / "cases").mkdir()
    if (source / "cases" / "images").is_dir():
        shutil.copytree(source / "cases" / "images", dest / "cases" / "images")
    originals = [_Original(path) for path in sorted((source / "cases").glob("*.yaml"))]
    words = _Vocabulary(originals)
    position = {o.id: i for i, o in enumerate(originals)}
    used: dict[str, int] = {}  # partner section → last number given
    for k in range(count):
        original = originals[k % len(originals)]
        new_id = _synthetic_id(k, count)
        used[original.parent] = used.get(original.parent, 0) + 1
        update_of = None
        if original.update_of in position:  # the copy of its target made in the same round
            target = k - k % len(originals) + position[original.update_of]
            update_of = _synthetic_id(target, count) if target < count else None
        text = original.derive(new_id, f"{original.parent}.{used[original.parent]}", update_of, k + 1)
        text = words.vary(text, k + 1)
        (dest / "cases" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    return dest


def _synthetic_id(k: int, count: int) -> str:
    return f"synthetic-{k + 1:0{max(4, len(str(count)))}d}"  # four digits up to 9,999 cases


class _Original:
    """A real case file, read once, and the edits that make a synthetic case of it."""

    def __init__(self, path: Path):
        self.text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(self.text)
        self.id: str = data["id"]
        self.parent: str = str(data["section"]).rsplit(".", 1)[0]
        self.update_of: str | None = data.get("update_of")
        if not _NAME.search(self.text):
            raise ValueError(f"{path.name}: expected `profile:` to start with `name:` holding `en:` and `zh:` lines")

    def derive(self, new_id: str, section: str, update_of: str | None, number: int) -> str:
        text = _replace_line(self.text, "id", new_id)
        text = _replace_line(text, "section", json.dumps(section))
        if update_of:
            text = _replace_line(text, "update_of", update_of)
        else:
            text = re.sub(r"^update_of:.*\n", "", text, flags=re.MULTILINE)

        def retitle(match: re.Match) -> str:
            en, zh = yaml.safe_load(match.group(2)), yaml.safe_load(match.group(4))
            return (f"{match.group(1)}{json.dumps(f'{en} (variant {number})', ensure_ascii=False)}\n"
                    f"{match.group(3)}{json.dumps(f'{zh}（变体 {number}）', ensure_ascii=False)}\n")

        return _NAME.sub(retitle, text, count=1)


_PROSE = re.compile(r"^(  (?:short_description|background|achievements|awards|key_success_factors|impact):\n)"
                    r"((?:    .*\n|\s*\n)+)", re.MULTILINE)
_ENGLISH_WORD = re.compile(r"(?<![\w/@.])[a-z]{4,}(?![\w/@])", re.IGNORECASE)
_CHINESE_CHAR = re.compile(r"[\u4e00-\u9fff]")


class _Vocabulary:
    """The words and characters of the real cases' prose, and a substitution of them that differs per case."""

    def __init__(self, originals: list[_Original]):
        prose = "".join(m.group(2) for o in originals for m in _PROSE.finditer(o.text))
        self.words = sorted({w.lower() for w in _ENGLISH_WORD.findall(prose)})
        self.chars = sorted(set(_CHINESE_CHAR.findall(prose)))

    def vary(self, text: str, number: int) -> str:
        """Return the case text with the words of its prose fields substituted, as case `number` does."""
        if number <= 27:  # the first round keeps the real texts
            return text

        def word(match: re.Match) -> str:
            found = match.group(0)
            new = self.words[zlib.crc32(f"{number}:{found.lower()}".encode()) % len(self.words)]
            return new.capitalize() if found[0].isupper() else new

        def char(match: re.Match) -> str:
            return self.chars[zlib.crc32(f"{number}:{match.group(0)}".encode()) % len(self.chars)]

        def block(match: re.Match) -> str:
            body = _ENGLISH_WORD.sub(word, match.group(2))
            return match.group(1) + _CHINESE_CHAR.sub(char, body)

        return _PROSE.sub(block, text)


def _replace_line(text: str, key: str, value: str) -> str:
    text, found = re.subn(rf"^{key}:.*$", lambda _: f"{key}: {value}", text, count=1, flags=re.MULTILINE)
    if not found:
        raise ValueError(f"no top-level `{key}:` line")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make a synthetic guide project of COUNT cases from the real one.")
    parser.add_argument("count", type=int, help="number of cases (1 to 99999)")
    parser.add_argument("dest", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--source", type=Path, default=ROOT, help="the real project (default: this repository)")
    args = parser.parse_args(argv)
    make_project(args.count, args.dest, args.source)
    print(f"wrote {args.count} cases into {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
