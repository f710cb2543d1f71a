"""Nothing lost, nothing half-done: a killed load and two concurrent loads (QUALITY.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from metrics.ingest import load_file
from metrics.store import Store

N = 300_000


def _usage_csv(path, n=N):
    with open(path, "w") as f:
        f.write("account_id,user_id,occurred_at,feature,duration_seconds\n")
        for i in range(n):
            f.write(f"A{i % 50},u{i % 7},2026-01-{1 + i % 28:02d} 10:{i % 60:02d}:00,"
                    f"reports,{i % 300}\n")


def _count(db, table="usage_events"):
    s = Store(db)
    try:
        c = s.cursor()
        return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        s.close()


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0])
def test_killing_a_load_leaves_the_old_or_the_new_state_never_a_mix(tmp_path, delay):
    db = tmp_path / "data" / "csm.duckdb"
    csv_path = tmp_path / "usage.csv"
    _usage_csv(csv_path)
    Store(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "csm.cli", "load", "usage_events", str(csv_path), "--db",
         str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        for line in proc.stderr:  # wait until the write phase starts, then kill hard
            if "writing" in line or time.monotonic() > deadline:
                break
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert _count(db) in (0, N)


def test_two_loads_at_once_both_succeed_or_one_is_told_to_retry(tmp_path):
    store = Store(tmp_path / "data" / "csm.duckdb")
    files = []
    for k in range(2):
        p = store.uploads / f"t{k}.csv"
        rows = "".join(f"K{k}-{i},A1,2026-01-01 09:00\n" for i in range(20_000))
        p.write_text("ticket_id,account_id,created_at\n" + rows)
        files.append(p)
    results = [None, None]

    def run(k):
        results[k] = load_file(store, "tickets", files[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    loaded = sum(r.rows_loaded for r in results if r.ok)
    for r in results:
        assert r.ok or "retry" in r.message.lower()
    cur = store.cursor()
    assert cur.execute("SELECT count(*) FROM tickets").fetchone()[0] == loaded
    store.close()
