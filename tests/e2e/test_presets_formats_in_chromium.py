"""Vendors' exports and the non-CSV formats through the Data page's wizard, in a real browser:
a Zendesk tickets CSV, the UCI Online Retail CSV, a Mixpanel JSON lines export, a HubSpot
companies export saved as a two-sheet workbook (the sheet chosen in the wizard) and a Parquet
file of tickets are uploaded one after another; then the other presets' fixtures (Stripe,
Salesforce report and data exports, Intercom, Qualtrics, Delighted, Segment); then, on a second
fresh demo, the presets added later (Stripe customers and invoices, HubSpot deals, Amplitude;
Zendesk tickets then their satisfaction ratings, Typeform, SurveyMonkey, Qualtrics CSAT, a
Delighted CSV). For each: the "This looks like …" message where a preset applies (and none
where none does), the load's message with the numbers worked out by hand from the fixture, and
the table's row count on the Data page afterwards.

Its own demo databases and servers: these loads change the data the other browser tests read.
Screenshots of the wizard after each recognition go to the test's tmp dir.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from metrics.schema import TABLES
from tests.e2e.conftest import DEMO_END, new_page, serving
from tests.e2e.test_dashboard_in_chromium import (
    assert_no_exception,
    choose,
    counts_when,
    grid,
    metric_values,
    open_tab,
    screenshot,
    table_counts,
    upload,
    wait_for_app,
    wait_idle,
)

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips these tests (fails them when CI=true)
    expect = None

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PRESETS = FIXTURES / "presets"
INFO = '[data-testid="stAlertContentInfo"]'
# A load's message: a success box, or a warning box when rows were rejected.
RESULT = '[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"]'
LOAD_TIMEOUT_MS = 120_000


@dataclass
class Upload:
    """One file through the wizard, and what the fixture says must happen (worked by hand)."""

    path: Path
    table: str
    looks_like: str | None  # the preset's label, None when no preset applies
    message: str  # the load's message, in full
    in_file: int
    loaded: int
    skipped: int = 0  # rows skipped as duplicates (ids already stored)
    sheet: str | None = None  # the workbook's sheet to choose
    mode: str | None = None  # to click (a table others refer to has none chosen)
    allow_rejects: bool = False
    # The preview's problem list: (row of the preview as shown, counted from 1, its first
    # cell there, column), each.
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    # Free-text preset options typed into the wizard: {option: text}.
    options: dict[str, str] = field(default_factory=dict)
    # What the preset says it did to this file, shown under the preview, each in full.
    notes: list[str] = field(default_factory=list)
    # The orphan account ids the result's warning names (None: not checked; []: no warning).
    orphans: list[str] | None = None


def hubspot_workbook(path: Path) -> None:
    """Save the HubSpot companies fixture as HubSpot's XLSX export would hold it, as the second
    sheet "Companies" after a sheet of notes: ids and revenue as numbers, dates as dates."""
    import openpyxl

    with open(PRESETS / "hubspot_companies.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    wb = openpyxl.Workbook()
    wb.active.title = "About"
    wb.active.append(["HubSpot companies export, all companies"])
    ws = wb.create_sheet("Companies")
    ws.append(rows[0])
    for r in rows[1:]:
        cells: list = []
        for h, v in zip(rows[0], r, strict=True):
            if not v:
                cells.append(None)
            elif h in ("Create Date", "Last Activity Date"):
                cells.append(datetime.strptime(v, "%Y-%m-%d %H:%M"))
            elif h in ("Record ID", "Annual Revenue", "Number of Employees"):
                cells.append(int(v.replace(",", "")))
            else:
                cells.append(v)
        ws.append(cells)
    wb.save(path)


def tickets_parquet(path: Path) -> int:
    """Write the canonical tickets fixture as a warehouse would, typed (timestamps, integers,
    booleans); return its rows."""
    import pandas as pd

    df = pd.read_csv(FIXTURES / "good" / "tickets.csv",
                     parse_dates=["created_at", "first_response_at", "resolved_at"],
                     dtype={"contacts": "Int64", "reopened": "boolean"})
    df.to_parquet(path, index=False)
    return len(df)


def uploads(tmp_path: Path) -> list[Upload]:
    """The five files, in the order they are uploaded, with their hand-worked outcomes."""
    xlsx = tmp_path / "hubspot_companies.xlsx"
    hubspot_workbook(xlsx)
    parquet = tmp_path / "tickets.parquet"
    assert tickets_parquet(parquet) == 15
    return [
        # 5 tickets; their accounts are 3 organisations the demo does not have.
        Upload(PRESETS / "zendesk_tickets.csv", "tickets", "Zendesk tickets export",
               "Loaded 5 of 5 rows into tickets; 3 account ids not in accounts (orphans).",
               5, 5),
        # 11 lines, 7 invoices; the guest invoice (no CustomerID) is rejected; the other 6
        # (2 of them refunds) belong to 5 customers the demo does not have.
        Upload(PRESETS / "online_retail.csv", "orders", "UCI Online Retail invoice file",
               "Loaded 6 of 7 rows into orders; 1 rejected; 5 account ids not in accounts "
               "(orphans).", 7, 6, allow_rejects=True,
               problems=[("7", "536414", "account_id")]),
        # 5 events (one time in milliseconds) of accounts acc-1, acc-2, acc-3.
        Upload(PRESETS / "mixpanel_events.jsonl", "usage_events", "Mixpanel raw event export",
               "Loaded 5 of 5 rows into usage_events; 3 account ids not in accounts "
               "(orphans).", 5, 5),
        # 4 companies, added to the demo's accounts (append: replace would remove them).
        Upload(xlsx, "accounts", "HubSpot companies export", "Loaded 4 of 4 rows into accounts.",
               4, 4, sheet="Companies", mode="append"),
        # 15 canonical tickets of accounts A001 ... A012 (12 ids, not the demo's).
        Upload(parquet, "tickets", None,
               "Loaded 15 of 15 rows into tickets; 12 account ids not in accounts (orphans).",
               15, 15),
    ]


def other_uploads() -> list[Upload]:
    """The other presets' fixtures, with their hand-worked outcomes."""
    return [
        # 5 subscriptions (one trialing, one canceled) of 5 Stripe customers.
        Upload(PRESETS / "stripe_subscriptions.csv", "subscriptions",
               "Stripe subscriptions export", "Loaded 5 of 5 rows into subscriptions; 5 "
               "account ids not in accounts (orphans).", 5, 5),
        # 3 accounts from a report export (labels, US dates) ...
        Upload(PRESETS / "salesforce_accounts_report.csv", "accounts",
               "Salesforce accounts export", "Loaded 3 of 3 rows into accounts.", 3, 3,
               mode="append"),
        # ... and the same 3 accounts from a data export (API names): all skipped as stored.
        Upload(PRESETS / "salesforce_accounts_data.csv", "accounts",
               "Salesforce accounts export",
               "Loaded 0 of 3 rows into accounts; 3 skipped as duplicates.", 3, 0, skipped=3,
               mode="append"),
        # 12 messages of 3 conversations (one ticket each) of 3 companies.
        Upload(PRESETS / "intercom_conversations.csv", "tickets",
               "Intercom conversations export", "Loaded 3 of 3 rows into tickets; 3 account "
               "ids not in accounts (orphans).", 3, 3),
        # 3 header rows, then 4 answers of accounts acc-1, acc-2 (twice), acc-3.
        Upload(PRESETS / "qualtrics_nps.csv", "survey_responses",
               "Qualtrics survey export (NPS or CSAT)", "Loaded 4 of 4 rows into "
               "survey_responses; 3 account ids not in accounts (orphans).", 4, 4),
        # 5 NPS responses (JSON lines) of 3 accounts.
        Upload(PRESETS / "delighted_responses.jsonl", "survey_responses",
               "Delighted survey responses export", "Loaded 5 of 5 rows into "
               "survey_responses; 3 account ids not in accounts (orphans).", 5, 5),
        # 6 messages: the identify and group calls are left out, 4 events of 3 accounts.
        Upload(PRESETS / "segment_events.jsonl", "usage_events", "Segment event export",
               "Loaded 4 of 4 rows into usage_events; 3 account ids not in accounts "
               "(orphans).", 4, 4),
    ]


