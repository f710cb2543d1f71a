"""The import corpus: every bad input of QUALITY.md gets its expected outcome and changes nothing.

`tests/fixtures/bad/manifest.json` lists each bad file with the table, the options, the expected
outcome, a reason substring and (optionally) the expected rejected lines/columns, counts and
stored values. Every load runs against a fresh copy of a store that already holds all the good
fixtures, so "nothing changed" is checked on real data: every table's row count and a content
checksum are compared before and after, and a refused or rejected load must still be recorded in
`loads`. The good fixtures, their synonym/delimiter/BOM variants and fuzzed variants (generated
here with fixed seeds) must store exactly the rows of their canonical original.

Binary and derived fixtures come from `tests/fixtures/make_fixtures.py`; a test checks that the
committed files are what the script produces.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import importlib.util
import io
import json
import random
import shutil
from pathlib import Path

import pytest

from metrics.ingest import LoadResult, load_file
from metrics.schema import TABLES
from metrics.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))
# The hostile corpus of issue 17 (generated with its manifest by make_fixtures.py from
# hostile_cases.py): encodings, line endings, sep= lines, compressed files, extreme dates,
# control characters, look-alike ids, locale numbers, huge fields, formula-looking text.
HOSTILE = FIXTURES / "hostile"
HOSTILE_MANIFEST = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
CASES = [(BAD, c) for c in MANIFEST] + [(HOSTILE, c) for c in HOSTILE_MANIFEST]

OUTCOMES = {"loaded", "loaded_with_rejects", "rejected", "refused"}
# Everything a load may change; `loads` itself is checked separately (it must grow by one row).
DATA_TABLES = [*TABLES, "account_attributes", "data_version"]

# The good fixtures loaded into every corpus store, in this order (accounts first).
SEED = [
    ("accounts", "accounts.csv"),
    ("subscriptions", "subscriptions.csv"),
    ("survey_responses", "survey_responses.csv"),
    ("tickets", "tickets.csv"),
    ("usage_events", "usage_events.csv"),
    ("orders", "orders.csv"),
    ("targets", "targets.csv"),
]
CANONICAL = {name: table for table, name in SEED}


# --------------------------------------------------------------------------- helpers


def table_of(fixture_name: str) -> str:
    """Return the table a fixture is for: the longest table name its file name starts with."""
    stem = Path(fixture_name).stem
    matches = [t for t in TABLES if stem == t or stem.startswith(t + "_")]
    assert matches, f"{fixture_name}: name does not start with a table name"
    return max(matches, key=len)


def snapshot(store: Store) -> dict[str, tuple[int, str]]:
    """Return {table: (row count, md5 of all rows in a canonical order)} of every data table."""
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


def rows(store: Store, table: str, where: str = "TRUE") -> list[tuple]:
    """Return every stored row of a table in a canonical order."""
    cur = store.cursor()
    try:
        return cur.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY ALL").fetchall()
    finally:
        cur.close()


def loads_rows(store: Store) -> list[tuple]:
    cur = store.cursor()
    try:
        return cur.execute(
            "SELECT load_id, table_name, outcome FROM loads ORDER BY load_id"
        ).fetchall()
    finally:
        cur.close()


def check_result(store: Store, res: LoadResult) -> None:
    """Invariants of every load: the row identity, a known outcome, and a matching `loads` row."""
    assert res.outcome in OUTCOMES, res.outcome
    assert res.rows_in_file == res.rows_loaded + res.rows_rejected + res.rows_skipped_duplicate, (
        f"rows_in_file identity broken: {res.to_dict()}"
    )
    assert min(res.rows_loaded, res.rows_rejected, res.rows_skipped_duplicate) >= 0
    if res.outcome in ("rejected", "refused"):
        assert res.message.strip(), "a refused or rejected load must say why"
    assert res.load_id is not None, f"the load was not recorded: {res.to_dict()}"
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT table_name, outcome, sha256, rows_in_file, rows_loaded, rows_rejected, "
            "rows_skipped_duplicate, orphans FROM loads WHERE load_id = ?",
            [res.load_id],
        ).fetchone()
    finally:
        cur.close()
    assert row == (
        res.table,
        res.outcome,
        res.sha256,
        res.rows_in_file,
        res.rows_loaded,
        res.rows_rejected,
        res.rows_skipped_duplicate,
        res.orphans,
    ), f"loads row {row} does not match the result {res.to_dict()}"


def load(
    store: Store,
    table: str,
    src: Path | bytes,
    name: str | None = None,
    check: bool = True,
    **options,
) -> LoadResult:
    """Copy a fixture (or write bytes) into the store's upload folder and load it."""
    if isinstance(src, bytes):
        dst = store.uploads / (name or "upload.csv")
        dst.write_bytes(src)
    else:
        dst = store.uploads / (name or src.name)
        shutil.copyfile(src, dst)
    res = load_file(store, table, dst, **options)
    if check:
        check_result(store, res)
    return res


