"""No accidental wipe, and undo of any load: a replace that would remove stored accounts is
refused until confirmed, saying what it removes; an undone load leaves every table's checksum
exactly as before it (rows, custom attributes and usage rollups); undo goes newest first and
refuses what it cannot do; every load, undo and change is in the audit trail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import alerts, audit, demo, goals
from metrics.ingest import load_file, undo
from metrics.schema import TABLES
from metrics.store import Store

REPO = Path(__file__).resolve().parents[2]
DATA_TABLES = [*TABLES, "account_attributes", "usage_daily", "usage_monthly", "alert_rules"]

THREE_ACCOUNTS = ("account_id,name,segment,region,signup_date,tier\n"
                  "A00001,One,SMB,EMEA,2025-01-01,gold\nA00002,Two,SMB,EMEA,2025-01-01,\n"
                  "A00003,Three,SMB,EMEA,2025-01-01,silver\n")
TICKETS = ("ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,"
           "channel,priority\n"
           "U1,A00001,2026-06-01 09:00,2026-06-01 10:00,,1,false,email,P2\n"
           "U2,A00002,2026-06-02 09:00,2026-06-02 09:30,2026-06-02 11:00,2,true,chat,P1\n")
EVENTS = ("account_id,user_id,occurred_at,feature,duration_seconds\n"
          "A00001,u1,2026-06-29 09:00,reports,60\nA00001,u1,2026-06-29 09:00,reports,60\n"
          "A00002,u9,2026-05-02 10:00,export,\n")


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("undo_master") / "csm.duckdb"
    store = Store(path)
    demo.generate(store, size="small", end=date(2026, 6, 30))
    store.close()
    return path


@pytest.fixture
def db(master, tmp_path) -> Path:
    dst = tmp_path / "data" / "csm.duckdb"
    dst.parent.mkdir()
    shutil.copy(master, dst)
    return dst


@pytest.fixture
def store(db):
    s = Store(db)
    yield s
    s.close()


def state(cur) -> dict:
    """Return every data table's row count and an order-free checksum of its rows (the sum of
    the rows' hashes: equal only for the same rows, each as often)."""
    out = {}
    for t in DATA_TABLES:
        n, h = cur.execute(f"SELECT count(*), sum(hash(x)::HUGEINT) FROM {t} x").fetchone()
        out[t] = (n, h)
    return out


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_replace_that_removes_accounts_is_refused_until_confirmed_and_undone_exactly(
        store, tmp_path):
    cur = store.cursor()
    before = state(cur)
    path = _file(store.path.parent, "three.csv", THREE_ACCOUNTS)
    res = load_file(store, "accounts", path)  # replace is the accounts table's default
    assert res.outcome == "refused" and not res.ok, res.message
    impact = res.replace_removes
    assert impact, res.message
    assert impact["removed"] == before["accounts"][0] - 3 and impact["stored"] == 500
    assert impact["sample"][:2] == ["A00004", "A00005"]
    n_subs = cur.execute("SELECT count(*) FROM subscriptions WHERE account_id NOT IN "
                         "('A00001', 'A00002', 'A00003')").fetchone()[0]
    assert impact["orphaned"]["subscriptions"] == n_subs > 0
    assert f"would remove {impact['removed']:,} of its 500 rows" in res.message
    assert "Nothing was changed" in res.message and "--confirm-replace" in res.message
    assert state(cur) == before

    res = load_file(store, "accounts", path, confirm_replace=True)
    assert res.ok and res.rows_loaded == 3
    assert cur.execute("SELECT count(*) FROM accounts").fetchone()[0] == 3
    assert cur.execute("SELECT count(*) FROM account_attributes WHERE attribute = 'tier'"
                       ).fetchone()[0] == 3
    done = undo.undo(cur, res.load_id, "tester")
    assert done["rows_before"] == 3 and done["rows_after"] == 500
    assert state(cur) == before
    assert cur.execute("SELECT outcome, undone_by FROM loads WHERE load_id = ?",
                       [res.load_id]).fetchone() == ("undone", "tester")


