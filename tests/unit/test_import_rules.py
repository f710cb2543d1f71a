"""The import rules of DATA.md, one test each: all-or-nothing loads, explicit rejects, append
de-duplication on natural keys, replace, encodings, UTC timestamps, yearly billing, custom
attributes, synonym mapping, month-by-month MRR files and the preview.

Every load goes through `load()` below; after each test, `rows_in_file = rows_loaded +
rows_rejected + rows_skipped_duplicate` is asserted for every load the test made, and each load
must have its row in `loads`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import metrics.ingest.record as pipeline  # where a load bumps the data version
from metrics.ingest import LoadResult, load_file, preview, propose_mapping
from metrics.schema import TABLES
from metrics.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "good"
DATA_TABLES = [*TABLES, "account_attributes", "data_version"]
SEED = [
    ("accounts", "accounts.csv"),
    ("subscriptions", "subscriptions.csv"),
    ("survey_responses", "survey_responses.csv"),
    ("tickets", "tickets.csv"),
    ("usage_events", "usage_events.csv"),
    ("orders", "orders.csv"),
    ("targets", "targets.csv"),
]

TICKETS_HEADER = (
    "ticket_id,account_id,created_at,first_response_at,resolved_at,contacts,reopened,channel,"
    "priority"
)
SURVEY_HEADER = (
    "response_id,account_id,respondent,survey_type,score,comment,responded_at,touchpoint"
)
SUBS_HEADER = "account_id,start_date,end_date,mrr,plan,billing_period"

_RESULTS: list[LoadResult] = []


@pytest.fixture(autouse=True)
def every_load_keeps_the_row_identity(request):
    """After each test: rows_in_file = loaded + rejected + skipped, for every load it made."""
    _RESULTS.clear()
    yield
    broken = [
        r.to_dict()
        for r in _RESULTS
        if r.rows_in_file != r.rows_loaded + r.rows_rejected + r.rows_skipped_duplicate
    ]
    _RESULTS.clear()
    assert not broken, f"rows_in_file != loaded + rejected + skipped for: {broken}"


# --------------------------------------------------------------------------- helpers


def snapshot(store: Store) -> dict[str, tuple[int, str]]:
    """Return {table: (row count, md5 over all rows in a canonical order)}."""
    cur = store.cursor()
    try:
        return {
            t: cur.execute(
                "SELECT count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), '|' "
                f"ORDER BY CAST(x AS VARCHAR)), '')) FROM {t} AS x"
            ).fetchone()
            for t in DATA_TABLES
        }
    finally:
        cur.close()


def q(store: Store, sql: str, params: list | None = None) -> list[tuple]:
    cur = store.cursor()
    try:
        return cur.execute(sql, params or []).fetchall()
    finally:
        cur.close()


def count(store: Store, table: str) -> int:
    return q(store, f"SELECT count(*) FROM {table}")[0][0]


def write(store: Store, name: str, content: str | bytes) -> Path:
    """Write a file into the store's upload folder (the only place loads may read)."""
    p = store.uploads / name
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8", newline="")
    else:
        p.write_bytes(content)
    return p


def load(store: Store, table: str, path: Path, **options) -> LoadResult:
    """Load a file (a fixture is copied into the upload folder first) and check it was logged."""
    if store.uploads.resolve() not in path.resolve().parents:
        dst = store.uploads / path.name
        shutil.copyfile(path, dst)
        path = dst
    res = load_file(store, table, path, **options)
    _RESULTS.append(res)
    assert res.load_id is not None, f"load not recorded: {res.to_dict()}"
    logged = q(
        store,
        "SELECT outcome, rows_in_file, rows_loaded FROM loads WHERE load_id = ?",
        [res.load_id],
    )
    assert logged == [(res.outcome, res.rows_in_file, res.rows_loaded)]
    return res


