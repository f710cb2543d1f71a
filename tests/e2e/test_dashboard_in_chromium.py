"""The dashboard in a real browser (Debian's Chromium through Playwright) on the demo data:
every page opens without an exception box, the sidebar filters change the numbers and the URL,
the upload wizard loads a good file and refuses a bad one, and hostile text stays text.

Screenshots (full page) are written to tests/e2e/screenshots/ — look at them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.e2e import st_runs

try:
    from playwright.sync_api import Locator, Page, expect
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = pytest.mark.e2e

CARD_LABELS = ["Customers", "MRR", "Logo churn rate", "NPS", "CSAT",
               "Median first response"]
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
WIDTH = 1400
# With null: the indexes of the visible Plotly charts whose drawing fills the chart element's
# width. With such a list: whether each of those charts fills its element again.
CHARTS_FIT_JS = """(which) => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const fits = (c) => {
    const svg = c.querySelector('.main-svg');
    return !!svg && c.getClientRects().length > 0
      && Math.abs(svg.getBoundingClientRect().width - c.getBoundingClientRect().width) < 2;
  };
  if (which === null) return charts.map((c, i) => fits(c) ? i : -1).filter(i => i >= 0);
  return which.every(i => charts[i] && fits(charts[i]));
}"""

GOOD_TICKETS = (
    "Ticket ID,Customer ID,Opened,first_response_at,resolved_at,contacts,reopened,channel,"
    "priority\n"
    "E2E-T1,{acc},2026-06-01 09:00,2026-06-01 10:00,2026-06-02 09:00,1,false,email,P2\n"
    "E2E-T2,{acc},2026-06-02 09:00,2026-06-02 09:30,,2,true,chat,P1\n"
)
BAD_TICKETS = (
    "Ticket ID,Customer ID,Opened,first_response_at,resolved_at,contacts,reopened,channel,"
    "priority\n"
    "E2E-B1,{acc},2026-06-03 09:00,2026-06-03 10:00,,1,false,email,P3\n"
    "E2E-B2,{acc},not a date,,,1,false,email,P3\n"
)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


# ---------------------------------------------------------------------------------- helpers


def wait_idle(page: Page, timeout_s: float = 60.0) -> None:
    """Wait until Streamlit has finished every script run the page asked for and the page
    shows the result (tests/e2e/st_runs.py: followed on the page's WebSocket, then the DOM)."""
    st_runs.wait_idle(page, timeout_s)


def wait_for_app(page: Page, heading: str, timeout_ms: int = 60_000) -> None:
    """Wait until the page titled `heading` is shown and the script run has finished."""
    expect(page.get_by_role("heading", name=heading, exact=True, level=1)).to_be_visible(
        timeout=timeout_ms)
    wait_idle(page)


def open_tab(page: Page, name: str) -> None:
    """Click the tab named `name` in the page's main area and wait for its content. The tabs
    are lazy (only the open one runs), so the content arrives with the rerun the click starts:
    wait until the tab is selected, its panel holds an element, and the run has finished."""
    tab = page.locator('[data-testid="stMain"]').get_by_role("tab", name=name, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.locator(f'[id="{tab.get_attribute("aria-controls")}"]')
    expect(panel.locator('[data-testid="stElementContainer"]').first).to_be_attached()
    wait_idle(page)


def tab_names(page: Page) -> tuple[list[str], list[str]]:
    """Return the names of the visible tabs of the page's main area (nested ones after their
    parent's) and of the selected ones."""
    tabs = page.locator('[data-testid="stMain"]').get_by_role("tab")
    shown = [tabs.nth(i) for i in range(tabs.count()) if tabs.nth(i).is_visible()]
    return ([t.inner_text().strip() for t in shown],
            [t.inner_text().strip() for t in shown if t.get_attribute("aria-selected") == "true"])


def assert_no_exception(page: Page, *, errors_expected: bool = False) -> None:
    """No exception box; and no error alert unless the test expects one."""
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"exception box: {exceptions.all_inner_texts()}"
    if not errors_expected:
        errors = page.locator(ERROR_ALERT)
        assert errors.count() == 0, f"error box on the demo data: {errors.all_inner_texts()}"


def screenshot(page: Page, directory: Path, name: str) -> Path:
    """Save a full-page PNG. Streamlit scrolls inside its main container, so the viewport is
    first made as tall as the content, then restored."""
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent', 'stAppViewContainer'].map("
        "id => document.querySelector(`[data-testid=\"${id}\"]`)?.scrollHeight || 0))")
    original = page.viewport_size
    fitted = page.evaluate(f"() => ({CHARTS_FIT_JS})(null)")
    page.set_viewport_size({"width": WIDTH, "height": max(900, min(int(height) + 40, 8000))})
    # the charts re-layout to the new size: wait until each chart that filled its container
    # fills it again (a drawing, not an assertion: after 10 s the picture is taken anyway)
    try:
        page.wait_for_function(CHARTS_FIT_JS, arg=fitted, timeout=10_000, polling="raf")
    except PlaywrightTimeout:
        pass
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if original:
        page.set_viewport_size(original)
    return path


def settle_images(page: Page) -> None:
    """Wait until every image of the page has loaded or failed (an <img onerror> injected into
    the page has then fired: its error event comes with the failure), then two frames."""
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete || i.loading === 'lazy')",
        timeout=30_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def card(page: Page, label: str) -> Locator:
    """The KPI card (st.metric) whose label starts with `label` ("Customers · Jun 2026")."""
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]',
                         has_text=re.compile(rf"^\s*{re.escape(label)}(\s*·|\s*$)")))


