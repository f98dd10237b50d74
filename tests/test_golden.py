"""Golden output: the small fixture project's website in each language, byte for byte.

The expected files live in tests/golden/<language>/. After an intended change to
the templates, the renderer or the fixture project, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

and review the diff of tests/golden/ together with the change.
"""
from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from site_builder.languages import LANGUAGES

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def fixture_site(built_small_project) -> Path:
    """The small project's website, built once for the run (conftest.built_small_project)."""
    return built_small_project


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def first_difference(name: str, expected: bytes, actual: bytes) -> str:
    diff = difflib.unified_diff(expected.decode("utf-8", "replace").splitlines(),
                                actual.decode("utf-8", "replace").splitlines(),
                                f"golden/{name}", f"built/{name}", lineterm="", n=1)
    return "\n".join(list(diff)[:30])


@pytest.mark.parametrize("code", [lang.code for lang in LANGUAGES])
def test_the_fixture_site_equals_its_golden_output(fixture_site, code):
    built, golden = fixture_site / code, GOLDEN / code
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(built, golden)
    expected, actual = files(golden), files(built)
    assert expected, f"no golden output in {golden}; run UPDATE_GOLDEN=1 .venv/bin/python -m pytest {__file__}"
    assert sorted(actual.keys() - expected.keys()) == [], "new files: regenerate the golden output if intended"
    assert sorted(expected.keys() - actual.keys()) == [], "files gone: regenerate the golden output if intended"
    changed = [name for name in expected if expected[name] != actual[name]]
    assert not changed, (f"{len(changed)} file(s) differ from tests/golden/{code}/ (UPDATE_GOLDEN=1 to accept):\n"
                         + first_difference(f"{code}/{changed[0]}", expected[changed[0]], actual[changed[0]]))
