"""The Satisfaction page's other numbers, hand-worked: revenue by latest NPS category and the
MRR-weighted NPS, feedback coverage and the accounts not heard from, advocates (and their CSV
export), league tables with ties, the score distribution, changes between periods and the
page's query list."""

from __future__ import annotations

import io
import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard import catalogue
from metrics import benchmarks, export, registry, stats
from metrics.kpis import feedback, loyalty, satisfaction
from metrics.query import Query, previous_window

DAY = date(2024, 6, 30)  # the evaluation day: the window's last day
WINDOW = Query(start=date(2024, 1, 1), end=date(2024, 7, 1), as_of=DAY, grain="all")
T = datetime(2024, 6, 30, 12)  # noon on the evaluation day


def account(aid, *, segment="SMB", signup=date(2023, 1, 1), churn=None, name=None):
    return {"account_id": aid, "name": name or f"{aid} Corp", "segment": segment,
            "csm_owner": "Ann", "signup_date": signup, "churn_date": churn}


def sub(aid, mrr, start=date(2023, 1, 1), end=None):
    return {"account_id": aid, "start_date": start, "end_date": end, "mrr": mrr}


def nps(aid, score, when, *, comment=None, respondent=None, rid=None):
    return {"response_id": rid or f"{aid}-{when:%Y%m%d%H}-{score}", "account_id": aid,
            "respondent": respondent or f"boss@{aid}.test", "survey_type": "nps", "score": score,
            "comment": comment, "responded_at": when, "touchpoint": "relationship"}


@pytest.fixture
def book(insert):
    """Five accounts: A promoter (after an old detractor answer), B passive, C detractor,
    D paying but no answer, E promoter but not paying (its subscription ended)."""
    insert("accounts", [account(a) for a in "ABCDE"])
    insert("subscriptions", [sub("A", 100), sub("B", 300), sub("C", 600), sub("D", 1000),
                             sub("E", 50, end=date(2024, 6, 1))])
    insert("survey_responses", [
        nps("A", 0, datetime(2024, 2, 1)), nps("A", 10, datetime(2024, 5, 1), comment="Great"),
        nps("B", 7, datetime(2024, 4, 1)),
        nps("C", 3, datetime(2024, 3, 1)),
        nps("E", 10, datetime(2024, 5, 1)),
    ])


# ------------------------------------------------------------------- revenue by NPS category


def test_revenue_by_latest_nps_category_and_mrr_weighted_nps_are_hand_worked(store, book):
    r = loyalty.nps_revenue(store.cursor(), WINDOW).iloc[0]
    assert (r.accounts, r.mrr) == (4, 2000.0)  # E pays nothing on the day
    assert (r.promoter_accounts, r.passive_accounts, r.detractor_accounts,
            r.no_answer_accounts) == (1, 1, 1, 1)
    assert (r.promoter_mrr, r.passive_mrr, r.detractor_mrr, r.no_answer_mrr) == (
        100.0, 300.0, 600.0, 1000.0)
    # 100 (100 - 600) / (100 + 300 + 600): the unanswered MRR is not in the denominator
    assert r.nps_mrr_weighted == pytest.approx(-50.0)
    assert r.nps_accounts == pytest.approx(0.0)  # 100 (1 - 1) / 3


def test_an_answer_older_than_the_recency_limit_or_after_the_day_does_not_count(
        store, insert, book):
    insert("survey_responses", [nps("D", 10, datetime(2023, 6, 1)),   # 395 days before
                                nps("B", 0, datetime(2024, 7, 5))])  # after the day
    r = loyalty.nps_revenue(store.cursor(), WINDOW).iloc[0]
    assert (r.no_answer_mrr, r.passive_mrr) == (1000.0, 300.0)
    longer = loyalty.nps_revenue(store.cursor(), WINDOW.with_setting("nps_recency_days", 400))
    assert longer.iloc[0].promoter_mrr == 1100.0  # D's old promoter answer now counts


