"""A damaged, read-only or full database (issue 17, item 13): a clear message on every page and
in the command line, never a traceback, and nothing deleted or changed.

- damaged: one 256 KB block of the small demo database overwritten in its middle (the first
  block, found by trying them in order, whose damage the open does not notice but a read of
  the tickets does: the checksum is checked when the block is read);
- read-only: the intact file on a read-only tmpfs mount (root only; skipped elsewhere): it is
  read, and a load says read-only, not "damaged";
- full disk: a small tmpfs mount: a load says "no space left on device", the tables keep
  their checksums, no working copy is left behind, a Latin-1 file gives no traceback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from dashboard.catalogue import PAGES
from metrics.schema import TABLES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BLOCK = 262_144  # DuckDB's block size


def _csm(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "csm", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checksums(db: Path) -> dict[str, tuple]:
    """Return each canonical table's row count and order-free hash of its rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:  # table names come from the schema, never from input
        return {t: con.execute(f"SELECT count(*), sum(hash(t)) FROM {t} t").fetchone()
                for t in TABLES}
    finally:
        con.close()


def _damage(src: Path, dst: Path, block: int) -> None:
    shutil.copy(src, dst)
    with open(dst, "r+b") as f:
        f.seek(block * BLOCK + BLOCK // 2)
        f.write(b"\xde\xad\xbe\xef" * 256)


def _opens_but_fails_a_query(db: Path) -> bool:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:  # a block of the tickets table: the Support page and `csm metric support` read it
        con.execute("SELECT sum(hash(t)) FROM tickets t").fetchall()
        return False
    except duckdb.Error as e:
        return "checksum" in str(e).lower()
    finally:
        con.close()


@pytest.fixture(scope="module")
def damaged_db(demo_db_master, tmp_path_factory) -> Path:
    """A copy of the small demo database with one data block damaged."""
    folder = tmp_path_factory.mktemp("damaged") / "data"
    folder.mkdir()
    db = folder / "csm.duckdb"
    for block in range(2, demo_db_master.stat().st_size // BLOCK):
        _damage(demo_db_master, db, block)
        if _opens_but_fails_a_query(db):
            return db
    pytest.fail("no block of the demo database could be damaged without the open noticing")


def test_the_command_line_says_damaged_without_a_traceback_and_changes_nothing(damaged_db):
    before = (_sha(damaged_db), sorted(p.name for p in damaged_db.parent.iterdir()))
    said = []
    for name in ("support", "nps", "mrr"):
        r = _csm("metric", name, "--db", str(damaged_db))
        assert "Traceback" not in r.stderr, r.stderr[-1500:]
        assert r.returncode in (0, 1), r.stderr[-500:]
        if r.returncode == 1:
            assert "is damaged" in r.stderr and "Nothing was deleted" in r.stderr, r.stderr
            said.append(name)
    assert "support" in said, "the support metric did not read the damaged tickets block"
    after = (_sha(damaged_db), sorted(p.name for p in damaged_db.parent.iterdir()))
    assert after[0] == before[0], "the damaged file was changed"
    assert set(before[1]) <= set(after[1]), "a file was deleted"


def test_every_page_says_damaged_or_shows_its_data_never_a_traceback(damaged_db, run_app):
    before = _sha(damaged_db)
    said = []
    for p in PAGES:
        at = run_app(damaged_db, p.path)
        assert not at.exception, (p.key, [e.value for e in at.exception])
        errors = [e.value for e in at.error]
        if errors:
            assert any("is damaged" in e for e in errors), (p.key, errors)
            said.append(p.key)
    assert "support" in said, "the Support page did not read the damaged tickets block"
    assert _sha(damaged_db) == before


@contextmanager
def _tmpfs(where: Path, size: str, *options: str):
    """Mount a tmpfs of `size` at `where` for the block (root only; skip when not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'not root'})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_read_only_intact_file_is_read_and_a_load_says_read_only(demo_db_master, tmp_path):
    with _tmpfs(tmp_path / "ro", "64m") as mnt:
        db = mnt / "csm.duckdb"
        shutil.copy(demo_db_master, db)
        before = _sha(db)
        r = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True)
        assert r.returncode == 0, r.stderr
        ok = _csm("metric", "nps", "--db", str(db))
        assert ok.returncode == 0 and ok.stdout.startswith("["), ok.stderr[-1500:]
        csv = tmp_path / "accounts.csv"
        csv.write_text("account_id,name,signup_date\nRO1,New,2025-01-01\n")
        r = _csm("load", "accounts", str(csv), "--mode", "append", "--db", str(db))
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-1500:]
        assert "read-only" in r.stderr and "damaged" not in r.stderr, r.stderr
        assert _sha(db) == before


def _events(path: Path, rows: int, encoding: str, accounts: list[str]) -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write("account_id,user_id,occurred_at,feature,duration_seconds\n")
        for i in range(rows):
            f.write(f"{accounts[i % len(accounts)]},u{i % 997},2026-05-{1 + i % 28:02d} "
                    f"10:{i % 60:02d}:00,Société {i % 13},{i % 300}\n")


def test_a_full_disk_leaves_the_old_state_says_no_space_and_leaves_no_file(
        demo_db_master, tmp_path):
    con = duckdb.connect(str(demo_db_master), read_only=True)
    accounts = [r[0] for r in con.execute("SELECT account_id FROM accounts LIMIT 50").fetchall()]
    con.close()
    utf8, latin1 = tmp_path / "events.csv", tmp_path / "events_latin1.csv"
    _events(utf8, 400_000, "utf-8", accounts)
    _events(latin1, 400_000, "latin-1", accounts)
    size = demo_db_master.stat().st_size
    with _tmpfs(tmp_path / "full", f"{size // 1024 + 3 * 1024}k") as mnt:
        db = mnt / "csm.duckdb"
        shutil.copy(demo_db_master, db)
        before = _checksums(db)
        for f in (utf8, latin1):
            r = _csm("load", "usage_events", str(f), "--db", str(db))
            assert r.returncode == 1, r.stdout[-500:]
            assert "Traceback" not in r.stderr, r.stderr[-1500:]
            assert "no space left on device" in r.stderr, r.stderr[-800:]
            assert "Another load" not in r.stderr
            assert _checksums(db) == before
        left = [p.name for p in mnt.rglob("*") if p.is_file()
                and not p.name.endswith((".lock", ".gate", ".wal"))
                and p.name != "csm.duckdb"]
        assert left == [], f"left behind: {left}"