def _demo_server(tmp_path_factory, name: str):
    """`csm serve` on a small demo database of its own; yields its base URL."""
    from metrics import demo
    from metrics.store import Store

    folder = tmp_path_factory.mktemp(name)
    db = folder / "data" / "csm.duckdb"
    store = Store(db)
    try:
        demo.generate(store, size="small", end=DEMO_END)
    finally:
        store.close()
    with serving(db, folder / "server.log") as (url, _proc):
        yield url


# The later presets' uploads start from the fresh small demo (fresh_url): none of its accounts
# is a fixture's, so every fixture account not loaded just before is an orphan. The messages,
# cards and notes were worked out by hand from the fixtures (the comments say how) and checked
# against the product: load_file, with what the wizard passes (the detected preset, its listed
# options at their first value, CSAT scale 5, append for accounts), on a fresh
# demo.generate(size="small", end=DEMO_END), in this order and in the other list's first.
# The two lists touch no id of each other's, so they may run in either order.


def later_billing_uploads() -> list[Upload]:
    """Stripe customers, then their invoices; HubSpot deals; Amplitude events."""
    return [
        # 4 customers, added to the demo's accounts.
        Upload(PRESETS / "stripe_customers.csv", "accounts", "Stripe customers export",
               "Loaded 4 of 4 rows into accounts.", 4, 4, mode="append", orphans=[]),
        # 7 invoices, 4 of them paid: only those are orders (the file's rows as the load
        # counts them), of 3 of the customers just loaded: no orphans.
        Upload(PRESETS / "stripe_invoices.csv", "orders", "Stripe invoices export",
               "Loaded 4 of 4 rows into orders.", 4, 4, orphans=[],
               notes=["Only paid invoices are orders; left out: 1 draft, 1 open, 1 void.",
                      "Amounts are Amount Paid in USD (major units, as the Dashboard export "
                      "writes them)."]),
        # 5 deals, 3 closed won (9001, 9002, 9005) of 3 companies (9002's first associated
        # one) the demo does not have.
        Upload(PRESETS / "hubspot_deals.csv", "orders", "HubSpot deals export",
               "Loaded 3 of 3 rows into orders; 3 account ids not in accounts (orphans).",
               3, 3, orphans=["5521904312", "5521904313", "5521904314"],
               notes=["Only closed-won deals are orders; left out by stage: Appointment "
                      "Scheduled 1, Closed Lost 1."]),
        # 6 events, session_start and $identify left out: 4 of accounts acc-1, acc-2, acc-3.
        Upload(PRESETS / "amplitude_events.jsonl", "usage_events", "Amplitude event export",
               "Loaded 4 of 4 rows into usage_events; 3 account ids not in accounts "
               "(orphans).", 4, 4, orphans=["acc-1", "acc-2", "acc-3"],
               notes=["Not usage events, left out: 1 $identify, 1 session_start."]),
    ]


