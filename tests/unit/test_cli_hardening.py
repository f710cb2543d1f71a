"""Hardening of the command line, run as a real process (issue 17): counts that say what the
file holds, implausible dates refused at import, and bounded date options."""

from __future__ import annotations

import json
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
