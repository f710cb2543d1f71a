"""The folder inbox (`csm watch`, csm/watch.py): real files dropped in a real folder go through
the real import into a real DuckDB file and end in done/ or rejected/ with their report. The
stability rule is driven by taking snapshots, not by sleeping; the command runs as a process
for its exit codes and its stop on SIGTERM."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csm import watch
from metrics.schema import TABLES
from metrics.shared import SharedStore

FIX = Path(__file__).resolve().parents[1] / "fixtures"
ZENDESK = FIX / "presets" / "zendesk_tickets.csv"
ZENDESK_BROKEN = FIX / "presets" / "zendesk_tickets_broken.csv"
TICKETS = FIX / "good" / "tickets.csv"  # 15 tickets, canonical columns
ACCOUNTS = FIX / "good" / "accounts.csv"  # 12 accounts (default mode: replace)


@pytest.fixture
def inbox(tmp_path) -> Path:
    d = tmp_path / "inbox"
    d.mkdir()
    return d


@pytest.fixture
def shared(tmp_path):
    s = SharedStore(tmp_path / "db" / "csm.duckdb", linger=0)
    yield s
    s.close()


def drop(inbox: Path, src: Path, name: str | None = None) -> Path:
    return Path(shutil.copyfile(src, inbox / (name or src.name)))


def run_polls(shared, inbox: Path, log: list[str]) -> list[watch.Outcome]:
    """Two polls with nothing written between them, then the stable files loaded: what one
    `csm watch --once` does, without its pause."""
    first = watch.snapshot(inbox)
    return watch.process(shared, inbox, watch.stable(first, watch.snapshot(inbox)), log.append)


def rows(shared, sql: str):
    with shared.read() as store:
        return store.cursor().execute(sql).fetchall()


def checksums(shared) -> dict[str, tuple]:
    """Per canonical table (and custom attributes): its row count and an md5 of all its rows."""
    out = {}
    for t in [*TABLES, "account_attributes"]:
        out[t] = rows(shared, f"SELECT count(*), md5(coalesce(string_agg(x::VARCHAR, '|' "
                              f"ORDER BY x::VARCHAR), '')) FROM {t} x")[0]
    return out


def report(path: Path) -> dict:
    return json.loads(Path(str(path) + watch.REPORT_SUFFIX).read_text(encoding="utf-8"))


def test_a_zendesk_export_and_a_plain_tickets_csv_load_and_move_to_done(shared, inbox):
    drop(inbox, ZENDESK)
    drop(inbox, TICKETS, "tickets-2024.csv")
    log: list[str] = []
    outs = run_polls(shared, inbox, log)
    assert [(o.file, o.status, o.table, o.preset) for o in outs] == [
        ("tickets-2024.csv", "done", "tickets", None),
        ("zendesk_tickets.csv", "done", "tickets", "zendesk_tickets")]
    assert sorted(p.name for p in inbox.iterdir()) == ["done"]
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        "tickets-2024.csv", "tickets-2024.csv.report.json",
        "zendesk_tickets.csv", "zendesk_tickets.csv.report.json"]
    z = report(inbox / "done" / "zendesk_tickets.csv")
    assert (z["status"], z["table"], z["preset"]) == ("done", "tickets", "zendesk_tickets")
    assert (z["load"]["outcome"], z["load"]["rows_loaded"], z["rejects"]) == ("loaded", 5, [])
    assert z["reason"].startswith("Loaded 5 of 5 rows into tickets")
    plain = report(inbox / "done" / "tickets-2024.csv")
    assert (plain["load"]["rows_loaded"], plain["preset"]) == (15, None)
    # The files are byte for byte what was dropped, and the rows are in the database.
    assert (inbox / "done" / "zendesk_tickets.csv").read_bytes() == ZENDESK.read_bytes()
    assert rows(shared, "SELECT count(*), count(*) FILTER (WHERE ticket_id LIKE 'T1%') "
                        "FROM tickets") == [(20, 15)]
    assert len(log) == 2 and "zendesk_tickets.csv: done (tickets)" in log[1]


def test_a_broken_file_is_rejected_with_its_row_level_reason_and_nothing_changes(shared, inbox):
    drop(inbox, TICKETS, "tickets.csv")
    run_polls(shared, inbox, [])
    before = checksums(shared)
    assert before["tickets"][0] == 15
    drop(inbox, ZENDESK_BROKEN)
    [out] = run_polls(shared, inbox, [])
    assert (out.status, out.table, out.preset) == ("rejected", "tickets", "zendesk_tickets")
    moved = inbox / "rejected" / "zendesk_tickets_broken.csv"
    assert moved.read_bytes() == ZENDESK_BROKEN.read_bytes()
    r = report(moved)
    assert r["rejects"] == [{"line": 6, "column": "first_response_at", "value": "soon",
                             "reason": "First reply time in minutes 'soon' is not a number "
                                       "of minutes >= 0"}]
    assert r["reason"] == ("1 of 5 rows have problems, nothing was loaded: line 6, "
                           "first_response_at 'soon': First reply time in minutes 'soon' is "
                           "not a number of minutes >= 0")
    assert (r["load"]["outcome"], r["load"]["rows_loaded"]) == ("rejected", 0)
    assert checksums(shared) == before


def test_the_same_file_again_is_rejected_as_already_loaded_in_any_mode(shared, inbox):
    drop(inbox, TICKETS, "tickets-a.csv")
    drop(inbox, ACCOUNTS)
    assert [o.status for o in run_polls(shared, inbox, [])] == ["done", "done"]
    before = checksums(shared)
    # The same bytes under another name (tickets: append) and under the same name (accounts:
    # replace, which the import itself would load again).
    drop(inbox, TICKETS, "tickets-b.csv")
    drop(inbox, ACCOUNTS)
    outs = {o.file: o for o in run_polls(shared, inbox, [])}
    assert {o.status for o in outs.values()} == {"rejected"}
    assert outs["tickets-b.csv"].reason.startswith("already loaded: the same content")
    assert "as tickets-a.csv (load " in outs["tickets-b.csv"].reason
    assert "into accounts as accounts.csv" in outs["accounts.csv"].reason
    assert report(inbox / "rejected" / "accounts.csv")["load"] is None
    assert checksums(shared) == before
    # The first copy stays in done/, the second is beside it in rejected/.
    assert (inbox / "done" / "accounts.csv").exists()
    # Dropped a third time, a name already in rejected/ gets a number instead of overwriting.
    drop(inbox, ACCOUNTS)
    run_polls(shared, inbox, [])
    assert (inbox / "rejected" / "accounts.2.csv").exists()
    assert report(inbox / "rejected" / "accounts.2.csv")["file"] == "accounts.csv"


def test_a_file_still_growing_is_not_picked_up_until_stable(shared, inbox):
    lines = TICKETS.read_text().splitlines(keepends=True)
    f = inbox / "tickets.csv"
    f.write_text("".join(lines[:5]))
    (inbox / ".hidden.csv").write_text("x")
    (inbox / "tickets.csv.part").write_text("".join(lines))
    (inbox / "tickets.tmp").write_text("".join(lines))
    (inbox / "sub").mkdir()
    first = watch.snapshot(inbox)
    assert list(first) == ["tickets.csv"]
    assert watch.stable(None, first) == []  # one poll is never enough
    with open(f, "a") as out:
        out.write("".join(lines[5:10]))
        out.flush()
        os.fsync(out.fileno())
    second = watch.snapshot(inbox)
    assert watch.stable(first, second) == []
    assert watch.process(shared, inbox, watch.stable(first, second), [].append) == []
    assert f.exists() and not (inbox / "done").exists()
    # Touched without growing (a writer rewriting in place) also counts as a change.
    os.utime(f, ns=(second["tickets.csv"][1] + 10**9,) * 2)
    third = watch.snapshot(inbox)
    assert watch.stable(second, third) == []
    with open(f, "a") as out:
        out.write("".join(lines[10:]))
    fourth, fifth = watch.snapshot(inbox), watch.snapshot(inbox)
    assert watch.stable(fourth, fifth) == ["tickets.csv"]
    [out] = watch.process(shared, inbox, watch.stable(fourth, fifth), [].append)
    assert (out.status, out.load["rows_loaded"]) == ("done", 15)  # the whole file
    assert sorted(p.name for p in inbox.iterdir()) == [
        ".hidden.csv", "done", "sub", "tickets.csv.part", "tickets.tmp"]


def test_the_table_rule_and_an_ambiguous_file(shared, inbox):
    tables = list(TABLES)
    assert watch.table_from_name("tickets-2026-06.csv", tables) == "tickets"
    assert watch.table_from_name("Orders_Q1.xlsx", tables) == "orders"
    assert watch.table_from_name("usage_events.jsonl", tables) == "usage_events"
    assert watch.table_from_name("tickets2026.csv", tables) == "tickets"
    assert watch.table_from_name("ticketsX.csv", tables) is None
    assert watch.table_from_name("my_tickets.csv", tables) is None
    assert watch.choose_table("export.csv", "zendesk_tickets", "tickets", tables) == (
        "tickets", "")
    assert watch.choose_table("tickets.csv", "zendesk_tickets", "tickets", tables) == (
        "tickets", "")
    # A Zendesk export named as orders: the name and the header disagree.
    drop(inbox, ZENDESK, "orders-zendesk.csv")
    drop(inbox, TICKETS, "export.csv")
    before = checksums(shared)
    outs = {o.file: o for o in run_polls(shared, inbox, [])}
    assert outs["orders-zendesk.csv"].reason.startswith(
        "ambiguous: the name says orders but the header is a zendesk_tickets export, which "
        "loads tickets")
    assert outs["export.csv"].reason.startswith("cannot tell the table: no preset recognises")
    assert {o.status for o in outs.values()} == {"rejected"}
    assert report(inbox / "rejected" / "export.csv")["table"] is None
    assert checksums(shared) == before


def test_a_stop_asked_for_during_a_file_lets_it_finish_and_loads_no_other(shared, inbox):
    drop(inbox, TICKETS, "tickets-a.csv")
    drop(inbox, ZENDESK)
    log: list[str] = []
    # What SIGINT/SIGTERM do: the flag is read before each file, never inside a load.
    outs = watch.process(shared, inbox, ["tickets-a.csv", "zendesk_tickets.csv"], log.append,
                         stopping=lambda: len(log) >= 1)
    assert [(o.file, o.status) for o in outs] == [("tickets-a.csv", "done")]
    assert (inbox / "zendesk_tickets.csv").exists()
    assert rows(shared, "SELECT count(*) FROM tickets") == [(15,)]


def test_a_second_watcher_on_the_same_folder_does_nothing(tmp_path, inbox):
    drop(inbox, TICKETS, "tickets.csv")
    log: list[str] = []
    with open(inbox / watch.LOCK_NAME, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, doc = watch.watch(inbox, tmp_path / "csm.duckdb", True, 0.01, log.append)
    assert (code, doc["loaded"], doc["rejected"]) == (0, [], [])
    assert "another csm watch is working on" in log[0]
    assert (inbox / "tickets.csv").exists()


def csm(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300, **kw)


def test_csm_watch_once_exit_codes(tmp_path, inbox):
    db = str(tmp_path / "csm.duckdb")
    drop(inbox, TICKETS, "tickets.csv")
    r = csm("watch", str(inbox), "--once", "--interval", "0.2", "--db", db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"dir": str(inbox), "loaded": ["tickets.csv"],
                                    "rejected": [], "waiting": []}
    drop(inbox, ZENDESK)
    drop(inbox, ZENDESK_BROKEN)
    r = csm("watch", str(inbox), "--once", "--interval", "0.2", "--db", db)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["loaded"] == ["zendesk_tickets.csv"]
    assert [x["file"] for x in doc["rejected"]] == ["zendesk_tickets_broken.csv"]
    assert "zendesk_tickets_broken.csv: rejected (tickets)" in r.stderr
    r = csm("watch", str(inbox / "nope"), "--once", "--db", db)
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_csm_watch_polls_until_sigterm_and_exits_0(tmp_path, inbox):
    proc = subprocess.Popen([sys.executable, "-m", "csm.cli", "watch", str(inbox), "--interval",
                             "0.2", "--db", str(tmp_path / "csm.duckdb")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        drop(inbox, TICKETS, "tickets.csv")
        report_path = inbox / "done" / ("tickets.csv" + watch.REPORT_SUFFIX)
        deadline = time.monotonic() + 120  # the state awaited, a bound only for a hang
        while not report_path.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert report_path.exists(), proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert json.loads(out)["loaded"] == ["tickets.csv"]


def test_the_reference_and_the_readme_document_the_inbox():
    from csm import docs

    text = docs.generate()
    assert "### `csm watch`" in text and "| `--once` |" in text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "### Folder inbox" in readme and "csm watch /srv/inbox --once" in readme
