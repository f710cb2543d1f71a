"""Hardening of the command line, run as a real process (issue 17): counts that say what the
file holds, implausible dates refused at import, and bounded date options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAD = ("ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,"
        "channel,priority\n")


def csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300)


def _tickets(tmp_path: Path, *lines: str) -> Path:
    f = tmp_path / "tickets.csv"
    f.write_text(HEAD + "".join(line + "\n" for line in lines))
    return f


SEMI = "T2;A1;2026-06-02;;;1;false;email;P2"
ROWS = ("T1,A1,2026-06-01,,,1,false,email,P2", SEMI, "T3,A1,2026-06-03,,,1,false,email,P2")


def test_a_line_with_the_wrong_delimiter_counts_as_one_row_with_one_report_line(tmp_path):
    r = csm("load", "tickets", str(_tickets(tmp_path, *ROWS)), "--allow-rejects",
            "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["rows_in_file"], doc["rows_loaded"], doc["rows_rejected"]) == (3, 2, 1)
    assert doc["rows_with_problems"] == 1
    assert [(x["line"], x["value"]) for x in doc["rejects"]] == [(3, SEMI)]
    assert "too few columns: expected 9 columns" in doc["rejects"][0]["reason"]
    assert "Loaded 2 of 3 rows" in r.stderr


def test_the_rejected_file_reports_one_of_three_rows_not_one_per_missing_column(tmp_path):
    r = csm("load", "tickets", str(_tickets(tmp_path, *ROWS)),
            "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert (doc["rows_in_file"], doc["rows_loaded"], doc["rows_rejected"]) == (3, 0, 3)
    assert doc["message"].startswith("1 of 3 rows have problems")
    assert len(doc["rejects"]) == 1


def test_a_line_with_too_many_columns_counts_once(tmp_path):
    extra = "T4,A1,2026-06-04,,,1,false,email,P2,x,y,z"
    r = csm("load", "tickets", str(_tickets(tmp_path, ROWS[0], extra, ROWS[2])),
            "--allow-rejects", "--db", str(tmp_path / "db" / "csm.duckdb"))
    doc = json.loads(r.stdout)
    assert (doc["rows_in_file"], doc["rows_loaded"], doc["rows_rejected"]) == (3, 2, 1)
    assert [x["line"] for x in doc["rejects"]] == [3]


# Item 11 and item 3: dates no calendar reading can mean, or outside the plausible range.
RANGE = "outside the plausible range 1900-01-01 to 2100-12-31"
UNPARSEABLE = "unparseable or ambiguous date/time"
BAD_DATES = [
    ("20245-03-01", RANGE), ("294247-01-10", RANGE), ("0000-01-01", RANGE), ("1/2/3", RANGE),
    ("1-1-1", RANGE), ("1899-12-31", RANGE), ("2101-01-01", RANGE),
    ("2024-01-01 BC", UNPARSEABLE), ("24-01", UNPARSEABLE), ("infinity", UNPARSEABLE),
    ("-infinity", UNPARSEABLE), ("epoch", UNPARSEABLE), ("today", UNPARSEABLE),
    ("2024-03-01T10:00:00+25:00", "time zone offset beyond -12:00 to +14:00"),
]
GOOD_DATES = [("1900-01-01", "1900-01-01 00:00:00"), ("2100-12-31 23:59:59",
              "2100-12-31 23:59:59"), ("2024-03-01T10:00:00+14:00", "2024-02-29 20:00:00")]


def _stored(db: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_implausible_dates_are_rejected_with_a_reason_and_good_ones_stored_as_written(tmp_path):
    db = tmp_path / "db" / "csm.duckdb"
    lines = [f"B{i},A1,{v}" for i, (v, _r) in enumerate(BAD_DATES)]
    lines += [f"G{i},A1,{v}" for i, (v, _s) in enumerate(GOOD_DATES)]
    f = tmp_path / "tickets.csv"
    f.write_text("ticket_id,account_id,created_at\n" + "\n".join(lines) + "\n")
    r = csm("load", "tickets", str(f), "--allow-rejects", "--db", str(db))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["rows_loaded"], doc["rows_rejected"]) == (len(GOOD_DATES), len(BAD_DATES))
    got = {x["value"]: x["reason"] for x in doc["rejects"]}
    assert set(got) == {v for v, _r in BAD_DATES}
    assert all(len([x for x in doc["rejects"] if x["value"] == v]) == 1 for v in got)
    for value, reason in BAD_DATES:
        assert reason in got[value], (value, got[value])
    stored = _stored(db, "SELECT ticket_id, CAST(created_at AS VARCHAR) FROM tickets "
                         "ORDER BY ticket_id")
    assert stored == [(f"G{i}", s) for i, (_v, s) in enumerate(GOOD_DATES)]


def test_a_five_digit_signup_year_is_rejected_and_csm_metric_still_runs(tmp_path):
    db = tmp_path / "db" / "csm.duckdb"
    f = tmp_path / "accounts.csv"
    f.write_text("account_id,name,signup_date\nA1,Acme,2024-01-05\nA2,Beta,20245-03-01\n"
                 "A3,Gamma,2024-02-01\n")
    r = csm("load", "accounts", str(f), "--db", str(db))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["rejects"] == [{"line": 3, "column": "signup_date", "value": "20245-03-01",
                               "reason": "date " + RANGE + " (settings CSM_DATE_MIN and "
                                                          "CSM_DATE_MAX)"}]
    r = csm("load", "accounts", str(f), "--allow-rejects", "--db", str(db))
    assert json.loads(r.stdout)["rows_loaded"] == 2
    m = csm("metric", "logo_churn", "--db", str(db), "--format", "json")
    assert m.returncode == 0, m.stderr
    assert "Traceback" not in m.stderr


def test_the_plausible_range_is_a_setting(tmp_path):
    f = tmp_path / "accounts.csv"
    f.write_text("account_id,name,signup_date\nA1,Acme,2024-01-05\nA2,Beta,2031-01-01\n")
    env = {**os.environ, "CSM_DATE_MIN": "2000-01-01", "CSM_DATE_MAX": "2030-12-31"}
    r = subprocess.run([sys.executable, "-m", "csm.cli", "load", "accounts", str(f), "--db",
                        str(tmp_path / "db" / "csm.duckdb")], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 1
    (rej,) = json.loads(r.stdout)["rejects"]
    assert rej["value"] == "2031-01-01"
    assert "outside the plausible range 2000-01-01 to 2030-12-31" in rej["reason"]


# Item 12: every date a `csm` option takes is bounded before it reaches a query.
def _accounts_db(tmp_path: Path) -> Path:
    db = tmp_path / "db" / "csm.duckdb"
    f = tmp_path / "accounts.csv"
    f.write_text("account_id,name,signup_date\nA1,Acme,2024-01-05\nA2,Beta,2024-03-01\n")
    assert csm("load", "accounts", str(f), "--db", str(db)).returncode == 0
    return db


OUT_OF_RANGE = [
    (("metric", "logo_churn", "--as-of", "9999-12-31"), "argument --as-of: 9999-12-31"),
    (("metric", "logo_churn", "--from", "0001-01-01"), "argument --from: 0001-01-01"),
    (("metric", "logo_churn", "--to", "9999-12-31"), "argument --to: 9999-12-31"),
    (("metric", "logo_churn", "--as-of", "1899-12-31"), "argument --as-of: 1899-12-31"),
    (("report", "--week", "9999-W52", "--out", "{tmp}/r.html"), "week 9999-W52: 9999-12-27"),
    (("demo", "--end", "9999-12-31"), "argument --end: 9999-12-31"),
]


def test_out_of_range_date_options_exit_2_with_the_range_and_no_traceback(tmp_path):
    db = _accounts_db(tmp_path)
    for args, said in OUT_OF_RANGE:
        r = csm(*(a.format(tmp=tmp_path) for a in args), "--db", str(db))
        assert r.returncode == 2, (args, r.stderr[-300:])
        assert said in r.stderr and "outside the plausible range of dates 1900-01-01 to " \
            "2100-12-31" in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and r.stdout == ""
    assert not (tmp_path / "r.html").exists()


def test_date_options_inside_the_range_still_run(tmp_path):
    db = _accounts_db(tmp_path)
    r = csm("metric", "logo_churn", "--from", "1900-01-01", "--as-of", "2024-06-30",
            "--grain", "year", "--db", str(db))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[-1]["period"] == "2024-01-01" and rows[-1]["customers_end"] == 2


def test_to_is_exclusive_so_the_day_after_the_last_plausible_date_is_accepted(tmp_path):
    # `--to` ends a half-open window: 2101-01-01 asks for everything up to 2100-12-31 (in the
    # range); the day after that is still refused.
    db = _accounts_db(tmp_path)
    r = csm("metric", "logo_churn", "--from", "2024-01-01", "--to", "2101-01-01",
            "--as-of", "2024-06-30", "--grain", "all", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["customers_end"] == 2
    r = csm("metric", "logo_churn", "--to", "2101-01-02", "--db", str(db))
    assert r.returncode == 2 and "argument --to: 2101-01-02" in r.stderr
