"""Sign-in and roles in a real browser: `csm serve` with an [auth] section pointing at a real
OpenID Connect provider on loopback (oidc-provider-mock, started here), Chromium signing in
through the provider's authorization form as a viewer, an analyst and a csm.

The roles come from the ID token's `groups` claim and from a roles file (the analyst by email),
as in production; nothing of Streamlit's sign-in is mocked. Screenshots: tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e import st_runs
from tests.e2e.auth_checks import db_rows, every_page_and_export, table_checksums
from tests.e2e.conftest import _SERVER_LOG, DEMO_END, HOST, serving
from tests.e2e.test_dashboard_in_chromium import (
    GOOD_TICKETS,
    assert_no_exception,
    choose,
    counts_when,
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

VIEWER = ("viewer@example.com", "Vera Viewer", ["viewer"])
# Only the roles file makes her an analyst: the claim alone would give the default, viewer.
ANALYST = ("ana@example.com", "Ana Analyst", ["staff"])
CSM = ("ava.thompson@example.com", "Ava Thompson", ["customer-success"])
ADMIN = ("ada@example.com", "Ada Admin", ["admin"])  # the claim names the role itself
# A csm sees only their own book here (row-level), on every page and in the pack they build.
ROLES_YAML = """claim: groups
default_role: viewer
groups:
  customer-success: csm
users:
  ana@example.com: analyst
csm_own_book_only: true
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OpenID Connect provider on loopback, with the four people as predefined users
    (one click each on its authorization form); yield its base URL."""
    import oidc_provider_mock

    users = [oidc_provider_mock.User(sub=email, claims={"email": email, "name": name,
                                                         "groups": groups})
             for email, name, groups in (VIEWER, ANALYST, CSM, ADMIN)]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as server:
        # The provider names itself after the Host it is asked by: always ask "localhost".
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def auth_db(tmp_path_factory, chromium_executable) -> tuple[Path, str]:
    """A private small demo database (the analyst's load must not change other tests' data);
    return it and an account id in it."""
    from metrics import demo
    from metrics.store import Store

    db = tmp_path_factory.mktemp("e2e_auth") / "data" / "csm.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db)
    try:
        demo.generate(store, size="small", end=DEMO_END)
        cur = store.cursor()
        try:
            account = cur.execute("SELECT min(account_id) FROM accounts").fetchone()[0]
            # An alert naming accounts of several books in the week the Weekly review opens
            # on (22-28 June): a restricted csm must not see the other books' ones.
            from datetime import date

            from metrics import alerts

            alerts.add_rule(cur, kind="health_red", name="Turned red", mrr_min=0,
                            window_days=7)
            alerts.evaluate(cur, trigger="manual", as_of=date(2026, 6, 28))
        finally:
            cur.close()
    finally:
        store.close()  # the server opens the file next
    return db, account


def _books(db: Path, owner: str) -> tuple[set[str], set[str], int]:
    """(names of `owner`'s accounts, names of every other account, `owner`'s accounts active
    at the demo's end), read with plain SQL."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT name, csm_owner, signup_date <= ? AND (churn_date IS NULL "
                           "OR churn_date > ?) FROM accounts", [DEMO_END, DEMO_END]).fetchall()
    finally:
        con.close()
    mine = {n for n, o, _a in rows if o == owner}
    return mine, {n for n, o, _a in rows if o != owner} - mine, sum(
        1 for _n, o, a in rows if o == owner and a)


@pytest.fixture(scope="module")
def auth_url(provider, auth_db, tmp_path_factory) -> Iterator[str]:
    """`csm serve` with sign-in through `provider` and the test roles file; yield its URL."""
    folder = tmp_path_factory.mktemp("e2e_auth_server")
    secrets_file = folder / "secrets.toml"
    # {port} is filled in by Streamlit with the port it serves on.
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{HOST}:{{port}}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "csm-dashboard-e2e"\n'
        'client_secret = "e2e-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    roles_file = folder / "roles.yaml"
    roles_file.write_text(ROLES_YAML)
    log_path = folder / "server.log"
    previous = list(_SERVER_LOG)
    _SERVER_LOG[:] = [log_path]
    try:
        with serving(auth_db[0], log_path, secrets=secrets_file,
                     env={"CSM_ROLES_FILE": str(roles_file)}) as (url, _proc):
            yield url
    finally:
        _SERVER_LOG[:] = previous


@pytest.fixture
def auth_page(browser, auth_url, provider, dialogs) -> Iterator[Page]:
    """A page of a fresh browser context (no cookies) that may reach only the app and the
    provider."""
    with fresh_page(browser, auth_url, provider, dialogs) as pg:
        yield pg


