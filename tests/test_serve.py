"""The live preview: an edit rebuilds what it changes and reloads the browser; errors show and recover; loopback only."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tornado.websocket import websocket_connect

from conftest import fetch as fetch_page
from site_builder.build import build
from site_builder.cli import _parser
from site_builder.serve import Preview

CASE = "ju-proof-of-concept-grants"
PAGE = f"en/cases/{CASE}/"
OLD = "Since 2015, Centre for Technology Transfer CITTRU"


@pytest.fixture
def preview(project: Path):
    """A running preview of the small project (no search index, to stay fast); checks that it stops cleanly."""
    with Preview(project, port=0, search=False, poll=0.01) as running:
        yield running
    assert not [t for t in threading.enumerate() if t.name.startswith("preview-")], "a preview thread is still running"
    assert not running.output.exists(), "the preview's private folder was not removed"


def fetch(url: str) -> tuple[int, str]:
    return fetch_page(url, timeout=10)


async def browser(preview: Preview, page: str | None = PAGE):
    """Connect the way livereload.js does: hello, then info with the page's URL."""
    ws = await websocket_connect(preview.url.replace("http://", "ws://") + "livereload")
    await ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    hello = json.loads(await asyncio.wait_for(ws.read_message(), 5))
    assert hello["command"] == "hello" and "http://livereload.com/protocols/official-7" in hello["protocols"]
    if page is not None:
        await ws.write_message(json.dumps({"command": "info", "plugins": {}, "url": preview.url + page}))
        await until(lambda: page + "index.html" in preview.open_pages)
    return ws


async def next_reload(ws, timeout: float = 10) -> dict:
    while True:
        message = await asyncio.wait_for(ws.read_message(), timeout)
        assert message is not None, "the server closed the websocket"
        data = json.loads(message)
        if data["command"] == "reload":
            return data


async def until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_edit_rebuilds_the_page_and_reloads_the_browser(preview, project, tmp_path):
    async def scenario():
        ws = await browser(preview)
        status, page = fetch(preview.url + PAGE)
        assert status == 200 and OLD in page and '<script src="/livereload.js"></script></head>' in page
        edit(project / "cases" / f"{CASE}.yaml", OLD, "Since 2015, the edited centre CITTRU")
        reload = await next_reload(ws)
        assert reload["path"] == f"/{PAGE}index.html"
        status, page = fetch(preview.url + PAGE)
        assert status == 200 and "the edited centre CITTRU" in page and OLD not in page
        await until(lambda: preview.idle)
        ws.close()

    asyncio.run(scenario())
    # Once the whole site is checked, the preview holds exactly what a full build of the edited project gives.
    build(project, tmp_path / "full", pdf=False, search=False)
    assert files(preview.output) == files(tmp_path / "full")


def test_a_removed_case_loses_its_pages(preview, project, tmp_path):
    async def scenario():
        ws = await browser(preview, "en/cases/small-case/")
        (project / "cases" / "small-case.yaml").unlink()
        assert (await next_reload(ws))["path"] == "/en/cases/small-case/index.html"
        assert fetch(preview.url + "en/cases/small-case/")[0] == 404
        await until(lambda: preview.idle)
        ws.close()

    asyncio.run(scenario())
    build(project, tmp_path / "full", pdf=False, search=False)
    assert files(preview.output) == files(tmp_path / "full")


