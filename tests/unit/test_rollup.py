"""The usage rollups (metrics/rollup.py): the metrics read from them give exactly what the raw
events give, on random data; imports keep them in step (append, replace, failure); UTC days."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from metrics import rollup, schema
from metrics.ingest import load_file
from metrics.kpis import usage
from metrics.query import Query

START = datetime(2024, 1, 1)


def _random_log(seed: int) -> tuple[list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    accounts = [{"account_id": f"a{i}", "segment": ["SMB", "Enterprise", None][i % 3],
                 "signup_date": date(2023, 12, 1) + timedelta(days=int(rng.integers(0, 60))),
                 "churn_date": (date(2024, 2, 1) + timedelta(days=int(rng.integers(0, 60)))
                                if rng.random() < 0.3 else None)}
                for i in range(8)]
    n = int(rng.integers(150, 400))
    acc = rng.integers(0, 9, n)  # account a8 is an orphan (not in accounts)
    events = [{
        "account_id": f"a{acc[k]}",
        "user_id": f"u{rng.integers(0, 5)}",
        "occurred_at": START + timedelta(seconds=int(rng.integers(0, 120 * 86400))),
        "feature": [None, "reports", "api", "alerts"][int(rng.integers(0, 4))],
        "duration_seconds": None if rng.random() < 0.1 else float(rng.integers(0, 900)),
    } for k in range(n)]
    return accounts, events


def _reference(events: pd.DataFrame, accounts: pd.DataFrame, q: Query) -> pd.DataFrame:
    """usage computed in pandas straight from the raw events (grain day/week/month/all, no
    filter): the independent check."""
    e = events.copy()
    e["day"] = e["occurred_at"].dt.floor("D")
    end = min(pd.Timestamp(q.end), pd.Timestamp(q.as_of) + pd.Timedelta(days=1))
    e = e[(e["day"] >= pd.Timestamp(q.start)) & (e["day"] < end)]
    if q.grain == "all":
        e["period"] = pd.Timestamp(q.start)
    elif q.grain == "month":
        e["period"] = e["day"].dt.to_period("M").dt.start_time
    elif q.grain == "week":
        e["period"] = e["day"] - pd.to_timedelta(e["day"].dt.day_of_week, unit="D")
    else:
        e["period"] = e["day"]
    e["user"] = e["account_id"] + "\x00" + e["user_id"]
    g = e.groupby("period")
    return pd.DataFrame({
        "active_users": g["user"].nunique(),
        "user_days": g.apply(lambda x: len(x[["user", "day"]].drop_duplicates())),
        "active_accounts": g["account_id"].nunique(),
        "events": g.size(),
        "seconds": g["duration_seconds"].sum(min_count=1),
    })


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("grain", ["day", "week", "month", "all"])
def test_usage_from_the_rollups_equals_usage_from_the_raw_events(store, insert, seed, grain):
    accounts, events = _random_log(seed)
    insert("accounts", accounts)
    insert("usage_events", events)
    cur = store.cursor()
    rollup.refresh(cur)
    # as-of inside March: January and February are complete months (monthly rollup), March is
    # partial (daily rollup); events after as-of must not count
    q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 20),
              grain=grain)
    got = usage.usage(cur, q).set_index("period")
    ref = _reference(pd.DataFrame(events), pd.DataFrame(accounts), q)
    for period, row in got.iterrows():
        p = pd.Timestamp(period)
        if p not in ref.index:
            assert row.active_users == 0 and row.events == 0
            continue
        r = ref.loc[p]
        assert row.active_users == r.active_users, period
        assert row.active_accounts == r.active_accounts, period
        assert row.events == r.events, period
        days = (min(pd.Timestamp(q.as_of) + pd.Timedelta(days=1),
                    p + {"day": pd.DateOffset(days=1), "week": pd.DateOffset(days=7),
                         "month": pd.DateOffset(months=1)}.get(grain, pd.DateOffset(0)))
                - p).days if grain != "all" else (q.as_of - q.start).days + 1
        assert row.avg_daily_users == pytest.approx(r.user_days / days), period
        if pd.isna(r.seconds):
            assert pd.isna(row.hours_per_active_user)
        else:
            assert row.hours_per_active_user == pytest.approx(
                r.seconds / 3600 / r.active_users), period
    assert got.events.sum() == ref.events.sum()


@pytest.mark.parametrize("seed", range(4))
def test_feature_adoption_from_the_rollup_equals_the_raw_events(store, insert, seed):
    accounts, events = _random_log(seed)
    insert("accounts", accounts)
    insert("usage_events", events)
    cur = store.cursor()
    rollup.refresh(cur)
    q = Query(start=date(2024, 2, 10), end=date(2024, 3, 10), as_of=date(2024, 3, 31))
    got = usage.feature_adoption(cur, q).set_index("feature")
    e = pd.DataFrame(events).dropna(subset=["feature"])
    cur_w = e[(e.occurred_at >= datetime(2024, 2, 10)) & (e.occurred_at < datetime(2024, 3, 10))]
    prev_w = e[(e.occurred_at >= datetime(2024, 1, 12)) & (e.occurred_at < datetime(2024, 2, 10))]
    a = pd.DataFrame(accounts)

    def customers(day):
        return int(((a.signup_date <= day) & (a.churn_date.isna() | (a.churn_date > day))).sum())

    n_cur, n_prev = customers(date(2024, 3, 9)), customers(date(2024, 2, 9))
    for f in set(cur_w.feature) | set(prev_w.feature):
        c = cur_w[cur_w.feature == f]
        p = prev_w[prev_w.feature == f]
        assert got.loc[f, "accounts_using"] == c.account_id.nunique()
        assert got.loc[f, "users"] == len(c[["account_id", "user_id"]].drop_duplicates())
        assert got.loc[f, "events"] == len(c)
        assert got.loc[f, "adoption_rate"] == pytest.approx(c.account_id.nunique() / n_cur)
        assert got.loc[f, "adoption_rate_prev"] == pytest.approx(p.account_id.nunique() / n_prev)


def _rollup_rows(cur) -> tuple[list, list]:
    """The rollups with the integer keys of usage_daily resolved to the ids (keys are internal:
    a full rebuild may number them otherwise than appends did)."""
    daily = cur.execute(
        "SELECT d.day, u.account_id, u.user_id, d.feature, d.events, d.seconds "
        "FROM usage_daily AS d JOIN usage_users AS u ON u.user_key = d.user_key "
        "JOIN usage_accounts AS a ON a.account_key = d.account_key "
        "WHERE a.account_id IS NOT DISTINCT FROM u.account_id ORDER BY ALL").fetchall()
    monthly = cur.execute("SELECT * FROM usage_monthly ORDER BY ALL").fetchall()
    return daily, monthly


CSV_HEAD = "account_id,user_id,occurred_at,feature,duration_seconds\n"


def test_an_appended_file_updates_only_its_days_and_matches_a_full_rebuild(store, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(CSV_HEAD + "a1,u1,2024-01-05 10:00,reports,60\n"
                     "a1,u2,2024-02-03 10:00,api,30\n")
    second = tmp_path / "second.csv"
    second.write_text(CSV_HEAD + "a1,u1,2024-01-05 18:00,reports,20\n"
                      "a2,u1,2024-01-31 23:59:59,,\n")
    assert load_file(store, "usage_events", first).ok
    assert load_file(store, "usage_events", second).ok
    cur = store.cursor()
    daily, monthly = _rollup_rows(cur)
    assert (date(2024, 1, 5), "a1", "u1", "reports", 2, 80.0) in daily
    rollup.refresh(cur)
    assert _rollup_rows(cur) == (daily, monthly)
    jan = [m for m in monthly if m[0] == date(2024, 1, 1)]
    assert sorted((m[1], m[2], m[3], m[4]) for m in jan) == [("a1", 1, 1, 2), ("a2", 1, 1, 1)]


def test_a_replace_load_rebuilds_the_rollups_and_a_rejected_load_leaves_them_unchanged(
        store, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(CSV_HEAD + "a1,u1,2024-01-05 10:00,reports,60\n")
    assert load_file(store, "usage_events", good).ok
    cur = store.cursor()
    before = _rollup_rows(cur)
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_HEAD + "a1,u9,2024-03-05 10:00,reports,60\na1,u9,not a date,x,1\n")
    assert load_file(store, "usage_events", bad).outcome == "rejected"
    assert _rollup_rows(cur) == before
    other = tmp_path / "other.csv"
    other.write_text(CSV_HEAD + "b1,u1,2024-06-01 10:00,api,10\n")
    assert load_file(store, "usage_events", other, mode="replace").ok
    daily, monthly = _rollup_rows(cur)
    assert daily == [(date(2024, 6, 1), "b1", "u1", "api", 1, 10.0)]
    assert monthly == [(date(2024, 6, 1), "b1", 1, 1, 1, 10.0)]


def test_events_across_a_daylight_saving_change_fall_on_their_utc_day(store, tmp_path):
    # US Pacific time moves from -08:00 to -07:00 on Sunday 10 March 2024.
    f = tmp_path / "dst.csv"
    f.write_text(CSV_HEAD
                 + "a1,u1,2024-03-09T17:30:00-08:00,reports,1\n"   # Sat local = 10 Mar 01:30 UTC
                 + "a1,u2,2024-03-10T16:30:00-07:00,reports,1\n"   # = 10 Mar 23:30 UTC
                 + "a1,u3,2024-03-10T17:30:00-07:00,reports,1\n")  # = 11 Mar 00:30 UTC
    assert load_file(store, "usage_events", f).ok
    cur = store.cursor()
    df = usage.usage(cur, Query(start=date(2024, 3, 9), end=date(2024, 3, 12),
                                as_of=date(2024, 3, 11), grain="day"))
    assert dict(zip(df.period, df.active_users, strict=True)) == {
        date(2024, 3, 9): 0, date(2024, 3, 10): 2, date(2024, 3, 11): 1}


def test_migration_v2_fills_the_rollups_from_events_already_stored(store, insert):
    insert("usage_events", [{"account_id": "a", "user_id": "u", "feature": "x",
                             "occurred_at": datetime(2024, 5, 2, 3), "duration_seconds": 5.0}])
    cur = store.cursor()
    cur.execute("DROP TABLE usage_daily")
    cur.execute("DROP TABLE usage_monthly")
    cur.execute("DELETE FROM schema_migrations WHERE version >= 2")
    assert schema.migrate(cur) == schema.SCHEMA_VERSION
    assert _rollup_rows(cur) == ([(date(2024, 5, 2), "a", "u", "x", 1, 5.0)],
                                 [(date(2024, 5, 1), "a", 1, 1, 1, 5.0)])


@pytest.mark.parametrize("seed", range(4))
def test_account_usage_from_the_rollup_equals_the_raw_events(store, insert, seed):
    accounts, events = _random_log(seed)
    insert("accounts", accounts)
    insert("usage_events", events)
    cur = store.cursor()
    rollup.refresh(cur)
    q = Query(start=date(2024, 2, 10), end=date(2024, 3, 10), as_of=date(2024, 3, 31))
    got = usage.account_usage(cur, q).set_index("account_id")
    e = pd.DataFrame(events)
    windows = {"": (datetime(2024, 2, 10), datetime(2024, 3, 10)),
               "_prev": (datetime(2024, 1, 12), datetime(2024, 2, 10))}
    for acc in got.index:
        for suffix, (lo, hi) in windows.items():
            w = e[(e.account_id == acc) & (e.occurred_at >= lo) & (e.occurred_at < hi)]
            assert got.loc[acc, "users" + suffix] == w.user_id.nunique(), (acc, suffix)
            assert got.loc[acc, "events" + suffix] == len(w), (acc, suffix)
            assert got.loc[acc, "hours" + suffix] == pytest.approx(
                w.duration_seconds.sum() / 3600), (acc, suffix)
    used = set(e[(e.occurred_at >= datetime(2024, 1, 12))
                 & (e.occurred_at < datetime(2024, 3, 10))].account_id)
    assert used & {a["account_id"] for a in accounts} <= set(got.index)


def test_appends_give_new_users_keys_and_the_metrics_match_a_full_rebuild(store, insert,
                                                                           tmp_path):
    insert("accounts", [{"account_id": a, "signup_date": date(2023, 1, 1)} for a in ("a1", "a2")])
    # u1 of a1 and u1 of a2 are two users; keys given by appends differ from a rebuild's
    files = [CSV_HEAD + "a2,u1,2024-01-07 10:00,api,5\n",
             CSV_HEAD + "a1,u1,2024-01-05 10:00,reports,60\na2,u1,2024-01-05 11:00,api,1\n",
             CSV_HEAD + "a1,u2,2024-01-07 10:00,reports,7\n"]
    for i, text in enumerate(files):
        f = tmp_path / f"f{i}.csv"
        f.write_text(text)
        assert load_file(store, "usage_events", f).ok
    cur = store.cursor()
    q = Query(start=date(2024, 1, 5), end=date(2024, 1, 8), as_of=date(2024, 1, 7))
    before = (_rollup_rows(cur), usage.feature_adoption(cur, q), usage.account_usage(cur, q))
    assert cur.execute("SELECT count(*), count(DISTINCT user_key) FROM usage_users").fetchone() \
        == (3, 3)
    rollup.refresh(cur)
    after = (_rollup_rows(cur), usage.feature_adoption(cur, q), usage.account_usage(cur, q))
    assert before[0] == after[0]
    pd.testing.assert_frame_equal(before[1], after[1])
    pd.testing.assert_frame_equal(before[2], after[2])
    fa = after[1].set_index("feature")
    assert (fa.loc["reports", "users"], fa.loc["api", "users"]) == (2, 1)
    assert list(after[2].users) == [2, 1]


@pytest.mark.parametrize("by", ["append", "migrate"])
def test_rollups_of_an_earlier_unreleased_layout_are_rebuilt(store, insert, by):
    insert("usage_events", [{"account_id": "a", "user_id": "u", "feature": "x",
                             "occurred_at": datetime(2024, 5, 2, 3), "duration_seconds": 5.0}])
    cur = store.cursor()
    for t in rollup.ROLLUP_TABLES:
        cur.execute(f"DROP TABLE {t}")
    cur.execute("CREATE TABLE usage_daily (day DATE, account_id VARCHAR, user_id VARCHAR, "
                "feature VARCHAR, events BIGINT, seconds DOUBLE)")
    if by == "append":
        cur.execute("CREATE TEMP TABLE typed AS SELECT * FROM usage_events")
        rollup.refresh_days(cur, "typed")
    else:  # a database already at (unreleased) version 2 or later
        assert schema.migrate(cur) == schema.SCHEMA_VERSION
    assert _rollup_rows(cur) == ([(date(2024, 5, 2), "a", "u", "x", 1, 5.0)],
                                 [(date(2024, 5, 1), "a", 1, 1, 1, 5.0)])
