"""Measure the live preview's latency: from saving a case file to the browser's page showing the change.

    .venv/bin/python bench/serve.py [--runs 15] [--case ua-emprende] [--no-search]

Copies the project into a temporary folder (the real cases/ are never touched),
starts `python -m site_builder serve` on it as a separate process, and connects
to it the way the browser's LiveReload client does (websocket, hello, info with
the page's URL). Each run puts a new word at the start of the case's English short
description, saves the file, waits for the reload message, fetches the page
and stops the clock when the page shows the word (it fetches again on each
reload, and every 100 ms in case a reload came too early). Between
runs it waits until the server has rebuilt the whole site.

Prints each run, the median and its ratio to the 100 ms target.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
FOLDERS = ("cases", "guide", "policies", "themes", "translations", "schema")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(into: Path) -> Path:
    root = into / "project"
    for folder in FOLDERS:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    return root


class ServerLog:
    """Read the server's messages and count the passes that checked the whole site."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.complete = 0
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.lines.append(line.rstrip())
            if " file(s) updated in " in line or line.startswith("built "):
                self.complete += 1

    async def wait_complete(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.complete < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.complete >= count


def edit(path: Path, word: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"(short_description:\n\s+en: [|>]-?\n\s+)", rf"\g<1>{word} ", text, count=1)
    if not count:
        raise SystemExit(f"{path.name}: no `short_description: en: |` block to edit")
    path.write_text(new, encoding="utf-8")


async def run(args: argparse.Namespace) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = copy_project(Path(tmp))
        case_file = root / "cases" / f"{args.case}.yaml"
        port = free_port()
        command = [sys.executable, "-m", "site_builder", "--project", str(root), "serve", "--port", str(port)]
        if args.no_search:
            command.append("--no-search")
        process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        log = ServerLog(process)
        http = AsyncHTTPClient()
        base = f"http://127.0.0.1:{port}"
        page = f"{base}/en/cases/{args.case}/"
        try:
            if not await log.wait_complete(1, 120):
                raise SystemExit("the server did not start:\n" + "\n".join(log.lines))
            for _ in range(200):  # the first build is done; wait for the socket
                try:
                    await http.fetch(page)
                    break
                except (OSError, Exception):
                    await asyncio.sleep(0.05)
            socket_ = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
            await socket_.write_message(json.dumps({"command": "hello", "protocols": [
                "http://livereload.com/protocols/official-7"]}))
            await socket_.read_message()
            await socket_.write_message(json.dumps({"command": "info", "plugins": {}, "url": page}))
            await asyncio.sleep(0.2)
            times = []
            for i in range(args.runs):
                word = f"benchword{i}x{int(time.time() * 1000) % 100000}"
                done = log.complete
                started = time.perf_counter()
                edit(case_file, word)
                elapsed = await until_shown(socket_, http, page, word, started)
                times.append(elapsed)
                print(f"run {i + 1:2d}: {elapsed:6.0f} ms", flush=True)
                if not await log.wait_complete(done + 1, 60):
                    print("  (the whole-site pass did not finish within 60 s)")
                await asyncio.sleep(args.pause)
            socket_.close()
            return times
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def until_shown(socket_, http, page: str, word: str, started: float) -> float:
    deadline = started + 30
    while time.perf_counter() < deadline:
        try:  # like a browser: fetch on reload; fetch anyway now and then in case a reload came early
            await asyncio.wait_for(socket_.read_message(), timeout=0.1)
        except asyncio.TimeoutError:
            pass
        body = (await http.fetch(page, raise_error=False)).body or b""
        if word.encode() in body:
            return (time.perf_counter() - started) * 1000
    raise SystemExit(f"the page never showed the edit ({word})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--case", default="ua-emprende", help="id of the case to edit")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between runs, after the whole site is checked")
    parser.add_argument("--no-search", action="store_true", help="serve without the search index")
    args = parser.parse_args()
    times = asyncio.run(run(args))
    median = statistics.median(times)
    print(f"median {median:.0f} ms over {len(times)} runs (min {min(times):.0f}, max {max(times):.0f}); "
          f"{median / TARGET_MS:.2f} × the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
