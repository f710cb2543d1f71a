"""A required account_id is never empty in any table (orders and survey answers included: they
used to load as NULL, silently), and the reject list says when it was cut."""

from __future__ import annotations

import pytest

from metrics.ingest import load_file, pipeline


@pytest.mark.parametrize(("table", "text"), [
    ("orders", "order_id,account_id,ordered_at,amount\nO1,A1,2026-06-01,10\nO2,,2026-06-02,5\n"),
    ("survey_responses", "response_id,account_id,survey_type,score,responded_at\n"
     "R1,A1,nps,9,2026-06-01\nR2,,nps,3,2026-06-02\n"),
    ("tickets", "ticket_id,account_id,created_at\nT1,A1,2026-06-01 09:00\nT2,,2026-06-02 09:00\n"),
])
def test_a_row_without_its_account_is_rejected_with_the_reason(store, table, text):
    path = store.uploads / f"{table}.csv"
    path.write_text(text)
    res = load_file(store, table, path)
    assert res.outcome == "rejected" and res.rows_loaded == 0
    assert [(r["line"], r["column"]) for r in res.rejects] == [(3, "account_id")]
    assert "required value is empty" in res.rejects[0]["reason"]
    assert store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_rejects_truncated_is_true_when_the_list_was_cut(store, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_REJECTS_REPORTED", 5)
    rows = "".join(f"T{i},A1,not a date\n" for i in range(8))
    path = store.uploads / "t.csv"
    path.write_text("ticket_id,account_id,created_at\n" + rows)
    res = load_file(store, "tickets", path)
    assert res.rows_with_problems == 8 and len(res.rejects) == 5
    assert res.rejects_truncated is True
    path.write_text("ticket_id,account_id,created_at\n" + rows.split("\n", 4)[-1])
    res = load_file(store, "tickets", path)
    assert res.rows_with_problems == 4 and res.rejects_truncated is False
