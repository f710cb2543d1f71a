"""Windows, as-of and periods (DATA.md "Command line: csm")."""

from datetime import date, timedelta

import pytest

from metrics import periods as P
from metrics.query import Query


def rows(frame):
    return [(r.period, r.period_end, bool(r.partial)) for r in frame.itertuples()]


def test_weeks_start_on_iso_monday():
    assert P.floor_period(date(2024, 1, 3), "week") == date(2024, 1, 1)
    assert P.floor_period(date(2024, 12, 31), "week") == date(2024, 12, 30)
    assert P.floor_period(date(2024, 1, 7), "week") == date(2024, 1, 1)  # Sunday


def test_quarters_and_years_floor_to_their_first_day():
    assert P.floor_period(date(2024, 5, 15), "quarter") == date(2024, 4, 1)
    assert P.floor_period(date(2024, 12, 31), "year") == date(2024, 1, 1)
    assert P.next_period(date(2024, 10, 1), "quarter") == date(2025, 1, 1)


def test_month_periods_are_half_open_and_the_one_holding_as_of_is_partial():
    frame = P.periods(date(2024, 1, 1), date(2024, 4, 1), "month", as_of=date(2024, 3, 15))
    assert rows(frame) == [
        (date(2024, 1, 1), date(2024, 2, 1), False),
        (date(2024, 2, 1), date(2024, 3, 1), False),
        (date(2024, 3, 1), date(2024, 4, 1), True),
    ]


def test_a_period_ending_the_day_after_as_of_is_complete():
    frame = P.periods(date(2024, 3, 1), date(2024, 4, 1), "month", as_of=date(2024, 3, 31))
    assert rows(frame) == [(date(2024, 3, 1), date(2024, 4, 1), False)]


def test_only_periods_starting_inside_the_window_are_output():
    # January starts before --from; March starts on --to (exclusive)
    frame = P.periods(date(2024, 1, 15), date(2024, 3, 1), "month", as_of=date(2024, 6, 30))
    assert list(frame["period"]) == [date(2024, 2, 1)]


def test_a_period_starting_inside_the_window_keeps_its_whole_extent():
    frame = P.periods(date(2024, 1, 1), date(2024, 3, 15), "month", as_of=date(2024, 6, 30))
    assert rows(frame)[-1] == (date(2024, 3, 1), date(2024, 4, 1), False)


def test_week_periods_from_a_monday():
    frame = P.periods(date(2024, 1, 1), date(2024, 1, 20), "week", as_of=date(2024, 1, 10))
    assert rows(frame) == [
        (date(2024, 1, 1), date(2024, 1, 8), False),
        (date(2024, 1, 8), date(2024, 1, 15), True),
        (date(2024, 1, 15), date(2024, 1, 22), True),
    ]


def test_grain_all_is_one_period_over_the_window_partial_only_past_as_of():
    frame = P.periods(date(2024, 1, 10), date(2024, 3, 1), "all", as_of=date(2024, 2, 29))
    assert rows(frame) == [(date(2024, 1, 10), date(2024, 3, 1), False)]
    frame = P.periods(date(2024, 1, 10), date(2024, 3, 1), "all", as_of=date(2024, 2, 20))
    assert rows(frame) == [(date(2024, 1, 10), date(2024, 3, 1), True)]


def test_an_empty_window_has_no_periods():
    assert P.periods(date(2024, 1, 5), date(2024, 1, 5), "day", as_of=date(2024, 1, 5)).empty
    assert P.periods(date(2024, 1, 5), date(2024, 1, 5), "all", as_of=date(2024, 1, 5)).empty


def test_evaluation_day_is_the_last_day_or_as_of_when_partial():
    frame = P.periods(date(2024, 1, 1), date(2024, 3, 1), "month", as_of=date(2024, 2, 10))
    assert P.eval_days(frame, date(2024, 2, 10)) == [date(2024, 1, 31), date(2024, 2, 10)]


def test_unknown_grain_is_refused():
    with pytest.raises(ValueError, match="unknown grain 'fortnight'"):
        P.periods(date(2024, 1, 1), date(2024, 2, 1), "fortnight", as_of=date(2024, 1, 1))


def test_as_of_defaults_to_the_latest_day_in_any_listed_column(store, insert):
    insert("accounts", [{"account_id": "a", "signup_date": date(2024, 1, 1)}])
    insert(
        "tickets",
        [
            {
                "ticket_id": "t",
                "account_id": "a",
                "created_at": "2024-02-01 10:00",
                "resolved_at": "2024-02-03 23:59:59",
            }
        ],
    )
    assert P.resolve_as_of(store.cursor(), Query()) == date(2024, 2, 3)


def test_as_of_default_is_capped_at_today(store, insert):
    later = P.today() + timedelta(days=40)
    insert("accounts", [{"account_id": "a", "signup_date": date(2024, 1, 1), "churn_date": later}])
    assert P.resolve_as_of(store.cursor(), Query()) == P.today()


def test_explicit_as_of_wins_and_an_empty_database_has_none(store):
    cur = store.cursor()
    assert P.resolve_as_of(cur, Query(as_of=date(2020, 5, 5))) == date(2020, 5, 5)
    assert P.resolve_as_of(cur, Query()) is None
    assert P.resolve_window(cur, Query(), ("tickets",)) == (None, None, None)


def test_default_window_starts_on_the_period_holding_the_metrics_earliest_date(store, insert):
    insert("accounts", [{"account_id": "a", "signup_date": date(2023, 6, 14)}])
    insert(
        "survey_responses",
        [{"account_id": "a", "survey_type": "nps", "score": 9, "responded_at": "2024-01-17 08:00"}],
    )
    cur = store.cursor()
    # the window of a survey metric starts from the survey table, as-of from all tables
    start, end, as_of = P.resolve_window(cur, Query(grain="week"), ("survey_responses",))
    assert (start, end, as_of) == (date(2024, 1, 15), date(2024, 1, 18), date(2024, 1, 17))
    start, _, _ = P.resolve_window(cur, Query(grain="quarter"), ("accounts",))
    assert start == date(2023, 4, 1)
    start, _, _ = P.resolve_window(cur, Query(grain="all"), ("accounts",))
    assert start == date(2023, 6, 14)


def test_explicit_from_and_to_are_kept(store, insert):
    insert("accounts", [{"account_id": "a", "signup_date": date(2023, 6, 14)}])
    q = Query(start=date(2023, 7, 3), end=date(2023, 9, 1), as_of=date(2023, 8, 1))
    assert P.resolve_window(store.cursor(), q, ("accounts",)) == (
        date(2023, 7, 3),
        date(2023, 9, 1),
        date(2023, 8, 1),
    )
