"""The command line while the dashboard runs, in a real browser: with `csm serve` up and a page
open, `csm metric` and `csm report` answer with what they print without the server, `csm load`
lands, `csm watch --once` loads a file dropped in its inbox, and the open page shows the new
rows on its next rerun, without a restart.

Its own demo database and server: the load changes the data the other browser tests read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.conftest import DEMO_END, REPO, new_page, serving
from tests.e2e.test_dashboard_in_chromium import screenshot, table_counts, wait_for_app

pytestmark = pytest.mark.e2e

NEW_TICKETS = (
    "ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,channel,"
    "priority\n"
    "CLI-1,{acc},2026-06-22 09:00,2026-06-22 10:00,2026-06-22 12:00,1,false,email,P2\n"
    "CLI-2,{acc},2026-06-23 09:00,2026-06-23 09:30,,2,false,chat,P1\n"
    "CLI-3,{acc},2026-06-24 09:00,2026-06-24 09:10,2026-06-24 10:00,1,false,chat,P3\n"
)


def csm(*args: str) -> subprocess.CompletedProcess:
    """Run the command line in its own process; returns the finished process (text)."""
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], cwd=REPO, text=True,
                          capture_output=True, timeout=600,
                          env=dict(os.environ, CSM_LOCK_WAIT="300"))


def metric_json(db, *args: str) -> list:
    done = csm("metric", *args, "--db", str(db))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory, chromium_executable):
    """A small demo database of its own (ending 2026-06-30) and an account id in it."""
    from metrics import demo
    from metrics.store import Store

    db = tmp_path_factory.mktemp("e2e_cli") / "data" / "csm.duckdb"
    store = Store(db)
    try:
        demo.generate(store, size="small", end=DEMO_END)
        acc = store.cursor().execute("SELECT min(account_id) FROM accounts").fetchone()[0]
    finally:
        store.close()
    return db, acc


SUPPORT = ("support", "--grain", "week", "--from", "2026-06-01", "--to", "2026-06-29")


def test_load_metric_and_report_work_while_the_dashboard_runs(browser, cli_db, tmp_path,
                                                              screenshot_dir):
    db, acc = cli_db
    before_alone = metric_json(db, *SUPPORT)
    mrr_alone = metric_json(db, "mrr", "--grain", "month")
    with serving(db, tmp_path / "server.log") as (url, _proc):
        dialogs: list[str] = []
        page = new_page(browser, url, dialogs)
        try:
            page.goto(f"{url}/data")
            wait_for_app(page, "Data")
            tickets_before = table_counts(page)["tickets"]

            # Reads beside the running server: the same JSON as without it.
            assert metric_json(db, *SUPPORT) == before_alone
            assert metric_json(db, "mrr", "--grain", "month") == mrr_alone
            pack = tmp_path / "pack.html"
            done = csm("report", "--week", "2026-W26", "--out", str(pack), "--db", str(db))
            assert done.returncode == 0, done.stderr
            assert pack.stat().st_size > 10_000

            # A load beside the running server lands whole.
            csv = tmp_path / "new_tickets.csv"
            csv.write_text(NEW_TICKETS.format(acc=acc))
            done = csm("load", "tickets", str(csv), "--db", str(db))
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["rows_loaded"] == 3

            # The open page shows the new rows on its next rerun (no restart).
            page.reload()
            wait_for_app(page, "Data")
            assert table_counts(page)["tickets"] == tickets_before + 3
            screenshot(page, screenshot_dir, "cli_beside_dashboard_data")
            after_served = metric_json(db, *SUPPORT)
            page.goto(f"{url}/support")
            wait_for_app(page, "Support")
        finally:
            page.context.close()
    assert dialogs == []
    # The load changed the week of 22 June, and the CLI prints the same with the server gone.
    w26 = next(r for r in after_served if str(r["period"]).startswith("2026-06-22"))
    w26_before = next(r for r in before_alone if str(r["period"]).startswith("2026-06-22"))
    assert w26["tickets"] == w26_before["tickets"] + 3
    assert metric_json(db, *SUPPORT) == after_served


def test_watch_once_loads_a_dropped_file_while_the_dashboard_runs(browser, cli_db, tmp_path,
                                                                  screenshot_dir):
    db, acc = cli_db
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with serving(db, tmp_path / "server.log") as (url, _proc):
        dialogs: list[str] = []
        page = new_page(browser, url, dialogs)
        try:
            page.goto(f"{url}/data")
            wait_for_app(page, "Data")
            tickets_before = table_counts(page)["tickets"]

            # A file dropped in the inbox is loaded by `csm watch --once` beside the server.
            (inbox / "tickets-from-inbox.csv").write_text(
                NEW_TICKETS.format(acc=acc).replace("CLI-", "INBOX-"))
            done = csm("watch", str(inbox), "--once", "--interval", "0.5", "--db", str(db))
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["loaded"] == ["tickets-from-inbox.csv"]
            rep = json.loads((inbox / "done" / "tickets-from-inbox.csv.report.json").read_text())
            assert (rep["status"], rep["load"]["rows_loaded"]) == ("done", 3)
            assert not (inbox / "tickets-from-inbox.csv").exists()

            # The open page shows the new rows on its next rerun (no restart).
            page.reload()
            wait_for_app(page, "Data")
            assert table_counts(page)["tickets"] == tickets_before + 3
            screenshot(page, screenshot_dir, "watch_beside_dashboard_data")
        finally:
            page.context.close()
    assert dialogs == []
