"""Null markers: NA, N/A, NULL and - (any case, trimmed) are no value in every column — an R
export's NA comment is not stored as the text "NA" and an NA duration is not "not a number" —
and in a required column they reject the row, saying which marker it was."""

from __future__ import annotations

from metrics.ingest import load_file


def test_markers_are_read_as_no_value_in_optional_columns(store, insert):
    insert("accounts", [{"account_id": "A1", "signup_date": "2025-01-01"}])
    path = store.uploads / "s.csv"
    path.write_text("response_id,account_id,survey_type,score,responded_at,comment,touchpoint\n"
                    "R1,A1,nps,9,2026-06-01,NA,n/a\nR2,A1,nps,3,2026-06-02, null ,-\n"
                    "R3,A1,nps,7,2026-06-03,NAB,ok\n")
    res = load_file(store, "survey_responses", path)
    assert res.ok, res.message
    rows = store.cursor().execute("SELECT response_id, comment, touchpoint FROM survey_responses "
                                  "ORDER BY 1").fetchall()
    assert rows == [("R1", None, None), ("R2", None, None), ("R3", "NAB", "ok")]


def test_a_marker_in_a_number_or_date_column_is_no_value_not_a_problem(store, insert):
    insert("accounts", [{"account_id": "A1", "signup_date": "2025-01-01"}])
    path = store.uploads / "t.csv"
    path.write_text("ticket_id,account_id,created_at,resolved_at,contacts\n"
                    "T1,A1,2026-06-01 09:00,N/A,NA\nT2,A1,2026-06-02 09:00,-,2\n")
    res = load_file(store, "tickets", path)
    assert res.ok, res.rejects
    assert store.cursor().execute("SELECT count(*) FROM tickets WHERE resolved_at IS NULL"
                                  ).fetchone()[0] == 2


def test_a_marker_in_a_required_column_rejects_the_row_and_says_so(store):
    path = store.uploads / "s.csv"
    path.write_text("response_id,account_id,survey_type,score,responded_at\n"
                    "R1,A1,nps,NA,2026-06-01\nR2,A1,nps,8,2026-06-02\n")
    res = load_file(store, "survey_responses", path)
    assert res.outcome == "rejected"
    assert [(r["line"], r["column"], r["value"], r["reason"]) for r in res.rejects] == [
        (2, "score", "NA", "required value is NA, which stands for no value (score)")]
