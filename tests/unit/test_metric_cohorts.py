"""cohort_retention on hand-built subscriptions, orders and usage (METRICS.md)."""

from datetime import date, datetime

import pytest

from metrics import registry, rollup
from metrics.kpis import cohorts
from metrics.query import Query

Q = Query(as_of=date(2024, 3, 15))


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def book(insert):
    insert("accounts", [{"account_id": a, "segment": "SMB" if a != "c" else "Ent",
                         "signup_date": date(2023, 6, 1)} for a in "abcdz"])
    insert(
        "subscriptions",
        [
            # cohort January (first MRR in January, though signed up in 2023)
            sub("a", date(2024, 1, 10), 100),
            sub("b", date(2024, 1, 20), 100, date(2024, 2, 1)),  # gone in February ...
            sub("b", date(2024, 3, 5), 50),  # ... back in March
            sub("c", date(2024, 1, 31), 200, date(2024, 3, 1)),  # paying one day of February
            # cohort February
            sub("d", date(2024, 2, 29), 40),
            sub("z", date(2024, 1, 1), 0),  # never pays: in no cohort
        ],
    )


def test_cohorts_are_the_month_of_first_mrr_and_retention_counts_any_paying_day(store, book):
    df = cohorts.cohort_retention(store.cursor(), Q)
    assert list(df.columns) == ["cohort", "period_number", "cohort_size", "retained",
                                "retention", "revenue_retention", "partial"]
    jan = df[df.cohort == date(2024, 1, 1)].set_index("period_number")
    assert list(jan.cohort_size) == [3, 3, 3]
    assert list(jan.retained) == [3, 2, 2]  # February: a and c (c paid until Feb 29)
    assert jan.retention[1] == pytest.approx(2 / 3)
    # revenue (end dates exclusive): Jan 31 a 100 + b 100 + c 200 = 400; Feb 29 a 100 +
    # c 200 = 300; as-of Mar 15 a 100 + b 50 = 150
    assert list(jan.revenue_retention) == pytest.approx([1.0, 300 / 400, 150 / 400])
    assert list(jan.partial) == [False, False, True]
    feb = df[df.cohort == date(2024, 2, 1)]
    assert list(feb.retained) == [1, 1] and list(feb.period_number) == [0, 1]


def test_orders_basis_uses_the_month_of_first_order(store, insert):
    insert("accounts", [{"account_id": a, "signup_date": date(2023, 1, 1)} for a in "ab"])
    insert("orders", [
        {"order_id": "1", "account_id": "a", "ordered_at": datetime(2024, 1, 5), "amount": 10},
        {"order_id": "2", "account_id": "a", "ordered_at": datetime(2024, 3, 15, 23), "amount": 5},
        {"order_id": "3", "account_id": "b", "ordered_at": datetime(2024, 1, 9), "amount": 7},
        {"order_id": "4", "account_id": "b", "ordered_at": datetime(2024, 3, 16), "amount": 7},
    ])
    df = cohorts.cohort_retention(store.cursor(), Q.with_setting("basis", "orders"))
    assert list(df.retained) == [2, 0, 1]  # b's March order is after as-of
    assert df.revenue_retention.isna().all()


def test_usage_basis_reads_the_rollups(store, insert):
    insert("accounts", [{"account_id": "a", "signup_date": date(2023, 1, 1)}])
    insert("usage_events", [
        {"account_id": "a", "user_id": "u", "occurred_at": datetime(2024, 2, 3)},
        {"account_id": "a", "user_id": "u", "occurred_at": datetime(2024, 3, 14)},
        {"account_id": "a", "user_id": "u", "occurred_at": datetime(2024, 3, 20)},
    ])
    rollup.refresh(store.cursor())
    df = cohorts.cohort_retention(store.cursor(), Q.with_setting("basis", "usage"))
    assert list(df.cohort) == [date(2024, 2, 1)] * 2
    assert list(df.retained) == [1, 1]


def test_by_segment_and_the_accounts_of_a_cell(store, book):
    df = cohorts.cohort_retention(store.cursor(), Q.with_(by="segment"))
    assert df.columns[0] == "segment"
    jan = df[(df.cohort == date(2024, 1, 1)) & (df.period_number == 0)].set_index("segment")
    assert jan.cohort_size.to_dict() == {"Ent": 1, "SMB": 2}
    cell = cohorts.cohort_accounts(store.cursor(), Q, "2024-01-01", 1)
    assert cell.set_index("account_id").retained.to_dict() == {"a": True, "c": True, "b": False}


def test_window_cohorts_and_settings(store, book):
    q = Query(start=date(2024, 2, 1), as_of=date(2024, 3, 15))
    assert set(cohorts.cohort_retention(store.cursor(), q).cohort) == {date(2024, 2, 1)}
    with pytest.raises(ValueError, match="basis"):
        cohorts.cohort_retention(store.cursor(), Q.with_setting("basis", "logins"))
    assert registry.compute(store.cursor(), "cohort_retention", Q).retained.sum() == 9


def test_an_empty_database_gives_an_empty_frame(store):
    assert cohorts.cohort_retention(store.cursor(), Query()).empty