def later_survey_uploads() -> list[Upload]:
    """Zendesk tickets, then their satisfaction ratings (a rating's account is its ticket's);
    Typeform, SurveyMonkey, Qualtrics CSAT and Delighted CSV answers."""
    acc = ["acc-1", "acc-2", "acc-3"]
    orgs = ["Contoso Ltd", "Fabrikam", "Northwind Traders"]
    return [
        # 5 tickets of 3 organisations the demo does not have.
        Upload(PRESETS / "zendesk_tickets.csv", "tickets", "Zendesk tickets export",
               "Loaded 5 of 5 rows into tickets; 3 account ids not in accounts (orphans).",
               5, 5, orphans=orgs),
        # 7 ratings, the offered and the unoffered one have no answer: 5 answers, of tickets
        # 101-105 just loaded, whose Organizations are the accounts (orphans, as above).
        Upload(PRESETS / "zendesk_satisfaction.jsonl", "survey_responses",
               "Zendesk satisfaction ratings export",
               "Loaded 5 of 5 rows into survey_responses; 3 account ids not in accounts "
               "(orphans).", 5, 5, orphans=orgs,
               notes=["Ratings without an answer left out: 1 offered, 1 unoffered."]),
        # 6 responses, a partial one and one without a score left out: 4 of acc-1..3. The
        # comment question is not recognised by its text: typed as the preset's option.
        Upload(PRESETS / "typeform_nps.csv", "survey_responses", "Typeform responses export",
               "Loaded 4 of 4 rows into survey_responses; 3 account ids not in accounts "
               "(orphans).", 4, 4, orphans=acc,
               options={"comment": "What is the main reason for your score?"},
               notes=['The score is "How likely are you to recommend Acme to a friend or '
                      'colleague?" read as nps; the comment is "What is the main reason for '
                      'your score?".',
                      "Left out: 1 partial responses, 1 without an answer to the score "
                      "question."]),
        # A second header row and 5 responses, one without an answer: 4 of acc-1..3.
        Upload(PRESETS / "surveymonkey_csat.csv", "survey_responses",
               "SurveyMonkey responses export",
               "Loaded 4 of 4 rows into survey_responses; 3 account ids not in accounts "
               "(orphans).", 4, 4, orphans=acc,
               notes=["Left out: 1 header rows after the first, 1 without an answer to the "
                      "score question."]),
        # Two more header rows, then 4 CSAT answers (Q1, found by its text) of acc-1..3.
        Upload(PRESETS / "qualtrics_csat.csv", "survey_responses",
               "Qualtrics survey export (NPS or CSAT)",
               "Loaded 4 of 4 rows into survey_responses; 3 account ids not in accounts "
               "(orphans).", 4, 4, orphans=acc,
               notes=["The CSAT answer is column Q1; no comment column (--preset-option "
                      "comment=QID names one)."]),
        # 5 responses (3 NPS, 2 CSAT) of acc-1..3, under the API's names.
        Upload(PRESETS / "delighted_responses.csv", "survey_responses",
               "Delighted survey responses export",
               "Loaded 5 of 5 rows into survey_responses; 3 account ids not in accounts "
               "(orphans).", 5, 5, orphans=acc),
    ]