def test_a_replace_that_keeps_every_account_needs_no_confirmation(store, tmp_path):
    cur = store.cursor()
    full = cur.execute("SELECT account_id, name, segment, region, signup_date FROM accounts"
                       ).df()
    path = store.path.parent / "all.csv"
    full.to_csv(path, index=False)
    res = load_file(store, "accounts", path)
    assert res.ok and res.replace_removes["removed"] == 0


@pytest.mark.parametrize(("table", "text"), [("tickets", TICKETS), ("usage_events", EVENTS)],
                         ids=["tickets (an id)", "usage_events (no id, rollups)"])
@pytest.mark.parametrize("mode", ["append", "replace"])
def test_undo_puts_every_table_back_exactly(store, tmp_path, table, text, mode):
    cur = store.cursor()
    before = state(cur)
    res = load_file(store, table, _file(store.path.parent, f"{table}.csv", text), mode=mode)
    assert res.ok, res.message
    assert state(cur) != before
    undo.undo(cur, res.load_id, "tester")
    assert state(cur) == before


def test_an_append_of_accounts_with_custom_attributes_is_undone_exactly(store, tmp_path):
    cur = store.cursor()
    before = state(cur)
    text = ("account_id,name,segment,region,signup_date,tier\n"
            "N1,New one,SMB,EMEA,2026-06-01,gold\nA00001,Dup,SMB,EMEA,2025-01-01,x\n")
    res = load_file(store, "accounts", _file(store.path.parent, "more.csv", text), mode="append")
    assert res.ok and res.rows_loaded == 1 and res.rows_skipped_duplicate == 1
    undo.undo(cur, res.load_id, "tester")
    assert state(cur) == before


def test_undo_goes_newest_first_and_refuses_what_it_cannot_do(store, tmp_path):
    cur = store.cursor()
    before = state(cur)
    first = load_file(store, "tickets", _file(store.path.parent, "a.csv", TICKETS))
    other = TICKETS.replace("U1", "V1").replace("U2", "V2")
    second = load_file(store, "tickets", _file(store.path.parent, "b.csv", other))
    assert first.ok and second.ok
    with pytest.raises(undo.UndoRefused, match=f"undo {second.load_id} first"):
        undo.undo(cur, first.load_id, "tester")
    assert undo.undoable(cur)[first.load_id] == f"undo load {second.load_id} first"
    assert second.load_id not in undo.undoable(cur)
    undo.undo(cur, second.load_id, "tester")
    with pytest.raises(undo.UndoRefused, match="undone already"):
        undo.undo(cur, second.load_id, "tester")
    undo.undo(cur, first.load_id, "tester")
    assert state(cur) == before
    # An undone load no longer counts as loaded: the same file may be appended again.
    again = load_file(store, "tickets", store.path.parent / "a.csv")
    assert again.ok
    refused = load_file(store, "tickets", _file(store.path.parent, "bad.csv", "nonsense\n1\n"))
    with pytest.raises(undo.UndoRefused, match="changed nothing"):
        undo.undo(cur, refused.load_id, "tester")
    demo_load = cur.execute("SELECT min(load_id) FROM loads").fetchone()[0]
    with pytest.raises(undo.UndoRefused):
        undo.undo(cur, demo_load, "tester")
    with pytest.raises(undo.UndoRefused, match="no load 9999"):
        undo.undo(cur, 9999, "tester")


def test_targets_changed_after_their_load_are_not_undone_silently(store, tmp_path):
    cur = store.cursor()
    text = "metric,segment,period_start,period_end,target,note\nnps,,2026-07-01,2026-10-01,40,\n"
    res = load_file(store, "targets", _file(store.path.parent, "t.csv", text))
    assert res.ok
    frame = goals.read_targets(cur)
    frame.loc[0, "target"] = 45
    assert goals.save_targets(cur, frame, who="lead@example.com") == []
    with pytest.raises(undo.UndoRefused, match="targets by lead@example.com"):
        undo.undo(cur, res.load_id, "tester")


