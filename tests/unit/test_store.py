"""The store: locked down at connect, versioned schema, clear failures that delete nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from metrics import schema
from metrics.store import Store, StoreError


def test_a_new_database_gets_every_canonical_table_and_the_current_schema_version(store):
    cur = store.cursor()
    tables = {r[0] for r in cur.execute("SHOW TABLES").fetchall()}
    assert set(schema.TABLES) <= tables
    assert schema.current_version(cur) == schema.SCHEMA_VERSION


def test_canonical_columns_have_the_types_of_the_contract(store):
    cur = store.cursor()
    rows = cur.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
    ).fetchall()
    got = {(t, c): ty for t, c, ty in rows}
    for t in schema.TABLES.values():
        for c in t.columns:
            assert got[(t.name, c.name)] == c.type, (t.name, c.name)


def test_migrating_twice_changes_nothing(store):
    cur = store.cursor()
    assert schema.migrate(cur) == schema.SCHEMA_VERSION
    assert cur.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
        schema.MIGRATIONS)


def test_a_database_newer_than_the_program_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "new.duckdb"
    s = Store(path)
    cur = s.cursor()
    cur.execute("INSERT INTO schema_migrations VALUES (?, current_timestamp, 'future')",
                [schema.SCHEMA_VERSION + 1])
    s.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    assert path.exists()


def test_reading_a_file_outside_the_data_folder_is_refused(store, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    outside.write_text("a\n1\n")
    cur = store.cursor()
    with pytest.raises(duckdb.PermissionException):
        cur.execute(f"SELECT * FROM read_csv('{outside}')").fetchall()
    with pytest.raises(duckdb.PermissionException):
        cur.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()


def test_files_in_the_upload_folder_can_be_read(store):
    f = store.uploads / "ok.csv"
    f.write_text("a\n1\n")
    cur = store.cursor()
    assert cur.execute("SELECT * FROM read_csv(?)", [str(f)]).fetchall() == [(1,)]


def test_the_configuration_is_locked_and_extensions_do_not_autoload(store):
    cur = store.cursor()
    with pytest.raises(duckdb.Error):
        cur.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        cur.execute("SET threads = 64")
    settings = dict(cur.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoload_known_extensions', "
        "'autoinstall_known_extensions', 'lock_configuration', 'enable_external_access')"
    ).fetchall())
    assert settings == {"autoload_known_extensions": "false",
                        "autoinstall_known_extensions": "false",
                        "lock_configuration": "true", "enable_external_access": "false"}


def test_attaching_another_database_file_is_refused(store, tmp_path_factory):
    other = tmp_path_factory.mktemp("other") / "x.duckdb"
    with pytest.raises(duckdb.Error):
        store.cursor().execute(f"ATTACH '{other}'")


def test_a_database_locked_by_another_process_stops_with_a_clear_message(tmp_path):
    path = tmp_path / "locked.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="in use by another process"):
            Store(path)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert path.exists()


def test_a_corrupt_database_stops_with_a_clear_message_and_is_not_deleted(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    junk = b"this is not a duckdb file" * 1000
    path.write_bytes(junk)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(path)
    assert path.read_bytes() == junk


def test_each_thread_gets_its_own_cursor_and_sees_committed_data(store):
    import threading

    cur = store.cursor()
    cur.execute("INSERT INTO targets VALUES ('nps', NULL, DATE '2026-01-01', DATE '2026-02-01', "
                "40, NULL)")
    seen = []

    def read():
        c = store.cursor()
        seen.append(c.execute("SELECT count(*) FROM targets").fetchone()[0])
        c.close()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1, 1, 1, 1]


def test_threads_opening_one_file_at_once_all_get_a_locked_down_store(tmp_path):
    # DuckDB hands every open of a file in one process the same instance; two threads opening
    # it at the same moment used to race locking it down ('the configuration has been
    # locked', once in CI). Four threads open and close together, 100 times.
    import threading

    path = tmp_path / "csm.duckdb"
    Store(path).close()
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def work():
        for _ in range(100):
            barrier.wait()
            try:
                s = Store(path, read_only=True)
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                errors.append(repr(e))
                s = None
            else:
                locked = s.cursor().execute(
                    "SELECT current_setting('lock_configuration')").fetchone()[0]
                if not locked:
                    errors.append("an open that is not locked down")
            barrier.wait()
            if s is not None:
                s.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
