"""Excel, Parquet and JSON lines files load like CSV: the demo tables written in each format
and loaded into an empty database give the same metric output as the CSV files; a broken row is
refused with its row-level reason; a sheet is chosen by name."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics import demo, registry
from metrics.ingest import load_file
from metrics.query import Query
from metrics.store import Store

TABLES = ["accounts", "subscriptions", "tickets", "survey_responses"]
METRICS = ["mrr", "logo_churn", "support", "nps", "csat"]
Q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), grain="month")


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The demo tables as frames (the small set, ending 2026-06-30)."""
    store = Store(tmp_path_factory.mktemp("fmt_master") / "csm.duckdb")
    try:
        demo.generate(store, size="small", end=date(2026, 6, 30))
        cur = store.cursor()
        return {t: cur.execute(f"SELECT * FROM {t}").df() for t in TABLES}
    finally:
        store.close()


def _write(df: pd.DataFrame, path: Path, kind: str) -> None:
    if kind == "csv":
        df.to_csv(path, index=False)
    elif kind == "parquet":
        df.to_parquet(path, index=False)
    elif kind == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for rec in df.to_dict("records"):
                f.write(json.dumps({k: _json(v) for k, v in rec.items()}) + "\n")
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        wb.save(path)


def _json(v):
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def _cell(v):
    v = _json(v)
    if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
        try:
            return datetime.fromisoformat(v)
        except ValueError:
            return v
    return v


def _metrics_after_loading(frames, folder: Path, kind: str) -> dict[str, pd.DataFrame]:
    store = Store(folder / "data" / "csm.duckdb")
    try:
        for t in TABLES:
            path = store.uploads / f"{t}.{ 'xlsx' if kind == 'xlsx' else kind}"
            _write(frames[t], path, kind)
            res = load_file(store, t, path)
            assert res.ok and res.rows_loaded == len(frames[t]), (kind, t, res.message,
                                                                  res.rejects[:3])
        cur = store.cursor()
        return {m: registry.compute(cur, m, Q) for m in METRICS}
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["xlsx", "parquet", "jsonl"])
def test_each_format_round_trips_the_demo_tables_to_the_same_metrics(frames, tmp_path, kind):
    want = _metrics_after_loading(frames, tmp_path / "csv", "csv")
    got = _metrics_after_loading(frames, tmp_path / kind, kind)
    for m in METRICS:
        pd.testing.assert_frame_equal(got[m], want[m], check_exact=False, rtol=1e-12, obj=m)


def test_a_broken_row_in_a_workbook_is_refused_with_its_row_number(store):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Notes"
    data = wb.create_sheet("Tickets")
    data.append(["ticket_id", "account_id", "created_at", "contacts"])
    data.append(["X1", "A1", datetime(2026, 6, 1, 9, 0), 1.0])
    data.append(["X2", "A1", "not a date", 2])
    path = store.uploads / "t.xlsx"
    wb.save(path)
    res = load_file(store, "tickets", path, sheet="Tickets")
    assert res.outcome == "rejected"
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (3, "created_at", "not a date")]
    res = load_file(store, "tickets", path)  # the first sheet, empty
    assert res.outcome == "refused" and "the sheet 'Notes' is empty" in res.message
    res = load_file(store, "tickets", path, sheet="Nope")
    assert res.outcome == "refused" and "no sheet 'Nope'" in res.message


def test_a_json_line_that_is_not_json_refuses_the_file_and_names_the_line(store):
    path = store.uploads / "events.jsonl"
    path.write_text('{"account_id": "A1", "user_id": "u", "occurred_at": "2026-06-01"}\n'
                    '{"account_id": "A1", oops}\n')
    res = load_file(store, "usage_events", path)
    assert res.outcome == "refused" and "line 2: not JSON" in res.message


def test_nested_json_is_flattened_one_level_per_dot(store):
    path = store.uploads / "mixpanel.jsonl"
    path.write_text('{"event": "report", "properties": {"distinct_id": "u1", "time": '
                    '"2026-06-01 10:00:00", "account": "A1", "tags": ["a", "b"]}}\n')
    res = load_file(store, "usage_events", path, mapping={
        "account_id": "properties.account", "user_id": "properties.distinct_id",
        "occurred_at": "properties.time", "feature": "event"})
    assert res.ok, res.message
    assert store.cursor().execute("SELECT account_id, user_id, feature FROM usage_events"
                                  ).fetchall() == [("A1", "u1", "report")]