def test_revenue_by_month_uses_each_months_last_day(store, book):
    q = WINDOW.with_(grain="month")
    df = loyalty.nps_revenue(store.cursor(), q).set_index("period")
    # On 2024-02-29 A's latest answer is the detractor 0 of 2024-02-01; nobody else answered
    feb = df.loc[date(2024, 2, 1)]
    assert (feb.detractor_mrr, feb.promoter_mrr, feb.nps_mrr_weighted) == (100.0, 0.0, -100.0)
    jan = df.loc[date(2024, 1, 1)]
    assert jan.no_answer_accounts == 5 and math.isnan(jan.nps_mrr_weighted)
    assert df.loc[date(2024, 5, 1)].promoter_mrr == 150.0  # A and E (E still paying in May)


def test_equal_answer_times_are_resolved_by_response_id(store, insert):
    insert("accounts", [account("A")])
    insert("subscriptions", [sub("A", 100)])
    insert("survey_responses", [nps("A", 0, T, rid="r2"), nps("A", 10, T, rid="r1")])
    assert loyalty.nps_revenue(store.cursor(), WINDOW).iloc[0].detractor_mrr == 100.0


# ------------------------------------------------------------------------ feedback coverage


@pytest.fixture
def heard(insert):
    """Active on the day: A (answered 10 days before), B (89 days before), C (90 days before),
    D (never). Not active: X churned before the day, Y signed up after it."""
    insert("accounts", [account("A"), account("B"), account("C"), account("D"),
                        account("X", churn=date(2024, 6, 1)),
                        account("Y", signup=date(2024, 7, 10))])
    insert("subscriptions", [sub("A", 100), sub("B", 300), sub("C", 600)])
    insert("survey_responses", [
        {**nps("A", 9, T - timedelta(days=10)), "survey_type": "csat", "score": 5},
        nps("B", 3, T - timedelta(days=89)),
        nps("C", 8, T - timedelta(days=90)),
        nps("X", 8, T - timedelta(days=40)),
    ])


def test_feedback_coverage_counts_answers_in_the_90_days_up_to_the_day(store, heard):
    r = loyalty.feedback_coverage(store.cursor(), WINDOW).iloc[0]
    assert (r.active_accounts, r.heard_accounts, r.unheard_accounts) == (4, 2, 2)
    assert r.coverage == 0.5
    assert (r.mrr, r.heard_mrr) == (1000.0, 400.0)  # D pays nothing
    assert r.mrr_coverage == pytest.approx(0.4)


def test_the_accounts_not_heard_from_are_listed_largest_mrr_first(store, heard):
    df = loyalty.unheard_accounts(store.cursor(), WINDOW)
    assert list(df.account_id) == ["C", "D"]
    c, d = df.iloc[0], df.iloc[1]
    assert (c.mrr, c.days_since_response, c.account_name) == (600.0, 90, "C Corp")
    assert d.mrr == 0.0 and pd.isna(d.last_response_at) and pd.isna(d.days_since_response)


def test_a_longer_coverage_window_hears_more(store, heard):
    r = loyalty.feedback_coverage(store.cursor(), WINDOW.with_setting("coverage_days", 91))
    assert r.iloc[0].heard_accounts == 3


# -------------------------------------------------------------------------------- advocates


def test_advocates_are_active_accounts_whose_latest_nps_answer_is_a_promoter(store, insert, book):
    insert("accounts", [account("Z", churn=date(2024, 6, 15))])
    insert("survey_responses", [nps("Z", 10, datetime(2024, 5, 1)),  # churned: not listed
                                nps("B", 9, datetime(2024, 1, 15))])  # B's latest is the 7
    df = loyalty.advocates(store.cursor(), WINDOW.with_setting("advocates_health", "any"))
    # A (latest 10) and E (active customer, though no longer paying); MRR first
    assert list(df.account_id) == ["A", "E"]
    a = df.iloc[0]
    assert (a.score, a.comment, a.respondent, a.mrr) == (10, "Great", "boss@A.test", 100.0)
    assert df.iloc[1].mrr == 0.0
    # health (NPS and MRR only): A (0.20 × 100 + 0.15 × 50) / 0.35 = 78.6 green; E's MRR fell
    # to 0, financial 0: 0.20 × 100 / 0.35 = 57.1 yellow. By default only A is an advocate.
    assert list(df.band) == ["green", "yellow"]
    assert list(loyalty.advocates(store.cursor(), WINDOW).account_id) == ["A"]


