"""Targets: validation, CSV round trip, saving, and the baseline proposal (metrics/goals.py)."""

from datetime import date

import pandas as pd
import pytest

from metrics import goals


def _row(**kw):
    base = {"metric": "nps", "segment": None, "period_start": "2026-01-01",
            "period_end": "2026-04-01", "target": 40, "note": None}
    return {**base, **kw}


def test_a_valid_target_table_normalises_to_dates_and_floats():
    df, problems = goals.normalise(pd.DataFrame([_row(), _row(metric="churn_rate",
                                                            target="0.02", segment="SMB")]))
    assert problems == []
    assert list(df.columns) == goals.COLUMNS
    assert df.period_start.tolist() == [date(2026, 1, 1)] * 2
    assert df.target.tolist() == [40.0, 0.02]
    assert df.segment.tolist() == [None, "SMB"]


@pytest.mark.parametrize(
    "row, words",
    [
        (_row(metric="happiness"), ["row 1", "unknown metric 'happiness'"]),
        (_row(period_end="2025-12-01"), ["row 1", "period_end", "not after"]),
        (_row(period_end="2026-01-01"), ["not after"]),  # end is exclusive: equal is empty
        (_row(metric="csat", target=85), ["outside 0–1", "0.85"]),
        (_row(metric="churn_rate", target=-0.1), ["outside 0–1"]),
        (_row(target="lots"), ["target", "not a number"]),
        (_row(period_start="31/01/2026"), ["period_start", "not a date"]),
    ],
)
def test_an_invalid_target_is_refused_with_a_message(row, words):
    _df, problems = goals.normalise(pd.DataFrame([_row(), row]))
    assert len(problems) == 1, problems
    for w in words:
        assert w in problems[0].replace("row 2", "row 1"), problems


def test_nps_may_be_any_number_of_points_but_a_fraction_may_not():
    _df, problems = goals.normalise(pd.DataFrame([_row(target=45), _row(metric="csat",
                                                                       target=0.9)]))
    assert problems == []


def test_saving_an_invalid_table_changes_nothing(store):
    cur = store.cursor()
    assert goals.save_targets(cur, pd.DataFrame([_row()])) == []
    version = store.data_version()
    problems = goals.save_targets(cur, pd.DataFrame([_row(target=50), _row(metric="nope")]))
    assert problems and "nope" in problems[0]
    stored = goals.read_targets(cur)
    assert stored.target.tolist() == [40.0]
    assert store.data_version() == version


def test_a_valid_save_replaces_the_targets_and_bumps_the_data_version(store):
    cur = store.cursor()
    goals.save_targets(cur, pd.DataFrame([_row(), _row(segment="Enterprise", target=50)]))
    version = store.data_version()
    assert goals.save_targets(cur, pd.DataFrame([_row(target=41)])) == []
    assert goals.read_targets(cur).target.tolist() == [41.0]
    assert store.data_version() == version + 1


def test_targets_survive_a_csv_round_trip(store):
    cur = store.cursor()
    rows = [_row(note="company goal, stretch"), _row(segment="Enterprise", target=50.5),
            _row(metric="churn_rate", target=0.02, note='=HYPERLINK("http://x","y")')]
    assert goals.save_targets(cur, pd.DataFrame(rows)) == []
    before = goals.read_targets(cur)
    data = goals.targets_csv(before)
    assert b"'=HYPERLINK" in data  # inert in a spreadsheet
    back, problems = goals.targets_from_csv(data)
    assert problems == []
    assert goals.save_targets(cur, back) == []
    after = goals.read_targets(cur)
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


def test_an_unreadable_csv_is_refused():
    _df, problems = goals.targets_from_csv(b"metric;target\nnps;40\n")
    assert problems and "missing column" in problems[0]


