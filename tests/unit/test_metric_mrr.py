"""mrr on hand-built subscriptions (METRICS.md "Revenue")."""

import math
from datetime import date

import pytest

from metrics import registry
from metrics.kpis import revenue
from metrics.query import Query

Q1 = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 4, 30))


@pytest.fixture
def book(insert):
    insert(
        "accounts",
        [
            {"account_id": "a", "segment": "SMB", "signup_date": date(2024, 1, 1)},
            {"account_id": "b", "segment": "Enterprise", "signup_date": date(2024, 1, 15)},
            {"account_id": "c", "segment": "SMB", "signup_date": date(2024, 3, 31)},
            {"account_id": "free", "segment": "SMB", "signup_date": date(2024, 1, 2)},
        ],
    )
    insert(
        "subscriptions",
        [
            {"account_id": "a", "start_date": date(2024, 1, 1), "end_date": None, "mrr": 100},
            {"account_id": "a", "start_date": date(2024, 2, 1), "end_date": None, "mrr": 20},
            # end_date is exclusive: not active on 2024-02-29, the last day of February
            {
                "account_id": "b",
                "start_date": date(2024, 1, 15),
                "end_date": date(2024, 2, 29),
                "mrr": 50,
            },
            {
                "account_id": "c",
                "start_date": date(2024, 3, 31),
                "end_date": date(2024, 4, 5),
                "mrr": 30,
            },
            {"account_id": "free", "start_date": date(2024, 1, 2), "end_date": None, "mrr": 0},
        ],
    )


def test_mrr_is_taken_on_each_periods_last_day_with_exclusive_end_dates(store, book):
    df = revenue.mrr(store.cursor(), Q1)
    assert list(df.columns) == ["period", "partial", "mrr", "accounts", "arpa"]
    assert list(df.period) == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert list(df.mrr) == [150.0, 120.0, 150.0]
    assert list(df.accounts) == [2, 1, 2]  # a zero-MRR account is not paying
    assert list(df.arpa) == [75.0, 120.0, 75.0]
    assert not df.partial.any()


def test_a_partial_period_is_evaluated_on_as_of(store, book, insert):
    insert("subscriptions", [{"account_id": "b", "start_date": date(2024, 4, 20), "mrr": 70}])
    q = Query(start=date(2024, 4, 1), end=date(2024, 5, 1), as_of=date(2024, 4, 10))
    row = revenue.mrr(store.cursor(), q).iloc[0]
    assert bool(row.partial) is True
    # c ended on 2024-04-05 (exclusive), b's new subscription starts after as-of
    assert (row.mrr, row.accounts) == (120.0, 1)


def test_a_period_without_paying_accounts_has_null_arpa(store, insert):
    insert("accounts", [{"account_id": "x", "signup_date": date(2024, 1, 1)}])
    insert(
        "subscriptions",
        [
            {
                "account_id": "x",
                "start_date": date(2024, 1, 1),
                "end_date": date(2024, 2, 1),
                "mrr": 10,
            }
        ],
    )
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 2, 29))
    df = revenue.mrr(store.cursor(), q)
    assert list(df.mrr) == [10.0, 0.0]
    assert list(df.accounts) == [1, 0]
    assert math.isnan(df.arpa[1])


def test_mrr_by_segment_groups_accounts_by_their_current_segment(store, book):
    df = revenue.mrr(store.cursor(), Q1.with_(by="segment"))
    assert list(df.columns[:3]) == ["period", "partial", "segment"]
    got = {(r.period.month, r.segment): (r.mrr, r.accounts) for r in df.itertuples()}
    assert got == {
        (1, "Enterprise"): (50.0, 1),
        (1, "SMB"): (100.0, 1),
        (2, "Enterprise"): (0.0, 0),
        (2, "SMB"): (120.0, 1),
        (3, "Enterprise"): (0.0, 0),
        (3, "SMB"): (150.0, 2),
    }


def test_grain_all_takes_mrr_on_the_windows_last_day(store, book):
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 4, 30), grain="all")
    row = registry.compute(store.cursor(), "arpa", q).iloc[0]
    assert row.period == date(2024, 1, 1)
    assert (row.mrr, row.accounts, row.arpa) == (120.0, 1, 120.0)


def test_a_segment_filter_restricts_the_accounts(store, book):
    df = revenue.mrr(store.cursor(), Q1.with_(segment=("Enterprise",)))
    assert list(df.mrr) == [50.0, 0.0, 0.0]