def test_the_advocates_csv_neutralises_formulas(store, insert):
    insert("accounts", [account("A", name="=HYPERLINK(\"http://x\")")])
    insert("subscriptions", [sub("A", 100)])
    insert("survey_responses", [nps("A", 10, T, comment="+cmd|' /C calc'!A0",
                                    respondent="@boss")])
    df = loyalty.advocates(store.cursor(), WINDOW.with_setting("advocates_health", "any"))
    text = export.csv_bytes(df).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert back.loc[0, "account_name"] == "'=HYPERLINK(\"http://x\")"
    assert back.loc[0, "comment"] == "'+cmd|' /C calc'!A0"
    assert back.loc[0, "respondent"] == "'@boss"
    assert back.loc[0, "mrr"] == "100.0"  # numbers untouched


def test_advocates_are_promoters_whose_health_is_green_unless_any_band_is_asked(
        store, insert, capsys):
    """G and R both answered a promoter score; with NPS, tickets (tracked) and MRR the health
    components are sentiment (0.20), support (0.15) and financial (0.15), re-normalised over
    0.50. G: NPS 10 → 100, no ticket → 100, flat MRR → 50: (20 + 15 + 7.5) / 0.5 = 85.0 green.
    R: NPS 9 → 90, two open P1 tickets for one user → 0, MRR 1000 → 100 over the last 90 days
    → 50 + 50 × (−0.9) = 5: (18 + 0 + 0.75) / 0.5 = 37.5 red."""
    insert("accounts", [account("G"), account("R")])
    insert("subscriptions", [sub("G", 500), sub("R", 1000, end=date(2024, 5, 1)),
                             sub("R", 100, start=date(2024, 5, 1))])
    insert("survey_responses", [nps("G", 10, datetime(2024, 5, 1)),
                                nps("R", 9, datetime(2024, 5, 1))])
    insert("tickets", [{"ticket_id": f"t{i}", "account_id": "R", "priority": "P1",
                        "created_at": datetime(2024, 6, 10, 9)} for i in (1, 2)])
    cur = store.cursor()
    health = registry.compute(cur, "health", Query(as_of=DAY)).set_index("account_id")
    assert health.score.round(1).to_dict() == {"G": 85.0, "R": 37.5}
    default = registry.compute(cur, "advocates", WINDOW)
    assert list(default.account_id) == ["G"] and list(default.band) == ["green"]
    assert list(default.columns)[-1] == "band"
    anyband = loyalty.advocates(cur, WINDOW.with_setting("advocates_health", "any"))
    assert dict(zip(anyband.account_id, anyband.band, strict=True)) == {"G": "green",
                                                                        "R": "red"}
    assert list(anyband.mrr) == [500.0, 100.0]
    with pytest.raises(ValueError, match="advocates_health"):
        loyalty.advocates(cur, WINDOW.with_setting("advocates_health", "yellow"))
    # the command line passes the setting through
    from csm import cli

    args = ["metric", "advocates", "--from", "2024-01-01", "--to", "2024-07-01", "--as-of",
            "2024-06-30", "--db", str(store.path)]
    assert cli.main(args) == 0
    assert [r["account_id"] for r in json.loads(capsys.readouterr().out)] == ["G"]
    assert cli.main([*args, "--advocates-health", "any"]) == 0
    assert [r["band"] for r in json.loads(capsys.readouterr().out)] == ["green", "red"]


# ----------------------------------------------------------------------------- league table


def frame(groups):
    """A one-period nps-like frame from {group: (value, ci_low, ci_high, responses)}."""
    return pd.DataFrame([{"segment": g, "nps": v, "ci_low": lo, "ci_high": hi, "responses": n,
                          "small_n": n < 30} for g, (v, lo, hi, n) in groups.items()])


