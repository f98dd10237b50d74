"""The one pipeline: the ordered list of files a site is made of, run whole by `build` or live by `serve`.

A target (render.Target) is one output file: where it goes, how to make its
bytes, and which project paths it reads. `render.site_targets` lists every
target of a loaded Site, in the order a full build writes them. Two runners
use that list:

- `write_targets` makes every target into a folder (the full build's staging
  folder, then published whole by write.py);
- `LiveOutput.update` keeps a folder up to date while sources change: the pages
  open in browsers first, then the targets that read a changed path (the
  watcher's own list), then the rest; it writes only files whose bytes changed,
  and stops as soon as a newer change arrives.

The rest is always made again in a live run: that is what keeps the preview
equal to a full build whatever a template reads; the sources only decide what
comes first.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .render import Output, Target
from .write import check_complete, new_staging, output_lock, prune, publish, remove_file, replace_file, write_files

log = logging.getLogger(__name__)


# --- running the targets whole -------------------------------------------------------------

def write_targets(targets: Iterable[Target], folder: Path) -> int:
    """Make every target into `folder`; return how many files."""
    return write_files((Output(target.path, target.make()) for target in targets), folder)


def run_full(targets: Sequence[Target], output: Path, *, jobs: int | None = None) -> int:
    """Make every target into a staging folder, then publish it in place of `output`; return the files made.

    Nothing touches `output` until every file is made and there; a failure leaves the
    previous build whole. A second build into the same folder waits for this one. `jobs`
    processes make the targets (default: one per CPU; see `write_in_parallel`).
    """
    with output_lock(output):
        staging = new_staging(output)
        try:
            prune(staging, (t.path for t in targets))  # a previous build written over: what it had that this has not
            count = write_in_parallel(targets, staging, jobs=jobs)
            check_complete(staging, (t.path for t in targets))
            publish(staging, output)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return count


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this worker process end when the build that started it ends, however it ends.

    Linux sends the signal set with prctl(PR_SET_PDEATHSIG) when the parent dies, even of
    SIGKILL; without it a killed build left its workers running for good, holding its
    standard output open. Elsewhere the workers still end when their pool is shut down.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


_SHARED: Sequence[Target] = ()  # the targets a forked worker inherits (never pickled: they hold closures)
BATCHES_PER_WORKER = 32  # small enough that the workers end together, large enough that handing them out costs little
# From this many targets (or texts, in map_in_parallel) forked workers are faster however busy the machine.
# Between MIN_PARALLEL_IDLE and MIN_PARALLEL targets (write_in_parallel only) they are faster only while another CPU is idle: the 27-case site
# (525 targets) built in one process took 0.84 × the wall time of two workers on the two-core development
# machine under a load of 8, and 1.13 × it under a load of 0.7 (paired whole-process runs).
MIN_PARALLEL = 1000
MIN_PARALLEL_IDLE = 200


def _worth_forking(count: int) -> bool:
    """Return whether `count` targets are made faster by worker processes than here, on this machine now."""
    if count >= MIN_PARALLEL:
        return True
    if count < MIN_PARALLEL_IDLE:
        return False
    try:  # the last minute's load: with half a CPU idle on average, a second worker gains more than it costs
        return (os.cpu_count() or 1) - os.getloadavg()[0] >= 0.5
    except OSError:  # no load average on this system
        return False


def write_in_parallel(targets: Sequence[Target], folder: Path, *, jobs: int | None = None) -> int:
    """Make every target into `folder`, in batches handed to worker processes as they come free (see `_batches`).

    The site is loaded, checked and listed once, in this process; forked workers
    inherit it, and each makes and writes one batch after another. A worker takes the
    next batch when it has finished its last, so the work is shared by what it costs,
    not by how many files it is. Where forking is not safe (other threads run), there
    is one CPU or too few targets to gain (see `_worth_forking`), all is made here.
    """
    jobs = min(jobs or os.cpu_count() or 1, 8)
    batches = _batches(targets, jobs)
    if jobs <= 1 or len(batches) <= 1 or not _worth_forking(len(targets)) \
            or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return write_targets(targets, folder)
    global _SHARED
    _SHARED = targets
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            return sum(pool.map(_write_batch, batches, [folder] * len(batches)))
    finally:
        _SHARED = ()


def _batches(targets: Sequence[Target], jobs: int) -> list[list[int]]:
    """Split the targets' indices into batches, the largest first, about BATCHES_PER_WORKER per worker.

    Targets with the same `share` key, or else differing only in their top folder (the same
    page in each language), go to the same batch, one after the other: they show the same
    texts, so the worker converts a text once and finds it in its cache for the others.
    """
    units: dict[str, list[int]] = {}
    for i, target in enumerate(targets):
        parts = target.path.split("/")
        key = target.share or ("/".join(parts[1:3]) if len(parts) > 1 else target.path)
        units.setdefault(key, []).append(i)
    size = max(1, len(targets) // (jobs * BATCHES_PER_WORKER))
    batches: list[list[int]] = []
    current: list[int] = []
    for indices in units.values():
        if len(indices) >= size:
            batches.append(indices)
            continue
        current.extend(indices)
        if len(current) >= size:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return sorted(batches, key=len, reverse=True)


def _write_batch(indices: list[int], folder: Path) -> int:
    return write_targets([_SHARED[i] for i in indices], folder)


def map_in_parallel(function: Callable[[str], str], items: Sequence[str], *, jobs: int | None = None) -> list[str]:
    """Return [function(item) for item in items], computed by forked worker processes in chunks.

    For pure functions of a text whose results the caller keeps (see build.convert_texts);
    computed here where forking is not safe or there is one CPU.
    """
    jobs = min(jobs or os.cpu_count() or 1, 8)
    if jobs <= 1 or len(items) < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods() \
            or threading.active_count() > 1:
        return [function(item) for item in items]
    chunk = max(1, len(items) // (jobs * BATCHES_PER_WORKER))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(function, items, chunksize=chunk))


# --- running the targets live --------------------------------------------------------------

@dataclasses.dataclass
class Pass:
    """What one live run did."""

    complete: bool = False  # every target was made (the run was not superseded)
    changed: set[str] = dataclasses.field(default_factory=set)  # files written or removed


class LiveOutput:
    """A folder kept equal to a full build's output by `update()`, writing only what changed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._written: dict[str, bytes] = {}  # path under the folder → digest of the bytes written there

    def update(self, targets: Sequence[Target], *, changed: Iterable[str] = (), wanted: Iterable[str] = (),
               step: Callable[[str, set[str]], None] = lambda name, paths: None,
               superseded: Callable[[], bool] = lambda: False, everything: bool = False) -> Pass:
        """Make the targets, most wanted first, and write those whose bytes changed.

        Order: the `wanted` output paths (pages open in browsers), then the targets
        that read one of the `changed` project paths (all of them when `everything`),
        then the rest. `step(name, paths)` hears after each of those steps which
        files it wrote. All but the wanted pages stop early when `superseded()` says a
        newer change waits; files no target makes any more are removed after a
        complete run.
        """
        result = Pass()
        by_path = {target.path: target for target in targets}
        first = [by_path.pop(path) for path in dict.fromkeys(wanted) if path in by_path]
        changed = set(changed)
        stale = [t for t in by_path.values() if everything or t.reads(changed)]
        for target in stale:
            del by_path[target.path]
        rest = list(by_path.values())

        def run(name: str, batch: list[Target], stoppable: bool) -> bool:
            written: set[str] = set()
            for target in batch:
                if stoppable and superseded():
                    step(name, written)
                    result.changed |= written
                    return False
                body = target.make()
                digest = hashlib.blake2b(body, digest_size=16).digest()
                if self._written.get(target.path) != digest:
                    replace_file(self.folder, target.path, body)
                    self._written[target.path] = digest
                    written.add(target.path)
            result.changed |= written
            step(name, written)
            return True

        run("wanted", first, False)
        result.complete = run("stale", stale, True) and run("rest", rest, True)
        if result.complete:
            made = {target.path for target in targets}
            gone = set(self._written) - made
            for path in sorted(gone):
                remove_file(self.folder, path)
                del self._written[path]
            if gone:
                result.changed |= gone
                step("removed", gone)
        return result
