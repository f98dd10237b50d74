"""The pipeline's live run: most wanted first, then what a change touches, then the rest; only changed bytes written."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder import pipeline
from site_builder.pipeline import MIN_PARALLEL, MIN_PARALLEL_IDLE, LiveOutput, _batches, run_full
from site_builder.render import Target


def targets(bodies: dict[str, bytes], made: list[str]) -> list[Target]:
    def maker(path: str):
        def make() -> bytes:
            made.append(path)
            return bodies[path]
        return make

    return [Target("a.html", maker("a.html"), frozenset({"cases/a.yaml"})),
            Target("b.html", maker("b.html"), frozenset({"cases/"})),
            Target("c.html", maker("c.html"), frozenset({"guide/guide.yaml"})),
            Target("d.html", maker("d.html"), frozenset())]


def test_the_live_order_is_wanted_then_changed_then_the_rest(tmp_path: Path):
    bodies = {p: p.encode() for p in ("a.html", "b.html", "c.html", "d.html")}
    made: list[str] = []
    live = LiveOutput(tmp_path)
    steps: list[tuple[str, set[str]]] = []
    first = live.update(targets(bodies, made), everything=True, step=lambda name, paths: steps.append((name, paths)))
    assert first.complete and first.changed == set(bodies)

    made.clear()
    steps.clear()
    bodies["a.html"] = b"new a"
    result = live.update(targets(bodies, made), changed={"cases/a.yaml"}, wanted=["d.html"],
                         step=lambda name, paths: steps.append((name, paths)))
    assert made == ["d.html", "a.html", "b.html", "c.html"]  # wanted, then the two that read cases/a.yaml, then the rest
    assert steps == [("wanted", set()), ("stale", {"a.html"}), ("rest", set())]  # only changed bytes are written
    assert result.complete and (tmp_path / "a.html").read_bytes() == b"new a"


def test_a_newer_change_stops_the_run_and_gone_files_are_removed_after_a_complete_one(tmp_path: Path):
    bodies = {p: p.encode() for p in ("a.html", "b.html", "c.html", "d.html")}
    live = LiveOutput(tmp_path)
    live.update(targets(bodies, []), everything=True)
    made: list[str] = []
    stopped = live.update(targets(bodies, made), changed={"guide/guide.yaml"}, wanted=["a.html"],
                          superseded=lambda: len(made) >= 2)
    assert not stopped.complete and made == ["a.html", "c.html"]  # the wanted page is made whatever happens
    fewer = [t for t in targets(bodies, []) if t.path != "d.html"]
    assert live.update(fewer).complete
    assert not (tmp_path / "d.html").exists() and (tmp_path / "c.html").exists()


def test_a_full_run_writes_every_target_and_publishes_whole(tmp_path: Path):
    bodies = {f"{lang}/{n}.html": f"{lang} {n}".encode() for lang in ("en", "zh") for n in range(50)}
    output = tmp_path / "out"
    all_targets = [Target(path, (lambda body=body: body)) for path, body in bodies.items()]
    assert run_full(all_targets, output, jobs=2) == 100
    assert {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*.html")} == bodies
    assert not list(tmp_path.glob(".staging-*"))


def test_batches_keep_shared_work_together_and_cover_every_target_once():
    pages = [Target(f"{lang}/cases/c{n}/index.html", lambda: b"") for n in range(40) for lang in ("en", "zh")]
    lists = [Target(f"{lang}/keywords/k{n}/index.html", lambda: b"", share="lists") for n in range(30)
             for lang in ("en", "zh")]
    all_targets = pages + lists
    batches = _batches(all_targets, jobs=2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(all_targets)))
    where = {i: b for b, batch in enumerate(batches) for i in batch}
    assert len({where[len(pages) + i] for i in range(len(lists))}) == 1  # every list page in one batch
    for n in range(40):  # a page's two languages in one batch
        assert where[2 * n] == where[2 * n + 1]
    assert len(batches) > 2 and len(batches[0]) == max(len(b) for b in batches)  # more batches than workers


def test_a_build_written_over_the_previous_one_equals_a_fresh_one(tmp_path: Path):
    output = tmp_path / "out"
    old = {"en/a/index.html": b"a", "en/gone/index.html": b"gone", "en/b.html": b"b"}
    for _ in range(2):  # the second run's exchange keeps the first build beside the output, to be written over
        run_full([Target(p, (lambda body=body: body)) for p, body in old.items()], output, jobs=1)
    previous = tmp_path / ".previous-out"
    assert previous.is_dir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (previous / "en" / "link").symlink_to(outside, target_is_directory=True)  # never followed, removed
    (previous / "en" / "b.html").unlink()
    (previous / "en" / "b.html").mkdir()  # a folder where a file now goes
    new = {"en/a/index.html": b"a", "en/b.html": b"new b", "zh/c.html": b"c"}
    assert run_full([Target(p, (lambda body=body: body)) for p, body in new.items()], output, jobs=1) == 3
    assert {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()} == new
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_dir()) == ["en", "en/a", "zh"]
    assert list(outside.iterdir()) == [] and not list(tmp_path.glob(".staging-*"))


def test_a_file_of_the_previous_build_linked_from_elsewhere_keeps_its_bytes(tmp_path: Path):
    # A snapshot made with hard links (cp -al, rsync --link-dest) shares the files of an earlier build.
    output = tmp_path / "out"
    for _ in range(2):
        run_full([Target("index.html", lambda: b"first"), Target("same.html", lambda: b"same")], output, jobs=1)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for name in ("index.html", "same.html"):
        os.link(tmp_path / ".previous-out" / name, snapshot / name)
    run_full([Target("index.html", lambda: b"second"), Target("same.html", lambda: b"same")], output, jobs=1)
    assert (snapshot / "index.html").read_bytes() == b"first" and (output / "index.html").read_bytes() == b"second"
    assert (output / "same.html").stat().st_nlink == 1  # a file with another name is made anew, never shared


def test_a_full_run_of_many_targets_is_made_by_forked_workers(tmp_path: Path):
    count = MIN_PARALLEL + 200
    output = tmp_path / "out"
    all_targets = [Target(f"{lang}/{n}.txt", (lambda: str(os.getpid()).encode())) for lang in ("en", "zh")
                   for n in range(count // 2)]
    assert run_full(all_targets, output, jobs=2) == count
    makers = {p.read_bytes() for p in output.rglob("*.txt")}
    assert makers and str(os.getpid()).encode() not in makers  # worker processes made them, not this one


@pytest.mark.parametrize(("count", "load", "forked"), [
    (MIN_PARALLEL_IDLE - 1, 0.0, False),  # too few to pay for the fork, even on an idle machine
    (MIN_PARALLEL_IDLE, 0.0, True),  # mid-sized (the 27-case site has 525 targets): workers while a CPU is free
    (MIN_PARALLEL - 1, 1.4, True),
    (MIN_PARALLEL - 1, 1.6, False),  # both CPUs busy: one process is faster
    (MIN_PARALLEL, 8.0, True),  # large sites: workers however busy
])
def test_mid_sized_sites_fork_workers_only_while_a_cpu_is_idle(monkeypatch, count: int, load: float, forked: bool):
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(pipeline.os, "getloadavg", lambda: (load, load, load))
    assert pipeline._worth_forking(count) is forked
