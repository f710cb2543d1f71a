"""renewal_rate and the upcoming renewals on hand-built contracts (METRICS.md)."""

from datetime import date

import pytest

from metrics import registry
from metrics.kpis import renewals
from metrics.query import Query

Q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 20))


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def book(insert):
    d = date(2023, 1, 1)
    insert("accounts", [
        {"account_id": "a", "segment": "SMB", "signup_date": d},
        {"account_id": "b", "segment": "SMB", "signup_date": d},
        {"account_id": "c", "segment": "Ent", "signup_date": d},
        {"account_id": "d", "segment": "Ent", "signup_date": d},
        {"account_id": "e", "segment": "Ent", "signup_date": d,
         "renewal_date": date(2024, 9, 1)},
    ])
    insert("subscriptions", [
        sub("a", d, 100, date(2024, 1, 15)),  # renewed the same day
        sub("a", date(2024, 1, 15), 120),
        sub("b", d, 50, date(2024, 1, 20)),  # renewed 40 days later: too late, churned
        sub("b", date(2024, 2, 29), 50),
        sub("c", d, 200, date(2024, 2, 10)),  # renewed 30 days later: in time
        sub("c", date(2024, 3, 11), 200),
        sub("d", d, 10, date(2024, 3, 1)),  # due 19 days before as-of: pending
        sub("e", d, 300),
    ])


def test_renewed_within_30_days_churned_after_and_recent_dues_pending(store, book):
    df = renewals.renewal_rate(store.cursor(), Q).set_index("period")
    assert list(df.columns) == ["partial", "due", "renewed", "churned", "pending",
                                "renewal_rate", "arr_due", "arr_renewed"]
    jan = df.loc[date(2024, 1, 1)]
    assert (jan.due, jan.renewed, jan.churned, jan.pending) == (2, 1, 1, 0)
    assert jan.renewal_rate == 0.5
    assert (jan.arr_due, jan.arr_renewed) == (12 * 150, 12 * 100)
    feb = df.loc[date(2024, 2, 1)]
    assert (feb.due, feb.renewed, feb.renewal_rate) == (1, 1, 1.0)
    mar = df.loc[date(2024, 3, 1)]
    assert (mar.due, mar.pending, mar.renewed, mar.churned) == (1, 1, 0, 0)
    assert mar.renewal_rate != mar.renewal_rate  # null: nothing decided yet


def test_by_segment_and_registry(store, book):
    df = registry.compute(store.cursor(), "renewal_rate", Q.with_(grain="all", by="segment"))
    rows = df.set_index("segment")
    assert rows.loc["SMB", "renewal_rate"] == 0.5
    assert rows.loc["Ent", "renewed"] == 1 and rows.loc["Ent", "pending"] == 1


def test_upcoming_renewals_come_from_renewal_date_with_arr_now(store, book):
    up = renewals.upcoming_renewals(store.cursor(), Q)
    assert list(up.account_id) == ["e"]
    assert up.arr.iloc[0] == 3600 and up.month.iloc[0] == date(2024, 9, 1)
    assert renewals.upcoming_renewals(store.cursor(), Q, days=30).empty


def test_an_empty_database_gives_empty_frames(store):
    assert renewals.renewal_rate(store.cursor(), Query()).empty
    assert renewals.upcoming_renewals(store.cursor(), Query()).empty
