"""Writing the demo set into the store in one transaction, and reading it back as CSVs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from metrics import rollup, schema
from metrics.demo.constants import SIZES, Progress
from metrics.demo.frames import (
    _accounts_frame,
    _attributes_frame,
    _orders_frame,
    _subscriptions_frame,
    _targets_frame,
)
from metrics.demo.rules import add_demo_rules
from metrics.demo.support import _simulate_tickets, _surveys_frame, _tickets_frame
from metrics.demo.usage import _usage_batches
from metrics.demo.work import add_demo_work
from metrics.demo.world import _simulate, _World
from metrics.ingest.record import LoadResult, finish_load, utc_now
from metrics.store import Store, transaction

# ----------------------------------------------------------------------------------------------
# Writing

# SQL for columns the frames carry as numbers; identifiers come from schema.TABLES only.
_ID_SQL = {
    "tickets": {"ticket_id": "printf('T%07d', ticket_no)"},
    "survey_responses": {"response_id": "printf('R%06d', response_no)"},
    "orders": {"order_id": "printf('O%06d', order_no)"},
}


def _insert(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert a frame into a canonical table in one statement, columns in schema order and cast
    to their canonical types; return the rows inserted."""
    cols = schema.TABLES[table].columns
    exprs = _ID_SQL.get(table, {})
    select = ", ".join(f"CAST({exprs.get(c.name, c.name)} AS {c.type})" for c in cols)
    names = ", ".join(c.name for c in cols)
    cur.register("demo_frame", frame)
    try:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM demo_frame")
    finally:
        cur.unregister("demo_frame")
    return len(frame)


def _insert_attributes(cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert the custom attribute rows; return how many."""
    cur.register("demo_frame", frame)
    try:
        cur.execute(
            "INSERT INTO account_attributes (account_id, attribute, value) "
            "SELECT CAST(account_id AS VARCHAR), CAST(attribute AS VARCHAR), "
            "CAST(value AS VARCHAR) FROM demo_frame"
        )
    finally:
        cur.unregister("demo_frame")
    return len(frame)


def generate(
    store: Store,
    size: str = "small",
    end: date | None = None,
    seed: int = 42,
    progress: Progress | None = None,
) -> dict[str, int]:
    """(Re)create the demo data set in the store's canonical tables; returns rows per table.

    Replaces accounts, subscriptions, survey_responses, tickets, usage_events, orders, targets
    and account_attributes in one transaction (all or nothing), bumps the data version, logs the
    load and checkpoints; adds the demo's alert rules when there are none (metrics/demo/rules.py)
    and its tasks, notes, plays and follow-ups when there is no such work (metrics/demo/work.py).
    `end` (default: yesterday) is the last day of data; `progress`, when
    given, is called as progress(fraction 0-1, message)."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    end = end or date.today() - timedelta(days=1)
    report = progress or (lambda fraction, message: None)
    started = utc_now()
    report(0.0, "simulating accounts")
    world = _simulate(SIZES[size], end, seed)

    counts = dict.fromkeys([*schema.TABLES, "account_attributes"], 0)
    cur = store.cursor()
    try:
        with transaction(cur):  # rolls back on any interruption, BaseException included
            for table in counts:
                cur.execute(f"DELETE FROM {table}")  # names from schema.TABLES only
            for table, frame, done in _table_frames(world):
                if table == "account_attributes":
                    counts[table] += _insert_attributes(cur, frame)
                else:
                    counts[table] += _insert(cur, table, frame)
                report(0.05 + 0.9 * done, f"writing {table} ({counts[table]:,} rows)")
            # The end every import has: rollups, data version and the load's row in `loads`
            # (every table was replaced, so the rollups are rebuilt whole).
            finish_load(cur, _demo_load(size, counts), started, "csm demo", rollup.refresh)
        report(0.96, "alert rules")
        add_demo_rules(cur)
        report(0.965, "tasks, notes, plays")
        add_demo_work(cur, end)
        report(0.97, "checkpoint")
        try:
            cur.execute("CHECKPOINT")
        except duckdb.TransactionException:
            # Another session holds a transaction open. The data is committed and durable in
            # the write-ahead log; the checkpoint happens at DuckDB's next automatic one.
            pass
    finally:
        cur.close()
    report(1.0, "done")
    return counts


def _table_frames(w: _World) -> Iterator[tuple[str, pd.DataFrame, float]]:
    """Yield (table, frame, share of the work done) for every table, one frame at a time so
    that only one is held in memory; usage events come in batches of accounts."""
    yield "accounts", _accounts_frame(w), 0.01
    yield "account_attributes", _attributes_frame(w), 0.01
    yield "subscriptions", _subscriptions_frame(w), 0.02
    tickets = _simulate_tickets(w)
    yield "tickets", _tickets_frame(w, tickets), 0.08
    yield "survey_responses", _surveys_frame(w, tickets), 0.12
    del tickets
    yield "orders", _orders_frame(w), 0.13
    yield "targets", _targets_frame(w), 0.13
    for done, frame in _usage_batches(w):
        yield "usage_events", frame, 0.13 + 0.87 * done


def _demo_load(size: str, counts: dict[str, int]) -> LoadResult:
    """Return the demo's load as the import reports one: every table, replaced, all loaded."""
    rows = sum(counts.values())
    return LoadResult(table="all", file=f"demo:{size}", mode="replace", rows_in_file=rows,
                      rows_loaded=rows, outcome="loaded", message=f"demo data set {size!r}")


# ----------------------------------------------------------------------------------------------
# CSV export (the "download demo data" button)

_CSV_CHUNK_VECTORS = 100  # DuckDB vectors (2,048 rows each) per chunk written


def _csv_chunks(cur: duckdb.DuckDBPyConnection, table: str) -> Iterator[str]:
    """Yield a table as CSV text, header first: canonical columns (accounts also carry their
    custom attribute columns), values as DuckDB prints them (ISO dates, 'true'/'false'), empty
    for null. Large tables are read in chunks."""
    cols = schema.TABLES[table].column_names
    select = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in cols)  # names from schema
    if table == "accounts":
        yield _accounts_csv(cur, select)
        return
    cur.execute(f"SELECT {select} FROM {table}")
    yield _csv_text(cur.fetch_df_chunk(_CSV_CHUNK_VECTORS), header=True)
    while not (chunk := cur.fetch_df_chunk(_CSV_CHUNK_VECTORS)).empty:
        yield _csv_text(chunk, header=False)


