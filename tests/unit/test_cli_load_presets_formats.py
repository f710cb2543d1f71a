"""`csm load` (a real process) of every preset's fixture and of .xlsx, .parquet and .jsonl files
gives what `load_file` gives for the same file: the same JSON summary (counts, outcome, row-level
rejects, preset and its notes) and the same stored rows. The presets' own numbers, worked out by
hand, are checked against load_file in test_presets.py; online_retail's CLI run is there too."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics.ingest import load_file
from metrics.schema import TABLES
from metrics.store import Store

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "presets"
GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"

# (fixture, table, preset, its options): every preset fixture but online_retail's.
PRESET_FILES = [
    ("zendesk_tickets.csv", "tickets", "zendesk_tickets", {}),
    ("stripe_subscriptions.csv", "subscriptions", "stripe_subscriptions", {}),
    ("hubspot_companies.csv", "accounts", "hubspot_companies", {}),
    ("salesforce_accounts_report.csv", "accounts", "salesforce_accounts", {}),
    ("salesforce_accounts_data.csv", "accounts", "salesforce_accounts", {}),
    ("intercom_conversations.csv", "tickets", "intercom_conversations", {}),
    ("qualtrics_nps.csv", "survey_responses", "qualtrics_nps", {"comment": "Q2"}),
    ("delighted_responses.jsonl", "survey_responses", "delighted_responses", {}),
    ("mixpanel_events.jsonl", "usage_events", "mixpanel_events", {}),
    ("segment_events.jsonl", "usage_events", "segment_events", {}),
    ("stripe_customers.csv", "accounts", "stripe_customers", {}),
    ("stripe_invoices.csv", "orders", "stripe_invoices", {}),
    ("hubspot_deals.csv", "orders", "hubspot_deals", {}),
    ("typeform_nps.csv", "survey_responses", "typeform_responses", {}),
    ("surveymonkey_csat.csv", "survey_responses", "surveymonkey_responses", {}),
    ("qualtrics_csat.csv", "survey_responses", "qualtrics_nps", {}),
    ("delighted_responses.csv", "survey_responses", "delighted_responses", {}),
    ("amplitude_events.jsonl", "usage_events", "amplitude_events", {}),
]
BROKEN = [(f.replace(".", "_broken.", 1), t, p, o) for f, t, p, o in PRESET_FILES
          if (FIX / f.replace(".", "_broken.", 1)).exists()]
# What differs between two loads of one file into two fresh databases: nothing but when.
VARYING = {"started_at", "finished_at", "seconds", "loaded_by"}


def csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300)


def stored(db: Path) -> dict[str, list[tuple]]:
    """Return every canonical table's rows and the custom attributes, sorted."""
    store = Store(db)
    try:
        cur = store.cursor()
        # Table names come from the schema, never from input.
        return {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in [*TABLES, "account_attributes"]}
    finally:
        store.close()


def cli_and_library(tmp_path: Path, table: str, path: Path, cli_args: list[str],
                    **kwargs) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """Load `path` with `csm load` into one fresh database and with load_file into another;
    return (the process, its JSON summary, load_file's summary), after checking that both
    databases hold the same rows."""
    cli_db, lib_db = tmp_path / "cli" / "csm.duckdb", tmp_path / "lib" / "csm.duckdb"
    r = csm("load", table, str(path), *cli_args, "--db", str(cli_db))
    assert r.stdout, r.stderr
    doc = json.loads(r.stdout)
    store = Store(lib_db)
    try:
        want = load_file(store, table, path, **kwargs).to_dict()
    finally:
        store.close()
    assert stored(cli_db) == stored(lib_db)
    return r, doc, want


def _same(doc: dict, want: dict) -> None:
    got = {k: v for k, v in doc.items() if k not in VARYING}
    want = json.loads(json.dumps({k: v for k, v in want.items() if k not in VARYING},
                                 default=str))
    assert got == want


def _option_args(options: dict[str, str]) -> list[str]:
    return [a for k, v in options.items() for a in ("--preset-option", f"{k}={v}")]


@pytest.mark.parametrize("name, table, preset, options", PRESET_FILES,
                         ids=[f for f, *_ in PRESET_FILES])
def test_csm_load_of_each_preset_fixture_matches_load_file(tmp_path, name, table, preset,
                                                           options):
    # The CLI recognises the file (auto); the library is told the preset by name.
    r, doc, want = cli_and_library(tmp_path, table, FIX / name,
                                   ["--preset", "auto", *_option_args(options)],
                                   preset=preset, preset_options=options)
    assert r.returncode == 0, r.stderr
    assert (doc["outcome"], doc["preset"]) == ("loaded", preset)
    assert doc["rows_loaded"] == doc["rows_in_file"] > 0 and doc["rows_rejected"] == 0
    _same(doc, want)
    assert f"Loaded {doc['rows_loaded']} of {doc['rows_in_file']}" in r.stderr
    for note in doc["preset_notes"]:
        assert f"preset {preset}: {note}" in r.stderr