def test_league_ranks_by_intervals_and_labels_overlapping_groups_as_tied():
    table = satisfaction.league_table(frame({
        "A": (50, 40, 60, 100), "B": (50.5, 45, 55, 100), "C": (20, 10, 30, 100),
        "D": (33, 25, 42, 100)}), "nps", "segment").set_index("segment")
    # nobody's interval is wholly above A's or B's; B's (45-55) is above D's (25-42); A's and
    # B's are above C's (10-30), D's is not (25 <= 30)
    assert table["rank"].to_dict() == {"B": 1, "A": 1, "D": 2, "C": 3}
    assert table.loc["A", "tied_with"] == "B; D"
    assert table.loc["B", "tied_with"] == "A"
    assert table.loc["C", "tied_with"] == "D"
    assert table["tied"].all()


def test_league_order_is_rank_then_value_and_a_group_without_interval_comes_last():
    table = satisfaction.league_table(frame({
        "solo": (80, np.nan, np.nan, 1), "low": (10, 5, 15, 50), "high": (70, 60, 80, 50)}),
        "nps", "segment")
    assert list(table.segment) == ["high", "low", "solo"]
    assert list(table["rank"].astype(object).where(table["rank"].notna(), None)) == [1, 2, None]
    assert not table["tied"].any()


def test_league_of_demo_like_counts_uses_the_nps_intervals(store, insert):
    insert("accounts", [account("S", segment="SMB"), account("E", segment="Enterprise")])
    rows = [nps("S", s, datetime(2024, 3, 1, 8, i), rid=f"s{i}")
            for i, s in enumerate([10] * 20 + [0] * 20)]
    rows += [nps("E", s, datetime(2024, 3, 1, 9, i), rid=f"e{i}")
             for i, s in enumerate([10] * 38 + [7] * 2)]
    insert("survey_responses", rows)
    df = satisfaction.nps(store.cursor(), WINDOW.with_(by="segment"))
    table = satisfaction.league_table(df, "nps", "segment").set_index("segment")
    _, lo_e, _, _, _ = stats.nps_interval(38, 2, 0)
    _, _, hi_s, _, _ = stats.nps_interval(20, 0, 20)
    assert lo_e > hi_s  # Enterprise's interval is wholly above SMB's
    assert table["rank"].to_dict() == {"Enterprise": 1, "SMB": 2}
    assert not table["tied"].any()


# --------------------------------------------------------------------- score distribution


def test_score_distribution_has_every_score_with_its_share_and_category(store, insert):
    insert("accounts", [account("A")])
    scores = [10, 10, 10, 9, 8, 6, 6, 0]
    insert("survey_responses", [nps("A", s, datetime(2024, 3, 1, 8, i), rid=f"r{i}")
                                for i, s in enumerate(scores)])
    df = feedback.nps_distribution(store.cursor(), WINDOW)
    assert list(df.score) == list(range(11))
    assert list(df.responses) == [1, 0, 0, 0, 0, 0, 2, 0, 1, 1, 3]
    assert list(df.share) == pytest.approx([n / 8 for n in df.responses])
    assert list(df.category) == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2


def test_score_distribution_of_an_empty_period_has_null_shares(store, insert):
    insert("accounts", [account("A")])
    insert("survey_responses", [nps("A", 9, datetime(2024, 3, 1))])
    df = feedback.nps_distribution(store.cursor(), WINDOW.with_(grain="month"))
    jan = df[df.period == date(2024, 1, 1)]
    assert len(jan) == 11 and (jan.responses == 0).all() and jan.share.isna().all()


# ------------------------------------------------------------------ changes between periods


def survey_frame(rows):
    return pd.DataFrame(rows)


