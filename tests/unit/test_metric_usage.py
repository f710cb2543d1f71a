"""usage and feature_adoption on a hand-worked two-week event log (METRICS.md "Product usage").

Log (2024, weeks start Monday 1 and Monday 8 January; days are UTC days):
  acme/u1  Fri 5 Jan 10:00 reports 600 s;  Mon 8 Jan 09:00 reports 1200 s  (across the boundary)
  acme/u2  Fri 5 Jan 11:00 and 15:00, dashboards, 300 s each               (twice in one day)
  beta/u1  Wed 10 Jan api 1800 s     (same user_id as acme's u1: another user)
  beta/u3  Fri 12 Jan, no feature, duration 0
  idle     a customer with no event at all
"""

from datetime import date, datetime

import pytest

from metrics import rollup
from metrics.kpis import usage
from metrics.query import Query

WEEKS = Query(start=date(2024, 1, 1), end=date(2024, 1, 15), as_of=date(2024, 1, 14),
              grain="week")


@pytest.fixture
def log(store, insert):
    insert("accounts", [
        {"account_id": "acme", "segment": "SMB", "signup_date": date(2023, 1, 1)},
        {"account_id": "beta", "segment": "Enterprise", "signup_date": date(2023, 1, 1)},
        {"account_id": "idle", "segment": "SMB", "signup_date": date(2023, 1, 1)},
    ])

    def ev(acc, user, ts, feature, seconds):
        return {"account_id": acc, "user_id": user, "occurred_at": ts, "feature": feature,
                "duration_seconds": seconds}

    insert("usage_events", [
        ev("acme", "u1", datetime(2024, 1, 5, 10), "reports", 600.0),
        ev("acme", "u1", datetime(2024, 1, 8, 9), "reports", 1200.0),
        ev("acme", "u2", datetime(2024, 1, 5, 11), "dashboards", 300.0),
        ev("acme", "u2", datetime(2024, 1, 5, 15), "dashboards", 300.0),
        ev("beta", "u1", datetime(2024, 1, 10, 12), "api", 1800.0),
        ev("beta", "u3", datetime(2024, 1, 12, 8), None, 0.0),
    ])
    cur = store.cursor()
    rollup.refresh(cur)
    return cur


def test_wau_counts_a_user_active_in_both_weeks_once_in_each(log):
    df = usage.usage(log, WEEKS)
    assert list(df.period) == [date(2024, 1, 1), date(2024, 1, 8)]
    w1, w2 = df.iloc[0], df.iloc[1]
    assert (w1.active_users, w2.active_users) == (2, 3)
    assert (w1.active_accounts, w2.active_accounts) == (1, 2)
    assert (w1.events, w2.events) == (3, 3)
    # two user-days in week 1 (u1 and u2 on the 5th; u2's two events are one day) over 7 days
    assert w1.avg_daily_users == pytest.approx(2 / 7)
    assert w1.stickiness == pytest.approx(1 / 7)
    assert w2.avg_daily_users == pytest.approx(3 / 7)
    assert w1.hours_per_active_user == pytest.approx(1200 / 3600 / 2)
    assert w2.hours_per_active_user == pytest.approx(3000 / 3600 / 3)
    assert not df.partial.any()


def test_the_whole_window_counts_each_user_once_and_the_same_user_id_in_two_accounts_twice(log):
    row = usage.usage(log, WEEKS.with_(grain="all")).iloc[0]
    assert row.active_users == 4
    assert row.avg_daily_users == pytest.approx(5 / 14)
    assert row.hours_per_active_user == pytest.approx(4200 / 3600 / 4)


def test_dau_is_distinct_users_of_one_utc_day(log):
    df = usage.usage(log, WEEKS.with_(grain="day"))
    dau = dict(zip(df.period, df.active_users, strict=True))
    assert dau[date(2024, 1, 5)] == 2
    assert dau[date(2024, 1, 6)] == 0
    assert len(df) == 14
    assert df.set_index("period").loc[date(2024, 1, 5), "stickiness"] == pytest.approx(1.0)


def test_mau_of_a_partial_month_divides_by_the_days_up_to_as_of(log):
    row = usage.usage(log, Query(start=date(2024, 1, 1), end=date(2024, 2, 1),
                                 as_of=date(2024, 1, 14))).iloc[0]
    assert bool(row.partial)
    assert row.active_users == 4
    assert row.avg_daily_users == pytest.approx(5 / 14)


def test_mau_of_a_complete_month_comes_from_the_monthly_rollup_with_the_same_numbers(log):
    row = usage.usage(log, Query(start=date(2024, 1, 1), end=date(2024, 2, 1),
                                 as_of=date(2024, 1, 31))).iloc[0]
    assert not bool(row.partial)
    assert (row.active_users, row.active_accounts, row.events) == (4, 2, 6)
    assert row.avg_daily_users == pytest.approx(5 / 31)
    assert row.stickiness == pytest.approx(5 / 31 / 4)