@pytest.fixture(scope="module")
def wizard_url(tmp_path_factory, chromium_executable):
    """`csm serve` on a small demo database of its own; yields its base URL."""
    yield from _demo_server(tmp_path_factory, "e2e_presets")


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory, chromium_executable):
    """A second server on a fresh small demo, for the later presets: their outcomes are
    worked out from the demo alone, not from what the tests above loaded (HubSpot's companies
    would make the deals' accounts known, the Zendesk tickets would be duplicates)."""
    yield from _demo_server(tmp_path_factory, "e2e_presets_fresh")


def _table_option(table: str) -> str:
    return f"{table} — {TABLES[table].description}"


def choose_table(page: Page, table: str) -> None:
    """Choose the wizard's table by typing its name into the selectbox (the list of options
    is drawn only in part, so an option further down may not be there to click)."""
    box = page.get_by_role("combobox", name="Table", exact=True)
    box.click()
    page.keyboard.type(table)
    page.get_by_role("option", name=_table_option(table), exact=True).click()
    expect(box).to_have_value(_table_option(table))


def check_preview_problems(page: Page, problems: list[tuple[str, str, str]]) -> None:
    """The preview's problem list names the rows of the preview table as they are shown."""
    frames = page.locator('[data-testid="stDataFrame"]')
    # Its first header is "row"; the last load's reject report, below, has "line".
    listed = frames.filter(has=page.locator('th[role="columnheader"]', has_text="reason")
                           ).filter(has=page.locator('th[role="columnheader"]',
                                                     has_text=re.compile(r"^\s*row\s*$")))
    if not problems:
        expect(listed).to_have_count(0)
        return
    _headers, preview_rows = grid(frames.nth(1))  # the counts table, then the preview
    headers, rows = grid(listed.first)
    assert headers == ["row", "column", "value", "reason"], headers
    got = [(r[0], preview_rows[int(r[0]) - 1][0], r[1]) for r in rows]
    assert got == problems, (rows, preview_rows)


