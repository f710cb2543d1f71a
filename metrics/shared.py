"""A store that opens the database only while it works, so other processes can use it between.

The dashboard keeps one `SharedStore` per process; `csm metric` and `csm report` read through
one too. Reads of all threads share one read-only open, kept a moment after the last read
(`linger`) so that a page's queries do not reopen the file one by one; a write waits for this
process's reads to finish, closes the read-only open, and opens the file read-write alone
(waiting for other processes as metrics/locks.py arranges). So `csm load` works while the
dashboard runs, and the dashboard sees the new data on its next rerun.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from metrics.locks import DEFAULT_WAIT, file_lock
from metrics.store import SchemaBehind, Store, damaged, default_db_path, upload_dir

LINGER = float(os.environ.get("CSM_READ_LINGER", "0.5"))
_OPEN: weakref.WeakSet = weakref.WeakSet()  # every SharedStore of this process


@atexit.register
def _close_all() -> None:
    # A lingering read-only open closed by its timer thread while the interpreter shuts down
    # aborts the process inside DuckDB ("terminate called ..."): close them here, first.
    for shared in list(_OPEN):
        try:
            shared.close()
        except Exception:  # noqa: BLE001 - exiting anyway; one failure must not stop the rest
            pass


def _signature(path: Path) -> tuple:
    """Return what changes on disk when a write commits: the database and WAL files' sizes and
    modification times."""
    out: list = []
    for p in (path, Path(str(path) + ".wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [0, 0]
    return tuple(out)


class SharedStore:
    """Reads and writes of one database file in turn with other processes. `read()` and
    `write()` are context managers yielding an open `Store`; use its cursors only inside."""

    def __init__(self, path: Path | str | None = None, *, linger: float = LINGER,
                 wait: float = DEFAULT_WAIT, on_wait: Callable[[str], None] | None = None,
                 allow_paths: tuple = ()) -> None:
        self.path = Path(path) if path else default_db_path()
        self.uploads = upload_dir(self.path)
        self.linger, self.wait, self.on_wait = linger, wait, on_wait
        self.allow_paths = allow_paths
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._ro: Store | None = None
        self._timer: threading.Timer | None = None
        self._version: tuple[tuple, int] | None = None
        self._lock = file_lock(self.path)
        # Per thread: the Store this thread is inside (a read nested in a read or a write reuses
        # it instead of waiting for itself).
        self._mine = threading.local()
        self._lock.holders.add(self)
        _OPEN.add(self)
        # Create or migrate the database once, so that reads can open it read-only.
        if not self.path.exists():
            with self.write():
                pass
        else:
            try:
                with self.read():
                    pass
            except SchemaBehind:
                with self.write():
                    pass

    # -- reading -------------------------------------------------------------------------

    def _close_ro(self) -> None:
        """Close the read-only open (caller holds `_cond`, no reader inside)."""
        if self._ro is not None:
            ro, self._ro = self._ro, None
            ro.close()

    def _linger_over(self) -> None:
        with self._cond:
            self._timer = None
            if self._readers == 0:
                self._close_ro()

    @contextmanager
    def read(self) -> Iterator[Store]:
        """Yield the read-only Store (opened if need be); on exit it is closed once no read
        has used it for `linger` seconds, or at once when another process waits to write."""
        inside = getattr(self._mine, "store", None)
        if inside is not None:
            yield inside
            return
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            if self._ro is not None and self._lock.writer_waiting():
                # Another process waits to write: let this process's reads drain and the
                # file go, then queue behind the writer (the open below waits at the gate).
                while self._readers:
                    self._cond.wait()
                self._close_ro()
            if self._ro is None:
                # A process that already has the file open read-write (a test's store, a
                # command calling another) reads through a second read-write open: DuckDB
                # refuses a read-only one beside it, and no other process is affected.
                held_rw = self._lock.count > 0 and self._lock.mode == "exclusive"
                self._ro = Store(self.path, read_only=not held_rw, wait=self.wait,
                                 on_wait=self.on_wait, allow_paths=self.allow_paths)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._readers += 1
            ro = self._ro
        self._mine.store = ro
        try:
            yield ro
        except Exception as e:
            # A damaged block shows only when a query reads it: say so, as at the open.
            if (why := damaged(e, self.path)) is not None:
                raise why from e
            raise
        finally:
            self._mine.store = None
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    if self.linger <= 0 or self._lock.writer_waiting():
                        self._close_ro()
                    else:
                        self._timer = threading.Timer(self.linger, self._linger_over)
                        self._timer.daemon = True
                        self._timer.start()
                self._cond.notify_all()

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def write(self, allow_paths: tuple = ()) -> Iterator[Store]:
        """Yield a read-write Store, this process's and every other process's reads having
        finished first; closed (and the file let go) when the block ends. Raises RuntimeError
        inside a read of the same thread (it would wait for itself)."""
        inside = getattr(self._mine, "store", None)
        if inside is not None:
            if not inside.read_only:
                yield inside
                return
            raise RuntimeError("write() inside a read() of the same thread would wait for "
                               "itself; finish the read first")
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._close_ro()
        try:
            store = Store(self.path, allow_paths=self.allow_paths + tuple(allow_paths),
                          wait=self.wait, on_wait=self.on_wait)
            self._mine.store = store
            try:
                yield store
            finally:
                self._mine.store = None
                store.close()
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()

    # -- cheap checks --------------------------------------------------------------------

    def data_version(self) -> int:
        """Return the data version (bumped by every load); reads the database only when its
        files changed on disk since the last call, so a rerun with nothing new costs a stat."""
        sig = _signature(self.path)
        cached = self._version
        if cached is not None and cached[0] == sig:
            return cached[1]
        with self.read() as store:
            version = store.data_version()
        # The signature is taken before reading: a write that lands in between changes the
        # files again, so the next call reads anew rather than keeping a stale version.
        self._version = (sig, version)
        return version

    def release_idle(self) -> None:
        """Close the read-only open if no read uses it (another user of this process wants the
        file read-write); returns nothing."""
        self.close()

    def busy_here(self) -> bool:
        """Return True when the calling thread is inside a read or write of this store."""
        return getattr(self._mine, "store", None) is not None

    def close(self) -> None:
        """Close the read-only open if one lingers; returns nothing."""
        with self._cond:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._readers == 0:
                self._close_ro()
