"""The Data page's upload wizard: proposes a mapping, previews, loads a good file and refuses a
bad one without changing anything."""

from __future__ import annotations

from pathlib import Path

from metrics.store import Store
from tests.app.conftest import open_tab

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


ACCOUNTS3 = ("account_id,name,segment,region,signup_date\nA00001,One,SMB,EMEA,2025-01-01\n"
             "A00002,Two,SMB,EMEA,2025-01-01\nA00003,Three,SMB,EMEA,2025-01-01\n")


def _radio(at, prefix):
    return next(r for r in at.radio if r.key and r.key.startswith(prefix))


def test_accounts_never_preselect_replace_and_a_wiping_replace_needs_confirmation_then_undo(
        demo_db, run_app):
    before = _count(demo_db, "accounts")
    at = _upload(run_app(demo_db, "views/data.py"), "accounts", "three.csv", ACCOUNTS3)
    mode = _radio(at, "mode_accounts_")
    assert mode.value is None  # nothing chosen for the user on a table others refer to
    assert at.button(key="load_btn").disabled
    mode.set_value("replace").run()
    at.button(key="load_btn").click().run()
    assert not at.exception
    # Nothing changed yet: what the replace removes is shown, and it waits for a confirmation.
    assert _count(demo_db, "accounts") == before
    warning = next(w.value for w in at.warning if "Nothing was changed yet" in w.value)
    assert f"removes {before - 3:,} of the {before:,} stored accounts" in warning
    orphans = next(d.value for d in at.dataframe if "table" in d.value.columns
                   and "rows left without their account" in d.value.columns)
    assert "subscriptions" in set(orphans["table"])
    assert at.button(key="load_confirm_btn").disabled
    next(c for c in at.checkbox if c.key and c.key.startswith("confirm_replace_")).check().run()
    at.button(key="load_confirm_btn").click().run()
    assert not at.exception
    assert _count(demo_db, "accounts") == 3

    # Past loads: the load can be undone, after a confirmation, back to every account.
    load = open_tab(at, "data_tab", "Past loads").selectbox(key="undo_load")
    assert "replace of three.csv into accounts" in load.format_func(load.value)
    assert at.button(key="undo_btn").disabled
    next(c for c in at.checkbox if c.key and c.key.startswith("undo_sure_")).check().run()
    at.button(key="undo_btn").click().run()
    assert not at.exception
    assert _count(demo_db, "accounts") == before
    assert any(f"accounts has {before:,} rows again" in s.value for s in at.success)
    trail = next(d.value for d in open_tab(at, "data_tab", "Audit trail").dataframe
                 if "action" in d.value.columns)
    assert trail["action"].tolist()[:2] == ["undo", "load"]
    assert trail["who"].iloc[0].endswith("(local)")


ZENDESK = Path(__file__).resolve().parents[1] / "fixtures" / "presets" / "zendesk_tickets.csv"


def test_the_wizard_recognises_a_zendesk_export_and_applies_its_preset(demo_db, run_app):
    before = _count(demo_db, "tickets")
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "zendesk.csv",
                 ZENDESK.read_text(encoding="utf-8"))
    assert not at.exception
    assert any("This looks like a Zendesk tickets export" in i.value for i in at.info)
    box = next(c for c in at.checkbox if c.key and c.key.startswith("preset_"))
    assert box.value is True
    # The preset fills the mapping: every column of the tickets table comes from its copy.
    maps = {s.key.rsplit("_", 1)[-1]: s.value for s in at.selectbox
            if s.key and s.key.startswith("map_") and s.key.endswith("_priority")}
    assert maps == {"priority": "priority"}
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Loaded"] == "5"
    assert _count(demo_db, "tickets") == before + 5


def test_turning_the_preset_off_reads_the_headers_as_written(demo_db, run_app):
    at = _upload(run_app(demo_db, "views/data.py"), "tickets", "zendesk.csv",
                 ZENDESK.read_text(encoding="utf-8"))
    box = next(c for c in at.checkbox if c.key and c.key.startswith("preset_"))
    box.uncheck().run()
    assert not at.exception
    # Without the preset no header gives account_id: the file is refused, and says why.
    # (markdown-escaped on screen)
    assert any(r"missing required column\(s\) account\_id" in e.value for e in at.error)
    assert not any(s.key and s.key.startswith("map_") for s in at.selectbox)


def test_a_preset_of_another_table_says_which_table_to_choose(demo_db, run_app):
    at = _upload(run_app(demo_db, "views/data.py"), "orders", "zendesk.csv",
                 ZENDESK.read_text(encoding="utf-8"))
    assert not at.exception
    assert any("which loads the **tickets** table" in i.value for i in at.info)
    assert not any(c.key and c.key.startswith("preset_") for c in at.checkbox)


TYPEFORM = Path(__file__).resolve().parents[1] / "fixtures" / "presets" / "typeform_nps.csv"


def test_a_typeform_export_whose_score_is_not_recognised_asks_for_the_option(demo_db,
                                                                               run_app):
    before = _count(demo_db, "survey_responses")
    text = TYPEFORM.read_text(encoding="utf-8").replace(
        "How likely are you to recommend Acme to a friend or colleague?", "Score")
    at = _upload(run_app(demo_db, "views/data.py"), "survey_responses", "typeform.csv", text)
    assert not at.exception
    assert any("This looks like a Typeform responses export" in i.value for i in at.info)
    # No question reads as NPS or CSAT: refused, naming the option and the questions.
    assert any("score=COLUMN" in e.value and "Score" in e.value for e in at.error)
    fid_key = next(c.key for c in at.checkbox if c.key and c.key.startswith("preset_"))
    at.text_input(key=f"{fid_key}_score").set_value("Score").run()
    at.selectbox(key=f"{fid_key}_survey_type").set_value("nps").run()
    assert not at.exception and not at.error
    at.button(key="load_btn").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    # 6 responses: a partial one and one without a score are left out.
    assert labels["Loaded"] == "4"
    assert _count(demo_db, "survey_responses") == before + 4
