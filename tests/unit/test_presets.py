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
])
def test_each_export_is_recognised_by_its_header(name, preset, tmp_path):
    assert detect_preset(_headers(FIX / f"{name}.csv")) == preset
    assert detect_file(FIX / f"{name}.csv", tmp_path) == preset


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
