"""The DuckDB store: a connection per open, a cursor per thread or session.

A `Store` holds the file open for as long as it lives: read-write and alone (the default), or
read-only beside other readers. `SharedStore` (metrics/shared.py) opens one only for as long as
a read or a write takes, so the dashboard and the command line can use one file in turn
(metrics/locks.py says who waits for whom).

The connection is locked down at connect: file access only inside the database's own upload
folder (`<db file>.uploads/`, made for it, never a folder that holds anything else) and paths
the caller names (the CLI's input file); no extension auto-install or
auto-load; memory and thread limits; then `lock_configuration` so no query can undo it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from metrics import reuse, schema
from metrics.locks import DEFAULT_WAIT, LockTimeout, file_lock

DEFAULT_DB = Path("data") / "csm.duckdb"

# DuckDB shares one database instance per file and process. Two threads opening the same file
# at once both get the new instance before either has locked it down, and the slower one's SET
# then fails ("the configuration has been locked": seen in CI with ten sessions loading at
# once). Opening and locking down, and closing, are therefore done one at a time per process.
_OPENING = threading.Lock()


class NestedTransactionError(RuntimeError):
    """`transaction(cur)` was entered on a cursor that already has a transaction open.

    DuckDB has no nested transactions: the inner block belongs inside the outer one."""


def _one(cur, sql: str) -> Any:
    """Return the first value of the first row of `sql` (an aggregate: there is always one)."""
    row = cur.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


class StoreError(RuntimeError):
    """The database cannot be used (locked by another process, corrupt, newer schema).

    The message is written for a person; nothing was deleted or changed."""


def default_db_path() -> Path:
    """Return the database path: `CSM_DB` when set, else data/csm.duckdb."""
    return Path(os.environ.get("CSM_DB") or DEFAULT_DB)


def upload_dir(db_path: Path) -> Path:
    """Return the folder where uploaded files are staged before import: `<db file>.uploads/`
    beside the database. It is the only folder the database may read or write, so it is one
    made for this database: with `--db ~/x.duckdb` the database's parent is the whole home
    folder, which must not become readable."""
    db = db_path.resolve()
    return db.parent / f"{db.name}.uploads"


def _dir(p: Path) -> str:
    return str(p.resolve()).rstrip("/") + "/"


class DatabaseDamaged(StoreError):
    """Part of the database file cannot be read (a block whose checksum does not match)."""


# What DuckDB says when a block of the file is not what it wrote (lower case).
_DAMAGE_SIGNS = ("corrupt database file", "does not match stored checksum",
                 "could not read enough bytes")
# What the operating system says when the file or its folder cannot be written.
_READ_ONLY_SIGNS = ("read-only file system", "permission denied")


def damaged(e: BaseException, path: Path | str) -> DatabaseDamaged | None:
    """Return a DatabaseDamaged saying so for a DuckDB error `e` that means the file at `path`
    is damaged (None for any other error)."""
    if not isinstance(e, duckdb.Error):
        return None
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if not any(s in first.lower() for s in _DAMAGE_SIGNS):
        return None
    return DatabaseDamaged(
        f"The database {path} is damaged: part of it cannot be read (DuckDB: {first[:200]}). "
        "Nothing was deleted or changed. Restore a copy of the file, or move it aside and "
        "load your files again.")


def _read_only(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"The database {path} cannot be written ({reason}): the file or its folder is "
        "read-only. It can still be read (the dashboard and `csm metric` work), but nothing "
        "can be loaded or saved until it is writable. Nothing was changed.")


class SchemaBehind(StoreError):
    """A read-only open found a database that needs a migration (a write must open it first)."""


class Store:
    """An open DuckDB database. Use `cursor()` in each thread or Streamlit session; `close()`
    when done, which lets other processes in."""

    def __init__(self, path: Path | str | None = None, *, allow_paths: tuple = (),
                 read_only: bool = False, wait: float = DEFAULT_WAIT, on_wait=None) -> None:
        self.path = Path(path) if path else default_db_path()
        self.read_only = read_only
        self.uploads = upload_dir(self.path)
        # the files besides the upload folder this store's DuckDB may read (resolved)
        self.allow_paths = tuple(str(Path(p).resolve()) for p in allow_paths)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.uploads.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            # A read-only folder can still be read; a write needs both folders.
            if not read_only:
                raise _read_only(self.path, e.strerror or str(e)) from e
        if not read_only and self.path.exists() and not os.access(self.path, os.W_OK):
            raise _read_only(self.path, "no permission to write the file")
        self._lock = threading.Lock()
        self._file_lock = file_lock(self.path)
        try:
            self._file_lock.acquire("shared" if read_only else "exclusive", wait=wait,
                                    on_wait=on_wait)
        except LockTimeout as e:
            raise StoreError(str(e)) from e
        self._closed = False
        try:
            self.con = self._connect(allow_paths)
        except BaseException:
            self._file_lock.release()
            raise
        try:
            cur = self.con.cursor()
            if read_only:
                if schema.current_version(cur) < schema.SCHEMA_VERSION:
                    raise SchemaBehind(f"The database {self.path} needs a migration first.")
            else:
                schema.migrate(cur)
            cur.close()
        except RuntimeError as e:
            self.close()
            if isinstance(e, StoreError):
                raise
            raise (damaged(e, self.path) or StoreError(str(e))) from e

    def _connect(self, allow_paths: tuple) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": os.environ.get("CSM_MEMORY_LIMIT", "2GB"),
            "threads": int(os.environ.get("CSM_THREADS", "2")),
        }
        with _OPENING:
            con = self._open(config)
            try:
                return self._lock_down(con, allow_paths)
            except BaseException:
                con.close()
                raise

    def _open(self, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        """Return a new connection to the file, or raise StoreError saying why not."""
        try:
            return duckdb.connect(str(self.path), read_only=self.read_only, config=config)
        except duckdb.IOException as e:
            msg = str(e)
            if any(s in msg.lower() for s in _READ_ONLY_SIGNS):
                raise _read_only(self.path, msg.strip().splitlines()[0][:200]) from e
            if "lock" in msg.lower():
                raise StoreError(
                    f"The database {self.path} is in use by another process (only one program "
                    f"may write to it at a time). Stop the other dashboard or `csm` command, or "
                    f"point this one elsewhere with --db / CSM_DB. Nothing was changed.\n"
                    f"DuckDB said: {msg}"
                ) from e
            raise StoreError(
                f"The database {self.path} cannot be opened: it is not a valid DuckDB database "
                f"or it is damaged. The file was left untouched; move it aside to start afresh, "
                f"or restore a copy.\nDuckDB said: {msg}"
            ) from e
        except duckdb.Error as e:
            raise StoreError(
                f"The database {self.path} cannot be opened ({e}). The file was left untouched."
            ) from e

    def _lock_down(self, con: duckdb.DuckDBPyConnection,
                   allow_paths: tuple) -> duckdb.DuckDBPyConnection:
        """Restrict file access and lock the configuration of `con`'s instance; returns `con`."""
        locked = _one(con, "SELECT current_setting('lock_configuration')")
        if str(locked).lower() == "true":
            # This process already opened the file (DuckDB shares one instance per file and
            # process), and that instance is locked down already.
            return con
        dirs = [_dir(self.uploads)]
        files = [str(Path(p).resolve()) for p in allow_paths]
        # Lists are bound as parameters; the paths are ours or the CLI user's own input file.
        con.execute("SET allowed_directories = ?", [dirs])
        if files:
            con.execute("SET allowed_paths = ?", [files])
        # Naive timestamps in files are UTC (DATA.md), whatever the machine's zone.
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new cursor (its own connection to the same database) for one thread."""
        with self._lock:
            return self.con.cursor()

    def data_version(self) -> int:
        """Return the counter bumped by every successful load (cache key for the UI)."""
        cur = self.cursor()
        try:
            return int(_one(cur, "SELECT max(version) FROM data_version") or 0)
        finally:
            cur.close()

    def close(self) -> None:
        """Close the connection (checkpointing first) and let other processes in; a second
        call does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            with _OPENING:  # not while another thread of this process opens the same file
                self.con.close()
        finally:
            self._file_lock.release()


