"""The one-pass load of a clean file (replace mode, no ids to check: usage_events) gives exactly
what the staged path gives, and a file with a problem anywhere still changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from metrics import rollup
from metrics.ingest import load_file, pipeline

HEAD = "account_id,user_id,occurred_at,feature,duration_seconds\n"
N = 3000
BAD = 2700  # the 2,700th data row: line 2,701


def _events(path: Path, problem: str | None = None) -> Path:
    base = dt.datetime(2024, 4, 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEAD)
        for i in range(1, N + 1):
            ts = (base + dt.timedelta(minutes=37 * i)).strftime("%Y-%m-%d %H:%M:%S")
            dur = str(i % 600) if i % 7 else ""
            feature = "" if i % 11 == 0 else f"f{i % 5}"
            user, extra = f"u{i % 97}", ""
            if i == BAD:
                if problem == "unparseable date":
                    ts = "2024-04-31 25:61:00"
                elif problem == "negative duration":
                    dur = "-3"
                elif problem == "empty user":
                    user = " "
                elif problem == "ragged row":
                    extra = ",surplus"
            f.write(f"A{i % 13:02d},{user},{ts},{feature},{dur}{extra}\n")
    return path


def _state(store) -> tuple:
    cur = store.cursor()
    try:
        return tuple(
            cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("usage_events", *rollup.ROLLUP_TABLES, "data_version")
        )
    finally:
        cur.close()


def _rollups(store) -> tuple:
    cur = store.cursor()
    try:
        return tuple(cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                     for t in rollup.ROLLUP_TABLES)
    finally:
        cur.close()


@pytest.fixture
def loaded(store):
    """A store holding one earlier usage file (appended through the staged path)."""
    first = store.uploads / "first.csv"
    first.write_text(HEAD + "B1,x1,2023-01-02 03:04:05,api,5\nB2,x2,2023-02-03 04:05:06,,\n")
    assert load_file(store, "usage_events", first).outcome == "loaded"
    return store


def test_a_clean_replace_load_takes_the_one_pass_path_and_matches_the_staged_one(
        loaded, monkeypatch):
    store = loaded
    path = _events(store.uploads / "events.csv")
    calls = []
    real = pipeline._load_clean
    monkeypatch.setattr(pipeline, "_load_clean",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    res = load_file(store, "usage_events", path, mode="replace")
    assert calls and res.outcome == "loaded", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (N, N, 0)
    assert res.orphans == 13 and res.orphan_account_ids[0] == "A00"
    assert res.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    one_pass = _state(store)
    rolled = _rollups(store)
    cur = store.cursor()
    assert cur.execute("SELECT outcome, rows_in_file, rows_loaded, orphans, sha256 FROM loads "
                       "WHERE load_id = ?", [res.load_id]).fetchall() == [
        ("loaded", N, N, 13, res.sha256)]
    rollup.refresh(cur)  # the rollups equal a full rebuild
    cur.close()
    assert _rollups(store) == rolled

    # The same file through the staged path gives the same tables.
    monkeypatch.setattr(pipeline, "_clean_path_applies", lambda *a: False)
    again = load_file(store, "usage_events", path, mode="replace")
    assert again.to_dict() | {"load_id": 0} == res.to_dict() | {"load_id": 0}
    assert _state(store)[:-1] == one_pass[:-1]


@pytest.mark.parametrize(
    "problem", ["unparseable date", "negative duration", "empty user", "ragged row"])
def test_a_replace_load_with_one_bad_row_changes_nothing_and_reports_its_line(loaded, problem):
    store = loaded
    before = _state(store)
    res = load_file(store, "usage_events", _events(store.uploads / "bad.csv", problem),
                    mode="replace")
    assert res.outcome == "rejected", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (N, 0, N)
    assert res.rows_with_problems == 1
    assert [r["line"] for r in res.rejects] == [BAD + 1]
    assert _state(store) == before
    cur = store.cursor()
    assert cur.execute("SELECT outcome FROM loads ORDER BY load_id DESC LIMIT 1").fetchall() == [
        ("rejected",)]
    cur.close()


def test_allow_rejects_on_a_replace_load_keeps_the_other_rows(loaded):
    store = loaded
    res = load_file(store, "usage_events", _events(store.uploads / "bad.csv", "unparseable date"),
                    mode="replace", allow_rejects=True)
    assert res.outcome == "loaded_with_rejects", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (N, N - 1, 1)
    cur = store.cursor()
    assert cur.execute("SELECT count(*) FROM usage_events").fetchone()[0] == N - 1
    rolled = _rollups(store)
    rollup.refresh(cur)
    cur.close()
    assert _rollups(store) == rolled


NUMBER_TEXTS = ["12", " 7 ", "+5", "-3.25", "5.", ".5", "1e3", "1_000", "nan", "inf", "-inf",
                "0x10", "$5", "-$3", "€ 5", "£1,200.50", "$1,200.50", "1,200", "12,345.6",
                "1,2", "1,20", "$-5", "abc", "", "1.2.3", "1,234,567"]


def test_a_number_parses_as_the_regular_expressions_alone_parse_it():
    # The direct cast tried first must never give another value than the cleaning would.
    import duckdb

    from metrics.ingest.validate import _number

    cleaned = (
        "TRY_CAST(CASE WHEN regexp_full_match(s, '[-+]?[$€£]?\\s*\\d{1,3}(,\\d{3})+(\\.\\d+)?') "
        "THEN regexp_replace(s, '[$€£,\\s]', '', 'g') "
        "ELSE regexp_replace(s, '^([-+]?)[$€£]\\s*', '\\1') END AS DOUBLE)"
    )
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT s, CAST({_number('s')} AS VARCHAR), CAST({cleaned} AS VARCHAR) "
        "FROM unnest($t) AS x(s)", {"t": NUMBER_TEXTS}).fetchall()
    assert [r for r in rows if r[1] != r[2]] == []
    assert dict((r[0], r[1]) for r in rows)["$1,200.50"] == "1200.5"


def test_the_typed_sql_parses_each_value_once(tmp_path, store):
    """The checks read each column's clean text and typed value by name: the parsing is
    written once per column, not once per check (a load cost 3x DuckDB's read when it was)."""
    from metrics.ingest.plan import _prepare, _typed_sql

    f = _events(tmp_path / "events.csv")
    plan = _prepare("usage_events", f, None, None, None, store.uploads, None, None, None,
                    None, tickets=lambda: None, name=f.name)
    sql = _typed_sql(plan, False)
    assert sql.count("nfc_normalize(") == 2  # account_id and user_id
    assert sql.count("AS TIMESTAMPTZ)") == 1  # occurred_at
    assert sql.count("AS DOUBLE)") == 2  # duration_seconds: the direct cast and the cleaned one
    # the null-marker test of each of the five columns, and in the reason of the three required
    # ones (built only for a row whose check failed)
    assert sql.count("upper(trim(") == 5 + 3