def test_only_the_newest_loads_of_a_table_keep_their_snapshot(store, tmp_path, monkeypatch):
    monkeypatch.setattr(undo, "KEEP", 2)
    cur = store.cursor()
    ids = []
    for i in range(3):
        text = TICKETS.replace("U1", f"K{i}a").replace("U2", f"K{i}b")
        ids.append(load_file(store, "tickets", _file(store.path.parent, f"k{i}.csv", text)).load_id)
    kept = {r[0] for r in cur.execute("SELECT load_id FROM load_snapshots").fetchall()}
    assert ids[0] not in kept and {ids[1], ids[2]} <= kept
    snapshots = {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_name LIKE 'undo_l%'").fetchall()}
    assert not any(s.startswith(f"undo_l{ids[0]}_") for s in snapshots)


def test_the_audit_trail_records_loads_undos_targets_and_rules(store, tmp_path):
    cur = store.cursor()
    res = load_file(store, "tickets", _file(store.path.parent, "a.csv", TICKETS),
                    loaded_by="ana@example.com")
    undo.undo(cur, res.load_id, "lead@example.com")
    rules = alerts.read_rules(cur)
    rules = pd.concat([rules, pd.DataFrame([{"kind": "threshold", "metric": "nps",
                                             "op": "below", "threshold": 10}])])
    assert alerts.save_rules(cur, rules, who="ana@example.com") == []
    ev = audit.events(cur)
    assert ev[["who", "action", "subject"]].values.tolist()[:3] == [
        ["ana@example.com", "alert_rule", "alert_rules"],
        ["lead@example.com", "undo", "tickets"],
        ["ana@example.com", "load", "tickets"]]
    assert f"load {res.load_id}" in ev["detail"].iloc[2]


def csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], cwd=REPO, text=True,
                          capture_output=True, timeout=300, env=dict(os.environ))


def test_the_command_line_confirms_a_replace_undoes_it_and_prints_the_audit(db, tmp_path):
    path = _file(tmp_path, "three.csv", THREE_ACCOUNTS)
    r = csm("load", "accounts", str(path), "--db", str(db))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["outcome"] == "refused" and doc["replace_removes"]["removed"] == 497
    assert "would remove 497 of its 500 rows" in r.stderr
    r = csm("load", "accounts", str(path), "--db", str(db), "--confirm-replace")
    assert r.returncode == 0, r.stderr
    load_id = json.loads(r.stdout)["load_id"]
    r = csm("undo", str(load_id), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows_after"] == 500
    r = csm("undo", str(load_id), "--db", str(db))
    assert r.returncode == 1 and "undone already" in r.stderr
    r = csm("audit", "--db", str(db))
    assert r.returncode == 0, r.stderr
    # the demo's own seeded work (tasks, notes, plays) is audited as done by "csm demo"
    assert [e["action"] for e in json.loads(r.stdout) if e["who"] != "csm demo"] == [
        "undo", "load"]


def test_a_snapshot_row_naming_anything_else_is_refused_and_changes_nothing():
    # the names in load_snapshots go into SQL as identifiers: only our own are accepted
    from metrics.ingest import undo

    bad = [("accounts", "replaced", "undo_l1_before_accounts; DROP TABLE tickets"),
           ("accounts; DROP TABLE x", "replaced", "undo_l1_before_accounts"),
           ("usage_rollups", "evil", "undo_l1_days_usage_daily")]
    for row in bad:
        with pytest.raises(undo.UndoRefused):
            undo._kept([row])
    good = [("accounts", "replaced", "undo_l3_before_accounts"),
            ("usage_daily", "replaced", "undo_l3_before_usage_daily"),
            ("usage_rollups", "days", "undo_l3_days_usage_daily")]
    assert undo._kept(good) == good