def data_records(data: bytes) -> list[list[str]]:
    """Return the non-blank records of CSV bytes (header first), decoded like the import does."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    first = text.splitlines()[0]
    delim = max(",;\t|", key=first.count)
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if any(r)]


# --------------------------------------------------------------------------- stores


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A database holding every good fixture, built once and copied for each test."""
    path = tmp_path_factory.mktemp("seed") / "seed.duckdb"
    store = Store(path)
    try:
        for table, name in SEED:
            res = load(store, table, GOOD / name)
            assert res.outcome == "loaded", f"seeding {name}: {res.message} {res.rejects[:3]}"
    finally:
        store.close()
    return path


@pytest.fixture
def seeded_store(seeded_template, tmp_path):
    shutil.copyfile(seeded_template, tmp_path / "t.duckdb")
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def accounts_template(tmp_path_factory) -> Path:
    """A database holding only the good accounts, built once and copied for each test."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.duckdb"
    store = Store(path)
    try:
        assert load(store, "accounts", GOOD / "accounts.csv").outcome == "loaded"
    finally:
        store.close()
    return path


@pytest.fixture
def accounts_store(accounts_template, tmp_path):
    """An otherwise empty store holding the good accounts (a fresh copy each test)."""
    shutil.copyfile(accounts_template, tmp_path / "t.duckdb")
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


# --------------------------------------------------------------------------- the manifest


def _case_id(case: dict) -> str:
    return case.get("id") or Path(case["file"]).stem


def test_the_bad_corpus_has_at_least_30_files_and_each_one_is_in_the_manifest():
    on_disk = {p.name for p in BAD.iterdir() if p.name != "manifest.json"}
    listed = {c["file"] for c in MANIFEST}
    assert on_disk == listed
    assert len(on_disk) >= 30
    hostile = {p.name for p in HOSTILE.iterdir() if p.name != "manifest.json"}
    assert hostile == {c["file"] for c in HOSTILE_MANIFEST}
    assert len(CASES) >= 150, "issue 17: at least 150 hostile inputs"
    ids = [_case_id(c) for _f, c in CASES]
    assert len(ids) == len(set(ids)), "manifest ids must be unique"
    for _f, c in CASES:
        assert c["table"] in TABLES
        outcomes = c["outcome"] if isinstance(c["outcome"], list) else [c["outcome"]]
        assert set(outcomes) <= OUTCOMES


def test_every_fixture_file_is_smaller_than_200_kb():
    # cdnow/ is a published reference data set kept whole (tests/fixtures/cdnow/README.md)
    big = [
        (p.relative_to(FIXTURES), p.stat().st_size)
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.stat().st_size >= 200_000 and "cdnow" not in p.parts
    ]
    assert big == []


def _load_make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_committed_generated_fixtures_are_what_make_fixtures_produces():
    generated = _load_make_fixtures().generate()
    assert len(generated) >= 10
    for rel, data in generated.items():
        committed = (FIXTURES / rel).read_bytes()
        if data[:2] == b"\x1f\x8b":  # deflate output may differ across zlib builds
            assert committed[:2] == b"\x1f\x8b"
            assert gzip.decompress(committed) == gzip.decompress(data), rel
        else:
            assert committed == data, f"{rel} is stale: run tests/fixtures/make_fixtures.py"


@pytest.mark.parametrize("folder,case", CASES, ids=[_case_id(c) for _f, c in CASES])
def test_each_corpus_file_gets_its_expected_outcome_and_changes_nothing_it_should_not(
    folder, case, seeded_store
):
    store = seeded_store
    table = case["table"]
    options = dict(case.get("options") or {})
    before = snapshot(store)
    loads_before = loads_rows(store)

    # The invariants of every load (check_result) are asserted last, so that a file failing
    # only on them still shows that its outcome, report and "nothing changed" are right.
    res = load(store, table, folder / case["file"], check=False, **options)

    expected = case["outcome"] if isinstance(case["outcome"], list) else [case["outcome"]]
    detail = f"{res.outcome}: {res.message} rejects={res.rejects[:6]}"
    assert res.outcome in expected, detail

    reason = case.get("reason")
    if reason:
        texts = [res.message.lower()] + [str(r.get("reason", "")).lower() for r in res.rejects]
        assert any(reason in t for t in texts), f"no {reason!r} in the report: {detail}"

    if "rejects" in case:
        actual_lines = {r["line"] for r in res.rejects}
        want_lines = {r["line"] for r in case["rejects"]}
        may = set(case.get("also_may_reject_lines", []))
        assert want_lines <= actual_lines <= want_lines | may, detail
        # A rejected file counts every row as rejected (the identity holds); the report's rows
        # are the ones with problems.
        assert res.rows_with_problems == len(actual_lines), detail
        if res.outcome == "rejected":
            assert res.rows_rejected == res.rows_in_file, detail
        else:
            assert res.rows_rejected == len(actual_lines), detail
        for want in case["rejects"]:
            on_line = [r for r in res.rejects if r["line"] == want["line"]]
            if "column" in want:
                on_line = [
                    r
                    for r in on_line
                    if str(r.get("column") or "").strip().lower() == want["column"]
                ]
                assert on_line, (
                    f"no reject for line {want['line']} column {want['column']}: {detail}"
                )
            want_reason = want.get("reason") or reason
            if want_reason:
                assert any(want_reason in str(r["reason"]).lower() for r in on_line), (
                    f"line {want['line']}: no {want_reason!r} in {on_line}"
                )
        for r in res.rejects:
            assert set(r) >= {"line", "column", "value", "reason"}
    if res.outcome == "rejected":
        assert res.rows_rejected >= 1

    for key in ("rows_loaded", "rows_skipped_duplicate", "orphans"):
        if key in case:
            assert getattr(res, key) == case[key], f"{key}: {detail} {res.to_dict()}"
    if "orphan_account_ids" in case:
        assert sorted(res.orphan_account_ids) == case["orphan_account_ids"]

    after = snapshot(store)
    loads_after = loads_rows(store)
    assert len(loads_after) == len(loads_before) + 1, "exactly one loads row per load"
    assert loads_after[-1][1:] == (table, res.outcome)

    if res.outcome in ("rejected", "refused"):
        changed = {t for t in DATA_TABLES if after[t] != before[t]}
        assert changed == set(), f"a {res.outcome} load changed {changed}"
        check_result(store, res)
        return

    # A successful load changes its own table (and the attributes of accounts) and nothing else.
    own = {table, "data_version"} | ({"account_attributes"} if table == "accounts" else set())
    changed = {t for t in DATA_TABLES if after[t] != before[t]}
    assert changed <= own, f"loading {table} also changed {changed - own}"
    assert after["data_version"] != before["data_version"], "a successful load bumps the version"
    mode = options.get("mode") or TABLES[table].default_mode
    base = 0 if mode == "replace" else before[table][0]
    assert after[table][0] == base + res.rows_loaded
    cur = store.cursor()
    try:
        for chk in case.get("stored", []):
            where = " AND ".join(f"CAST({k} AS VARCHAR) = ?" for k in chk["key"])
            got = cur.execute(
                f"SELECT CAST({chk['column']} AS VARCHAR) FROM {table} WHERE {where}",
                list(chk["key"].values()),
            ).fetchall()
            assert got == [(chk["value"],)], f"{chk}: stored {got}"
    finally:
        cur.close()
    check_result(store, res)


# --------------------------------------------------------------------------- good fixtures

GOOD_FILES = sorted(p.name for p in GOOD.glob("*.csv"))


def test_there_is_a_good_fixture_for_every_canonical_table():
    assert {table_of(n) for n in GOOD_FILES} == set(TABLES)
    header = next(csv.reader(io.StringIO((GOOD / "accounts.csv").read_text())))
    custom = [h for h in header if h not in TABLES["accounts"].column_names]
    assert len(custom) >= 2, "accounts.csv carries custom attribute columns"


@pytest.mark.parametrize("name", GOOD_FILES)
def test_every_good_fixture_loads_every_row(name, accounts_store):
    table = table_of(name)
    data = (GOOD / name).read_bytes()
    n_records = len(data_records(data)) - 1
    assert 5 <= n_records <= 30
    # The accounts fixtures replace the stored accounts with other ids: confirmed on purpose.
    res = load(accounts_store, table, GOOD / name,
               **({"confirm_replace": True} if table == "accounts" else {}))
    assert res.outcome == "loaded", f"{res.message} {res.rejects[:5]}"
    assert res.rows_in_file == n_records
    assert res.rows_loaded == n_records
    assert res.rows_rejected == 0
    if table not in ("accounts", "targets"):
        assert res.orphans == 0, res.orphan_account_ids
    if table == "accounts":
        assert len(rows(accounts_store, "accounts")) == n_records  # replaced, not appended


# Variant fixture -> (canonical original, SQL filter of the original's rows it must equal).
VARIANTS = {
    "accounts_synonyms.csv": ("accounts.csv", "TRUE"),
    "accounts_semicolon.csv": ("accounts.csv", "TRUE"),
    "accounts_utf8_bom.csv": ("accounts.csv", "TRUE"),
    "subscriptions_synonyms.csv": ("subscriptions.csv", "TRUE"),
    "survey_responses_synonyms.csv": ("survey_responses.csv", "survey_type = 'nps'"),
    "tickets_synonyms.csv": ("tickets.csv", "TRUE"),
    "orders_synonyms.csv": ("orders.csv", "TRUE"),
    "orders_pipe.csv": ("orders.csv", "TRUE"),
    "usage_events_tab.csv": ("usage_events.csv", "TRUE"),
    "accounts_intl_utf16.csv": ("accounts_intl.csv", "TRUE"),
    "accounts_intl_latin1.csv": ("accounts_intl.csv", "TRUE"),
}


def _stored_after_loading(
    tmp: Path, table: str, src: Path | bytes, name: str | None = None, where: str = "TRUE"
) -> dict[str, list[tuple]]:
    store = Store(tmp / "v.duckdb")
    try:
        res = load(store, table, src, name)
        assert res.outcome == "loaded", f"{name or src}: {res.message} {res.rejects[:5]}"
        out = {table: rows(store, table, where)}
        if table == "accounts":
            out["account_attributes"] = rows(store, "account_attributes")
        return out
    finally:
        store.close()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_synonym_delimiter_or_encoding_variant_stores_the_same_rows_as_its_original(
    variant, tmp_path
):
    original, where = VARIANTS[variant]
    table = table_of(original)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    want = _stored_after_loading(tmp_path / "a", table, GOOD / original, where=where)
    got = _stored_after_loading(tmp_path / "b", table, GOOD / variant)
    assert want[table], "the original stores rows"
    assert got == want


# --------------------------------------------------------------------------- fuzzed variants

FUZZ_BASES = [name for _t, name in SEED] + ["subscriptions_monthly_mrr.csv", "accounts_intl.csv"]
FUZZ_KINDS = [
    "shuffled_columns",
    "header_case_and_spaces",
    "bom",
    "semicolon",
    "tab",
    "pipe",
    "crlf",
    "quote_all",
    "everything_at_once",
]


def _recase(h: str, rng: random.Random) -> str:
    style = rng.choice([str.upper, str.lower, str.title, str.swapcase])
    return style(h)


def fuzz(data: bytes, kind: str, table: str, rng: random.Random) -> bytes:
    """Return a variant of a UTF-8 CSV fixture that must store the same rows."""
    recs = data_records(data)
    header, body = recs[0], recs[1:]
    canonical = set(TABLES[table].column_names) | {"month"}
    every = kind == "everything_at_once"
    if kind == "shuffled_columns" or every:
        order = list(range(len(header)))
        while order == sorted(order):
            rng.shuffle(order)
        header = [header[i] for i in order]
        body = [[r[i] for i in order] for r in body]
    if kind == "header_case_and_spaces" or every:
        header = [
            " " * rng.randint(0, 2)
            # a custom attribute keeps its header as written (trimmed): only pad it
            + (_recase(h, rng) if h in canonical else h)
            + " " * rng.randint(0, 2)
            for h in header
        ]
    delimiter = {"semicolon": ";", "tab": "\t", "pipe": "|"}.get(kind, ",")
    if every:
        delimiter = rng.choice([",", ";", "\t", "|"])
    buf = io.StringIO()
    w = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator="\r\n" if kind in ("crlf",) or every else "\n",
        quoting=csv.QUOTE_ALL if kind == "quote_all" or every else csv.QUOTE_MINIMAL,
    )
    w.writerows([header, *body])
    out = buf.getvalue().encode("utf-8")
    if kind == "bom" or every:
        out = codecs.BOM_UTF8 + out
    return out


_ORIGINALS: dict[str, dict] = {}


@pytest.mark.parametrize("kind", FUZZ_KINDS)
@pytest.mark.parametrize("base", FUZZ_BASES)
def test_a_fuzzed_variant_of_a_good_fixture_stores_the_same_rows_as_the_original(
    base, kind, tmp_path
):
    table = table_of(base)
    rng = random.Random(f"{base}/{kind}/20240301")
    data = (GOOD / base).read_bytes()
    variant = fuzz(data, kind, table, rng)
    assert variant != data
    if base not in _ORIGINALS:
        (tmp_path / "orig").mkdir()
        _ORIGINALS[base] = _stored_after_loading(tmp_path / "orig", table, GOOD / base)
    assert _ORIGINALS[base][table], "the original stores rows"
    (tmp_path / "fuzz").mkdir()
    got = _stored_after_loading(tmp_path / "fuzz", table, variant, f"fuzz_{kind}_{base}")
    assert got == _ORIGINALS[base]
