"""Make a synthetic guide project of any size from the real one, for the benchmarks.

The project gets the real guide data, theme, translations and schema, and `count`
case files derived from the real cases: they are taken in turn (case 28 is the
first one again), each with a new id `synthetic-NNNN`, the next free section
number inside its partner's section of the guide (3.2.1, 3.2.2, … 3.2.140, …)
and a title that names its number, so that no two pages are the same. Both
languages are copied, so the project validates like the real one. `update_of`
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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("guide", "themes", "translations", "schema", "policies")  # policies only where the project has them
_NAME = re.compile(r"^(profile:\n  name:\n    en: )(.*)\n(    zh: )(.*)\n", re.MULTILINE)


def make_project(count: int, dest: Path, source: Path = ROOT) -> Path:
    """Write a project of `count` synthetic cases into `dest` (which must not exist); return it."""
    if not 1 <= count <= 9999:
        raise ValueError("count must be from 1 to 9999")
    dest.mkdir(parents=True)
    for folder in COPIED:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
    (dest / "cases").mkdir()
    if (source / "cases" / "images").is_dir():
        shutil.copytree(source / "cases" / "images", dest / "cases" / "images")
    originals = [_Original(path) for path in sorted((source / "cases").glob("*.yaml"))]
    position = {o.id: i for i, o in enumerate(originals)}
    used: dict[str, int] = {}  # partner section → last number given
    for k in range(count):
        original = originals[k % len(originals)]
        new_id = _synthetic_id(k)
        used[original.parent] = used.get(original.parent, 0) + 1
        update_of = None
        if original.update_of in position:  # the copy of its target made in the same round
            target = k - k % len(originals) + position[original.update_of]
            update_of = _synthetic_id(target) if target < count else None
        text = original.derive(new_id, f"{original.parent}.{used[original.parent]}", update_of, k + 1)
        (dest / "cases" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    return dest


def _synthetic_id(k: int) -> str:
    return f"synthetic-{k + 1:04d}"


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


def _replace_line(text: str, key: str, value: str) -> str:
    text, found = re.subn(rf"^{key}:.*$", lambda _: f"{key}: {value}", text, count=1, flags=re.MULTILINE)
    if not found:
        raise ValueError(f"no top-level `{key}:` line")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make a synthetic guide project of COUNT cases from the real one.")
    parser.add_argument("count", type=int, help="number of cases (1 to 9999)")
    parser.add_argument("dest", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--source", type=Path, default=ROOT, help="the real project (default: this repository)")
    args = parser.parse_args(argv)
    make_project(args.count, args.dest, args.source)
    print(f"wrote {args.count} cases into {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