def through_the_wizard(page: Page, u: Upload, shots: Path, n: int) -> None:
    """Choose the table, upload the file, check what the wizard recognised, load it and check
    the message, the counts and the table's rows on the Data page."""
    before = table_counts(page)
    choose_table(page, u.table)
    wait_idle(page)
    upload(page, str(u.path))
    # The chip shortens long names; its title is the full name.
    expect(page.locator('[data-testid="stFileChipName"]')).to_have_attribute("title",
                                                                               u.path.name)
    wait_idle(page)
    looks_like = page.locator(INFO).filter(has_text="This looks like")
    if u.sheet is not None:
        # The first sheet is a page of notes: nothing recognised until the sheet is chosen.
        sheet = page.get_by_role("combobox", name="Sheet", exact=True)
        expect(sheet).to_have_value("About")
        expect(looks_like).to_have_count(0)
        choose(page, sheet, u.sheet)
        expect(sheet).to_have_value(u.sheet)
        wait_idle(page)
    if u.looks_like is None:
        expect(page.get_by_text("3. Preview")).to_be_visible()
        expect(looks_like).to_have_count(0)
    else:
        expect(looks_like).to_have_text(f"This looks like a {u.looks_like}.")
        preset_box = page.get_by_role(
            "checkbox", name=f"Read it with the {u.looks_like} preset (fills the mapping)")
        expect(preset_box).to_be_checked()
        expect(page.get_by_text("3. Preview")).to_be_visible()
    # The preset (or the canonical header) fills every required column of the mapping.
    for col in TABLES[u.table].required:
        expect(page.get_by_role("combobox", name=f"{col} *", exact=True)).to_have_value(col)
    for k, text in u.options.items():
        box = page.get_by_role("textbox", name=re.compile(rf"^Preset option: {k} \("))
        box.fill(text)
        box.press("Enter")
        wait_idle(page)
        expect(box).to_have_value(text)
    wait_idle(page)
    assert_no_exception(page, errors_expected=False)
    check_preview_problems(page, u.problems)
    captions = page.locator('[data-testid="stCaptionContainer"]')
    for note in u.notes:
        expect(captions.filter(has_text=re.compile(rf"^{re.escape(note)}$"))).to_have_count(1)
    screenshot(page, shots, f"{n}_{u.path.stem}_recognised")

    if u.mode is not None:
        # The radio's label takes the click (its drawn circle covers the input).
        mode = page.get_by_role("radiogroup", name="Mode")
        mode.get_by_text(u.mode, exact=True).click()
        expect(mode.get_by_role("radio", name=u.mode, exact=True)).to_be_checked()
        wait_idle(page)
    if u.allow_rejects:
        label = "Load the valid rows and skip the rejected ones"
        page.get_by_text(label, exact=True).click()
        expect(page.get_by_role("checkbox", name=label)).to_be_checked()
        wait_idle(page)
    load = page.get_by_role("button", name="Load", exact=True)
    expect(load).to_be_enabled()
    load.click()
    expect(page.locator(RESULT).filter(has_text=re.compile(
        rf"^{re.escape(u.message)}$"))).to_have_count(1, timeout=LOAD_TIMEOUT_MS)
    wait_idle(page)
    if u.orphans is not None:
        warned = page.locator('[data-testid="stAlertContentWarning"]').filter(
            has_text="are not in the accounts table")
        if u.orphans:
            expect(warned).to_have_text(
                f"{len(u.orphans)} account ids are not in the accounts table (kept, reported "
                f"as orphans): {', '.join(u.orphans)}")
        else:
            expect(warned).to_have_count(0)
    assert metric_values(page, ["Rows in file", "Loaded", "Rejected",
                                "Skipped as duplicates"]) == {
        "Rows in file": str(u.in_file), "Loaded": str(u.loaded),
        "Rejected": str(u.in_file - u.loaded - u.skipped),
        "Skipped as duplicates": str(u.skipped)}
    want = {**before, u.table: before[u.table] + u.loaded}
    after = counts_when(page, lambda c: c == want)
    assert after == want, (u.path.name, before, after)
    assert_no_exception(page)


def one_after_another(browser, url: str, files: list[Upload], shots: Path) -> None:
    """Upload `files` through the wizard of one page, in order (through_the_wizard each); then
    check the counts they added up to and that each is in Past loads."""
    dialogs: list[str] = []
    page = new_page(browser, url, dialogs)
    try:
        page.goto(f"{url}/data")
        wait_for_app(page, "Data")
        start = table_counts(page)
        for n, u in enumerate(files, start=1):
            through_the_wizard(page, u, shots, n)
        added: dict[str, int] = {}
        for u in files:
            added[u.table] = added.get(u.table, 0) + u.loaded
        assert table_counts(page) == {t: start[t] + added.get(t, 0) for t in start}
        # Every load is in Past loads under the file's name.
        open_tab(page, "Past loads")
        history = page.locator('[data-testid="stTabPanel"]:visible [data-testid="stDataFrame"]')
        for u in files:
            expect(history.locator('td[role="gridcell"]').filter(
                has_text=re.compile(rf"^{re.escape(u.path.name)}$")).first).to_be_attached()
        assert dialogs == []
    finally:
        page.context.close()


def test_each_format_and_the_first_presets_load_through_the_wizard(browser, wizard_url,
                                                                    tmp_path):
    one_after_another(browser, wizard_url, uploads(tmp_path), tmp_path)


def test_the_other_presets_load_through_the_wizard(browser, wizard_url, tmp_path):
    one_after_another(browser, wizard_url, other_uploads(), tmp_path)


def test_the_later_billing_and_event_presets_load_through_the_wizard(browser, fresh_url,
                                                                     tmp_path):
    one_after_another(browser, fresh_url, later_billing_uploads(), tmp_path)


def test_the_later_support_and_survey_presets_load_through_the_wizard(browser, fresh_url,
                                                                      tmp_path):
    one_after_another(browser, fresh_url, later_survey_uploads(), tmp_path)
