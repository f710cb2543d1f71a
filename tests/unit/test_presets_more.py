"""The presets added for issue 14's second round (Stripe customers and invoices, Zendesk
satisfaction ratings, HubSpot deals, Typeform, SurveyMonkey, Amplitude): each fixture in
tests/fixtures/presets/ is written from the vendor's documented columns with their quirks,
loads through the real import into a real store with no manual mapping and gives the numbers
worked out by hand in the comments; its _broken copy is rejected at the original line with a
row-level reason. Recognition by header is in test_presets.py."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

from metrics.ingest import load_file
from metrics.ingest.presets import detect_file, detect_preset

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "presets"


def _headers(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def _q(store, sql: str):
    return store.cursor().execute(sql).fetchall()


@pytest.mark.parametrize("name, preset", [
    ("stripe_customers.csv", "stripe_customers"),
    ("stripe_invoices.csv", "stripe_invoices"),
    ("zendesk_satisfaction.jsonl", "zendesk_satisfaction"),
    ("hubspot_deals.csv", "hubspot_deals"),
    ("typeform_nps.csv", "typeform_responses"),
    ("surveymonkey_csat.csv", "surveymonkey_responses"),
    ("amplitude_events.jsonl", "amplitude_events"),
    ("qualtrics_csat.csv", "qualtrics_nps"),
    ("delighted_responses.csv", "delighted_responses"),
])
def test_each_new_export_is_recognised(name, preset, tmp_path):
    path = FIX / name
    if path.suffix == ".csv":
        assert detect_preset(_headers(path)) == preset
    assert detect_file(path, tmp_path) == preset


def test_stripe_customers_keep_metadata_as_attributes(store):
    res = load_file(store, "accounts", FIX / "stripe_customers.csv", preset="auto")
    assert (res.outcome, res.preset, res.rows_loaded) == ("loaded", "stripe_customers", 4)
    # "tier (metadata)" is kept as "tier"; "segment (metadata)" fills the segment column.
    assert res.custom_attributes == ["Email", "Delinquent", "Status", "Total Spend",
                                     "Payment Count", "Refunded Volume", "Dispute Losses",
                                     "tier", "crm_id"]
    assert _q(store, "SELECT account_id, name, segment, plan, signup_date::VARCHAR FROM "
                     "accounts ORDER BY account_id") == [
        ("cus_Nf1aAbC2dE3fG4", "Northwind Traders", "Mid-Market", "price_pro_monthly",
         "2024-03-01"),
        # No Name and no Description: no name (not the email).
        ("cus_Nf1bBcD3eF4gH5", None, "SMB", "price_basic_monthly", "2024-07-15"),
        ("cus_Nf1cCdE4fG5hI6", "Fabrikam", None, None, "2025-01-10"),
        ("cus_Nf1dDeF5gH6iJ7", "Tailspin Toys", "SMB", "price_pro_monthly", "2025-11-30")]
    assert _q(store, "SELECT attribute, value FROM account_attributes WHERE account_id = "
                     "'cus_Nf1aAbC2dE3fG4' AND attribute IN ('tier', 'Total Spend') "
                     "ORDER BY attribute") == [("Total Spend", "1,470.00"), ("tier", "gold")]


def test_stripe_customers_broken_date_is_rejected_after_a_multiline_description(store):
    res = load_file(store, "accounts", FIX / "stripe_customers_broken.csv",
                    preset="stripe_customers")
    assert res.outcome == "rejected"
    # Fabrikam's Description takes lines 4 and 5, so Tailspin starts on line 6.
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (6, "signup_date", "30/11/2025 18:45")]
    assert _q(store, "SELECT count(*) FROM accounts") == [(0,)]


def test_stripe_invoices_only_paid_ones_become_orders(store):
    res = load_file(store, "orders", FIX / "stripe_invoices.csv", preset="stripe_invoices")
    assert res.outcome == "loaded", res.message
    # 7 invoices: 4 paid; the open, void and draft ones are left out and said so.
    assert (res.rows_in_file, res.rows_loaded) == (4, 4)
    assert any("left out: 1 draft, 1 open, 1 void" in n for n in res.preset_notes)
    # 49.00 + 1,200.00 + 49.00 + 19.00 (major units; "USD" and "usd" are one currency)
    assert _q(store, "SELECT sum(amount)::DOUBLE, count(DISTINCT account_id) FROM orders") == [
        (1317.0, 3)]
    # Paid At when given (Contoso paid two days after the invoice), else the invoice Date.
    assert _q(store, "SELECT order_id, ordered_at::VARCHAR FROM orders WHERE order_id IN "
                     "('in_1QaA02', 'in_1QaA07') ORDER BY 1") == [
        ("in_1QaA02", "2026-01-05 09:30:00"), ("in_1QaA07", "2026-02-15 12:00:00")]


def test_stripe_invoices_broken_amount_and_a_second_currency_are_rejected(store, tmp_path):
    res = load_file(store, "orders", FIX / "stripe_invoices_broken.csv",
                    preset="stripe_invoices")
    # in_1QaA02's Description takes lines 3 and 4: in_1QaA06 is on line 8.
    assert res.rejects == [{"line": 8, "column": "amount", "value": "forty-nine",
                            "reason": "Amount Paid 'forty-nine' is not a number"}]
    text = (FIX / "stripe_invoices.csv").read_text(encoding="utf-8")
    path = tmp_path / "invoices.csv"
    path.write_text(text.replace("19.00,19.00,0.00,usd,paid", "19.00,19.00,0.00,eur,paid"),
                    encoding="utf-8")
    res = load_file(store, "orders", path, preset="stripe_invoices")
    assert [(r["line"], r["column"]) for r in res.rejects] == [(9, "amount")]
    assert "differs from the file's first paid invoice's (usd)" in res.rejects[0]["reason"]
    # Cents, as the API writes them: 4900 + 120000 + 4900 + 1900 minor units = 1,317.00.
    cents = tmp_path / "cents.csv"
    cents.write_text(text.replace('"1,200.00","1,200.00"', "120000,120000").replace(
        ",49.00,49.00,", ",4900,4900,").replace("19.00,19.00,0.00,usd,paid",
                                                  "1900,1900,0,usd,paid"), encoding="utf-8")
    res = load_file(store, "orders", cents, preset="stripe_invoices",
                    preset_options={"units": "minor"})
    assert res.outcome == "loaded", res.message
    assert _q(store, "SELECT sum(amount)::DOUBLE FROM orders") == [(1317.0,)]


def _zendesk_tickets(store) -> None:
    res = load_file(store, "tickets", FIX / "zendesk_tickets.csv", preset="zendesk_tickets")
    assert res.outcome == "loaded", res.message


def test_zendesk_ratings_become_csat_on_a_stated_scale(store):
    _zendesk_tickets(store)  # a rating's account is its ticket's Organization
    res = load_file(store, "survey_responses", FIX / "zendesk_satisfaction.jsonl",
                    preset="zendesk_satisfaction")
    assert res.outcome == "loaded", res.message
    # 7 ratings: 3 good, 2 bad; the offered and unoffered ones have no answer.
    assert res.rows_loaded == 5
    assert any("1 offered, 1 unoffered" in n for n in res.preset_notes)
    assert any("from the 5 tickets stored" in n for n in res.preset_notes)
    # good = 5, bad = 1 on scale 5: CSAT (>= 4) = 3 / 5 = 60 %, the mean (3x5 + 2x1) / 5.
    assert _q(store, "SELECT count(*) FILTER (WHERE score >= 4) / count(*), avg(score), "
                     "min(scale), max(scale), min(survey_type) FROM survey_responses") == [
        (0.6, 3.4, 5, 5, "csat")]
    # Tickets 101 and 103 are Northwind's, 102 and 105 Contoso's, 104 Fabrikam's.
    assert _q(store, "SELECT account_id, count(*) FILTER (WHERE score = 5), count(*) FILTER "
                     "(WHERE score = 1) FROM survey_responses GROUP BY 1 ORDER BY 1") == [
        ("Contoso Ltd", 0, 2), ("Fabrikam", 1, 0), ("Northwind Traders", 2, 0)]
    # 17:40 at -05:00 is 22:40 UTC; the bad rating's reason is kept with its comment.
    assert _q(store, "SELECT responded_at::VARCHAR, comment FROM survey_responses "
                     "WHERE response_id = '35122'") == [
        ("2026-03-03 22:40:00",
         "Took three days\nto get an answer\n(reason: The issue took too long to resolve)")]


def test_zendesk_rating_broken_score_and_ratings_of_tickets_not_stored(store, tmp_path):
    _zendesk_tickets(store)
    res = load_file(store, "survey_responses", FIX / "zendesk_satisfaction_broken.jsonl",
                    preset="zendesk_satisfaction")
    # JSON lines: record N is the report's line N + 1 (the comment with a newline in
    # record 2 does not shift it).
    assert res.rejects == [{"line": 5, "column": "score", "value": "great",
                            "reason": "score 'great' is not a Zendesk rating (good, bad, "
                                      "offered, unoffered)"}]


def test_zendesk_ratings_without_their_tickets_name_the_fix(store, tmp_path):
    # No tickets stored: every answer is rejected, the reason says what to load first.
    res = load_file(store, "survey_responses", FIX / "zendesk_satisfaction.jsonl",
                    preset="zendesk_satisfaction")
    assert res.outcome == "rejected" and res.rows_rejected == 5
    assert res.rejects[0]["reason"] == (
        "ticket 101 is not among the stored tickets: load the Zendesk tickets export first "
        "(its Organization is the account), or name an account column with "
        "--preset-option account=COLUMN")
    # An organization column added to the export is read instead, tickets or not.
    path = tmp_path / "ratings.jsonl"
    path.write_text("".join(ln.replace('"ticket_id": ', '"organization_id": "acc-x", '
                                       '"ticket_id": ')
                            for ln in (FIX / "zendesk_satisfaction.jsonl").open(
                                encoding="utf-8")), encoding="utf-8")
    res = load_file(store, "survey_responses", path, preset="zendesk_satisfaction")
    assert (res.outcome, res.rows_loaded) == ("loaded", 5), res.rejects[:1]
    assert _q(store, "SELECT DISTINCT account_id FROM survey_responses") == [("acc-x",)]


def test_hubspot_closed_won_deals_become_orders(store):
    res = load_file(store, "orders", FIX / "hubspot_deals.csv", preset="hubspot_deals")
    assert res.outcome == "loaded", res.message
    assert any("Appointment Scheduled 1, Closed Lost 1" in n for n in res.preset_notes)
    # 12,000 + 4,500.50 + $7,250.00; 9002's first associated company is its account.
    assert _q(store, "SELECT order_id, account_id, ordered_at::VARCHAR, amount::DOUBLE FROM "
                     "orders ORDER BY order_id") == [
        ("9001", "5521904312", "2026-01-15 10:00:00", 12000.0),
        ("9002", "5521904313", "2026-02-03 00:00:00", 4500.5),
        ("9005", "5521904314", "2026-02-27 00:00:00", 7250.0)]  # 2/27/2026, month first
    assert _q(store, "SELECT sum(amount)::DOUBLE FROM orders") == [(23750.5,)]


def test_hubspot_won_stages_option_and_broken_amount(store):
    res = load_file(store, "orders", FIX / "hubspot_deals_broken.csv", preset="hubspot_deals")
    # 9002's name takes lines 3 and 4: 9005 is on line 7; a decimal comma is no number.
    assert res.rejects == [{"line": 7, "column": "amount", "value": "7.250,00",
                            "reason": "Amount '7.250,00' is not a number"}]
    res = load_file(store, "orders", FIX / "hubspot_deals.csv", preset="hubspot_deals",
                    preset_options={"won": "Closed Won; closed lost"})
    # The lost deal counts too now: 23,750.50 + 8,000.
    assert (res.outcome, res.rows_loaded) == ("loaded", 4)
    assert _q(store, "SELECT sum(amount)::DOUBLE FROM orders") == [(31750.5,)]


def test_typeform_nps_recognises_its_score_question(store):
    res = load_file(store, "survey_responses", FIX / "typeform_nps.csv",
                    preset="typeform_responses",
                    preset_options={"comment": "What is the main reason for your score?"})
    assert res.outcome == "loaded", res.message
    # 6 responses: a partial one and one without a score are left out and counted.
    assert res.rows_loaded == 4
    assert any("1 partial responses, 1 without an answer" in n for n in res.preset_notes)
    # Scores 10, 7, 3, 9: 2 promoters, 1 detractor of 4 -> NPS 25.
    assert _q(store, "SELECT 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER "
                     "(WHERE score <= 6)) / count(*), count(DISTINCT account_id) "
                     "FROM survey_responses") == [(25.0, 3)]
    assert _q(store, "SELECT respondent, comment, responded_at::VARCHAR FROM survey_responses "
                     "WHERE response_id = 'k3q9x2m1p0a8d7f6'") == [
        ("ann@northwind.example", "Fast support,\nclear docs", "2026-03-02 09:01:30")]


def test_typeform_unrecognised_score_needs_the_option_and_a_broken_score(store, tmp_path):
    res = load_file(store, "survey_responses", FIX / "typeform_nps_broken.csv",
                    preset="typeform_responses")
    # The first answer's comment takes lines 2 and 3; the partial one is line 5.
    assert res.rejects == [{"line": 7, "column": "score", "value": "nine",
                            "reason": "not an integer"}]
    text = (FIX / "typeform_nps.csv").read_text(encoding="utf-8")
    path = tmp_path / "typeform.csv"
    path.write_text(text.replace("How likely are you to recommend Acme to a friend or "
                                 "colleague?", "Score"), encoding="utf-8")
    res = load_file(store, "survey_responses", path, preset="typeform_responses")
    assert res.outcome == "refused"
    assert "--preset-option score=COLUMN" in res.message and '"Score"' in res.message
    res = load_file(store, "survey_responses", path, preset="typeform_responses",
                    preset_options={"score": "score"})
    assert res.outcome == "refused" and "survey_type=nps|csat|ces" in res.message
    res = load_file(store, "survey_responses", path, preset="typeform_responses",
                    preset_options={"score": "Score", "survey_type": "nps"})
    assert (res.outcome, res.rows_loaded) == ("loaded", 4)


def test_typeform_layout_ending_with_submitted_at_and_token(store, tmp_path):
    rows = list(csv.reader((FIX / "typeform_nps.csv").open(encoding="utf-8", newline="")))
    # Questions and hidden fields, then Submitted At and Token (no #, no Network ID).
    keep = [1, 2, 3, 4, 8, 0]
    path = tmp_path / "typeform_old.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([rows[0][i] for i in keep[:4]] + ["Submitted At", "Token"])
        w.writerows([[r[i] for i in keep] for r in rows[1:]])
    assert detect_file(path, tmp_path) == "typeform_responses"
    res = load_file(store, "survey_responses", path, preset="auto", allow_rejects=True)
    # No Response Type column: the partial response (no score) is left out as unanswered.
    assert (res.outcome, res.rows_loaded) == ("loaded", 4), res.message
    assert _q(store, "SELECT response_id, responded_at::VARCHAR FROM survey_responses "
                     "ORDER BY responded_at LIMIT 1") == [
        ("k3q9x2m1p0a8d7f6", "2026-03-02 09:01:30")]


def test_surveymonkey_csat_with_two_header_rows_and_answer_labels(store):
    res = load_file(store, "survey_responses", FIX / "surveymonkey_csat.csv",
                    preset="surveymonkey_responses",
                    preset_options={"comment": "What could we do better?"})
    assert res.outcome == "loaded", res.message
    assert res.rows_loaded == 4
    assert any("1 header rows after the first, 1 without an answer" in n
               for n in res.preset_notes)
    # Very satisfied 5, Dissatisfied 2, Satisfied 4, Neither 3: CSAT (>= 4) 2 / 4.
    assert _q(store, "SELECT count(*) FILTER (WHERE score >= 4) / count(*), avg(score), "
                     "min(survey_type) FROM survey_responses") == [(0.5, 3.5, "csat")]
    # 11:02:00 PM is 23:02; Custom Data 1 is the account.
    assert _q(store, "SELECT account_id, responded_at::VARCHAR FROM survey_responses "
                     "WHERE response_id = '114000000003'") == [("acc-1", "2026-03-03 23:02:00")]


def test_surveymonkey_unknown_label_is_rejected_at_its_line(store):
    res = load_file(store, "survey_responses", FIX / "surveymonkey_csat_broken.csv",
                    preset="surveymonkey_responses")
    # Two header lines; 114000000002's comment takes lines 4 and 5: the fifth answer is line 8.
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (8, "score", "Very happy")]
    assert "neither a number nor a CSAT label" in res.rejects[0]["reason"]


def test_amplitude_events_with_groups_and_anonymous_users(store):
    res = load_file(store, "usage_events", FIX / "amplitude_events.jsonl",
                    preset="amplitude_events")
    assert res.outcome == "loaded", res.message
    # 6 events: session_start and $identify are Amplitude's bookkeeping, left out.
    assert res.rows_loaded == 4
    assert any("1 $identify, 1 session_start" in n for n in res.preset_notes)
    assert _q(store, "SELECT account_id, user_id, feature, occurred_at::VARCHAR FROM "
                     "usage_events ORDER BY occurred_at") == [
        ("acc-1", "u-ann", "Report Viewed", "2026-03-02 09:00:00"),
        ("acc-2", "d-7", "Export Created", "2026-03-02 10:30:00"),  # anonymous: device id
        ("acc-2", "u-bo", "Report Viewed", "2026-03-03 08:15:00"),  # first of two groups
        ("acc-3", "u-di", "Dashboard Shared", "2026-03-04 07:00:00")]  # no group: property


def test_amplitude_broken_time_and_a_gzipped_export(store, tmp_path):
    res = load_file(store, "usage_events", FIX / "amplitude_events_broken.jsonl",
                    preset="amplitude_events")
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [
        (5, "occurred_at", "yesterday")]
    gz = tmp_path / "123456_2026-03-02_9#0.json.gz"
    with open(FIX / "amplitude_events.jsonl", "rb") as f, gzip.open(gz, "wb") as out:
        shutil.copyfileobj(f, out)
    res = load_file(store, "usage_events", gz, preset="amplitude_events")
    assert res.outcome == "refused"
    assert "gzip archive" in res.message and "zcat *.json.gz > events.jsonl" in res.message
    assert _q(store, "SELECT count(*) FROM usage_events") == [(0,)]


def test_qualtrics_csat_question_found_by_its_text_with_qualtrics_labels(store):
    res = load_file(store, "survey_responses", FIX / "qualtrics_csat.csv", preset="auto",
                    preset_options={"comment": "Q2"})
    assert (res.outcome, res.preset, res.rows_loaded) == ("loaded", "qualtrics_nps", 4)
    # No QID_NPS_GROUP: Q1's text ("... how satisfied ...") makes it the CSAT question.
    # Extremely satisfied 5, Somewhat satisfied 4, Somewhat dissatisfied 2, Neither 3:
    # satisfied (>= 4) 2 of 4, mean 14 / 4.
    assert _q(store, "SELECT count(*) FILTER (WHERE score >= 4) / count(*), avg(score), "
                     "min(survey_type), min(scale) FROM survey_responses") == [
        (0.5, 3.5, "csat", 5)]
    # America/Denver, UTC-6 after 8 March: 22:31 on the 9th is 04:31 on the 10th.
    assert _q(store, "SELECT score, responded_at::VARCHAR FROM survey_responses "
                     "WHERE response_id = 'R_3c4D5e6F7g8H9i0'") == [(2, "2026-03-10 04:31:00")]


def test_qualtrics_csat_unknown_label_and_an_unrecognised_question(store, tmp_path):
    res = load_file(store, "survey_responses", FIX / "qualtrics_csat_broken.csv",
                    preset="qualtrics_nps")
    # Three header lines; the third answer's comment takes lines 6 and 7: Ed is line 8.
    assert [(r["line"], r["column"], r["value"]) for r in res.rejects] == [(8, "score", "Meh")]
    text = (FIX / "qualtrics_csat.csv").read_text(encoding="utf-8")
    path = tmp_path / "qualtrics.csv"
    path.write_text(text.replace("Overall, how satisfied are you with Acme?",
                                 "Rate Acme"), encoding="utf-8")
    res = load_file(store, "survey_responses", path, preset="qualtrics_nps")
    assert res.outcome == "refused"
    assert "--preset-option score=QID" in res.message and 'Q1 "Rate Acme"' in res.message
    res = load_file(store, "survey_responses", path, preset="qualtrics_nps",
                    preset_options={"score": "Q1", "survey_type": "csat"})
    assert (res.outcome, res.rows_loaded) == ("loaded", 4)


def test_delighted_csv_under_the_api_names_with_nps_and_csat(store):
    res = load_file(store, "survey_responses", FIX / "delighted_responses.csv", preset="auto")
    assert (res.outcome, res.preset, res.rows_loaded) == ("loaded", "delighted_responses", 5)
    # NPS 10, 4, 8: 1 promoter, 1 detractor of 3 -> 0; CSAT 5 and 2: 1 of 2 satisfied.
    assert _q(store, "SELECT survey_type, count(*), sum(CASE WHEN survey_type = 'nps' THEN "
                     "(score >= 9)::INT - (score <= 6)::INT ELSE (score >= 4)::INT END) FROM "
                     "survey_responses GROUP BY 1 ORDER BY 1") == [("csat", 2, 1), ("nps", 3, 0)]
    # Unix seconds, or an ISO time with its offset (09:00 at -05:00 is 14:00 UTC).
    assert _q(store, "SELECT response_id, responded_at::VARCHAR FROM survey_responses WHERE "
                     "response_id IN ('101', '103') ORDER BY 1") == [
        ("101", "2026-03-02 09:00:00"), ("103", "2026-03-04 14:00:00")]


def test_delighted_csv_broken_score_at_its_line(store):
    res = load_file(store, "survey_responses", FIX / "delighted_responses_broken.csv",
                    preset="delighted_responses")
    # 101's comment takes lines 2 and 3: 104 is line 6.
    assert res.rejects == [{"line": 6, "column": "score", "value": "eight",
                            "reason": "not an integer"}]