def test_a_change_is_tested_with_the_metrics_md_test_and_a_partial_period_is_not_compared():
    f = survey_frame([
        {"period": date(2024, 1, 1), "partial": False, "responses": 100, "promoters": 30,
         "passives": 40, "detractors": 30, "nps": 0.0},
        {"period": date(2024, 2, 1), "partial": False, "responses": 100, "promoters": 60,
         "passives": 30, "detractors": 10, "nps": 50.0},
        {"period": date(2024, 3, 1), "partial": True, "responses": 10, "promoters": 0,
         "passives": 0, "detractors": 10, "nps": -100.0},
    ])
    out = satisfaction.with_changes(f, "nps")
    assert list(out.compared) == [False, True, False]
    assert out.change[1] == 50.0 and math.isnan(out.change[2])
    z, p, sig = stats.nps_change_test(30, 40, 30, 60, 30, 10)
    assert (out.p_value[1], bool(out.significant[1])) == (pytest.approx(p), bool(sig))
    assert bool(sig) is True
    assert not out.significant[2]


def test_csat_changes_use_the_pooled_two_proportion_test():
    prev = {"responses": 50, "satisfied": 40, "csat": 0.8}
    cur = {"responses": 60, "satisfied": 42, "csat": 0.7}
    z, p, sig = satisfaction.change_test("csat", prev, cur)
    pooled = 82 / 110
    expected = (0.7 - 0.8) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 60))
    assert z == pytest.approx(expected) and sig is False


def test_ces_changes_use_welch_t_with_the_sd_behind_the_interval():
    a, b = np.array([1, 2, 3, 4, 5.0]), np.array([4, 5, 6, 6, 7, 7.0])
    rows = []
    for x in (a, b):
        lo, hi = stats.t_interval(x.mean(), x.std(ddof=1), len(x))
        rows.append({"responses": len(x), "ces": x.mean(), "ci_low": lo, "ci_high": hi})
    assert satisfaction.ces_sd(rows[0]["ces"], rows[0]["ci_high"], 5) == pytest.approx(
        a.std(ddof=1))
    t, p, sig = satisfaction.change_test("ces", rows[0], rows[1])
    from scipy import stats as sps

    ref = sps.ttest_ind(b, a, equal_var=False)
    assert (t, p) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    assert sig is bool(ref.pvalue < 0.05)


# ------------------------------------------------------------------ the page's query list


def test_the_previous_window_has_the_same_length_and_ends_where_the_window_starts():
    q = Query(start=date(2026, 1, 1), end=date(2026, 7, 1))
    prev = previous_window(q)
    assert (prev.start, prev.end) == (date(2025, 7, 4), date(2026, 1, 1))  # 181 days each
    assert previous_window(Query()) == Query()


def test_every_satisfaction_page_item_names_a_registered_metric_or_sql_file():
    from metrics.kpis import SQL_DIR

    items = catalogue.CALLS["satisfaction"]
    keys = [catalogue.item_key(i) for i in items]
    assert len(set(keys)) == len(keys)
    for item in items:
        if item[0] == "metric":
            assert item[1] in registry.REGISTRY
        else:
            assert (SQL_DIR / f"{item[1]}.sql").exists()
    assert "nps[grain=all,window=previous]" in keys


def test_compute_page_runs_the_satisfaction_queries_on_the_window(store, book):
    out = catalogue.compute_page(store.cursor(), "satisfaction", WINDOW.with_(grain="month"))
    assert out["nps_revenue[grain=all]"].iloc[0].nps_mrr_weighted == pytest.approx(-50.0)
    assert len(out["nps"]) == 6 and len(out["nps[grain=all]"]) == 1
    prev = out["nps[grain=all,window=previous]"]
    # 182 days (2024 is a leap year) before 2024-01-01
    assert prev.iloc[0].period == date(2023, 7, 3) and prev.iloc[0].responses == 0


def test_satisfaction_benchmarks_carry_source_year_and_link():
    marks = benchmarks.load_benchmarks()
    for key in ("nps_b2b_software", "csat_help_desk", "nps_band_good", "nps_band_excellent",
                "nps_band_world_class"):
        b = marks[key]
        assert b["source"] and b["year"] and b["link"], key
        assert b["lo"] < b["hi"]
    assert "weak" in marks["nps_b2b_software"]["source"]
    assert (marks["csat_help_desk"]["lo"], marks["csat_help_desk"]["hi"]) == (0.82, 0.86)
