"""The weekly review's "what changed" lists on a hand-built pair of weeks (metrics/review.py)."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from metrics import review
from metrics.query import Query

# The week under review: Monday 2026-06-15 to Sunday 2026-06-21; the week before starts 06-08.
WEEK = date(2026, 6, 15)


def test_iso_weeks_parse_and_print():
    assert review.parse_week("2026-W25") == WEEK
    assert review.week_label(WEEK) == "2026-W25"
    assert review.parse_week("2020-W53") == date(2020, 12, 28)
    for bad in ("2026-25", "2026-W60", "W25", ""):
        with pytest.raises(ValueError):
            review.parse_week(bad)


def test_the_last_complete_week_ends_on_the_last_sunday_up_to_as_of():
    assert review.last_complete_week(date(2026, 6, 21)) == WEEK  # a Sunday: its own week
    assert review.last_complete_week(date(2026, 6, 24)) == WEEK  # a Wednesday: the week before
    assert review.last_complete_week(date(2026, 6, 22)) == WEEK  # a Monday


def _accounts():
    return pd.DataFrame({
        "account_id": ["red", "grow", "gone", "back", "new", "calm"],
        "account_name": ["Red Co", "Grow Inc", "Gone Ltd", "Back Again", "New Kid", "Calm AG"],
        "segment": ["SMB"] * 6,
        "csm_owner": ["ann"] * 6,
        "signup_date": [date(2024, 1, 1)] * 5 + [date(2024, 1, 1)],
        "churn_date": [None, None, date(2026, 6, 17), None, None, None],
        "renewal_date": [date(2026, 7, 1), date(2026, 8, 10), None, date(2026, 9, 9),
                         date(2026, 12, 1), date(2026, 6, 21)],
        "mrr_before": [900.0, 1000.0, 500.0, 0.0, 0.0, 300.0],
        "mrr_after": [900.0, 1500.0, 0.0, 200.0, 100.0, 300.0],
        "paid_before": [True, True, True, True, False, True],
    })


def test_band_moves_lists_an_account_that_turned_red_and_one_that_recovered():
    before = pd.DataFrame({"account_id": ["red", "grow", "back", "calm"],
                           "band": ["yellow", "red", "green", "green"]})
    after = pd.DataFrame({"account_id": ["red", "grow", "back", "calm", "new"],
                          "band": ["red", "yellow", "yellow", "green", "green"]})
    moves = review.band_moves(before, after, _accounts())
    assert moves.account_id.tolist() == ["red", "back", "grow"]
    assert moves.move.tolist() == ["turned red", "worsened", "recovered"]
    assert moves.account_name.iloc[0] == "Red Co" and moves.mrr.iloc[0] == 900.0
    assert moves.band_before.iloc[0] == "yellow" and moves.band_after.iloc[0] == "red"


def test_mrr_movers_are_sorted_by_size_and_named_by_movement():
    m = review.mrr_movers(_accounts(), n=3)
    assert m.account_id.tolist() == ["gone", "grow", "back"]  # equal sizes: by account id
    assert m.change.tolist() == [-500.0, 500.0, 200.0]
    assert m.movement.tolist() == ["churn", "expansion", "reactivation"]
    everyone = review.mrr_movers(_accounts())
    assert dict(zip(everyone.account_id, everyone.movement, strict=True))["new"] == "new"
    assert "calm" not in everyone.account_id.tolist()  # no change, no mover


def test_new_churns_are_the_churn_dates_inside_the_week():
    c = review.new_churns(_accounts(), WEEK, date(2026, 6, 22))
    assert c.account_id.tolist() == ["gone"] and c.mrr_before.tolist() == [500.0]
    assert review.new_churns(_accounts(), date(2026, 6, 22), date(2026, 6, 29)).empty


def test_a_reactivation_had_paid_before_and_a_new_logo_did_not():
    assert review.reactivations(_accounts()).account_id.tolist() == ["back"]


def _upcoming():
    # kpis.renewals.upcoming_renewals' shape, as of 2026-06-21 (calm renews that day: not ahead)
    return pd.DataFrame({
        "account_id": ["calm", "red", "grow", "back", "new"],
        "name": ["Calm AG", "Red Co", "Grow Inc", "Back Again", "New Kid"],
        "segment": ["SMB"] * 5,
        "renewal_date": [date(2026, 6, 21), date(2026, 7, 1), date(2026, 8, 10),
                         date(2026, 9, 9), date(2026, 12, 1)],
        "arr": [3600.0, 10800.0, 18000.0, 2400.0, 1200.0],
        "days_to": [0, 10, 50, 80, 163],
        "band": [None, "red", None, "green", None]})


def test_renewals_due_within_30_60_90_days_soonest_first_with_health():
    r = review.renewals_due(_upcoming(), _accounts())
    assert r.account_id.tolist() == ["red", "grow", "back"]  # calm renews today: not ahead
    assert r.days_to.tolist() == [10, 50, 80]
    assert r.due_within.tolist() == ["30 days", "60 days", "90 days"]
    assert r.mrr.tolist() == [900.0, 1500.0, 200.0] and r.csm_owner.tolist() == ["ann"] * 3
    assert r.band.tolist()[0] == "red" and pd.isna(r.band.tolist()[1])
    # the counts are cumulative, as on the Retention page: 60 days includes the first 30
    assert review.renewal_counts(r) == {30: 1, 60: 2, 90: 3}


def test_a_kpi_row_tests_a_survey_change_and_compares_with_the_target():
    prev = pd.Series({"nps": 0.0, "promoters": 10, "passives": 0, "detractors": 10,
                      "responses": 20})
    cur = pd.Series({"nps": 80.0, "promoters": 18, "passives": 0, "detractors": 2,
                     "responses": 20})
    row = review.kpi_row("nps", "nps", prev, cur, 40.0)
    assert row["change"] == 80.0 and row["significant"] is True and row["p_value"] < 0.05
    assert row["target_met"] is True and row["vs_target"] == 40.0
    churn = review.kpi_row("logo_churn", "churn_rate", pd.Series({"churn_rate": 0.01}),
                           pd.Series({"churn_rate": 0.03}), 0.02)
    assert churn["target_met"] is False and churn["significant"] is None


def test_build_reads_one_week_from_the_database(store, insert):
    insert("accounts", [
        {"account_id": "a", "name": "Alpha", "segment": "SMB", "signup_date": date(2025, 1, 1),
         "renewal_date": date(2026, 7, 15)},
        {"account_id": "b", "name": "Beta", "segment": "SMB", "signup_date": date(2025, 1, 1),
         "churn_date": date(2026, 6, 18)},
    ])
    insert("subscriptions", [
        {"account_id": "a", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 16),
         "mrr": 100},
        {"account_id": "a", "start_date": date(2026, 6, 16), "mrr": 250},
        {"account_id": "b", "start_date": date(2025, 1, 1), "end_date": date(2026, 6, 18),
         "mrr": 80},
    ])
    insert("survey_responses", [
        {"response_id": "r1", "account_id": "a", "survey_type": "nps", "score": 3,
         "comment": "too slow", "respondent": "pat@alpha.example",
         "responded_at": datetime(2026, 6, 17, 10)},
        {"response_id": "r0", "account_id": "a", "survey_type": "nps", "score": 2,
         "responded_at": datetime(2026, 6, 10, 10)},  # the week before: not new
        {"response_id": "r2", "account_id": "b", "survey_type": "nps", "score": 9,
         "responded_at": datetime(2026, 6, 23, 10)},
    ])
    r = review.build(store.cursor(), Query(), "2026-W25")
    assert (r.start, r.end, r.as_of) == (WEEK, date(2026, 6, 22), date(2026, 6, 21))
    assert r.detractors.account_name.tolist() == ["Alpha"]
    assert r.detractors.comment.tolist() == ["too slow"]
    assert r.mrr_movers.account_id.tolist() == ["a", "b"]
    assert r.mrr_movers.change.tolist() == [150.0, -80.0]
    assert r.new_churns.account_id.tolist() == ["b"]
    # renewals count from the data's as-of (2026-06-23), as on the Retention page, not from
    # the week's Sunday; the KPIs are read as of it too
    assert (r.renewals_from, r.kpi_as_of) == (date(2026, 6, 23), date(2026, 6, 23))
    assert r.renewals.account_id.tolist() == ["a"] and r.renewals.days_to.tolist() == [22]
    nps = r.kpis.set_index("metric").loc["nps"]
    assert nps.value == -100.0 and nps.previous == -100.0 and nps.change == 0.0
    mrr = r.kpis[r.kpis.metric == "mrr"].iloc[0]
    assert (mrr.previous, mrr.value) == (180.0, 250.0)
    # as-of is 2026-06-23: the default week is the last complete one, W25
    assert review.build(store.cursor(), Query()).week == "2026-W25"


def test_a_change_without_a_test_statistic_is_not_called_noise():
    # one CES answer has no spread: Welch's t is undefined, so there is no verdict, not "p = nan"
    prev = pd.Series({"responses": 1, "ces": 5.0, "ci_low": np.nan, "ci_high": np.nan})
    cur = pd.Series({"responses": 6, "ces": 6.0, "ci_low": 5.2, "ci_high": 6.8})
    row = review.kpi_row("ces", "ces", prev, cur, None)
    assert row["change"] == 1.0
    assert row["p_value"] is None and row["significant"] is None
    assert review.kpi_display(pd.DataFrame([row]))["real or noise"].iloc[0] == "—"


def test_the_review_leaves_out_kpis_that_repeat_another_or_have_many_rows_a_period():
    pairs = review.kpi_specs()
    assert ("mrr", "mrr") in pairs and ("logo_churn", "new_customers") in pairs
    assert not {m for m, _ in pairs} & {"mrr_movements", "nps_distribution", "nps_themes"}