@contextmanager
def fresh_page(browser, auth_url: str, provider: str, dialogs: list[str]) -> Iterator[Page]:
    """Yield a page of a fresh browser context (no cookies) that may reach only the app and
    the provider; the context is closed when the block ends."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    allowed = (auth_url + "/", provider + "/")
    context.route(lambda u: not u.startswith(allowed), lambda route: route.abort())
    pg = st_runs.follow(context.new_page())
    pg.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        context.close()


def sign_in(page: Page, base_url: str, provider: str, who: tuple) -> None:
    """Open the app signed out, press Sign in, choose `who` on the provider's form, and wait
    for the app to come back signed in."""
    email, name, _groups = who
    page.goto(f"{base_url}/")
    expect(page.get_by_text("Sign in to see the dashboard.")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=re.compile("Sign in")).click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/authorize"))
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=email, exact=True).click()
    page.wait_for_url(re.compile(re.escape(base_url) + r"/?(\?.*)?$"), timeout=60_000)
    wait_for_app(page, "Overview")
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"Signed in as {name}")


def test_signed_out_the_app_shows_only_the_sign_in_page(auth_page, auth_url, screenshot_dir):
    auth_page.goto(f"{auth_url}/data")
    expect(auth_page.get_by_text("Sign in to see the dashboard.")).to_be_visible(
        timeout=60_000)
    wait_idle(auth_page)
    expect(auth_page.get_by_role("button", name=re.compile("Sign in"))).to_be_visible()
    # Nothing of the data: no page heading, no table, no uploader, no navigation.
    expect(auth_page.get_by_role("heading", name="Data", exact=True)).to_have_count(0)
    expect(auth_page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(auth_page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(auth_page.get_by_test_id("stSidebarNav")).to_have_count(0)
    assert_no_exception(auth_page)
    screenshot(auth_page, screenshot_dir, "auth_01_signed_out")


def test_a_viewer_reads_but_sees_no_upload_and_is_told_the_role_needed(
        auth_page, auth_url, provider, screenshot_dir):
    sign_in(auth_page, auth_url, provider, VIEWER)
    sidebar = auth_page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("role viewer")
    expect(sidebar).not_to_contain_text("Local mode")
    auth_page.goto(f"{auth_url}/data")
    wait_for_app(auth_page, "Data")
    expect(auth_page.get_by_text(
        "Loading data needs the analyst or admin role; you are signed in as viewer.")
    ).to_be_visible()
    expect(auth_page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(auth_page.get_by_role("combobox", name="Table", exact=True)).to_have_count(0)
    assert table_counts(auth_page)["tickets"] > 0  # reading still works
    assert_no_exception(auth_page)
    screenshot(auth_page, screenshot_dir, "auth_02_viewer_data_page")
    auth_page.goto(f"{auth_url}/goals")
    wait_for_app(auth_page, "Goals")
    for button in ("Save targets", "Save rules", "Check the rules now"):
        expect(auth_page.get_by_role("button", name=button)).to_have_count(0)
    expect(auth_page.get_by_text(
        "Saving targets needs the analyst or admin role; you are signed in as viewer.")
    ).to_be_visible()
    assert_no_exception(auth_page)
    screenshot(auth_page, screenshot_dir, "auth_03_viewer_goals_page")


def test_an_analyst_loads_a_tickets_csv_through_the_wizard(
        auth_page, auth_url, provider, auth_db, screenshot_dir):
    sign_in(auth_page, auth_url, provider, ANALYST)
    expect(auth_page.get_by_test_id("stSidebar")).to_contain_text("role analyst")
    auth_page.goto(f"{auth_url}/data")
    wait_for_app(auth_page, "Data")
    before = table_counts(auth_page)["tickets"]
    table = auth_page.get_by_role("combobox", name="Table", exact=True)
    choose(auth_page, table, "tickets — Support conversations.")
    expect(table).to_have_value("tickets — Support conversations.")
    wait_idle(auth_page)
    upload(auth_page, {"name": "auth_tickets.csv", "mimeType": "text/csv",
                       "buffer": GOOD_TICKETS.format(acc=auth_db[1]).encode()})
    expect(auth_page.get_by_text("1. Column mapping")).to_be_visible(timeout=60_000)
    wait_idle(auth_page)
    auth_page.get_by_role("button", name="Load", exact=True).click()
    expect(auth_page.get_by_text("Result of the last load")).to_be_visible(timeout=60_000)
    wait_idle(auth_page)
    expect(auth_page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
    assert counts_when(auth_page, lambda c: c["tickets"] == before + 2)["tickets"] == before + 2
    assert_no_exception(auth_page)
    screenshot(auth_page, screenshot_dir, "auth_04_analyst_loaded_tickets")
    # The load is the signed-in person's, in the loads log and the audit trail — not the
    # server's OS user "(local)".
    load_id, loaded_by, file_name = db_rows(
        auth_db[0], "SELECT load_id, loaded_by, file_name FROM loads ORDER BY load_id DESC "
        "LIMIT 1")[0]
    assert (loaded_by, file_name) == (ANALYST[0], "auth_tickets.csv")
    who, action, subject, detail = db_rows(
        auth_db[0], "SELECT who, action, subject, detail FROM audit ORDER BY event_id DESC "
        "LIMIT 1")[0]
    assert (who, action, subject) == (ANALYST[0], "load", "tickets")
    assert detail.startswith(f"load {load_id}: ")


def test_a_csm_opens_the_accounts_page_on_their_own_book(
        auth_page, auth_url, provider, screenshot_dir):
    sign_in(auth_page, auth_url, provider, CSM)
    expect(auth_page.get_by_test_id("stSidebar")).to_contain_text("role csm")
    auth_page.goto(f"{auth_url}/accounts")
    wait_for_app(auth_page, "Accounts")
    # This server restricts a csm to their book (csm_own_book_only), so "My accounts" is not a
    # choice but says whose book it is; an unrestricted csm's default (the sidebar's owner
    # filter set to their book) is tested in tests/app/test_auth_roles.py.
    expect(auth_page.get_by_text("My accounts: your book only (Ava Thompson)")).to_be_visible()
    from tests.e2e.test_dashboard_in_chromium import grid

    headers, rows = grid(auth_page.locator('[data-testid="stDataFrame"]').first)
    owners = {r[headers.index("CSM")] for r in rows if len(r) > headers.index("CSM")}
    assert owners == {"Ava Thompson"}, owners
    # A csm reads only: the Data page refuses the upload.
    auth_page.goto(f"{auth_url}/data")
    wait_for_app(auth_page, "Data")
    expect(auth_page.get_by_text(
        "Loading data needs the analyst or admin role; you are signed in as csm.")
    ).to_be_visible()
    screenshot(auth_page, screenshot_dir, "auth_05_csm_data_page")



def test_a_csm_restricted_to_their_book_sees_only_their_accounts_and_exports(
        auth_page, auth_url, provider, auth_db, screenshot_dir, tmp_path):
    from tests.e2e import st_wire
    from tests.e2e.test_dashboard_in_chromium import card_value, grid

    mine, others, active = _books(auth_db[0], "Ava Thompson")
    wire = st_wire.tap(auth_page)
    sign_in(auth_page, auth_url, provider, CSM)
    expect(auth_page.get_by_test_id("stSidebar")).to_contain_text("your book only")
    # Overview: the active accounts are the book's.
    assert card_value(auth_page, "Customers").inner_text().strip() == f"{active:,}"
    # Accounts: every listed account is theirs, even when the URL asks for another owner.
    auth_page.goto(f"{auth_url}/accounts?csm=Emma+Schmidt&owner=Emma+Schmidt")
    wait_for_app(auth_page, "Accounts")
    headers, rows = grid(auth_page.locator('[data-testid="stDataFrame"]').first)
    names = {r[headers.index("name")] for r in rows if len(r) > headers.index("name")}
    assert names and names <= mine, sorted(names - mine)[:5]
    screenshot(auth_page, screenshot_dir, "auth_06_csm_own_book_accounts")
    # The weekly pack they build names none of the other books' accounts.
    auth_page.goto(f"{auth_url}/weekly")
    wait_for_app(auth_page, "Weekly review")
    auth_page.get_by_role("button", name="Build the pack").click()
    download = auth_page.get_by_role("button", name="Download HTML")
    expect(download).to_be_visible(timeout=60_000)
    with auth_page.expect_download() as info:
        download.click()
    pack = tmp_path / "pack.html"
    info.value.save_as(pack)
    text = pack.read_text(encoding="utf-8")
    assert "Weekly review" in text
    leaked = sorted(n for n in others if n and f">{n}<" in text)
    assert leaked == [], leaked[:5]
    assert_no_exception(auth_page)
    # Every page, and every CSV and XLSX export it offers: nothing the server sends this
    # browser names an account of another book (checked on the WebSocket's bytes: tables,
    # charts, texts and widget options, hidden tabs included).
    every_page_and_export(auth_page, wire, auth_url, auth_db[0], "Ava Thompson")


def test_a_forged_upload_as_a_viewer_reaches_no_write(
        browser, auth_url, provider, auth_db, dialogs, screenshot_dir):
    """A viewer's browser sends what an uploader would have sent: the file PUT to Streamlit's
    upload endpoint on the page's own session (cookies, XSRF token), then a rerun naming it as
    the Data page uploader's value (the widget id as the server gives it to an analyst).

    What the forgery can reach, honestly: Streamlit's endpoint takes any file for a live session
    (204): the bytes are only staged in that session's memory (MemoryUploadedFileManager); no
    file, table or log of ours is touched by it. The forged rerun runs the page's script with
    the widget state, but a viewer's run never calls the wizard, so nothing reads the staged
    file. The write functions refuse a viewer even when called directly (AppTest
    test_the_write_functions_refuse_a_reader_and_write_nothing); the browser cannot reach them.
    The control first shows the same forgery does reach the wizard for an analyst."""
    from tests.e2e import st_wire

    text = GOOD_TICKETS.format(acc=auth_db[1])
    with fresh_page(browser, auth_url, provider, dialogs) as page:
        wire = st_wire.tap(page)
        sign_in(page, auth_url, provider, ANALYST)
        page.goto(f"{auth_url}/data")
        wait_for_app(page, "Data")
        uploader = wire.element_id("file_uploader")
        assert uploader, "the Data page drew no uploader for an analyst"
        table = page.get_by_role("combobox", name="Table", exact=True)
        choose(page, table, "tickets — Support conversations.")
        wait_idle(page)
        runs = wire.finished_runs()
        status, file_id = st_wire.put_file(page, auth_url, wire.session_id(), "forged.csv",
                                           text)
        assert status == 204
        wire.rerun_with_file(uploader, file_id, "forged.csv", len(text.encode()))
        st_wire.wait_for_runs(page, wire, runs + 1)
        # the forged messages are what the uploader sends: the wizard reads the file
        expect(page.get_by_text("1. Column mapping")).to_be_visible(timeout=60_000)

    with fresh_page(browser, auth_url, provider, dialogs) as page:
        wire = st_wire.tap(page)
        sign_in(page, auth_url, provider, VIEWER)
        page.goto(f"{auth_url}/data")
        wait_for_app(page, "Data")
        assert wire.element_id("file_uploader") is None
        before = table_checksums(auth_db[0])
        uploads = auth_db[0].parent / "uploads"
        files_before = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
        session = wire.session_id()
        # without the page's XSRF token (a cross-site form): refused at the door
        status, _ = st_wire.put_file(page, auth_url, session, "forged.csv", text, xsrf=False)
        assert status == 403
        status, file_id = st_wire.put_file(page, auth_url, session, "forged.csv", text)
        assert status == 204  # staged in the session's memory, nothing more
        runs = wire.finished_runs()
        wire.rerun_with_file(uploader, file_id, "forged.csv", len(text.encode()))
        st_wire.wait_for_runs(page, wire, runs + 1)
        wait_idle(page)
        expect(page.get_by_text(
            "Loading data needs the analyst or admin role; you are signed in as viewer.")
        ).to_be_visible()
        expect(page.get_by_text("1. Column mapping")).to_have_count(0)
        expect(page.get_by_role("button", name="Load", exact=True)).to_have_count(0)
        assert_no_exception(page)
        screenshot(page, screenshot_dir, "auth_07_viewer_forged_upload")
        assert table_checksums(auth_db[0]) == before  # every table, loads and audit included
        assert (sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
                ) == files_before


def test_an_admin_gets_every_write_widget(auth_page, auth_url, provider, screenshot_dir):
    sign_in(auth_page, auth_url, provider, ADMIN)
    expect(auth_page.get_by_test_id("stSidebar")).to_contain_text("role admin")
    expect(auth_page.get_by_test_id("stSidebar")).not_to_contain_text("your book only")
    auth_page.goto(f"{auth_url}/health")
    wait_for_app(auth_page, "Health")
    auth_page.get_by_text(re.compile(r"^Health model v\d+: edit")).click()
    expect(auth_page.get_by_role("button", name="Save the model")).to_be_visible()
    expect(auth_page.get_by_text("needs the analyst or admin role")).to_have_count(0)
    assert_no_exception(auth_page)
    screenshot(auth_page, screenshot_dir, "auth_08_admin_health_editor")
    auth_page.goto(f"{auth_url}/goals")
    wait_for_app(auth_page, "Goals")
    for button in ("Save targets", "Save rules", "Check the rules now"):
        expect(auth_page.get_by_role("button", name=button)).to_be_visible()
    auth_page.goto(f"{auth_url}/data")
    wait_for_app(auth_page, "Data")
    expect(auth_page.get_by_role("combobox", name="Table", exact=True)).to_be_visible()
    expect(auth_page.get_by_test_id("stFileUploader")).to_have_count(1)
    expect(auth_page.get_by_text("needs the analyst or admin role")).to_have_count(0)
    assert_no_exception(auth_page)
