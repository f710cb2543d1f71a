"""Presets: each vendor export in tests/fixtures/presets/ (written from the vendor's documented
columns, with their quirks) is recognised by its header, loads with no manual mapping into a
real store through the real import, and gives the numbers worked out by hand below; the same
file with one broken row is rejected with that row's line and reason; canonical files match no
preset. The CLI's --preset, --preset-option and `csm presets` are run as a user would."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.ingest import load_file, preview
from metrics.ingest.presets import PRESETS, detect_file, detect_preset
from metrics.schema import TABLES

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "presets"
GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"


def _headers(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def _q(store, sql: str):
    return store.cursor().execute(sql).fetchall()


@pytest.mark.parametrize("name, preset", [
    ("zendesk_tickets", "zendesk_tickets"),
    ("stripe_subscriptions", "stripe_subscriptions"),
    ("online_retail", "online_retail"),
    ("hubspot_companies", "hubspot_companies"),
    ("salesforce_accounts_report", "salesforce_accounts"),
    ("salesforce_accounts_data", "salesforce_accounts"),
    ("intercom_conversations", "intercom_conversations"),
    ("qualtrics_nps", "qualtrics_nps"),
    ("delighted_responses.jsonl", "delighted_responses"),
    ("mixpanel_events.jsonl", "mixpanel_events"),
    ("segment_events.jsonl", "segment_events"),
])
def test_each_export_is_recognised_by_its_header(name, preset, tmp_path):
    path = FIX / (name if "." in name else f"{name}.csv")
    if path.suffix == ".csv":
        assert detect_preset(_headers(path)) == preset
    # JSON lines are recognised by the flattened names of their keys ("properties.time").
    assert detect_file(path, tmp_path) == preset


def test_detection_ignores_case_and_extra_columns_and_needs_the_whole_signature():
    assert detect_preset(["ID", "CREATED AT", " organization ", "First Reply Time In Minutes",
                          "Anything else"]) == "zendesk_tickets"
    assert detect_preset(["Id", "Created at", "Organization"]) is None


def test_canonical_files_match_no_preset():
    for t in TABLES:
        assert detect_preset(TABLES[t].column_names) is None, t
    for path in sorted(GOOD.glob("*.csv")):
        try:
            headers = _headers(path)
        except UnicodeDecodeError:  # the Latin-1 and UTF-16 copies have the same headers
            continue
        assert detect_preset(headers) is None, path.name


def test_zendesk_tickets_load_with_first_reply_minutes_and_time_zones(store):
    path = FIX / "zendesk_tickets.csv"
    res = load_file(store, "tickets", path, preset="zendesk_tickets")
    assert res.outcome == "loaded", res.message
    assert (res.rows_in_file, res.rows_loaded, res.preset) == (5, 5, "zendesk_tickets")
    assert any("Ticket Category [list], Plan tier [list]" in n for n in res.preset_notes)
    # First replies after 45, 120, 10 and 30 minutes (104 has none): median 37.5 minutes.
    assert _q(store, "SELECT median(date_diff('second', created_at, first_response_at)) / 60, "
                     "count(first_response_at) FROM tickets") == [(37.5, 4)]
    # 2026-03-04 23:30 -0500 is 04:30 UTC the next day; solved 90 minutes later.
    assert _q(store, "SELECT created_at::VARCHAR, resolved_at::VARCHAR, reopened, contacts, "
                     "channel, priority FROM tickets WHERE ticket_id = '103'") == [
        ("2026-03-05 04:30:00", "2026-03-05 06:00:00", True, 4, "Chat", "Urgent")]
    # 102 (a subject on two lines) is open; Reopens > 0 for 103 and 105; 2+1+4+3+5 replies.
    assert _q(store, "SELECT count(*) FILTER (WHERE resolved_at IS NULL), "
                     "count(*) FILTER (WHERE reopened), sum(contacts), "
                     "count(DISTINCT account_id) FROM tickets") == [(1, 2, 15, 3)]


def test_zendesk_broken_row_is_rejected_at_its_line_after_a_multiline_subject(store):
    res = load_file(store, "tickets", FIX / "zendesk_tickets_broken.csv",
                    preset="zendesk_tickets")
    assert res.outcome == "rejected"
    # Ticket 104 starts on line 6: ticket 102's quoted subject takes lines 3 and 4.
    assert res.rejects == [{"line": 6, "column": "first_response_at", "value": "soon",
                            "reason": "First reply time in minutes 'soon' is not a number of "
                                      "minutes >= 0"}]
    assert _q(store, "SELECT count(*) FROM tickets") == [(0,)]
    ok = load_file(store, "tickets", FIX / "zendesk_tickets_broken.csv",
                   preset="zendesk_tickets", allow_rejects=True)
    assert (ok.outcome, ok.rows_loaded, ok.rows_rejected) == ("loaded_with_rejects", 4, 1)


def test_without_the_preset_the_refusal_names_it(store):
    res = load_file(store, "tickets", FIX / "zendesk_tickets.csv")
    assert res.outcome == "refused"
    assert "--preset zendesk_tickets" in res.message


def test_stripe_subscriptions_amounts_yearly_plans_and_trials(store):
    res = load_file(store, "subscriptions", FIX / "stripe_subscriptions.csv",
                    preset="stripe_subscriptions")
    assert res.outcome == "loaded", res.message
    assert res.rows_loaded == 5
    # 3 x 49.00 + 1,200.00 / 12 + 49.00 + 2 x 19.00 + 19.00
    assert _q(store, "SELECT sum(mrr)::DOUBLE FROM subscriptions") == [(353.0,)]
    rows = dict(_q(store, "SELECT plan || '/' || account_id, start_date::VARCHAR || ' ' || "
                          "coalesce(end_date::VARCHAR, '-') || ' ' || mrr::VARCHAR || ' ' || "
                          "billing_period FROM subscriptions"))
    assert rows["price_ent_yearly/cus_NffsA2bC3dE4fG"] == "2025-06-01 - 100.00 year"
    # The trial (1 to 15 September) earns nothing: paid from the trial's end.
    assert rows["price_pro_monthly/cus_NfftB3cD4eF5gH"] == "2025-09-15 - 49.00 month"
    assert rows["price_basic_monthly/cus_NfftC4dE5fG6hI"] == "2025-02-01 2025-12-01 38.00 month"
    # MRR on 2025-12-15: 147 + 100 + 49 (Tailspin ended on 1 December, Wingtip not begun).
    assert _q(store, "SELECT sum(mrr)::DOUBLE FROM subscriptions WHERE start_date <= "
                     "DATE '2025-12-15' AND (end_date IS NULL OR end_date > "
                     "DATE '2025-12-15')") == [(296.0,)]


def test_stripe_broken_quantity_is_rejected_with_its_line(store):
    res = load_file(store, "subscriptions", FIX / "stripe_subscriptions_broken.csv",
                    preset="stripe_subscriptions")
    assert res.outcome == "rejected"
    assert res.rejects == [{"line": 5, "column": "mrr", "value": "two",
                            "reason": "Quantity 'two' is not a number"}]


def test_online_retail_invoices_become_orders_with_refunds(store):
    res = load_file(store, "orders", FIX / "online_retail.csv", preset="online_retail",
                    allow_rejects=True)
    # 11 lines, 7 invoices; the guest invoice 536414 (no CustomerID) is refused, not dropped.
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (7, 6, 1)
    assert res.rejects == [{"line": 12, "column": "account_id", "value": None,
                            "reason": "required value is empty (account_id)"}]
    amounts = dict(_q(store, "SELECT order_id, amount::DOUBLE FROM orders"))
    # 6 x 2.55 + 6 x 3.39 + 8 x 2.75; the two cancellations are refunds.
    assert amounts == {"536365": 57.64, "536366": 11.10, "536367": 66.68, "536370": 100.20,
                       "C536379": -27.50, "C536383": -4.65}
    assert _q(store, "SELECT sum(amount)::DOUBLE, min(ordered_at)::VARCHAR, "
                     "count(DISTINCT account_id) FROM orders") == [
        (203.47, "2010-12-01 08:26:00", 5)]


def test_online_retail_cancellations_can_be_left_out(store):
    res = load_file(store, "orders", FIX / "online_retail.csv", preset="online_retail",
                    preset_options={"cancellations": "drop"}, allow_rejects=True)
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (5, 4, 1)
    assert any("2 cancellation lines" in n for n in res.preset_notes)
    assert _q(store, "SELECT sum(amount)::DOUBLE FROM orders") == [(235.62,)]


def test_online_retail_bad_option_and_broken_quantity_change_nothing(store):
    res = load_file(store, "orders", FIX / "online_retail.csv", preset="online_retail",
                    preset_options={"cancellations": "ignore"})
    assert res.outcome == "refused" and "refund, drop" in res.message
    res = load_file(store, "orders", FIX / "online_retail_broken.csv", preset="online_retail")
    assert res.outcome == "rejected"
    assert res.rejects == [{"line": 5, "column": "amount", "value": "six",
                            "reason": "line 5: Quantity 'six' is not a number"}]
    assert _q(store, "SELECT count(*) FROM orders") == [(0,)]


def test_hubspot_companies_keep_other_columns_as_custom_attributes(store):
    res = load_file(store, "accounts", FIX / "hubspot_companies.csv",
                    preset="hubspot_companies")
    assert res.outcome == "loaded", res.message
    assert res.rows_loaded == 4
    assert res.custom_attributes == ["Phone Number", "Last Activity Date", "City",
                                     "Annual Revenue", "Number of Employees"]
    assert _q(store, "SELECT name, csm_owner, signup_date::VARCHAR, region, lifecycle_stage "
                     "FROM accounts WHERE account_id = '5521904315'") == [
        ("Tailspin Toys, Inc.", None, "2024-11-30", None, "customer")]
    assert _q(store, "SELECT value FROM account_attributes WHERE account_id = '5521904312' "
                     "AND attribute = 'Annual Revenue'") == [("1,200,000",)]


def test_hubspot_broken_date_is_rejected_with_its_line(store):
    res = load_file(store, "accounts", FIX / "hubspot_companies_broken.csv",
                    preset="hubspot_companies")
    assert res.outcome == "rejected"
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (4, "signup_date", "last spring")]


@pytest.mark.parametrize("name", ["salesforce_accounts_report", "salesforce_accounts_data"])
def test_salesforce_report_and_data_exports_load_the_same_accounts(store, name):
    res = load_file(store, "accounts", FIX / f"{name}.csv", preset="auto")
    assert res.outcome == "loaded", res.message
    assert res.preset == "salesforce_accounts"
    assert _q(store, "SELECT account_id, name, segment, region, signup_date::VARCHAR FROM "
                     "accounts ORDER BY account_id") == [
        ("0015g00000XyZ1aAAF", "Northwind Traders", "Customer - Direct", "United States",
         "2023-04-12"),
        ("0015g00000XyZ1bAAF", "Contoso Ltd", "Customer - Channel", "United Kingdom",
         "2023-07-01"),
        ("0015g00000XyZ1cAAF", "Fabrikam", "Customer - Direct", "Germany", "2024-01-15")]
    assert "AnnualRevenue" in res.custom_attributes or "Annual Revenue" in res.custom_attributes


def test_salesforce_broken_date_is_rejected_with_its_line(store):
    res = load_file(store, "accounts", FIX / "salesforce_accounts_data_broken.csv",
                    preset="salesforce_accounts")
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (4, "signup_date", "15.01.2024 kl 08:15")]


def test_a_preset_for_another_table_is_refused(store):
    res = load_file(store, "orders", FIX / "zendesk_tickets.csv", preset="zendesk_tickets")
    assert res.outcome == "refused"
    assert "loads the tickets table, not orders" in res.message


def test_preview_reports_the_detected_and_the_applied_preset(store):
    # The store reads only files in its upload folder, where the Data page saves uploads.
    plain = store.uploads / "accounts.csv"
    shutil.copy(GOOD / "accounts.csv", plain)
    _df, info = preview(store, "accounts", plain)
    assert (info["preset"], info["preset_applied"]) == (None, False)
    shown, info = preview(store, "tickets", FIX / "zendesk_tickets_broken.csv",
                          preset="zendesk_tickets")
    assert (info["preset"], info["preset_applied"]) == ("zendesk_tickets", True)
    assert info["preset_notes"] and len(shown) == 5
    assert [(p["row"], p["column"]) for p in info["problems"]] == [(3, "first_response_at")]


def _csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_load_with_a_preset_and_its_option(tmp_path):
    db = str(tmp_path / "csm.duckdb")
    r = _csm("load", "orders", str(FIX / "online_retail.csv"), "--preset", "online_retail",
             "--preset-option", "cancellations=drop", "--allow-rejects", "--db", db)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["rows_loaded"], doc["rows_rejected"], doc["preset"]) == (4, 1, "online_retail")
    assert "preset online_retail: 2 cancellation lines" in r.stderr
    r = _csm("load", "orders", str(GOOD / "orders.csv"), "--preset", "auto", "--db", db)
    assert r.returncode == 1 and "no preset recognises this file's header" in r.stderr
    r = _csm("load", "tickets", str(FIX / "online_retail.csv"), "--preset", "online_retail",
             "--db", db)
    assert r.returncode == 2 and r.stdout == ""
    assert "loads the orders table, not tickets" in r.stderr
    r = _csm("load", "orders", str(FIX / "online_retail.csv"), "--preset", "online_retail",
             "--preset-option", "cancellations", "--db", db)
    assert r.returncode == 2 and "K=V" in r.stderr


def test_cli_presets_lists_name_table_signature_and_source():
    r = _csm("presets", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [p["name"] for p in rows] == list(PRESETS)
    z = rows[0]
    assert z["table"] == "tickets" and "first reply time in minutes" in z["signatures"][0]
    assert "zendesk.com" in z["source"]
    text = _csm("presets")
    assert text.returncode == 0 and "stripe_subscriptions" in text.stdout


def test_intercom_message_entries_become_one_ticket_per_conversation(store):
    res = load_file(store, "tickets", FIX / "intercom_conversations.csv",
                    preset="intercom_conversations")
    assert res.outcome == "loaded", res.message
    # 12 message rows, 3 conversations.
    assert (res.rows_in_file, res.rows_loaded) == (3, 3)
    got = _q(store, "SELECT ticket_id, account_id, contacts, reopened, resolved_at IS NULL "
                    "FROM tickets ORDER BY ticket_id")
    # 9002's customer belongs to two companies: the first is the account; it was reopened.
    # A note (9003) is not a reply.
    assert got == [("9001", "Northwind Traders", 2, False, False),
                   ("9002", "Contoso Ltd", 2, True, False),
                   ("9003", "Fabrikam", 0, False, True)]
    # First replies after 20 and 90 minutes.
    assert _q(store, "SELECT median(date_diff('minute', created_at, first_response_at)) "
                     "FROM tickets") == [(55.0,)]


def test_intercom_broken_row_is_reported_at_its_conversations_first_line(store):
    res = load_file(store, "tickets", FIX / "intercom_conversations_broken.csv",
                    preset="intercom_conversations")
    assert res.outcome == "rejected"
    # 9003 starts on line 13 (message m1's body takes lines 2 and 3).
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (13, "created_at", "yesterday")]


def test_delighted_json_lines_load_as_nps_answers(store):
    res = load_file(store, "survey_responses", FIX / "delighted_responses.jsonl",
                    preset="delighted_responses")
    assert res.outcome == "loaded", res.message
    assert res.rows_loaded == 5
    # Scores 9, 10, 6, 8, 10: 3 promoters, 1 detractor of 5 -> NPS 40.
    assert _q(store, "SELECT 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER "
                     "(WHERE score <= 6)) / count(*), count(DISTINCT account_id), "
                     "min(responded_at)::VARCHAR FROM survey_responses") == [
        (40.0, 3, "2026-03-02 09:00:00")]
    # The person's email when a property gives it, else the person id; the account from
    # company_id when account_id is absent.
    assert _q(store, "SELECT respondent, account_id FROM survey_responses "
                     "WHERE response_id IN ('3', '4') ORDER BY response_id") == [
        ("bo@contoso.example", "acc-2"), ("13", "acc-3")]


def test_delighted_out_of_range_score_is_rejected(store):
    res = load_file(store, "survey_responses", FIX / "delighted_responses_broken.jsonl",
                    preset="delighted_responses")
    # JSON lines: the report's line N is record N - 1 (line 1 is the copy's header).
    assert res.rejects == [{"line": 4, "column": "score", "value": "11",
                            "reason": "score 11 out of range 0-10 for nps"}]


def test_delighted_account_option_names_a_column_that_must_exist(store):
    res = load_file(store, "survey_responses", FIX / "delighted_responses.jsonl",
                    preset="delighted_responses", preset_options={"account": "crm_id"})
    assert res.outcome == "refused" and "no such column" in res.message


def test_qualtrics_skips_its_extra_header_rows_and_converts_its_time_zone(store):
    res = load_file(store, "survey_responses", FIX / "qualtrics_nps.csv",
                    preset="qualtrics_nps", preset_options={"comment": "Q2"})
    assert res.outcome == "loaded", res.message
    assert res.rows_loaded == 4
    rows = _q(store, "SELECT response_id, account_id, score, responded_at::VARCHAR, comment "
                     "FROM survey_responses ORDER BY responded_at")
    # Denver is UTC-7 until 8 March 2026, UTC-6 after; the second answer's account comes
    # from ExternalReference (its account_id field is empty).
    assert rows == [
        ("R_1a2B3c4D5e6F7g8", "acc-1", 10, "2026-03-02 17:15:00", "Fast, friendly support"),
        ("R_2b3C4d5E6f7G8h9", "acc-2", 7, "2026-03-03 21:02:30", None),
        ("R_3c4D5e6F7g8H9i0", "acc-3", 3, "2026-03-10 04:31:00",
         "Prices went up,\nfeatures did not"),
        ("R_4d5E6f7G8h9I0j1", "acc-2", 9, "2026-03-10 15:00:40", None)]


def test_qualtrics_broken_score_is_rejected_at_its_line(store):
    res = load_file(store, "survey_responses", FIX / "qualtrics_nps_broken.csv",
                    preset="qualtrics_nps")
    # Three header lines, then the third answer on line 6.
    assert res.rejects == [{"line": 6, "column": "score", "value": "three",
                            "reason": "not an integer"}]


def test_mixpanel_events_with_seconds_and_milliseconds(store):
    res = load_file(store, "usage_events", FIX / "mixpanel_events.jsonl",
                    preset="mixpanel_events")
    assert res.outcome == "loaded", res.message
    assert _q(store, "SELECT count(*), count(DISTINCT user_id), sum(duration_seconds), "
                     "count(*) FILTER (WHERE feature = 'Report Viewed') FROM usage_events") == [
        (5, 4, 50.0, 3)]
    # The third event's time is in milliseconds.
    assert _q(store, "SELECT occurred_at::VARCHAR FROM usage_events "
                     "WHERE feature = 'Export Created'") == [("2026-03-03 10:00:00",)]


def test_mixpanel_event_without_its_account_is_rejected(store):
    res = load_file(store, "usage_events", FIX / "mixpanel_events_broken.jsonl",
                    preset="mixpanel_events")
    assert res.rejects == [{"line": 5, "column": "account_id", "value": None,
                            "reason": "required value is empty (account_id)"}]


def test_segment_track_page_and_screen_calls_are_events(store):
    res = load_file(store, "usage_events", FIX / "segment_events.jsonl",
                    preset="segment_events")
    assert res.outcome == "loaded", res.message
    # 6 messages: the identify and group calls are left out, and said so.
    assert res.rows_loaded == 4
    assert any("1 group call, 1 identify call" in n for n in res.preset_notes)
    assert _q(store, "SELECT feature, user_id, account_id, occurred_at::VARCHAR FROM "
                     "usage_events ORDER BY occurred_at") == [
        ("Report Viewed", "u-ann", "acc-1", "2026-03-02 09:00:00"),
        ("Pricing", "an2", "acc-2", "2026-03-02 10:30:00"),
        ("Export Created", "u-bo", "acc-2", "2026-03-03 10:01:00"),
        ("Settings", "u-di", "acc-3", "2026-03-04 07:00:00")]


def test_segment_broken_timestamp_is_rejected_at_its_record(store):
    res = load_file(store, "usage_events", FIX / "segment_events_broken.jsonl",
                    preset="segment_events")
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (6, "occurred_at", "last tuesday")]


def test_a_first_row_the_preset_rejects_does_not_cut_the_copys_columns(store, tmp_path):
    # The first message has no conversation_id: its row names only ticket_id, yet the copy
    # still has every tickets column for the rows after it.
    lines = (FIX / "intercom_conversations.csv").read_text(encoding="utf-8").splitlines(True)
    head, rest = lines[0], lines[1:]
    orphan = "m0,hello,conversation_message,2026-03-01 08:00:00,user,u9,,,,,,,,,,,x,y\n"
    path = tmp_path / "intercom.csv"
    path.write_text(head + orphan + "".join(rest), encoding="utf-8")
    res = load_file(store, "tickets", path, preset="intercom_conversations",
                    allow_rejects=True)
    assert (res.outcome, res.rows_loaded, res.rows_rejected) == ("loaded_with_rejects", 3, 1)
    # The preset's reason, beside the schema's own for the row's empty required columns.
    assert {r["line"] for r in res.rejects} == {2}
    assert {"line": 2, "column": "ticket_id", "value": None,
            "reason": "conversation_id is empty: the row belongs to no conversation"
            } in res.rejects


def test_stripe_trial_only_and_never_paid_subscriptions_are_rejected_with_the_rule(
        store, tmp_path):
    head = (FIX / "stripe_subscriptions.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "stripe.csv"
    # Canceled during its trial; then a first payment that never went through.
    path.write_text(head + "\n"
                    "sub_t,cus_T,t@x.example,T Co,price_pro,Pro,1,49.00,usd,month,canceled,"
                    "false,2026-01-01 10:00,2026-01-01 10:00,2026-01-01 10:00,2026-01-15 10:00,"
                    "2026-01-01 10:00,2026-01-15 10:00,2026-01-10 09:00,2026-01-10 09:00,\n"
                    "sub_i,cus_I,i@x.example,I Co,price_pro,Pro,1,49.00,usd,month,"
                    "incomplete_expired,false,2026-02-01 10:00,2026-02-01 10:00,"
                    "2026-02-01 10:00,2026-03-01 10:00,,,,2026-02-02 10:00,\n", encoding="utf-8")
    res = load_file(store, "subscriptions", path, preset="stripe_subscriptions")
    assert res.outcome == "rejected"
    got = {(r["line"], r["column"], r["reason"]) for r in res.rejects}
    # (row 2 also breaks the table's own end_date > start_date rule, which says so too)
    assert {(2, "end_date", "ended before its trial did: the subscription has no paid period"),
            (3, "start_date", "status incomplete_expired: the first payment never succeeded, "
                              "so the subscription has no paid period")} <= got
    assert {r["line"] for r in res.rejects} == {2, 3}


def test_a_decimal_comma_is_not_read_as_thousands(store, tmp_path):
    text = (FIX / "online_retail.csv").read_text(encoding="utf-8")
    path = tmp_path / "retail.csv"
    path.write_text(text.replace("12/1/2010 8:28,1.85,", '12/1/2010 8:28,"1,85",'),
                    encoding="utf-8")
    res = load_file(store, "orders", path, preset="online_retail")
    assert {"line": 5, "column": "amount", "value": "1,85",
            "reason": "line 5: UnitPrice '1,85' is not a number"} in res.rejects


def test_an_export_saved_as_utf16_with_semicolons_is_recognised_and_loads(store, tmp_path):
    rows = list(csv.reader((FIX / "zendesk_tickets.csv").open(encoding="utf-8", newline="")))
    path = tmp_path / "zendesk_utf16.csv"
    with open(path, "w", encoding="utf-16", newline="") as f:  # Excel's "Unicode text"
        csv.writer(f, delimiter=";").writerows(rows)
    assert detect_file(path, tmp_path) == "zendesk_tickets"
    res = load_file(store, "tickets", path, preset="auto")
    assert (res.outcome, res.rows_loaded) == ("loaded", 5), res.message