def card_value(page: Page, label: str) -> Locator:
    return card(page, label).locator('[data-testid="stMetricValue"]')


def widget(page: Page, testid: str, label: str, root: str = "body") -> Locator:
    """The widget of type `testid` (e.g. stSelectbox) whose label is exactly `label`."""
    return page.locator(root).locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]',
                         has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def choose(page: Page, select: Locator, option: str) -> None:
    """Open a selectbox / multiselect and click the option named `option`."""
    select.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def grid(frame: Locator) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of an st.dataframe, read from the grid's accessible table (the grid
    itself is drawn on a canvas). Only the rendered (visible) cells are present."""
    table = frame.locator('table[role="grid"]')
    # wait for the grid's accessible table to be drawn (a state, not a delay): on a busy
    # machine the frame is attached before its header cells
    table.locator('th[role="columnheader"]').first.wait_for(state="attached", timeout=60_000)
    headers = [t.strip() for t in table.locator('th[role="columnheader"]').all_text_contents()]
    rows = [[t.strip() for t in row.locator('td[role="gridcell"]').all_text_contents()]
            for row in table.locator('tbody tr[role="row"]').all()]
    return headers, rows


def table_counts(page: Page) -> dict[str, int]:
    """The row counts shown at the top of the Data page: {table: rows}."""
    headers, rows = grid(page.locator('[data-testid="stDataFrame"]').first)
    assert rows and rows[0][0] == "rows", f"unexpected counts table: {headers} {rows}"
    return {h: int(v.replace(",", "")) for h, v in zip(headers[1:], rows[0][1:], strict=True)}


def counts_when(page: Page, want, timeout_s: float = 30.0) -> dict[str, int]:
    """Return the Data page's row counts once `want(counts)` holds, else as they are after
    `timeout_s` (the caller's assertion then fails on them): the data grid fills its table a
    moment after the run that changed the data has ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts = table_counts(page)
        if want(counts) or time.monotonic() > deadline:
            return counts
        page.wait_for_timeout(100)


def upload(page: Page, files) -> None:
    """Put a file into the Data page's uploader (a path, or a dict with name/mimeType/buffer)."""
    page.locator('[data-testid="stFileUploader"] [data-testid="stFileUploaderDropzoneInput"]'
                 ).set_input_files(files)


def open_data_page_with_tickets(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/data")
    wait_for_app(page, "Data")
    table = page.get_by_role("combobox", name="Table", exact=True)
    choose(page, table, "tickets — Support conversations.")
    expect(table).to_have_value("tickets — Support conversations.")
    wait_idle(page)


def chart_titles(page: Page) -> list[str]:
    """The titles of the Plotly charts on the page."""
    return [t.strip() for t in
            page.locator('[data-testid="stPlotlyChart"] .gtitle').all_text_contents()]


def metric_values(page: Page, labels: list[str]) -> dict[str, str]:
    return {lab: card_value(page, lab).inner_text().strip() for lab in labels}


# ------------------------------------------------------------------------------------ tests


def test_every_page_opens_without_an_exception_box_and_shows_the_demo_figures(
        page, base_url, demo_facts, screenshot_dir):
    page.goto(f"{base_url}/")
    wait_for_app(page, "Overview")
    for label in CARD_LABELS:
        expect(card(page, label)).to_have_count(1)
        expect(card_value(page, label)).to_have_text(re.compile(r"\d"))
    # The last complete month of the demo data is June 2026: its customers at the end.
    expect(card(page, "Customers")).to_contain_text("Jun 2026")
    expect(card_value(page, "Customers")).to_have_text(f"{demo_facts.active_accounts:,}")
    chart = page.locator('[data-testid="stPlotlyChart"]')
    expect(chart).to_have_count(1)
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .trace").first).to_be_attached()
    assert chart_titles(page) == ["Customers by month"]
    assert_no_exception(page)
    # The Period control is a main control: switching to quarter redraws the chart.
    page.get_by_role("radio", name="quarter", exact=True).click()
    expect(chart.locator(".gtitle", has_text="Customers by quarter").first).to_be_visible()
    wait_idle(page)
    assert chart_titles(page) == ["Customers by quarter"]
    assert_no_exception(page)
    page.get_by_role("radio", name="month", exact=True).click()
    expect(chart.locator(".gtitle", has_text="Customers by month").first).to_be_visible()
    wait_idle(page)
    assert chart_titles(page) == ["Customers by month"]
    screenshot(page, screenshot_dir, "01_overview_demo_data")

    # Data, through the sidebar navigation.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Data").click()
    wait_for_app(page, "Data")
    expect(page).to_have_url(re.compile(r"/data(\?|$)"))
    counts = table_counts(page)
    for table, n in demo_facts.rows.items():
        if table == "tickets":  # the upload tests append tickets
            assert counts[table] >= n, counts
        else:
            assert counts[table] == n, (table, counts)
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "02_data_upload_tab")
    for tab in ["Past loads", "Templates & demo data"]:
        open_tab(page, tab)
        assert_no_exception(page)
    expect(page.get_by_role("button", name="tickets.csv")).to_be_visible()
    page.get_by_role("button", name="Prepare the demo data download").click()
    expect(page.get_by_role("button", name="Download demo data (zip)")).to_be_visible(
        timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "03_data_templates_tab")

    # Data, straight from its URL.
    page.goto(f"{base_url}/data")
    wait_for_app(page, "Data")
    assert_no_exception(page)


def test_choosing_a_segment_changes_the_cards_and_the_url_and_a_reload_keeps_it(
        page, base_url, demo_facts, screenshot_dir):
    page.goto(f"{base_url}/")
    wait_for_app(page, "Overview")
    expect(card_value(page, "Customers")).to_have_text(f"{demo_facts.active_accounts:,}")
    before = metric_values(page, CARD_LABELS)

    segment = widget(page, "stMultiSelect", "Segment", root='[data-testid="stSidebar"]')
    choose(page, segment, "Enterprise")
    expect(page).to_have_url(re.compile(r"[?&]segment=Enterprise(&|$)"), timeout=30_000)
    expect(card_value(page, "Customers")).to_have_text(
        f"{demo_facts.active_enterprise:,}", timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    after = metric_values(page, CARD_LABELS)
    assert after["MRR"] != before["MRR"], (before, after)
    expect(segment).to_contain_text("Enterprise")
    screenshot(page, screenshot_dir, "04_overview_segment_enterprise")

    page.reload()
    wait_for_app(page, "Overview")
    expect(page).to_have_url(re.compile(r"[?&]segment=Enterprise(&|$)"))
    segment = widget(page, "stMultiSelect", "Segment", root='[data-testid="stSidebar"]')
    expect(segment).to_contain_text("Enterprise")
    expect(card_value(page, "Customers")).to_have_text(f"{demo_facts.active_enterprise:,}")
    assert metric_values(page, CARD_LABELS) == after
    assert_no_exception(page)


def test_the_upload_wizard_loads_a_good_tickets_file_and_refuses_a_bad_one(
        page, base_url, demo_facts, tmp_path, screenshot_dir):
    good = tmp_path / "good_tickets.csv"
    good.write_text(GOOD_TICKETS.format(acc=demo_facts.account_id))
    bad = tmp_path / "bad_tickets.csv"
    bad.write_text(BAD_TICKETS.format(acc=demo_facts.account_id))

    open_data_page_with_tickets(page, base_url)
    tickets_before = table_counts(page)["tickets"]

    upload(page, str(good))
    expect(page.get_by_text("1. Column mapping")).to_be_visible()
    wait_idle(page)
    # The proposed mapping, from the headers' synonyms.
    for target, source in [("ticket_id *", "Ticket ID"), ("account_id *", "Customer ID"),
                           ("created_at *", "Opened"), ("channel", "channel")]:
        expect(page.get_by_role("combobox", name=target, exact=True)).to_have_value(source)
    preview = page.locator('[data-testid="stDataFrame"]').nth(1)
    headers, rows = grid(preview)
    assert headers[:3] == ["ticket_id", "account_id", "created_at"], headers
    assert [r[:2] for r in rows] == [["E2E-T1", demo_facts.account_id],
                                     ["E2E-T2", demo_facts.account_id]], rows
    assert rows[0][2].startswith("2026-06-01 09:00"), rows
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "05_upload_good_file_preview")

    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "Loaded 2 of 2", timeout=60_000)
    wait_idle(page)
    assert metric_values(page, ["Rows in file", "Loaded", "Rejected",
                                "Skipped as duplicates"]) == {
        "Rows in file": "2", "Loaded": "2", "Rejected": "0", "Skipped as duplicates": "0"}
    assert counts_when(page, lambda c: c["tickets"] == tickets_before + 2)["tickets"] == (
        tickets_before + 2)
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "06_upload_good_file_loaded")

    upload(page, str(bad))
    expect(page.locator('[data-testid="stFileChipName"]')).to_have_text("bad_tickets.csv")
    wait_idle(page)
    page.get_by_role("button", name="Load", exact=True).click()
    error = page.locator(ERROR_ALERT)
    expect(error).to_contain_text("Nothing was changed", timeout=60_000)
    wait_idle(page)
    assert metric_values(page, ["Rows in file", "Loaded", "Rejected"]) == {
        "Rows in file": "2", "Loaded": "0", "Rejected": "2"}
    # The reject report is the table whose header starts with "line" (the preview's problem
    # list, above it, starts with "row").
    report = page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text="reason")).filter(
        has=page.locator('th[role="columnheader"]', has_text="line")).last
    headers, rows = grid(report)
    assert headers == ["line", "column", "value", "reason"], headers
    assert len(rows) == 1 and rows[0][:3] == ["3", "created_at", "not a date"], rows
    assert rows[0][3], "the reject report gives no reason"
    assert counts_when(page, lambda c: c["tickets"] == tickets_before + 2)["tickets"] == (
        tickets_before + 2)
    assert_no_exception(page, errors_expected=True)
    assert page.locator(ERROR_ALERT).count() == 1
    screenshot(page, screenshot_dir, "07_upload_bad_file_refused")


