"""Dates in a page's URL are bounded before they reach a query (issue 17 item 12): a date
outside the plausible range (metrics/plausible.py) or a `from` after `to` shows a warning and
the default range instead of crashing the page."""

from __future__ import annotations

import pytest

from dashboard.filters import DATES_KEY, default_range
from tests.app.conftest import DEMO_END

PAGES = ["views/overview.py", "views/retention.py", "views/support.py", "views/usage.py",
         "views/satisfaction.py", "views/accounts.py", "views/health.py", "views/data.py"]
DEFAULT = default_range(DEMO_END)


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_a_url_range_of_ten_thousand_years_warns_and_shows_the_default_range(demo_db, run_app,
                                                                             page):
    at = run_app(demo_db, page, query={"from": "0001-01-01", "to": "9999-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    said = _warnings(at)
    assert "0001-01-01" in said and "9999-12-31" in said
    assert "plausible range 1900-01-01 to 2100-12-31" in said
    assert tuple(at.session_state[DATES_KEY]) == DEFAULT
    assert (at.query_params["from"], at.query_params["to"]) == tuple(
        d.isoformat() for d in DEFAULT)


def test_one_end_out_of_range_keeps_the_other_and_says_which(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2026-03-01", "to": "20245-12-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert "20245-12-31" in _warnings(at)
    assert tuple(at.session_state[DATES_KEY]) == DEFAULT


@pytest.mark.parametrize("page", ["views/overview.py", "views/retention.py"])
def test_from_after_to_warns_and_shows_the_default_range(demo_db, run_app, page):
    at = run_app(demo_db, page, query={"from": "2026-05-31", "to": "2026-03-01"})
    assert not at.exception, [e.value for e in at.exception]
    assert "2026-05-31 is after" in _warnings(at)
    assert tuple(at.session_state[DATES_KEY]) == DEFAULT


def test_a_link_with_an_out_of_range_date_is_not_followed(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2026-03-01", "to": "2026-05-31"})
    at.query_params.update({"from": "0001-01-01", "to": "2026-05-31", "link": "1"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "from=0001-01-01 is outside the plausible range" in _warnings(at)
    assert [d.isoformat() for d in at.session_state[DATES_KEY]] == ["2026-03-01", "2026-05-31"]


def test_a_range_inside_the_bounds_is_used_as_given(demo_db, run_app):
    at = run_app(demo_db, query={"from": "2026-03-01", "to": "2026-05-31"})
    assert not at.exception
    assert not at.warning or "plausible" not in _warnings(at)
    assert [d.isoformat() for d in at.session_state[DATES_KEY]] == ["2026-03-01", "2026-05-31"]
