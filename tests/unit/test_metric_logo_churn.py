"""logo_churn on accounts built row by row (METRICS.md "Customers, retention and churn")."""

import math
from datetime import date

import pytest

from metrics import registry
from metrics.kpis import customers
from metrics.query import Query

FEB = Query(start=date(2024, 2, 1), end=date(2024, 3, 1), as_of=date(2024, 3, 31))


def account(i, signup, churn=None, **extra):
    return {"account_id": f"a{i:04d}", "signup_date": signup, "churn_date": churn, **extra}


def feb_row(store):
    df = customers.logo_churn(store.cursor(), FEB)
    assert len(df) == 1
    return df.iloc[0]


def test_200_at_start_40_new_and_20_churned_from_the_start_gives_retention_0_90(store, insert):
    old = [account(i, date(2023, 6, 1)) for i in range(180)]
    old += [account(i, date(2023, 6, 1), date(2024, 2, 10)) for i in range(180, 200)]
    new = [account(i, date(2024, 2, 5)) for i in range(200, 240)]
    insert("accounts", old + new)
    row = feb_row(store)
    assert (row.customers_start, row.new_customers, row.churned_customers, row.customers_end) == (
        200,
        40,
        20,
        220,
    )
    assert row.churn_rate == pytest.approx(0.10)
    assert row.retention_rate == pytest.approx(0.90)
    assert row.retention_rate_classic == pytest.approx(0.90)


def test_new_customers_churning_do_not_count_against_the_starting_ones(store, insert):
    old = [account(i, date(2023, 6, 1)) for i in range(190)]
    old += [account(i, date(2023, 6, 1), date(2024, 2, 20)) for i in range(190, 200)]
    new = [account(i, date(2024, 2, 2)) for i in range(200, 240)]
    # 10 more new customers sign up and churn inside February: N = 50, C = 20
    new += [account(i, date(2024, 2, 3), date(2024, 2, 25)) for i in range(240, 250)]
    insert("accounts", old + new)
    row = feb_row(store)
    assert (row.customers_start, row.new_customers, row.churned_customers, row.customers_end) == (
        200,
        50,
        20,
        230,
    )
    assert row.churn_rate == pytest.approx(0.05)
    assert row.retention_rate == pytest.approx(0.95)
    assert row.retention_rate_classic == pytest.approx((230 - 50) / 200)  # 0.90


def test_start_is_the_previous_periods_end_and_s_plus_n_minus_c_is_e(store, insert):
    insert(
        "accounts",
        [
            account(1, date(2024, 1, 5)),
            account(2, date(2024, 1, 20), date(2024, 2, 1)),  # churns on the first day of Feb
            account(3, date(2024, 2, 14)),
            account(4, date(2024, 3, 1), date(2024, 3, 31)),  # churns on the last day of March
            account(5, date(2024, 3, 10), date(2024, 3, 10)),  # churns on its signup day
        ],
    )
    q = Query(start=date(2024, 1, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 31))
    df = customers.logo_churn(store.cursor(), q)
    assert list(df.customers_start) == [0, 2, 2]
    assert list(df.new_customers) == [2, 1, 2]
    assert list(df.churned_customers) == [0, 1, 2]
    assert list(df.customers_end) == [2, 2, 2]
    assert (df.customers_start + df.new_customers - df.churned_customers == df.customers_end).all()
    assert list(df.customers_start[1:]) == list(df.customers_end[:-1])
    assert math.isnan(df.churn_rate[0])  # no customers at the start: null, not 0
    assert df.churn_rate[1] == pytest.approx(0.5)
    assert df.churn_rate[2] == 0.0  # account 4 and 5 were not customers at the start


def test_a_partial_period_is_evaluated_on_as_of(store, insert):
    insert(
        "accounts",
        [
            account(1, date(2024, 1, 5)),
            account(2, date(2024, 1, 6), date(2024, 3, 10)),  # churns before as-of
            account(3, date(2024, 1, 7), date(2024, 3, 25)),  # churn after as-of: not yet
            account(4, date(2024, 3, 20)),  # signs up after as-of: not yet
        ],
    )
    q = Query(start=date(2024, 3, 1), end=date(2024, 4, 1), as_of=date(2024, 3, 15))
    row = customers.logo_churn(store.cursor(), q).iloc[0]
    assert bool(row.partial) is True
    assert (row.customers_start, row.new_customers, row.churned_customers, row.customers_end) == (
        3,
        0,
        1,
        2,
    )


def test_grain_all_covers_the_window_from_its_start(store, insert):
    insert(
        "accounts",
        [
            account(1, date(2023, 12, 1)),
            account(2, date(2023, 12, 2), date(2024, 1, 20)),
            account(3, date(2024, 1, 15), date(2024, 2, 10)),
        ],
    )
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 3, 1), grain="all")
    df = customers.logo_churn(store.cursor(), q)
    assert len(df) == 1
    row = df.iloc[0]
    assert row.period == date(2024, 1, 1) and bool(row.partial) is False
    assert (row.customers_start, row.new_customers, row.churned_customers, row.customers_end) == (
        2,
        1,
        2,
        1,
    )
    assert row.churn_rate == pytest.approx(0.5)
    assert row.retention_rate_classic == pytest.approx(0.0)


def test_retention_formula_picks_the_headline_retention_column(store):
    assert registry.retention_column(Query()) == "retention_rate"
    classic = Query().with_setting("retention_formula", "classic")
    assert registry.retention_column(classic) == "retention_rate_classic"
    with pytest.raises(ValueError, match="retention_formula"):
        customers.logo_churn(store.cursor(), Query().with_setting("retention_formula", "net"))
