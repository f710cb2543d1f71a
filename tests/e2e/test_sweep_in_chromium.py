"""Every page in a real browser (Playwright + Debian's Chromium) on the demo data, in three views:
its default (month grain), at week grain, and at a one-month date range (the last complete
month at the data's as-of). In each view, and in each of the page's tabs, the page must show no
exception box, no "None", "nan", "-0.0" or "1 accounts" in its text, and no chart axis with
times of day (a date axis shows dates or periods, never "00:00:00" or milliseconds).

Full-page screenshots go to tmp_path / "sweep" / "<page>-<view>[-<tab>].png" — look at them:
partial periods drawn hollow, no cliff at the last period, targets where they apply.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dashboard.catalogue import PAGES, Page
from tests.e2e.test_dashboard_in_chromium import (
    EXCEPTION,
    open_tab,
    screenshot,
    tab_names,
    wait_for_app,
    wait_idle,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
CHART = '[data-testid="stPlotlyChart"]'
# How each page with a period control offering "week" is put on it: a URL parameter the page
# reads (dashboard/filters.GRAIN_URL for the Overview, the Satisfaction page's own sat_grain),
# or a click on the control's "week" option (Support and Usage keep their grain in a keyed
# widget the URL does not drive). Retention's control stops at month; it shows weeks at the
# one-month range (filters.fit_grain). The other pages have no period control.
WEEK: dict[str, tuple[str, str]] = {
    "overview": ("url", "grain=week"),
    "satisfaction": ("url", "sat_grain=week"),
    "support": ("click", "week"),
    "usage": ("click", "week"),
}
# Text a reader must never see: Python's and pandas' missing values, a negative zero, and a
# count not made singular. Matched as standalone words.
BAD_TEXT = re.compile(
    r"(?<![\w.])(None|nan|NaN|<NA>)(?![\w])"
    r"|(?<![\w.])[-−]0\.0+(?!\d)"
    r"|(?<![\d,.])1 accounts\b")
# A tick label with a time of day or fractions of a second: "00:00", "23:59:59.999", ".000".
SUB_DAY_TICK = re.compile(r"\d:\d\d|:59:59|\.000")


def last_complete_month(as_of: date) -> tuple[date, date]:
    """Return (first day, last day) of the last month that is complete at `as_of` (a month
    is complete when its last day is on or before as-of: metrics.periods.periods)."""
    from metrics.periods import ONE_DAY, floor_period

    end = floor_period(as_of + ONE_DAY, "month")  # the day after the last complete month
    return floor_period(end - ONE_DAY, "month"), end - ONE_DAY


@pytest.fixture(scope="session")
def demo_as_of(demo_facts) -> date:
    """The demo database's as-of (its latest day), read the way the pages read it; a
    read-only open, which the running server allows beside its own."""
    from metrics.periods import resolve_as_of
    from metrics.query import Query
    from metrics.store import Store

    store = Store(demo_facts.db, read_only=True)
    try:
        cur = store.cursor()
        try:
            as_of = resolve_as_of(cur, Query())
        finally:
            cur.close()
    finally:
        store.close()
    assert isinstance(as_of, date), "the demo database has no data"
    return as_of


def wait_for_charts(page) -> None:
    """Wait until every visible Plotly chart of the main area is drawn (has its SVG), then
    until Streamlit is idle."""
    charts = page.locator(MAIN).locator(CHART)
    for i in range(charts.count()):
        chart = charts.nth(i)
        if chart.is_visible():
            expect(chart.locator(".main-svg").first).to_be_attached(timeout=60_000)
    wait_idle(page)


def problems(page, where: str) -> list[str]:
    """Return what is wrong in the page as it is shown now (the active tab): an exception
    box, bad text in the main area, chart ticks with times of day."""
    found = []
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        found.append(f"{where}: exception box: {boxes.all_inner_texts()}")
    text = page.locator(MAIN).inner_text()
    for m in BAD_TEXT.finditer(text):
        context = text[max(0, m.start() - 60):m.end() + 60].replace("\n", " | ")
        found.append(f"{where}: {m.group(0)!r} in text: …{context}…")
    ticks = page.locator(MAIN).locator(f"{CHART} .xtick text, {CHART} .ytick text")
    labels = ticks.all_text_contents()
    charts = page.locator(MAIN).locator(CHART)
    if not labels and any(charts.nth(i).is_visible() for i in range(charts.count())):
        found.append(f"{where}: charts shown but no tick label read (the check saw nothing)")
    for t in labels:
        if SUB_DAY_TICK.search(t):
            found.append(f"{where}: tick label with a time of day: {t!r}")
    return found


def sweep_view(page, p: Page, view: str, folder: Path) -> list[str]:
    """Check the view now open in each of its tabs (top-level and visible nested ones), with
    a full-page screenshot of each; return the problems found."""
    wait_for_charts(page)
    found = problems(page, f"{p.key}-{view}")
    screenshot(page, folder, f"{p.key}-{view}")
    # Tabs are lazy (only the open one runs): the last first, so the nested tabs of an open
    # tab are visited before a sibling of their parent closes it.
    names, selected = tab_names(page)
    for name in reversed(names):
        if name in selected:
            continue
        open_tab(page, name)
        wait_for_charts(page)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        found += problems(page, f"{p.key}-{view} [{name}]")
        screenshot(page, folder, f"{p.key}-{view}-{slug}")
    return found


def open_page(page, base_url: str, p: Page, params: str = "") -> None:
    page.goto(f"{base_url}/{p.url_path}" + (f"?{params}" if params else ""))
    wait_for_app(page, p.title)


@pytest.mark.parametrize("p", PAGES, ids=[p.key for p in PAGES])
def test_page_shows_no_none_nan_negative_zero_or_time_of_day_axis_by_month_week_and_one_month(
        p, page, base_url, demo_as_of, tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    found: list[str] = []

    open_page(page, base_url, p)
    found += sweep_view(page, p, "month", folder)

    if p.key in WEEK:
        how, what = WEEK[p.key]
        if how == "url":
            open_page(page, base_url, p, what)
        else:
            page.locator(MAIN).get_by_role("radio", name=what, exact=True).first.click()
        # the view really is weekly: a chart says so in its title
        expect(page.locator(MAIN).locator(f"{CHART} .gtitle", has_text=re.compile(
            r"\bby week\b")).first).to_be_visible(timeout=60_000)
        found += sweep_view(page, p, "week", folder)

    first, last = last_complete_month(demo_as_of)
    open_page(page, base_url, p, f"from={first:%Y-%m-%d}&to={last:%Y-%m-%d}")
    found += sweep_view(page, p, "one-month", folder)

    assert not found, f"screenshots in {folder}:\n" + "\n".join(found)
