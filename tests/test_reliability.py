"""Reliability and security: what an attack on the builder found, each kept as a test.

Concurrent builds, killed builds, special files, a full disk and unwritable folders,
images that escape or are not images, content that breaks an output format, and the
preview server probed from outside. Every output format is read back with a real parser.
"""
from __future__ import annotations

import csv
import errno
import html.parser
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SITE_ADDRESS
from site_builder import write
from site_builder.build import build
from site_builder.citation import bib_escape, one_line
from site_builder.cli import main
from site_builder.content import load_site
from site_builder.hosts import allowed_host, allowed_origin
from site_builder.problems import ContentError
from site_builder.render import render_site

ROOT = Path(__file__).resolve().parent.parent
CASE = "small-case"
SITE = "https://guide.example.org/"  # the feeds and the sitemap are written only for a known address
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def run_cli(args: list[str], cwd: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors_of(project: Path) -> list[str]:
    try:
        load_site(project)
    except ContentError as exc:
        return [str(p) for p in exc.problems]
    return []


# --- data loss: two builds at once, a killed build ---------------------------------------------------

@pytest.mark.parametrize("folder", [".", "cases", "docs", "..", "cases/new-folder"])
def test_an_output_folder_holding_the_project_is_refused_and_nothing_moves(project, capsys, folder):
    (project / "docs").mkdir(exist_ok=True)
    (project / "docs" / "notes.md").write_text("keep me", encoding="utf-8")
    before = sorted(p.relative_to(project.parent).as_posix() for p in project.parent.rglob("*"))
    cwd = os.getcwd()
    os.chdir(project)
    try:
        with pytest.raises(SystemExit) as exit_:
            main(["build", "--no-pdf", "-o", folder])
        assert exit_.value.code == 2
    finally:
        os.chdir(cwd)
    assert "holds the project's own files" in capsys.readouterr().err
    assert sorted(p.relative_to(project.parent).as_posix() for p in project.parent.rglob("*")) == before


def test_two_builds_into_one_output_run_one_after_the_other(project, tmp_path):
    reference = tmp_path / "reference"
    build(project, reference, pdf=False, search=True)
    output = tmp_path / "out"
    command = [sys.executable, "-m", "site_builder", "--project", str(project), "build", "--no-pdf", "-o", str(output)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)  # the first build is rendering or indexing when the second one starts
    second = subprocess.run(command, capture_output=True, text=True, timeout=180)
    first_out, first_err = first.communicate(timeout=180)
    assert first.returncode == 0 and second.returncode == 0, first_err + second.stderr
    assert files(output).keys() == files(reference).keys()  # the whole site, search index included
    assert not list(tmp_path.glob(".staging-*"))


def test_a_build_removes_only_staging_folders_whose_build_is_gone(tmp_path):
    output = tmp_path / "out"
    alive = tmp_path / f".staging-out-{os.getppid()}-abc"  # a running process: the test runner's parent
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / f".staging-out-{finished.stdout.strip()}-def"
    unknown = tmp_path / ".staging-out-xyz"  # no pid in the name: not provably abandoned
    for folder in (alive, gone, unknown):
        folder.mkdir()
        (folder / "index.html").write_text("x")
    mine = write.new_staging(output)
    assert alive.exists() and unknown.exists() and not gone.exists()
    assert mine.name.startswith(f".staging-out-{os.getpid()}-")


def test_publish_refuses_an_incomplete_staging_folder(tmp_path):
    staging = tmp_path / "staging"
    (staging / "en").mkdir(parents=True)
    (staging / "en" / "index.html").write_text("x")
    write.check_complete(staging, ["en/index.html"])
    with pytest.raises(FileNotFoundError):
        write.check_complete(staging, ["en/index.html", "zh/index.html"])


def test_a_build_that_cannot_get_the_output_gives_up_with_a_message(project, tmp_path):
    output = tmp_path / "out"
    with write.output_lock(output):
        with pytest.raises(write.OutputBusy, match="still being written by another build"):
            with write.output_lock(output, wait=0.3):
                pass


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"fc-list" not in command:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir() or shutil.which("fc-list") is None, reason="needs Linux and fontconfig")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_build_leaves_no_pdf_worker_behind(project, tmp_path, how):
    output = tmp_path / "out"
    command = [sys.executable, "-m", "site_builder", "--project", str(project), "build", "--no-search", "-o", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    workers: list[int] = []
    deadline = time.monotonic() + 90
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.02)
    assert len(workers) >= 2, "the PDF workers never started"
    time.sleep(0.5)  # into the layout
    os.kill(process.pid, how)
    # The caller's end of the output must close: a CI step waiting for it would hang otherwise.
    reader = threading.Thread(target=process.stdout.read, daemon=True)
    reader.start()
    reader.join(15)
    assert not reader.is_alive(), "the build's output stays open after it was killed"
    process.wait(15)
    deadline = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _running(w)], "PDF workers outlived the build"
    if how == signal.SIGTERM:
        assert process.returncode == 130
        assert not list(tmp_path.glob(".staging-*"))
    assert not output.exists()


