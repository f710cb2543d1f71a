"""Loads at the same time from several processes and sessions: every load succeeds (or waits,
and is told so), no read ever sees part of a load, and after every round each session's rows
are exactly what it loaded (tests/unit/load_worker.py does the work in separate processes).

2 sessions: one `csm load` process and one browser-like session of a dashboard process, 20
rounds each (the long run); 10 sessions: four `csm load` processes and six sessions sharing one
dashboard process, 6 rounds each (every session still loads while nine others wait or load: 60
loads all contended, where 200 proved nothing more at four times the cost). A reader process
reads all along.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.store import Store
from tests.unit import load_worker

REPO = Path(__file__).resolve().parents[2]


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "csm.duckdb"
    store = Store(db)
    cur = store.cursor()
    cur.execute("INSERT INTO accounts (account_id, name, signup_date) "
                "VALUES (?, 'One', DATE '2025-01-01')", [load_worker.ACCOUNT])
    cur.close()
    store.close()
    return db


def _spawn(db: Path, name: str, kind: str, sessions: int, out: Path,
           rounds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.unit.load_worker", str(db), name, str(rounds), kind,
         str(sessions), str(out)], cwd=REPO, env=dict(os.environ, CSM_LOCK_WAIT="600"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize(("cli_processes", "dashboard_sessions", "rounds"),
                         [(1, 1, 20), (4, 6, 6)], ids=["2-sessions", "10-sessions"])
def test_concurrent_loads_all_land_whole(tmp_path, cli_processes, dashboard_sessions, rounds):
    db = _db(tmp_path)
    reader_out = tmp_path / "reader.json"
    reader = _spawn(db, "reader", "reader", 1, reader_out, rounds)
    outs, procs = [], []
    for i in range(cli_processes):
        outs.append(tmp_path / f"cli{i}.json")
        procs.append(_spawn(db, f"C{i}", "cli", 1, outs[-1], rounds))
    outs.append(tmp_path / "dash.json")
    procs.append(_spawn(db, "D", "dashboard", dashboard_sessions, outs[-1], rounds))
    for p in procs:
        _, err = p.communicate(timeout=1800)
        assert p.returncode == 0, err.decode()[-2000:]
    Path(str(reader_out) + ".stop").touch()
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err.decode()[-2000:]

    results = [json.loads(o.read_text()) for o in outs]
    read = json.loads(reader_out.read_text())
    errors = [e for r in results + [read] for e in r["errors"]]
    assert errors == []
    sessions = cli_processes + dashboard_sessions
    assert sum(r["rounds"] for r in results) == sessions * rounds
    assert read["reads"] > 0
    # Every row of every session is there once: the whole table is the union of all rounds.
    names = [f"C{i}" for i in range(cli_processes)] + [f"Ds{s}" for s in range(
        dashboard_sessions)]
    want = {r for n in names for k in range(rounds) for r in load_worker.ticket_rows(n, k)}
    store = Store(db, read_only=True)
    try:
        cur = store.cursor()
        got = cur.execute("SELECT ticket_id, contacts FROM tickets").fetchall()
        loads = cur.execute("SELECT count(*) FROM loads WHERE outcome = 'loaded'").fetchone()[0]
    finally:
        store.close()
    assert sorted(got) == sorted(want) and len(got) == len(want)
    assert loads == sessions * rounds
    waits = sorted(s for r in results for s in r["load_s"])
    print(f"\n{sessions} sessions x {rounds} rounds: {len(waits)} loads, median "
          f"{waits[len(waits) // 2]:.2f} s, longest {waits[-1]:.2f} s (with waiting), "
          f"{read['reads']} reads by the reader, "
          f"{sum(r['told_to_wait'] for r in results)} csm loads told to wait")
