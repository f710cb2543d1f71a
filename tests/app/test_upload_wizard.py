"""The Data page's upload wizard: proposes a mapping, previews, loads a good file and refuses a
bad one without changing anything."""

from __future__ import annotations

from metrics.store import Store

GOOD = (
    "Ticket ID,Customer ID,Opened,first_response_at,resolved_at,contacts,reopened,channel,"
    "priority\n"
    "ZT1,{acc},2026-06-01 09:00,2026-06-01 10:00,2026-06-02 09:00,1,false,email,P2\n"
    "ZT2,{acc},2026-06-02 09:00,2026-06-02 09:30,,2,true,chat,P1\n"
)
BAD = GOOD + "ZT3,{acc},not a date,,,1,false,email,P3\n"


def _count(db, table):
    store = Store(db, read_only=True)
    try:
        return store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        store.close()


def _first_account(db):
    store = Store(db, read_only=True)
    try:
        return store.cursor().execute("SELECT min(account_id) FROM accounts").fetchone()[0]
    finally:
        store.close()


def _upload(at, table, name, text):
    at.selectbox(key="up_table").set_value(table).run()
    at.file_uploader(key="up_file").set_value((name, text.encode(), "text/csv")).run()
    return at


def test_the_wizard_proposes_a_mapping_from_synonyms(demo_db, run_app):
    acc = _first_account(demo_db)
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "t.csv", GOOD.format(acc=acc))
    assert not at.exception
    keys = {s.key: s.value for s in at.selectbox if s.key and s.key.startswith("map_")}
    by_col = {k.rsplit("_", 1)[-1] if not k.endswith("_at") else k: v for k, v in keys.items()}
    assert any(k.endswith("_ticket_id") and v == "Ticket ID" for k, v in keys.items())
    assert any(k.endswith("_account_id") and v == "Customer ID" for k, v in keys.items())
    assert any(k.endswith("_created_at") and v == "Opened" for k, v in keys.items())
    assert by_col


def test_the_wizard_loads_a_good_file_and_reports_the_counts(demo_db, run_app):
    acc = _first_account(demo_db)
    before = _count(demo_db, "tickets")
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "good.csv",
                 GOOD.format(acc=acc))
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Rows in file"] == "2" and labels["Loaded"] == "2"
    assert labels["Rejected"] == "0"
    assert any("Loaded 2 of 2" in s.value for s in at.success)
    assert _count(demo_db, "tickets") == before + 2


def test_the_wizard_refuses_a_bad_file_shows_the_row_report_and_changes_nothing(
        demo_db, run_app):
    acc = _first_account(demo_db)
    before = _count(demo_db, "tickets")
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "bad.csv", BAD.format(acc=acc))
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Rows in file"] == "3" and labels["Loaded"] == "0"
    assert labels["Rejected"] == "3" and labels["Rows with problems"] == "1"
    assert any("Nothing was changed" in e.value for e in at.error)
    report = next(d.value for d in at.dataframe
                  if list(d.value.columns) == ["line", "column", "value", "reason"])
    assert report.iloc[0]["line"] == 4 and report.iloc[0]["column"] == "created_at"
    assert _count(demo_db, "tickets") == before


def test_loading_the_valid_rows_is_an_explicit_choice(demo_db, run_app):
    acc = _first_account(demo_db)
    before = _count(demo_db, "tickets")
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "bad.csv", BAD.format(acc=acc))
    allow = next(c for c in at.checkbox if c.key and c.key.startswith("allow_"))
    allow.check().run()
    at.button(key="load_btn").click().run()
    labels = {m.label: m.value for m in at.metric}
    assert labels["Loaded"] == "2" and labels["Rejected"] == "1"
    assert _count(demo_db, "tickets") == before + 2


def test_a_gzip_file_renamed_csv_is_refused_with_a_clear_message(demo_db, run_app):
    import gzip

    at = run_app(demo_db, "views/data.py")
    at.selectbox(key="up_table").set_value("tickets").run()
    at.file_uploader(key="up_file").set_value(
        ("t.csv", gzip.compress(b"ticket_id\n1\n"), "text/csv")).run()
    assert not at.exception
    assert any("gzip" in e.value for e in at.error)
