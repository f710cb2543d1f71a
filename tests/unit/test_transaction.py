"""`store.transaction(cur)`: the one place a write transaction begins and ends (QUALITY.md:
rollback runs in finally), on a real DuckDB file; and the demo's load recorded like an import's."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from metrics import demo
from metrics.ingest import load_file
from metrics.store import NestedTransactionError, Store, transaction

METRICS = Path(__file__).resolve().parents[2] / "metrics"


class StopScript(BaseException):
    """Like Streamlit's StopException: not an Exception subclass."""


@pytest.fixture
def cur(tmp_path):
    store = Store(tmp_path / "tx.duckdb")
    c = store.cursor()
    c.execute("CREATE TABLE t (x INTEGER)")
    yield c
    c.close()
    store.close()


def _rows(cur) -> list[int]:
    return [r[0] for r in cur.execute("SELECT x FROM t ORDER BY x").fetchall()]


def test_a_block_that_ends_normally_is_committed_and_yields_the_cursor(tmp_path):
    path = tmp_path / "commit.duckdb"
    store = Store(path)
    c = store.cursor()
    c.execute("CREATE TABLE t (x INTEGER)")
    with transaction(c) as inside:
        assert inside is c
        c.execute("INSERT INTO t VALUES (1), (2)")
    c.close()
    store.close()
    again = Store(path)  # committed: the rows are in the file, seen by a new connection
    try:
        assert _rows(again.cursor()) == [1, 2]
    finally:
        again.close()


@pytest.mark.parametrize("stop", [RuntimeError("boom"), KeyboardInterrupt(), StopScript()],
                         ids=["Exception", "KeyboardInterrupt", "BaseException subclass"])
def test_any_other_exit_rolls_back_and_the_exception_goes_on(cur, stop):
    cur.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(type(stop)), transaction(cur):
        cur.execute("INSERT INTO t VALUES (2)")
        raise stop
    assert _rows(cur) == [1]
    with transaction(cur):  # the cursor is usable afterwards: no transaction left open
        cur.execute("INSERT INTO t VALUES (3)")
    assert _rows(cur) == [1, 3]


def test_a_failed_statement_rolls_back_the_statements_before_it(cur):
    with pytest.raises(duckdb.Error), transaction(cur):
        cur.execute("INSERT INTO t VALUES (1)")
        cur.execute("INSERT INTO no_such_table VALUES (1)")
    assert _rows(cur) == []


def test_a_failed_commit_raises_and_leaves_nothing(tmp_path):
    store = Store(tmp_path / "conflict.duckdb")
    a, b = store.cursor(), store.cursor()
    a.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.TransactionException), transaction(a):
        a.execute("INSERT INTO t VALUES (1)")
        with transaction(b):  # another session commits the same key first
            b.execute("INSERT INTO t VALUES (1)")
    assert _rows(a) == [1]
    with transaction(a):  # no transaction left open on `a`
        a.execute("INSERT INTO t VALUES (2)")
    assert _rows(a) == [1, 2]
    store.close()


def test_nesting_is_refused_clearly_and_the_outer_transaction_still_rolls_back(cur):
    with pytest.raises(NestedTransactionError, match="nest"), transaction(cur):
        cur.execute("INSERT INTO t VALUES (1)")
        with transaction(cur):
            cur.execute("INSERT INTO t VALUES (2)")
    assert _rows(cur) == []


def test_no_module_but_the_store_writes_its_own_begin():
    hits = []
    for p in sorted(METRICS.rglob("*.py")):
        if p == METRICS / "store.py":
            continue
        text = p.read_text(encoding="utf-8")
        if "BEGIN TRANSACTION" in text or re.search(r"['\"]BEGIN\b", text):
            hits.append(str(p.relative_to(METRICS)))
    assert hits == [], f"use metrics.store.transaction() instead of BEGIN in {hits}"
    assert "BEGIN TRANSACTION" in (METRICS / "store.py").read_text(encoding="utf-8")


def test_the_demo_load_is_recorded_by_the_imports_own_step(tmp_path, monkeypatch):
    from metrics.ingest import record

    seen = []
    real = record.record_load
    monkeypatch.setattr(record, "record_load",
                        lambda cur, res, *a, **k: seen.append(res.table) or real(cur, res, *a, **k))
    store = Store(tmp_path / "demo.duckdb")
    try:
        demo.generate(store, "small", end=date(2026, 1, 31))
        f = tmp_path / "a.csv"
        f.write_text("account_id,name,signup_date\nZ1,Zed,2026-01-02\n")
        assert load_file(store, "accounts", f, mode="append").ok
        assert seen == ["all", "accounts"]
    finally:
        store.close()


def test_an_after_load_hook_runs_once_after_a_successful_load_only(tmp_path):
    store = Store(tmp_path / "hook.duckdb")
    calls, notes = [], []

    def hook(s, load_id):
        calls.append((s, load_id))
        return "checked"

    try:
        good = tmp_path / "good.csv"
        good.write_text("account_id,name,signup_date\nA1,Acme,2026-01-02\n")
        res = load_file(store, "accounts", good, after_load=hook,
                        progress=lambda f, m: notes.append(m))
        assert res.ok and calls == [(store, res.load_id)] and "checked" in notes
        bad = tmp_path / "bad.csv"
        bad.write_text("name\nno id\n")
        assert not load_file(store, "accounts", bad, after_load=hook).ok
        assert len(calls) == 1

        def broken(s, load_id):
            raise RuntimeError("hook on fire")

        notes.clear()
        res = load_file(store, "accounts", good, after_load=broken,
                        progress=lambda f, m: notes.append(m))
        assert res.ok and any("hook on fire" in n for n in notes)
    finally:
        store.close()
