"""Tasks in a real browser (Playwright + Debian's Chromium) on a private copy of the demo data:
a task created in one click from the Health page's at-risk list, completed on the Tasks page
with its reason, then seen in the account 360's timeline (with a note shown as text) and among
the Weekly review's team actions. Screenshots go to tests/e2e/screenshots/ — look at them."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.e2e.conftest import new_page, serving
from tests.e2e.st_runs import rerun
from tests.e2e.test_dashboard_in_chromium import (
    assert_no_exception,
    grid,
    open_tab,
    screenshot,
    wait_for_app,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = pytest.mark.e2e
NOTE = "**Agreed** a plan <b>with</b> the admin"


@pytest.fixture
def own_server(demo_facts, tmp_path):
    """`csm serve` on a copy of the demo database: this test writes tasks and notes."""
    db = tmp_path / "data" / "csm.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_facts.db, db)
    with serving(db, tmp_path / "server.log") as (url, _proc):
        yield url


@pytest.fixture
def own_page(browser, own_server, dialogs):
    """A page on that server (see new_page)."""
    pg = new_page(browser, own_server, dialogs)
    try:
        yield pg
    finally:
        pg.context.close()


def _frame_with(page, header: str):
    return page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text=header)).first


def test_a_task_from_the_at_risk_list_is_completed_and_shows_in_the_timeline_and_the_week(
        own_page, own_server, dialogs, screenshot_dir):
    page, url = own_page, own_server
    # 1. Health: one click on the at-risk list's first account
    page.goto(f"{url}/health")
    wait_for_app(page, "Health")
    picker = page.get_by_role("combobox", name="Act on an at-risk account", exact=True)
    expect(picker).to_be_visible()
    picked = picker.input_value()  # "Name (A00123, risk)"
    m = re.fullmatch(r"(.+) \((A\d+), (risk|onboarding)\)", picked)
    assert m, picked
    name, account, kind = m.groups()
    verb = "Save" if kind == "risk" else "Onboard"
    with rerun(page):
        page.get_by_role("button", name=f"Create {kind} task").click()
    expect(page.get_by_text(f"Task created: {verb} {name}", exact=False)).to_be_visible()
    assert_no_exception(page)

    # 2. Tasks: the task is among my open tasks; it is completed with a reason
    page.goto(f"{url}/tasks")
    wait_for_app(page, "Tasks")
    assert_no_exception(page)
    headers, rows = grid(_frame_with(page, "priority"))
    title_col = headers.index("title")
    assert f"{verb} {name}" in [r[title_col] for r in rows if len(r) > title_col]
    screenshot(page, screenshot_dir, "60_tasks_my_tasks")
    # the task is picked by typing its title (the list of options is drawn only in part)
    box = page.get_by_role("combobox", name="Task", exact=True)
    box.click()
    page.keyboard.type(f"{verb} {name}")
    page.keyboard.press("Enter")
    expect(box).to_have_value(re.compile(rf"^#\d+ {re.escape(verb)} {re.escape(name)}$"))
    expect(page.get_by_role("combobox", name="New status", exact=True)).to_have_value("done")
    page.get_by_label("Reason (needed to close)").fill("Called, plan agreed")
    with rerun(page):
        page.get_by_role("button", name="Save status").click()
    expect(page.get_by_text(" is done.", exact=False)).to_be_visible()
    open_tab(page, "Team")
    screenshot(page, screenshot_dir, "61_tasks_team")

    # 3. Accounts: the 360's timeline has the task, opened and done with its reason; a note
    # written in Markdown and HTML shows as the text it is
    page.goto(f"{url}/accounts?account={account}")
    wait_for_app(page, "Accounts")
    open_tab(page, "Timeline and notes")
    page.get_by_label("Add a note").fill(NOTE)
    with rerun(page):
        page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    open_tab(page, "Timeline and notes")
    expect(page.get_by_text(f"Task done: {verb} {name}").first).to_be_visible()
    expect(page.get_by_text("Called, plan agreed").first).to_be_visible()
    expect(page.get_by_text(NOTE, exact=True)).to_be_visible()  # not bold, no <b> element
    assert page.locator('[data-testid="stMarkdown"] b').count() == 0
    assert_no_exception(page)
    screenshot(page, screenshot_dir, "62_account_360_timeline")

    # 4. Weekly review: the team actions list the task closed, and the demo's plays' outcomes
    page.goto(f"{url}/weekly")
    wait_for_app(page, "Weekly review")
    assert_no_exception(page)
    expect(page.get_by_text(re.compile(r"Risk plays: \d+ plays? recovered, \$[\d.,]+[kM]? ARR "
                                       r"saved, \d+ lost"))).to_be_visible()
    headers, rows = grid(_frame_with(page, "reason"))
    got = {(r[headers.index("title")], r[headers.index("reason")]) for r in rows
           if len(r) == len(headers)}
    assert (f"{verb} {name}", "Called, plan agreed") in got, got
    screenshot(page, screenshot_dir, "63_weekly_team_actions")
    assert dialogs == []