def csv_text(header: str, rows: list[str], newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.fixture
def accounts_store(store):
    res = load(store, "accounts", GOOD / "accounts.csv")
    assert res.outcome == "loaded", res.message
    return store


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.duckdb"
    s = Store(path)
    try:
        for table, name in SEED:
            dst = s.uploads / name
            shutil.copyfile(GOOD / name, dst)
            res = load_file(s, table, dst)
            assert res.outcome == "loaded", f"seeding {name}: {res.message}"
    finally:
        s.close()
    return path


@pytest.fixture
def seeded_store(seeded_template, tmp_path):
    """A store holding every good fixture."""
    shutil.copyfile(seeded_template, tmp_path / "t.duckdb")
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


# --------------------------------------------------------------------------- all or nothing

N_BIG = 100_000
BAD_ROW = 90_000  # the 90,000th data row: line 90,001 of the file (the header is line 1)


def _usage_file(path: Path, problem: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("account_id,user_id,occurred_at,feature,duration_seconds\n")
        base = dt.datetime(2024, 4, 1)
        for i in range(1, N_BIG + 1):
            acct = f"A{(i % 12) + 1:03d}"
            ts = (base + dt.timedelta(seconds=17 * i)).strftime("%Y-%m-%d %H:%M:%S")
            if i == BAD_ROW and problem == "unparseable date":
                ts = "2024-04-31 25:61:00"
            line = f"{acct},u-{i % 977},{ts},dashboard,{i % 600}"
            if i == BAD_ROW and problem == "ragged row":
                line += ",surplus"
            f.write(line + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["unparseable date", "ragged row"])
def test_a_load_that_fails_at_row_90000_of_100000_changes_nothing_and_is_recorded(
    problem, seeded_store
):
    store = seeded_store
    path = store.uploads / "usage_100k.csv"
    _usage_file(path, problem)
    before = snapshot(store)
    version = store.data_version()

    res = load(store, "usage_events", path)

    assert res.outcome == "rejected", res.message
    assert res.rows_in_file == N_BIG
    assert res.rows_rejected == N_BIG and res.rows_loaded == 0
    assert res.rows_with_problems == 1
    assert [r["line"] for r in res.rejects] == [BAD_ROW + 1]
    if problem == "unparseable date":
        assert res.rejects[0]["column"] == "occurred_at"
        assert "date" in res.rejects[0]["reason"].lower()
    else:
        assert "columns" in res.rejects[0]["reason"].lower()
    assert snapshot(store) == before, "a rejected load changed a table"
    assert store.data_version() == version
    assert q(store, "SELECT outcome FROM loads ORDER BY load_id DESC LIMIT 1") == [("rejected",)]


@pytest.mark.slow
def test_allow_rejects_on_the_100000_row_file_loads_the_other_99999_rows(seeded_store):
    store = seeded_store
    path = store.uploads / "usage_100k.csv"
    _usage_file(path, "unparseable date")
    before = count(store, "usage_events")

    res = load(store, "usage_events", path, allow_rejects=True)

    assert res.outcome == "loaded_with_rejects", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (N_BIG, N_BIG - 1, 1)
    assert count(store, "usage_events") == before + N_BIG - 1


class StopScript(BaseException):
    """Like Streamlit's StopException: not an Exception subclass."""


def test_a_load_interrupted_inside_its_transaction_by_a_base_exception_changes_nothing(
    seeded_store, monkeypatch
):
    store = seeded_store
    assert hasattr(pipeline, "bump_data_version"), "the pipeline bumps the data version"

    def interrupt(cur):
        raise StopScript()

    monkeypatch.setattr(pipeline, "bump_data_version", interrupt)
    path = write(
        store,
        "t.csv",
        csv_text(
            TICKETS_HEADER,
            [
                "T3001,A001,2024-04-01 09:00:00,,,1,false,email,P3",
                "T3002,A002,2024-04-02 09:00:00,,,1,false,email,P3",
            ],
        ),
    )
    before = snapshot(store)
    with pytest.raises(StopScript):
        load_file(store, "tickets", path)
    assert snapshot(store) == before
    monkeypatch.undo()
    res = load(store, "tickets", path)  # the store is still usable, and the rows were not kept
    assert res.outcome == "loaded" and res.rows_loaded == 2


# --------------------------------------------------------------------------- rejects


def test_allow_rejects_loads_the_valid_rows_and_counts_the_rest(accounts_store):
    store = accounts_store
    path = write(
        store,
        "tickets.csv",
        csv_text(
            TICKETS_HEADER,
            [
                "T3001,A001,2024-04-01 09:00:00,,,1,false,email,P3",
                "T3002,A002,not a date,,,1,false,email,P3",
                "T3003,A003,2024-04-03 09:00:00,,,1,false,email,P3",
                "T3004,A004,2024-04-04 09:00:00,,,1,sometimes,email,P3",
                "T3005,A005,2024-04-05 09:00:00,,,1,true,email,P3",
            ],
        ),
    )
    strict = load(store, "tickets", path)
    assert strict.outcome == "rejected"
    assert count(store, "tickets") == 0

    res = load(store, "tickets", path, allow_rejects=True)

    assert res.outcome == "loaded_with_rejects", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_rejected) == (5, 3, 2)
    assert sorted({r["line"] for r in res.rejects}) == [3, 5]
    assert q(store, "SELECT ticket_id FROM tickets ORDER BY 1") == [
        ("T3001",),
        ("T3003",),
        ("T3005",),
    ]


# --------------------------------------------------------------------------- append and keys


def test_appending_an_overlapping_tickets_file_skips_the_tickets_already_stored(accounts_store):
    store = accounts_store
    assert load(store, "tickets", GOOD / "tickets.csv").rows_loaded == 15
    path = write(
        store,
        "more_tickets.csv",
        csv_text(
            TICKETS_HEADER,
            [
                "T1013,A012,2024-02-20 15:15:00,,,9,true,phone,P1",  # already stored (as chat, P3)
                "T1014,A002,2024-03-01 10:00:00,,,9,true,phone,P1",
                "T1015,A006,2024-03-04 09:00:00,,,9,true,phone,P1",
                "T3001,A001,2024-04-01 09:00:00,,,1,false,email,P3",
                "T3002,A002,2024-04-02 09:00:00,,,1,false,email,P3",
            ],
        ),
    )

    res = load(store, "tickets", path)

    assert res.outcome == "loaded", res.message
    assert (res.rows_in_file, res.rows_loaded, res.rows_skipped_duplicate) == (5, 2, 3)
    assert count(store, "tickets") == 17
    # the stored ticket is kept as it was, not overwritten
    assert q(store, "SELECT channel, priority FROM tickets WHERE ticket_id = 'T1013'") == [
        ("chat", "P3")
    ]


def test_appending_overlapping_survey_responses_skips_the_response_ids_already_stored(
    accounts_store,
):
    store = accounts_store
    assert load(store, "survey_responses", GOOD / "survey_responses.csv").rows_loaded == 20
    path = write(
        store,
        "more.csv",
        csv_text(
            SURVEY_HEADER,
            [
                "R001,A001,ana@northwind.example,nps,0,changed,2024-01-15 10:30:00,relationship",
                "R020,A007,ha@litware.example,ces,1,changed,2024-03-09 10:00:00,support",
                "R301,A001,ana@northwind.example,nps,8,,2024-04-15 10:30:00,relationship",
            ],
        ),
    )

    res = load(store, "survey_responses", path)

    assert (res.outcome, res.rows_loaded, res.rows_skipped_duplicate) == ("loaded", 1, 2)
    assert count(store, "survey_responses") == 21
    assert q(store, "SELECT score FROM survey_responses WHERE response_id = 'R001'") == [(9,)]


def test_rows_without_ids_are_never_duplicates_so_two_identical_orders_both_load(accounts_store):
    store = accounts_store
    body = ["A003,2024-04-01 10:00:00,49.00", "A003,2024-04-01 10:00:00,49.00"]
    first = write(store, "orders_a.csv", csv_text("account_id,ordered_at,amount", body))

    res = load(store, "orders", first)

    assert (res.outcome, res.rows_loaded, res.rows_skipped_duplicate) == ("loaded", 2, 0)
    ids = q(store, "SELECT order_id FROM orders ORDER BY 1")
    assert len(ids) == 2 and len({i for (i,) in ids}) == 2 and None not in {i for (i,) in ids}

    # The same rows in another file (other bytes) are new orders too.
    second = write(store, "orders_b.csv", csv_text("account_id,ordered_at,amount", body, "\r\n"))
    res2 = load(store, "orders", second)
    assert (res2.outcome, res2.rows_loaded, res2.rows_skipped_duplicate) == ("loaded", 2, 0)
    assert count(store, "orders") == 4
    assert q(store, "SELECT count(DISTINCT order_id) FROM orders") == [(4,)]


def test_survey_responses_without_ids_get_generated_ids_and_are_never_duplicates(
    accounts_store,
):
    store = accounts_store
    header = "account_id,survey_type,score,responded_at"
    row = "A001,nps,9,2024-04-01 10:00:00"
    res = load(store, "survey_responses", write(store, "s.csv", csv_text(header, [row, row])))
    assert (res.outcome, res.rows_loaded) == ("loaded", 2), res.message
    assert q(store, "SELECT count(DISTINCT response_id), count(*) FROM survey_responses") == [
        (2, 2)
    ]
    assert q(store, "SELECT DISTINCT scale FROM survey_responses") == [(11,)]


def test_appending_the_same_file_twice_is_refused_unless_same_file_or_replace_is_asked(
    accounts_store,
):
    store = accounts_store
    content = csv_text(
        "account_id,ordered_at,amount",
        ["A003,2024-04-01 10:00:00,49.00", "A007,2024-04-02 10:00:00,15.00"],
    )
    assert load(store, "orders", write(store, "o.csv", content)).rows_loaded == 2
    before = snapshot(store)

    again = load(store, "orders", write(store, "o_renamed.csv", content))  # same sha256

    assert again.outcome == "refused"
    assert "already loaded" in again.message.lower()
    assert snapshot(store) == before
    allowed = load(store, "orders", write(store, "o2.csv", content), allow_same_file=True)
    assert (allowed.outcome, allowed.rows_loaded) == ("loaded", 2)
    assert count(store, "orders") == 4
    replaced = load(store, "orders", write(store, "o3.csv", content), mode="replace")
    assert (replaced.outcome, replaced.rows_loaded) == ("loaded", 2)
    assert count(store, "orders") == 2


def test_the_same_file_may_be_loaded_into_a_different_table(accounts_store):
    store = accounts_store
    content = csv_text("account_id,user_id,occurred_at", ["A001,u1,2024-04-01 10:00:00"])
    assert load(store, "usage_events", write(store, "x.csv", content)).outcome == "loaded"
    content2 = csv_text("account_id,ordered_at,amount", ["A001,2024-04-01 10:00:00,1"])
    assert load(store, "orders", write(store, "y.csv", content2)).outcome == "loaded"
    assert load(store, "orders", write(store, "y2.csv", content2)).outcome == "refused"


def test_replace_mode_replaces_the_whole_table(seeded_store):
    store = seeded_store
    assert count(store, "subscriptions") == 15
    path = write(
        store,
        "subs.csv",
        csv_text(
            SUBS_HEADER,
            [
                "A001,2024-04-01,,7000.00,Enterprise,month",
                "A002,2024-04-01,,1900.00,Growth,month",
            ],
        ),
    )
    other = {t: v for t, v in snapshot(store).items() if t not in ("subscriptions", "data_version")}

    res = load(store, "subscriptions", path, mode="replace")

    assert (res.outcome, res.mode, res.rows_loaded) == ("loaded", "replace", 2)
    assert q(store, "SELECT account_id, CAST(mrr AS VARCHAR) FROM subscriptions ORDER BY 1") == [
        ("A001", "7000.00"),
        ("A002", "1900.00"),
    ]
    assert {t: v for t, v in snapshot(store).items() if t in other} == other


def test_accounts_are_replaced_by_default_together_with_their_custom_attributes(accounts_store):
    store = accounts_store
    assert count(store, "account_attributes") == 24

    # Other ids than the stored ones: the replace removes those accounts, so it is confirmed.
    res = load(store, "accounts", GOOD / "accounts_intl.csv", confirm_replace=True)

    assert (res.outcome, res.mode, res.rows_loaded) == ("loaded", "replace", 5)
    assert [a for (a,) in q(store, "SELECT account_id FROM accounts ORDER BY 1")] == [
        "A101",
        "A102",
        "A103",
        "A104",
        "A105",
    ]
    assert q(store, "SELECT DISTINCT attribute FROM account_attributes") == [("Contact Name",)]


def test_appending_accounts_skips_account_ids_already_stored(accounts_store):
    store = accounts_store
    path = write(
        store,
        "acc.csv",
        csv_text(
            "account_id,name,signup_date",
            [
                "A001,Someone Else,2020-01-01",
                "A200,Brand New Co,2024-04-01",
            ],
        ),
    )
    res = load(store, "accounts", path, mode="append")
    assert (res.outcome, res.rows_loaded, res.rows_skipped_duplicate) == ("loaded", 1, 1)
    assert count(store, "accounts") == 13
    assert q(store, "SELECT name FROM accounts WHERE account_id = 'A001'") == [
        ("Northwind Traders",)
    ]


def test_targets_are_replaced_by_default(store):
    assert load(store, "targets", GOOD / "targets.csv").rows_loaded == 6
    path = write(
        store,
        "t.csv",
        csv_text(
            "metric,segment,period_start,period_end,target,note",
            ["nps,,2024-04-01,2024-07-01,45,Q2"],
        ),
    )
    res = load(store, "targets", path)
    assert (res.outcome, res.mode) == ("loaded", "replace")
    assert q(store, "SELECT metric, target FROM targets") == [("nps", 45.0)]


# --------------------------------------------------------------------------- encodings


def _accounts_and_attributes(tmp_path: Path, sub: str, fixture: str) -> tuple[list, list]:
    (tmp_path / sub).mkdir()
    s = Store(tmp_path / sub / "t.duckdb")
    try:
        res = load(s, "accounts", GOOD / fixture)
        assert res.outcome == "loaded", f"{fixture}: {res.message} {res.rejects[:3]}"
        return (
            q(s, "SELECT * FROM accounts ORDER BY account_id"),
            q(s, "SELECT * FROM account_attributes ORDER BY ALL"),
        )
    finally:
        s.close()


def test_utf16_and_latin1_files_store_byte_identical_strings_to_the_utf8_original(tmp_path):
    utf8 = _accounts_and_attributes(tmp_path, "utf8", "accounts_intl.csv")
    utf16 = _accounts_and_attributes(tmp_path, "utf16", "accounts_intl_utf16.csv")
    latin1 = _accounts_and_attributes(tmp_path, "latin1", "accounts_intl_latin1.csv")

    assert utf16 == utf8
    assert latin1 == utf8
    names = {r[1] for r in utf8[0]}
    assert "Café Müller GmbH".encode() in {n.encode("utf-8") for n in names}
    assert "Société Générale" in names
    assert ("A105", "Contact Name", "Ramón Ibáñez, Jr.") in utf8[1]
    # no BOM, replacement character or mojibake anywhere
    for row in utf8[0] + utf8[1]:
        for v in row:
            if isinstance(v, str):
                assert "\ufeff" not in v and "\ufffd" not in v and "Ã" not in v


def test_a_windows_1252_file_keeps_the_euro_sign_and_curly_quotes(store):
    text = csv_text(
        "account_id,name,signup_date",
        [
            "A301,Smith’s Café – “Le Bistro” €,2024-01-01",
            "A302,Œuvre Šarl,2024-01-02",
        ],
        "\r\n",
    )
    res = load(store, "accounts", write(store, "cp1252.csv", text.encode("cp1252")))
    assert res.outcome == "loaded", res.message
    assert q(store, "SELECT name FROM accounts ORDER BY account_id") == [
        ("Smith’s Café – “Le Bistro” €",),
        ("Œuvre Šarl",),
    ]


# --------------------------------------------------------------------------- values


def test_a_timestamp_with_an_offset_is_stored_in_utc(accounts_store):
    store = accounts_store
    path = write(
        store,
        "s.csv",
        csv_text(
            SURVEY_HEADER,
            [
                "R401,A001,a@x.example,nps,9,,2024-03-01T10:00:00+02:00,relationship",
                "R402,A001,a@x.example,nps,9,,2024-03-01T23:30:00-05:00,relationship",
                "R403,A001,a@x.example,nps,9,,2024-03-01T10:00:00Z,relationship",
                "R404,A001,a@x.example,nps,9,,2024-03-01 10:00:00,relationship",
                "R405,A001,a@x.example,nps,9,,2024-03-01,relationship",
            ],
        ),
    )
    res = load(store, "survey_responses", path)
    assert res.outcome == "loaded", res.message
    assert q(store, "SELECT response_id, responded_at FROM survey_responses ORDER BY 1") == [
        ("R401", dt.datetime(2024, 3, 1, 8, 0)),
        ("R402", dt.datetime(2024, 3, 2, 4, 30)),
        ("R403", dt.datetime(2024, 3, 1, 10, 0)),
        ("R404", dt.datetime(2024, 3, 1, 10, 0)),
        ("R405", dt.datetime(2024, 3, 1, 0, 0)),
    ]


def test_a_yearly_billing_amount_is_divided_by_12(accounts_store):
    store = accounts_store
    path = write(
        store,
        "subs.csv",
        csv_text(
            SUBS_HEADER,
            [
                "A001,2024-01-01,,12000.00,Enterprise,year",
                "A002,2024-01-01,,1000.00,Growth,year",
                "A003,2024-01-01,,150.00,Starter,month",
                "A004,2024-01-01,,99.00,Starter,",
            ],
        ),
    )
    res = load(store, "subscriptions", path)
    assert res.outcome == "loaded", res.message
    assert q(store, "SELECT account_id, mrr FROM subscriptions ORDER BY 1") == [
        ("A001", Decimal("1000.00")),
        ("A002", Decimal("83.33")),
        ("A003", Decimal("150.00")),
        ("A004", Decimal("99.00")),
    ]


def test_custom_attributes_of_accounts_are_kept_with_their_header_as_written_and_trimmed(store):
    text = (GOOD / "accounts.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    padded = header.replace("seats", "  seats ").replace("Contract Type", " Contract Type  ")
    res = load(store, "accounts", write(store, "acc.csv", padded + "\n" + rest))

    assert res.outcome == "loaded", res.message
    assert q(store, "SELECT DISTINCT attribute FROM account_attributes ORDER BY 1") == [
        ("Contract Type",),
        ("seats",),
    ]
    assert count(store, "account_attributes") == 24
    assert q(
        store,
        "SELECT attribute, value FROM account_attributes WHERE account_id = 'A006' ORDER BY 1",
    ) == [("Contract Type", "Multi-year"), ("seats", "400")]


def test_a_month_by_month_mrr_file_becomes_one_month_periods(accounts_store):
    store = accounts_store
    res = load(store, "subscriptions", GOOD / "subscriptions_monthly_mrr.csv")

    assert (res.outcome, res.rows_loaded) == ("loaded", 12), res.message
    assert q(
        store,
        "SELECT start_date, end_date, mrr FROM subscriptions "
        "WHERE account_id = 'A001' ORDER BY start_date",
    ) == [
        (dt.date(2024, 1, 1), dt.date(2024, 2, 1), Decimal("6500.00")),
        (dt.date(2024, 2, 1), dt.date(2024, 3, 1), Decimal("6500.00")),
        (dt.date(2024, 3, 1), dt.date(2024, 4, 1), Decimal("7000.00")),
    ]
    assert q(
        store,
        "SELECT count(*) FROM subscriptions WHERE day(start_date) <> 1 "
        "OR end_date <> start_date + INTERVAL 1 MONTH",
    ) == [(0,)]


# --------------------------------------------------------------------------- mapping


def test_propose_mapping_maps_synonyms_ignoring_case_and_spacing():
    m = propose_mapping("accounts", ["Customer ID", "Company", "SIGNUP  Date", "Contract Type"])
    assert m == {"account_id": "Customer ID", "name": "Company", "signup_date": "SIGNUP  Date"}

    m = propose_mapping("survey_responses", ["customer_id", "NPS Score", "Survey-Type"])
    assert (m["account_id"], m["score"], m["survey_type"]) == (
        "customer_id",
        "NPS Score",
        "Survey-Type",
    )
    assert propose_mapping("survey_responses", ["Rating"])["score"] == "Rating"
    assert propose_mapping("survey_responses", ["nps_score"])["score"] == "nps_score"

    m = propose_mapping("tickets", ["Ticket ID", "CUSTOMER_ID", "Created"])
    assert m == {"ticket_id": "Ticket ID", "account_id": "CUSTOMER_ID", "created_at": "Created"}
    assert propose_mapping("tickets", ["Opened"])["created_at"] == "Opened"

    assert propose_mapping("orders", ["Client", "Revenue"]) == {
        "account_id": "Client",
        "amount": "Revenue",
    }
    assert propose_mapping("subscriptions", ["client", "Amount"]) == {
        "account_id": "client",
        "mrr": "Amount",
    }


def test_an_exact_column_name_wins_over_a_synonym():
    m = propose_mapping("accounts", ["Customer ID", "Account_ID", "name", "Company"])
    assert m["account_id"] == "Account_ID"
    assert m["name"] == "name"


def test_a_user_mapping_loads_a_file_whose_headers_are_not_synonyms(accounts_store):
    store = accounts_store
    path = write(
        store,
        "u.csv",
        csv_text(
            "Kunde,Benutzer,Zeitpunkt",
            ["A001,u1,2024-04-01 10:00:00", "A002,u2,2024-04-02 10:00:00"],
        ),
    )
    refused = load(store, "usage_events", path)
    assert refused.outcome == "refused"
    assert "missing required column" in refused.message.lower()

    res = load(
        store,
        "usage_events",
        path,
        allow_same_file=True,
        mapping={"account_id": "Kunde", "user_id": "Benutzer", "occurred_at": "Zeitpunkt"},
    )

    assert (res.outcome, res.rows_loaded) == ("loaded", 2), res.message
    assert q(store, "SELECT account_id, user_id FROM usage_events ORDER BY 1") == [
        ("A001", "u1"),
        ("A002", "u2"),
    ]


def test_synonym_headers_load_without_a_mapping(accounts_store):
    store = accounts_store
    res = load(store, "tickets", GOOD / "tickets_synonyms.csv")
    assert (res.outcome, res.rows_loaded) == ("loaded", 15), res.message
    assert q(store, "SELECT created_at FROM tickets WHERE ticket_id = 'T1001'") == [
        (dt.datetime(2024, 1, 2, 9, 0),)
    ]


# --------------------------------------------------------------------------- preview


def _as_stored(table: str, row: tuple) -> tuple:
    """Return a row's values in comparable form by column type: a preview frame holds dates as
    datetimes and decimals as floats; the stored values are date and Decimal."""
    out = []
    for col, v in zip(TABLES[table].columns, row, strict=True):
        if v is None or (not isinstance(v, (str, bytes)) and pd.isna(v)):
            out.append(None)
        elif col.type == "DATE":
            out.append(pd.Timestamp(v).date())
        elif col.type == "TIMESTAMP":
            out.append(pd.Timestamp(v).to_pydatetime())
        elif col.type.startswith("DECIMAL"):
            out.append(Decimal(str(v)).quantize(Decimal("0.01")))
        elif hasattr(v, "item"):
            out.append(v.item())
        else:
            out.append(v)
    return tuple(out)


def test_preview_returns_the_first_rows_as_they_would_be_stored_and_writes_nothing(
    seeded_store,
):
    store = seeded_store
    cols = TABLES["subscriptions"].column_names
    path = write(
        store,
        "subs.csv",
        csv_text(
            SUBS_HEADER,
            [
                "A003,2024-04-01,,12000.00,Starter,year",
                "A007,2024-04-01,2025-04-01,500.00,Growth,month",
                "A011,2024-04-01,,1000.00,Starter,year",
            ],
        ),
    )
    before = snapshot(store)
    loads_before = count(store, "loads")

    out = preview(store, "subscriptions", path, rows=2)
    frame = out[0] if isinstance(out, tuple) else out

    assert snapshot(store) == before
    assert count(store, "loads") == loads_before
    assert len(frame) == 2
    shown = [_as_stored("subscriptions", r) for r in frame[cols].itertuples(index=False)]

    res = load(store, "subscriptions", path)
    assert res.outcome == "loaded", res.message
    stored = q(
        store,
        f"SELECT {', '.join(cols)} FROM subscriptions "
        "WHERE start_date = DATE '2024-04-01' ORDER BY account_id",
    )
    assert shown == [_as_stored("subscriptions", r) for r in stored[:2]]
    assert shown[0][cols.index("mrr")] == Decimal("1000.00")


def test_preview_of_accounts_shows_custom_attributes_under_their_headers(store):
    out = preview(
        store, "accounts", write(store, "a.csv", (GOOD / "accounts.csv").read_bytes()), rows=3
    )
    frame = out[0] if isinstance(out, tuple) else out
    assert len(frame) == 3
    assert {"seats", "Contract Type"} <= set(frame.columns)
    assert list(frame["account_id"]) == ["A001", "A002", "A003"]
    assert count(store, "accounts") == 0


# --------------------------------------------------------------------------- the summary


def test_the_load_summary_is_the_json_document_of_data_md(accounts_store):
    store = accounts_store
    res = load(store, "tickets", GOOD / "tickets.csv")
    d = res.to_dict()
    assert {
        "table",
        "file",
        "sha256",
        "mode",
        "rows_in_file",
        "rows_loaded",
        "rows_rejected",
        "rows_skipped_duplicate",
        "orphans",
        "load_id",
        "outcome",
        "rejects",
    } <= set(d)
    assert json.loads(json.dumps(d))["rows_loaded"] == 15
    assert d["sha256"] == hashlib.sha256((GOOD / "tickets.csv").read_bytes()).hexdigest()
    assert (d["table"], d["file"], d["mode"], d["outcome"]) == (
        "tickets",
        "tickets.csv",
        "append",
        "loaded",
    )


def test_a_bom_is_not_part_of_the_first_column_name(store):
    res = load(store, "accounts", GOOD / "accounts_utf8_bom.csv")
    assert (res.outcome, res.rows_loaded) == ("loaded", 12), res.message
    assert count(store, "account_attributes") == 24
    assert q(
        store,
        "SELECT count(*) FROM account_attributes WHERE attribute LIKE ?",
        [codecs.BOM_UTF8.decode("utf-8") + "%"],
    ) == [(0,)]