# --- the environment: full disk, read-only folder, a cache owned by someone else, umask --------------

def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k none /mnt"], capture_output=True)
    return probe.returncode == 0


needs_namespace = pytest.mark.skipif(not _can_unshare(), reason="needs user namespaces to mount a small tmpfs")


def _in_namespace(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a shell script as root of a new user and mount namespace (tmpfs mounts, no real privileges)."""
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-ec", script], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def _one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, stderr
    return lines[0]


@needs_namespace
def test_a_full_disk_ends_with_one_line_and_exit_3_and_the_output_untouched(project, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    python = sys.executable
    result = _in_namespace(
        f"mount -t tmpfs -o size=2200k none {disk}\n"
        f"{python} -m site_builder --project {project} build --no-pdf --no-search -o {disk}/out >/dev/null 2>&1\n"
        f"cp -a {disk}/out {tmp_path}/before\n"
        f"head -c 700k /dev/zero > {disk}/filler\n"  # the next build's staging copy no longer fits
        f"set +e\n{python} -m site_builder --project {project} build --no-pdf --no-search -o {disk}/out\n"
        f"echo \"exit=$?\" >&2\n"
        f"echo leftovers=$(ls -a {disk} | grep -c staging) >&2\n"
        f"diff -r {tmp_path}/before {disk}/out >&2 && echo same >&2\n", project)
    assert "exit=3" in result.stderr, result.stderr
    line = _one_line_error(result.stderr)
    assert str(disk) in line and "the disk is full" in line
    assert "same" in result.stderr.splitlines()  # the previous site, byte for byte
    assert "leftovers=0" in result.stderr.splitlines()  # the failed build's staging folder is gone


def test_a_full_disk_simulated_ends_with_one_line_and_exit_3(project, tmp_path, monkeypatch, capsys):
    """Where no tmpfs can be mounted: the write fails as it does on a full disk (no file name in the error)."""
    output = tmp_path / "out"
    build(project, output, pdf=False, search=False)
    before = files(output)
    written = {"count": 0}
    real = Path.write_bytes

    def fill_up(self, data):
        written["count"] += 1
        if written["count"] > 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fill_up)
    monkeypatch.chdir(project)
    assert main(["build", "--no-pdf", "--no-search", "-o", str(output)]) == 3
    line = _one_line_error(capsys.readouterr().err)
    assert str(tmp_path) in line and "the disk is full" in line
    monkeypatch.undo()
    assert files(output) == before
    assert not list(tmp_path.glob(".staging-*"))


@needs_namespace
def test_a_read_only_output_parent_ends_with_one_line_and_exit_3(project, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    result = _in_namespace(
        f"mount -t tmpfs -o size=4m none {disk}\nmount -o remount,ro {disk}\n"
        f"set +e\n{sys.executable} -m site_builder --project {project} build --no-pdf --no-search -o {disk}/out\n"
        f"echo \"exit=$?\" >&2\n", project)
    assert "exit=3" in result.stderr, result.stderr
    line = _one_line_error(result.stderr)
    assert str(disk) in line and "Read-only file system" in line


@needs_namespace
def test_a_cache_owned_by_another_user_is_skipped_with_one_warning(project, tmp_path):
    cache = project / ".cache"
    (cache / "jinja").mkdir(parents=True)
    for folder in (cache, cache / "jinja"):
        os.chown(folder, 65534, 65534)  # outside the namespace's mapping: its root cannot write there
        os.chmod(folder, 0o755)
    output = tmp_path / "out"
    result = _in_namespace(f"{sys.executable} -m site_builder --project {project} build --no-pdf --no-search "
                           f"-o {output}", project)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "template cache" in line]
    assert len(warnings) == 1 and str(cache / "jinja") in warnings[0] and "Permission denied" in warnings[0]
    assert (output / "en" / "index.html").is_file()


def test_published_files_are_readable_whatever_the_umask(project, tmp_path):
    output = tmp_path / "out"
    result = run_cli(["build", "--no-pdf", "-o", str(output)], project, preexec_fn=lambda: os.umask(0o077))
    assert result.returncode == 0, result.stderr
    modes = {p.relative_to(output).as_posix(): p.stat().st_mode & 0o777 for p in [output, *output.rglob("*")]}
    assert {mode for path, mode in modes.items() if (output / path).is_dir() or path == "."} == {0o755}
    assert {mode for path, mode in modes.items() if (output / path).is_file()} == {0o644}
    assert any(path.startswith("search/") for path in modes)  # the search index too


def test_exit_code_3_is_documented():
    result = subprocess.run([sys.executable, "-m", "site_builder", "--help"], capture_output=True, text=True)
    assert "3 environment errors" in result.stdout
    assert "3 environment errors" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- special files -------------------------------------------------------------------------------------

def test_a_named_pipe_in_cases_is_named_not_waited_for(project):
    os.mkfifo(project / "cases" / "pipe.yaml")
    result = run_cli(["validate"], project, timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cases/pipe.yaml:1:1: this is a named pipe, not a file" in result.stderr
    build_result = run_cli(["build", "--no-pdf", "--no-search", "-o", str(project / "out")], project, timeout=30)
    assert build_result.returncode == 1 and "named pipe" in build_result.stderr


def test_the_preview_is_not_frozen_by_a_named_pipe(project):
    # In a child process: a preview frozen on the pipe could not be stopped from this one.
    script = f"""
import sys, time
from pathlib import Path
from site_builder.serve import Preview
project = Path({str(project)!r})
with Preview(project, port=0, search=False, poll=0.01) as preview:
    assert any("named pipe" in str(p) for p in preview.problems), preview.problems
    (project / "cases" / "pipe.yaml").unlink()
    deadline = time.monotonic() + 20
    while preview.problems and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not preview.problems, "a later edit was ignored"
print("recovered")
"""
    os.mkfifo(project / "cases" / "pipe.yaml")
    try:
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("the preview froze on a named pipe")
    assert result.returncode == 0 and "recovered" in result.stdout, result.stderr


# --- the content reader ----------------------------------------------------------------------------

def test_a_huge_plain_list_is_not_blamed_on_aliases(project):
    (project / "cases" / "list.yaml").write_text("items: [" + "1," * 150_000 + "1]\n", encoding="utf-8")
    problems = errors_of(project)
    assert any("the file holds more than 100,000 values" in p for p in problems), problems
    assert not any("aliases" in p for p in problems)


def test_a_file_of_repeated_keys_gets_a_capped_report(project):
    (project / "cases" / "keys.yaml").write_text("a: 1\n" * 200_000, encoding="utf-8")
    result = run_cli(["validate"], project)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("cases/keys.yaml")]
    assert len(lines) == 51 and "more problem(s) in this file" in lines[-1]
    assert len(result.stderr) < 20_000


def test_a_large_file_with_one_tab_is_refused_quickly(project):
    body = "".join(f"k{i}: value number {i}\n" for i in range(38_000)) + "z:\tx\n"
    (project / "cases" / "tab.yaml").write_text(body, encoding="utf-8")
    started = time.perf_counter()
    problems = errors_of(project)
    took = time.perf_counter() - started
    assert any("tab.yaml:38001:3:" in p and "indent with spaces, not tabs" in p for p in problems), problems[:3]
    assert took < 1, f"{took:.1f} s"  # the pure-Python reader alone took seconds on such a file


def test_a_float_date_in_a_policy_is_refused(project):
    (project / "policies").mkdir()
    policy = ROOT / "policies" / sorted(p.name for p in (ROOT / "policies").glob("*.yaml"))[0]
    text = policy.read_text(encoding="utf-8")
    date_line = next(line for line in text.splitlines() if line.startswith("date:"))
    (project / "policies" / policy.name).write_text(text.replace(date_line, "date: 2019.03"), encoding="utf-8")
    problems = errors_of(project)
    assert any("date: the date 2019.03 was read as a number" in p for p in problems), problems


def test_whatever_validate_accepts_build_renders(project, tmp_path):
    """Every number YAML can read in the date field is refused or rendered."""
    case = project / "cases" / f"{CASE}.yaml"
    original = case.read_text(encoding="utf-8")
    for value in ("2019.03", "2019.0", ".inf", "-.inf", ".nan", "2019", "0x7E3", "1e3", "0o3743", "2019-04-05",
                  "!!str 2019", "2019-04-05T10:00:00Z"):
        case.write_text(original.replace('date: "2019-04"', f"date: {value}"), encoding="utf-8")
        try:
            site, _ = load_site(project)
        except ContentError:
            continue
        render_site(site)  # raises on any value that passed validation but cannot be rendered


# --- images ---------------------------------------------------------------------------------------

def _with_image(project: Path, file: str) -> None:
    edit(project / "cases" / f"{CASE}.yaml", "contact:\n", f"image:\n  file: {json.dumps(file)}\n"
         "  alt: {en: A diagram, zh: 示意图}\ncontact:\n")


def _png(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 6), "red").save(path, format="PNG")


def test_an_image_path_through_the_project_folder_cannot_leave_the_output(tmp_path):
    project = tmp_path / "fp"
    (project / "cases").mkdir(parents=True)
    for folder in ("guide", "themes", "translations", "schema"):
        shutil.copytree(ROOT / folder, project / folder)
    shutil.copy(ROOT / "tests" / "fixtures" / "small-case.yaml", project / "cases")
    _png(project / "cases" / "images" / "ok.png")
    _with_image(project, "../fp/cases/images/ok.png")
    result = run_cli(["build", "--no-pdf", "--no-search", "-o", str(tmp_path / "out")], project)
    assert result.returncode == 1 and "'../fp/cases/images/ok.png' is not in cases/images/" in result.stderr
    assert not (tmp_path / "fp" / "fp").exists() and not (tmp_path / "out").exists()


def test_the_writer_refuses_paths_that_leave_its_folder(tmp_path):
    from site_builder.render import Output

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "link").symlink_to(tmp_path)
    for path in ("../x", "a/../../x", "/etc/x", "link/x"):
        with pytest.raises(write.UnsafePath):
            write.write_files([Output(path, b"x")], tmp_path / "in")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("file, message", [
    (".git/config", "'.git/config' is not in cases/images/"),
    ("cases/images/fake.png", "'cases/images/fake.png' is not a readable image"),
    ("cases/images/photo.jpg", "holds a PNG image under another extension"),
    ("cases/images/folder.png", "is a folder, not an image file"),
    ("cases/images/a#b.png", "the image name 'a#b.png' has characters that break web addresses"),
    ("cases/images/a?b.png", "the image name 'a?b.png' has characters that break web addresses"),
    ("cases/images/a\nb.png", "has characters that break web addresses"),
    ("cases/images/pipe.png", "is a named pipe, not an image file"),
], ids=["git-config", "text-named-png", "wrong-extension", "folder", "hash", "question-mark", "newline", "fifo"])
def test_an_image_must_be_a_real_image_in_the_images_folder(project, file, message):
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text("[core]\n")
    images = project / "cases" / "images"
    images.mkdir()
    (images / "fake.png").write_text("not an image\n")
    _png(images / "photo.jpg")
    (images / "folder.png").mkdir()
    os.mkfifo(images / "pipe.png")
    for name in ("a#b.png", "a?b.png", "a\nb.png"):
        _png(images / name)
    _with_image(project, file)
    problems = errors_of(project)
    assert any(message in p and "image.file" in p for p in problems), problems


def test_an_unreadable_image_is_reported_by_validate(project):
    secret = project / "cases" / "images" / "secret.png"
    _png(secret)
    secret.chmod(0)
    _with_image(project, "cases/images/secret.png")
    if os.geteuid() != 0:
        assert any("cannot be read (Permission denied)" in p for p in errors_of(project))
        return
    if not _can_unshare():
        pytest.skip("root reads any file, and no user namespace is available to drop that")
    os.chown(secret, 65534, 65534)  # unmapped in the namespace: its root cannot read it
    result = _in_namespace(f"set +e\n{sys.executable} -m site_builder validate\necho \"exit=$?\" >&2", project)
    assert "exit=1" in result.stderr and "Traceback" not in result.stderr
    assert "image.file: image 'cases/images/secret.png' cannot be read (Permission denied)" in result.stderr


def test_a_real_image_is_accepted_and_published(project, tmp_path):
    _png(project / "cases" / "images" / "lab-diagram_1.png")
    _with_image(project, "cases/images/lab-diagram_1.png")
    build(project, tmp_path / "out", pdf=False, search=False)
    assert (tmp_path / "out" / "cases" / "images" / "lab-diagram_1.png").is_file()


# --- output formats: every payload, read back with a real parser -------------------------------------

PAYLOADS = {
    "institution.en": '=HYPERLINK("http://evil.example","click")',
    "institution.zh": "+1+1",
    "country.en": "-2+3",
    "country.zh": "@SUM(A1)",
    "name.en": 'Lab} of {Ideas & 50% $x #1 _u \\ ~ ^ "q" <script>alert(1)</script>',
    "name.zh": "实验室}的{想法",
    "short.en": "TT & IP <i>a</i> =cmd",
}


def _payload_project(project: Path) -> Path:
    case = project / "cases" / f"{CASE}.yaml"
    text = case.read_text(encoding="utf-8")
    text = text.replace("  en: Nankai University\n  zh: 南开大学",
                        f"  en: {json.dumps(PAYLOADS['institution.en'])}\n  zh: {json.dumps(PAYLOADS['institution.zh'])}")
    text = text.replace("  en: China\n  zh: 中国",
                        f"  en: {json.dumps(PAYLOADS['country.en'])}\n  zh: {json.dumps(PAYLOADS['country.zh'])}")
    text = text.replace("    en: A small test case\n    zh: 一个小型测试案例",
                        f"    en: {json.dumps(PAYLOADS['name.en'])}\n    zh: {json.dumps(PAYLOADS['name.zh'], ensure_ascii=False)}")
    text = text.replace("  - name: Test Author", '  - name: "First\\nSecond"\n  - name: "ER  - Third"')
    text = text.replace("      A short description with a list:", f"      {PAYLOADS['short.en']}")
    case.write_text(text, encoding="utf-8")
    return project


def _outputs(project: Path) -> dict[str, bytes]:
    site, _ = load_site(project)
    return {o.path: o.body for o in render_site(site, base_url=SITE)}


class _Meta(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("content") is not None:
            self.meta[attributes.get("name") or attributes.get("property") or ""] = attributes["content"]


def test_every_output_format_reads_back_what_was_written(project):
    outputs = _outputs(_payload_project(project))

    rows = list(csv.DictReader(io.StringIO(outputs["data/cases.csv"].decode("utf-8-sig"))))
    assert all(not cell.startswith(FORMULA_START) for row in rows for cell in row.values())
    row = next(r for r in rows if r["id"] == CASE)
    assert row["institution_en"] == "'" + PAYLOADS["institution.en"] and row["country_zh"] == "'" + PAYLOADS["country.zh"]
    assert row["name_en"] == PAYLOADS["name.en"]

    data = json.loads(outputs["data/cases.json"])
    case = next(c for c in data["cases"] if c["id"] == CASE)
    assert case["institution"]["en"] == PAYLOADS["institution.en"] and case["profile"]["name"]["zh"] == PAYLOADS["name.zh"]
    assert [a["name"] for a in case["authors"]] == ["First\nSecond", "ER  - Third"]

    for code in ("en", "zh"):
        records = rispy.loads(outputs[f"{code}/cases/{CASE}/{CASE}.ris"].decode("utf-8"))
        assert len(records) == 1
        assert records[0]["authors"] == ["First Second", "ER - Third"]  # one line each, white space collapsed
        assert records[0]["title"] == PAYLOADS[f"name.{code}"]

        bib = outputs[f"{code}/cases/{CASE}/{CASE}.bib"].decode("utf-8")
        library = bibtexparser.parse_string(bib)
        assert not library.failed_blocks and len(library.entries) == 1
        fields = library.entries[0].fields_dict
        assert fields["title"].value == bib_escape(PAYLOADS[f"name.{code}"])
        assert fields["author"].value == bib_escape("First Second and ER  - Third")
        decoded = bibtexparser.parse_string(bib, append_middleware=[LatexDecodingMiddleware()]).entries[0]
        if code == "en":
            assert '& 50% $x #1 _u' in decoded.fields_dict["title"].value

        feed = ET.fromstring(outputs[f"{code}/feed.xml"])
        summaries = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}summary")]
        assert not any("&amp;" in s for s in summaries)  # escaped once: the parser gives back the text
        if code == "en":
            assert any(s.startswith("TT & IP a =cmd") for s in summaries), summaries

        meta = _Meta()
        meta.feed(outputs[f"{code}/cases/{CASE}/index.html"].decode("utf-8"))
        assert meta.meta["description"].startswith("TT & IP a =cmd") or code == "zh"
        assert meta.meta["og:description"] == meta.meta["description"]
        assert "<script>alert" not in outputs[f"{code}/cases/{CASE}/index.html"].decode("utf-8")
    ET.fromstring(outputs["sitemap.xml"])


def test_the_real_cases_show_their_ampersands_escaped_once(built_guide):
    assert SITE == SITE_ADDRESS  # the shared build has the feeds only for a known address
    for path in [built_guide / "en" / "feed.xml", *(built_guide / "en" / "cases").glob("*/index.html")]:
        assert "&amp;amp;" not in path.read_text(encoding="utf-8"), path


def test_a_control_character_escape_is_refused_not_written_into_the_feed(project):
    edit(project / "cases" / f"{CASE}.yaml", "    en: A small test case", '    en: "A small\\x01 test case"')
    assert any("control character U+0001" in p and "profile.name.en" in p for p in errors_of(project))


# Text of any kind, less what validation refuses on purpose (control characters, lone surrogates).
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
                min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_TEXT, author=_TEXT)
def test_any_text_is_refused_with_a_message_or_read_back_exactly(project, title, author):
    case = project / "cases" / f"{CASE}.yaml"
    text = (ROOT / "tests" / "fixtures" / "small-case.yaml").read_text(encoding="utf-8")
    text = text.replace("    en: A small test case", f"    en: {json.dumps(title)}")
    text = text.replace("  - name: Test Author", f"  - name: {json.dumps(author)}")
    case.write_text(text, encoding="utf-8")
    try:
        site, _ = load_site(project)
    except ContentError as exc:
        assert all(p.line >= 1 for p in exc.problems)
        return
    model = site.case(CASE)
    outputs = {o.path: o.body for o in render_site(site, base_url=SITE)}
    record = rispy.loads(outputs[f"en/cases/{CASE}/{CASE}.ris"].decode("utf-8"))
    assert len(record) == 1 and record[0]["title"] == one_line(model.profile.name.en)
    library = bibtexparser.parse_string(outputs[f"en/cases/{CASE}/{CASE}.bib"].decode("utf-8"))
    assert not library.failed_blocks and library.entries[0].fields_dict["title"].value == bib_escape(model.profile.name.en)
    data = json.loads(outputs["data/cases.json"])
    assert next(c for c in data["cases"] if c["id"] == CASE)["profile"]["name"]["en"] == model.profile.name.en
    ET.fromstring(outputs["en/feed.xml"])
    rows = list(csv.reader(io.StringIO(outputs["data/cases.csv"].decode("utf-8-sig"))))
    assert all(not cell.startswith(FORMULA_START) for row in rows for cell in row)


# --- the fuzzer ---------------------------------------------------------------------------------------

def test_the_fuzzer_finds_no_traceback():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import fuzz
    finally:
        sys.path.remove(str(ROOT / "bench"))
    report = fuzz.run(seconds=15, seed=int(os.environ.get("FUZZ_SEED", "7")), quiet=True)
    assert report.tried >= 50, report.summary()
    assert not report.tracebacks, report.summary()


# --- the preview server -----------------------------------------------------------------------------

@pytest.mark.parametrize("host, allowed", [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("LOCALHOST", True), ("[::1]:8000", True),
    ("app.localhost:8000", True), ("10.1.2.3:8000", True), ("evil.example:8000", False),
    ("127.0.0.1.nip.io", False), ("localhost.evil.example", False), ("", False), (None, False),
])
def test_only_local_host_names_are_answered(host, allowed):
    assert allowed_host(host, "127.0.0.1") is allowed


def test_the_configured_host_and_origins():
    assert allowed_host("preview.lan:8000", "preview.lan") and not allowed_host("preview.lan", "127.0.0.1")
    assert allowed_origin("http://localhost:8000", "127.0.0.1") and allowed_origin(None, "127.0.0.1")
    assert not allowed_origin("http://evil.example:8000", "127.0.0.1") and not allowed_origin("null", "127.0.0.1")


def _raw_request(url: str, path: str, host: str, extra: str = "") -> bytes:
    address = urllib.request.urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        close = "" if "Connection:" in extra else "Connection: close\r\n"
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}{close}\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
    return received  # the status line and headers are what the tests look at


def test_the_preview_refuses_rebound_names_and_nul_paths(project, capfd):
    from site_builder.serve import Preview

    with Preview(project, port=0, search=False, poll=0.01) as preview:
        port = preview.address[1]
        assert _raw_request(preview.url, "/en/", f"127.0.0.1:{port}").startswith(b"HTTP/1.1 200")
        assert _raw_request(preview.url, "/en/", f"localhost:{port}").startswith(b"HTTP/1.1 200")
        assert _raw_request(preview.url, "/en/", f"evil.example:{port}").startswith(b"HTTP/1.1 403")
        assert _raw_request(preview.url, "/livereload.js", f"evil.example:{port}").startswith(b"HTTP/1.1 403")
        websocket = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
        # DNS rebinding: Host and Origin agree, both name the attacker's site.
        rebound = _raw_request(preview.url, "/livereload", f"evil.example:{port}",
                               websocket + f"Origin: http://evil.example:{port}\r\n")
        assert not rebound.startswith(b"HTTP/1.1 101")
        foreign = _raw_request(preview.url, "/livereload", f"127.0.0.1:{port}", websocket + "Origin: http://evil.example\r\n")
        assert not foreign.startswith(b"HTTP/1.1 101")
        local = _raw_request(preview.url, "/livereload", f"127.0.0.1:{port}",
                             websocket + f"Origin: http://127.0.0.1:{port}\r\n")
        assert local.startswith(b"HTTP/1.1 101")
        assert _raw_request(preview.url, "/etc/passwd%00.html", f"127.0.0.1:{port}").startswith(b"HTTP/1.1 400")
    assert "Traceback" not in capfd.readouterr().err