def test_usage_by_segment_splits_users_by_their_account(log):
    df = usage.usage(log, WEEKS.with_(grain="all", by="segment"))
    users = dict(zip(df.segment, df.active_users, strict=True))
    assert users == {"Enterprise": 2, "SMB": 2}


def test_feature_adoption_divides_by_active_customers_including_an_account_that_uses_nothing(
        log):
    q = Query(start=date(2024, 1, 8), end=date(2024, 1, 15), as_of=date(2024, 1, 14))
    df = usage.feature_adoption(log, q).set_index("feature")
    assert set(df.index) == {"reports", "api", "dashboards"}  # events without a feature left out
    assert (df.active_customers == 3).all()  # acme, beta and idle
    assert df.loc["reports", "adoption_rate"] == pytest.approx(1 / 3)
    assert df.loc["reports", "adoption_rate_prev"] == pytest.approx(1 / 3)
    assert df.loc["reports", "adoption_change"] == pytest.approx(0.0)
    assert df.loc["api", "adoption_change"] == pytest.approx(1 / 3)
    assert df.loc["dashboards", "accounts_using"] == 0
    assert df.loc["dashboards", "adoption_rate"] == 0.0
    assert df.loc["dashboards", "adoption_change"] == pytest.approx(-1 / 3)
    assert (df.loc["api", "users"], df.loc["api", "events"]) == (1, 1)


def test_feature_adoption_by_segment_adds_up_to_the_whole(log):
    q = Query(start=date(2024, 1, 1), end=date(2024, 1, 15), as_of=date(2024, 1, 14))
    whole = usage.feature_adoption(log, q).set_index("feature")
    seg = usage.feature_adoption(log, q.with_(by="segment"))
    sums = seg.groupby("feature")[["accounts_using", "users", "events"]].sum()
    for f in whole.index:
        assert list(sums.loc[f]) == [whole.loc[f, c] for c in ("accounts_using", "users",
                                                                "events")]
    smb = seg[seg.segment == "SMB"].set_index("feature")
    assert smb.loc["reports", "active_customers"] == 2  # acme and idle
    assert smb.loc["reports", "adoption_rate"] == pytest.approx(1 / 2)


def test_account_usage_compares_two_windows_and_reads_the_latest_nps_answer(log, insert):
    insert("survey_responses", [
        {"response_id": "r1", "account_id": "acme", "survey_type": "nps", "score": 10,
         "responded_at": datetime(2023, 12, 1)},
        {"response_id": "r2", "account_id": "acme", "survey_type": "nps", "score": 3,
         "responded_at": datetime(2024, 1, 2)},
    ])
    q = Query(start=date(2024, 1, 8), end=date(2024, 1, 15), as_of=date(2024, 1, 14))
    df = usage.account_usage(log, q).set_index("account_id")
    assert (df.loc["acme", "users_prev"], df.loc["acme", "users"]) == (2, 1)
    assert df.loc["acme", "users_change"] == -1
    assert df.loc["acme", "events_change"] == pytest.approx(1 / 3 - 1)
    assert df.loc["acme", "nps_category"] == "detractor"
    assert df.loc["idle", "users"] == 0 and bool(df.loc["idle", "active_customer"])
    assert usage.fell_most(df.reset_index()).account_id.tolist() == ["acme"]
    nps = usage.by_nps_category(df.reset_index()).set_index("nps_category")
    assert nps.loc["detractor", "accounts"] == 1
    assert nps.loc["no answer", "accounts"] == 2  # beta and idle
    assert nps.loc["no answer", "active_share"] == pytest.approx(0.5)
    assert nps.loc["detractor", "hours_per_active_user"] == pytest.approx(1200 / 3600)
    assert nps.loc["promoter", "accounts"] == 0


def test_accounts_behind_a_feature_cell(log):
    q = Query(start=date(2024, 1, 1), end=date(2024, 1, 15), as_of=date(2024, 1, 14),
              by="segment")
    rows = usage.accounts_behind(log, q, "reports", group="SMB", any_group=False)
    assert rows.account_id.tolist() == ["acme"]
    assert (rows.users.iloc[0], rows.events.iloc[0]) == (1, 2)
    assert usage.accounts_behind(log, q, "reports", group="Enterprise", any_group=False).empty


def test_an_empty_database_gives_empty_frames_with_the_output_columns(store):
    cur = store.cursor()
    assert list(usage.usage(cur, Query()).columns) == ["period", "partial",
                                                      *usage.USAGE_COLUMNS]
    assert list(usage.feature_adoption(cur, Query()).columns) == list(
        usage.FEATURE_ADOPTION_COLUMNS)
