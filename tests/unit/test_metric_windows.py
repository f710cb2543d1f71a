"""Window rules through the metrics: --from/--to, as-of, partial, empty periods, grain all."""

import math
from datetime import date, datetime, timedelta

import pytest

from metrics import periods, registry
from metrics.kpis import satisfaction, support
from metrics.query import Query


@pytest.fixture
def surveys(insert):
    insert("accounts", [{"account_id": "acme", "segment": "SMB", "signup_date": date(2023, 1, 1)}])
    days = [
        datetime(2024, 1, 10),
        datetime(2024, 1, 11),
        datetime(2024, 1, 12),
        datetime(2024, 3, 20),
    ]
    insert(
        "survey_responses",
        [
            {"account_id": "acme", "survey_type": "nps", "score": 10, "responded_at": d}
            for d in days
        ],
    )


def test_from_is_inclusive_and_to_exclusive(store, surveys):
    q = Query(start=date(2024, 1, 11), end=date(2024, 1, 12), grain="day", as_of=date(2024, 3, 31))
    df = satisfaction.nps(store.cursor(), q)
    assert list(df.period) == [date(2024, 1, 11)]
    assert list(df.responses) == [1]


def test_default_window_runs_from_the_first_periods_start_to_as_of(store, surveys):
    df = satisfaction.nps(store.cursor(), Query())
    assert list(df.period) == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    # as-of defaults to the latest data day (2024-03-20): March is partial
    assert list(df.partial) == [False, False, True]
    assert list(df.responses) == [3, 0, 1]


def test_empty_periods_have_zero_counts_and_null_rates(store, surveys):
    feb = satisfaction.nps(store.cursor(), Query()).iloc[1]
    assert (feb.responses, feb.promoters, feb.passives, feb.detractors) == (0, 0, 0, 0)
    assert math.isnan(feb.nps) and math.isnan(feb.nps_adj)
    assert bool(feb.small_n) is True


def test_periods_after_as_of_are_output_partial_and_empty(store, surveys):
    q = Query(start=date(2024, 3, 1), end=date(2024, 5, 1), as_of=date(2024, 3, 31))
    df = satisfaction.nps(store.cursor(), q)
    assert list(df.partial) == [False, True]
    assert list(df.responses) == [1, 0]


def test_as_of_default_is_capped_at_today(store, surveys, insert):
    future = periods.today() + timedelta(days=30)
    insert(
        "survey_responses",
        [{"account_id": "acme", "survey_type": "nps", "score": 0, "responded_at": future}],
    )
    df = satisfaction.nps(store.cursor(), Query(grain="year"))
    assert df.iloc[-1].period == date(periods.today().year, 1, 1)
    assert df.responses.sum() == 4  # the future answer is after as-of (today)


def test_grain_all_is_one_row_starting_at_the_window_start(store, surveys):
    df = satisfaction.nps(store.cursor(), Query(grain="all"))
    assert len(df) == 1
    row = df.iloc[0]
    assert row.period == date(2024, 1, 10)  # the earliest response: the window's start
    assert bool(row.partial) is False
    assert row.responses == 4
    q = Query(grain="all", start=date(2024, 1, 1), end=date(2024, 6, 1), as_of=date(2024, 3, 31))
    row = satisfaction.nps(store.cursor(), q).iloc[0]
    assert (row.period, bool(row.partial), row.responses) == (date(2024, 1, 1), True, 4)


def test_a_window_without_any_period_start_is_empty(store, surveys):
    q = Query(start=date(2024, 1, 15), end=date(2024, 1, 31), as_of=date(2024, 3, 31))
    df = satisfaction.nps(store.cursor(), q)
    assert df.empty and "nps" in df.columns


def test_every_metric_returns_an_empty_frame_with_its_columns_on_an_empty_database(store):
    cur = store.cursor()
    for m in registry.list_metrics():
        df = registry.compute(cur, m["name"], Query())
        assert df.empty, m["name"]
        md = registry.get(m["name"])
        if md.periods:
            assert list(df.columns) == ["period", "partial"] + list(md.columns), m["name"]
        else:  # without periods: its columns in order, maybe among more (health_accounts)
            assert [c for c in df.columns if c in md.columns] == list(md.columns), m["name"]
    df = registry.compute(cur, "nps", Query(by="segment"))
    assert list(df.columns[:3]) == ["period", "partial", "segment"]


def test_ticket_window_uses_creation_time(store, insert):
    insert("accounts", [{"account_id": "acme", "signup_date": date(2023, 1, 1)}])
    insert(
        "tickets",
        [
            {
                "ticket_id": "1",
                "account_id": "acme",
                "created_at": datetime(2024, 1, 31, 23, 0),
                "first_response_at": datetime(2024, 2, 1, 1, 0),
            },
            {"ticket_id": "2", "account_id": "acme", "created_at": datetime(2024, 2, 1, 0, 0)},
        ],
    )
    q = Query(grain="week", start=date(2024, 1, 29), as_of=date(2024, 2, 1))
    df = support.support(store.cursor(), q)
    assert list(df.period) == [date(2024, 1, 29)]  # ISO week starting Monday 29 January
    assert (df.iloc[0].tickets, df.iloc[0].first_response_median_h) == (2, 2.0)
    assert bool(df.iloc[0].partial) is True
