"""Safe, reproducible builds: a killed build leaves the previous output whole; two builds give the same bytes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from site_builder.build import build

ROOT = Path(__file__).resolve().parent.parent
CASE = "ju-proof-of-concept-grants"
OLD = "Since 2015, Centre for Technology Transfer CITTRU"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _has_files(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except FileNotFoundError:
        return False


def test_a_build_killed_midway_leaves_the_previous_output_intact(project, tmp_path):
    output = tmp_path / "out"
    build(project, output, pdf=False, search=False)
    before = files(output)
    case = project / "cases" / f"{CASE}.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(OLD, "Edited: " + OLD), encoding="utf-8")

    # The search index is written into the staging folder too.
    command = [sys.executable, "-m", "site_builder", "--project", str(project), "build", "--no-pdf", "--output", str(output)]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staging = []
    try:
        deadline = time.monotonic() + 60
        while not staging and process.poll() is None and time.monotonic() < deadline:
            staging = [p for p in tmp_path.glob(".staging-out-*") if _has_files(p)]
            time.sleep(0.002)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # it had already ended
            pass
        process.wait()
    assert staging, "the build never wrote into a staging folder: " + process.stderr.read().decode()
    assert staging[0].exists(), "the build finished before it was killed; the test proves nothing"

    assert files(output) == before  # every file there, none changed, none added
    build(project, output, pdf=False, search=False)  # the next build clears the leftovers and publishes
    assert "Edited: " + OLD in (output / "en" / "cases" / CASE / "index.html").read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".staging-*"))


def test_two_builds_are_byte_identical(project, tmp_path):
    build(project, tmp_path / "one", pdf=False, search=True)
    time.sleep(1.1)  # a date or time taken from the clock would differ
    build(project, tmp_path / "two", pdf=False, search=True)
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert {"search/en.json", "search/zh.json"} <= one.keys()  # the search index is compared too
    assert one.keys() == two.keys()
    assert [path for path in one if one[path] != two[path]] == []
