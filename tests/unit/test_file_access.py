"""Which files the program reads (issue 17, items 9 and 10).

The database may read only its own upload folder (`<db>.uploads/`), never the folder the
database file happens to sit in: `--db ~/x.duckdb` must not open the home folder. An input
that is a symbolic link out of its folder is refused before it is read, and a refusal never
repeats a line of a file that is no table (the message is stored in `loads`, which the Data
page shows to every viewer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from metrics.ingest import load_file
from metrics.store import Store, upload_dir

REPO = Path(__file__).resolve().parents[2]
SECRET = "TOPSECRET-7f3a,first line of a private file"


def _csm(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "csm", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _loads_messages(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] or "" for r in con.execute("SELECT message FROM loads").fetchall()]
    finally:
        con.close()


def test_the_folder_holding_the_database_file_is_not_readable(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    private = home / "private.csv"
    private.write_text("a\n1\n")
    store = Store(home / "x.duckdb")
    try:
        assert store.uploads == upload_dir(home / "x.duckdb") == home / "x.duckdb.uploads"
        cur = store.cursor()
        with pytest.raises(duckdb.PermissionException):
            cur.execute("SELECT * FROM read_csv(?)", [str(private)]).fetchall()
        with pytest.raises(duckdb.PermissionException):
            cur.execute(f"COPY (SELECT 1) TO '{home / 'written.csv'}'")
        assert not (home / "written.csv").exists()
        staged = store.uploads / "ok.csv"
        staged.write_text("a\n1\n")
        assert cur.execute("SELECT * FROM read_csv(?)", [str(staged)]).fetchall() == [(1,)]
    finally:
        store.close()


def test_a_sort_that_spills_to_disk_still_works_with_the_folder_locked(tmp_path, monkeypatch):
    # DuckDB's own temporary files (<db>.tmp/) are beside the database, outside the allowed
    # folder: spilling must still work.
    monkeypatch.setenv("CSM_MEMORY_LIMIT", "64MB")
    store = Store(tmp_path / "x.duckdb")
    try:
        n = store.cursor().execute(
            "SELECT count(*) FROM (SELECT md5(i::VARCHAR) AS h FROM range(3000000) t(i) "
            "ORDER BY h)").fetchone()[0]
        assert n == 3_000_000
    finally:
        store.close()


@pytest.mark.parametrize("target", ["own", "system"])
def test_a_link_out_of_its_folder_is_refused_and_its_content_is_neither_shown_nor_stored(
        tmp_path, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "private.txt"
    secret.write_text(SECRET + "\nmore\n")
    source = secret if target == "own" else Path("/etc/passwd")
    if not source.exists():
        pytest.skip("/etc/passwd is absent")
    first = source.read_text().splitlines()[0]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "link.csv").symlink_to(source)
    db = tmp_path / "db" / "x.duckdb"
    r = _csm("load", "accounts", "link.csv", "--db", str(db), cwd=inbox)
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["outcome"] == "refused"
    assert "symbolic link" in out["message"]
    assert first not in r.stdout and first not in r.stderr
    assert first.split(",")[0] not in r.stdout + r.stderr
    stored = _loads_messages(db)
    assert stored and all(first.split(",")[0] not in m for m in stored), stored


def test_a_link_inside_its_own_folder_loads(tmp_path, store):
    real = store.uploads / "accounts_real.csv"
    real.write_text("account_id,name,signup_date\nL1,Linked,2025-01-01\n")
    (store.uploads / "accounts_link.csv").symlink_to(real)
    res = load_file(store, "accounts", store.uploads / "accounts_link.csv")
    assert res.outcome == "loaded", res.message
    assert store.cursor().execute("SELECT name FROM accounts").fetchall() == [("Linked",)]


def test_a_single_column_first_line_is_not_repeated_in_the_refusal(store):
    path = store.uploads / "notes.csv"
    path.write_text(SECRET.replace(",", " ") + "\nsecond line\n")
    res = load_file(store, "accounts", path)
    assert res.outcome == "refused"
    assert "single column" in res.message
    assert "TOPSECRET" not in res.message
    msgs = [r[0] for r in store.cursor().execute("SELECT message FROM loads").fetchall()]
    assert msgs and not any("TOPSECRET" in m for m in msgs)


def test_a_real_header_is_still_named_in_the_refusal(store):
    path = store.uploads / "crm.csv"
    path.write_text("Colour,Size\nred,2\n")
    res = load_file(store, "accounts", path)
    assert res.outcome == "refused"
    assert "Found: Colour, Size" in res.message
