"""Write a finished build into place. The only module that touches the output folder.

A build is written into a staging folder next to the output folder and then
swapped in with one atomic rename, so a failed, interrupted or killed build
never leaves the output folder half-written or empty.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .messages import _

log = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"
PREVIOUS_PREFIX = ".previous-"  # the build before the published one, written over by the next (see new_staging)
LOCK_PREFIX = ".lock-"
LOCK_WAIT_SECONDS = 600.0  # a full build with PDFs takes well under a minute
_RENAME_EXCHANGE = 2
FILE_MODE, FOLDER_MODE = 0o644, 0o755  # a published site is read by a web server running as another user


class OutputBusy(Exception):
    """Another build held the output folder for longer than we were willing to wait."""


class UnsafePath(Exception):
    """An output path would leave the folder it is written into."""


@contextlib.contextmanager
def output_lock(output: Path, *, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold an advisory lock on `output` so that builds into one folder run one after the other.

    The lock is a file beside the output folder (it must outlive the folder's swap);
    the kernel releases it when its holder ends, however it ends.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    path = output.parent / f"{LOCK_PREFIX}{output.name}"
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    log.warning("%s", _("another build (%(holder)s) is writing into %(folder)s; waiting for it to finish",
                                        holder=holder, folder=str(output)).render())
                    told = True
                if time.monotonic() >= deadline:
                    raise OutputBusy(_("%(folder)s is still being written by another build after %(seconds)d s",
                                       folder=str(output), seconds=round(wait)).render()) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_staging(output: Path) -> Path:
    """Return a fresh staging folder beside `output`, clearing leftovers of builds that are gone.

    The folder's name carries the pid of its build, so that a build only ever removes its
    own staging folder or one whose process no longer exists.

    The build before the published one, kept by `publish`, becomes the new staging folder
    when there is one: writing over it (see `prune` and `write_files`, which leaves files
    whose bytes are already right alone) makes and removes far fewer files than making a
    folder from nothing and deleting the old build, which was most of a small build's time.
    Every target is still made and checked; only the writes of equal bytes are saved.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    for leftover in output.parent.glob(f"{STAGING_PREFIX}{output.name}-*"):
        if not staging_owner_alive(leftover, output):
            shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{output.name}-{os.getpid()}-", dir=output.parent))
    previous = output.parent / f"{PREVIOUS_PREFIX}{output.name}"
    if previous.is_dir() and not previous.is_symlink():
        try:
            os.rename(previous, staging)  # onto the empty folder: it takes the pid-named place, atomically
        except OSError as error:
            log.debug("previous build not reused: %s", error)
    return staging


def prune(folder: Path, paths: Iterable[str]) -> None:
    """Remove from `folder` everything but the files at `paths` and the folders that hold them (links included)."""
    keep = set(paths)
    parents = {parent for path in keep for parent in Path(path).parents}
    for parent, folders, files in os.walk(folder):
        here = Path(parent).relative_to(folder)
        for name in folders[:]:
            if (here / name) not in parents or os.path.islink(os.path.join(parent, name)):
                folders.remove(name)
                entry = os.path.join(parent, name)
                if os.path.islink(entry):
                    os.unlink(entry)
                else:
                    shutil.rmtree(entry)
        for name in files:
            if (here / name).as_posix() not in keep or os.path.islink(os.path.join(parent, name)):
                os.unlink(os.path.join(parent, name))