def test_the_proposal_extends_a_rising_trend_by_one_quarter():
    p = goals.propose_from_history([10, 12, 14, 16], "up", "points")
    assert p["trend"] == pytest.approx(2.0)
    assert p["level"] == pytest.approx(13.0)
    assert p["proposed"] == pytest.approx(18.0)


def test_a_trend_going_the_wrong_way_proposes_holding_the_last_level():
    p = goals.propose_from_history([0.02, 0.03, 0.04, 0.05], "down", "fraction")
    assert p["trend"] == pytest.approx(0.01)
    assert p["projected"] == pytest.approx(0.06)
    assert p["proposed"] == pytest.approx(0.05)


def test_a_fraction_proposal_stays_inside_0_and_1():
    assert goals.propose_from_history([0.9, 0.95, 1.0, 1.0], "up", "fraction")["proposed"] == 1


def test_no_history_gives_no_proposal():
    assert goals.propose_from_history([], "up", "points")["proposed"] is None


def test_the_baseline_proposal_reads_the_last_four_complete_quarters(store, insert):
    # MRR on each quarter's last day: 100, 200, 300, 400 (one more 100-a-month account a
    # quarter), the next quarter's planned at 500. The quarter holding as-of is not complete.
    starts = [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1),
              date(2026, 1, 1)]
    insert("accounts", [{"account_id": f"a{i}", "signup_date": s}
                        for i, s in enumerate(starts)])
    insert("subscriptions", [{"account_id": f"a{i}", "start_date": s, "mrr": 100 + 0 * i}
                             for i, s in enumerate(starts)])
    p = goals.baseline_proposal(store.cursor(), "mrr", as_of=date(2026, 2, 15))
    assert [v for _q, v in p["history"]] == [100.0, 200.0, 300.0, 400.0]
    assert [q for q, _v in p["history"]][0] == date(2025, 1, 1)
    assert p["trend"] == pytest.approx(100.0)
    # Q1 2026 is running on as-of (MRR 500 so far): the proposal is for the next complete
    # quarter, Q2, two steps along the line (issue 11: proposals were for a quarter half over)
    assert p["next_start"] == date(2026, 4, 1) and p["next_end"] == date(2026, 7, 1)
    assert p["proposed"] == pytest.approx(600.0)
    assert p["current"] == pytest.approx(500.0) and p["flag"] == ""


def test_a_proposal_below_the_running_quarter_of_an_up_metric_is_flagged(store, insert):
    # MRR 100 for four quarters, then 900 in the running quarter: the flat line proposes 100
    insert("accounts", [{"account_id": "a", "signup_date": date(2025, 1, 1)},
                        {"account_id": "b", "signup_date": date(2026, 1, 5)}])
    insert("subscriptions", [{"account_id": "a", "start_date": date(2025, 1, 1), "mrr": 100},
                             {"account_id": "b", "start_date": date(2026, 1, 5), "mrr": 800}])
    p = goals.baseline_proposal(store.cursor(), "mrr", as_of=date(2026, 2, 15))
    assert p["proposed"] == pytest.approx(100.0) and p["current"] == pytest.approx(900.0)
    assert p["flag"].startswith("below this quarter so far ($900)")


def test_a_segments_proposal_reads_only_that_segment(store, insert):
    insert("accounts", [{"account_id": "e", "segment": "Enterprise",
                         "signup_date": date(2025, 1, 1)},
                        {"account_id": "s", "segment": "SMB", "signup_date": date(2025, 1, 1)}])
    insert("subscriptions", [{"account_id": "e", "start_date": date(2025, 1, 1), "mrr": 1000},
                             {"account_id": "s", "start_date": date(2025, 1, 1), "mrr": 10}])
    p = goals.baseline_proposal(store.cursor(), "mrr", "Enterprise", as_of=date(2025, 12, 31))
    assert [v for _q, v in p["history"]] == [1000.0] * 4
    assert p["proposed"] == pytest.approx(1000.0)