def test_script_and_html_in_an_uploaded_file_show_as_text_and_run_nothing(
        page, base_url, demo_facts, dialogs, screenshot_dir):
    name = f"xss_{IMG}.csv"
    text = (
        "ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,"
        "channel,priority\n"
        f"E2E-X1,{demo_facts.account_id},2026-06-05 09:00,2026-06-05 10:00,,1,false,"
        f"{SCRIPT},{IMG}\n"
    )
    open_data_page_with_tickets(page, base_url)
    upload(page, {"name": name, "mimeType": "text/csv", "buffer": text.encode()})
    # The chip shortens long names; the full name is its title attribute (text, not markup).
    expect(page.locator('[data-testid="stFileChipName"]')).to_have_attribute("title", name)
    expect(page.get_by_text("3. Preview")).to_be_visible()
    wait_idle(page)
    preview = page.locator('[data-testid="stDataFrame"]').nth(1)
    headers, rows = grid(preview)
    cells = dict(zip(headers, rows[0], strict=False))
    assert cells.get("channel") == SCRIPT, (headers, rows)
    assert cells.get("priority") == IMG, (headers, rows)
    screenshot(page, screenshot_dir, "08_upload_script_text_preview")

    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "Loaded 1 of 1", timeout=60_000)
    wait_idle(page)
    open_tab(page, "Past loads")
    history = page.locator('[data-testid="stTabPanel"]:visible [data-testid="stDataFrame"]')
    expect(history.locator('td[role="gridcell"]').filter(
        has_text=re.compile(rf"^{re.escape(name)}$"))).to_have_count(1)
    settle_images(page)  # an injected <img onerror> would have fired by now

    assert dialogs == [], f"JavaScript ran from uploaded text: {dialogs}"
    assert page.locator('img[src="x"]').count() == 0, "an <img> from the file reached the DOM"
    injected = page.evaluate(
        "() => [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length")
    assert injected == 0, "a <script> from the file reached the DOM"
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "09_upload_script_text_past_loads")