def _csv_text(frame: pd.DataFrame, header: bool) -> str:
    """Return a frame as CSV text (minimal quoting, \\n line ends, empty for null)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=header, lineterminator="\n")
    return buf.getvalue()


def _accounts_csv(cur: duckdb.DuckDBPyConnection, select: str) -> str:
    """Return the accounts table as CSV with one extra column per custom attribute."""
    accounts = cur.execute(f"SELECT {select} FROM accounts").df()
    attrs = cur.execute(
        "SELECT account_id, attribute, value FROM account_attributes ORDER BY attribute"
    ).df()
    if not attrs.empty:
        wide = attrs.pivot_table(
            index="account_id", columns="attribute", values="value", aggfunc="first", sort=True
        )
        wide.columns = [str(c) for c in wide.columns]
        extra = [c for c in wide.columns if c not in accounts.columns]
        accounts = accounts.merge(wide[extra], left_on="account_id", right_index=True, how="left")
    return _csv_text(accounts, header=True)


def _non_empty_tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the canonical tables that hold rows, in schema order."""
    return [t for t in schema.TABLES
            if (cur.execute(f"SELECT count(*) FROM {t}").fetchone() or (0,))[0] > 0]


def write_csvs(cur: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write one CSV per non-empty canonical table into out_dir (created if needed); return the
    paths written, in schema order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in _non_empty_tables(cur):
        path = out_dir / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            for text in _csv_chunks(cur, table):
                fh.write(text)
        paths.append(path)
    return paths


def demo_zip_bytes(cur: duckdb.DuckDBPyConnection) -> bytes:
    """Return a zip, built in memory, holding one CSV per non-empty canonical table."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in _non_empty_tables(cur):
            # a fixed timestamp keeps the zip identical for identical data
            info = zipfile.ZipInfo(f"{table}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as fh:
                for text in _csv_chunks(cur, table):
                    fh.write(text)
    return buf.getvalue()
