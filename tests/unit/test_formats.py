"""Excel, Parquet and JSON lines files load like CSV: every demo table written in each format
and loaded into an empty database gives the same `csm metric` output (and the same targets) as
the CSV files; a broken row is refused with its row-level reason; a sheet is chosen by name; a
workbook over the size cap is refused."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csm.cli import frame_records, jsonable
from metrics import demo, goals, registry
from metrics.ingest import formats, load_file
from metrics.query import Query
from metrics.store import Store

# Every table the demo fills, accounts first (the others refer to it).
TABLES = ["accounts", "subscriptions", "tickets", "survey_responses", "orders",
          "usage_events", "targets"]
Q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), grain="month")
# (metric, settings): the metrics that read those tables. Orders: clv_simple and the cohorts by
# first order; usage_events: the usage metrics (through the rollup the import refreshes) and
# the cohorts by first use. Targets are read by goals, not by a metric: compared below.
METRICS = [("mrr", ()), ("logo_churn", ()), ("support", ()), ("nps", ()), ("csat", ()),
           ("clv_simple", ()), ("cohort_retention", (("basis", "orders"),)),
           ("usage", ()), ("feature_adoption", ()), ("account_usage", ()),
           ("cohort_retention", (("basis", "usage"),))]
# usage_events is cut to the events of one account in USAGE_EVERY (about 23,000 of the
# small demo's 226,000 rows) so that writing and reading the workbook stays quick.
USAGE_EVERY = 10


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The demo tables as frames (the small set, ending 2026-06-30)."""
    store = Store(tmp_path_factory.mktemp("fmt_master") / "csm.duckdb")
    try:
        demo.generate(store, size="small", end=date(2026, 6, 30))
        cur = store.cursor()
        # Table names come from the list above, never from input.
        out = {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in TABLES}
    finally:
        store.close()
    ids = sorted(out["accounts"]["account_id"])[::USAGE_EVERY]
    usage = out["usage_events"]
    out["usage_events"] = usage[usage["account_id"].isin(ids)].reset_index(drop=True)
    assert all(len(out[t]) for t in TABLES), {t: len(out[t]) for t in TABLES}
    return out


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


def _metrics_after_loading(frames, folder: Path, kind: str) -> dict[str, str]:
    """Load every table written as `kind` into a fresh database; return {metric: its `csm
    metric` JSON output} and {"targets": the stored targets as JSON}."""
    store = Store(folder / "data" / "csm.duckdb")
    try:
        for t in TABLES:
            path = store.uploads / f"{t}.{kind}"
            _write(frames[t], path, kind)
            # The import as `csm load` runs it: a target is checked by its metric's unit.
            res = load_file(store, t, path,
                            row_check=goals.check_rows if t == "targets" else None)
            assert res.ok and res.rows_loaded == len(frames[t]), (kind, t, res.message,
                                                                  res.rejects[:3])
        cur = store.cursor()
        out = {f"{m} {dict(s)}": json.dumps(frame_records(registry.compute(
            cur, m, Q.with_(settings=s)))) for m, s in METRICS}
        out["targets"] = json.dumps(frame_records(goals.read_targets(cur)), default=jsonable)
        counts = {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        assert counts == {t: len(frames[t]) for t in TABLES}, (kind, counts)
        return out
    finally:
        store.close()


@pytest.fixture(scope="module")
def from_csv(frames, tmp_path_factory) -> dict[str, str]:
    """The metrics after loading the demo tables as CSV files (what the formats must match)."""
    return _metrics_after_loading(frames, tmp_path_factory.mktemp("fmt_csv"), "csv")


def _same(a, b) -> bool:
    """Return whether two JSON values are equal, floats to a relative 1e-12."""
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("kind", ["xlsx", "parquet", "jsonl"])
def test_each_format_round_trips_the_demo_tables_to_the_same_metrics(frames, from_csv,
                                                                      tmp_path, kind):
    got = _metrics_after_loading(frames, tmp_path / kind, kind)
    assert list(got) == list(from_csv)
    for name, want in from_csv.items():
        assert json.loads(want), f"{name} is empty on the demo data: the comparison says nothing"
        # equal to the last float digit's rounding: DuckDB's parallel sums may add in another
        # order from one run to the next (seen: 0.23795712909441238 vs ...236)
        assert _same(json.loads(got[name]), json.loads(want)), name


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


def _workbook(path: Path, rows: int) -> None:
    """Write a tickets sheet of 3 columns and `rows` data rows (3 x rows cells)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ticket_id", "account_id", "created_at"])
    for i in range(rows):
        ws.append([f"T{i}", "A1", datetime(2026, 6, 1, 9, i)])
    wb.save(path)


def test_a_workbook_over_the_cell_cap_is_refused_with_the_cap_and_the_way_out(store,
                                                                               monkeypatch):
    path = store.uploads / "big.xlsx"
    _workbook(path, 4)  # 12 cells under the header
    monkeypatch.setattr(formats, "MAX_XLSX_CELLS", 12)
    res = load_file(store, "tickets", path)
    assert res.ok and res.rows_loaded == 4, res.message  # at the cap: loads
    _workbook(path, 5)  # 15 cells
    res = load_file(store, "tickets", path, mode="replace")
    assert res.outcome == "refused" and res.rows_loaded == 0
    assert ("big.xlsx: the sheet 'Sheet' has more than 12 cells (CSM_MAX_XLSX_CELLS); save it "
            "as CSV instead.") in res.message
    assert store.cursor().execute("SELECT count(*) FROM tickets").fetchone()[0] == 4
    # The half-written CSV copy is removed: only the workbook is left in the upload folder.
    assert sorted(p.name for p in store.uploads.iterdir() if p.is_file()) == ["big.xlsx"]


def test_csm_load_reads_the_cell_cap_from_the_environment(tmp_path):
    path = tmp_path / "big.xlsx"
    _workbook(path, 5)  # 15 cells
    env = {**os.environ, "CSM_MAX_XLSX_CELLS": "14"}
    r = subprocess.run([sys.executable, "-m", "csm.cli", "load", "tickets", str(path), "--db",
                        str(tmp_path / "csm.duckdb")], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["outcome"] == "refused"
    assert "more than 14 cells (CSM_MAX_XLSX_CELLS)" in r.stderr


def test_a_json_lines_reject_names_its_record_even_after_a_value_with_a_newline(store):
    # record 1's comment holds a newline (two lines of the CSV copy); record 3's score is
    # bad: the report names it as line 4 (record N is line N + 1, as the README says), not 5
    path = store.uploads / "answers.jsonl"
    path.write_text(
        '{"response_id": "r1", "account_id": "A1", "survey_type": "nps", "score": 9, '
        '"responded_at": "2026-06-01", "comment": "good\\nreally"}\n'
        '{"response_id": "r2", "account_id": "A1", "survey_type": "nps", "score": 7, '
        '"responded_at": "2026-06-02"}\n'
        '{"response_id": "r3", "account_id": "A1", "survey_type": "nps", "score": 12, '
        '"responded_at": "2026-06-03"}\n')
    res = load_file(store, "survey_responses", path)
    assert res.outcome == "rejected", res.message
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [(4, "score", "12")]
