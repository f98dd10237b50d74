"""Write a finished build into place. The only module that touches the output folder.

A build is written into a staging folder next to the output folder and then
swapped in with one atomic rename, so a failed, interrupted or killed build
never leaves the output folder half-written or empty.
"""
from __future__ import annotations

import ctypes
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"
_RENAME_EXCHANGE = 2


def new_staging(output: Path) -> Path:
    """Return a fresh staging folder beside `output`, clearing leftovers of killed builds."""
    output.parent.mkdir(parents=True, exist_ok=True)
    for leftover in output.parent.glob(f"{STAGING_PREFIX}{output.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{output.name}-", dir=output.parent))


def write_files(outputs: Iterable, folder: Path) -> int:
    """Write (path, bytes) outputs under `folder`; return how many."""
    count = 0
    for output in outputs:
        target = folder / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.body)
        count += 1
    return count


def replace_file(folder: Path, path: str, body: bytes) -> None:
    """Write one file under `folder` so that a reader sees either the old bytes or the new, never a part."""
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{STAGING_PREFIX}{target.name}.{os.getpid()}.part")  # per process: two may write
    temporary.write_bytes(body)
    os.replace(temporary, target)


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
    if output.exists() and _exchange(staging, output):
        shutil.rmtree(staging)  # now holds the previous build
        return
    if output.exists():  # no atomic exchange on this system: keep the window as short as possible
        old = output.with_name(f"{STAGING_PREFIX}{output.name}-old")
        os.rename(output, old)
        os.rename(staging, output)
        shutil.rmtree(old)
    else:
        os.rename(staging, output)
    # mkdtemp makes the folder private; a published site is readable by the web server.
    os.chmod(output, 0o755)


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
    os.chmod(b, 0o755)
    return True
