"""Staged uploads: the bytes a person uploaded, written whole into the upload folder.

A staged file is written under a temporary name in the same folder, flushed to disk and renamed
into place, so its final name never holds a partial copy (a failed write leaves only the
temporary file, removed). A staged file found already in place is reused only when its size and
sha256 are those of the upload; a file is checked again the same way before it is loaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from metrics.ingest.errors import LoadRefused


@dataclass(frozen=True)
class Staged:
    """A staged upload: where it is, its size in bytes and its sha256 (hex)."""

    path: Path
    size: int
    sha256: str


def _digest(path: Path) -> tuple[int, str]:
    """Return (size, sha256 hex) of the file at `path` as it is on disk now."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def matches(path: Path, size: int, sha256: str) -> bool:
    """Return True when the file at `path` exists with exactly this size and sha256."""
    try:
        if path.stat().st_size != size:
            return False
        return _digest(path) == (size, sha256)
    except OSError:
        return False


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path`: temporary name in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".staging-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a power cut once the folder is flushed
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def stage(folder: Path, name: str, data: bytes) -> Staged:
    """Return the staged copy of `data` named `name` in `folder`, writing it unless a file of
    the same size and sha256 is already there (a partial or different one is replaced)."""
    sha = hashlib.sha256(data).hexdigest()
    staged = Staged(folder / name, len(data), sha)
    if not matches(staged.path, staged.size, sha):
        _write_atomically(staged.path, data)
    return staged


def verify(staged: Staged) -> None:
    """Raise LoadRefused unless the staged file still has the upload's size and sha256."""
    if not matches(staged.path, staged.size, staged.sha256):
        raise LoadRefused(
            "The staged copy of this file changed since it was uploaded (its size or sha256 "
            "differs), so it was not loaded: upload it again.")


@contextmanager
def within_reach(uploads: Path, allowed: tuple[str, ...], path: Path) -> Iterator[Path]:
    """Yield a path the store's DuckDB may read for the file at `path`: `path` itself when it
    is inside `uploads` or among the `allowed` files the store was opened with (the command
    line and the inbox open it so, and read in place), else a copy in `uploads` removed
    afterwards. DuckDB reads only the upload folder (no folder beside the database is opened
    to it); a program that calls the import with a file of its own names that file, which it
    can read anyway. A symbolic link out of its folder is not copied: the import refuses it."""
    resolved = path.resolve()
    if (not path.is_file() or path.is_symlink() or resolved.is_relative_to(uploads.resolve())
            or str(resolved) in allowed):
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix=".in-", suffix=path.suffix, dir=uploads)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
