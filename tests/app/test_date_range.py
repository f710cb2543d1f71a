"""The sidebar date range (issue 11 item 4): while only a start date is picked the pages keep the
last complete range, on screen and in the URL, instead of rerunning on all-time data."""

from __future__ import annotations

from datetime import date

from dashboard.filters import DATES_KEY


def _labels(at) -> list[str]:
    return [m.label for m in at.metric]


def test_picking_only_a_start_date_keeps_the_previous_range_and_its_url(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2026-03-01", "to": "2026-05-31"})
    assert not at.exception, [e.value for e in at.exception]
    before = _labels(at)
    # the cards show the last complete month of the range: May, not June (the data's last)
    assert "Customers · May 2026" in before
    at.date_input(key=DATES_KEY).set_value((date(2026, 1, 1),)).run()  # the user is picking
    assert not at.exception, [e.value for e in at.exception]
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-03-01", "2026-05-31")
    assert _labels(at) == before
    assert any("Choose an end date" in c.value and "2026-03-01 – 2026-05-31" in c.value
               for c in at.sidebar.caption)
    # the end date chosen: the new range is used and written to the URL
    at.date_input(key=DATES_KEY).set_value((date(2026, 1, 1), date(2026, 4, 30))).run()
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-01-01", "2026-04-30")
    assert "Customers · Apr 2026" in _labels(at)
    assert not any("Choose an end date" in c.value for c in at.sidebar.caption)


def test_a_one_month_range_is_shown_by_week_so_the_cards_have_a_previous_period(demo_db,
                                                                                run_app):
    at = run_app(demo_db, query={"from": "2026-05-01", "to": "2026-05-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert any("fewer than two complete months: shown by week" in c.value for c in at.caption)
    cards = {m.label.split(" · ")[0]: m for m in at.metric}
    # the last complete ISO week starting inside May, compared with the week before it
    assert cards["Customers"].label == "Customers · W22 2026"
    assert cards["Customers"].delta not in (None, "")


def test_a_range_of_whole_months_keeps_the_chosen_grain(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2026-04-01", "to": "2026-05-31"})
    assert not any("shown by" in c.value for c in at.caption)
    assert "Customers · May 2026" in _labels(at)
