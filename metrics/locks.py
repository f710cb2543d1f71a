"""Who may open the database file, across processes: readers together, one writer alone.

DuckDB lets several processes open a file read-only, or one process read-write and then no
other process at all. The dashboard and the command line therefore take turns, coordinated by
two lock files beside the database (`flock`, released by the kernel if a process dies):

- `<db>.lock`: shared while a process has the file open read-only, exclusive while it has it
  open read-write;
- `<db>.gate`: held exclusively by a writer from the moment it asks, so that readers arriving
  after it wait behind it instead of starving it (a reader passes the gate on its way in).

A writer records who it is in `<db>.writer`, so a waiting process can say what it waits for.
Within one process the locks are counted: the same process may hold the same kind twice. A
thread that wants the other kind waits for this process's other holders to let go (asking idle
holders, such as a read kept open a moment by metrics/shared.py, to close at once).
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

# How long a command waits for the other side before giving up (seconds); the dashboard's
# reads wait as long as a load takes.
DEFAULT_WAIT = float(os.environ.get("CSM_LOCK_WAIT", "600"))
_POLL = 0.05


class LockTimeout(RuntimeError):
    """The database stayed busy for longer than the wait allowed; nothing was changed."""


def _describe() -> str:
    argv = " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:3]) if sys.argv else "python"
    return f"{argv} (pid {os.getpid()})"


class FileLock:
    """The two lock files of one database, as held by this process."""

    def __init__(self, db_path: Path) -> None:
        base = str(Path(db_path).resolve())
        self.lock_path = Path(base + ".lock")
        self.gate_path = Path(base + ".gate")
        self.writer_path = Path(base + ".writer")
        self._fd: int | None = None
        self._gate_fd: int | None = None
        self.mode: str | None = None  # "shared" or "exclusive" while held
        self.count = 0
        self.mutex = threading.Lock()
        self._changed = threading.Condition(self.mutex)
        # Users of this lock in this process that may hold it while idle (metrics/shared.py):
        # `release_idle()` closes what they keep open only because it lingers, and
        # `busy_here()` is True when the calling thread is inside one of their reads or writes.
        self.holders: weakref.WeakSet = weakref.WeakSet()

    def _open(self, path: Path) -> int:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
        # A read-only folder: an existing lock file still locks (flock needs no write
        # access); without one nobody can write the database there either, so a private
        # file stands in (a lock no other process sees, and none needs to).
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            with tempfile.TemporaryFile() as f:
                return os.dup(f.fileno())

    def holder(self) -> str:
        """Return what holds the database for writing, as the writer wrote it, or '' when no
        living process wrote it (a writer killed before it cleaned up leaves a stale file)."""
        try:
            text = self.writer_path.read_text().strip()
        except OSError:
            return ""
        try:
            os.kill(int(text.rsplit("pid ", 1)[1].rstrip(")")), 0)
        except (IndexError, ValueError, ProcessLookupError):
            return ""
        except PermissionError:
            pass  # alive, another user's
        return text

    def _wait(self, fd: int, op: int, wait: float, on_wait: Callable[[str], None] | None,
              what: str, writer: bool = True) -> None:
        """Take flock `op` on `fd`, polling up to `wait` s; `what` the other side is doing, and
        whether that side is a writer (named in the message) or readers."""
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = self.holder() if writer else ""
            if not told and on_wait is not None:
                who = holder or ("another process" if writer else "the processes reading it "
                                 "(a running dashboard, a csm metric)")
                on_wait(f"waiting for {who} to finish {what}")
                told = True
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"The database stayed busy for {wait:.0f} s"
                    + (f" ({holder} holds it)" if holder else "")
                    + ". Nothing was changed; try again when it is done.")
            time.sleep(_POLL)

    def acquire(self, mode: str, *, wait: float = DEFAULT_WAIT,
                on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock in `mode` ("shared" or "exclusive"), waiting up to `wait` seconds
        (telling `on_wait` once why); returns when held. A thread of this process that holds
        the other mode is waited for too. Raises LockTimeout, and RuntimeError when the calling
        thread is itself inside a read or write of the other mode (it would wait for itself)."""
        deadline = time.monotonic() + wait
        with self.mutex:
            while self.count and self.mode != mode:
                if any(h.busy_here() for h in self.holders):
                    raise RuntimeError(
                        f"this thread holds the database {self.mode}; it cannot also take it "
                        f"{mode} (close the other store first)")
                self.mutex.release()
                try:
                    for h in list(self.holders):
                        h.release_idle()
                finally:
                    self.mutex.acquire()
                if not (self.count and self.mode != mode):
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LockTimeout(f"The database stayed busy for {wait:.0f} s (this "
                                      "process's other work holds it). Nothing was changed.")
                self._changed.wait(min(left, 0.2))
            if self.count:
                self.count += 1
                return
            fd = self._open(self.lock_path)
            gate = self._open(self.gate_path)
            try:
                if mode == "exclusive":
                    self._wait(gate, fcntl.LOCK_EX, wait, on_wait, "with the database")
                    try:
                        self._wait(fd, fcntl.LOCK_EX, wait, on_wait, "reading", writer=False)
                    except BaseException:
                        fcntl.flock(gate, fcntl.LOCK_UN)
                        raise
                    try:
                        self.writer_path.write_text(_describe() + "\n")
                    except OSError:
                        pass  # a read-only folder: the open for writing says why it fails

                else:
                    # Pass the gate: a writer that is waiting holds it, so we queue behind it.
                    self._wait(gate, fcntl.LOCK_SH, wait, on_wait, "writing")
                    try:
                        self._wait(fd, fcntl.LOCK_SH, wait, on_wait, "writing")
                    finally:
                        fcntl.flock(gate, fcntl.LOCK_UN)
            except BaseException:
                os.close(fd)
                os.close(gate)
                raise
            self._fd, self._gate_fd, self.mode, self.count = fd, gate, mode, 1

    def writer_waiting(self) -> bool:
        """Return True when another process is waiting for (or holds) the database to write,
        so a reader of this process should let it in rather than start more reading."""
        fd = self._open(self.gate_path)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing the descriptor also drops the probe's lock
        return False

    def release(self) -> None:
        """Give back one hold; the files are unlocked when this process holds none."""
        with self.mutex:
            if not self.count:
                return
            self.count -= 1
            if self.count:
                return
            if self.mode == "exclusive":
                try:
                    self.writer_path.unlink()
                except OSError:
                    pass
            assert self._fd is not None and self._gate_fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            fcntl.flock(self._gate_fd, fcntl.LOCK_UN)
            os.close(self._fd)
            os.close(self._gate_fd)
            self._fd = self._gate_fd = None
            self.mode = None
            self._changed.notify_all()


_locks: dict[str, FileLock] = {}
_locks_mutex = threading.Lock()


def file_lock(db_path: Path) -> FileLock:
    """Return this process's FileLock of the database at `db_path` (one per file)."""
    key = str(Path(db_path).resolve())
    with _locks_mutex:
        if key not in _locks:
            _locks[key] = FileLock(Path(key))
        return _locks[key]