@pytest.mark.parametrize("name, table, preset, options", BROKEN, ids=[f for f, *_ in BROKEN])
def test_csm_load_of_each_broken_fixture_exits_1_with_load_files_row_report(
        tmp_path, name, table, preset, options):
    r, doc, want = cli_and_library(tmp_path, table, FIX / name,
                                   ["--preset", preset, *_option_args(options)],
                                   preset=preset, preset_options=options)
    assert r.returncode == 1, r.stderr
    assert doc["outcome"] == "rejected" and doc["rows_loaded"] == 0
    assert doc["rejects"] and all(x["line"] and x["reason"] for x in doc["rejects"])
    _same(doc, want)
    assert all(rows == [] for rows in stored(tmp_path / "cli" / "csm.duckdb").values())


def test_every_preset_fixture_is_loaded_by_the_cli_somewhere():
    from metrics.ingest.presets import PRESETS

    # online_retail: tests/unit/test_cli.py; zendesk_satisfaction needs its tickets first:
    # test_csm_load_of_zendesk_ratings_after_their_tickets_matches_load_file below
    assert ({p for _f, _t, p, _o in PRESET_FILES} | {"online_retail", "zendesk_satisfaction"}
            == set(PRESETS))
    assert len(BROKEN) == len(PRESET_FILES) - 1  # the Salesforce report has no broken copy


def test_csm_load_of_zendesk_ratings_after_their_tickets_matches_load_file(tmp_path):
    # The ratings name no account: each takes the rated ticket's, from the tickets stored.
    cli_db, lib_db = tmp_path / "cli" / "csm.duckdb", tmp_path / "lib" / "csm.duckdb"
    tickets, ratings = FIX / "zendesk_tickets.csv", FIX / "zendesk_satisfaction.jsonl"
    for path, table in ((tickets, "tickets"), (ratings, "survey_responses")):
        r = csm("load", table, str(path), "--preset", "auto", "--db", str(cli_db))
        assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    store = Store(lib_db)
    try:
        load_file(store, "tickets", tickets, preset="zendesk_tickets")
        want = load_file(store, "survey_responses", ratings,
                         preset="zendesk_satisfaction").to_dict()
    finally:
        store.close()
    assert (doc["outcome"], doc["preset"]) == ("loaded", "zendesk_satisfaction")
    assert doc["rows_loaded"] > 0 and doc["rows_rejected"] == 0
    _same(doc, want)
    assert stored(cli_db) == stored(lib_db)


def _tickets() -> pd.DataFrame:
    return pd.read_csv(GOOD / "tickets.csv", dtype=str, keep_default_na=False)


def _xlsx(df: pd.DataFrame, path: Path) -> None:
    """Write `df` as the second sheet "Tickets" (after a notes sheet), times as Excel dates."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["exported for the import test"])
    ws = wb.create_sheet("Tickets")
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([datetime.fromisoformat(v) if c.endswith("_at") and v else (v or None)
                   for c, v in zip(df.columns, row, strict=True)])
    wb.save(path)


@pytest.mark.parametrize("kind", ["xlsx", "parquet", "jsonl"])
def test_csm_load_of_a_workbook_parquet_and_json_lines_file_matches_load_file_and_csv(
        tmp_path, kind):
    df = _tickets()
    path = tmp_path / f"tickets.{kind}"
    if kind == "xlsx":
        _xlsx(df, path)
    elif kind == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True)
    sheet = {"sheet": "Tickets"} if kind == "xlsx" else {}
    r, doc, want = cli_and_library(tmp_path, "tickets", path,
                                   ["--sheet", "Tickets"] if sheet else [], **sheet)
    assert r.returncode == 0, r.stderr
    assert doc["outcome"] == "loaded" and doc["rows_loaded"] == doc["rows_in_file"] == len(df)
    _same(doc, want)
    # The same rows as the CSV file they were written from.
    csv_db = tmp_path / "csv" / "csm.duckdb"
    assert csm("load", "tickets", str(GOOD / "tickets.csv"), "--db", str(csv_db)
               ).returncode == 0
    assert stored(csv_db)["tickets"] == stored(tmp_path / "cli" / "csm.duckdb")["tickets"]
    if kind == "xlsx":  # the first sheet holds no tickets: refused, and says which sheets exist
        r = csm("load", "tickets", str(path), "--sheet", "Nope", "--db", str(csv_db))
        assert r.returncode == 1 and "no sheet 'Nope'; its sheets: Notes, Tickets" in r.stderr