def test_target_for_picks_the_period_holding_the_day(store):
    cur = store.cursor()
    goals.save_targets(cur, pd.DataFrame([_row(), _row(period_start="2026-04-01",
                                                       period_end="2026-07-01", target=45),
                                          _row(segment="SMB", target=30)]))
    assert goals.target_for(cur, "nps", None, date(2026, 4, 1)) == 45.0
    assert goals.target_for(cur, "nps", "SMB", date(2026, 2, 1)) == 30.0
    assert goals.target_for(cur, "nps", None, date(2027, 1, 1)) is None


def test_a_monthly_churn_target_is_proposed_from_monthly_rates(store, insert):
    # 10 customers from 2024; one churns in each of the 4 quarters' middle months (Feb, May,
    # Aug, Nov 2025): each quarter's monthly rates are 0, 1/n, 0 -> mean 1/(3n).
    insert("accounts", [{"account_id": f"a{i}", "signup_date": date(2024, 1, 1),
                         "churn_date": date(2025, 2 + 3 * i, 10) if i < 4 else None}
                        for i in range(10)])
    p = goals.baseline_proposal(store.cursor(), "logo_churn", as_of=date(2025, 12, 31))
    values = [v for _q, v in p["history"]]
    assert values == pytest.approx([1 / 30, 1 / 27, 1 / 24, 1 / 21])
    # churn rising is the wrong way: hold the last fitted level, a monthly rate
    assert p["proposed"] < 0.05 and p["proposed"] == pytest.approx(
        p["projected"] - p["trend"])


def test_a_monthly_churn_target_is_compared_only_with_monthly_values():
    t = pd.DataFrame({"period_start": pd.to_datetime(["2026-01-01", "2026-04-01"]),
                      "period_end": pd.to_datetime(["2026-04-01", "2026-07-01"]),
                      "target": [0.02, 0.015]})
    assert goals.target_on(t, "logo_churn", date(2026, 5, 1), "month") == 0.015
    assert goals.target_on(t, "logo_churn", date(2026, 4, 1), "quarter") is None
    assert goals.target_on(t, "logo_churn", date(2026, 4, 6), "week") is None
    # a level such as MRR or NPS is compared at any grain; outside every period: none
    assert goals.target_on(t, "nps", date(2026, 1, 1), "quarter") == 0.02
    assert goals.target_on(t, "nps", date(2026, 7, 1), "month") is None
    assert goals.target_on(None, "nps", date(2026, 5, 1), "month") is None


def test_count_targets_are_checked_by_their_own_unit_not_their_metrics():
    # new_customers belongs to logo_churn (a rate) and tickets to support (hours): each is a
    # count of its own, so 25 new customers a month and 200 tickets a week are fine targets
    ok, problems = goals.normalise(pd.DataFrame([
        _row(metric="new_customers", target=25, period_start="2026-06-01",
             period_end="2026-07-01"),
        _row(metric="tickets", target=200, period_start="2026-06-22", period_end="2026-06-29"),
    ]))
    assert problems == []
    assert goals.spec("new_customers").unit == "customers"
    assert goals.spec("tickets").unit == "tickets"
    assert goals.spec("tickets").direction == "down"


def test_a_rate_target_outside_0_1_and_a_negative_count_are_refused():
    _df, problems = goals.normalise(pd.DataFrame([
        _row(metric="logo_churn", target=1.5), _row(metric="new_customers", target=-3)]))
    assert len(problems) == 2, problems
    assert "row 1" in problems[0] and "outside 0–1" in problems[0]
    assert "row 2" in problems[1] and "outside 0–∞" in problems[1]


def test_only_comparable_columns_can_be_targeted():
    specs = goals.target_specs()
    assert "ci_low" not in specs and "small_n" not in specs and "partial" not in specs
    assert specs["logo_churn"].applies_at("month") and not specs["logo_churn"].applies_at("week")
    assert specs["tickets"].applies_at("week")