def test_a_bad_edit_shows_the_error_page_and_a_fix_recovers(preview, project, capfd):
    case = project / "cases" / f"{CASE}.yaml"
    good = case.read_text(encoding="utf-8")
    on_disk = preview.output / PAGE / "index.html"
    last_good = on_disk.read_bytes()

    async def scenario():
        ws = await browser(preview)
        case.write_text(good.replace("profile:\n", "<script>alert(1)</script>: x\nprofile:\n", 1), encoding="utf-8")
        await next_reload(ws)
        status, page = fetch(preview.url + PAGE)
        assert status == 500
        assert f"cases/{CASE}.yaml:" in page and "unknown field &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in page
        assert "<script>alert" not in page
        assert '<script src="/livereload.js"></script></head>' in page  # so that the fix reloads it
        assert '<html lang="en">' in page
        status, page = fetch(preview.url + PAGE.replace("en/", "zh/", 1))  # a Chinese page: the same, in Chinese
        assert status == 500 and '<html lang="zh-CN">' in page and "预览不是最新的" in page
        assert "没有“&lt;script&gt;alert(1)&lt;/script&gt;”这个字段" in page
        assert on_disk.read_bytes() == last_good  # the last good page stays
        assert fetch(preview.url + "static/site.css")[0] == 200  # assets are still served

        case.write_text(good.replace(OLD, "Fixed: " + OLD, 1), encoding="utf-8")
        await next_reload(ws)
        status, page = fetch(preview.url + PAGE)
        assert status == 200 and "Fixed: " + OLD in page
        ws.close()

    asyncio.run(scenario())
    printed = capfd.readouterr().err
    assert f"cases/{CASE}.yaml:" in printed and "unknown field '<script>alert(1)</script>'" in printed


def test_a_template_error_is_located_and_recovers(preview, project):
    template = project / "themes" / "default" / "templates" / "case.html"
    good = template.read_text(encoding="utf-8")

    async def scenario():
        ws = await browser(preview)
        template.write_text(good + "\n{% if %}\n", encoding="utf-8")
        await next_reload(ws)
        status, page = fetch(preview.url + PAGE)
        assert status == 500 and "themes/default/templates/case.html:" in page
        template.write_text(good, encoding="utf-8")
        await next_reload(ws)
        assert fetch(preview.url + PAGE)[0] == 200
        ws.close()

    asyncio.run(scenario())


def test_a_stylesheet_edit_is_swapped_in_place(preview, project):
    async def scenario():
        ws = await browser(preview)
        with (project / "themes" / "default" / "static" / "site.css").open("a", encoding="utf-8") as css:
            css.write("\n.preview-test { color: red }\n")
        reload = await next_reload(ws)
        assert reload["path"] == "/static/site.css" and reload["liveCSS"] is True
        assert ".preview-test" in fetch(preview.url + "static/site.css")[1]
        ws.close()

    asyncio.run(scenario())


def test_it_listens_on_loopback_only_by_default(preview):
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"
    host, port = preview.address
    assert host == "127.0.0.1"
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the control: it does listen
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no network address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((other, port), timeout=2).close()


def test_the_search_index_is_built_in_the_background(project):
    with Preview(project, port=0, search=True, poll=0.01) as running:
        deadline = time.monotonic() + 30
        while not (running.output / "search" / "zh.json").exists():
            assert time.monotonic() < deadline, "no search index"
            time.sleep(0.05)
        status, body = fetch(running.url + "search/zh.json")
        assert status == 200 and "cases/ju-proof-of-concept-grants/" in json.loads(body)["documentIds"].values()
    assert not [t for t in threading.enumerate() if t.name.startswith("preview-")]


def test_the_command_serves_until_stopped(project, tmp_path):
    command = [sys.executable, "-m", "site_builder", "--project", str(project), "serve", "--port", "0", "--no-search"]
    temporary = tmp_path / "tmp"  # where the preview keeps its private folder
    temporary.mkdir()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(temporary)})
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        url = next(re.search(r"serving (http://\S+/)en/", line) for line in process.stderr if "serving" in line).group(1)
        assert url.startswith("http://127.0.0.1:")
        status, page = fetch(url + PAGE)
        assert status == 200 and OLD in page
        assert [p.name for p in temporary.iterdir()][0].startswith("site-builder-preview-")
        process.send_signal(signal.SIGTERM)  # stops as cleanly as Ctrl+C
        assert process.wait(30) == 0
        assert list(temporary.iterdir()) == []
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def _other_address() -> str | None:
    """Return an address of this machine that is not loopback (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address