def staging_owner_alive(folder: Path, output: Path) -> bool:
    """Return whether the build that made staging folder `folder` may still be running.

    Only a folder that names its pid, and whose pid no longer exists, is provably abandoned.
    """
    rest = folder.name.removeprefix(f"{STAGING_PREFIX}{output.name}-")
    pid = rest.split("-", 1)[0]
    if not pid.isdigit():
        return True  # made by an older version, or not ours: leave it alone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def safe_target(folder: Path, path: str, resolved: Path | None = None) -> Path:
    """Return `folder / path`, refusing any path that would lead out of `folder` (`resolved`: folder.resolve())."""
    relative = Path(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise UnsafePath(_("refusing to write %(path)r: it leads out of %(folder)s", path=path, folder=str(folder)).render())
    target = folder / relative
    if not target.resolve().is_relative_to(resolved or folder.resolve()):  # through a symbolic link
        raise UnsafePath(_("refusing to write %(path)r: it leads out of %(folder)s", path=path, folder=str(folder)).render())
    return target


def write_files(outputs: Iterable, folder: Path) -> int:
    """Write (path, bytes) outputs under `folder`; return how many."""
    count = 0
    resolved = folder.resolve()  # once, not per file: a build writes thousands
    made: set[Path] = set()  # the folders made so far
    for output in outputs:
        target = safe_target(folder, output.path, resolved)
        try:
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if not _holds(target, output.body):  # a staging folder written over (see new_staging)
                # A new file, never a write into the one there: it may be hard-linked from elsewhere (a
                # `cp -al` snapshot of an earlier site, say), which must keep its bytes.
                target.unlink(missing_ok=True)
                target.write_bytes(output.body)
        except OSError as exc:
            raise located(exc, target) from exc
        count += 1
    return count


def _holds(path: Path, body: bytes) -> bool:
    """Return whether the file at `path` is this build's own to keep and holds exactly `body`.

    Only a plain file of this user with no other name is kept: a link, or a file also linked
    from outside the folder or owned by someone else, is made anew.
    """
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_uid != os.geteuid() \
                or info.st_size != len(body):
            return False
        return path.read_bytes() == body
    except OSError:  # missing, or not readable
        return False


def located(exc: OSError, path: Path) -> OSError:
    """Return `exc` with the path it concerns (a failed write, e.g. on a full disk, names none)."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(path))


def check_complete(staging: Path, paths: Iterable[str]) -> None:
    """Raise OSError unless every expected file is in `staging` (a folder removed under a build is caught here)."""
    for path in paths:
        if not (staging / path).is_file():
            raise FileNotFoundError(errno.ENOENT, _("the finished build is incomplete (a file is missing); "
                                                    "nothing was published").render(), str(staging / path))


def make_readable(folder: Path) -> None:
    """Give every file and folder under `folder` the modes a web server needs, whatever the umask."""
    os.chmod(folder, FOLDER_MODE)
    for parent, folders, files in os.walk(folder):
        for name, mode in [(n, FOLDER_MODE) for n in folders] + [(n, FILE_MODE) for n in files]:
            path = os.path.join(parent, name)
            if not stat.S_ISLNK(os.lstat(path).st_mode):  # never follow a link out of the folder
                os.chmod(path, mode)


def replace_file(folder: Path, path: str, body: bytes) -> None:
    """Write one file under `folder` so that a reader sees either the old bytes or the new, never a part."""
    target = safe_target(folder, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{STAGING_PREFIX}{target.name}.{os.getpid()}.part")  # per process: two may write
    try:
        temporary.write_bytes(body)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise located(exc, target) from exc


def remove_file(folder: Path, path: str) -> None:
    """Remove one file under `folder`, and its folders left empty, up to `folder`."""
    target = folder / path
    target.unlink(missing_ok=True)
    for parent in target.parents:
        if parent == folder or not parent.is_relative_to(folder):
            break
        try:
            parent.rmdir()
        except OSError:  # not empty
            break


def publish(staging: Path, output: Path) -> None:
    """Put the staging folder in the place of `output` atomically, then remove the old build."""
    make_readable(staging)
    if output.exists() and _exchange(staging, output):
        # `staging` now holds the previous build: kept for the next build to write over (see new_staging).
        previous = output.parent / f"{PREVIOUS_PREFIX}{output.name}"
        shutil.rmtree(previous, ignore_errors=True)  # left by a build that could not reuse it
        try:
            os.rename(staging, previous)
        except OSError:
            shutil.rmtree(staging)
        return
    if output.exists():  # no atomic exchange on this system: keep the window as short as possible
        old = output.with_name(f"{STAGING_PREFIX}{output.name}-old")
        os.rename(output, old)
        os.rename(staging, output)
        shutil.rmtree(old)
    else:
        os.rename(staging, output)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths with Linux renameat2(RENAME_EXCHANGE); return False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        log.debug("renameat2 failed: %s", os.strerror(ctypes.get_errno()))
        return False
    return True
