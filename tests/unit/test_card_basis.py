"""What a KPI card's rate rests on (issue 11 item 3): its n, the pending cases left out, and
whether that is too little to read a change from; renewals pending drawn apart on the chart."""

from __future__ import annotations

from datetime import date

import pandas as pd

from metrics import registry
from metrics.kpis import renewals
from render import charts


def test_a_renewal_rate_over_one_decided_renewal_says_so_and_is_too_few():
    row = pd.Series({"due": 14, "renewed": 1, "churned": 0, "decided": 1, "pending": 13,
                     "renewal_rate": 1.0})
    assert registry.basis("renewal_rate", "renewal_rate", row) == (
        "1 of 14 decided, 13 pending", True)


def test_a_rate_over_enough_responses_is_read_as_usual():
    assert registry.basis("nps", "nps", pd.Series({"nps": 40.0, "responses": 250})) == (
        "250 responses", False)
    assert registry.basis("nps", "nps", pd.Series({"nps": 40.0, "responses": 29}))[1] is True


def test_a_quick_ratio_over_a_tiny_loss_shows_both_sides_and_is_too_little():
    row = pd.Series({"growth_mrr": 37218.07, "lost_mrr": 708.87, "quick_ratio": 52.5})
    assert registry.basis("quick_ratio", "quick_ratio", row) == (
        "MRR gained $37,218 ÷ MRR lost $709", True)
    even = pd.Series({"growth_mrr": 6438.11, "lost_mrr": 4851.13, "quick_ratio": 1.33})
    assert registry.basis("quick_ratio", "quick_ratio", even)[1] is False


def test_no_basis_for_a_stock_a_column_that_is_not_the_headline_or_no_row():
    assert registry.basis("mrr", "mrr", pd.Series({"mrr": 1.0, "accounts": 3})) is None
    assert registry.basis("support", "fcr_rate", pd.Series({"fcr_rate": 0.7})) is None
    assert registry.basis("nps", "nps", None) is None


def test_periods_with_pending_renewals_are_drawn_apart_from_the_renewal_rate_line():
    rate = pd.DataFrame({
        "period": [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)],
        "partial": [False, False, False], "due": [17, 11, 14], "renewed": [9, 7, 1],
        "churned": [8, 4, 0], "decided": [17, 11, 1], "pending": [0, 0, 13],
        "renewal_rate": [9 / 17, 7 / 11, 1.0]})
    marked = renewals.provisional(rate)
    assert list(marked["partial"]) == [False, False, True]
    fig = charts.plot_trend(marked, "renewal_rate", title="Renewal rate", unit="fraction")
    line = next(t for t in fig.data if t.mode == "lines+markers")
    point = next(t for t in fig.data if t.mode == "markers")
    assert list(line.x) == [date(2026, 9, 1), date(2026, 10, 1)]
    assert list(point.customdata) == ["1 of 14 decided, 13 pending"]
