"""Checks of the sign-in tests in the browser that read the database beside the running
server, or everything the server sent a page: rows by SQL, every table's checksum, and no
account of another book on any page or in any export (test_auth_in_chromium.py)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.st_runs import rerun
from tests.e2e.test_dashboard_in_chromium import assert_no_exception, wait_for_app

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser tests skip then (see conftest.py)
    Page = expect = None  # type: ignore[assignment,misc]


def db_rows(db: Path, sql: str) -> list[tuple]:
    """The rows of `sql` on `db`, read as the CLI reads beside the running server (a
    SharedStore: the file is opened only for this read, in turn with the server's writes)."""
    from metrics.shared import SharedStore

    shared = SharedStore(db, linger=0)
    try:
        with shared.read() as store:
            cur = store.cursor()
            try:
                return cur.execute(sql).fetchall()
            finally:
                cur.close()
    finally:
        shared.close()


def table_checksums(db: Path) -> dict[str, tuple]:
    """Every table of `db` (data, loads, audit, targets, rules, snapshots...): its row count
    and an order-free checksum of its rows, read beside the running server."""
    from metrics.shared import SharedStore

    shared = SharedStore(db, linger=0)
    try:
        with shared.read() as store:
            cur = store.cursor()
            try:
                names = [r[0] for r in cur.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
                return {t: cur.execute(f'SELECT count(*), sum(hash(x)::HUGEINT) FROM "{t}" x'
                                       ).fetchone() for t in names}
            finally:
                cur.close()
    finally:
        shared.close()


def book_ids(db: Path, owner: str) -> tuple[set[str], set[str]]:
    """(the ids and names of `owner`'s accounts, the ids and names of every other account but
    a name inside one of the book's: 'Ironcrest' of another book is in 'Ironcrest Dynamics')."""
    rows = db_rows(db, "SELECT account_id, name, csm_owner FROM accounts")
    mine = {v for a, n, o in rows if o == owner for v in (a, n) if v}
    names = {n for _a, n, o in rows if o == owner and n}
    others = {a for a, _n, o in rows if o != owner} | {
        n for _a, n, o in rows if o != owner and n and not any(n in m for m in names)}
    return mine, others - mine


def file_text(body: bytes) -> str:
    """The text of a downloaded file: an XLSX workbook's cells, anything else decoded."""
    if body[:2] == b"PK":
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body))
        return "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row
                         if c.value is not None)
    return body.decode("utf-8", "replace")


def every_page_and_export(page: Page, wire, base_url: str, db: Path, owner: str) -> None:
    """Open every page of the catalogue (the Weekly review's lists built as XLSX) and fetch
    every CSV and XLSX its download buttons serve; assert none names another book's account
    and that the book's own accounts were seen."""
    from dashboard.catalogue import PAGES

    mine, others = book_ids(db, owner)
    seen_mine: set[str] = set()
    exports: list[str] = []
    for p in PAGES:
        start = wire.connections  # the page load opens a WebSocket of its own
        page.goto(f"{base_url}/{p.url_path}")
        wait_for_app(page, p.title)
        if p.key == "weekly":
            with rerun(page):
                page.get_by_test_id("stButtonGroup").get_by_text("XLSX (the lists)").click()
            page.get_by_role("button", name="Build the pack").click()
            expect(page.get_by_role("button", name="Download XLSX")).to_be_visible(
                timeout=60_000)
        assert_no_exception(page)
        sent = wire.bytes_since(start).decode("utf-8", "replace")
        leaked = sorted(x for x in others if x in sent)
        assert leaked == [], (p.key, leaked[:5])
        seen_mine |= {x for x in mine if x in sent}
        for label, url in wire.downloads(start):
            response = page.request.get(f"{base_url}{url}")
            assert response.ok, (p.key, label, response.status)
            if response.body()[:4] == b"%PDF":
                continue  # a PDF's text is compressed; the HTML pack is checked above
            text = file_text(response.body())
            leaked = sorted(x for x in others if x in text)
            assert leaked == [], (p.key, label, leaked[:5])
            exports.append(f"{p.key}: {label}")
    assert seen_mine, "no page showed an account of the book: the check saw nothing"
    assert any("CSV" in e for e in exports) and "weekly: Download XLSX" in exports, exports