def bump_data_version(cur) -> None:
    """Advance the data version inside the caller's transaction."""
    cur.execute("UPDATE data_version SET version = version + 1")


@contextmanager
def transaction(cur) -> Iterator:
    """Run the `with` block in one transaction on `cur`; yields `cur`.

    BEGIN on entry; COMMIT when the block ends normally; ROLLBACK in `finally` on any other
    exit, BaseException included (Streamlit stops a script with exceptions that are not
    Exception subclasses), and after a failed COMMIT. Every write of the program goes through
    here so that this is the one place that handles a transaction's end.

    Raises NestedTransactionError, without touching the open transaction, when `cur` is
    already inside one (DuckDB cannot nest them)."""
    reuse.forget()  # results read before the write are not reused after it
    try:
        cur.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException as e:
        if "within a transaction" not in str(e):
            raise
        raise NestedTransactionError(
            "transaction() was entered on a cursor that already has an open transaction; "
            "DuckDB cannot nest transactions, so run this work inside the outer one"
        ) from e
    committed = False
    try:
        with reuse.paused():
            yield cur
        cur.execute("COMMIT")
        committed = True
        reuse.forget()
    finally:
        if not committed:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                # A failed COMMIT has already ended the transaction; the error that brought
                # us here is the one worth raising.
                pass
