"""Who may open the database when (metrics/locks.py, metrics/shared.py), across real processes:
readers together, a writer alone and told what it waits for, a waiting writer served before
readers that come after it, and within one process a lingering read that gives way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from metrics.locks import file_lock
from metrics.shared import SharedStore
from metrics.store import Store

REPO = Path(__file__).resolve().parents[2]
TICKET = ("ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,"
          "channel,priority\nL1,ACC1,2026-06-01 09:00,2026-06-01 10:00,,1,false,email,P2\n")


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "data" / "csm.duckdb"
    store = Store(path)
    store.cursor().execute("INSERT INTO accounts (account_id, name, signup_date) "
                           "VALUES ('ACC1', 'One', DATE '2025-01-01')")
    store.close()
    return path


def csm(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "csm.cli", *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, CSM_LOCK_WAIT="120"))


def _until(cond, what: str, timeout: float = 120) -> None:
    """Wait for a state (not a duration): poll `cond` until it is true."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _tickets(shared: SharedStore) -> int:
    with shared.read() as store:
        return store.cursor().execute("SELECT count(*) FROM tickets").fetchone()[0]


def test_another_process_reads_while_this_one_reads(db):
    shared = SharedStore(db, linger=0)
    with shared.read():
        p = csm("metric", "mrr", "--db", str(db))
        out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert isinstance(json.loads(out), list) and "waiting" not in err


def test_a_load_waits_for_a_read_says_so_and_lands_after_it(db, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text(TICKET)
    shared = SharedStore(db, linger=0)
    lock = file_lock(db)
    version = shared.data_version()
    with shared.read():
        p = csm("load", "tickets", str(csv), "--db", str(db))
        _until(lock.writer_waiting, "the load to queue for the database")
        assert p.poll() is None  # it waits while we read
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "waiting for the processes reading it" in err
    assert json.loads(out)["rows_loaded"] == 1
    assert _tickets(shared) == 1 and shared.data_version() > version


def test_a_waiting_writer_goes_before_a_reader_that_comes_after_it(db, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text(TICKET)
    shared = SharedStore(db, linger=30)  # a long linger: the writer must still get in
    lock = file_lock(db)
    seen: list[int] = []
    with shared.read():
        p = csm("load", "tickets", str(csv), "--db", str(db))
        _until(lock.writer_waiting, "the load to queue for the database")
    # A new read after the writer asked: it lets the lingering open go and queues behind it.
    t = threading.Thread(target=lambda: seen.append(_tickets(shared)))
    t.start()
    t.join(timeout=120)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert seen == [1]
    shared.close()


def test_a_lingering_read_gives_way_to_a_writer_of_the_same_process(db):
    shared = SharedStore(db, linger=60)
    assert _tickets(shared) == 0  # the read-only open now lingers for a minute
    assert file_lock(db).mode == "shared"
    store = Store(db)  # read-write in the same process: the idle read is closed first
    store.cursor().execute("INSERT INTO tickets (ticket_id, account_id, created_at) VALUES "
                           "('X1', 'ACC1', TIMESTAMP '2026-06-01 09:00')")
    store.close()
    assert _tickets(shared) == 1
    shared.close()


def test_a_write_inside_a_read_of_the_same_thread_is_refused(db):
    shared = SharedStore(db, linger=0)
    with shared.read():
        with pytest.raises(RuntimeError, match="wait for itself"):
            with shared.write():
                pass
        with pytest.raises(RuntimeError, match="cannot also take it exclusive"):
            Store(db)


def test_a_writer_file_left_by_a_dead_process_is_not_named(db):
    lock = file_lock(db)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    lock.writer_path.write_text(f"csm load tickets (pid {dead})\n")
    assert lock.holder() == ""
    lock.writer_path.write_text(f"csm load tickets (pid {os.getpid()})\n")
    assert lock.holder() == f"csm load tickets (pid {os.getpid()})"
    lock.writer_path.unlink()
