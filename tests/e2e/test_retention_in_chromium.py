"""Retention & revenue page in a real browser (Playwright + Debian's Chromium) on the demo data:
it opens without an exception box, its cards and charts draw, a clicked movement bar lists the
accounts behind it. Screenshots go to tests/e2e/screenshots/ — look at them."""

from __future__ import annotations

import pytest

from tests.e2e.st_runs import rerun
from tests.e2e.test_dashboard_in_chromium import (
    assert_no_exception,
    chart_titles,
    grid,
    open_tab,
    screenshot,
    wait_for_app,
)
from tests.e2e.test_support_usage_in_chromium import click_bar

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = pytest.mark.e2e


def test_retention_page_draws_movements_and_a_clicked_bar_lists_the_accounts(
        page, base_url, screenshot_dir):
    page.goto(f"{base_url}/retention")
    wait_for_app(page, "Retention & revenue")
    assert_no_exception(page)
    titles = chart_titles(page)
    for t in ("MRR by month", "MRR movements by month"):
        assert t in titles, titles
    assert any(t.startswith("MRR bridge") for t in titles), titles
    for label in ("MRR", "NRR (12 months)", "GRR (12 months)", "LTV", "Quick ratio"):
        expect(page.locator('[data-testid="stMetricLabel"]', has_text=label).first
               ).to_be_visible()
    screenshot(page, screenshot_dir, "20_retention_demo_data")
    click_bar(page, "MRR movements by month", 0)
    expect(page.get_by_text("accounts", exact=False).filter(has_text="behind").first
           ).to_be_visible()
    headers, rows = grid(page.locator('[data-testid="stDataFrame"]').first)
    assert "Account ID" in headers and rows, (headers, rows)
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "21_retention_clicked_movement")
    open_tab(page, "Churn & retention")
    for t in ("Logo churn by month", "NRR and GRR (trailing 12 months) by month",
              "LTV by month"):
        expect(page.locator(".gtitle", has_text=t).first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "22_retention_trends")


def test_a_clicked_cohort_cell_lists_the_accounts_of_the_cohort(page, base_url, screenshot_dir):
    page.goto(f"{base_url}/retention")
    wait_for_app(page, "Retention & revenue")
    open_tab(page, "Cohorts")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Logo retention by cohort"))
    chart.scroll_into_view_if_needed()
    expect(chart.locator(".heatmaplayer").first).to_be_attached()
    screenshot(page, screenshot_dir, "23_retention_cohorts")
    # click the top-left cell (the oldest cohort, month 0): its invisible marker
    with rerun(page):
        chart.locator(".scatterlayer .point").first.click(force=True)
    expect(page.get_by_text("accounts active", exact=False).first).to_be_visible()
    headers, rows = grid(page.locator('[data-testid="stDataFrame"] >> visible=true').last)
    assert "Account ID" in headers and "retained" in headers and rows, (headers, rows)
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "24_retention_cohort_clicked")


def test_survival_tab_draws_curves_by_segment_with_a_log_rank_test(page, base_url,
                                                                   screenshot_dir):
    page.goto(f"{base_url}/retention")
    wait_for_app(page, "Retention & revenue")
    open_tab(page, "Survival")
    expect(page.locator(".gtitle", has_text="Customers still active by days since signup")
           .first).to_be_visible()
    expect(page.get_by_text("Log-rank test", exact=False).first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "25_retention_survival")


def test_renewals_tab_draws_the_rate_and_the_calendar(page, base_url, screenshot_dir):
    page.goto(f"{base_url}/retention")
    wait_for_app(page, "Retention & revenue")
    open_tab(page, "Renewals")
    expect(page.locator(".gtitle", has_text="Renewal rate by month").first).to_be_visible()
    expect(page.locator(".gtitle", has_text="ARR coming up for renewal by month").first
           ).to_be_visible()
    click_bar(page, "ARR coming up for renewal by month", 0)
    expect(page.get_by_text("renewing in", exact=False).first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "26_retention_renewals")


def test_customer_value_tab_shows_the_fitted_model_and_the_simple_clv(page, base_url,
                                                                      screenshot_dir):
    page.goto(f"{base_url}/retention")
    wait_for_app(page, "Retention & revenue")
    open_tab(page, "Customer value")
    expect(page.get_by_text("BG/NBD (Fader, Hardie & Lee 2005)", exact=False).first
           ).to_be_visible()
    expect(page.locator(".gtitle", has_text="Top 20 accounts by predicted value").first
           ).to_be_visible()
    expect(page.locator(".gtitle", has_text="Simple CLV by segment").first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "27_retention_customer_value")
