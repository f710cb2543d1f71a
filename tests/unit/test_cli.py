"""The `csm` command line, run as a real process: output contract and exit codes (DATA.md)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

LOAD_KEYS = {"table", "file", "sha256", "mode", "rows_in_file", "rows_loaded", "rows_rejected",
             "rows_skipped_duplicate", "orphans", "load_id", "outcome", "rejects"}


def csm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "csm.duckdb"
    r = csm("demo", "--size", "small", "--end", "2026-06-30", "--db", str(db))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["rows"]["accounts"] == 500
    return db


def test_load_prints_one_json_summary_on_stdout_and_exits_0(tmp_path):
    f = tmp_path / "accounts.csv"
    f.write_text("Customer ID,Company,signup_date,Tier Name\nA1,Acme Corp,2025-01-02,Gold\n"
                 "A2,Beta Labs,2025-02-03,Silver\n")
    r = csm("load", "accounts", str(f), "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # exactly one document: json.loads fails on trailing output
    assert LOAD_KEYS <= set(doc)
    assert (doc["rows_in_file"], doc["rows_loaded"], doc["outcome"]) == (2, 2, "loaded")
    assert doc["mode"] == "replace"
    assert "Loaded 2 of 2" in r.stderr


def test_a_rejected_load_exits_1_with_the_row_report_and_changes_nothing(demo_db, tmp_path):
    before = csm("metric", "support", "--db", str(demo_db), "--from", "2026-01-01").stdout
    f = tmp_path / "tickets.csv"
    f.write_text("ticket_id,account_id,created_at\nX1,A0001,2026-06-01\nX2,A0001,31/06/2026\n")
    r = csm("load", "tickets", str(f), "--db", str(demo_db))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["outcome"] == "rejected"
    assert doc["rejects"] == [{"line": 3, "column": "created_at", "value": "31/06/2026",
                               "reason": doc["rejects"][0]["reason"]}]
    assert "date" in doc["rejects"][0]["reason"]
    after = csm("metric", "support", "--db", str(demo_db), "--from", "2026-01-01").stdout
    assert after == before  # byte-identical: the load changed nothing


def test_allow_rejects_loads_the_valid_rows(tmp_path):
    db = tmp_path / "db" / "csm.duckdb"
    f = tmp_path / "tickets.csv"
    f.write_text("ticket_id,account_id,created_at\nX1,A1,2026-06-01\nX2,A1,nope\n")
    r = csm("load", "tickets", str(f), "--db", str(db), "--allow-rejects")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert (doc["rows_loaded"], doc["rows_rejected"], doc["orphans"]) == (1, 1, 1)


def test_map_accepts_sources_with_spaces_and_date_format_reads_us_dates(tmp_path):
    db = tmp_path / "db" / "csm.duckdb"
    f = tmp_path / "accounts.csv"
    f.write_text("Client Number,Customer Since\nA1,03/04/2025\n")
    r = csm("load", "accounts", str(f), "--db", str(db), "--map", "account_id=Client Number",
            "--map", "signup_date=Customer Since", "--date-format", "%m/%d/%Y")
    assert r.returncode == 0, r.stdout
    r = csm("metric", "logo_churn", "--db", str(db), "--grain", "all", "--as-of", "2025-03-31")
    assert json.loads(r.stdout)[0]["new_customers"] == 1  # signed up 4 March, not 3 April


def test_an_empty_file_exits_1(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    r = csm("load", "tickets", str(f), "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 1
    assert json.loads(r.stdout)["outcome"] == "refused"


@pytest.mark.parametrize("args", [
    ("load", "nosuchtable", "x.csv"),
    ("metric", "nosuchmetric"),
    ("metric", "nps", "--grain", "fortnight"),
    ("metric", "nps", "--nosuchoption"),
    ("frobnicate",),
])
def test_usage_errors_exit_2_with_nothing_on_stdout(args, tmp_path):
    r = csm(*args, "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""


def test_metric_prints_a_json_list_of_rows_with_iso_periods_and_nulls(demo_db):
    r = csm("metric", "nps", "--db", str(demo_db), "--from", "2026-04-01", "--to", "2026-08-01")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["period"] for x in rows] == ["2026-04-01", "2026-05-01", "2026-06-01",
                                          "2026-07-01"]
    assert rows[-1]["responses"] == 0 and rows[-1]["nps"] is None  # empty period: null, not 0
    assert rows[-1]["partial"] is True and rows[0]["partial"] is False
    assert "NaN" not in r.stdout


def test_metric_csv_has_the_same_rows_as_json(demo_db):
    j = json.loads(csm("metric", "csat", "--db", str(demo_db), "--from", "2026-01-01").stdout)
    c = list(csv.DictReader(io.StringIO(
        csm("metric", "csat", "--db", str(demo_db), "--from", "2026-01-01", "--format",
            "csv").stdout)))
    assert [r["period"] for r in c] == [r["period"] for r in j]
    assert [int(r["responses"]) for r in c] == [r["responses"] for r in j]


def test_metric_by_a_custom_attribute_accepts_its_name_in_any_case_or_snake_case(demo_db):
    a = json.loads(csm("metric", "logo_churn", "--db", str(demo_db), "--grain", "all",
                       "--by", "contract type").stdout)
    b = json.loads(csm("metric", "logo_churn", "--db", str(demo_db), "--grain", "all",
                       "--by", "contract_type").stdout)
    assert a == b
    assert {r["Contract Type"] for r in a} == {"Annual", "Monthly"}


def test_filter_narrows_a_metric_to_the_numbers_by_gives_for_that_group(demo_db):
    # a canonical dimension (segment) and a custom attribute (Contract Type) alike
    for by, dim in (("segment", "segment"), ("contract type", "Contract Type")):
        groups = json.loads(csm("metric", "logo_churn", "--db", str(demo_db), "--grain", "all",
                                "--by", by).stdout)
        assert len(groups) >= 2
        for g in groups:
            r = csm("metric", "logo_churn", "--db", str(demo_db), "--grain", "all",
                    "--filter", f"{by}={g[dim]}")
            assert r.returncode == 0, r.stderr
            (one,) = json.loads(r.stdout)
            assert one == {k: v for k, v in g.items() if k != dim}


@pytest.mark.parametrize("args", [
    ("metric", "logo_churn", "--filter", "segment"),
    ("report", "--out", "pack.html", "--filter", "segment"),
])
def test_a_filter_without_a_value_exits_2_naming_it(args, tmp_path):
    r = csm(*args, "--db", str(tmp_path / "db" / "csm.duckdb"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "--filter expects DIM=VALUE, got 'segment'" in r.stderr


def test_metrics_lists_name_label_unit_direction_definition():
    r = csm("metrics", "--format", "json")
    rows = json.loads(r.stdout)
    names = {x["name"] for x in rows}
    assert {"logo_churn", "mrr", "nps", "csat", "support"} <= names
    for x in rows:
        assert {"name", "label", "unit", "direction", "definition"} <= set(x)


def test_a_db_path_that_does_not_exist_gets_an_empty_database(tmp_path):
    db = tmp_path / "fresh" / "new.duckdb"
    r = csm("metric", "mrr", "--db", str(db))
    assert r.returncode == 0
    assert json.loads(r.stdout) == []
    assert db.exists()


def test_csm_load_targets_checks_each_target_by_its_columns_unit(demo_db, tmp_path):
    def targets():
        import duckdb

        con = duckdb.connect(str(demo_db), read_only=True)
        try:
            return con.execute("SELECT metric, target FROM targets ORDER BY ALL").fetchall()
        finally:
            con.close()

    before = targets()
    bad = tmp_path / "bad_targets.csv"
    bad.write_text("metric,segment,period_start,period_end,target,note\n"
                   "new_customers,,2026-06-01,2026-07-01,25,\n"
                   "logo_churn,,2026-06-01,2026-07-01,1.5,a rate above 100%\n")
    r = csm("load", "targets", str(bad), "--db", str(demo_db))
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["outcome"] == "rejected"
    assert [(x["line"], x["column"]) for x in doc["rejects"]] == [(3, "target")]
    assert "outside 0–1" in doc["rejects"][0]["reason"]
    assert targets() == before
    good = tmp_path / "targets.csv"
    good.write_text("metric,segment,period_start,period_end,target,note\n"
                    "new_customers,,2026-06-01,2026-07-01,25,a month\n"
                    "tickets,,2026-06-22,2026-06-29,200,a week\n")
    r = csm("load", "targets", str(good), "--db", str(demo_db))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows_loaded"] == 2
    assert targets() == [("new_customers", 25.0), ("tickets", 200.0)]
